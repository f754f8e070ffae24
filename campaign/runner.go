package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// Runner runs one campaign: it dials the rows that need it, follows every call to its final
// status, and writes the results. Create it with [NewRunner].
type Runner struct {
	cfg    Config
	dialer Dialer
	list   ContactSource // the contact list being run
	input  string        // its name, in messages and the guard's record
	output string        // the results' name, in the guard's record

	stopOnce sync.Once
	stopped  chan struct{}

	haltMu sync.Mutex
	halt   string // why placing stopped early ("" if it did not)
	paused bool   // the halt was a pause kept in the account's history

	failMu      sync.Mutex
	failsInARow int // failed/error outcomes in a row (see countFailure)

	progress progress
	limits   runLimits   // the run's own pacing, built from cfg (see newLimits)
	dups     *duplicates // found by Run's first pass over the list, read by the later ones
	decided  *decisions  // what the dispatching pass decided for each row, for the results
	arms     *armBook    // the experiment (Config.Arms), nil for none
	budget   *budget     // --max-cost with the calls in flight counted (see budget)
	tracker  atomic.Pointer[tracker]
	settled  atomic.Bool // the calls a crashed run may have placed were looked for: outcomes are this run's
}

func (r *Runner) setTracker(t *tracker) { r.tracker.Store(t) }

// Observe hands the runner a call's execution payload seen outside its own looks: a webhook
// push, say (whether it is whole is read off the payload: see dialer.Execution.Complete). It
// is the one door for a new source of call events: the observation joins the
// tracker's loop and takes the same path as the runner's own looks (see the package doc). It
// never blocks; it reports whether the observation was taken (not when the run has not started
// following calls yet, or is behind by more than a thousand).
func (r *Runner) Observe(ex *dialer.Execution) bool {
	t := r.tracker.Load()
	if t == nil || ex == nil {
		return false
	}
	return t.in.offer(ex)
}

// Observations counts what came through [Runner.Observe] so far.
func (r *Runner) Observations() ObservationStats {
	t := r.tracker.Load()
	if t == nil {
		return ObservationStats{}
	}
	return t.in.observations()
}

// NewRunner returns a runner that places calls through d.
func NewRunner(d Dialer, cfg Config) *Runner {
	cfg.setDefaults()
	r := &Runner{cfg: cfg, dialer: d, stopped: make(chan struct{})}
	r.limits = newLimits(&r.cfg)
	r.arms = newArmBook(&r.cfg)
	return r
}

// Dialer is what the runner places its calls through (nil for a dry run's).
func (r *Runner) Dialer() Dialer { return r.dialer }

// Stopped is closed once the runner is stopped (see Stop): a gate for requests that should
// not leave after a stop (dialer.SendGate).
func (r *Runner) Stopped() <-chan struct{} { return r.stopped }

// StopQueued is the emergency brake (bolna-campaign stop): no call is placed any more, and
// every call of the run that has not rung is stopped at Bolna at the next look; the calls
// ringing or talking are followed to their end.
func (r *Runner) StopQueued() {
	r.Stop()
	if t := r.tracker.Load(); t != nil {
		t.stopAll.Store(true)
	}
}

// PollOnly tells a runner configured for pushes (Config.Pushes) that none can come (the
// agent has no webhook_url): it polls from the start. Call it before Run.
func (r *Runner) PollOnly() { r.cfg.Pushes = false }

// Stop makes the runner place no new calls; calls in flight are still followed to their final
// status. It is safe to call more than once and from any goroutine.
func (r *Runner) Stop() { r.stopOnce.Do(func() { close(r.stopped) }) }

// haltWith stops placing calls for a reason the summary reports (spend cap, failures in a row).
func (r *Runner) haltWith(reason string) { r.haltFor(reason, false) }

// pausedBy halts placing for a pause kept in the account's history (reason: who paused the
// campaign, when and why).
func (r *Runner) pausedBy(reason string) { r.haltFor(reason, true) }

func (r *Runner) haltFor(reason string, paused bool) {
	r.haltMu.Lock()
	if r.halt == "" {
		r.halt, r.paused = reason, paused
		r.cfg.warnf("halting: %s", reason)
		if r.cfg.OnHalt != nil {
			go r.cfg.OnHalt(reason)
		}
	}
	r.haltMu.Unlock()
	r.Stop()
}

func (r *Runner) haltReason() string {
	r.haltMu.Lock()
	defer r.haltMu.Unlock()
	return r.halt
}

// Summary is what a run did and what the results file holds.
type Summary struct {
	Rows        int                    `json:"rows"`
	ByStatus    map[journal.Status]int `json:"by_status"`
	Dialled     int                    `json:"dialled"` // calls placed by this run
	Concurrency int                    `json:"concurrency"`
	RetryDue    int                    `json:"retry_due"` // rows with a final outcome that --retry will dial again
	Halted      string                 `json:"halted,omitempty"`
	// Paused: the halt was a pause kept in the account's history; the campaign's runs place
	// nothing until `bolna-campaign resume`.
	Paused bool `json:"paused,omitempty"`
	// Spent is the campaign's summed total_cost (cents) once the run is over, every call it
	// followed to the end included: what a halt for the spend cap came to in the end.
	Spent   float64       `json:"spent_cents"`
	Elapsed time.Duration `json:"-"` // in JSON as elapsed_s (see MarshalJSON)
	// Requests is how many API requests the run made (retries included), when the dialer
	// counts them (set by whoever holds the dialer); Pushes what came in through Observe, with
	// Config.Pushes.
	Requests int               `json:"requests,omitempty"`
	Pushes   *ObservationStats `json:"pushes,omitempty"`
	// Stopped is how many calls still queued were stopped before they rang (past --max-wait,
	// their calling window closed, or bolna-campaign stop): their rows are pending again.
	Stopped int `json:"calls_stopped"`
	// PeakPerMinute is the most requests of each class of Bolna's limits the run sent in any
	// minute, when the dialer counts them (set like Requests); Limits the run's share of them.
	PeakPerMinute *dialer.Limits `json:"peak_per_minute,omitempty"`
	Limits        *dialer.Limits `json:"limits,omitempty"`
	// Experiment is the comparison of the arms (Config.Arms) as the run left it.
	Experiment *Experiment `json:"experiment,omitempty"`
}

// Unfinished is the number of rows that a later run has work for: not dialled yet, in flight,
// timed out, or due for a retry.
func (s *Summary) Unfinished() int {
	return s.ByStatus[journal.StatusPending] + s.ByStatus[journal.StatusInFlight] + s.ByStatus[journal.StatusTimeout] + s.RetryDue
}

// Run dials the rows of the contact list that need it, follows the calls, records everything
// in st, and finally writes one results row per row of the list to out.
//
// Cancelling ctx abandons the calls in flight at once (they are recorded in st and the next
// run follows them); [Runner.Stop] is the gentle way to end early.
func (r *Runner) Run(ctx context.Context, list ContactSource, st *journal.State, out ResultWriter) (*Summary, error) {
	start := r.cfg.Now()
	r.list, r.input, r.output = list, list.Name(), out.Name()
	input := r.input
	if err := r.arms.seed(input, st); err != nil {
		return nil, err
	}
	plan, err := r.firstScan(input, st)
	if err != nil {
		return nil, err
	}
	// Until the pool starts, a stop (a signal) ends the run at once, whatever a read is waiting
	// for (see startGate).
	gated := &startGate{d: r.dialer, gate: r.stopped}
	acct, err := r.readAccount(ctx, gated, st)
	if err != nil {
		return nil, err
	}
	if v := r.arms.Verdict(); v != nil {
		r.journalStops(st, v.Stopped) // what the earlier runs' outcomes stopped (see seed)
	}
	led, err := r.newLedger(ctx, st)
	if err != nil {
		return nil, err
	}
	tr := newTracker(trackerDeps{cfg: &r.cfg, dialer: gated, st: st, ledger: led, looks: r.limits.looks, stopped: r.stopped})
	r.setTracker(tr)
	slots, err := r.resume(ctx, input, st, tr, acct, start, &plan)
	if err != nil {
		if errors.Is(err, dialer.ErrGateClosed) {
			return nil, ErrStopped
		}
		return nil, err
	}
	gated.open() // the calls are followed from here on, whatever a stop says
	dialled, dispatchErr, trackErr := r.follow(ctx, input, st, tr)
	if trackErr == nil && dispatchErr == nil && ctx.Err() == nil {
		trackErr = led.audit(tr.holding())
	}
	summary, werr := r.writeResults(input, st, out)
	if werr != nil {
		// A full disk fails both: say first what stopped the run.
		var fatal *FatalError
		for _, e := range []error{dispatchErr, trackErr} {
			if errors.As(e, &fatal) {
				return nil, errors.Join(e, werr)
			}
		}
		return nil, werr
	}
	summary.Dialled, summary.Concurrency, summary.Halted = dialled, slots, r.haltReason()
	r.haltMu.Lock()
	summary.Paused = r.paused
	r.haltMu.Unlock()
	summary.Stopped = tr.stoppedCalls
	summary.Experiment = r.arms.Verdict()
	summary.Spent = st.Spent()
	if r.cfg.Pushes {
		seen := r.Observations()
		summary.Pushes = &seen
	}
	summary.Elapsed = r.cfg.Now().Sub(start)

	var fatal *FatalError
	switch {
	case errors.As(dispatchErr, &fatal):
		return summary, dispatchErr
	case errors.As(trackErr, &fatal):
		return summary, trackErr
	case ctx.Err() != nil:
		return summary, context.Cause(ctx)
	case summary.Halted == "" && r.isStopped():
		return summary, ErrStopped // stopped from outside (a signal), even if nothing was left
	}
	return summary, nil
}

// firstScan reads the whole list once before anything is dialled: a list that cannot be read,
// or has no row to dial ever, fails here.
func (r *Runner) firstScan(input string, st *journal.State) (Plan, error) {
	if err := r.stratify(input); err != nil { // (before any row's arm is read)
		return Plan{}, err
	}
	r.dups = &duplicates{}
	plan, err := r.scan(input, st, nil)
	if err != nil {
		return Plan{}, err
	}
	r.dups.freeze()
	if err := cmp.Or(anotherList(input, st, plan), nothingToDial(input, plan)); err != nil {
		return Plan{}, err
	}
	if plan.Encoding != "utf-8" && plan.Encoding != "utf-16" && r.cfg.Load.Encoding == "" {
		r.cfg.logf("%s is not UTF-8: read as %s (Excel's \"ANSI\" CSV), so its accents stay as written; pass --encoding to name another", input, plan.Encoding)
	}
	return plan, nil
}

// readAccount reads the account (its concurrency sizes the pool) and keeps it in the journal.
func (r *Runner) readAccount(ctx context.Context, d Dialer, st *journal.State) (*dialer.Account, error) {
	acct, err := d.Account(ctx)
	if err != nil {
		switch {
		case errors.Is(err, dialer.ErrGateClosed):
			return nil, ErrStopped
		case dialer.IsUnauthorized(err):
			return nil, &FatalError{fmt.Errorf("the API key was refused: %w", err)}
		}
		return nil, &FatalError{fmt.Errorf("reading the account: %w", err)}
	}
	if err := st.NoteAccount(journal.Account{Wallet: float64(acct.Wallet), Concurrency: acct.Concurrency.Max,
		InUse: acct.Concurrency.Current, At: r.cfg.Now().UTC()}); err != nil {
		return nil, &FatalError{err}
	}
	return acct, nil
}

// newLedger makes the run's ledger, whole: the account's history settled from the journal
// first (see reconcile), a pool sized once the calls of earlier runs are surveyed (see resume),
// the caller ids, and who is told of the outcomes (from the end of the search for the calls a
// crashed run may have placed, see settle) and of the attempts that end (the budget).
func (r *Runner) newLedger(ctx context.Context, st *journal.State) (*ledger, error) {
	known, err := r.reconcile(ctx, st)
	if err != nil {
		return nil, err
	}
	if err := r.cfg.CheckCallerIDs(); err != nil {
		return nil, &FatalError{err}
	}
	r.budget = newBudget(r.cfg.MaxCost, st, r.cfg.MaxCostPerDay > 0)
	return newLedger(ledgerDeps{st: st, now: r.cfg.Now, pool: newPool(), callers: callerIDsOf(&r.cfg), book: newBook(),
		looks: r.limits.looks, guard: r.cfg.Guard, known: known, onEnd: r.budget.ended,
		log: r.cfg.Logger, arm: r.cfg.AgentID,
		onFinal: func(o journal.Outcome) {
			if r.settled.Load() { // (the outcomes of the search at start are not this run's progress)
				r.noteOutcome(st, o)
			}
		}, onOutcome: func(key string, o journal.Outcome) { r.noteArm(st, key, o) }}), nil
}

// resume takes over what earlier runs left (crashed intents are looked for, live calls
// adopted and looked at once), then sizes the pool, holding the calls that still hold a slot.
// It returns the pool's size.
func (r *Runner) resume(ctx context.Context, input string, st *journal.State, tr *tracker, acct *dialer.Account, start time.Time, plan *Plan) (int, error) {
	live := st.Live()
	found, rescan, err := tr.settle(ctx, live, st.Torn(), start)
	if err != nil {
		return 0, err
	}
	if rescan { // rows to dial again, or found after all: count them anew
		if *plan, err = r.scan(input, st, nil); err != nil {
			return 0, err
		}
	}
	resumed := found
	for _, lc := range live {
		if lc.ExecutionID != "" {
			if err := tr.adopt(lc, start); err != nil {
				return 0, err
			}
			resumed++
		}
	}
	r.progress.set(plan.Dial, resumed)
	if reason := spendReached(&r.cfg, st); reason != "" {
		r.haltWith(reason)
	}
	r.settled.Store(true)
	// One look at the calls left live before sizing the pool: those still dialling, ringing or
	// talking count in concurrency.current and are given their slots back; those in
	// post-processing hold none.
	active, err := tr.survey(ctx)
	if err != nil {
		return 0, err
	}
	slots := poolSize(r.cfg, acct.Concurrency.Max, acct.Concurrency.Current, active)
	tr.ledger.pool.size(slots)
	r.progress.sized(tr.ledger.pool) // the live status reads the slots from here
	tr.start(slots)
	r.cfg.logf("account: %d of %d concurrency slots in use, wallet %s (Bolna reports %s, in cents); %d %s to dial, %d %s to follow from earlier runs (%d holding a slot), up to %d at once",
		acct.Concurrency.Current, acct.Concurrency.Max, human.Dollars(float64(acct.Wallet)), human.Grouped(float64(acct.Wallet)), plan.Dial, human.Plural(plan.Dial, "row", "rows"),
		resumed, human.Plural(resumed, "call", "calls"), tr.holding(), slots)
	return slots, nil
}

// follow dials the rows that need it while the tracker follows every call, until both are
// done: it returns how many calls were placed and what stopped each, if anything did.
func (r *Runner) follow(ctx context.Context, input string, st *journal.State, tr *tracker) (dialled int, dispatchErr, trackErr error) {
	followCtx, cancelFollow := context.WithCancelCause(ctx)
	defer cancelFollow(nil)
	dispatchDone := make(chan struct{})
	trackerDone := make(chan error, 1)
	go func() {
		err := tr.run(followCtx, dispatchDone)
		if err != nil { // nobody follows calls any more: place none
			r.Stop()
			cancelFollow(err)
		}
		trackerDone <- err
	}()
	dialled, dispatchErr = r.dispatch(followCtx, input, st, tr)
	close(dispatchDone)
	if dispatchErr != nil {
		cancelFollow(dispatchErr)
	}
	trackErr = <-trackerDone
	tr.in.closeEvents()
	return dialled, dispatchErr, trackErr
}

// noteOutcome is told of every outcome recorded (see ledger.onFinal): progress, failures in
// a row (--halt-after), the wallet and the spend cap.
func (r *Runner) noteOutcome(st *journal.State, o journal.Outcome) {
	r.progress.finished(o.Status)
	r.countFailure(o.Status)
	if o.Status == journal.StatusBalanceLow {
		r.haltWith("the wallet is too low to place calls (balance-low)")
	}
	if reason := spendReached(&r.cfg, st); reason != "" {
		r.haltWith(reason)
	}
}

// countFailure tracks failed/error outcomes in a row and halts placing at --halt-after.
func (r *Runner) countFailure(status journal.Status) {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	switch {
	case status.Failure():
		r.failsInARow++
		if n := r.cfg.HaltAfter; n > 0 && r.failsInARow >= n {
			r.haltWith(fmt.Sprintf("%d calls in a row ended failed or error: the agent or the caller id looks misconfigured", r.failsInARow))
		}
	case status.Working():
		r.failsInARow = 0
	}
}

func (r *Runner) isStopped() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

// spendReached says why placing must stop when the campaign's spend has reached --max-cost,
// and "" while it has not.
func spendReached(cfg *Config, st *journal.State) string {
	if spent := st.Spent(); cfg.MaxCost > 0 && spent >= cfg.MaxCost {
		return fmt.Sprintf("the spend cap of %g is reached (spent %.2f)", cfg.MaxCost, spent)
	}
	return ""
}
