package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// guardOptions are run's flags of the account's history: where it is, and the rules its guard
// applies before every call.
type guardOptions struct {
	historyDSN    string
	minGap        time.Duration
	maxCalls      string // N/PERIOD, e.g. 3/24h or 5/7d
	maxCostPerDay float64
	rules         campaign.Rules
}

// DefaultMinGap is --min-gap's default: a person another campaign of the account dialled
// within a day is skipped.
const DefaultMinGap = 24 * time.Hour

func (g *guardOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&g.historyDSN, "history", "", "the account's history: a file, sqlite:PATH or postgres://… (env BOLNA_HISTORY; default\n$XDG_STATE_HOME/bolna-campaign/history.db, else ~/.local/state/bolna-campaign/history.db; --sandbox keeps its own)")
	fs.DurationVar(&g.minGap, "min-gap", DefaultMinGap, "skip a person any other campaign of the account dialled within `D` (0s: no gap)")
	fs.StringVar(&g.maxCalls, "max-calls", "", "at most `N/PERIOD` calls to one person on the account, every campaign's (e.g. 3/24h, 5/7d; default: no cap)")
	fs.Float64Var(&g.maxCostPerDay, "max-cost-per-day", 0, "stop placing calls once the account's spend since 00:00 UTC, every campaign's (from the history, cents), would reach this")
}

// validate reads --max-calls and checks the rest.
func (g *guardOptions) validate() error {
	if g.minGap < 0 || g.maxCostPerDay < 0 {
		return usageErrorf("run: --min-gap and --max-cost-per-day cannot be negative")
	}
	g.rules.MinGap = g.minGap
	if g.maxCalls == "" {
		return nil
	}
	n, period, err := parseMaxCalls(g.maxCalls)
	if err != nil {
		return usageErrorf("run: --max-calls %q: %v", g.maxCalls, err)
	}
	g.rules.MaxCalls, g.rules.Period = n, period
	return nil
}

// parseMaxCalls reads N/PERIOD: a positive count, and a Go duration or a number of days (7d).
func parseMaxCalls(s string) (int, time.Duration, error) {
	count, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return 0, 0, fmt.Errorf("want N/PERIOD with N at least 1, e.g. 3/24h or 5/7d")
	}
	var period time.Duration
	if days, isDays := strings.CutSuffix(per, "d"); isDays {
		d, derr := strconv.Atoi(days)
		period, err = time.Duration(d)*24*time.Hour, derr
	} else {
		period, err = time.ParseDuration(per)
	}
	if err != nil || period <= 0 {
		return 0, 0, fmt.Errorf("the period %q: want a duration such as 24h, or days such as 7d", per)
	}
	return n, period, nil
}

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

// openGuard opens the run's history: one that cannot be opened stops the run before any call
// (exit 1).
func (o *runOptions) openGuard(ctx context.Context, env Env, out *console) (campaign.Guard, func() error, error) {
	if testGuard != nil && o.historyDSN == "" && env.Getenv("BOLNA_HISTORY") == "" {
		return testGuard, func() error { return nil }, nil
	}
	dsn, err := historyDSN(o.historyDSN, env, o.sandbox)
	if err != nil {
		return nil, nil, &campaign.FatalError{Err: err}
	}
	store, err := history.Open(ctx, dsn)
	if err != nil {
		return nil, nil, &campaign.FatalError{Err: fmt.Errorf("the account's history cannot be opened, so no call is placed: %w", err)}
	}
	out.logf("the account's history: %s (skipping a person another campaign dialled within %s%s)", store.Where(), o.rules.MinGap, capText(o.rules))
	return history.Guard{Store: store}, store.Close, nil
}

// testGuard, set by the command's tests only, stands in for the history at the default place
// of the runs whose tests name none (--history, BOLNA_HISTORY): the real history, pure-Go
// SQLite under the race detector, costs a test run far more CPU than it tests. Every test of
// the guard names its history. Never set outside tests.
var testGuard campaign.Guard

func capText(r campaign.Rules) string {
	if r.MaxCalls == 0 {
		return ""
	}
	return fmt.Sprintf(", or called %d times within %s", r.MaxCalls, r.Period)
}

// pauseOf is the pause that keeps the campaign from placing calls, in words, for status: ""
// when there is none, or no history to ask (a SQLite history that does not exist is not
// created: status changes nothing). A history that cannot be read is said on stderr.
func pauseOf(env Env, dsnFlag, campaignID string) string {
	dsn, err := historyDSN(dsnFlag, env, false)
	if err == nil {
		var d history.DSN
		if d, err = history.ParseDSN(dsn); err == nil && d.Backend == history.SQLite {
			if _, serr := os.Stat(d.Path); serr != nil {
				return ""
			}
		}
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	ctx, cancelRead := context.WithTimeout(ctx, pauseReadTimeout) // status answers, whatever the history's host does
	defer cancelRead()
	var p *history.Pause
	if err == nil {
		var store *history.Store
		if store, err = history.Open(ctx, dsn); err == nil {
			p, err = store.Paused(ctx, campaignID)
			store.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: status: the account's history could not be read, so a pause is not shown: %v\n", err)
	}
	if p == nil {
		return ""
	}
	return dialer.Printable(p.String()) // who paused it, and why: anyone's words
}

// pauseReadTimeout bounds status's look at the history for a pause.
const pauseReadTimeout = 10 * time.Second
