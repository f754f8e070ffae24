package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bolna-campaign/bolna-campaign/campaign"
)

// console writes what a person or a cron log should see on stderr: a live progress bar on a
// terminal, plain lines every few seconds elsewhere, and log lines either way.
type console struct {
	env Env
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// logEvery is how often progress is logged when stderr is not a terminal.
const logEvery = 5 * time.Second

func newConsole(env Env) *console { return &console{env: env} }

// logf prints one log line (clearing the progress bar's line first on a terminal).
func (c *console) logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bar != nil {
		c.bar.Clear()
	}
	fmt.Fprintf(c.env.Stderr, "bolna-campaign: "+format+"\n", args...)
}

// follow shows the runner's progress until the returned function is called.
func (c *console) follow(r *campaign.Runner) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		every := logEvery
		if c.env.IsTerminal {
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				c.mu.Lock()
				if c.bar != nil {
					c.bar.Finish()
					fmt.Fprintln(c.env.Stderr)
				}
				c.mu.Unlock()
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.env.IsTerminal {
		fmt.Fprintf(c.env.Stderr, "bolna-campaign: %s: placed %d/%d, done %d/%d%s, %s\n",
			time.Now().UTC().Format(time.RFC3339), p.Placed, p.ToDial, p.Done, total, counts(p.ByStatus), elapsed.Round(time.Second))
		return
	}
	if c.bar == nil {
		c.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(c.env.Stderr),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(24),
			progressbar.OptionSetElapsedTime(true),
		)
	}
	c.bar.Describe(fmt.Sprintf("placed %d/%d%s", p.Placed, p.ToDial, counts(p.ByStatus)))
	c.bar.Set(p.Done)
}

func counts(m map[campaign.Status]int) string {
	if len(m) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, s := range campaign.SortedStatuses(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", s, m[s])
	}
	b.WriteString(")")
	return b.String()
}
