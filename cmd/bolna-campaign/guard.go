package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
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
	g.ruleFlags(fs)
	fs.Float64Var(&g.maxCostPerDay, "max-cost-per-day", 0, "stop placing calls once the account's spend since 00:00 UTC, every campaign's (from the history, cents), would reach this")
}

// ruleFlags are the flags of the history and its rules, run's and check's.
func (g *guardOptions) ruleFlags(fs *flag.FlagSet) {
	fs.StringVar(&g.historyDSN, "history", "", "the account's history: a file, sqlite:PATH or postgres://… (env BOLNA_HISTORY; default\n$XDG_STATE_HOME/bolna-campaign/history.db, else ~/.local/state/bolna-campaign/history.db; --sandbox keeps its own)")
	fs.DurationVar(&g.minGap, "min-gap", DefaultMinGap, "skip a person any other campaign of the account dialled within `D` (0s: no gap)")
	fs.StringVar(&g.maxCalls, "max-calls", "", "at most `N/PERIOD` calls to one person on the account, every campaign's (e.g. 3/24h, 5/7d; default: no cap)")
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
	period, err := parsePeriod(per)
	if err != nil {
		return 0, 0, err
	}
	return n, period, nil
}

// parsePeriod reads a positive Go duration (24h) or a number of days (7d).
func parsePeriod(per string) (time.Duration, error) {
	var period time.Duration
	var err error
	if days, isDays := strings.CutSuffix(per, "d"); isDays {
		d, derr := strconv.Atoi(days)
		period, err = time.Duration(d)*24*time.Hour, derr
	} else {
		period, err = time.ParseDuration(per)
	}
	if err != nil || period <= 0 {
		return 0, fmt.Errorf("the period %q: want a duration such as 24h, or days such as 7d", per)
	}
	return period, nil
}

func capText(r campaign.Rules) string {
	if r.MaxCalls == 0 {
		return ""
	}
	return fmt.Sprintf(", or called %d times within %s", r.MaxCalls, r.Period)
}
