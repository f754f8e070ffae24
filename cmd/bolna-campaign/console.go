package main

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// console writes what a person or a cron log should see on stderr: one live status line on a
// terminal, plain lines every few seconds elsewhere, and log lines either way.
//
// The live line is drawn here rather than with schollz/progressbar: its description is not fit
// to the terminal's width, so on 80 columns the line wrapped and every refresh left a copy in
// the scrollback, and its Finish draws 100% even after a stop with rows never dialled.
type console struct {
	env   Env
	log   *slog.Logger // every message (see logging.go)
	json  bool         // --log-format json: progress lines are log records too
	mu    sync.Mutex
	shown bool // a live line is on the screen
}

// logEvery is how often progress is logged when stderr is not a terminal.
const logEvery = 5 * time.Second

// newConsole returns the console of env, logging in format (text or json: see logging.go).
func newConsole(env Env, format string) *console {
	if _, ok := env.Stderr.(*jsonLines); ok { // --log-format json, whatever the command asked
		format = "json"
	}
	c := &console{env: env, json: format == "json"}
	c.log = slog.New(newConsoleHandler(c, format))
	return c
}

// withRun has every event logged from now on carry the run's facts: its campaign (as the
// metrics name it) and shard. Call it before the run starts anything that logs.
func (c *console) withRun(campaignName, shard string) {
	c.log = c.log.With(slog.String("campaign", campaignName), slog.String("shard", shard))
}

// logf logs one event, as a sentence.
func (c *console) logf(format string, args ...any) { c.log.Info(fmt.Sprintf(format, args...)) }

// warnf logs something the user should act on, at WARN level in every log format.
func (c *console) warnf(format string, args ...any) { c.log.Warn(fmt.Sprintf(format, args...)) }

// errorf logs what ended a command.
func (c *console) errorf(format string, args ...any) { c.log.Error(fmt.Sprintf(format, args...)) }

// clearLine wipes the live line (and a ^C the terminal echoed on it). The caller holds mu.
func (c *console) clearLine() {
	if c.env.IsTerminal && !c.json { // no live line with JSON records, nor codes between them
		fmt.Fprint(c.env.Stderr, "\r\033[K")
	}
	c.shown = false
}

// follow shows the runner's progress until the returned function is called; the last frame
// is drawn then, from the run's final counts, and left on the screen.
func (c *console) follow(r *campaign.Runner) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		live := c.env.IsTerminal && !c.json // a live line; else a log line every few seconds
		every := logEvery
		if live {
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if live {
					c.show(r.Progress(), time.Since(start))
					c.mu.Lock()
					if c.shown {
						fmt.Fprintln(c.env.Stderr)
						c.shown = false
					}
					c.mu.Unlock()
				}
				return
			case <-t.C:
				c.show(r.Progress(), time.Since(start))
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}

func (c *console) show(p campaign.Progress, elapsed time.Duration) {
	total := p.ToDial + p.Resumed
	line := fmt.Sprintf("placed %d/%d, done %d/%d%s, %s", p.Placed, p.ToDial, p.Done, total, counts(p.ByStatus), human.ShortDuration(elapsed.Round(time.Second)))
	switch {
	case c.json:
		c.log.Info(line, "placed", p.Placed, "to_dial", p.ToDial, "done", p.Done, "total", total, "by_status", p.ByStatus, "elapsed_s", elapsed.Seconds())
		return
	case !c.env.IsTerminal:
		c.logf("%s: %s", time.Now().UTC().Format(time.RFC3339), line)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprint(c.env.Stderr, "\r\033[K"+fit(line, c.width()-1))
	c.shown = true
}

// width is the terminal's width in columns (80 when it cannot be told).
func (c *console) width() int {
	if c.env.Width != nil {
		if w := c.env.Width(); w > 10 {
			return w
		}
	}
	return 80
}

// fit cuts s to n columns, with an ellipsis when it is cut.
func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

func counts(m map[journal.Status]int) string {
	if len(m) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, s := range journal.SortedStatuses(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", s, m[s])
	}
	b.WriteString(")")
	return b.String()
}
