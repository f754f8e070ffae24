package campaign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Dialer is what the runner needs from a Bolna client; *dialer.Client satisfies it.
type Dialer interface {
	Account(ctx context.Context) (*dialer.Account, error)
	PlaceCall(ctx context.Context, req dialer.CallRequest) (*dialer.PlacedCall, error)
	Execution(ctx context.Context, id string) (*dialer.Execution, error)
	ListExecutions(ctx context.Context, agentID string, opts dialer.ListOptions) (*dialer.ExecutionPage, error)
}

var _ Dialer = (*dialer.Client)(nil)

// ResultWriter receives the results file, one row per input row in input order, once the run
// is over. The results package implements it.
type ResultWriter interface {
	WriteHeader(inputHeader []string) error
	WriteRow(record []string, o journal.Outcome) error
}

// Defaults of a [Config].
const (
	DefaultRate         = 5.0
	DefaultPollInterval = 3 * time.Second
	DefaultMaxWait      = 30 * time.Minute
	DefaultHaltAfter    = 10
	DefaultOutage       = 5 * time.Minute
	// DefaultListLag is how long Bolna's executions list is assumed to take, at most, to show
	// a call just created: undocumented, so generous.
	DefaultListLag = 30 * time.Second
	// DefaultSafetySweep is how often calls are looked at while Bolna pushes their statuses.
	DefaultSafetySweep = 30 * time.Second
)

// Config is how a campaign runs.
type Config struct {
	AgentID    string
	FromNumber string // caller id; empty lets Bolna choose
	// FromNumbers is a pool of caller ids to spread the calls over (see callerIDs), at most
	// PerNumber live calls on one (0: no limit); a row's own caller id (LoadOptions.FromColumn)
	// comes first.
	FromNumbers []string
	PerNumber   int
	Load        contacts.LoadOptions

	// Concurrency caps the calls in flight; 0 sizes it from the account:
	// concurrency.max - current - Reserve. It is never above concurrency.max.
	Concurrency int
	Reserve     int
	Rate        float64 // most placements in any second of the run; <= 0 is unlimited
	// Limits is the share of Bolna's request limits the run may use, in requests in any minute
	// per class (zero: dialer.DefaultLimits, half of Bolna's; a negative class is not paced).
	// Placements keep to Limits.Call (and Rate), the looks at the calls to Limits.List. Give
	// the client the same limits: it holds every request to them, retries included, so the
	// run never causes a 429.
	Limits dialer.Limits

	// PollInterval is the least time between two looks at the calls: they are looked at that
	// often while lines are likely to have dropped and the list budget (Limits.List) allows.
	PollInterval time.Duration
	MaxWait      time.Duration // a call followed this long without a final status is a timeout

	Retry []journal.Status // re-dial rows whose last attempt ended in these statuses
	// RetryResults re-dials rows whose last attempt had these results (voicemail, rejected:
	// see Result), never the others of the same status.
	RetryResults []journal.Result
	MaxAttempts  int           // attempts per row, the first included
	RetryAfter   time.Duration // the least time between an attempt's end and the next
	HaltAfter    int           // stop placing after this many failed/error outcomes in a row; <= 0 never
	Limit        int           // dial at most this many rows never dialled before, this run (a pilot); 0: all

	Window   *Window      // calling hours in each contact's local time; nil: any time
	Zones    *Zones       // each contact's zone for Window; see Zones
	Suppress *Suppression // numbers never to dial; nil for none
	MaxCost  float64      // stop placing once the campaign's summed total_cost reaches this; 0: no cap
	Shard    Shard        // the slice of the list this run takes

	// Outage is how long every read of Bolna may fail before the run gives up (the calls in
	// flight stay in the journal for the next run); default DefaultOutage.
	Outage time.Duration

	// PlaceTimeout is the longest a POST /call can be in flight (the client's timeout);
	// default dialer.DefaultTimeout. ListLag is the longest Bolna's executions list takes to
	// show a new call; default DefaultListLag. Together they say how long a call whose
	// placement went unanswered is looked for before the search may conclude it does not exist.
	PlaceTimeout time.Duration
	ListLag      time.Duration

	// Pushes says Bolna pushes the calls' statuses to this run (webhooks, fed in through
	// Runner.Observe): the runner then looks at the calls holding a slot as polling would for
	// the share of dropped lines pushes miss (see pushReports). Should no push come a minute
	// after the first call ended, it says so and polls as usual.
	Pushes bool
	// SafetySweep bounds, while pushes come, how long a call not holding a slot (queued at
	// Bolna, in post-processing) waits for a look of its own, and how long a call holding one
	// may stay silent before its look is due until the calls' lengths are measured (default
	// DefaultSafetySweep).
	SafetySweep time.Duration

	Now func() time.Time     // the clock; default time.Now
	Log func(string, ...any) // notable events, printf-style; nil discards
	// OnHalt, when set, is told at once when the run halts placing calls (balance-low,
	// --halt-after, --max-cost), in its own goroutine: the run goes on following its calls.
	OnHalt func(reason string)
}

func (c *Config) setDefaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 1
		if len(c.Retry) > 0 || len(c.RetryResults) > 0 {
			c.MaxAttempts = 3
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Outage <= 0 {
		c.Outage = DefaultOutage
	}
	if c.Limits == (dialer.Limits{}) {
		c.Limits = dialer.DefaultLimits
	}
	if c.PlaceTimeout <= 0 {
		c.PlaceTimeout = dialer.DefaultTimeout
	}
	if c.SafetySweep <= 0 {
		c.SafetySweep = DefaultSafetySweep
	}
	if c.ListLag <= 0 {
		c.ListLag = DefaultListLag
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	if c.Zones == nil {
		c.Zones = &Zones{}
	}
}

// FatalError is a condition that makes going on pointless: the key was refused, the agent does
// not exist, the state cannot be written. The run stops; what was recorded stays valid.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// ErrStopped is returned by [Runner.Run] after [Runner.Stop] (a signal): no new calls were
// placed after it, the calls in flight were followed to the end, and the results were written.
var ErrStopped = errors.New("campaign: stopped before every row was dialled")

// Runner runs one campaign: it dials the rows that need it, follows every call to its final
// status, and writes the results. Create it with [NewRunner].
type Runner struct {
	cfg    Config
	dialer Dialer

	stopOnce sync.Once
	stopped  chan struct{}

	haltMu sync.Mutex
	halt   string // why placing stopped early ("" if it did not)

	failMu      sync.Mutex
	failsInARow int // failed/error outcomes in a row (see countFailure)

	progress progress
	dups     *duplicates // found by Run's first pass over the list, read by the later ones
	// fresh is how many rows never dialled before the latest pass over the list found to dial;
	// dispatchedFresh, the dispatching pass's (see writeResults).
	fresh, dispatchedFresh int
	tracker                atomic.Pointer[tracker]
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
	t.seenMu.Lock()
	defer t.seenMu.Unlock()
	t.seen.Received++
	if t.closed { // the run follows no call any more
		t.seen.Ignored++
		return false
	}
	select {
	case t.events <- ex:
		return true
	default:
		t.seen.Dropped++
		return false
	}
}

// Observations counts what came through [Runner.Observe] so far.
func (r *Runner) Observations() ObservationStats {
	t := r.tracker.Load()
	if t == nil {
		return ObservationStats{}
	}
	t.seenMu.Lock()
	defer t.seenMu.Unlock()
	return t.seen
}

// NewRunner returns a runner that places calls through d.
func NewRunner(d Dialer, cfg Config) *Runner {
	cfg.setDefaults()
	return &Runner{cfg: cfg, dialer: d, stopped: make(chan struct{})}
}

// Stopped is closed once the runner is stopped (see Stop): a gate for requests that should
// not leave after a stop (dialer.WithSendGate).
func (r *Runner) Stopped() <-chan struct{} { return r.stopped }

// Stop makes the runner place no new calls; calls in flight are still followed to their final
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

// status. It is safe to call more than once and from any goroutine.
func (r *Runner) Stop() { r.stopOnce.Do(func() { close(r.stopped) }) }

// Halt stops placing calls for a reason the summary reports (spend cap, failures in a row).
func (r *Runner) haltWith(reason string) {
	r.haltMu.Lock()
	if r.halt == "" {
		r.halt = reason
		r.cfg.Log("halting: %s", reason)
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
	Elapsed     time.Duration          `json:"-"` // in JSON as elapsed_s (see MarshalJSON)
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
}

// Unfinished is the number of rows that a later run has work for: not dialled yet, in flight,
// timed out, or due for a retry.
func (s *Summary) Unfinished() int {
	return s.ByStatus[journal.StatusPending] + s.ByStatus[journal.StatusInFlight] + s.ByStatus[journal.StatusTimeout] + s.RetryDue
}

// Run dials the rows of the contact list at input that need it, follows the calls, records
// everything in st, and finally writes one results row per input row to out.
//
// Cancelling ctx abandons the calls in flight at once (they are recorded in st and the next
// run follows them); [Runner.Stop] is the gentle way to end early.
func (r *Runner) Run(ctx context.Context, input string, st *journal.State, out ResultWriter) (*Summary, error) {
	start := r.cfg.Now()
	plan, err := r.firstScan(input, st)
	if err != nil {
		return nil, err
	}
	// Until the pool starts, a stop (a signal) ends the run at once, whatever a read is waiting
	// for (a 429 storm's Retry-After, say): nothing this run placed is in flight yet.
	startCtx := dialer.WithSendGate(ctx, r.stopped)
	acct, err := r.readAccount(startCtx, st)
	if err != nil {
		return nil, err
	}
	led := &ledger{st: st, now: r.cfg.Now}
	tr := newTracker(trackerDeps{cfg: &r.cfg, dialer: r.dialer, st: st, ledger: led, stopped: r.stopped, halt: r.haltWith})
	r.setTracker(tr)
	slots, err := r.resume(startCtx, input, st, tr, acct, start, &plan)
	if err != nil {
		if errors.Is(err, dialer.ErrGateClosed) {
			return nil, ErrStopped
		}
		return nil, err
	}
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
	summary.Stopped = tr.stoppedCalls
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
	r.dups = &duplicates{}
	plan, err := r.scan(input, st, nil)
	if err != nil {
		return Plan{}, err
	}
	r.dups.freeze()
	if err := nothingToDial(input, plan); err != nil {
		return Plan{}, err
	}
	if plan.Encoding != "utf-8" && plan.Encoding != "utf-16" && r.cfg.Load.Encoding == "" {
		r.cfg.Log("%s is not UTF-8: read as %s (Excel's \"ANSI\" CSV), so its accents stay as written; pass --encoding to name another", input, plan.Encoding)
	}
	return plan, nil
}

// readAccount reads the account (its concurrency sizes the pool) and keeps it in the journal.
func (r *Runner) readAccount(ctx context.Context, st *journal.State) (*dialer.Account, error) {
	acct, err := r.dialer.Account(ctx)
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

// resume takes over what earlier runs left (crashed intents are looked for, live calls
// adopted and looked at once), then sizes the pool, holding the calls that still hold a slot.
// It returns the pool's size.
func (r *Runner) resume(ctx context.Context, input string, st *journal.State, tr *tracker, acct *dialer.Account, start time.Time, plan *Plan) (int, error) {
	live, rescan, err := tr.settle(ctx, st.Live(), st.Torn(), start)
	if err != nil {
		return 0, err
	}
	if rescan { // rows to dial again, or found after all: count them anew
		if *plan, err = r.scan(input, st, nil); err != nil {
			return 0, err
		}
	}
	r.progress.set(plan.Dial, len(live))
	if reason := spendReached(&r.cfg, st); reason != "" {
		r.haltWith(reason)
	}
	tr.ledger.onFinal = func(o journal.Outcome) { r.noteOutcome(st, o) }
	for _, lc := range live {
		if err := tr.adopt(lc, start); err != nil {
			return 0, err
		}
	}
	// One look at the calls left live before sizing the pool: those still dialling, ringing or
	// talking count in concurrency.current and are given their slots back; those in
	// post-processing hold none.
	active, err := tr.survey(ctx)
	if err != nil {
		return 0, err
	}
	slots := poolSize(r.cfg, acct.Concurrency.Max, acct.Concurrency.Current, active)
	tr.ledger.pool = newPool(slots)
	tr.ledger.pool.hold(tr.holding())
	tr.start(slots)
	if len(r.cfg.FromNumbers) > 0 {
		tr.ledger.callers = newCallerIDs(r.cfg.FromNumbers, r.cfg.PerNumber)
		for _, c := range tr.calls {
			if c.phase.holdsSlot() { // an earlier run's call still counts on its number
				tr.ledger.callers.hold(c.From)
			}
		}
	}
	r.cfg.Log("account: %d of %d concurrency slots in use, wallet %s (Bolna reports %s, in cents); %d %s to dial, %d %s to follow from earlier runs (%d holding a slot), up to %d at once",
		acct.Concurrency.Current, acct.Concurrency.Max, Dollars(float64(acct.Wallet)), Grouped(float64(acct.Wallet)), plan.Dial, plural(plan.Dial, "row", "rows"),
		len(live), plural(len(live), "call", "calls"), tr.holding(), slots)
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
	tr.closeEvents()
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

// poolSize is --concurrency, else what the account has free, never above its max: the one
// sizing of the pool, for runs and dry runs. The calls of earlier runs still dialling, ringing
// or talking (active) count in concurrency.current while they are this campaign's own, so they
// are added back; calls in post-processing hold no slot of Bolna's and add nothing. The pool is
// never larger than the account's free concurrency: outstanding calls beyond it wait their turn
// (see pool).
func poolSize(cfg Config, maxSlots, current, active int) int {
	n := cfg.Concurrency
	if n <= 0 {
		n = min(maxSlots-current+active, maxSlots) - cfg.Reserve
		if cfg.Shard.N > 1 && n > 0 {
			// Each of N shards, started together, sees the same free slots: it takes its share
			// of them (the remainder to the first shards), and never more than its share of
			// the max, which it may not pass once the other traffic has gone.
			n = min(splitShare(n, cfg.Shard), splitShare(maxSlots-cfg.Reserve, cfg.Shard))
		}
		if n < 1 {
			cfg.Log("the account has no free concurrency (max %d, in use %d, reserve %d): dialling one call at a time",
				maxSlots, current, cfg.Reserve)
			n = 1
		}
	}
	if maxSlots > 0 && n > maxSlots {
		cfg.Log("--concurrency %d is above the account's limit of %d: using %d", n, maxSlots, maxSlots)
		n = maxSlots
	}
	return max(n, 1)
}

// splitShare is shard's part of n split N ways: n/N, one more for the first n%N shards.
func splitShare(n int, shard Shard) int {
	part := n / shard.N
	if shard.K < n%shard.N {
		part++
	}
	return part
}

// dispatch streams the list a second time and places a call for every row that needs one. It
// returns when the list is exhausted or placing stops, once every placement has finished.
func (r *Runner) dispatch(ctx context.Context, input string, st *journal.State, tr *tracker) (int, error) {
	dispatchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.stopped:
			cancel()
		case <-dispatchCtx.Done():
		}
	}()
	limiter := newPlacementLimiter(r.cfg.Rate, r.cfg.Limits.Call, r.cfg.Now)

	var (
		wg      sync.WaitGroup
		dialled atomic.Int64
		errOnce sync.Once
		fatal   error
	)
	fail := func(err error) {
		errOnce.Do(func() { fatal = err })
		r.Stop()
	}
	defer func() { r.dispatchedFresh = r.fresh }() // the rows this run set out to dial for the first time
	_, err := r.scan(input, st, func(row contacts.Row, userData map[string]string, c classification) bool {
		res, more := r.ready(dispatchCtx, tr.ledger, limiter, row, c)
		if res == nil {
			return more
		}
		wg.Go(func() {
			placed, err := r.place(ctx, st, tr, res, row, userData, c)
			if placed {
				dialled.Add(1)
			}
			if err != nil {
				fail(err)
			}
		})
		return true
	})
	wg.Wait()
	if err != nil {
		return int(dialled.Load()), err
	}
	return int(dialled.Load()), fatal
}

// ready waits until a row may be dialled: a slot and a caller id reserved, the placement rate
// kept. It returns nil when the row is not dialled now, with whether the list goes on (the
// row's calling window closed meanwhile) or placing stops.
func (r *Runner) ready(ctx context.Context, led *ledger, limiter *dialer.Limiter, row contacts.Row, c classification) (*reservation, bool) {
	res, err := led.reserve(ctx, row.Phone, row.From)
	if err != nil {
		return nil, false
	}
	switch {
	case limiter.Wait(ctx) != nil, r.isStopped(): // halted (spend cap, balance) while it waited
		res.cancel()
		return nil, false
	case c.zone != nil && !r.cfg.Window.Contains(r.cfg.Now().In(c.zone)):
		res.cancel() // the window closed while this row waited for a slot
		return nil, true
	}
	if res.from == "" {
		res.from = r.cfg.FromNumber
	}
	return res, true
}

// place dials one row: intent recorded, POST /call, execution id recorded, call handed to the
// tracker. Its attempt holds the slot reserved, which a move gives back (see ledger.move).
//
// The client owns the retries of a refused (429) POST, bounded and logged; no POST leaves once
// the run is stopped (the send gate), and a POST already sent is still answered.
func (r *Runner) place(ctx context.Context, st *journal.State, tr *tracker, res *reservation, row contacts.Row, userData map[string]string, c classification) (bool, error) {
	ref := st.Ref(row.Key, c.attempt)
	a, err := tr.ledger.intent(res, journal.LiveCall{Key: row.Key, Phone: row.Phone, Attempt: c.attempt, Ref: ref, DialedAt: r.cfg.Now(), Zone: c.zone})
	if err != nil {
		return false, err
	}
	userData[contacts.RefKey] = ref
	req := dialer.CallRequest{AgentID: r.cfg.AgentID, RecipientPhoneNumber: row.Phone, FromPhoneNumber: a.From, UserData: userData}

	// Progress counts a placement once its POST has been answered (or its reply lost): a POST
	// held back by a stop never left.
	placed, err := r.dialer.PlaceCall(dialer.WithSendGate(ctx, r.stopped), req)
	if err == nil || dialer.MaybePlaced(err) {
		r.progress.placing()
	}
	switch {
	case err == nil:
		if err := tr.ledger.move(a, phaseUnknown, step{placed: placed.ExecutionID}); err != nil {
			return true, err
		}
		tr.add(ctx, a)
		return true, nil
	case dialer.MaybePlaced(err):
		r.cfg.Log("line %d: the reply to POST /call was lost (%v); looking for the call instead of dialling again", row.Line, err)
		if err := tr.ledger.move(a, phaseSearching, step{}); err != nil {
			return true, err
		}
		tr.add(ctx, a)
		return true, nil
	}
	return false, r.refused(tr.ledger, a, row, err)
}

// refused ends an attempt whose POST was refused, or never sent: no call exists. A refusal of
// the call itself (400, 422, …) is its outcome; a refusal of the key, the agent or the address
// stops the run; a POST never sent, or still rate limited after the client's retries, leaves
// the row pending.
func (r *Runner) refused(led *ledger, a *attempt, row contacts.Row, err error) error {
	var apiErr *dialer.APIError
	errors.As(err, &apiErr)
	var fatal error
	switch {
	case errors.Is(err, dialer.ErrGateClosed) || apiErr != nil && apiErr.StatusCode == 429:
		// Stopped before the POST left, or still rate limited after the client's bounded
		// retries: the row stays pending for the next run.
		if apiErr != nil {
			r.cfg.Log("line %d: POST /call still refused with 429 after every retry; the row stays pending", row.Line)
		}
		r.progress.unplaced()
	case apiErr != nil && apiErr.Unauthorized():
		fatal = fmt.Errorf("the API key was refused: %w", err)
	case apiErr != nil && apiErr.NotFound():
		fatal = fmt.Errorf("agent %s was not found (or belongs to another account): %w", r.cfg.AgentID, err)
	case apiErr != nil && apiErr.Redirect():
		fatal = err
	case apiErr == nil:
		// Never sent, after the client's retries: Bolna cannot be reached. The row stays
		// pending; going on would only void the rest of the list the same way.
		r.progress.unplaced()
		fatal = fmt.Errorf("could not reach Bolna: %w", err)
	default:
		r.progress.placing() // an attempt Bolna answered, with a refusal
		o := journal.Outcome{Status: journal.StatusError, Error: "Bolna refused the call: " + apiErr.Message, DialedAt: a.DialedAt, FinishedAt: r.cfg.Now()}
		return led.move(a, phaseFinal, step{outcome: &o})
	}
	if err := led.move(a, phaseVoid, step{}); err != nil {
		return err
	}
	if fatal != nil {
		return &FatalError{fatal}
	}
	return nil
}

// Plan is what a scan of the list found: how many rows of each kind.
type Plan struct {
	Rows       int            `json:"rows"`
	Invalid    int            `json:"invalid"`
	Reasons    map[string]int `json:"invalid_reasons,omitempty"` // invalid rows by reason
	Duplicates int            `json:"duplicates"`
	Suppressed int            `json:"suppressed"`
	Outside    int            `json:"outside_window"` // to dial, but outside calling hours now
	Done       int            `json:"done"`           // final in an earlier run, no retry due
	Live       int            `json:"in_flight"`      // dialled by an earlier run, not final yet
	Waiting    int            `json:"retry_later"`    // a retry is due after --retry-after
	Limited    int            `json:"over_limit"`     // to dial, but past --limit this run
	Dial       int            `json:"to_dial"`        // to dial now
	// Bad are the first invalid rows (at most MaxBadRows), with their line and the fix.
	Bad []BadRow `json:"invalid_rows,omitempty"`
	// Encoding is the encoding the list was read in (see LoadOptions.Encoding).
	Encoding string `json:"encoding,omitempty"`
}

// BadRow is an invalid row of the list: its line and what is wrong with it.
type BadRow struct {
	Line    int    `json:"line"`
	Problem string `json:"problem"`
}

// MaxBadRows bounds the invalid rows a Plan lists; the results file has them all.
const MaxBadRows = 20

func (p *Plan) count(row contacts.Row, k kind) {
	if k == kindOtherShard {
		return
	}
	p.Rows++
	switch k {
	case kindInvalid:
		p.Invalid++
		if len(p.Bad) < MaxBadRows {
			p.Bad = append(p.Bad, BadRow{Line: row.Line, Problem: row.Problem})
		}
		reason, _, _ := strings.Cut(row.Problem, " (")
		if p.Reasons == nil {
			p.Reasons = map[string]int{}
		}
		if len(p.Reasons) < 20 || p.Reasons[reason] > 0 {
			p.Reasons[reason]++
		} else {
			p.Reasons["other"]++
		}
	case kindDuplicate:
		p.Duplicates++
	case kindSuppressed:
		p.Suppressed++
	case kindOutside:
		p.Outside++
	case kindDone:
		p.Done++
	case kindLive:
		p.Live++
	case kindWait:
		p.Waiting++
	case kindDial:
		p.Dial++
	case kindLimited:
		p.Limited++
	}
}

// nothingToDial is an *InputError for a list in which no row can ever be dialled: no rows at
// all, or every one invalid. Its reasons say why; nothing was dialled.
func nothingToDial(input string, p Plan) error {
	switch {
	case p.Rows == 0:
		return &contacts.InputError{File: input, Err: errors.New("the list has a header and no rows: nothing to dial")}
	case p.Invalid < p.Rows:
		return nil
	}
	var lines []string
	for _, b := range p.Bad[:min(len(p.Bad), 5)] {
		lines = append(lines, fmt.Sprintf("line %d: %s", b.Line, b.Problem))
	}
	if more := p.Rows - len(lines); more > 0 {
		lines = append(lines, fmt.Sprintf("and %d more (--dry-run lists %d)", more, MaxBadRows))
	}
	return &contacts.InputError{File: input, Err: fmt.Errorf("no row can be dialled: all %d %s invalid; %s",
		p.Rows, plural(p.Rows, "row is", "rows are"), strings.Join(lines, "; "))}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// DryRun scans the list and hands emit the POST /call body of every row a run would dial now.
func (r *Runner) DryRun(input string, st *journal.State, emit func(dialer.CallRequest) error) (Plan, error) {
	var emitErr error
	p, err := r.scan(input, st, func(row contacts.Row, userData map[string]string, c classification) bool {
		userData[contacts.RefKey] = st.Ref(row.Key, c.attempt)
		emitErr = emit(dialer.CallRequest{AgentID: r.cfg.AgentID, RecipientPhoneNumber: row.Phone, FromPhoneNumber: r.cfg.FromNumber, UserData: userData})
		return emitErr == nil
	})
	if err == nil && emitErr == nil {
		err = nothingToDial(input, p)
	}
	return p, errors.Join(err, emitErr)
}

// scan streams the list and classifies every row. For each row to dial now it calls dial (if
// not nil) with a fresh user_data map and the attempt number; dial returning false ends the
// scan. A list that is not readable CSV fails the scan before any call: the dispatching scan
// only starts after a clean first one.
func (r *Runner) scan(input string, st *journal.State, dial func(contacts.Row, map[string]string, classification) bool) (Plan, error) {
	f, l, err := r.openList(input)
	if err != nil {
		return Plan{}, err
	}
	defer f.Close()
	cl := newClassifier(&r.cfg, st, r.dups)
	defer func() { r.fresh = cl.fresh }()
	p := Plan{Encoding: l.Encoding()}
	for ; ; cl.row++ {
		row, err := l.Next()
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return p, err
		}
		c, err := cl.classify(row)
		if err != nil {
			return p, inFile(err, input)
		}
		p.count(row, c.kind)
		if c.kind == kindDial && dial != nil && !dial(row, l.UserData(row), c) {
			return p, nil
		}
	}
}

// openList opens the contact list for one pass and reads its header.
func (r *Runner) openList(input string) (*os.File, *contacts.Loader, error) {
	f, err := os.Open(input)
	if err != nil {
		return nil, nil, &contacts.InputError{File: input, Err: unwrapPath(err)}
	}
	l, err := contacts.NewLoader(f, input, r.cfg.Load)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, l, nil
}

// inFile names the file in an InputError that lacks it.
func inFile(err error, file string) error {
	var ie *contacts.InputError
	if errors.As(err, &ie) && ie.File == "" {
		ie.File = file
	}
	return err
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeResults streams the list a last time and writes each row's latest state.
func (r *Runner) writeResults(input string, st *journal.State, out ResultWriter) (*Summary, error) {
	f, l, err := r.openList(input)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := out.WriteHeader(l.Header()); err != nil {
		return nil, err
	}
	s := &Summary{ByStatus: map[journal.Status]int{}}
	cl := newClassifier(&r.cfg, st, r.dups)
	// --limit counts the rows never dialled before that this run set out to dial: those it
	// dialled are not new any more, and the next ones are over the limit, not to dial now.
	cl.fresh = r.dispatchedFresh
	for ; ; cl.row++ {
		row, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		o, retryDue, write, err := cl.outcome(row)
		if err != nil {
			return nil, inFile(err, input)
		}
		if !write {
			continue
		}
		if retryDue {
			s.RetryDue++
		}
		if o.Attempts > 0 {
			o.AgentID = st.Owner().Agent
		}
		s.Rows++
		s.ByStatus[o.Status]++
		if err := out.WriteRow(row.Record, o); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// progress counts what the run has done, for progress bars and log lines.
type progress struct {
	mu       sync.Mutex
	toDial   int
	resumed  int
	placed   int
	done     int
	byStatus map[journal.Status]int
}

// Progress is a snapshot of a running campaign.
type Progress struct {
	ToDial   int                    // rows this run set out to dial
	Resumed  int                    // calls from earlier runs being followed
	Placed   int                    // calls placed so far
	Done     int                    // calls (placed or resumed) that reached an outcome
	ByStatus map[journal.Status]int // outcomes so far
}

func (p *progress) set(toDial, resumed int) {
	p.mu.Lock()
	p.toDial, p.resumed, p.byStatus = toDial, resumed, map[journal.Status]int{}
	p.mu.Unlock()
}

func (p *progress) placing() {
	p.mu.Lock()
	p.placed++
	p.mu.Unlock()
}

// unplaced counts a row set out to dial whose POST never left (or was refused with 429 to the
// end): it stays pending.
func (p *progress) unplaced() {
	p.mu.Lock()
	p.toDial--
	p.mu.Unlock()
}

func (p *progress) finished(status journal.Status) {
	p.mu.Lock()
	p.done++
	if p.byStatus == nil {
		p.byStatus = map[journal.Status]int{}
	}
	p.byStatus[status]++
	p.mu.Unlock()
}

// Progress returns a snapshot of the run so far; it is safe to call from any goroutine.
func (r *Runner) Progress() Progress {
	p := &r.progress
	p.mu.Lock()
	defer p.mu.Unlock()
	return Progress{ToDial: p.toDial, Resumed: p.resumed, Placed: p.placed, Done: p.done, ByStatus: maps.Clone(p.byStatus)}
}
