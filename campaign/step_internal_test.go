package campaign

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// stepEvents are the events of the table test: every kind, and the statuses that matter for
// Seen and Pushed.
var stepEvents = []struct {
	name string
	ev   event
}{
	{"Reserved", event{kind: evReserved}},
	{"Cancelled", event{kind: evCancelled}},
	{"Intent", event{kind: evIntent}},
	{"Adopted", event{kind: evAdopted, id: "e1"}},
	{"Orphaned", event{kind: evOrphaned}},
	{"Placed", event{kind: evPlaced, id: "e1"}},
	{"ReplyLost", event{kind: evReplyLost}},
	{"Unsent", event{kind: evUnsent}},
	{"CallRefused", event{kind: evCallRefused, outcome: &journal.Outcome{Status: journal.StatusError}}},
	{"Skipped", event{kind: evSkipped, outcome: &journal.Outcome{Status: journal.StatusRecent}}},
	{"Tracked", event{kind: evTracked}},
	{"Found", event{kind: evFound, id: "e1"}},
	{"Absent", event{kind: evAbsent}},
	{"Unfound", event{kind: evUnfound, outcome: &journal.Outcome{Status: journal.StatusUnknown}}},
	{"Unresolved", event{kind: evUnresolved, outcome: &journal.Outcome{Status: journal.StatusUnknown, Unresolved: true}}},
	{"Seen(queued)", event{kind: evSeen, status: dialer.StatusQueued}},
	{"Seen(ringing)", event{kind: evSeen, status: dialer.StatusRinging}},
	{"Seen(in-progress)", event{kind: evSeen, status: dialer.StatusInProgress}},
	{"Seen(call-disconnected)", event{kind: evSeen, status: dialer.StatusCallDisconnected}},
	{"Pushed(ringing)", event{kind: evPushed, status: dialer.StatusRinging, mayFree: true}},
	{"Pushed(call-disconnected)", event{kind: evPushed, status: dialer.StatusCallDisconnected, mayFree: true}},
	{"Final", event{kind: evFinal, outcome: &journal.Outcome{Status: journal.StatusCompleted}}},
	{"TimedOut", event{kind: evTimedOut, outcome: &journal.Outcome{Status: journal.StatusTimeout}}},
	{"NotFound", event{kind: evNotFound, outcome: &journal.Outcome{Status: journal.StatusUnknown}}},
	{"StopAccepted", event{kind: evStopAccepted, reason: "stopped"}},
}

// Effect lists the table repeats.
const (
	endFollowed   = "end,give-slot,forget"
	finalSettled  = "record-final,guard-settle," + endFollowed
	finalOpen     = "record-final," + endFollowed // the history keeps it open (a timeout, unresolved)
	finalDropped  = "record-final,guard-settle,end,forget"
	openDropped   = "record-final,end,forget"
	seenStatuses  = "note-status"
	seenDropped   = "note-status,give-slot"
	refusedByStep = "refuse"
)

// stepTable is what step does for each (phase, event) pair it allows: "to effects". Every pair
// it does not list is refused (the phase kept, effRefuse). The attempt in each phase is the
// usual one there (see stepAttempt).
var stepTable = map[string]string{
	"new Reserved": "reserved ",
	"new Adopted":  "unknown take-slot,index",
	"new Orphaned": "searching take-slot",

	"reserved Cancelled": "void give-slot",
	"reserved Intent":    "intent record-intent",

	"intent Placed":      "unknown record-placed,guard-placed",
	"intent ReplyLost":   "searching ",
	"intent Unsent":      "void record-void,guard-void,end,give-slot",
	"intent CallRefused": "final record-final,guard-void,end,give-slot",
	"intent Skipped":     "final record-final,end,give-slot",

	"searching Tracked":    "searching ",
	"searching Found":      "unknown record-placed,guard-placed,index",
	"searching Absent":     "void record-void,guard-void," + endFollowed,
	"searching Unfound":    "final " + finalSettled,
	"searching Unresolved": "final " + finalOpen,
	"searching TimedOut":   "final " + finalOpen,

	"unknown Tracked":                   "unknown ",
	"unknown Seen(queued)":              "queued " + seenStatuses,
	"unknown Seen(ringing)":             "ringing " + seenStatuses,
	"unknown Seen(in-progress)":         "talking " + seenStatuses,
	"unknown Seen(call-disconnected)":   "dropped " + seenDropped,
	"unknown Pushed(ringing)":           "ringing " + seenStatuses,
	"unknown Pushed(call-disconnected)": "unknown look-soon", // never seen ringing: a look says first
	"unknown Final":                     "final " + finalSettled,
	"unknown TimedOut":                  "final " + finalOpen,
	"unknown NotFound":                  "final " + finalSettled,

	"queued Seen(queued)":              "queued " + seenStatuses,
	"queued Seen(ringing)":             "ringing " + seenStatuses,
	"queued Seen(in-progress)":         "talking " + seenStatuses,
	"queued Seen(call-disconnected)":   "dropped " + seenDropped,
	"queued Pushed(ringing)":           "ringing " + seenStatuses,
	"queued Pushed(call-disconnected)": "queued look-soon",
	"queued Final":                     "final " + finalSettled,
	"queued TimedOut":                  "final " + finalOpen,
	"queued NotFound":                  "final " + finalSettled,
	"queued StopAccepted":              "void record-give-back,guard-stopped," + endFollowed,

	"ringing Seen(queued)":              "queued " + seenStatuses,
	"ringing Seen(ringing)":             "ringing " + seenStatuses,
	"ringing Seen(in-progress)":         "talking " + seenStatuses,
	"ringing Seen(call-disconnected)":   "dropped " + seenDropped,
	"ringing Pushed(ringing)":           "ringing " + seenStatuses,
	"ringing Pushed(call-disconnected)": "dropped unconfirmed," + seenDropped,
	"ringing Final":                     "final " + finalSettled,
	"ringing TimedOut":                  "final " + finalOpen,
	"ringing NotFound":                  "final " + finalSettled,

	"talking Seen(queued)":              "queued " + seenStatuses,
	"talking Seen(ringing)":             "ringing " + seenStatuses,
	"talking Seen(in-progress)":         "talking " + seenStatuses,
	"talking Seen(call-disconnected)":   "dropped " + seenDropped,
	"talking Pushed(ringing)":           "ringing " + seenStatuses,
	"talking Pushed(call-disconnected)": "dropped unconfirmed," + seenDropped,
	"talking Final":                     "final " + finalSettled,
	"talking TimedOut":                  "final " + finalOpen,
	"talking NotFound":                  "final " + finalSettled,

	"dropped Seen(queued)":              "dropped ", // an older observation, late: ignored
	"dropped Seen(ringing)":             "dropped ",
	"dropped Seen(in-progress)":         "dropped ",
	"dropped Seen(call-disconnected)":   "dropped " + seenStatuses,
	"dropped Pushed(ringing)":           "dropped ",
	"dropped Pushed(call-disconnected)": "dropped " + seenStatuses,
	"dropped Final":                     "final " + finalDropped,
	"dropped TimedOut":                  "final " + openDropped,
	"dropped NotFound":                  "final " + finalDropped,
}

// stepAttempt is the usual attempt in phase p: followed by the tracker from searching on,
// last seen in the status of its phase.
func stepAttempt(p phase) *attempt {
	a := &attempt{phase: p, indexed: p.followed()}
	a.status = map[phase]dialer.Status{phaseQueued: dialer.StatusQueued, phaseRinging: dialer.StatusRinging,
		phaseTalking: dialer.StatusInProgress, phaseDropped: dialer.StatusCallDisconnected}[p]
	return a
}

func stepString(to phase, effs []effect) string {
	names := make([]string, len(effs))
	for i, e := range effs {
		names[i] = e.kind.String()
	}
	return fmt.Sprintf("%s %s", to, strings.Join(names, ","))
}

// TestStepTable: step over every (phase, event) pair: the phase it leads to and the effects,
// in order; a pair the table does not list is refused, with nothing done. Step is pure: the
// attempt is as it was.
func TestStepTable(t *testing.T) {
	t.Parallel()
	listed := 0
	for _, p := range phases {
		for _, e := range stepEvents {
			key := p.String() + " " + e.name
			want, ok := stepTable[key]
			if ok {
				listed++
			} else {
				want = p.String() + " " + refusedByStep
			}
			a := stepAttempt(p)
			before := *a
			if got := stepString(a.step(e.ev)); got != want {
				t.Errorf("%s: %q, want %q", key, got, want)
			}
			if *a != before {
				t.Errorf("%s: step changed the attempt", key)
			}
		}
	}
	if listed != len(stepTable) {
		t.Errorf("%d of the table's %d pairs met: a key names no (phase, event)", listed, len(stepTable))
	}
}

// TestStepVariants: what an attempt's own flags change: a torn intent recorded whole or
// settled, a slot freed on a push's word confirmed or contradicted by a look, a push that may
// free no more slots, a call the tracker does not follow yet.
func TestStepVariants(t *testing.T) {
	t.Parallel()
	torn := func(p phase) *attempt { a := stepAttempt(p); a.torn = true; return a }
	pushed := func() *attempt { a := stepAttempt(phaseDropped); a.unconfirmed = true; return a }
	fresh := func(p phase) *attempt { a := stepAttempt(p); a.indexed = false; return a }
	final := &journal.Outcome{Status: journal.StatusCompleted}
	tests := []struct {
		name string
		a    *attempt
		ev   event
		want string
	}{
		{"torn, found", torn(phaseSearching), event{kind: evFound, id: "e1"}, "unknown record-whole,record-placed,guard-placed,index"},
		{"torn, absent", torn(phaseSearching), event{kind: evAbsent}, "void record-settled,guard-void," + endFollowed},
		{"torn, unfound", torn(phaseSearching), event{kind: evUnfound, outcome: final}, "final record-whole," + finalSettled},
		{"pushed, a look says talking", pushed(), event{kind: evSeen, status: dialer.StatusInProgress}, "talking confirmed,note-status,contradicted,take-slot"},
		{"pushed, a look says queued", pushed(), event{kind: evSeen, status: dialer.StatusQueued}, "queued confirmed,note-status,contradicted,take-slot"},
		{"pushed, a look confirms", pushed(), event{kind: evSeen, status: dialer.StatusCallDisconnected}, "dropped confirmed,note-status"},
		{"pushed, another push", pushed(), event{kind: evPushed, status: dialer.StatusRinging}, "dropped "},
		{"pushed, final", pushed(), event{kind: evFinal, outcome: final}, "final record-final,guard-settle,end,confirmed,forget"},
		{"no more slots on a push's word", stepAttempt(phaseTalking), event{kind: evPushed, status: dialer.StatusCallDisconnected}, "talking look-soon"},
		{"unsent, placing stopped", stepAttempt(phaseIntent), event{kind: evUnsent, reason: stoppedReason}, "void record-give-back,guard-void,end,give-slot"},
		{"placed, not followed yet", fresh(phaseUnknown), event{kind: evTracked}, "unknown index"},
		{"reply lost, not followed yet", fresh(phaseSearching), event{kind: evTracked}, "searching index"},
		{"placed, ends before it is followed", fresh(phaseUnknown), event{kind: evFinal, outcome: final}, "final record-final,guard-settle,end,give-slot"},
	}
	for _, tt := range tests {
		if got := stepString(tt.a.step(tt.ev)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
