package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// The account's guard: before every POST /call the runner asks it (Config.Guard) whether the
// account's rules let the person be dialled, and it reserves the attempt in the same breath;
// every later move of the attempt is told to it (see ledger.tell). The history package
// implements it (history.Guard); the runner knows it only through this interface.

// Guard is the account-wide history a run consults and records into. Its methods are safe for
// concurrent use.
type Guard interface {
	// Reserve checks the account's rules for a and, when they allow the call, records it as
	// reserved, in one transaction.
	Reserve(ctx context.Context, a GuardAttempt, r Rules) (Verdict, error)
	// Placed records the execution id Bolna gave the attempt ref.
	Placed(ctx context.Context, ref, executionID string, at time.Time) error
	// Settle records how the attempt ref ended.
	Settle(ctx context.Context, ref string, o Settlement) error
	// Void says no call was made for the attempt ref.
	Void(ctx context.Context, ref string) error
	// Unsettled lists the references of campaign's attempts the history holds as reserved
	// or placed: a call that may still cost, or that a crash left unsettled.
	Unsettled(ctx context.Context, campaign string) ([]string, error)
	// DailySpend is the account's spend (cents) on calls reserved since since.
	DailySpend(ctx context.Context, since time.Time) (float64, error)
}

// GuardAttempt is one dial of a person, as the guard reserves it.
type GuardAttempt struct {
	Campaign, List, Results, Agent, Phone, From string
	Number                                      int // the attempt's number for its row, from 1
	Ref                                         string
	At                                          time.Time
}

// Rules are the account-wide rules of the guard (zero turns a rule off): skip a person
// another campaign dialled within MinGap, or called MaxCalls times within Period.
type Rules struct {
	MinGap   time.Duration
	MaxCalls int
	Period   time.Duration
}

// Verdict is the guard's answer to a reservation. Kind is one of the statuses StatusRecent,
// StatusCapped, StatusDoNotCall (the person is skipped), or VerdictPaused (placing stops).
type Verdict struct {
	Allowed, Repeat bool
	Kind            string
	Reason          string // in words: who or what, and when
}

// VerdictPaused is the Kind of a Verdict refused because the campaign, or every campaign, is
// paused.
const VerdictPaused = "paused"

// Settlement is how an attempt ended, for Guard.Settle.
type Settlement struct {
	ExecutionID, Status, Result string
	Cost, Talk                  float64
	Ended                       time.Time
}

// GuardError is a guard that could not answer or record: the history cannot be reached.
// Before a POST it stops placing (a call is never placed unguarded); after one, it is a
// warning (the journal is the record, and the next run settles the history from it).
type GuardError struct {
	Op, Ref string
	Err     error
}

func (e *GuardError) Error() string {
	return fmt.Sprintf("the account's history (%s %s): %v", e.Op, e.Ref, e.Err)
}

func (e *GuardError) Unwrap() error { return e.Err }

// skipStatus is the row status of a person the guard skips, by the verdict's kind.
func skipStatus(kind string) (journal.Status, bool) {
	switch s := journal.Status(kind); s {
	case journal.StatusRecent, journal.StatusCapped, journal.StatusDoNotCall:
		return s, true
	}
	return "", false
}

// guarded asks the guard, once the attempt's intent is synced, whether its POST may leave. It
// returns true when it may; otherwise the attempt has ended (a skipped person's row its own
// status, a pause halting the run), or err stops placing (the history cannot be reached).
func (r *Runner) guarded(ctx context.Context, led *ledger, a *attempt, st *journal.State) (bool, error) {
	g := r.cfg.Guard
	if g == nil {
		return true, nil
	}
	v, err := g.Reserve(ctx, GuardAttempt{Campaign: st.Campaign(), List: r.input,
		Results: r.output, Agent: a.agent(&r.cfg),
		Phone: a.Phone, From: a.From, Number: a.Attempt, Ref: a.Ref, At: a.DialedAt}, r.cfg.Rules)
	if err != nil {
		if _, verr := led.apply(a, event{kind: evUnsent, reason: stoppedReason}); verr != nil {
			return false, errors.Join(verr, &FatalError{&GuardError{Op: "reserve", Ref: a.Ref, Err: err}})
		}
		return false, &FatalError{&GuardError{Op: "reserve", Ref: a.Ref, Err: err}}
	}
	if v.Allowed {
		a.guarded = true
		return true, nil
	}
	if status, skip := skipStatus(v.Kind); skip {
		now := r.cfg.Now()
		o := journal.Outcome{Status: status, Error: v.Reason, DialedAt: a.DialedAt, FinishedAt: now}
		_, err := led.apply(a, event{kind: evSkipped, outcome: &o})
		return false, err
	}
	r.pausedBy(v.Reason)
	_, err = led.apply(a, event{kind: evUnsent, reason: stoppedReason})
	return false, err
}

// tell records an effect of a step in the guard (see ledger.apply), before the step changes
// a.phase: the call's execution id, or its end. An attempt the guard skipped was never
// reserved, and is not told. A failure is a warning: the call is in the journal, from which the
// next run settles the history (see reconcile).
func (l *ledger) tell(a *attempt, k effectKind, ev event) {
	if k < effGuardPlaced || k > effGuardStopped || l.guard == nil || !a.guarded && !l.known[a.Ref] {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), guardTimeout)
	defer cancel()
	var err error
	switch k {
	case effGuardPlaced:
		err = l.guard.Placed(ctx, a.Ref, ev.id, l.now())
	case effGuardSettle:
		err = l.guard.Settle(ctx, a.Ref, settlementOf(a.ExecutionID, *ev.outcome))
	case effGuardStopped: // stopped before it rang: Bolna had it
		err = l.guard.Settle(ctx, a.Ref, Settlement{ExecutionID: a.ExecutionID, Status: string(journal.StatusStopped), Ended: l.now()})
	case effGuardVoid:
		err = l.guard.Void(ctx, a.Ref)
	}
	if err != nil {
		l.warn(callFacts(a, l.arm).err(err), "the account's history could not record attempt %d of %s (%v): the journal holds it, and the next run records it there", a.Attempt, maskPhone(a.Phone), err)
	}
}

// guardTimeout bounds one write to the history after a POST: a history that hangs delays the
// run's bookkeeping by this much, never loses the call.
const guardTimeout = 10 * time.Second

// reconcile settles, at the start of a run, what the history still holds open of this
// campaign's attempts from the journal (a run that died left them reserved or placed): an
// attempt the journal has an outcome for is settled, one it gave back is voided, and one it
// still follows is known, so that its end, in this run, is told (see tell). Only the
// campaign's unsettled attempts are read. A history that cannot be reached stops the run
// before any call.
func (r *Runner) reconcile(ctx context.Context, st *journal.State) (known map[string]bool, err error) {
	g := r.cfg.Guard
	if g == nil {
		return nil, nil
	}
	refs, err := g.Unsettled(ctx, st.Campaign())
	if err != nil {
		return nil, &FatalError{&GuardError{Op: "unsettled", Ref: st.Campaign(), Err: err}}
	}
	known = map[string]bool{}
	for _, ref := range refs {
		fate, o, err := st.FateOf(ref)
		if err != nil {
			return nil, &FatalError{err}
		}
		switch fate {
		case journal.FateOpen:
			known[ref] = true
		case journal.FateVoid:
			if err = g.Void(ctx, ref); err != nil { // a call stopped before it rang had an id: it counts
				err = g.Settle(ctx, ref, Settlement{Status: string(journal.StatusStopped), Ended: r.cfg.Now()})
			}
		case journal.FateFinal:
			s := Settlement{Status: string(journal.StatusUnknown), Ended: r.cfg.Now()}
			if o != nil {
				s = settlementOf("", *o)
			}
			err = g.Settle(ctx, ref, s)
		}
		if err != nil {
			r.cfg.warnWith(facts{}.err(err), "the account's history could not settle %s from the journal (%v): the next run tries again", ref, err)
		}
	}
	if n := len(refs) - len(known); n > 0 {
		r.cfg.logf("the account's history had %d %s of this campaign unsettled (a run that ended before recording them): settled from the journal", n, human.Plural(n, "attempt", "attempts"))
	}
	return known, nil
}

func settlementOf(executionID string, o journal.Outcome) Settlement {
	return Settlement{ExecutionID: cmp.Or(o.ExecutionID, executionID), Status: string(o.Status), Result: string(o.Result()),
		Cost: o.Cost, Talk: o.Duration, Ended: o.FinishedAt}
}

// dayRoom says why placing must stop when the account's spend since midnight UTC (every
// campaign's, from the history), with this campaign's calls not costed yet at its average
// cost, would reach Config.MaxCostPerDay; "" while it would not. open is how many of the
// campaign's calls are not costed yet, this one excepted.
func (r *Runner) dayRoom(ctx context.Context, open int) (string, error) {
	limit := r.cfg.MaxCostPerDay
	if limit <= 0 || r.cfg.Guard == nil {
		return "", nil
	}
	now := r.cfg.Now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	spent, err := r.cfg.Guard.DailySpend(ctx, midnight)
	switch {
	case ctx.Err() != nil:
		return "", nil
	case err != nil:
		return "", &FatalError{&GuardError{Op: "daily spend", Ref: midnight.Format(time.DateOnly), Err: err}}
	}
	each := r.budget.each()
	switch {
	case spent >= limit:
		return fmt.Sprintf("the account's spend cap of %g a day is reached (spent %.2f since 00:00 UTC, every campaign's)", limit, spent), nil
	case spent+float64(open+1)*each > limit:
		return fmt.Sprintf("the account's spend cap of %g a day would be passed by another call (spent %.2f since 00:00 UTC, every campaign's; about %.2f a call, %d not costed yet)",
			limit, spent, each, open), nil
	}
	return "", nil
}
