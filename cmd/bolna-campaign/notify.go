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
	"strings"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
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
			Text: fmt.Sprintf("bolna-campaign halted placing calls for %s: %s. The calls in flight are followed to their end.", results, reason)})
	}()
}

// finished sends the notice of the run's end and waits for every notice to be sent.
func (n *notifier) finished(results string, s *campaign.Summary, rep any, runErr error) {
	doc := notice{Event: "finished", Results: results, Summary: rep}
	var text strings.Builder
	if s != nil {
		doc.Halted = s.Halted
		fmt.Fprintf(&text, "bolna-campaign finished a run of %s: %d dialled, %d rows", results, s.Dialled, s.Rows)
		for _, st := range journal.SortedStatuses(s.ByStatus) {
			fmt.Fprintf(&text, ", %d %s", s.ByStatus[st], st)
		}
		text.WriteString(".")
		if s.Halted != "" {
			fmt.Fprintf(&text, " It halted: %s.", s.Halted)
		}
		if n := s.Unfinished(); n > 0 {
			fmt.Fprintf(&text, " %d %s work to do: the next run goes on.", n, plural(n, "row still has", "rows still have"))
		}
	}
	if runErr != nil {
		doc.Event, doc.Error = "failed", runErr.Error()
		if text.Len() == 0 {
			fmt.Fprintf(&text, "bolna-campaign stopped a run of %s", results)
		}
		fmt.Fprintf(&text, " It stopped on an error: %v.", runErr)
	}
	doc.Text = text.String()
	n.send(doc)
	n.wg.Wait()
}

func stripURLError(err error) error {
	var uerr *url.Error
	if err != nil && errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
