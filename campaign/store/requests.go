package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Bolna counts requests per account and per minute, not per process: a run restarted by cron
// or after a crash must honour what the run before it sent in the last minute. Every request
// is recorded beside the journal before it is sent (appended, one line each; the file is
// rewritten with only the last minute's every second), and the record is loaded before the
// next run sends anything. A record that cannot be read whole, or that is dated after now (a
// clock stepped back), proves nothing: it is taken for a full minute of requests.

// requestsHeader opens the record of requests; each later line is a class's letter and the
// request's instant in Unix nanoseconds ("c 1765100000000000000").
const requestsHeader = "bolna-campaign requests 1\n"

// maxRequestsFile bounds the record as it is read: a minute's requests at Bolna's limits are
// some 50 KB.
const maxRequestsFile = 4 << 20

// requestClasses are the classes of Bolna's limits, by the letter the record gives them.
var requestClasses = map[byte]string{'c': "call", 'l': "list", 'o': "other"}

// requestLog is what a campaign.Dialer may keep of its recent requests (*dialer.Client does).
type requestLog interface {
	Recent() dialer.Recent
	Preload(dialer.Recent)
	OnSend(func(class string, at time.Time))
}

// keepRequests preloads d with the requests the record at path holds, then records each
// request of d there before it is sent, compacting the record every interval until the
// returned stop is called (which compacts it a last time).
func keepRequests(d campaign.Dialer, path string, interval time.Duration) (stop func()) {
	log, ok := d.(requestLog)
	if !ok {
		return func() {}
	}
	rec := &requestRecord{path: path, recent: loadRequests(path, time.Now())}
	log.Preload(rec.recent)
	rec.merge(log.Recent()) // any request sent before the record was loaded
	if err := rec.compact(); err != nil {
		return func() {} // the next run merely knows less: not worth stopping this one for
	}
	log.OnSend(rec.add)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				rec.compact()
			case <-done:
				rec.close()
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// requestRecord is the record of requests being kept: the last minute's in memory, the file
// open for appending.
type requestRecord struct {
	path   string
	mu     sync.Mutex
	f      *os.File // nil once closed, or when it could not be written
	recent dialer.Recent
}

// class is the list of recent requests of a class.
func (r *requestRecord) class(name string) *[]time.Time {
	switch name {
	case "call":
		return &r.recent.Call
	case "list":
		return &r.recent.List
	}
	return &r.recent.Other
}

// add records a request of class sent at at, before it is sent.
func (r *requestRecord) add(class string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.class(class)
	*list = append(*list, at)
	if r.f != nil {
		r.f.Write(fmt.Appendf(nil, "%c %d\n", class[0], at.UnixNano()))
	}
}

// merge adds the requests of more that the record does not hold yet.
func (r *requestRecord) merge(more dialer.Recent) {
	for name, times := range map[string][]time.Time{"call": more.Call, "list": more.List, "other": more.Other} {
		list := r.class(name)
		for _, at := range times {
			if !slices.ContainsFunc(*list, at.Equal) {
				*list = append(*list, at)
			}
		}
	}
}

// compact replaces the record with the last minute's requests, atomically (a crash leaves the
// old file or the new one, each whole), and appends to the new one from then on.
func (r *requestRecord) compact() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cut := time.Now().Add(-time.Minute)
	b := []byte(requestsHeader)
	for letter, name := range requestClasses {
		list := r.class(name)
		*list = slices.DeleteFunc(*list, func(at time.Time) bool { return !at.After(cut) })
		slices.SortFunc(*list, time.Time.Compare)
		for _, at := range *list {
			b = fmt.Appendf(b, "%c %d\n", letter, at.UnixNano())
		}
	}
	next := r.path + ".next" // one name: a crash mid-write leaves nothing new behind
	f, err := journal.OpenNoFollow(next, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = os.Rename(next, r.path)
	}
	if err != nil {
		f.Close()
		os.Remove(next)
		return err
	}
	if r.f != nil {
		r.f.Close()
	}
	r.f = f
	return nil
}

// close compacts the record a last time and stops appending to it.
func (r *requestRecord) close() {
	r.compact()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// loadRequests reads the record at path as of now: the requests of the last minute. A record
// that is missing holds none; one that cannot be read whole, or holds a request dated after
// now, is taken for a full minute of requests at its last write (now at the latest).
func loadRequests(path string, now time.Time) dialer.Recent {
	f, err := journal.OpenNoFollow(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return dialer.Recent{}
	}
	var written time.Time // the record's last write, as far as it shows
	if err == nil {
		defer f.Close()
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil {
			written = fi.ModTime()
			var r dialer.Recent
			if r, err = parseRequests(io.LimitReader(f, maxRequestsFile+1), now); err == nil {
				return r
			}
		}
	}
	if !written.IsZero() && !written.After(now) && now.Sub(written) >= time.Minute {
		return dialer.Recent{} // damaged, but unwritten for a minute: nothing in it can count now
	}
	at := now
	if !written.IsZero() && written.Before(now) {
		at = written
	}
	full := func(n int) []time.Time { return slices.Repeat([]time.Time{at}, n) }
	return dialer.Recent{Call: full(dialer.BolnaLimits.Call), List: full(dialer.BolnaLimits.List), Other: full(dialer.BolnaLimits.Other)}
}

// parseRequests reads a record: its header, then whole lines of known classes, none dated
// after now and the whole no longer than maxRequestsFile.
func parseRequests(rd io.Reader, now time.Time) (dialer.Recent, error) {
	b, err := io.ReadAll(rd)
	switch {
	case err != nil:
		return dialer.Recent{}, err
	case len(b) > maxRequestsFile:
		return dialer.Recent{}, errors.New("longer than a record ever is")
	case !bytes.HasPrefix(b, []byte(requestsHeader)):
		return dialer.Recent{}, errors.New("no record of requests (an older one, or damaged)")
	case !bytes.HasSuffix(b, []byte("\n")):
		return dialer.Recent{}, errors.New("its last line is cut")
	}
	r := &requestRecord{}
	sc := bufio.NewScanner(bytes.NewReader(b[len(requestsHeader):]))
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 3 || line[1] != ' ' || requestClasses[line[0]] == "" {
			return dialer.Recent{}, fmt.Errorf("line %q is no request", line)
		}
		name := requestClasses[line[0]]
		n, err := strconv.ParseInt(string(line[2:]), 10, 64)
		if err != nil {
			return dialer.Recent{}, fmt.Errorf("line %q is no request", line)
		}
		at := time.Unix(0, n)
		if at.After(now) {
			return dialer.Recent{}, fmt.Errorf("a request dated %s, after now", at.UTC().Format(time.RFC3339))
		}
		if now.Sub(at) < time.Minute {
			list := r.class(name)
			*list = append(*list, at)
		}
	}
	return r.recent, sc.Err()
}
