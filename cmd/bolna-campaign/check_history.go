package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// checkHistory says how many of the rows a run would dial now the account's history would
// skip (do-not-call, recent, capped, under run's rules as check is given them), and whether a
// pause keeps the campaign from placing. It reads the history as it is (check changes
// nothing): with no history yet, nothing would be skipped. A history that cannot be read is
// said, not fatal: the run would stop on it before any call. It returns how many rows would be
// skipped: every one when the campaign is paused (its run would place nothing).
func (o *checkOptions) checkHistory(w io.Writer, env Env, campaignID string, phones []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), historyReadTimeout+time.Duration(len(phones))*time.Millisecond)
	defer cancel()
	store, err := readHistory(ctx, env, "check", o.historyDSN, o.sandbox)
	switch {
	case err != nil:
		fmt.Fprintf(w, "✗ the account's history: %v (a run stops on it before any call)\n", err)
		return 0
	case store == nil:
		fmt.Fprintln(w, "  the account's history: none yet (a run creates it): no row would be skipped")
		return 0
	}
	defer store.Close()
	a, err := store.Assess(ctx, campaignID, phones, history.Rules(o.rules), time.Now())
	if err != nil {
		fmt.Fprintf(w, "✗ the account's history: %v (a run stops on it before any call)\n", err)
		return 0
	}
	skipped := a.Skipped[history.KindDoNotCall] + a.Skipped[history.KindRecent] + a.Skipped[history.KindCapped]
	capped := "no --max-calls"
	if o.rules.MaxCalls > 0 {
		capped = fmt.Sprintf("called %d %s within %s", o.rules.MaxCalls, human.Plural(o.rules.MaxCalls, "time", "times"), o.rules.Period)
	}
	fmt.Fprintf(w, "  the account's history %s: %d of the %d %s to dial would be skipped now: %d do-not-call, %d recent (another campaign within %s), %d capped (%s)\n",
		store.Where(), skipped, a.Rows, human.Plural(a.Rows, "row", "rows"), a.Skipped[history.KindDoNotCall],
		a.Skipped[history.KindRecent], o.rules.MinGap, a.Skipped[history.KindCapped], capped)
	if p, err := store.Paused(ctx, campaignID); err == nil && p != nil {
		what := o.resultsPath
		if p.Campaign == history.All {
			what = "--all"
		}
		fmt.Fprintf(w, "✗ %s: a run places no call until '%s resume %s'\n", dialer.Printable(p.String()), prog, what)
		return len(phones)
	}
	return skipped
}
