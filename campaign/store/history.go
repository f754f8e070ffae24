package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// The account's history a campaign's runs consult is chosen per command (--history,
// BOLNA_HISTORY, else a default file): a cron line may name one that an operator's shell does
// not. A stop or pause that went to another history than the runs' would not last past the
// next run, so each run records beside the journal where its history is, and those commands
// compare. The record holds the history's location as it may be shown (a PostgreSQL URL
// without its password, a SQLite file's absolute path): never a secret.

// HistoryPath is where the campaign's runs record which history they consult.
func (c Campaign) HistoryPath() string { return c.results + ".history" }

// historyHeader opens the record; the line after it is the history's location.
const historyHeader = "bolna-campaign history 1\n"

// maxHistoryRecord bounds the record as it is read.
const maxHistoryRecord = 64 << 10

// RecordHistory records that the campaign's runs consult the history at where (see
// [Campaign.RecordedHistory]), replacing the record whole: a crash leaves the old record or the
// new one. It returns the location recorded before ("" when none was).
func (c Campaign) RecordHistory(where string) (before string, err error) {
	if strings.ContainsAny(where, "\n\r") || where == "" {
		return "", fmt.Errorf("store: a history's location %q cannot be recorded", where)
	}
	if before, err = c.RecordedHistory(); err != nil {
		before = ""
	}
	if before == where {
		return before, nil
	}
	next := c.HistoryPath() + ".next"
	f, err := journal.OpenNoFollow(next, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return before, err
	}
	_, err = io.WriteString(f, historyHeader+where+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(next, c.HistoryPath())
	}
	if err != nil {
		os.Remove(next)
	}
	return before, err
}

// RecordedHistory is where the campaign's latest run consulted the account's history, as
// [Campaign.RecordHistory] recorded it: "" when no run recorded one (a campaign that has not
// run, or whose runs predate the record).
func (c Campaign) RecordedHistory() (string, error) {
	f, err := journal.OpenNoFollow(c.HistoryPath(), os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxHistoryRecord))
	if err != nil {
		return "", err
	}
	rest, ok := bytes.CutPrefix(b, []byte(historyHeader))
	where, _, _ := strings.Cut(string(rest), "\n")
	if !ok || where == "" {
		return "", fmt.Errorf("%s is not a record of bolna-campaign's history: move it aside, and the next run writes it anew", c.HistoryPath())
	}
	return where, nil
}
