package journal

import (
	"maps"
	"slices"
	"strings"
)

// Status is the state of a results row: the final status Bolna gave the row's latest call, or
// one of the runner's own for rows it did not dial, has not finished, or could not follow. Every
// status is declared once, in [statuses], with what it means to the runner.
type Status string

// Bolna's final statuses, as the API spells them (dialer.Status's words: a test in campaign
// holds the two to the same spelling; the journal does not import the client).
const (
	StatusCompleted  Status = "completed"
	StatusNoAnswer   Status = "no-answer"
	StatusBusy       Status = "busy"
	StatusFailed     Status = "failed"
	StatusError      Status = "error"
	StatusCanceled   Status = "canceled"
	StatusStopped    Status = "stopped"
	StatusBalanceLow Status = "balance-low"
)

// The runner's own statuses.
const (
	StatusTimeout    Status = "timeout"    // followed for --max-wait without reaching a final status
	StatusUnknown    Status = "unknown"    // the placement's reply was lost and the call was not found
	StatusInFlight   Status = "in-flight"  // dialled, not final yet
	StatusPending    Status = "pending"    // not dialled yet
	StatusInvalid    Status = "invalid"    // not dialled: the number or row is bad; Error says why
	StatusDuplicate  Status = "duplicate"  // not dialled: the same contact is earlier in the file
	StatusSuppressed Status = "suppressed" // not dialled: on the do-not-call list
	// Not dialled: the account's history (the guard) kept the person off; Error says why,
	// naming the other campaign and when.
	StatusRecent    Status = "recent"      // another campaign dialled the person within --min-gap
	StatusCapped    Status = "capped"      // called --max-calls times within its period on the account
	StatusDoNotCall Status = "do-not-call" // on the account's do-not-call list (in the history)
)

// statusInfo is what a status means to the runner.
type statusInfo struct {
	status Status
	// final: the row's outcome stands unless the row is dialled again. A timeout is followed
	// again by the next run, a call in flight or a row pending has work left.
	final bool
	// retryable: --retry may name it, to dial the row again.
	retryable bool
	// failure: counts towards --halt-after (the agent or caller id looks broken).
	failure bool
	// working: the line works (answered, or rang and was not picked up): it ends a run of
	// failures.
	working bool
	// chase: a row the report lists to follow up by hand.
	chase bool
}

// statuses is every status a results row can hold, in the order summaries show them.
var statuses = []statusInfo{
	{status: StatusCompleted, final: true, retryable: true, working: true},
	{status: StatusNoAnswer, final: true, retryable: true, working: true, chase: true},
	{status: StatusBusy, final: true, retryable: true, working: true, chase: true},
	{status: StatusFailed, final: true, retryable: true, failure: true, chase: true},
	{status: StatusError, final: true, retryable: true, failure: true},
	{status: StatusCanceled, final: true, retryable: true},
	{status: StatusStopped, final: true, retryable: true},
	{status: StatusBalanceLow, final: true, retryable: true},
	{status: StatusTimeout},
	{status: StatusUnknown, final: true, retryable: true, chase: true},
	{status: StatusInFlight},
	{status: StatusPending},
	{status: StatusInvalid, final: true},
	{status: StatusDuplicate, final: true},
	{status: StatusSuppressed, final: true},
	{status: StatusRecent, final: true},
	{status: StatusCapped, final: true},
	{status: StatusDoNotCall, final: true},
}

func (s Status) info() (statusInfo, bool) {
	for _, si := range statuses {
		if si.status == s {
			return si, true
		}
	}
	return statusInfo{}, false
}

// Known reports whether s is a status a results row can hold.
func (s Status) Known() bool { _, ok := s.info(); return ok }

// Final reports whether a row in status s has its outcome: it changes only if the row is
// dialled again.
func (s Status) Final() bool { si, _ := s.info(); return si.final }

// Retryable reports whether --retry may name s.
func (s Status) Retryable() bool { si, _ := s.info(); return si.retryable }

// Chase reports whether a row in status s is one to follow up by hand.
func (s Status) Chase() bool { si, _ := s.info(); return si.chase }

// Failure reports whether s counts towards --halt-after.
func (s Status) Failure() bool { si, _ := s.info(); return si.failure }

// Working reports whether s ends a run of failures.
func (s Status) Working() bool { si, _ := s.info(); return si.working }

// ParseStatus reads a status as a results file or the command line spells it.
func ParseStatus(text string) Status { return Status(strings.ToLower(strings.TrimSpace(text))) }

// Statuses returns every status a results row can hold, in the order summaries show them.
func Statuses() []Status {
	out := make([]Status, len(statuses))
	for i, si := range statuses {
		out[i] = si.status
	}
	return out
}

// RetryableStatuses returns the statuses --retry accepts, in display order.
func RetryableStatuses() []Status {
	var out []Status
	for _, si := range statuses {
		if si.retryable {
			out = append(out, si.status)
		}
	}
	return out
}

// order is the place of s in display order; statuses not in the table come last.
func (s Status) order() int {
	for i, si := range statuses {
		if si.status == s {
			return i
		}
	}
	return len(statuses)
}

// SortedStatuses returns the keys of m in display order, unknown ones last (by name).
func SortedStatuses[V any](m map[Status]V) []Status {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b Status) int {
		if oa, ob := a.order(), b.order(); oa != ob {
			return oa - ob
		}
		return strings.Compare(string(a), string(b))
	})
	return keys
}
