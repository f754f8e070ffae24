package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Crash recovery: what a run does, before it dials anyone, with the attempts an earlier run
// left behind (see tracker.settle, tracker.adopt, tracker.survey).

// orphan is an intent an earlier run recorded but never heard back about, looked for until
// deadline: a search from then on that does not find its call proves it absent.
type orphan struct {
	*attempt
	deadline time.Time
}

// settle resolves, before anything is dialled, the intents an earlier run recorded but never
// heard back about (it died between syncing the intent and reading the reply), and the intents
// a crash cut mid-record (see journal.State.Torn). Each is looked for in the executions list until no
// call it made could still be missing from it: the dead run's POST left before this run
// started and before its timeout ran out, and the list shows a new call within
// Config.ListLag. Found, the call is followed. Shown absent by a search that read the list, the
// intent is voided and its row dialled as if the crashed run had never reached it. A search
// that could not run proves nothing: the run stops, nothing dialled. A call too old for the
// list (it spans seven days) cannot be looked for: its row ends unknown.
//
// The calls found are followed from then on (see adopt). It returns how many, and whether
// rows changed from what a scan of the list counted.
func (t *tracker) settle(ctx context.Context, live, torn []journal.LiveCall, runStart time.Time) (int, bool, error) {
	pending, err := t.orphans(live, torn, runStart)
	if err != nil || len(pending) == 0 {
		return 0, false, err
	}
	if err := t.learnOffset(ctx, live); err != nil {
		return 0, false, err
	}
	last := pending[0].deadline
	for _, o := range pending {
		last = later(last, o.deadline)
	}
	t.cfg.logf("an earlier run stopped while placing %d calls: looking for them before dialling anyone, until %s at the latest (Bolna's list may take --list-lag to show a call)",
		len(pending), last.Format(time.TimeOnly))
	found := 0
	for len(pending) > 0 {
		now := t.cfg.Now()
		var still []orphan
		for _, o := range pending {
			a, done, err := t.lookFor(ctx, o, now)
			switch {
			case err != nil:
				return found, false, err
			case a != nil: // followed as an earlier run's call is (see adopt)
				a.seenAt, a.placedAt, a.deadline = runStart, a.DialedAt, runStart.Add(t.cfg.MaxWait)
				found++
			case !done:
				still = append(still, o)
			}
		}
		if pending = still; len(pending) == 0 {
			break
		}
		wait := settlePause
		for _, o := range pending {
			wait = min(wait, o.deadline.Sub(now))
		}
		select {
		case <-time.After(max(wait, time.Millisecond)):
		case <-t.stopped:
			return found, false, ErrStopped
		case <-ctx.Done():
			return found, false, context.Cause(ctx)
		}
	}
	return found, true, nil
}

// orphans starts the search for the intents an earlier run left with no execution id (and
// the torn ones), each until its horizon: the dead run's POST may have reached Bolna as late as
// its timeout allowed, whenever the run died, and Bolna's list may take ListLag to show the
// call. The calls with an execution id are known: a search never takes one for an orphan's.
func (t *tracker) orphans(live, torn []journal.LiveCall, runStart time.Time) ([]orphan, error) {
	horizon := func(lc journal.LiveCall) time.Time {
		sent := runStart
		if !lc.DialedAt.IsZero() {
			sent = lc.DialedAt.Add(t.cfg.PlaceTimeout)
		}
		return sent.Add(t.cfg.ListLag)
	}
	var pending []orphan
	add := func(lc journal.LiveCall, torn bool) error {
		a := &attempt{LiveCall: lc, adopted: true, torn: torn}
		if _, err := t.ledger.apply(a, event{kind: evOrphaned}); err != nil {
			return err
		}
		pending = append(pending, orphan{attempt: a, deadline: horizon(lc)})
		return nil
	}
	if t.known == nil {
		t.known = map[string]bool{}
	}
	for _, lc := range live {
		if lc.ExecutionID != "" {
			t.known[lc.ExecutionID] = true
		} else if err := add(lc, false); err != nil {
			return nil, err
		}
	}
	for _, lc := range torn {
		lc.Ref = t.st.RefPrefix(lc.Key, lc.Attempt)
		if lc.DialedAt.IsZero() {
			lc.DialedAt = runStart.Add(-maxListWindow / 2) // when is lost with the rest of the record
		}
		if err := add(lc, true); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// lookFor searches once for the call of an orphaned intent: found, it is recorded (and
// returned); shown absent (by a search of a proof window, once its deadline has passed), or
// too old to look for, the attempt ends (done). A search that cannot run (the list refuses to
// be read, or does not page) or cannot prove anything leaves it unknown and unresolved: its row
// is dialled by no run until a later search settles it. A search that failed otherwise stops
// the run: it proves nothing, and nothing may be dialled until it does.
func (t *tracker) lookFor(ctx context.Context, o orphan, now time.Time) (found *attempt, done bool, err error) {
	a := o.attempt
	ex, searched, proof, err := t.find(ctx, a, now, windowWide)
	if err == nil && ex == nil && searched && !proof && !now.Before(o.deadline) {
		ex, searched, proof, err = t.find(ctx, a, now, windowProof)
	}
	if err != nil {
		if fatal := t.fatal(err); fatal != nil {
			return nil, false, fatal
		}
		if errors.Is(err, dialer.ErrGateClosed) {
			return nil, false, err
		}
		if t.lists.refusedList(err) || errors.Is(err, errListLoops) {
			return nil, true, t.leaveUnresolved(a, err.Error())
		}
		return nil, false, &FatalError{fmt.Errorf("looking for calls an earlier run may have placed (nothing was dialled; the next run looks again): %w", err)}
	}
	switch {
	case ex != nil:
		if a.torn {
			a.Ref = ex.ContextDetails.RecipientValue(contacts.RefKey)
		}
		if _, err := t.ledger.apply(a, event{kind: evFound, id: string(ex.ID)}); err != nil {
			return nil, false, err
		}
		t.cfg.logCall(a, "found the call to %s that an earlier run placed before it stopped: %s", maskPhone(a.Phone), a.ExecutionID)
		return a, true, nil
	case !searched:
		o := journal.Outcome{Status: journal.StatusUnknown, Attempts: a.Attempt, DialedAt: a.DialedAt,
			Error: "an earlier run stopped while placing this call, too long ago for Bolna's list to show it; not dialled again unless --retry unknown"}
		_, err := t.ledger.apply(a, event{kind: evUnfound, outcome: &o})
		return nil, true, err
	case now.Before(o.deadline):
		return nil, false, nil
	case !proof:
		return nil, true, t.leaveUnresolved(a, "no window of Bolna's list could be shown to cover it")
	}
	t.cfg.logCall(a, "an earlier run stopped before its call to %s reached Bolna: it will be dialled", maskPhone(a.Phone))
	_, err = t.ledger.apply(a, event{kind: evAbsent})
	return nil, true, err
}

// leaveUnresolved ends an orphan that cannot be looked for (why): unknown and unresolved, its
// row is dialled by no run until a later search finds its call or shows it absent.
func (t *tracker) leaveUnresolved(a *attempt, why string) error {
	t.cfg.warnCall(a, "an earlier run stopped while placing its call to %s, and the call cannot be looked for (%s): its row stays unknown, and no run dials it until a search finds the call or shows it absent",
		maskPhone(a.Phone), why)
	o := unresolvedOutcome(a.LiveCall, why)
	_, err := t.ledger.apply(a, event{kind: evUnresolved, outcome: &o})
	return err
}

// learnOffset measures Bolna's clock before any orphan is looked for, from the newest calls
// the journal has with their execution ids and the times their POSTs left and were answered:
// read by id, each one's created_at bounds the offset (see clockOffset), so an orphan is looked
// for where Bolna's clock put it, and a miss there proves it absent. A call that cannot be read
// teaches nothing; a refused key stops the run.
func (t *tracker) learnOffset(ctx context.Context, live []journal.LiveCall) error {
	var known []journal.LiveCall
	for _, lc := range live { // sorted by dial time: the newest last
		if lc.ExecutionID != "" && !lc.PlacedAt.IsZero() && !lc.DialedAt.IsZero() {
			known = append(known, lc)
		}
	}
	for _, lc := range known[max(0, len(known)-minOffsetSamples):] { // oldest first: a jump leaves the newest measure
		ex, err := t.dialer.Execution(ctx, lc.ExecutionID)
		if err != nil {
			if fatal := t.fatal(err); fatal != nil || errors.Is(err, dialer.ErrGateClosed) {
				return cmp.Or(fatal, err)
			}
			continue
		}
		t.lists.offset.note(ex.CreatedAt.Time, lc.DialedAt, lc.PlacedAt)
	}
	return nil
}

// adopt takes over a call left live by an earlier run: it takes a slot without waiting (see
// pool.retake), and the tracker follows it.
func (t *tracker) adopt(lc journal.LiveCall, runStart time.Time) error {
	a := &attempt{LiveCall: lc, adopted: true, seenAt: runStart, placedAt: lc.DialedAt, deadline: runStart.Add(t.cfg.MaxWait)}
	_, err := t.ledger.apply(a, event{kind: evAdopted})
	return err
}

// survey looks once at the calls left live by earlier runs (adopted), before the pool is
// sized: those that ended are recorded, those in post-processing hold no slot. It returns how
// many are dialling, ringing or talking: those count in the account's concurrency.current. A
// call it could not read keeps its slot and counts as not active, so the pool errs small.
func (t *tracker) survey(ctx context.Context) (int, error) {
	if len(t.book.calls) == 0 {
		return 0, nil
	}
	due := make([]*attempt, 0, len(t.book.calls))
	for _, c := range t.book.calls {
		due = append(due, c)
	}
	now := t.cfg.Now()
	if err := t.check(ctx, due, t.plan(due, now), now); err != nil {
		return 0, err
	}
	active := 0
	for _, c := range t.book.calls {
		if c.status.Active() {
			active++
		}
	}
	return active, nil
}
