package journal

import (
	"maps"
	"slices"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/lifecycle"
)

// Status is the state of a results row: the final status Bolna gave the row's latest call, or
// one of the runner's own for rows it did not dial, has not finished, or could not follow. Every
// status is declared once, in package lifecycle's table, with what it means to the runner.
type Status string

// Bolna's terminal statuses, and the runner's own: the words of package lifecycle's table,
// which says what each means (settled, retryable, a failure, a working line, one to chase).
const (
	StatusCompleted  Status = lifecycle.Completed
	StatusNoAnswer   Status = lifecycle.NoAnswer
	StatusBusy       Status = lifecycle.Busy
	StatusFailed     Status = lifecycle.Failed
	StatusError      Status = lifecycle.Error
	StatusCanceled   Status = lifecycle.Canceled
	StatusStopped    Status = lifecycle.Stopped
	StatusBalanceLow Status = lifecycle.BalanceLow

	StatusTimeout    Status = lifecycle.Timeout    // followed for --max-wait without reaching a final status
	StatusUnknown    Status = lifecycle.Unknown    // the placement's reply was lost and the call was not found
	StatusInFlight   Status = lifecycle.InFlight   // dialled, not final yet
	StatusPending    Status = lifecycle.Pending    // not dialled yet
	StatusInvalid    Status = lifecycle.Invalid    // not dialled: the number or row is bad; Error says why
	StatusDuplicate  Status = lifecycle.Duplicate  // not dialled: the same contact is earlier in the file
	StatusSuppressed Status = lifecycle.Suppressed // not dialled: on the do-not-call list
	// Not dialled: the account's history (the guard) kept the person off; Error says why,
	// naming the other campaign and when.
	StatusRecent    Status = lifecycle.Recent    // another campaign dialled the person within --min-gap
	StatusCapped    Status = lifecycle.Capped    // called --max-calls times within its period on the account
	StatusDoNotCall Status = lifecycle.DoNotCall // on the account's do-not-call list (in the history)
)

func (s Status) info() (lifecycle.Result, bool) { return lifecycle.OfResult(string(s)) }

// Known reports whether s is a status a results row can hold.
func (s Status) Known() bool { _, ok := s.info(); return ok }

// Settled reports whether a row in status s has its outcome: it changes only if the row is
// dialled again. (Bolna's word for a call that changes no more is terminal: see
// dialer.Status.Terminal; a timeout is neither, an invalid row was never a call.)
func (s Status) Settled() bool { si, _ := s.info(); return si.Settled }

// NoCall reports whether a row in status s had no call placed by its latest attempt (see
// lifecycle.Result.NoCall).
func (s Status) NoCall() bool { si, _ := s.info(); return si.NoCall }

// Calls is how many calls were placed for a row of attempts attempts whose latest status is s:
// one fewer when its latest attempt placed none (the account's guard kept the person off).
func (s Status) Calls(attempts int) int {
	if s.NoCall() && attempts > 0 {
		return attempts - 1
	}
	return attempts
}

// Retryable reports whether --retry may name s.
func (s Status) Retryable() bool { si, _ := s.info(); return si.Retryable }

// Chase reports whether a row in status s is one to follow up by hand.
func (s Status) Chase() bool { si, _ := s.info(); return si.Chase }

// Failure reports whether s counts towards --halt-after.
func (s Status) Failure() bool { si, _ := s.info(); return si.Failure }

// Working reports whether s ends a run of failures.
func (s Status) Working() bool { si, _ := s.info(); return si.Working }

// ParseStatus reads a status as a results file or the command line spells it.
func ParseStatus(text string) Status { return Status(strings.ToLower(strings.TrimSpace(text))) }

// Statuses returns every status a results row can hold, in the order summaries show them.
func Statuses() []Status {
	var out []Status
	for _, r := range lifecycle.Results() {
		out = append(out, Status(r.Status))
	}
	return out
}

// RetryableStatuses returns the statuses --retry accepts, in display order.
func RetryableStatuses() []Status {
	var out []Status
	for _, r := range lifecycle.Results() {
		if r.Retryable {
			out = append(out, Status(r.Status))
		}
	}
	return out
}

// order is the place of s in display order; statuses not in the table come last.
func (s Status) order() int { return lifecycle.ResultOrder(string(s)) }

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
