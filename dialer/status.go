package dialer

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Status is an execution's status as Bolna reports it.
type Status string

// The statuses of Bolna's execution lifecycle (docs/bolna-api.md §5.2).
const (
	StatusScheduled        Status = "scheduled"
	StatusPrepared         Status = "prepared"
	StatusQueued           Status = "queued"
	StatusRescheduled      Status = "rescheduled"
	StatusInitiated        Status = "initiated"
	StatusRinging          Status = "ringing"
	StatusInProgress       Status = "in-progress"
	StatusCallDisconnected Status = "call-disconnected"
	StatusCompleted        Status = "completed"
	StatusNoAnswer         Status = "no-answer"
	StatusBusy             Status = "busy"
	StatusFailed           Status = "failed"
	StatusCanceled         Status = "canceled"
	StatusStopped          Status = "stopped"
	StatusError            Status = "error"
	StatusBalanceLow       Status = "balance-low"
)

// StatusPlaced is the status of a call POST /call has just created, before any look: its
// reply says queued.
const StatusPlaced = StatusQueued

// UnmarshalJSON normalises the spellings seen in the wild ("no_answer", "balance_low",
// "cancelled", upper case) to the canonical ones.
func (s *Status) UnmarshalJSON(b []byte) error {
	var raw string
	if err := json.Unmarshal(bytes.TrimSpace(b), &raw); err != nil {
		*s = ""
		return nil
	}
	*s = ParseStatus(raw)
	return nil
}

// ParseStatus normalises a status string; see [Status.UnmarshalJSON].
func ParseStatus(raw string) Status {
	v := strings.ToLower(strings.TrimSpace(raw))
	v = strings.ReplaceAll(v, "_", "-")
	switch v {
	case "cancelled":
		v = string(StatusCanceled)
	case "in progress":
		v = string(StatusInProgress)
	}
	return Status(v)
}

// phase is where a status sits in a call's lifecycle.
type phase uint8

const (
	phaseWaiting      phase = iota + 1 // before dialling: waits for its time or a slot
	phaseActive                        // dialling, ringing or talking: holds a concurrency slot
	phaseDisconnected                  // the line dropped; post-processing runs; completed follows
	phaseFinal                         // nothing about the call changes any more
)

// stage is what the runner knows of one of Bolna's statuses: the one table of them
// (docs/bolna-api.md §5.2). A new status goes here, and nowhere else.
type stage struct {
	phase phase
	// order is the status's place in the lifecycle, for the statuses a call passes through
	// (0 for final ones): a call in a status is never seen again in an earlier one.
	order int
	// held: Bolna's guardrails hold a call in it for hours (the agent's calling hours).
	held bool
	// rang: the phone rang (a person may have it); talking: a person may be on the line.
	rang, talking bool
	// postCallData: a final call in it carries data a trimmed list item lacks (a recording,
	// summary and extraction, or an error message); one never connected, busy or stopped has none.
	postCallData bool
}

var lifecycle = map[Status]stage{
	StatusScheduled:        {phase: phaseWaiting, order: 1, held: true},
	StatusRescheduled:      {phase: phaseWaiting, order: 2, held: true},
	StatusPrepared:         {phase: phaseWaiting, order: 3},
	StatusQueued:           {phase: phaseWaiting, order: 3},
	StatusInitiated:        {phase: phaseActive, order: 4},
	StatusRinging:          {phase: phaseActive, order: 5, rang: true},
	StatusInProgress:       {phase: phaseActive, order: 6, rang: true, talking: true},
	StatusCallDisconnected: {phase: phaseDisconnected, order: 7},
	StatusCompleted:        {phase: phaseFinal, postCallData: true},
	StatusNoAnswer:         {phase: phaseFinal},
	StatusBusy:             {phase: phaseFinal},
	StatusFailed:           {phase: phaseFinal, postCallData: true},
	StatusCanceled:         {phase: phaseFinal},
	StatusStopped:          {phase: phaseFinal},
	StatusError:            {phase: phaseFinal, postCallData: true},
	StatusBalanceLow:       {phase: phaseFinal, postCallData: true},
}

// Final reports whether s is a terminal status: nothing about the call will change any more.
// call-disconnected is not final: its payload has no recording, summary or extracted data yet.
func (s Status) Final() bool { return lifecycle[s].phase == phaseFinal }

// Active reports whether a call in status s holds one of the account's concurrency slots: it is
// being dialled, ringing or talking. A call waiting in a queue does not hold a slot yet; a call
// whose line dropped (call-disconnected) no longer does.
func (s Status) Active() bool { return lifecycle[s].phase == phaseActive }

// Waiting reports whether s is a status before dialling: the call waits for its time or a slot.
func (s Status) Waiting() bool { return lifecycle[s].phase == phaseWaiting }

// Held reports whether Bolna's guardrails hold a call in status s for hours (scheduled,
// rescheduled: the agent's calling hours).
func (s Status) Held() bool { return lifecycle[s].held }

// Rang reports whether a call in status s has rung: ringing or in-progress.
func (s Status) Rang() bool { return lifecycle[s].rang }

// Talking reports whether a person may be on the line of a call in status s.
func (s Status) Talking() bool { return lifecycle[s].talking }

// Dropped reports whether s says the line has dropped and post-processing runs
// (call-disconnected).
func (s Status) Dropped() bool { return lifecycle[s].phase == phaseDisconnected }

// PostCallData reports whether a final call in status s carries data that a trimmed list item
// lacks (see [Execution.Complete]).
func (s Status) PostCallData() bool { return lifecycle[s].postCallData }

// Known reports whether s is one of Bolna's documented statuses.
func (s Status) Known() bool { _, ok := lifecycle[s]; return ok }

// Lifecycle is the statuses a call passes through before its final one, in order (a status
// Bolna uses as an alias of another's place, prepared, left out).
func Lifecycle() []Status {
	var out []Status
	for s, st := range lifecycle {
		if st.order > 0 && s != StatusPrepared {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Status) int { return lifecycle[a].order - lifecycle[b].order })
	return out
}
