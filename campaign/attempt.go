package campaign

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// phase is where a dial attempt is in its life. It is the attempt's whole state: whether it
// holds a concurrency slot, and what the journal says of it, follow from it (see
// ledger.move, the one place an attempt changes phase).
type phase uint8

const (
	phaseIntent    phase = iota + 1 // the intent to dial is synced; POST /call has not answered
	phaseSearching                  // the POST's reply was lost: the call is looked for by its reference
	phaseUnknown                    // Bolna has the call, in a status not seen yet (an earlier run's) or not documented
	phaseQueued                     // waiting at Bolna: queued, scheduled, rescheduled
	phaseRinging                    // initiated or ringing
	phaseTalking                    // in-progress
	phaseDropped                    // the line dropped (call-disconnected): post-processing
	phaseFinal                      // its outcome is recorded (a timeout too: the next run follows it again)
	phaseVoid                       // no call exists, or it was stopped before it rang: given back
)

var phaseNames = [...]string{phaseIntent: "intent", phaseSearching: "searching", phaseUnknown: "unknown",
	phaseQueued: "queued", phaseRinging: "ringing", phaseTalking: "talking", phaseDropped: "dropped",
	phaseFinal: "final", phaseVoid: "void"}

func (p phase) String() string {
	if int(p) < len(phaseNames) && phaseNames[p] != "" {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// holdsSlot reports whether an attempt in phase p holds one of the run's slots (and its
// caller id): from the intent until the line drops.
func (p phase) holdsSlot() bool { return p >= phaseIntent && p <= phaseTalking }

// ended reports whether nothing more happens to an attempt in phase p in this run.
func (p phase) ended() bool { return p == phaseFinal || p == phaseVoid }

// phaseOf is the phase of a call Bolna reports in a status that is not final (see
// dialer.Status for the lifecycle).
func phaseOf(s dialer.Status) phase {
	switch {
	case s.Dropped():
		return phaseDropped
	case s.Talking():
		return phaseTalking
	case s.Active():
		return phaseRinging
	case s.Waiting():
		return phaseQueued
	}
	return phaseUnknown
}

// moves lists, for each phase, the phases an attempt may move to. A dropped line may be
// taken back (a push said it dropped; a look says it has not).
var moves = map[phase][]phase{
	phaseIntent:    {phaseSearching, phaseUnknown, phaseFinal, phaseVoid},
	phaseSearching: {phaseUnknown, phaseFinal, phaseVoid},
	phaseUnknown:   {phaseUnknown, phaseQueued, phaseRinging, phaseTalking, phaseDropped, phaseFinal},
	phaseQueued:    {phaseUnknown, phaseQueued, phaseRinging, phaseTalking, phaseDropped, phaseFinal, phaseVoid},
	phaseRinging:   {phaseUnknown, phaseQueued, phaseRinging, phaseTalking, phaseDropped, phaseFinal},
	phaseTalking:   {phaseUnknown, phaseQueued, phaseRinging, phaseTalking, phaseDropped, phaseFinal},
	phaseDropped:   {phaseUnknown, phaseQueued, phaseRinging, phaseTalking, phaseDropped, phaseFinal},
}

// attempt is one dial attempt of a row: the call it placed (or may have), and where it is.
type attempt struct {
	journal.LiveCall
	phase   phase
	adopted bool          // left live by an earlier run
	torn    bool          // recovered from an intent a crash cut mid-record: Ref is only its start
	guarded bool          // the account's history holds it (reserved by this run, or left unsettled by an earlier one)
	status  dialer.Status // the latest status Bolna gave
	// The tracker's bookkeeping of the call.
	seenAt    time.Time // when it was last seen holding its slot
	nextCheck time.Time // when it is due, unless it holds a slot (see tracker.slotCheck)
	deadline  time.Time // --max-wait
	placedAt  time.Time // when POST /call was answered (or its reply lost)
	heardAt   time.Time // when anything was last heard of it (a look or a push)
	lostAt    time.Time // when its placement's reply was lost
	// unconfirmed: its slot was freed on the word of a push alone; a look confirms it (or
	// contradicts it, and the slot is taken back).
	unconfirmed bool
	reported    bool // its dropped line was counted in pushReports
	stopRefused bool // Bolna refused to stop it: it has started
	// stopping is why it was asked to stop, until a look sees it stopped (see tracker.stopSeen).
	stopping string
}

func (a *attempt) id() string {
	if a.ExecutionID != "" {
		return a.ExecutionID
	}
	return "ref:" + a.Ref
}

// step is what a move records in the journal, beyond the phase.
type step struct {
	placed  string           // the call's execution id, now known: recorded (State.Placed)
	outcome *journal.Outcome // to phaseFinal: the outcome recorded
	reason  string           // to phaseVoid: why the attempt was given back ("": no call was made)
}

// ledger owns what every attempt holds: the run's slots (the pool), the caller ids, and the
// journal's record of it. An attempt takes a slot when it is created (see reserve) and gives
// it back in the one move that leaves the phases holding one; each move writes the one
// journal record it means. It is safe for concurrent use, as the pool, the caller ids and the
// journal are; each attempt is moved by one goroutine at a time (its placement's, then the
// tracker's).
type ledger struct {
	st      *journal.State
	now     func() time.Time
	pool    *pool      // nil while the calls of earlier runs are surveyed, before the pool is sized
	callers *callerIDs // nil for Bolna's default caller id
	// onFinal is told of every outcome recorded (progress, --halt-after, --max-cost), before
	// the attempt's slot is given back: a run halted by it places no call in that slot.
	onFinal func(journal.Outcome)
	// holders counts the slots held by the attempts' own account: reservations not yet
	// attempts, and attempts in a phase that holds one (see move). The pool counts the same
	// slots by what was taken and given back; the two differ only for the instant between a
	// move and its give-back, or for good once a slot has leaked (see acquire).
	holders atomic.Int64
	// open counts the attempts not ended (placed, or left by an earlier run), reserved the
	// reservations not yet attempts: together, the calls whose cost is not known yet (see
	// budget). onEnd is told of every attempt that ends (its outcome; nil for a void).
	open, reserved atomic.Int64
	onEnd          func(*journal.Outcome)
	// guard is the account's history, told of every move of an attempt it holds (see tell);
	// nil for none. warnf says what it could not record.
	guard Guard
	known map[string]bool // attempts of earlier runs the history holds unsettled (see reconcile)
	warnf func(format string, args ...any)
}

// invariantError is a move the attempt's life does not allow: a bug, never a state of the
// world. The run stops; what the journal holds stays valid.
type invariantError struct{ msg string }

func (e *invariantError) Error() string { return "campaign: internal error: " + e.msg }

// move takes a to phase to, with the effects the move means, in this order: the journal
// record, the outcome's consequences, then the slot (and caller id) given back or taken
// back. It is the only place any of these happen.
func (l *ledger) move(a *attempt, to phase, s step) error {
	from := a.phase
	if !allowed(from, to) {
		return &FatalError{&invariantError{fmt.Sprintf("attempt %d of %s cannot move from %s to %s", a.Attempt, maskPhone(a.Phone), from, to)}}
	}
	if err := l.record(a, to, s); err != nil {
		return &FatalError{err}
	}
	l.tell(a, to, s)
	a.phase = to
	l.holders.Add(int64(holds(to) - holds(from)))
	switch {
	case from == 0:
		l.open.Add(1)
	case to.ended():
		l.open.Add(-1)
	}
	if to == phaseFinal && l.onFinal != nil {
		l.onFinal(*s.outcome)
	}
	if to.ended() && l.onEnd != nil {
		l.onEnd(s.outcome)
	}
	switch {
	case from.holdsSlot() && !to.holdsSlot():
		l.giveBack(a.From)
	case !from.holdsSlot() && to.holdsSlot() && from != 0:
		l.takeBack(a.From)
	}
	return nil
}

// holds is 1 for a phase that holds a slot, else 0.
func holds(p phase) int {
	if p.holdsSlot() {
		return 1
	}
	return 0
}

func allowed(from, to phase) bool {
	if from == 0 { // a new attempt: an intent, an earlier run's call, or one it may have made
		return to == phaseIntent || to == phaseUnknown || to == phaseSearching
	}
	for _, p := range moves[from] {
		if p == to {
			return true
		}
	}
	return false
}

// record writes the journal record of a move.
func (l *ledger) record(a *attempt, to phase, s step) error {
	now := l.now()
	if s.placed != "" {
		if a.torn { // the intent a crash cut is recorded whole, now that its call is known
			if err := l.st.Dial(a.Key, a.Phone, a.Attempt, a.Ref, a.DialedAt); err != nil {
				return err
			}
			a.torn = false
		}
		a.ExecutionID = s.placed
		if err := l.st.Placed(a.Key, a.Attempt, s.placed, now); err != nil {
			return err
		}
	}
	switch to {
	case phaseIntent:
		return l.st.DialRow(a.LiveCall)
	case phaseFinal:
		if s.outcome.From == "" {
			s.outcome.From = a.From
		}
		if a.torn { // a crash cut the intent: recorded whole, with the outcome it came to
			if err := l.st.Dial(a.Key, a.Phone, a.Attempt, a.Ref, a.DialedAt); err != nil {
				return err
			}
		}
		return l.st.Final(a.Key, a.Attempt, *s.outcome)
	case phaseVoid:
		switch {
		case a.torn: // the torn intent made no call: closed
			return l.st.Settle(a.Key, a.Attempt, now)
		case s.reason != "":
			return l.st.GiveBack(a.Key, a.Attempt, s.reason, now)
		}
		return l.st.Void(a.Key, a.Attempt, now)
	}
	return nil
}

// reservation is a slot (and caller id) taken for a row about to be dialled; it becomes an
// attempt (see ledger.intent) or is cancelled.
type reservation struct {
	l    *ledger
	from string
	done bool
}

// reserve waits for a slot, then for a caller id (the row's own, the run's, or the least busy
// of the pool's): it fails only when ctx ends, having taken nothing.
func (l *ledger) reserve(ctx context.Context, phone, from string) (*reservation, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	l.holders.Add(1)
	l.reserved.Add(1)
	if l.callers != nil { // the row's own, which counts on its number too, or the pool's
		var err error
		if from, err = l.callers.acquire(ctx, phone, from); err != nil {
			l.holders.Add(-1)
			l.reserved.Add(-1)
			l.pool.release()
			return nil, err
		}
	}
	return &reservation{l: l, from: from}, nil
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

// cancel gives back a reservation that did not become an attempt; a no-op once it did.
func (r *reservation) cancel() {
	if !r.done {
		r.done = true
		r.l.holders.Add(-1)
		r.l.reserved.Add(-1)
		r.l.giveBack(r.from)
	}
}

// intent makes a reservation an attempt: the intent to dial is synced, holding its slot.
func (l *ledger) intent(r *reservation, lc journal.LiveCall) (*attempt, error) {
	r.done = true
	l.holders.Add(-1) // the reservation's slot is the attempt's now (see move)
	l.reserved.Add(-1)
	lc.From = r.from
	a := &attempt{LiveCall: lc}
	if err := l.move(a, phaseIntent, step{}); err != nil {
		l.giveBack(r.from)
		return nil, err
	}
	return a, nil
}

// othersUncosted is how many calls beside the caller's own reservation have no known cost
// yet: attempts not ended, and reservations about to be placed.
func (l *ledger) othersUncosted() int { return int(l.open.Load()+l.reserved.Load()) - 1 }

// giveBack returns a slot and its caller id.
func (l *ledger) giveBack(from string) {
	if l.pool != nil {
		l.pool.release()
		l.callers.release(from)
	}
}

// takeBack takes a slot and caller id back for a call whose line was taken for dropped.
func (l *ledger) takeBack(from string) {
	if l.pool != nil {
		l.pool.retake()
		l.callers.hold(from)
	}
}

// audit checks, once a run is over, that the slots held are those of the calls still
// followed (holding), and that none was given back twice: a slot lost or doubled is a bug the
// run reports, not a panic, nor a run that slowly stops dialling.
func (l *ledger) audit(holding int) error {
	if l.pool == nil {
		return nil
	}
	if held, extra := l.pool.outstanding(); held != holding || extra > 0 {
		return &FatalError{&invariantError{fmt.Sprintf("%d slots held for %d calls holding one, %d given back that were not held", held, holding, extra)}}
	}
	return nil
}
