package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"

	"github.com/bolna-campaign/bolna-campaign/campaign"
)

// console writes what a person or a cron log should see on stderr: one live status line on a
// terminal, plain lines every few seconds elsewhere, and log lines either way.
//
// The live line is drawn here rather than with schollz/progressbar: its description is not fit
// to the terminal's width, so on 80 columns the line wrapped and every refresh left a copy in
// the scrollback, and its Finish draws 100% even after a stop with rows never dialled.
type console struct {
	env   Env
	mu    sync.Mutex
	shown bool // a live line is on the screen
}

// logEvery is how often progress is logged when stderr is not a terminal.
const logEvery = 5 * time.Second

func newConsole(env Env) *console { return &console{env: env} }

// logf prints one log line (clearing the live line first on a terminal).
func (c *console) logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLine()
	// Server text is made printable where it enters (dialer.Printable); a line is once more
	// as a whole, since it may quote anything.
	fmt.Fprintln(c.env.Stderr, "bolna-campaign: "+dialer.Printable(fmt.Sprintf(format, args...)))
}

// clearLine wipes the live line (and a ^C the terminal echoed on it). The caller holds mu.
func (c *console) clearLine() {
	if c.env.IsTerminal {
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
		every := logEvery
		if c.env.IsTerminal {
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if c.env.IsTerminal {
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
	line := fmt.Sprintf("placed %d/%d, done %d/%d%s, %s", p.Placed, p.ToDial, p.Done, total, counts(p.ByStatus), campaign.ShortDuration(elapsed.Round(time.Second)))
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.env.IsTerminal {
		fmt.Fprintf(c.env.Stderr, "bolna-campaign: %s: %s\n", time.Now().UTC().Format(time.RFC3339), line)
		return
	}
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
