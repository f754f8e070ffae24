package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// A finish notice: --notify URL receives one JSON document when the run ends, and one at once
// when it halts, so that the same URL can be a Slack or Teams incoming webhook (they show the
// "text" field) or a script. It is never fatal, never carries the API key, and goes only to
// https (or http on loopback), like --base-url.
const (
	notifyTries   = 3
	notifyTimeout = 5 * time.Second
)

// checkNotifyURL accepts https, and plain http only to loopback.
func checkNotifyURL(raw string) error { return dialer.CheckOutboundURL("--notify", raw) }

// notifier sends the notices of one run.
type notifier struct {
	url    string
	client *http.Client
	logf   func(string, ...any)
	wg     sync.WaitGroup
	wait   time.Duration // before the second try; doubles
}

func newNotifier(raw string, logf func(string, ...any)) *notifier {
	return &notifier{url: raw, logf: logf, wait: time.Second, client: &http.Client{Timeout: notifyTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// notice is the document: the summary as --json prints it, what happened, and a sentence.
type notice struct {
	Event   string `json:"event"` // "finished", "halted" or "failed"
	Text    string `json:"text"`
	Results string `json:"results"`
	Halted  string `json:"halted,omitempty"`
	Error   string `json:"error,omitempty"`
	Summary any    `json:"summary,omitempty"`
}

// send delivers doc a few times at most, with backoff; it never fails the run, and says once
// if the notice could not be delivered.
func (n *notifier) send(doc notice) {
	body, err := json.Marshal(doc)
	if err != nil {
		return
	}
	wait := n.wait
	var last error
	for try := range notifyTries {
		if try > 0 {
			time.Sleep(wait)
			wait *= 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
		if err != nil {
			cancel()
			last = err
			break
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "bolna-campaign/"+version())
		resp, err := n.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
				cancel()
				return
			}
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		cancel()
		last = err
	}
	n.logf("--notify: the %s notice was not delivered after %d tries (%v)", doc.Event, notifyTries, stripURLError(last))
}

// halted sends, in the background, the notice of a halt.
func (n *notifier) halted(results, reason string) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.send(notice{Event: "halted", Results: results, Halted: reason,
			Text: fmt.Sprintf("bolna-campaign halted placing calls for %s on %s: %s. The calls in flight are followed to their end.", results, hostname(), reason)})
	}()
}

// finished sends the notice of the run's end and waits for every notice to be sent.
func (n *notifier) finished(results string, s *campaign.Summary, doc any, rep *results.Report, runErr error) {
	end := endNotice(results, hostname(), s, rep, runErr)
	end.Summary = doc
	n.send(end)
	n.wg.Wait()
}

// endNotice is the notice of a run's end: finished, halted along the way (and why), stopped on
// purpose (bolna-campaign stop, a signal), or failed on an error; its text, for a chat, says
// which campaign on which host, the rows dialled, the people reached, the goal's rate where
// --goal is set, the spend in dollars, and an experiment's verdict.
func endNotice(results, host string, s *campaign.Summary, rep *results.Report, runErr error) notice {
	doc := notice{Event: "finished", Results: results}
	verb := "finished"
	switch {
	case errors.Is(runErr, campaign.ErrStopped) || errors.Is(runErr, context.Canceled):
		doc.Event, verb = "stopped", "stopped"
	case runErr != nil:
		doc.Event, doc.Error, verb = "failed", runErr.Error(), "failed"
	}
	var text strings.Builder
	fmt.Fprintf(&text, "bolna-campaign %s a run of %s on %s", verb, results, host)
	if s != nil {
		doc.Halted = s.Halted
		fmt.Fprintf(&text, ": %d %s dialled this run", s.Dialled, human.Plural(s.Dialled, "call", "calls"))
		if rep != nil {
			fmt.Fprintf(&text, "; of the %d rows, %d dialled, %d %s reached (%.0f%%)", rep.Rows, rep.Dialled, rep.Answered, human.Plural(rep.Answered, "person", "people"), 100*rep.AnswerRate)
			if g := rep.Goal; g != nil {
				fmt.Fprintf(&text, ", goal %s=%s %d (%.0f%% of those dialled)", g.Key, g.Value, g.Reached, 100*g.Rate)
			}
		}
		fmt.Fprintf(&text, "; spent %s.", human.Dollars(s.Spent))
		if e := s.Experiment; e != nil {
			fmt.Fprintf(&text, " Experiment: %s.", e.Text)
			if len(e.Stopped) > 0 {
				fmt.Fprintf(&text, " Stopped by --stop-losers: %s.", strings.Join(e.Stopped, ", "))
			}
		}
		if s.Halted != "" {
			fmt.Fprintf(&text, " It halted: %s.", s.Halted)
		}
		if n := s.Unfinished(); n > 0 {
			fmt.Fprintf(&text, " %d %s work to do: the next run goes on.", n, human.Plural(n, "row still has", "rows still have"))
		}
	} else {
		text.WriteString(".")
	}
	switch doc.Event {
	case "stopped":
		text.WriteString(" It was stopped on purpose (bolna-campaign stop, or a signal); the next run goes on.")
	case "failed":
		fmt.Fprintf(&text, " It stopped on an error: %v.", runErr)
	}
	doc.Text = text.String()
	return doc
}

// hostname names the machine a notice comes from.
func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "an unnamed host"
}

func stripURLError(err error) error {
	var uerr *url.Error
	if err != nil && errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
