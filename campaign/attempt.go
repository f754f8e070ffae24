package campaign

import (
	"cmp"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/lifecycle"
)

// phase is where a dial attempt is in its life. It is the attempt's whole state: whether it
// holds a concurrency slot, and what the journal says of it, follow from it. Only the
// executor (ledger.apply) changes it, as attempt.step says.
type phase uint8

const (
	phaseReserved  phase = iota + 1 // a slot (and caller id) taken for a row about to be dialled; nothing recorded
	phaseIntent                     // the intent to dial is synced; POST /call has not answered
	phaseSearching                  // the POST's reply was lost: the call is looked for by its reference
	phaseUnknown                    // Bolna has the call, in a status not seen yet (an earlier run's) or not documented
	phaseQueued                     // waiting at Bolna: queued, scheduled, rescheduled
	phaseRinging                    // initiated or ringing
	phaseTalking                    // in-progress
	phaseDropped                    // the line dropped (call-disconnected): post-processing
	phaseFinal                      // its outcome is recorded (a timeout too: the next run follows it again)
	phaseVoid                       // no call exists, or it was stopped before it rang: given back
)

// agent is the agent a's call goes through: its arm's, or the run's.
func (a *attempt) agent(cfg *Config) string { return cmp.Or(a.Agent, cfg.AgentID) }

// phases lists every phase, the new attempt's (0) first: the table tests go over them all.
var phases = []phase{0, phaseReserved, phaseIntent, phaseSearching, phaseUnknown, phaseQueued, phaseRinging,
	phaseTalking, phaseDropped, phaseFinal, phaseVoid}

var phaseNames = [...]string{0: "new", phaseReserved: "reserved", phaseIntent: "intent", phaseSearching: "searching",
	phaseUnknown: "unknown", phaseQueued: "queued", phaseRinging: "ringing", phaseTalking: "talking",
	phaseDropped: "dropped", phaseFinal: "final", phaseVoid: "void"}

func (p phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// holdsSlot reports whether an attempt in phase p holds one of the run's slots (and its
// caller id): from its reservation until the line drops.
func (p phase) holdsSlot() bool { return p >= phaseReserved && p <= phaseTalking }

// ended reports whether nothing more happens to an attempt in phase p in this run.
func (p phase) ended() bool { return p == phaseFinal || p == phaseVoid }

// open reports whether an attempt in phase p is a call whose cost is not known yet: placed (or
// about to be), or left by an earlier run, and not ended.
func (p phase) open() bool { return p >= phaseIntent && !p.ended() }

// followed reports whether an attempt in phase p has a call (or may have one) to follow.
func (p phase) followed() bool { return p >= phaseSearching && !p.ended() }

// phaseOf is the phase of a call Bolna reports in a status that is not terminal, as the one
// status table says (package lifecycle); phaseUnknown for a status not in it.
func phaseOf(s dialer.Status) phase {
	b, _ := lifecycle.OfBolna(string(s))
	return phaseOfBolna[b.Phase]
}

// phaseOfBolna is the attempt's phase for each of the table's (phaseFinal is reached through
// the Final event, with the whole payload, not by a status alone).
var phaseOfBolna = map[lifecycle.Phase]phase{
	lifecycle.PhaseQueued:  phaseQueued,
	lifecycle.PhaseRinging: phaseRinging,
	lifecycle.PhaseTalking: phaseTalking,
	lifecycle.PhaseDropped: phaseDropped,
	0:                      phaseUnknown,
	lifecycle.PhaseFinal:   phaseUnknown,
}

// attempt is one dial attempt of a row: the call it placed (or may have), and where it is.
type attempt struct {
	journal.LiveCall
	phase   phase
	adopted bool          // left live by an earlier run
	torn    bool          // recovered from an intent a crash cut mid-record: Ref is only its start
	guarded bool          // the account's history holds it (reserved by this run, or left unsettled by an earlier one)
	indexed bool          // the tracker follows it (see book)
	status  dialer.Status // the latest status Bolna gave
	// unconfirmed: its slot was freed on the word of a push alone; a look confirms it (or
	// contradicts it, and the slot is taken back).
	unconfirmed bool
	// The tracker's bookkeeping of the call.
	seenAt      time.Time // when it was last seen holding its slot
	nextCheck   time.Time // when it is due, unless it holds a slot (see tracker.slotCheck)
	deadline    time.Time // --max-wait
	placedAt    time.Time // when POST /call was answered (or its reply lost)
	heardAt     time.Time // when anything was last heard of it (a look or a push)
	lostAt      time.Time // when its placement's reply was lost
	reported    bool      // its dropped line was counted in pushReports
	stopRefused bool      // Bolna refused to stop it: it has started
	// stopping is why it was asked to stop, until a look sees it stopped (see tracker.stopSeen).
	stopping string
}

func (a *attempt) id() string {
	if a.ExecutionID != "" {
		return a.ExecutionID
	}
	return "ref:" + a.Ref
}
