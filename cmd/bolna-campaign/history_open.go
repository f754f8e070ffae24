package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Every command finds the account's history the same way (historyDSN) and opens it through
// openStore; run and stop open it through Env.OpenHistory, which tests may replace.

// historyDSN is the history a command uses: --history, else BOLNA_HISTORY, else the default
// file. The sandbox keeps a file of its own and never reads BOLNA_HISTORY: a trial's fake
// calls must not keep real people from being called.
func historyDSN(flagValue string, env Env, sandbox bool) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if dsn := strings.TrimSpace(env.Getenv("BOLNA_HISTORY")); dsn != "" && !sandbox {
		return dsn, nil
	}
	name := "history.db"
	if sandbox {
		name = "sandbox-history.db"
	}
	if x := env.Getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "bolna-campaign", name), nil
	}
	if sandbox {
		return history.SandboxPath()
	}
	return history.DefaultPath()
}

// historyUse is how a command uses the history.
type historyUse int

const (
	// historyWrite: created when it does not exist, its schema brought up to date.
	historyWrite historyUse = iota
	// historyRead: as it is, for a command that changes nothing (status, check): nothing
	// created, nothing migrated. A SQLite history that does not exist is errNoHistory.
	historyRead
)

// errNoHistory: the SQLite history a read names does not exist (no run has made it yet).
var errNoHistory = errors.New("no history yet")

// openStore opens the history at dsn for use.
func openStore(ctx context.Context, dsn string, use historyUse) (*history.Store, error) {
	if use == historyWrite {
		return history.Open(ctx, dsn)
	}
	s, err := history.OpenExisting(ctx, dsn)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoHistory
	}
	return s, err
}

// openHistory opens the history a command names (--history, BOLNA_HISTORY or the default).
func openHistory(ctx context.Context, env Env, dsnFlag string, sandbox bool, use historyUse) (*history.Store, error) {
	dsn, err := historyDSN(dsnFlag, env, sandbox)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, dsn, use)
}

// accountHistory is what run and stop need of the history: the guard, what imports a journal
// on first use (see importJournal), the pause a stop leaves, its name for messages, and its
// end.
type accountHistory interface {
	campaign.Guard
	CampaignKnown(ctx context.Context, campaign string) (bool, error)
	Import(ctx context.Context, entries []history.Entry) (int, error)
	Pause(ctx context.Context, p history.Pause) error
	Where() string
	Close() error
}

// openRunHistory is run's and stop's history by default (Env.OpenHistory): the history at dsn,
// its schema brought up to date.
func openRunHistory(ctx context.Context, dsn string) (accountHistory, error) {
	s, err := openStore(ctx, dsn, historyWrite)
	if err != nil {
		return nil, err
	}
	return history.Guard{Store: s}, nil
}

// openAccountHistory opens run's or stop's history, through Env.OpenHistory.
func openAccountHistory(ctx context.Context, env Env, dsnFlag string, sandbox bool) (accountHistory, error) {
	dsn, err := historyDSN(dsnFlag, env, sandbox)
	if err != nil {
		return nil, err
	}
	open := env.OpenHistory
	if open == nil {
		open = openRunHistory
	}
	return open(ctx, dsn)
}

// openGuard opens the run's history: one that cannot be opened stops the run before any call
// (exit 1).
func (o *runOptions) openGuard(ctx context.Context, env Env, out *console) (accountHistory, error) {
	h, err := openAccountHistory(ctx, env, o.historyDSN, o.sandbox)
	if err != nil {
		return nil, &campaign.FatalError{Err: fmt.Errorf("the account's history cannot be opened, so no call is placed: %w", err)}
	}
	out.logf("the account's history: %s (skipping a person another campaign dialled within %s%s)", h.Where(), o.rules.MinGap, capText(o.rules))
	return h, nil
}

// readHistory opens the history for a command that changes nothing (status, check), within
// historyReadTimeout: nil when there is none yet. An older schema is read as it is, and said
// on stderr (the next run, or any command that writes, upgrades it).
func readHistory(ctx context.Context, env Env, command, dsnFlag string, sandbox bool) (*history.Store, error) {
	s, err := openHistory(ctx, env, dsnFlag, sandbox, historyRead)
	switch {
	case errors.Is(err, errNoHistory):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if s.Schema() < history.SchemaVersion {
		fmt.Fprintf(env.Stderr, "bolna-campaign: %s: the account's history %s has schema version %d, older than this bolna-campaign's %d: read as it is, not upgraded (the next run upgrades it)\n",
			command, s.Where(), s.Schema(), history.SchemaVersion)
	}
	return s, nil
}

// historyReadTimeout bounds a look at the history by a command that only reads it: status and
// check answer, whatever the history's host does.
const historyReadTimeout = 10 * time.Second

// pauseOf is the pause that keeps the campaign from placing calls, in words, for status: ""
// when there is none, or no history to ask. The history is the one the campaign's runs
// consult (the sandbox's for a sandbox campaign), read as it is (status changes nothing:
// neither creates nor upgrades it). A history that cannot be read is said on stderr.
func pauseOf(env Env, dsnFlag, campaignID string, sandbox bool) string {
	ctx, cancel := commandContext(env)
	defer cancel()
	ctx, cancelRead := context.WithTimeout(ctx, historyReadTimeout)
	defer cancelRead()
	var p *history.Pause
	store, err := readHistory(ctx, env, "status", dsnFlag, sandbox)
	if err == nil && store != nil {
		p, err = store.Paused(ctx, campaignID)
		store.Close()
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: status: the account's history could not be read, so a pause is not shown: %v\n", err)
	}
	if p == nil {
		return ""
	}
	return dialer.Printable(p.String()) // who paused it, and why: anyone's words
}
