package dialer

import (
	"bytes"
	"encoding/json"
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

// lifecycle places each of Bolna's statuses (docs/bolna-api.md §5.2) in its phase.
var lifecycle = map[Status]phase{
	StatusScheduled: phaseWaiting, StatusPrepared: phaseWaiting, StatusQueued: phaseWaiting, StatusRescheduled: phaseWaiting,
	StatusInitiated: phaseActive, StatusRinging: phaseActive, StatusInProgress: phaseActive,
	StatusCallDisconnected: phaseDisconnected,
	StatusCompleted:        phaseFinal, StatusNoAnswer: phaseFinal, StatusBusy: phaseFinal, StatusFailed: phaseFinal,
	StatusCanceled: phaseFinal, StatusStopped: phaseFinal, StatusError: phaseFinal, StatusBalanceLow: phaseFinal,
}

// Final reports whether s is a terminal status: nothing about the call will change any more.
// call-disconnected is not final: its payload has no recording, summary or extracted data yet.
func (s Status) Final() bool { return lifecycle[s] == phaseFinal }

// Active reports whether a call in status s holds one of the account's concurrency slots: it is
// being dialled, ringing or talking. A call waiting in a queue does not hold a slot yet; a call
// whose line dropped (call-disconnected) no longer does.
func (s Status) Active() bool { return lifecycle[s] == phaseActive }

// Waiting reports whether s is a status before dialling: the call waits for its time or a slot.
func (s Status) Waiting() bool { return lifecycle[s] == phaseWaiting }

// Known reports whether s is one of Bolna's documented statuses.
func (s Status) Known() bool { return lifecycle[s] != 0 }
