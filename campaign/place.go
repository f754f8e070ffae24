package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Placing calls: the pool's size, the pass over the list that dials, and what each reply to
// POST /call means for its attempt.

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
			n = min(cfg.Shard.Split(n), cfg.Shard.Split(maxSlots-cfg.Reserve))
		}
		if n < 1 {
			cfg.warnf("the account has no free concurrency (max %d, in use %d, reserve %d): dialling one call at a time",
				maxSlots, current, cfg.Reserve)
			n = 1
		}
	}
	if maxSlots > 0 && n > maxSlots {
		cfg.logf("--concurrency %d is above the account's limit of %d: using %d", n, maxSlots, maxSlots)
		n = maxSlots
	}
	return max(n, 1)
}

// PoolOn is the pool a run would have on acct (as the latest run recorded it, for a dry run):
// the same sizing a run uses. Of an account recorded more than a minute ago (acct.At) it says
// nothing as if it were current: the caller tells its age.
func (c Config) PoolOn(acct journal.Account) int {
	c.setDefaults()
	if !acct.At.IsZero() && c.Now().Sub(acct.At) > time.Minute {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return poolSize(c, acct.Concurrency, acct.InUse, 0)
}

// dispatch streams the list a second time and places a call for every row that needs one. It
// returns when the list is exhausted or placing stops, once every placement has finished.
func (r *Runner) dispatch(ctx context.Context, input string, st *journal.State, tr *tracker) (int, error) {
	dispatchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go r.watchPause(dispatchCtx, st.Campaign())
	go func() {
		select {
		case <-r.stopped:
			cancel()
		case <-dispatchCtx.Done():
		}
	}()
	limiter := r.limits.placements

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
	r.decided = &decisions{}
	_, err := r.pass(input, st, func(row contacts.Row, userData map[string]string, c classification) (kind, bool) {
		res, more, err := r.ready(dispatchCtx, tr.ledger, limiter, row, c)
		if err != nil {
			fail(err)
		}
		switch {
		case res == nil && more:
			return kindOutside, true // its window closed while it waited
		case res == nil:
			return kindStopped, false
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
		return kindDial, true
	}, r.decided)
	wg.Wait()
	if err != nil {
		return int(dialled.Load()), err
	}
	return int(dialled.Load()), fatal
}

// ready waits until a row may be dialled: a slot and a caller id reserved, the placement rate
// kept. It returns nil when the row is not dialled now, with whether the list goes on (the
// row's calling window closed meanwhile) or placing stops, and why when that is a fault (a
// slot leaked: see ledger.acquire).
func (r *Runner) ready(ctx context.Context, led *ledger, limiter *dialer.Limiter, row contacts.Row, c classification) (*attempt, bool, error) {
	res, err := led.reserve(ctx, row.Phone, row.From)
	var fatal *FatalError
	switch {
	case errors.As(err, &fatal):
		return nil, false, err
	case err != nil:
		return nil, false, nil
	}
	more, halt, err := r.mayPlace(ctx, led, limiter, c)
	if halt != "" {
		r.haltWith(halt)
	}
	if err != nil || halt != "" || !more || r.isStopped() {
		return nil, false, errors.Join(err, led.cancel(res))
	}
	if c.zone != nil && !r.cfg.Window.Contains(r.cfg.Now().In(c.zone)) {
		// the window closed while this row waited for a slot, or for room to spend
		return nil, true, led.cancel(res)
	}
	if res.From == "" {
		res.From = r.cfg.FromNumber
	}
	return res, true, nil
}

// mayPlace waits, a slot reserved, for room to spend and for the placement rate: false when
// placing stops, with why when a cap halts it.
func (r *Runner) mayPlace(ctx context.Context, led *ledger, limiter *dialer.Limiter, c classification) (bool, string, error) {
	// The spend caps first: waiting for the costs of the calls in flight may take minutes,
	// after which the rate, a stop and the calling window are looked at as they are then.
	if ok, halt := r.budget.room(ctx, r.stopped, led.othersUncosted); !ok {
		return false, halt, nil
	}
	if halt, err := r.dayRoom(ctx, led.othersUncosted()); err != nil || halt != "" {
		return false, halt, err
	}
	if limiter.Wait(ctx) != nil { // halted (spend cap, balance) while it waited
		return false, "", nil
	}
	return true, "", nil
}

// place dials one row: intent recorded, POST /call, execution id recorded, call handed to the
// tracker. Its attempt holds the slot reserved, which a step gives back (see attempt.step).
//
// The client owns the retries of a refused (429) POST, bounded and logged; no POST leaves once
// the run is stopped (the send gate), and a POST already sent is still answered.
func (r *Runner) place(ctx context.Context, st *journal.State, tr *tracker, a *attempt, row contacts.Row, userData map[string]string, c classification) (bool, error) {
	ref := st.Ref(row.Key, c.attempt)
	lc := journal.LiveCall{Key: row.Key, Phone: row.Phone, Attempt: c.attempt, Ref: ref, DialedAt: r.cfg.Now(), Line: row.Line, Zone: c.zone, Agent: cmp.Or(c.agent, r.cfg.AgentID)}
	if err := tr.ledger.intent(a, lc); err != nil {
		return false, err
	}
	if r.arms != nil {
		r.arms.note(row.Key, lc.Agent, nil)
	}
	if ok, err := r.guarded(ctx, tr.ledger, a, st); !ok {
		return false, err // skipped (its outcome), or given back: paused, or the history unreachable
	}
	userData[contacts.RefKey] = ref
	req := dialer.CallRequest{AgentID: a.Agent, RecipientPhoneNumber: row.Phone, FromPhoneNumber: a.From, UserData: userData}
	ctx = dialer.WithLogAttrs(ctx, r.cfg.about(a)...) // the client's retries of its POST name the call

	// Progress counts a placement once its POST has been answered (or its reply lost): a POST
	// held back by a stop never left.
	placed, err := r.dialer.PlaceCall(ctx, req, dialer.SendGate(r.stopped))
	if err == nil || dialer.MaybePlaced(err) {
		r.progress.placing()
	}
	switch {
	case err == nil:
		if _, err := tr.ledger.apply(a, event{kind: evPlaced, id: placed.ExecutionID}); err != nil {
			return true, err
		}
		tr.add(ctx, a)
		return true, nil
	case dialer.MaybePlaced(err):
		r.cfg.warnWith(r.cfg.about(a).err(err), "line %d: the reply to POST /call was lost (%v); looking for the call instead of dialling again", row.Line, err)
		if _, err := tr.ledger.apply(a, event{kind: evReplyLost}); err != nil {
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
	case errors.Is(err, dialer.ErrGateClosed) || apiErr != nil && apiErr.RateLimited():
		// Stopped before the POST left, or still rate limited after the client's bounded
		// retries: the row stays pending for the next run.
		if apiErr != nil {
			r.cfg.warnWith(r.cfg.about(a).err(err), "line %d: POST /call still refused with 429 after every retry; the row stays pending", row.Line)
		}
		r.progress.unplaced()
	case apiErr != nil && apiErr.Unauthorized():
		fatal = fmt.Errorf("the API key was refused: %w", err)
	case apiErr != nil && apiErr.NotFound():
		fatal = fmt.Errorf("agent %s was not found (or belongs to another account): %w", a.agent(&r.cfg), err)
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
		_, err := led.apply(a, event{kind: evCallRefused, outcome: &o})
		return err
	}
	ev := event{kind: evUnsent}
	if errors.Is(err, dialer.ErrGateClosed) {
		ev.reason = stoppedReason // its POST never left: the row is pending, and says why
	}
	if _, err := led.apply(a, ev); err != nil {
		return err
	}
	if fatal != nil {
		return &FatalError{fatal}
	}
	return nil
}
