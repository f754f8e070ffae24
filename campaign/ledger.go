package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// ledger is the executor of the attempts' steps (see attempt.step): it owns what every attempt
// holds — the run's slots (the pool), the caller ids, the journal's record of it, its place in
// the tracker's index (the book) and the account's history — and apply, which carries out the
// effects of a step, is the one code that changes any of them. It is safe for concurrent use,
// as the pool, the caller ids and the journal are; each attempt is moved by one goroutine at a
// time (its placement's, then the tracker's), and only the tracker's moves touch the book.
type ledger struct {
	ledgerDeps
	// holders counts the attempts in a phase that holds a slot. The pool counts the same
	// slots by what was taken and given back; the two differ only for the instant between a
	// move and its give-back, or for good once a slot has leaked (see acquire).
	holders atomic.Int64
	// open counts the attempts not ended (placed, or left by an earlier run), reserved the
	// reservations not yet attempts: together, the calls whose cost is not known yet (see
	// budget).
	open, reserved atomic.Int64
}

// ledgerDeps are what the ledger works with, all given when it is made.
type ledgerDeps struct {
	st      *journal.State
	now     func() time.Time
	pool    *pool      // sized once the calls of earlier runs are surveyed (see pool.size)
	callers *callerIDs // nil for Bolna's default caller id
	book    *book      // the calls the tracker follows
	looks   *pacer     // told how long each call held its slot
	// onFinal is told of every outcome recorded (progress, --halt-after, --max-cost), before
	// the attempt's slot is given back: a run halted by it places no call in that slot.
	onFinal func(journal.Outcome)
	// onOutcome is told of the same outcomes with their row's key (an experiment's counts);
	// nil for none.
	onOutcome func(key string, o journal.Outcome)
	// onEnd is told of every attempt that ends after its intent (its outcome; nil for a void).
	onEnd func(*journal.Outcome)
	// guard is the account's history, told of every move of an attempt it holds; nil for
	// none. known are the attempts of earlier runs it holds unsettled (see reconcile).
	guard Guard
	known map[string]bool
	// log is told of each step of a call's life, at level Debug (see logStep), and of what
	// could not be recorded in the history, the calls' facts with their agent arm.
	log *slog.Logger
	arm string
}

func newLedger(deps ledgerDeps) *ledger {
	if deps.pool == nil {
		deps.pool = newPool()
	}
	if deps.book == nil {
		deps.book = newBook()
	}
	if deps.onFinal == nil {
		deps.onFinal = func(journal.Outcome) {}
	}
	if deps.onEnd == nil {
		deps.onEnd = func(*journal.Outcome) {}
	}
	if deps.log == nil {
		deps.log = slog.New(slog.DiscardHandler)
	}
	return &ledger{ledgerDeps: deps}
}

// invariantError is a move the attempt's life does not allow: a bug, never a state of the
// world. The run stops; what the journal holds stays valid.
type invariantError struct{ msg string }

func (e *invariantError) Error() string { return "campaign: internal error: " + e.msg }

// apply carries out what ev means for a (see attempt.step): the records first (should one
// fail, nothing else happens and a stays as it was), then the history told, the phase
// changed and counted, and the rest in step's order. It returns the effects, for the
// caller's own bookkeeping (effContradicted, effLookSoon).
func (l *ledger) apply(a *attempt, ev event) ([]effect, error) {
	from, status := a.phase, a.status
	to, effs := a.step(ev)
	if len(effs) > 0 && effs[0].kind == effRefuse {
		return effs, &FatalError{&invariantError{fmt.Sprintf("attempt %d of %s: %s cannot happen to an attempt %s", a.Attempt, maskPhone(a.Phone), ev.kind, from)}}
	}
	for _, e := range effs {
		if err := l.record(a, e.kind, ev); err != nil {
			return effs, &FatalError{err}
		}
	}
	for _, e := range effs {
		l.tell(a, e.kind, ev)
	}
	a.phase = to
	l.holders.Add(int64(holds(to) - holds(from)))
	l.open.Add(int64(count(to.open()) - count(from.open())))
	l.reserved.Add(int64(count(to == phaseReserved) - count(from == phaseReserved)))
	for _, e := range effs {
		l.carry(a, e.kind, ev)
	}
	l.logStep(a, ev, effs, status)
	return effs, nil
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

// holds is 1 for a phase that holds a slot, else 0.
func holds(p phase) int { return count(p.holdsSlot()) }

// record writes the journal record of an effect (other effects write none).
func (l *ledger) record(a *attempt, k effectKind, ev event) error {
	now := l.now()
	switch k {
	case effRecordWhole: // the intent a crash cut is recorded whole, now that its fate is known
		// With its agent: an experiment's other arm is followed, and looked for, in its own list.
		whole := journal.LiveCall{Key: a.Key, Phone: a.Phone, Attempt: a.Attempt, Ref: a.Ref, DialedAt: a.DialedAt, Agent: a.Agent}
		if err := l.st.DialRow(whole); err != nil {
			return err
		}
		a.torn = false
	case effRecordIntent:
		return l.st.DialRow(a.LiveCall)
	case effRecordPlaced:
		a.ExecutionID = ev.id
		return l.st.Placed(a.Key, a.Attempt, ev.id, now)
	case effRecordFinal:
		if ev.outcome.From == "" {
			ev.outcome.From = a.From
		}
		if ev.outcome.AgentID == "" {
			ev.outcome.AgentID = a.Agent
		}
		return l.st.Final(a.Key, a.Attempt, *ev.outcome)
	case effRecordVoid:
		return l.st.Void(a.Key, a.Attempt, now)
	case effRecordGiveBack:
		return l.st.GiveBack(a.Key, a.Attempt, ev.reason, now)
	case effRecordSettled:
		return l.st.Settle(a.Key, a.Attempt, now)
	}
	return nil
}

// carry carries out an effect that is not a record (see apply).
func (l *ledger) carry(a *attempt, k effectKind, ev event) {
	switch k {
	case effEnd:
		if ev.kind != evUnsent && ev.kind != evAbsent && ev.kind != evStopAccepted {
			l.onFinal(*ev.outcome)
			if l.onOutcome != nil {
				l.onOutcome(a.Key, *ev.outcome)
			}
			l.onEnd(ev.outcome)
		} else {
			l.onEnd(nil)
		}
	case effGiveSlot:
		if a.indexed && !a.adopted && !a.seenAt.IsZero() {
			// The line dropped between the last time the call was seen holding its slot and now.
			now := l.now()
			l.looks.noteSlotTime(a.seenAt.Add(now.Sub(a.seenAt) / 2).Sub(a.placedAt))
		}
		l.pool.release()
		l.callers.release(a.From)
	case effTakeSlot:
		l.pool.retake()
		l.callers.hold(a.From)
	case effNoteStatus:
		a.status = ev.status
	case effUnconfirmed:
		a.unconfirmed = true
		l.book.unconfirmed++
	case effConfirmed:
		a.unconfirmed = false
		l.book.unconfirmed--
	case effIndex:
		l.book.index(a)
	case effForget:
		l.book.forget(a, l.now())
	}
}

// reserve waits for a slot, then for a caller id (the row's own, the run's, or the least busy
// of the pool's): the reservation is an attempt in phaseReserved. It fails only when ctx ends,
// having taken nothing, or a slot leaked (see acquire).
func (l *ledger) reserve(ctx context.Context, phone, from string) (*attempt, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	a := &attempt{LiveCall: journal.LiveCall{Phone: phone}}
	if _, err := l.apply(a, event{kind: evReserved}); err != nil {
		return nil, err
	}
	if l.callers != nil { // the row's own, which counts on its number too, or the pool's
		var err error
		if from, err = l.callers.acquire(ctx, phone, from); err != nil {
			return nil, errors.Join(err, l.cancel(a))
		}
	}
	a.From = from
	return a, nil
}

// cancel gives back a reservation that is not dialled.
func (l *ledger) cancel(a *attempt) error {
	_, err := l.apply(a, event{kind: evCancelled})
	return err
}

// intent makes a reservation an attempt of lc: the intent to dial is synced, holding its
// slot. A reservation whose intent could not be recorded is given back.
func (l *ledger) intent(a *attempt, lc journal.LiveCall) error {
	lc.From = a.From
	a.LiveCall = lc
	if _, err := l.apply(a, event{kind: evIntent}); err != nil {
		return errors.Join(err, l.cancel(a))
	}
	return nil
}

// leakCheck is how often a wait for a slot compares the pool with the attempts' account of it.
const leakCheck = time.Second

// acquire waits for a free slot. A wait through which the pool holds more slots than the
// attempts account for (see holders), the same two looks leakCheck apart, is a slot that
// leaked: the run stops with the audit's internal error at once, rather than wait for ever for
// a slot nobody will give back.
func (l *ledger) acquire(ctx context.Context) error {
	var suspect [2]int
	for {
		wait, cancel := context.WithTimeout(ctx, leakCheck)
		err := l.pool.acquire(wait)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		held, _ := l.pool.outstanding()
		look := [2]int{held, int(l.holders.Load())}
		if look[0] > look[1] && look == suspect {
			return &FatalError{&invariantError{fmt.Sprintf("a slot leaked: %d slots held for %d attempts holding one, and a row waits for a slot", look[0], look[1])}}
		}
		suspect = look
	}
}

// othersUncosted is how many calls beside the caller's own reservation have no known cost
// yet: attempts not ended, and reservations about to be placed.
func (l *ledger) othersUncosted() int { return int(l.open.Load()+l.reserved.Load()) - 1 }

// audit checks, once a run is over, that the slots held are those of the calls still
// followed (holding), and that none was given back twice: a slot lost or doubled is a bug the
// run reports, not a panic, nor a run that slowly stops dialling.
func (l *ledger) audit(holding int) error {
	if held, extra := l.pool.outstanding(); held != holding || extra > 0 {
		return &FatalError{&invariantError{fmt.Sprintf("%d slots held for %d calls holding one, %d given back that were not held", held, holding, extra)}}
	}
	return nil
}
