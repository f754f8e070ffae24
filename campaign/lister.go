package campaign

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// lister reads the agent's executions list for the tracker, and owns what reading it teaches:
// the page budget it spends, Bolna's clock (the windows a call is looked for in), the outage
// rule (every read failing for Config.Outage gives the run up), and the modes the list's
// refusals put it in (no window ending in the future, no status filter, no list at all).
type lister struct {
	cfg    *Config
	dialer Dialer
	budget *pageBudget // the looks' share of the list's limit
	offset clockOffset

	failingSince time.Time // since when every read has failed; zero while reads succeed
	noFutureTo   bool      // the list refused a window ending in the future
	noStatusList bool      // the list refused its status filter: sweeps page through every call
	noList       bool      // the list refused a plain request (400): calls are read by id
}

// pages reads the pages of one listing of agent's executions in turn, until the list has no more, or the caller
// stops; a read that fails, or a list that does not page (errListLoops, see pageGuard), ends
// it with the error.
func (l *lister) pages(ctx context.Context, agent string, opts dialer.ListOptions) iter.Seq2[*dialer.ExecutionPage, error] {
	return func(yield func(*dialer.ExecutionPage, error) bool) {
		var guard pageGuard
		for opts.Page = 1; ; opts.Page++ {
			page, err := l.list(ctx, agent, opts)
			if err == nil {
				err = guard.check(page)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || !page.HasMore || len(page.Data) == 0 {
				return
			}
		}
	}
}

// list reads one page of agent's executions. The window reaches a little into the future
// (Bolna's clock may run ahead of ours); should Bolna refuse a future "to" (400), the window ends
// at Bolna's now from then on (see cutoff).
func (l *lister) list(ctx context.Context, agent string, opts dialer.ListOptions) (*dialer.ExecutionPage, error) {
	now := l.cfg.Now()
	if l.noFutureTo && opts.To.After(l.cutoff(now)) {
		opts.To = l.cutoff(now)
	}
	l.budget.take(1, now)
	// One try: a failed read is tried again at the next look, not in a retry loop that holds
	// pushes, slot releases and the outage rule meanwhile.
	ctx, cancel := l.readCtx(ctx, now)
	defer cancel()
	page, err := l.dialer.ListExecutions(ctx, agent, opts, dialer.OneTry())
	if dialer.IsBadRequest(err) && !l.noFutureTo && opts.To.After(now) && opts.Status == "" {
		// (A 400 on a list filtered by status is taken for a refusal of the filter: see check.)
		l.noFutureTo = true
		l.cfg.warnWith(facts{}.err(err), "the executions list refused a window ending in the future (%v); windows end now from here on", err)
		opts.To = l.cutoff(now)
		l.budget.take(1, now)
		return l.dialer.ListExecutions(ctx, agent, opts, dialer.OneTry())
	}
	return page, err
}

// cutoff is where a window ends once Bolna refuses a "to" in the future: its now by the earliest
// measure of created_at's clock (ours until one is measured).
func (l *lister) cutoff(now time.Time) time.Time {
	if l.offset.measured() {
		return now.Add(min(l.offset.lo, 0))
	}
	return now
}

// readCtx bounds a read while every read is failing: it ends when the outage rule would give
// up the run (see noteReads), so the rule holds to the second whatever the read's retries.
func (l *lister) readCtx(ctx context.Context, now time.Time) (context.Context, context.CancelFunc) {
	if l.failingSince.IsZero() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, l.failingSince.Add(l.cfg.Outage+time.Second).Sub(now))
}

// refusedList reports whether err is the list refusing a plain request (400): not an outage,
// and not worth asking again. From then on calls are read by id, said once.
func (l *lister) refusedList(err error) bool {
	if !dialer.IsBadRequest(err) {
		return false
	}
	if !l.noList {
		l.noList = true
		l.cfg.warnWith(facts{}.err(err), "the executions list refused a request (%v): calls are read by id from here on, and a call whose placement reply was lost cannot be looked for (its row ends unknown after --list-lag, dialled by no run until a search settles it; the next run looks again)", err)
	}
	return true
}

// pageGuard ends a read of the list that would never end: a list that ignores page_number
// (the same page again) or has more for ever.
type pageGuard struct {
	last  []dialer.ID
	pages int
}

// errListLoops is a read of the list given up by a pageGuard.
var errListLoops = errors.New("the executions list does not page (the same page again, or more than 1,000 pages)")

func (g *pageGuard) check(page *dialer.ExecutionPage) error {
	g.pages++
	ids := make([]dialer.ID, len(page.Data))
	for i := range page.Data {
		ids[i] = page.Data[i].ID
	}
	if g.pages > maxListPages || g.pages > 1 && len(ids) > 0 && slices.Equal(ids, g.last) {
		return errListLoops
	}
	g.last = ids
	return nil
}

// noteReads gives up the run when every read has failed for longer than Config.Outage: Bolna
// is down or unreachable, and following calls blindly until --max-wait would only hold the
// lock. The calls stay live in the journal; the next run follows them.
func (l *lister) noteReads(errs []error, now time.Time) error {
	for _, err := range errs {
		if err == nil {
			l.failingSince = time.Time{}
			return nil
		}
	}
	if l.failingSince.IsZero() {
		l.failingSince = now
		return nil
	}
	if d := now.Sub(l.failingSince); d > l.cfg.Outage {
		return &FatalError{fmt.Errorf("no read of Bolna has succeeded for %s (%v); the calls in flight are recorded and the next run follows them",
			d.Round(time.Second), errs[0])}
	}
	return nil
}

// wide is the list window, by Bolna's clock, of calls created between from and to by ours:
// where each estimate of the offset puts them (the calls seen, the Date header, none), widened
// by clockSkew, all together. bounded is false unless created_at has been measured: a search
// of that window that misses a call then proves nothing (see proofWindow).
func (l *lister) wide(from, to time.Time) (f, e time.Time, bounded bool) {
	f, e = from.Add(-clockSkew), to.Add(clockSkew)
	widen := func(lo, hi time.Duration) {
		f, e = earlier(f, from.Add(lo-clockSkew)), later(e, to.Add(hi+clockSkew))
	}
	if l.offset.measured() {
		widen(l.offset.lo, l.offset.hi)
		bounded = true
	}
	if sc, ok := l.dialer.(serverClocker); ok {
		if lo, hi, ok := sc.ServerClock(); ok {
			widen(lo, hi)
		}
	}
	return f, e, bounded
}

// proofWindow is a list window, by Bolna's clock, that covers every call created between from
// and to by ours, so that a search of it that misses a call proves the call absent: once
// created_at has been measured, the wide window (which holds where the measured offset puts
// them, and also where the Date header and our own clock do: a clock that jumped since it was
// measured is still covered), else the zone-wide one. proof is false when no such window fits
// the list's seven days.
func (l *lister) proofWindow(from, to time.Time) (f, e time.Time, proof bool) {
	f, e, measured := l.wide(from, to)
	if !measured {
		f, e = earlier(f, from.Add(-zoneSkew)), later(e, to.Add(zoneSkew))
	}
	if e.Sub(f) > maxListWindow {
		return f, f.Add(maxListWindow), false
	}
	return f, e, true
}
