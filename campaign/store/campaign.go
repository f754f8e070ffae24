package store

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// Campaign is a campaign on disk, named by its results file: every file beside the results,
// the lock and the stop request. The zero value is no campaign; make one with [At].
type Campaign struct {
	results string
}

// At is the campaign whose results file is results.
func At(results string) Campaign { return Campaign{results: results} }

// Results is the campaign's results file.
func (c Campaign) Results() string { return c.results }

// StatePath is where the campaign's journal lives.
func (c Campaign) StatePath() string { return c.results + ".state" }

// LockPath is the campaign's lock file (see [Campaign.Lock]).
func (c Campaign) LockPath() string { return c.results + ".lock" }

// StopPath is where bolna-campaign stop asks the run holding the campaign's lock to stop.
func (c Campaign) StopPath() string { return c.results + ".stop" }

// RequestsPath is where the requests of the campaign's last minute are kept (see
// [Session.KeepRequests]).
func (c Campaign) RequestsPath() string { return c.results + ".requests" }

// AttemptsPath is the attempts log beside the results: RESULTS.attempts.csv (a results path's
// .csv left off first), every attempt of every row, where the results file keeps each row's
// latest.
func (c Campaign) AttemptsPath() string {
	base := c.results
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".csv") {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".attempts.csv"
}

// SandboxPath is where a sandbox run saves the calls it leaves, for the next sandbox run of
// the campaign to take up.
func (c Campaign) SandboxPath() string { return c.results + ".bolna.json" }

// CheckFiles refuses a campaign one of whose files (the results, the journal, the lock, the
// stop request, the record of requests, the record of the history) is something other than a
// regular file: a FIFO would hang the run, a link would have it read or write elsewhere, a
// directory at the stop request would read as a stop on every run.
func (c Campaign) CheckFiles() error {
	return journal.CheckFiles(c.results, c.StatePath(), c.LockPath(), c.StopPath(), c.RequestsPath(), c.HistoryPath())
}

// Lock takes the campaign's lock without waiting: a *journal.LockedError (saying who holds
// it) when another live process does.
func (c Campaign) Lock() (*journal.Lock, error) { return journal.AcquireLock(c.LockPath()) }

// Holder is what the campaign's lock file says of the run holding it, when one is running
// ("" when none is: a lock file left by a run that ended says nothing, the lock dies with its
// process).
func (c Campaign) Holder() string {
	path := c.LockPath()
	if !journal.Locked(path) { // false for anything but a regular file: a FIFO is never read
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// RequestStop asks the run holding the campaign to stop (see [Campaign.StopPath]): the request
// is written without following a symbolic link at its path, into a regular file only (a
// directory or a FIFO there is refused, naming it).
func (c Campaign) RequestStop() error {
	f, err := journal.OpenNoFollow(c.StopPath(), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(time.Now().UTC().Format(time.RFC3339) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// StopRequested reports whether a stop of the campaign was asked for (and not cleared).
func (c Campaign) StopRequested() bool {
	_, err := os.Stat(c.StopPath())
	return err == nil
}

// ClearStop drops the request to stop the campaign, if there is one.
func (c Campaign) ClearStop() { os.Remove(c.StopPath()) }
