package campaign

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// Tuning of the tracker.
const (
	// clockSkew widens every executions-list window: Bolna filters on its own created_at, and
	// its clock and ours may disagree.
	clockSkew = 15 * time.Minute
	// maxListWindow is the widest window the list serves (seven days), less the skew margins.
	maxListWindow = 7*24*time.Hour - 2*clockSkew - time.Hour
	// settlePause is the longest wait between two searches, at start, for the calls a crashed
	// run may have placed.
	settlePause = 2 * time.Second
	// maxCheckInterval caps how far the pacer puts off a look at the calls holding a slot.
	maxCheckInterval = 15 * time.Second
	// ownLooks is how many intervals a call that neither holds a slot nor is final waits for
	// a look of its own while the looks at the calls holding one go on.
	ownLooks = 4
	// fetchers bounds the GETs in flight at once.
	fetchers = 8
	// maxFallbackReads is how many due calls a failed list read is made up for with a GET each.
	maxFallbackReads = 2 * fetchers
	// pushGrace is how long after the first call ends the runner waits for a first push before
	// it says the agent's webhook_url is not pointing here and polls as usual.
	pushGrace = time.Minute
	// maxListPages caps the pages of one read of the list: a list that always has more
	// cannot hold the tracker (50,000 calls, far more than any window of ours holds).
	maxListPages = 1000
	// confirmEvery is the grid on which slots freed on the word of a push are confirmed by a
	// look (see tracker.confirm).
	confirmEvery = 5 * time.Second
	// maxPendingEvents bounds the observations waiting for the tracker, and the pushes kept
	// for calls whose POST reply has not come back yet: a flood cannot grow memory.
	maxPendingEvents = 1024
)

// tracker follows every live call to its final status, in one goroutine. It checks many calls
// at once through the executions list where that is cheaper than a GET per call, releases a
// call's concurrency slot as soon as its line drops (call-disconnected), and reads each call by
// id once, when it is final, for the whole payload. The calls holding a slot are looked at
// together, when the pacer says (as often as the poll interval and the run's list budget
// allow, once lines are likely to have dropped); the others (queued behind Bolna's guardrails,
// post-processing, or all of them once nothing is left to dial) every few intervals.
type tracker struct {
	trackerDeps
	slots int

	// The tracker is a loop (run) over parts with one job each.
	adds  chan *attempt // calls just placed (see add)
	book  *book         // the calls followed (written by the ledger's moves only)
	in    *intake       // the observations from sources of their own (pushes: see Runner.Observe)
	lists *lister       // the reader of the executions list
	sched *scheduler    // when each call is looked at

	known   map[string]bool // the journal's calls with an execution id: never taken for an orphan's (see orphans)
	created created         // when this run's recent calls were placed: what an unfiltered sweep pages through

	warnedRescheduled bool // said once that Bolna's guardrails moved a call

	stoppedCalls int         // calls stopped before they rang (see stopWaiting)
	stopAll      atomic.Bool // stop every call that has not rung (bolna-campaign stop)
}

// trackerDeps are what the tracker works with: nothing else of the runner.
type trackerDeps struct {
	cfg     *Config
	dialer  Dialer
	st      *journal.State
	ledger  *ledger
	looks   *pacer          // when the calls are looked at (see newLimits)
	stopped <-chan struct{} // the run was told to stop (settle gives up waiting)
}

func newTracker(deps trackerDeps) *tracker {
	t := &tracker{trackerDeps: deps, book: deps.ledger.book, in: newIntake(deps.cfg),
		lists: &lister{cfg: deps.cfg, dialer: deps.dialer, budget: &deps.looks.pages}}
	t.sched = &scheduler{cfg: deps.cfg, pace: deps.looks, book: t.book, in: t.in, pages: t.listPages}
	return t
}

// start gives the tracker the run's slots: the ledger's pool, holding the calls it follows.
func (t *tracker) start(slots int) {
	t.slots, t.adds = slots, make(chan *attempt, slots)
}

// holding is how many followed calls hold a slot.
func (t *tracker) holding() int { return t.book.holding() }

// add hands the tracker a call just placed (or whose reply was lost), holding one slot. Once
// ctx has ended the tracker is gone; the call stays live in the journal for the next run.
//
// Its --max-wait and its slot time count from now, when POST /call was answered: a placement
// retried through a burst of 429s still gets the whole wait.
func (t *tracker) add(ctx context.Context, a *attempt) {
	now := t.cfg.Now()
	a.seenAt, a.placedAt, a.heardAt, a.deadline = now, now, now, now.Add(t.cfg.MaxWait)
	select {
	case t.adds <- a:
	case <-ctx.Done():
	}
}

// run follows calls until dispatching is over and no call is left, or ctx ends. It wakes when
// the earliest call is due, so a dropped line is seen within one poll interval.
func (t *tracker) run(ctx context.Context, dispatchDone <-chan struct{}) error {
	timer := time.NewTimer(t.cfg.PollInterval)
	defer timer.Stop()
	wake := t.cfg.Now().Add(t.cfg.PollInterval)
	done := dispatchDone
	for {
		if done == nil && len(t.book.calls) == 0 && len(t.adds) == 0 {
			return nil
		}
		select {
		case c := <-t.adds:
			now := t.cfg.Now()
			t.created.add(c.DialedAt, now.Add(-t.cfg.MaxWait-clockSkew))
			if c.phase == phaseSearching {
				c.lostAt = now
			}
			c.nextCheck = t.sched.align(now.Add(maxCheckInterval))
			if c.phase == phaseSearching || t.sched.draining {
				c.nextCheck = t.sched.align(now)
			} else if t.sched.slotCheck.IsZero() {
				t.sched.slotCheck = now.Add(t.cfg.PollInterval)
			}
			if _, err := t.ledger.apply(c, event{kind: evTracked}); err != nil {
				return err
			}
			if ob, ok := t.in.early[c.ExecutionID]; ok && c.ExecutionID != "" {
				delete(t.in.early, c.ExecutionID) // pushed before the POST's reply came back
				if err := t.applyOrRead(c, ob, seenPushed, now); err != nil {
					return err
				}
			}
			if due := t.sched.due(c); due.Before(wake) {
				wake = due
				timer.Reset(max(wake.Sub(now), time.Millisecond))
			}
		case <-done:
			done, t.sched.draining = nil, true
			// Nothing is left to dial: a freed slot is no longer worth a look of its own.
			now := t.cfg.Now()
			for _, c := range t.book.calls {
				c.nextCheck = earlier(c.nextCheck, t.sched.align(now))
			}
		case ex := <-t.in.events:
			if err := t.observed(ex, t.cfg.Now()); err != nil {
				return err
			}
			if next := t.sched.nextWake(); next.Before(wake) {
				wake = next
				timer.Reset(max(wake.Sub(t.cfg.Now()), time.Millisecond))
			}
		case <-timer.C:
			if err := t.sweep(ctx); err != nil {
				return err
			}
			wake = t.sched.nextWake()
			timer.Reset(max(wake.Sub(t.cfg.Now()), time.Millisecond))
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// sweep checks the calls that are due.
func (t *tracker) sweep(ctx context.Context) error {
	now := t.cfg.Now()
	var due, lost []*attempt
	for _, c := range t.book.calls {
		if reason := t.stopReason(c, now); reason != "" {
			stopped, err := t.stopWaiting(ctx, c, reason)
			if err != nil {
				return err
			}
			if stopped {
				continue
			}
		}
		if !now.Before(c.deadline) {
			o := journal.Outcome{Status: journal.StatusTimeout, ExecutionID: c.ExecutionID, Attempts: c.Attempt, DialedAt: c.DialedAt,
				Error: fmt.Sprintf("no final status after %s (last seen: %s); the next run follows it again", human.ShortDuration(t.cfg.MaxWait), orNone(c.status))}
			if _, err := t.ledger.apply(c, event{kind: evTimedOut, outcome: &o}); err != nil {
				return err
			}
			continue
		}
		if now.Before(t.sched.due(c)) {
			continue
		}
		if c.phase == phaseSearching {
			lost = append(lost, c)
		} else {
			due = append(due, c)
		}
	}
	// The look at the calls holding a slot is this sweep when one of them is due; other
	// sweeps (calls in post-processing, say) leave its time as it is.
	looked := slices.ContainsFunc(due, t.sched.paced)
	plan := t.plan(due, now)
	if plan.pages > 0 {
		// The list budget first: checks that would pass it wait until it has their pages
		// (the look at the calls holding a slot was planned with them already).
		if ready := t.sched.pace.pages.readyAt(plan.pages, now); ready.After(now) {
			for _, c := range due {
				c.nextCheck = ready
			}
			if !t.sched.slotCheck.IsZero() && t.sched.slotCheck.Before(ready) {
				t.sched.slotCheck = ready
			}
			due, looked = nil, false
		}
	}
	if len(due) > 0 {
		if err := t.check(ctx, due, plan, now); err != nil {
			return err
		}
	}
	for _, c := range lost {
		if err := t.search(ctx, c, now); err != nil {
			return err
		}
	}
	t.in.checkPushes(now, t.book.firstFinal)
	if looked || t.sched.slotCheck.IsZero() || t.in.pushing() { // (with pushes, the safety net moves as they come)
		t.sched.schedule(now)
	}
	return nil
}
