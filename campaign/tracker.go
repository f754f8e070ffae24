package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
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

// seenBy is where an observation of a call comes from.
type seenBy int

const (
	seenInList seenBy = iota // an item of the executions list (maybe trimmed)
	seenByID                 // GET /executions/{id}: the whole payload
	seenPushed               // a push from Bolna (see Runner.Observe): believed only so far
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

	adds     chan *attempt
	calls    map[string]*attempt // by execution id, or by ref while the id is unknown
	draining bool                // nothing is left to dial: a freed slot is no longer urgent

	pace      *pacer
	slotCheck time.Time // when the calls holding a slot are due; zero while none is
	created   created   // when this run's recent calls were placed: what an unfiltered sweep pages through
	offset    clockOffset

	failingSince time.Time // since when every read has failed; zero while reads succeed
	noFutureTo   bool      // the list refused a window ending in the future
	noStatusList bool      // the list refused its status filter: sweeps page through every call
	noList       bool      // the list refused a plain request (400): calls are read by id

	warnedRescheduled bool // said once that Bolna's guardrails moved a call

	events chan *dialer.Execution       // observations from sources of their own (see Runner.Observe)
	early  map[string]*dialer.Execution // pushed before the POST's reply named the call, by id
	seen   ObservationStats             // what came through events
	seenMu sync.Mutex                   // guards seen, closed, and sending on events
	closed bool                         // the tracker stopped: events are no longer read

	firstFinal   time.Time // when the first call of the run ended
	pushFallback bool      // pushes were expected and none came: polling as usual

	unconfirmed int // slots freed on the word of pushes alone, not yet confirmed by a look
	reports     pushReports

	ended recentIDs // the calls that ended lately: a push about one of them is late, not foreign

	stoppedCalls int         // calls stopped before they rang (see stopWaiting)
	stopAll      atomic.Bool // stop every call that has not rung (bolna-campaign stop)
}

// callStopper is what a Dialer may do to a call that has not rung: *dialer.Client stops it
// (POST /call/{id}/stop).
type callStopper interface {
	StopCall(ctx context.Context, id string) error
}

// stopReason says why a call still waiting at Bolna (queued, scheduled, rescheduled) should
// be stopped now, or "" when it should not: its --max-wait is over, its contact's calling
// window has closed (Bolna would ring it later, outside the hours), or the campaign was told
// to stop.
func (t *tracker) stopReason(c *attempt, now time.Time) string {
	if c.phase != phaseQueued || c.stopRefused {
		return ""
	}
	switch {
	case t.stopAll.Load():
		return "stopped before it rang (bolna-campaign stop); the attempt is given back"
	case !now.Before(c.deadline):
		return fmt.Sprintf("still queued at Bolna after --max-wait %s: stopped before it rang; the attempt is given back", ShortDuration(t.cfg.MaxWait))
	case c.Zone != nil && t.cfg.Window != nil && !t.cfg.Window.Contains(now.In(c.Zone)):
		return fmt.Sprintf("still queued at Bolna when its calling hours %s (%s) ended: stopped before it rang; the attempt is given back", t.cfg.Window, c.Zone)
	}
	return ""
}

// stopWaiting stops a call that has not rung: its slot and number are free again, its
// attempt is given back and its row is pending with reason. A stop Bolna refuses because the
// call has started is no error: the call is followed to its end as any other.
func (t *tracker) stopWaiting(ctx context.Context, c *attempt, reason string) (bool, error) {
	stopper, ok := t.dialer.(callStopper)
	if !ok {
		return false, nil
	}
	err := stopper.StopCall(ctx, c.ExecutionID)
	var apiErr *dialer.APIError
	switch {
	case err == nil:
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !apiErr.Unauthorized() && apiErr.StatusCode != 429:
		c.stopRefused = true // it has started: followed to its end
		t.cfg.Log("call %s could not be stopped (%v): it has started, and is followed to its end", c.ExecutionID, err)
		return false, nil
	default:
		if fatal := t.fatal(err); fatal != nil {
			return false, fatal
		}
		t.cfg.Log("stopping call %s: %v; trying again", c.ExecutionID, err)
		return false, nil
	}
	if err := t.move(c, phaseVoid, step{reason: reason}); err != nil {
		return false, err
	}
	t.stoppedCalls++
	t.cfg.Log("stopped call %s to %s: %s", c.ExecutionID, maskPhone(c.Phone), reason)
	return true, nil
}

// pushReports estimates the share of dropped lines that pushes fail to report: of the recent
// calls whose line dropped while they held a slot, those a look saw first. A new run assumes
// half until it knows.
type pushReports struct{ pushed, looked float64 }

// reportDecay weighs the latest drops most: the estimate follows pushes that stop within
// a score of calls.
const reportDecay = 0.95

func (p *pushReports) note(byPush bool) {
	p.pushed, p.looked = p.pushed*reportDecay, p.looked*reportDecay
	if byPush {
		p.pushed++
	} else {
		p.looked++
	}
}

func (p *pushReports) unseen() float64 { return (p.looked + 0.1) / (p.looked + p.pushed + 0.2) }

// recentIDs remembers the latest maxPendingEvents ids added, in a ring.
type recentIDs struct {
	ring []string
	next int
	has  map[string]bool
}

func (r *recentIDs) add(id string) {
	if r.has == nil {
		r.has = map[string]bool{}
	}
	if len(r.ring) < maxPendingEvents {
		r.ring = append(r.ring, id)
	} else {
		delete(r.has, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
	}
	r.has[id] = true
}

// maxUnconfirmed bounds the slots freed on the word of pushes alone: forged pushes can put at
// most that many calls beyond the pool until a look contradicts them (within confirmEvery).
// Half the pool: genuine pushes free slots faster than looks confirm them (at concurrency 8
// and calls of seconds, a quarter held utilisation to 0.993 at 1.45 requests a call; half
// gives 0.998 at 1.23).
func (t *tracker) maxUnconfirmed() int { return max(1, t.slots/2) }

// pushing reports whether Bolna's pushes carry the calls' statuses: polling is only the
// safety net then.
func (t *tracker) pushing() bool { return t.cfg.Pushes && !t.pushFallback }

// checkPushes gives up on pushes, once, when none has come a while after the first call ended.
func (t *tracker) checkPushes(now time.Time) {
	if !t.pushing() || t.firstFinal.IsZero() || now.Sub(t.firstFinal) < pushGrace {
		return
	}
	t.seenMu.Lock()
	none := t.seen.Matched == 0
	t.seenMu.Unlock()
	if none {
		t.pushFallback = true
		t.cfg.Log("no push from Bolna has arrived %s after the first call ended: the agent's webhook_url is probably not pointing here; polling as usual (a look every %s while lines may have dropped, as the list's share allows)", ShortDuration(pushGrace), ShortDuration(t.cfg.PollInterval))
	}
}

// trackerDeps are what the tracker works with: nothing else of the runner.
type trackerDeps struct {
	cfg     *Config
	dialer  Dialer
	st      *journal.State
	ledger  *ledger
	stopped <-chan struct{}     // the run was told to stop (settle gives up waiting)
	halt    func(reason string) // stop placing calls, for a reason the summary reports
}

func newTracker(deps trackerDeps) *tracker {
	return &tracker{trackerDeps: deps, calls: map[string]*attempt{}, pace: newPacer(deps.cfg.PollInterval, deps.cfg.Limits.List),
		events: make(chan *dialer.Execution, maxPendingEvents)}
}

// start gives the tracker the run's slots: the ledger's pool, holding the calls it follows.
func (t *tracker) start(slots int) {
	t.slots, t.adds = slots, make(chan *attempt, slots)
}

// holding is how many followed calls hold a slot.
func (t *tracker) holding() int {
	n := 0
	for _, c := range t.calls {
		if c.phase.holdsSlot() {
			n++
		}
	}
	return n
}

// interval is how often the calls that are not paced with those holding a slot are checked:
// the poll interval, and more once nothing is left to dial. It changes seldom, so that checks
// stay on one grid.
func (t *tracker) interval() time.Duration {
	if t.draining {
		return t.pace.drainInterval(t.cfg.PollInterval)
	}
	return t.cfg.PollInterval
}

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
		if done == nil && len(t.calls) == 0 && len(t.adds) == 0 {
			return nil
		}
		select {
		case c := <-t.adds:
			now := t.cfg.Now()
			t.created.add(c.DialedAt, now.Add(-t.cfg.MaxWait-clockSkew))
			if c.phase == phaseSearching {
				c.lostAt = now
			}
			c.nextCheck = t.align(now.Add(maxCheckInterval))
			if c.phase == phaseSearching || t.draining {
				c.nextCheck = t.align(now)
			} else if t.slotCheck.IsZero() {
				t.slotCheck = now.Add(t.cfg.PollInterval)
			}
			t.calls[c.id()] = c
			if ob, ok := t.early[c.ExecutionID]; ok && c.ExecutionID != "" {
				delete(t.early, c.ExecutionID) // pushed before the POST's reply came back
				if err := t.applyOrRead(t.calls[c.id()], ob, seenPushed, now); err != nil {
					return err
				}
			}
			if due := t.due(c); due.Before(wake) {
				wake = due
				timer.Reset(max(wake.Sub(now), time.Millisecond))
			}
		case <-done:
			done, t.draining = nil, true
			// Nothing is left to dial: a freed slot is no longer worth a look of its own.
			now := t.cfg.Now()
			for _, c := range t.calls {
				c.nextCheck = earlier(c.nextCheck, t.align(now))
			}
		case ex := <-t.events:
			if err := t.observed(ex, t.cfg.Now()); err != nil {
				return err
			}
			if next := t.nextWake(); next.Before(wake) {
				wake = next
				timer.Reset(max(wake.Sub(t.cfg.Now()), time.Millisecond))
			}
		case <-timer.C:
			if err := t.sweep(ctx); err != nil {
				return err
			}
			wake = t.nextWake()
			timer.Reset(max(wake.Sub(t.cfg.Now()), time.Millisecond))
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// nextWake is when the earliest call is due (for a check or its --max-wait), at most one
// interval away.
func (t *tracker) nextWake() time.Time {
	wake := t.cfg.Now().Add(t.interval())
	for _, c := range t.calls {
		wake = earlier(wake, earlier(t.due(c), c.deadline))
	}
	return wake
}

// due is when a call is due for a check: with the other calls holding a slot while those
// are paced, else at its own time.
func (t *tracker) due(c *attempt) time.Time {
	if t.paced(c) && !t.slotCheck.IsZero() {
		return earlier(t.slotCheck, c.nextCheck)
	}
	return c.nextCheck
}

// paced reports whether a call is looked at with the calls holding a slot, when the pacer
// says: it holds one, something is left to dial, its execution id is known, and it is not
// waiting on Bolna's guardrails (which hold it for hours).
func (t *tracker) paced(c *attempt) bool {
	return c.phase.holdsSlot() && c.phase != phaseSearching && !t.draining && !c.status.Held()
}

// schedule sets when the calls holding a slot are looked at next, the last look being now.
func (t *tracker) schedule(now time.Time) {
	var (
		hs    []holder
		paced []*attempt
	)
	for _, c := range t.calls {
		if t.paced(c) {
			hs = append(hs, holder{placed: c.placedAt, seen: c.seenAt})
			paced = append(paced, c)
		}
	}
	t.slotCheck = time.Time{}
	if len(hs) == 0 {
		return
	}
	if !t.pushing() {
		t.slotCheck = t.pace.nextLook(now, hs, t.listPages(paced))
		return
	}
	// Pushes report most dropped lines: look as polling would for the share they do not
	// report (from nearly never while every push arrives, to polling as usual once they stop),
	// and at once for a call silent longer than most calls last (its push may be lost), but
	// never sooner than the poll interval.
	next := t.pace.nextLookFor(now, hs, t.listPages(paced), t.reports.unseen())
	expect := t.cfg.SafetySweep
	if t.pace.measured() {
		expect = t.pace.quantile(0.9)
	}
	for _, c := range t.calls {
		if t.paced(c) {
			next = earlier(next, later(c.heardAt, c.placedAt).Add(expect))
		}
	}
	t.slotCheck = later(next, now.Add(t.cfg.PollInterval))
}

// align puts a check time on the grid of the check interval, so that calls placed at
// different moments come due together and one list request serves them all.
func (t *tracker) align(now time.Time) time.Time {
	iv := t.interval()
	return now.Truncate(iv).Add(iv)
}

// sweep checks the calls that are due.
func (t *tracker) sweep(ctx context.Context) error {
	now := t.cfg.Now()
	var due, lost []*attempt
	for _, c := range t.calls {
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
				Error: fmt.Sprintf("no final status after %s (last seen: %s); the next run follows it again", ShortDuration(t.cfg.MaxWait), orNone(c.status))}
			if err := t.finish(c, o); err != nil {
				return err
			}
			continue
		}
		if now.Before(t.due(c)) {
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
	looked := slices.ContainsFunc(due, t.paced)
	plan := t.plan(due, now)
	if plan.pages > 0 {
		// The list budget first: checks that would pass it wait until it has their pages
		// (the look at the calls holding a slot was planned with them already).
		if ready := t.pace.pages.readyAt(plan.pages, now); ready.After(now) {
			for _, c := range due {
				c.nextCheck = ready
			}
			if !t.slotCheck.IsZero() && t.slotCheck.Before(ready) {
				t.slotCheck = ready
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
	t.checkPushes(now)
	if looked || t.slotCheck.IsZero() || t.pushing() { // (with pushes, the safety net moves as they come)
		t.schedule(now)
	}
	return nil
}

func orNone(s dialer.Status) string {
	if s == "" {
		return "none"
	}
	return string(s)
}

// check brings the due calls up to date as planned (see plan): through the list when it is
// cheaper, by id otherwise, then by id for the full payload of those that became final.
func (t *tracker) check(ctx context.Context, due []*attempt, plan sweepPlan, now time.Time) error {
	var byID []*attempt
	if plan.pages > 0 {
		unseen, finals, err := t.listSweep(ctx, due, plan.statuses, now)
		if err != nil {
			if fatal := t.fatal(err); fatal != nil {
				return fatal
			}
			var apiErr *dialer.APIError
			if plan.statuses != nil && errors.As(err, &apiErr) && apiErr.StatusCode == 400 && !t.noStatusList {
				t.noStatusList = true
				t.cfg.Log("the executions list refused its status filter (%v); sweeps page through every call from here on", err)
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if plan.statuses == nil && t.refusedList(err) {
				return t.fetch(ctx, due, now) // not an outage: the calls are read by id
			}
			if len(due) > maxFallbackReads {
				// A GET for each of hundreds of calls would spend minutes of the share of
				// other requests, and hold the tracker while the client waits for it: the
				// calls wait for the next look, and the failure counts for the outage rule.
				t.cfg.Log("listing executions failed (%v); looking again at the next look", err)
				for _, c := range due {
					c.nextCheck = later(c.nextCheck, t.align(now))
				}
				return t.noteReads([]error{err}, now)
			}
			t.cfg.Log("listing executions failed (%v); checking calls one by one", err)
			byID = due
		} else {
			byID = append(unseen, finals...)
		}
	} else {
		byID = due
	}
	return t.fetch(ctx, byID, now)
}

// apply is the one path from an observation of a call to what it means, whatever saw it (a
// list sweep, a GET, a search that found the call, a push from Bolna): an outcome recorded when
// the status is final and the payload holds everything the results need (read by id, or
// complete: see dialer.Execution.Complete), a GET asked for (fetch) when it is final but a
// trimmed list item or a half-filled push, and otherwise the slot released if the line has
// dropped and the next look scheduled (see observe).
func (t *tracker) apply(c *attempt, ex *dialer.Execution, how seenBy, now time.Time) (fetch bool, err error) {
	c.heardAt = now
	if !c.adopted && !c.placedAt.IsZero() && how != seenPushed {
		t.offset.note(ex.CreatedAt.Time, c.DialedAt, c.placedAt)
	}
	if t.cfg.Pushes && c.phase.holdsSlot() && !c.reported && (ex.Status.Dropped() || ex.Status.Final()) {
		c.reported = true // who told of the dropped line first: a push, or a look
		t.reports.note(how == seenPushed)
		t.count(func(s *ObservationStats) {
			if how == seenPushed {
				s.DropsPushed++
			} else {
				s.DropsLooked++
			}
		})
	}
	whole := how == seenByID || ex.Complete() || !ex.Status.PostCallData()
	if ex.Status.Final() && whole && t.cfg.Pushes {
		t.count(func(s *ObservationStats) {
			if how == seenPushed {
				s.OutcomesPushed++
			} else {
				s.OutcomesLooked++
			}
		})
	}
	switch {
	case ex.Status.Final() && whole:
		// Nothing more to read: the call never connected, or the payload is whole.
		return false, t.finish(c, outcomeOf(ex, c.Attempt, c.DialedAt, now))
	case ex.Status.Final():
		return true, nil
	}
	return false, t.observe(c, ex, how, now)
}

// observed applies an observation from a source of its own (see Runner.Observe): about a call
// this run follows, matched by execution id, or by the reference the runner put in user_data
// when the push came before the POST's reply. Anything else (another campaign's call, a test
// call from the dashboard, a pre-call tool webhook) is counted and ignored.
func (t *tracker) observed(ex *dialer.Execution, now time.Time) error {
	if !dialer.ValidID(string(ex.ID)) { // not an id Bolna gives: it never reaches the journal
		t.count(func(s *ObservationStats) { s.Ignored++ })
		return nil
	}
	c := t.calls[string(ex.ID)]
	if c == nil {
		var err error
		if c, err = t.byRef(ex); err != nil || c == nil {
			return err
		}
	}
	if !t.isOf(c, ex) {
		t.count(func(s *ObservationStats) { s.Foreign++ })
		return nil
	}
	t.count(func(s *ObservationStats) { s.Matched++ })
	return t.applyOrRead(c, ex, seenPushed, now)
}

// byRef finds the call of a push that names no call this run follows by id: one whose
// placement reply was lost (found without a search), or one whose reply is on its way (the
// push is kept until the call is added). Late pushes and others' are counted.
func (t *tracker) byRef(ex *dialer.Execution) (*attempt, error) {
	if ref := ex.ContextDetails.RecipientValue(contacts.RefKey); ref != "" && strings.HasPrefix(ref, t.st.Campaign()+"-") {
		for _, c := range t.calls {
			if c.phase == phaseSearching && c.Ref == ref {
				return c, t.placed(c, string(ex.ID))
			}
		}
		if len(t.early) < maxPendingEvents && t.st.Placing(ref) {
			// Ours, and the POST's reply is on its way: kept until the call is added.
			if t.early == nil {
				t.early = map[string]*dialer.Execution{}
			}
			t.early[string(ex.ID)] = ex
			t.count(func(s *ObservationStats) { s.Matched++ })
			return nil, nil
		}
	}
	if t.ended.has[string(ex.ID)] {
		t.count(func(s *ObservationStats) { s.Late++ }) // one of ours, after its outcome was recorded
	} else {
		t.count(func(s *ObservationStats) { s.Ignored++ })
	}
	return nil, nil
}

// placed records the execution id of a call whose placement reply was lost, now found.
func (t *tracker) placed(c *attempt, id string) error {
	delete(t.calls, c.id())
	err := t.move(c, phaseUnknown, step{placed: id})
	t.calls[c.id()] = c
	return err
}

// isOf reports whether a push about c's execution id is believable as c's: its agent, when it
// says, is the run's, and its recipient, when it says, is c's number. A push that fails either
// (a forged or misrouted one) must not become the call's outcome, nor count for --max-cost.
func (t *tracker) isOf(c *attempt, ex *dialer.Execution) bool {
	if ex.AgentID != "" && t.cfg.AgentID != "" && ex.AgentID != t.cfg.AgentID {
		return false
	}
	to := ex.RecipientNumber()
	return to == "" || c.Phone == "" || to == c.Phone
}

// applyOrRead applies a payload seen outside the tracker's looks (a push, a search's list
// item); one that is final but not whole has its call read by id at once.
func (t *tracker) applyOrRead(c *attempt, ex *dialer.Execution, how seenBy, now time.Time) error {
	fetch, err := t.apply(c, ex, how, now)
	if fetch {
		c.nextCheck = now
	}
	return err
}

// closeEvents ends the intake of observations once the tracker has stopped: those still
// waiting, and any later, are counted as ignored.
func (t *tracker) closeEvents() {
	t.seenMu.Lock()
	defer t.seenMu.Unlock()
	t.closed = true
	for {
		select {
		case <-t.events:
			t.seen.Ignored++
		default:
			return
		}
	}
}

func (t *tracker) count(f func(*ObservationStats)) {
	t.seenMu.Lock()
	f(&t.seen)
	t.seenMu.Unlock()
}

// list reads one page of the agent's executions. The window reaches a little into the future
// (Bolna's clock may run ahead of ours); should Bolna refuse a future "to" (400), the window ends
// now from then on.
func (t *tracker) list(ctx context.Context, opts dialer.ListOptions) (*dialer.ExecutionPage, error) {
	now := t.cfg.Now()
	if t.noFutureTo && opts.To.After(now) {
		opts.To = now
	}
	t.pace.pages.take(1, now)
	// One try: a failed read is tried again at the next look, not in a retry loop that holds
	// pushes, slot releases and the outage rule meanwhile.
	ctx, cancel := t.readCtx(dialer.WithOneTry(ctx), now)
	defer cancel()
	page, err := t.dialer.ListExecutions(ctx, t.cfg.AgentID, opts)
	var apiErr *dialer.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == 400 && !t.noFutureTo && opts.To.After(now) && opts.Status == "" {
		// (A 400 on a list filtered by status is taken for a refusal of the filter: see check.)
		t.noFutureTo = true
		t.cfg.Log("the executions list refused a window ending in the future (%v); windows end now from here on", err)
		opts.To = now
		t.pace.pages.take(1, now)
		return t.dialer.ListExecutions(ctx, t.cfg.AgentID, opts)
	}
	return page, err
}

// readCtx bounds a read while every read is failing: it ends when the outage rule would give
// up the run (see noteReads), so the rule holds to the second whatever the read's retries.
func (t *tracker) readCtx(ctx context.Context, now time.Time) (context.Context, context.CancelFunc) {
	if t.failingSince.IsZero() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t.failingSince.Add(t.cfg.Outage+time.Second).Sub(now))
}

// refusedList reports whether err is the list refusing a plain request (400): not an outage,
// and not worth asking again. From then on calls are read by id, said once.
func (t *tracker) refusedList(err error) bool {
	var apiErr *dialer.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		return false
	}
	if !t.noList {
		t.noList = true
		t.cfg.Log("the executions list refused a request (%v): calls are read by id from here on, and a call whose placement reply was lost cannot be looked for (its row stays in flight until --max-wait; the next run looks again)", err)
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

// fetch reads calls by id, a few at a time, and applies what it read.
func (t *tracker) fetch(ctx context.Context, calls []*attempt, now time.Time) error {
	if len(calls) == 0 {
		return nil
	}
	results := make([]*dialer.Execution, len(calls))
	errs := make([]error, len(calls))
	rctx, cancel := t.readCtx(ctx, now)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(fetchers)
	for i, c := range calls {
		g.Go(func() error {
			results[i], errs[i] = t.dialer.Execution(rctx, c.ExecutionID)
			return nil
		})
	}
	g.Wait()
	if err := t.noteReads(errs, now); err != nil {
		return err
	}
	for i, c := range calls {
		if err := errs[i]; err != nil {
			if fatal := t.fatal(err); fatal != nil {
				return fatal
			}
			if dialer.IsNotFound(err) {
				o := journal.Outcome{Status: journal.StatusUnknown, ExecutionID: c.ExecutionID, Attempts: c.Attempt, DialedAt: c.DialedAt,
					Error: "Bolna no longer knows this execution (404)"}
				if err := t.finish(c, o); err != nil {
					return err
				}
				continue
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			t.cfg.Log("checking call %s: %v; trying again later", c.ExecutionID, err)
			c.nextCheck = t.align(now)
			continue
		}
		if _, err := t.apply(c, results[i], seenByID, now); err != nil {
			return err
		}
	}
	return nil
}

// noteReads gives up the run when every read has failed for longer than Config.Outage: Bolna
// is down or unreachable, and following calls blindly until --max-wait would only hold the
// lock. The calls stay live in the journal; the next run follows them.
func (t *tracker) noteReads(errs []error, now time.Time) error {
	for _, err := range errs {
		if err == nil {
			t.failingSince = time.Time{}
			return nil
		}
	}
	if t.failingSince.IsZero() {
		t.failingSince = now
		return nil
	}
	if d := now.Sub(t.failingSince); d > t.cfg.Outage {
		return &FatalError{fmt.Errorf("no read of Bolna has succeeded for %s (%v); the calls in flight are recorded and the next run follows them",
			d.Round(time.Second), errs[0])}
	}
	return nil
}

// observe applies a non-final status: the slot goes back when the line has dropped, and the
// next check is sooner for calls about to change than for queued or post-processing ones.
func (t *tracker) observe(c *attempt, ex *dialer.Execution, how seenBy, now time.Time) error {
	if c.status != ex.Status && !ex.Status.Known() {
		t.cfg.Log("call %s: unknown status %q; still following it", c.ExecutionID, ex.Status)
	}
	if ex.Status == dialer.StatusRescheduled && !t.warnedRescheduled {
		t.warnedRescheduled = true
		t.cfg.Log("call %s was rescheduled by Bolna to the agent's calling hours: it holds its slot until it dials or --max-wait ends; match --window to the agent's hours", c.ExecutionID)
	}
	if c.unconfirmed && how != seenPushed {
		if contradicted, err := t.confirm(c, ex); contradicted || err != nil {
			return err
		}
	}
	if c.phase == phaseDropped && !ex.Status.Dropped() {
		return nil // an older observation, delivered late: the line has dropped already
	}
	to := phaseOf(ex.Status)
	if to == phaseDropped && how == seenPushed && c.phase.holdsSlot() &&
		(!c.status.Rang() || t.unconfirmed >= t.maxUnconfirmed()) {
		// A push alone frees no slot of a call never seen ringing or talking, nor more than a
		// few at once: a look says first.
		c.nextCheck = t.align(now)
		return nil
	}
	if to == phaseDropped && how == seenPushed && c.phase.holdsSlot() {
		c.unconfirmed = true
		t.unconfirmed++
	}
	c.status = ex.Status
	if err := t.move(c, to, step{}); err != nil {
		return err
	}
	if c.phase.holdsSlot() {
		c.seenAt = now
	}
	t.scheduleOwn(c, now)
	return nil
}

// scheduleOwn sets when a call is next due for a look of its own, after an observation at now.
func (t *tracker) scheduleOwn(c *attempt, now time.Time) {
	switch {
	case t.paced(c):
		c.nextCheck = t.align(now.Add(maxCheckInterval)) // looked at with the others holding a slot
	case t.draining:
		c.nextCheck = t.align(now.Add(t.interval())) // with nothing left to dial, a slot is not urgent
	case c.phase == phaseDropped, c.phase == phaseQueued:
		// Post-processing takes seconds to minutes and a queued call frees no slot. While
		// calls hold slots, the looks at them see these calls too (the list is newest
		// first), so they seldom need a look of their own.
		c.nextCheck = t.align(now.Add(ownLooks * t.interval()))
	default:
		c.nextCheck = t.align(now)
	}
	if t.pushing() { // the pushes say what changes; looks are the safety net
		c.nextCheck = later(c.nextCheck, now.Add(t.cfg.SafetySweep))
	}
	if c.unconfirmed {
		// A look confirms a slot freed on a push's word: the calls freed within a few seconds
		// come due together, so one list page confirms them all.
		every := max(t.interval(), confirmEvery)
		c.nextCheck = earlier(c.nextCheck, now.Truncate(every).Add(every))
	}
}

// confirm settles a slot freed on the word of a push, now that a look saw the call: a line
// that has dropped confirms it; a call still queued, ringing or talking contradicts it (a
// forged push), and the slot is taken back (see pool.retake). It reports whether ex was
// applied.
func (t *tracker) confirm(c *attempt, ex *dialer.Execution) (bool, error) {
	c.unconfirmed = false
	t.unconfirmed--
	if ex.Status.Dropped() || ex.Status.Final() {
		return false, nil
	}
	t.count(func(s *ObservationStats) { s.Contradicted++ })
	c.status = ex.Status
	if err := t.move(c, phaseOf(ex.Status), step{}); err != nil {
		return true, err
	}
	c.seenAt = t.cfg.Now()
	c.nextCheck = t.align(c.seenAt)
	t.cfg.Log("call %s: a push said its line had dropped, but Bolna says %s: its slot is taken back (are pushes forged? check who knows the webhook URL)", c.ExecutionID, ex.Status)
	return true, nil
}

// move takes a call to phase to (see ledger.move), and keeps the tracker's books: the time
// the call held its slot, the calls followed, and those that ended.
func (t *tracker) move(c *attempt, to phase, s step) error {
	from := c.phase
	if to.ended() && c.unconfirmed {
		c.unconfirmed = false
		t.unconfirmed--
	}
	if err := t.ledger.move(c, to, s); err != nil {
		return err
	}
	now := t.cfg.Now()
	if from.holdsSlot() && !to.holdsSlot() && !c.adopted {
		// The line dropped between the last time the call was seen holding its slot and now.
		t.pace.noteSlotTime(c.seenAt.Add(now.Sub(c.seenAt) / 2).Sub(c.placedAt))
	}
	if !to.ended() {
		return nil
	}
	delete(t.calls, c.id())
	if c.ExecutionID != "" {
		t.ended.add(c.ExecutionID)
	}
	if to == phaseFinal && t.firstFinal.IsZero() {
		t.firstFinal = now
	}
	return nil
}

// finish records a call's outcome and lets it go.
func (t *tracker) finish(c *attempt, o journal.Outcome) error {
	return t.move(c, phaseFinal, step{outcome: &o})
}

// fatal turns errors that make following pointless into a *FatalError.
func (t *tracker) fatal(err error) error {
	if dialer.IsUnauthorized(err) {
		return &FatalError{fmt.Errorf("the API key was refused while following calls: %w", err)}
	}
	var fe *FatalError
	if errors.As(err, &fe) {
		return err
	}
	return nil
}

// search looks for a call whose placement reply was lost: among the agent's executions
// created since it was dialled, the one whose user_data carries its reference. Found, it is
// followed like any other. Its row ends unknown (not dialled again unless --retry unknown) only
// once a search that read the list did not find it, Config.ListLag after the reply was lost; a
// search that failed proves nothing and counts as a failed read (see noteReads).
func (t *tracker) search(ctx context.Context, c *attempt, now time.Time) error {
	if t.noList { // it cannot be looked for: followed until --max-wait, looked for by the next run
		c.nextCheck = t.align(now.Add(t.cfg.SafetySweep))
		return nil
	}
	conclusive := !now.Before(c.lostAt.Add(t.cfg.ListLag))
	// While the offset of Bolna's clock is known, the call is looked for among the calls
	// created while its POST was in flight; the search that would conclude it was never
	// created reads the whole wide window, so a wrong offset costs pages, never a result.
	found, searched, bounded, err := t.find(ctx, c, now, t.offset.known())
	if err == nil && found == nil && searched && conclusive && t.offset.known() {
		found, searched, bounded, err = t.find(ctx, c, now, false)
	}
	if err != nil {
		if fatal := t.fatal(err); fatal != nil {
			return fatal
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if t.refusedList(err) {
			return nil
		}
		t.cfg.Log("looking for the call to %s: %v; trying again", maskPhone(c.Phone), err)
		if oerr := t.noteReads([]error{err}, now); oerr != nil {
			return oerr
		}
		c.nextCheck = t.align(now.Add(max(t.cfg.PollInterval, time.Second)))
		return nil
	}
	t.noteReads([]error{nil}, now)
	if found != nil {
		if err := t.placed(c, string(found.ID)); err != nil {
			return err
		}
		t.cfg.Log("found the call to %s whose reply was lost: %s", maskPhone(c.Phone), c.ExecutionID)
		return t.applyOrRead(c, found, seenInList, now)
	}
	if !searched || conclusive && bounded {
		o := journal.Outcome{Status: journal.StatusUnknown, Attempts: c.Attempt, DialedAt: c.DialedAt,
			Error: "the reply to POST /call was lost and no call carrying its reference was found; not dialled again unless --retry unknown"}
		return t.finish(c, o)
	}
	c.nextCheck = t.align(now.Add(max(t.cfg.PollInterval, time.Second)))
	return nil
}

// find looks for the call of c in the agent's executions list: among every call created since
// it was dialled, where any estimate of Bolna's clock puts them (see wide), or (narrow) among
// those created while its POST was in flight, by the measured offset of Bolna's clock. searched
// is false when it could not look: the call is older than the list's window. bounded is false
// when Bolna's clock could not be told: a miss then proves nothing.
func (t *tracker) find(ctx context.Context, c *attempt, now time.Time, narrow bool) (ex *dialer.Execution, searched, bounded bool, err error) {
	if now.Sub(c.DialedAt) > maxListWindow {
		return nil, false, true, nil
	}
	ours := func(ref string) bool { return ref == c.Ref || c.torn && strings.HasPrefix(ref, c.Ref) }
	opts := dialer.ListOptions{PageSize: dialer.MaxListPageSize}
	opts.From, opts.To, bounded = t.wide(c.DialedAt, now)
	if narrow && !c.lostAt.IsZero() && t.offset.known() {
		opts.From, opts.To = t.offset.window(c.DialedAt, c.lostAt)
		bounded = true
	}
	var (
		candidates []string
		guard      pageGuard
	)
	var loops error // the list does not page: what it showed is searched, a miss proves nothing
	for opts.Page = 1; loops == nil; opts.Page++ {
		page, err := t.list(ctx, opts)
		if err != nil {
			return nil, false, bounded, err
		}
		if loops = guard.check(page); loops != nil {
			break
		}
		for i := range page.Data {
			item := &page.Data[i]
			if _, tracked := t.calls[string(item.ID)]; tracked || !dialer.ValidID(string(item.ID)) {
				continue
			}
			if ref := item.ContextDetails.RecipientValue(contacts.RefKey); ref != "" {
				if ours(ref) {
					return item, true, bounded, nil
				}
				continue
			}
			if to := item.RecipientNumber(); to == "" || to == c.Phone {
				candidates = append(candidates, string(item.ID))
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
	}
	sort.Strings(candidates)
	for _, id := range candidates {
		ex, err := t.dialer.Execution(ctx, id)
		if err != nil {
			return nil, false, bounded, err
		}
		if ours(ex.ContextDetails.RecipientValue(contacts.RefKey)) {
			return ex, true, bounded, nil
		}
	}
	if loops != nil {
		return nil, false, bounded, loops
	}
	return nil, true, bounded, nil
}

// maskPhone keeps log lines free of whole phone numbers.
func maskPhone(p string) string {
	if len(p) <= 6 {
		return "…"
	}
	return p[:len(p)-6] + "••••" + p[len(p)-2:]
}

// ObservationStats count what came through [Runner.Observe].
type ObservationStats struct {
	Received int `json:"received"` // handed to Observe
	Dropped  int `json:"dropped"`  // not taken: the tracker was not running, or behind
	Matched  int `json:"matched"`  // about a call of this run
	Ignored  int `json:"ignored"`  // about another call (another campaign, a test call, a tool webhook)
	// Late: about a call of this run whose outcome was recorded already.
	Late int `json:"late"`
	// Foreign: about a call of this run by its id, but naming another agent or recipient:
	// not believed.
	Foreign int `json:"foreign"`
	// Contradicted: a pushed call-disconnected that a look then contradicted (the slot was
	// taken back).
	Contradicted int `json:"contradicted"`
	// Where the run learned what it acted on: dropped lines (of calls holding a slot) and
	// outcomes, from a push or from a look of its own. DropsLooked of all drops is the share
	// of pushes that went missing (or came late).
	DropsPushed    int `json:"drops_pushed"`
	DropsLooked    int `json:"drops_looked"`
	OutcomesPushed int `json:"outcomes_pushed"`
	OutcomesLooked int `json:"outcomes_looked"`
}

// MissingShare is the share of dropped lines that no push reported first.
func (s ObservationStats) MissingShare() float64 {
	if n := s.DropsPushed + s.DropsLooked; n > 0 {
		return float64(s.DropsLooked) / float64(n)
	}
	return 0
}
