package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
)

// A run records beside the journal which history it consults (store.Campaign.RecordHistory);
// stop, pause and resume of that campaign refuse another, and status says so. Without this an
// operator's 'stop' (no BOLNA_HISTORY in their shell) paused the default history while the
// cron line's runs read another: the next run dialled again.

// historyLocation is where dsn's history is, as a run records it and as the commands compare
// it: a SQLite file's absolute path, a PostgreSQL URL without its password.
func historyLocation(dsn string) (string, error) {
	d, err := history.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	if d.Backend == history.SQLite {
		return filepath.Abs(d.Path)
	}
	return d.Redacted(), nil
}

// recordHistory records beside the campaign's journal the history this run consults (dsn),
// and says when the campaign's earlier runs consulted another. A record that cannot be written
// is a warning: the run's own guard is the one it opened either way.
func (o *runOptions) recordHistory(env Env, out *console) {
	dsn, err := historyDSN(o.historyDSN, env, o.sandbox)
	where := ""
	if err == nil {
		where, err = historyLocation(dsn)
	}
	var before string
	if err == nil {
		before, err = o.files().RecordHistory(where)
	}
	switch {
	case err != nil:
		out.warnf("warning: which history this run consults could not be recorded beside its journal (%v): 'stop' and 'pause' cannot check theirs against it", err)
	case before != "" && before != where:
		out.logf("this campaign's earlier runs consulted the history %s; this one consults %s: 'stop', 'pause' and 'resume' of it must name this one (--history or BOLNA_HISTORY), as this run does", before, where)
	}
}

// HistoryMismatchError is a stop, pause or resume of a campaign aimed at the default history
// when its runs consult another: done there, it would not reach the next run.
type HistoryMismatchError struct {
	Results string
	Runs    string // where the campaign's runs consult the history (as recorded)
	This    string // where this command would have
}

func (e *HistoryMismatchError) Error() string {
	return fmt.Sprintf("the runs of %s consult the account's history %s, not %s: nothing was paused or resumed in either (in %s, the next run would not see it). "+
		"Name the runs' history as their cron line does: --history or BOLNA_HISTORY (a PostgreSQL URL with its password)", e.Results, e.Runs, e.This, e.This)
}

// exitCode: the command was aimed at the wrong history (exit 2), as for a mistyped argument.
func (e *HistoryMismatchError) exitCode() int { return exitUsage }

// checkRunsHistoryOf is checkRunsHistory with the history a command would consult (--history,
// BOLNA_HISTORY, else the default). A history named on purpose (--history or BOLNA_HISTORY) is
// taken, with a warning on stderr when the runs recorded another: the operator may mean to
// run the campaign there next. The default one is refused.
func checkRunsHistoryOf(env Env, dsnFlag, results string, sandbox bool) error {
	dsn, err := historyDSN(dsnFlag, env, sandbox)
	if err != nil {
		return err
	}
	err = checkRunsHistory(results, dsn)
	var mismatch *HistoryMismatchError
	named := dsnFlag != "" || (!sandbox && strings.TrimSpace(env.Getenv("BOLNA_HISTORY")) != "")
	if errors.As(err, &mismatch) && named {
		fmt.Fprintf(env.Stderr, "bolna-campaign: warning: the runs of %s consult the account's history %s; this is kept in %s, as named: their next run sees it only if it consults %s too\n",
			mismatch.Results, mismatch.Runs, mismatch.This, mismatch.This)
		return nil
	}
	return err
}

// dsnOf is the history a command would consult ("" when it cannot say).
func dsnOf(env Env, dsnFlag string, sandbox bool) string {
	dsn, _ := historyDSN(dsnFlag, env, sandbox)
	return dsn
}

// checkRunsHistory refuses dsn for a command that changes the campaign of results in the
// history when its runs recorded another (see recordHistory); a campaign whose runs recorded
// none (they predate the record) is taken as it is.
func checkRunsHistory(results, dsn string) error {
	runs, err := store.At(results).RecordedHistory()
	if err != nil || runs == "" {
		return err
	}
	this, err := historyLocation(dsn)
	if err != nil {
		return err
	}
	if this != runs {
		return &HistoryMismatchError{Results: results, Runs: runs, This: this}
	}
	return nil
}
