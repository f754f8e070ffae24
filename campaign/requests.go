package campaign

import (
	"encoding/json"
	"os"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Bolna counts requests per account and per minute, not per process: a run restarted by cron
// or after a crash must honour what the run before it sent in the last minute. The client's
// recent requests are kept beside the journal, rewritten every second, and loaded before the
// next run sends anything.

// RequestsPath is where the requests of the last minute of the campaign whose results file is
// results are kept.
func RequestsPath(results string) string { return results + ".requests" }

// requestLog is what a Dialer may keep of its recent requests (*dialer.Client does).
type requestLog interface {
	Recent() dialer.Recent
	Preload(dialer.Recent)
}

// keepRequests preloads d with the requests the file at path holds, then rewrites the file
// every interval until the returned stop is called (which writes it a last time).
func keepRequests(d Dialer, path string, interval time.Duration) (stop func()) {
	log, ok := d.(requestLog)
	if !ok {
		return func() {}
	}
	if b, err := os.ReadFile(path); err == nil {
		var r dialer.Recent
		if json.Unmarshal(b, &r) == nil {
			log.Preload(r)
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				writeRequests(path, log.Recent())
			case <-done:
				writeRequests(path, log.Recent())
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// writeRequests replaces the file at path with r, atomically (a crash leaves the old one or
// the new one). Failing is not worth stopping a run for: the next run merely knows less.
func writeRequests(path string, r dialer.Recent) {
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	next := path + ".next" // one name: a crash mid-write leaves nothing new behind
	f, err := journal.OpenNoFollow(next, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(next, path)
	}
	if err != nil {
		os.Remove(next)
	}
}
