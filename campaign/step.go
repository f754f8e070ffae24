package campaign

import (
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// The attempt's life as a pure state machine: step takes an event and says, without doing
// anything, the phase it leads to and the effects that means (the journal record, the slot and
// caller id, the tracker's index, the account's history). The executor (ledger.apply) is the
// one place that carries effects out.

// eventKind is what happened to an attempt.
type eventKind uint8

const (
	evReserved     eventKind = iota + 1 // a slot was taken for a row about to be dialled
	evCancelled                         // the reservation is not dialled after all (a caller id not had, a stop, the window)
	evIntent                            // the reservation is dialled: its intent to dial is synced
	evAdopted                           // an earlier run's call, with its execution id, is taken over
	evOrphaned                          // an earlier run's intent with no execution id (or torn) is looked for
	evPlaced                            // POST /call answered with the call's execution id
	evReplyLost                         // POST /call's reply was lost: the call may exist
	evUnsent                            // POST /call never left, or no call came of it (a guard that failed, a pause): no call
	evCallRefused                       // Bolna refused the call itself (400, 422, …): its outcome, no call
	evSkipped                           // the account's guard skipped the person: its outcome, no call
	evTracked                           // the tracker takes the call over (indexes it)
	evFound                             // a search found the call: its execution id
	evAbsent                            // a search proved that no call was made
	evUnfound                           // a search concluded it cannot find the call: unknown
	evUnresolved                        // the call could not be looked for: unknown, unresolved
	evSeen                              // a look saw a status that is not final
	evPushed                            // a push said a status that is not final
	evFinal                             // a final status with its whole payload: the outcome
	evTimedOut                          // --max-wait passed with no final status
	evNotFound                          // Bolna no longer knows the execution (404)
	evStopAccepted                      // Bolna reports the call stopped before it rang
)

var eventNames = [...]string{evReserved: "Reserved", evCancelled: "Cancelled", evIntent: "Intent", evAdopted: "Adopted",
	evOrphaned: "Orphaned", evPlaced: "Placed", evReplyLost: "ReplyLost", evUnsent: "Unsent", evCallRefused: "CallRefused",
	evSkipped: "Skipped", evTracked: "Tracked", evFound: "Found", evAbsent: "Absent", evUnfound: "Unfound",
	evUnresolved: "Unresolved", evSeen: "Seen", evPushed: "Pushed", evFinal: "Final", evTimedOut: "TimedOut",
	evNotFound: "NotFound", evStopAccepted: "StopAccepted"}

func (k eventKind) String() string { return eventNames[k] }

// event is one thing that happened to an attempt, with what it carries.
type event struct {
	kind    eventKind
	id      string           // Placed, Found: the call's execution id
	status  dialer.Status    // Seen, Pushed
	outcome *journal.Outcome // CallRefused, Skipped, Unfound, Unresolved, Final, TimedOut, NotFound
	reason  string           // StopAccepted, Unsent: why, for the row
	// mayFree (Pushed): the tracker lets one more slot be freed on a push's word alone (see
	// tracker.maxUnconfirmed).
	mayFree bool
}

// effectKind is one thing the executor does for a step.
type effectKind uint8

const (
	effRefuse         effectKind = iota + 1 // the event cannot happen in this phase: an internal error, nothing done
	effRecordWhole                          // the intent a crash cut is recorded whole
	effRecordIntent                         // the intent to dial, synced
	effRecordPlaced                         // the execution id
	effRecordFinal                          // the outcome
	effRecordVoid                           // no call was made: the attempt does not count
	effRecordGiveBack                       // stopped before it rang: the attempt does not count, with why
	effRecordSettled                        // a torn intent that made no call is closed
	effGuardPlaced                          // the history learns the execution id
	effGuardSettle                          // the history records the outcome
	effGuardVoid                            // the history learns no call was made
	effGuardStopped                         // the history learns the call was stopped before it rang
	effEnd                                  // told: progress, caps (the outcome), and the budget
	effGiveSlot                             // the slot and caller id go back
	effTakeSlot                             // a slot and caller id are taken, without waiting
	effNoteStatus                           // the latest status Bolna gave is kept
	effUnconfirmed                          // the slot is freed on a push's word: counted until a look
	effConfirmed                            // no longer freed on a push's word alone
	effContradicted                         // a look contradicts a push that freed the slot (said by the tracker)
	effLookSoon                             // ignored for now: the tracker looks at the call soon
	effIndex                                // the tracker follows the call, by its id
	effForget                               // the tracker lets the call go
)

var effectNames = [...]string{effRefuse: "refuse", effRecordWhole: "record-whole", effRecordIntent: "record-intent",
	effRecordPlaced: "record-placed", effRecordFinal: "record-final", effRecordVoid: "record-void",
	effRecordGiveBack: "record-give-back", effRecordSettled: "record-settled", effGuardPlaced: "guard-placed",
	effGuardSettle: "guard-settle", effGuardVoid: "guard-void", effGuardStopped: "guard-stopped", effEnd: "end",
	effGiveSlot: "give-slot", effTakeSlot: "take-slot", effNoteStatus: "note-status", effUnconfirmed: "unconfirmed",
	effConfirmed: "confirmed", effContradicted: "contradicted", effLookSoon: "look-soon", effIndex: "index",
	effForget: "forget"}

func (k effectKind) String() string { return effectNames[k] }

// effect is one effect of a step (the event carries its data).
type effect struct{ kind effectKind }

// effects builds an effect list.
func effects(kinds ...effectKind) []effect {
	out := make([]effect, len(kinds))
	for i, k := range kinds {
		out[i] = effect{k}
	}
	return out
}

// refuse is the answer to an event the attempt's life does not allow.
func (a *attempt) refuse() (phase, []effect) { return a.phase, effects(effRefuse) }

// step says what event ev means for the attempt: the phase it leads to, and the effects, in the
// order they are carried out (the records first: nothing else happens when one fails). It is
// pure: it reads the attempt and changes nothing. An event that changes nothing returns the
// phase as it is and no effect (ignored); one that cannot happen returns effRefuse.
func (a *attempt) step(ev event) (phase, []effect) {
	switch ev.kind {
	case evReserved, evCancelled, evIntent, evAdopted, evOrphaned:
		return a.stepStart(ev)
	case evPlaced, evReplyLost, evUnsent, evCallRefused, evSkipped:
		return a.stepPlacement(ev)
	case evTracked, evFound, evAbsent, evUnfound, evUnresolved:
		return a.stepSearch(ev)
	case evSeen, evPushed:
		return a.stepStatus(ev)
	case evFinal, evTimedOut, evNotFound:
		if !a.phase.followed() || a.phase == phaseSearching && ev.kind != evTimedOut {
			return a.refuse()
		}
		return phaseFinal, a.ending(ev, phaseFinal)
	case evStopAccepted:
		if a.phase != phaseQueued {
			return a.refuse()
		}
		return phaseVoid, a.ending(ev, phaseVoid)
	}
	return a.refuse()
}

// stepStart: a reservation, and the attempts that start a run (an earlier run's).
func (a *attempt) stepStart(ev event) (phase, []effect) {
	switch {
	case ev.kind == evReserved && a.phase == 0:
		return phaseReserved, nil // the slot was taken by the wait for it
	case ev.kind == evCancelled && a.phase == phaseReserved:
		return phaseVoid, effects(effGiveSlot)
	case ev.kind == evIntent && a.phase == phaseReserved:
		return phaseIntent, effects(effRecordIntent)
	case ev.kind == evAdopted && a.phase == 0:
		return phaseUnknown, effects(effTakeSlot, effIndex)
	case ev.kind == evOrphaned && a.phase == 0:
		return phaseSearching, effects(effTakeSlot)
	}
	return a.refuse()
}

// stepPlacement: what POST /call's answer (or the guard's, before it) means.
func (a *attempt) stepPlacement(ev event) (phase, []effect) {
	if a.phase != phaseIntent {
		return a.refuse()
	}
	switch ev.kind {
	case evPlaced:
		return phaseUnknown, effects(effRecordPlaced, effGuardPlaced)
	case evReplyLost:
		return phaseSearching, nil
	case evUnsent:
		record := effRecordVoid
		if ev.reason != "" { // placing stopped before its POST left: the row says why
			record = effRecordGiveBack
		}
		return phaseVoid, effects(record, effGuardVoid, effEnd, effGiveSlot)
	case evCallRefused:
		return phaseFinal, effects(effRecordFinal, effGuardVoid, effEnd, effGiveSlot)
	}
	return phaseFinal, effects(effRecordFinal, effEnd, effGiveSlot) // skipped: the guard never reserved it
}

// stepSearch: the tracker taking a call over, and the search for one whose reply was lost.
func (a *attempt) stepSearch(ev event) (phase, []effect) {
	switch {
	case ev.kind == evTracked && (a.phase == phaseUnknown || a.phase == phaseSearching):
		if a.indexed {
			return a.phase, nil
		}
		return a.phase, effects(effIndex)
	case a.phase != phaseSearching:
		return a.refuse()
	case ev.kind == evFound:
		var out []effect
		if a.torn {
			out = effects(effRecordWhole)
		}
		return phaseUnknown, append(out, effects(effRecordPlaced, effGuardPlaced, effIndex)...)
	case ev.kind == evAbsent:
		return phaseVoid, a.ending(ev, phaseVoid)
	case ev.kind == evUnfound, ev.kind == evUnresolved:
		return phaseFinal, a.ending(ev, phaseFinal)
	}
	return a.refuse()
}

// stepStatus: a status that is not final, seen by a look or said by a push.
func (a *attempt) stepStatus(ev event) (phase, []effect) {
	if !a.phase.followed() || a.phase == phaseSearching {
		return a.refuse()
	}
	to := phaseOf(ev.status)
	var out []effect
	if ev.kind == evSeen && a.unconfirmed {
		out = effects(effConfirmed)
		if !ev.status.Dropped() { // a forged push freed the slot: taken back
			return to, append(out, a.moveSlot(to, effNoteStatus, effContradicted)...)
		}
	}
	switch {
	case a.phase == phaseDropped && !ev.status.Dropped():
		return a.phase, out // an older observation, delivered late: the line has dropped already
	case ev.kind == evPushed && to == phaseDropped && a.phase.holdsSlot() && (!a.status.Rang() || !ev.mayFree):
		// A push alone frees no slot of a call never seen ringing or talking, nor more than a
		// few at once: a look says first.
		return a.phase, effects(effLookSoon)
	case ev.kind == evPushed && to == phaseDropped && a.phase.holdsSlot():
		out = effects(effUnconfirmed)
	}
	return to, append(out, a.moveSlot(to, effNoteStatus)...)
}

// moveSlot is the slot's part of a move to phase to, after the effects before.
func (a *attempt) moveSlot(to phase, before ...effectKind) []effect {
	switch {
	case a.phase.holdsSlot() && !to.holdsSlot():
		before = append(before, effGiveSlot)
	case !a.phase.holdsSlot() && to.holdsSlot():
		before = append(before, effTakeSlot)
	}
	return effects(before...)
}

// ending is what ending an attempt followed by the tracker means (to phaseFinal or
// phaseVoid): the record, the history told (a timeout or a call that could not be looked for
// stays open there, counting as a call, until the journal settles it), the end told, the slot
// back if it holds one, and the tracker lets it go.
func (a *attempt) ending(ev event, to phase) []effect {
	var out []effect
	switch {
	case to == phaseFinal && a.torn:
		out = effects(effRecordWhole, effRecordFinal)
	case to == phaseFinal:
		out = effects(effRecordFinal)
	case a.torn:
		out = effects(effRecordSettled)
	case ev.kind == evStopAccepted:
		out = effects(effRecordGiveBack)
	default:
		out = effects(effRecordVoid)
	}
	switch ev.kind {
	case evTimedOut, evUnresolved:
	case evStopAccepted:
		out = append(out, effect{effGuardStopped})
	case evAbsent:
		out = append(out, effect{effGuardVoid})
	default:
		out = append(out, effect{effGuardSettle})
	}
	out = append(out, effect{effEnd})
	if a.unconfirmed {
		out = append(out, effect{effConfirmed})
	}
	if a.phase.holdsSlot() {
		out = append(out, effect{effGiveSlot})
	}
	if a.indexed {
		out = append(out, effect{effForget})
	}
	return out
}
