package dialer

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/lifecycle"
)

// Status is an execution's status as Bolna reports it.
type Status string

// The statuses of Bolna's execution lifecycle (docs/bolna-api.md §5.2), spelled once in
// package lifecycle.
const (
	StatusScheduled        Status = lifecycle.Scheduled
	StatusPrepared         Status = lifecycle.Prepared
	StatusQueued           Status = lifecycle.Queued
	StatusRescheduled      Status = lifecycle.Rescheduled
	StatusInitiated        Status = lifecycle.Initiated
	StatusRinging          Status = lifecycle.Ringing
	StatusInProgress       Status = lifecycle.InProgress
	StatusCallDisconnected Status = lifecycle.CallDisconnected
	StatusCompleted        Status = lifecycle.Completed
	StatusNoAnswer         Status = lifecycle.NoAnswer
	StatusBusy             Status = lifecycle.Busy
	StatusFailed           Status = lifecycle.Failed
	StatusCanceled         Status = lifecycle.Canceled
	StatusStopped          Status = lifecycle.Stopped
	StatusError            Status = lifecycle.Error
	StatusBalanceLow       Status = lifecycle.BalanceLow
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

// row is what the runner knows of s: its row of the one table (see package lifecycle); the
// zero row for a status not in it.
func (s Status) row() lifecycle.Bolna {
	b, _ := lifecycle.OfBolna(string(s))
	return b
}

// Terminal reports whether s is a terminal status: nothing about the call will change any
// more. call-disconnected is not terminal: its payload has no recording, summary or extracted
// data yet. (The runner's word for a results row whose outcome stands is settled: see
// journal.Status.Settled.)
func (s Status) Terminal() bool { return s.row().Stage == lifecycle.Terminal }

// Active reports whether a call in status s holds one of the account's concurrency slots: it is
// being dialled, ringing or talking. A call waiting in a queue does not hold a slot yet; a call
// whose line dropped (call-disconnected) no longer does.
func (s Status) Active() bool { return s.row().Stage == lifecycle.Active }

// Waiting reports whether s is a status before dialling: the call waits for its time or a slot.
func (s Status) Waiting() bool { return s.row().Stage == lifecycle.Waiting }

// Held reports whether Bolna's guardrails hold a call in status s for hours (scheduled,
// rescheduled: the agent's calling hours).
func (s Status) Held() bool { return s.row().Held }

// Rang reports whether a call in status s has rung: ringing or in-progress.
func (s Status) Rang() bool { return s.row().Rang }

// Talking reports whether a person may be on the line of a call in status s.
func (s Status) Talking() bool { return s.row().Talking }

// Dropped reports whether s says the line has dropped and post-processing runs
// (call-disconnected).
func (s Status) Dropped() bool { return s.row().Stage == lifecycle.Disconnected }

// PostCallData reports whether a terminal call in status s carries data that a trimmed list
// item lacks (see [Execution.Complete]).
func (s Status) PostCallData() bool { return s.row().PostCallData }

// Known reports whether s is one of Bolna's documented statuses.
func (s Status) Known() bool { _, ok := lifecycle.OfBolna(string(s)); return ok }

// Lifecycle is the statuses a call passes through before its terminal one, in order (a status
// Bolna uses as an alias of another's place, prepared, left out).
func Lifecycle() []Status {
	var out []Status
	for _, b := range lifecycle.BolnaStatuses() {
		if b.Order > 0 && b.Status != lifecycle.Prepared {
			out = append(out, Status(b.Status))
		}
	}
	slices.SortStableFunc(out, func(a, b Status) int { return a.row().Order - b.row().Order })
	return out
}
