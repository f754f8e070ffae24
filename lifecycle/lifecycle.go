// Package lifecycle is the one table of a call's statuses, joining three vocabularies:
//
//   - Bolna's lifecycle: the statuses the API reports for an execution, each at a [Stage]
//     (waiting, active, disconnected, terminal: nothing about the call changes any more);
//   - the runner's attempt phases: the [Phase] a followed attempt is in when Bolna reports a
//     status (queued, ringing, talking, dropped, final);
//   - the results' statuses: what a results row holds ([Result]), Bolna's terminal statuses and
//     the runner's own (timeout, pending, invalid…), each settled or not: a settled row's
//     outcome stands unless the row is dialled again.
//
// The words differ where the meanings do: a call is terminal at Bolna; a row is settled for
// us. A timeout is no status of Bolna's and is not settled (the next run follows the call
// again); an invalid row was never a call and is settled. dialer.Status and journal.Status
// read their predicates from here; a new status is one line of a table below, and nowhere else.
package lifecycle

// Bolna's statuses, as the API spells them (docs/bolna-api.md §5.2).
const (
	Scheduled        = "scheduled"
	Prepared         = "prepared"
	Queued           = "queued"
	Rescheduled      = "rescheduled"
	Initiated        = "initiated"
	Ringing          = "ringing"
	InProgress       = "in-progress"
	CallDisconnected = "call-disconnected"
	Completed        = "completed"
	NoAnswer         = "no-answer"
	Busy             = "busy"
	Failed           = "failed"
	Canceled         = "canceled"
	Stopped          = "stopped"
	Error            = "error"
	BalanceLow       = "balance-low"
)

// The runner's own statuses of a results row.
const (
	Timeout    = "timeout"     // followed for --max-wait without reaching a terminal status
	Unknown    = "unknown"     // the placement's reply was lost and the call was not found
	InFlight   = "in-flight"   // dialled, not terminal yet
	Pending    = "pending"     // not dialled yet
	Invalid    = "invalid"     // not dialled: the number or row is bad
	Duplicate  = "duplicate"   // not dialled: the same contact is earlier in the file
	Suppressed = "suppressed"  // not dialled: on the do-not-call list
	Recent     = "recent"      // not dialled: another campaign dialled the person within --min-gap
	Capped     = "capped"      // not dialled: called --max-calls times within its period on the account
	DoNotCall  = "do-not-call" // not dialled: on the account's do-not-call list (in the history)
)

// Stage is where one of Bolna's statuses sits in a call's life, in Bolna's terms.
type Stage uint8

const (
	Waiting      Stage = iota + 1 // before dialling: waits for its time or a slot
	Active                        // dialling, ringing or talking: holds a concurrency slot
	Disconnected                  // the line dropped; post-processing runs; completed follows
	Terminal                      // nothing about the call changes any more
)

// Phase is the phase of the runner's attempt at a call Bolna reports in a status.
type Phase uint8

const (
	PhaseQueued  Phase = iota + 1 // waiting at Bolna: holds the attempt's slot, may be stopped
	PhaseRinging                  // initiated or ringing
	PhaseTalking                  // in-progress
	PhaseDropped                  // the line dropped: the slot is free
	PhaseFinal                    // the attempt's outcome is recorded
)

// Bolna is what the runner knows of one of Bolna's statuses: one row of the table.
type Bolna struct {
	Status string
	Stage  Stage
	// Order is the status's place in the lifecycle, for the statuses a call passes through
	// (0 for terminal ones): a call in a status is never seen again in an earlier one.
	Order int
	// Held: Bolna's guardrails hold a call in it for hours (the agent's calling hours).
	Held bool
	// Rang: the phone rang (a person may have it); Talking: a person may be on the line.
	Rang, Talking bool
	// PostCallData: a terminal call in it carries data a trimmed list item lacks (a
	// recording, summary and extraction, or an error message); one never connected, busy or
	// stopped has none.
	PostCallData bool
	// Phase is the attempt's phase when Bolna reports the status.
	Phase Phase
	// Result is the results status of a row whose call Bolna reports in it: the same word for
	// a terminal status, in-flight for any other.
	Result string
}

// bolna is Bolna's lifecycle, in order.
var bolna = []Bolna{
	{Status: Scheduled, Stage: Waiting, Order: 1, Held: true, Phase: PhaseQueued, Result: InFlight},
	{Status: Rescheduled, Stage: Waiting, Order: 2, Held: true, Phase: PhaseQueued, Result: InFlight},
	{Status: Prepared, Stage: Waiting, Order: 3, Phase: PhaseQueued, Result: InFlight},
	{Status: Queued, Stage: Waiting, Order: 3, Phase: PhaseQueued, Result: InFlight},
	{Status: Initiated, Stage: Active, Order: 4, Phase: PhaseRinging, Result: InFlight},
	{Status: Ringing, Stage: Active, Order: 5, Rang: true, Phase: PhaseRinging, Result: InFlight},
	{Status: InProgress, Stage: Active, Order: 6, Rang: true, Talking: true, Phase: PhaseTalking, Result: InFlight},
	{Status: CallDisconnected, Stage: Disconnected, Order: 7, Phase: PhaseDropped, Result: InFlight},
	{Status: Completed, Stage: Terminal, PostCallData: true, Phase: PhaseFinal, Result: Completed},
	{Status: NoAnswer, Stage: Terminal, Phase: PhaseFinal, Result: NoAnswer},
	{Status: Busy, Stage: Terminal, Phase: PhaseFinal, Result: Busy},
	{Status: Failed, Stage: Terminal, PostCallData: true, Phase: PhaseFinal, Result: Failed},
	{Status: Canceled, Stage: Terminal, Phase: PhaseFinal, Result: Canceled},
	{Status: Stopped, Stage: Terminal, Phase: PhaseFinal, Result: Stopped},
	{Status: Error, Stage: Terminal, PostCallData: true, Phase: PhaseFinal, Result: Error},
	{Status: BalanceLow, Stage: Terminal, PostCallData: true, Phase: PhaseFinal, Result: BalanceLow},
}

// Result is what a results status means to the runner: one row of the table.
type Result struct {
	Status string
	// Settled: the row's outcome stands unless the row is dialled again. A timeout is
	// followed again by the next run, a call in flight or a row pending has work left.
	Settled bool
	// Retryable: --retry may name it, to dial the row again.
	Retryable bool
	// Failure: counts towards --halt-after (the agent or caller id looks broken).
	Failure bool
	// Working: the line works (answered, or rang and was not picked up): it ends a run of
	// failures.
	Working bool
	// Chase: a row the report lists to follow up by hand.
	Chase bool
	// NoCall: the row's latest attempt placed no call: the row was kept off (a bad number, a
	// duplicate, the do-not-call list, the account's guard). Reports and experiments count it
	// as not dialled, though the guard's skips are attempts in the journal.
	NoCall bool
}

// results is every status a results row can hold, in the order summaries show them. The
// order is also how the journal packs a row's status (its place, plus one): a new status goes
// at the end.
var results = []Result{
	{Status: Completed, Settled: true, Retryable: true, Working: true},
	{Status: NoAnswer, Settled: true, Retryable: true, Working: true, Chase: true},
	{Status: Busy, Settled: true, Retryable: true, Working: true, Chase: true},
	{Status: Failed, Settled: true, Retryable: true, Failure: true, Chase: true},
	{Status: Error, Settled: true, Retryable: true, Failure: true},
	{Status: Canceled, Settled: true, Retryable: true},
	{Status: Stopped, Settled: true, Retryable: true},
	{Status: BalanceLow, Settled: true, Retryable: true},
	{Status: Timeout},
	{Status: Unknown, Settled: true, Retryable: true, Chase: true},
	{Status: InFlight},
	{Status: Pending},
	{Status: Invalid, Settled: true, NoCall: true},
	{Status: Duplicate, Settled: true, NoCall: true},
	{Status: Suppressed, Settled: true, NoCall: true},
	{Status: Recent, Settled: true, NoCall: true},
	{Status: Capped, Settled: true, NoCall: true},
	{Status: DoNotCall, Settled: true, NoCall: true},
}

var (
	bolnaIndex  = index(bolna, func(b Bolna) string { return b.Status })
	resultIndex = index(results, func(r Result) string { return r.Status })
)

func index[T any](rows []T, key func(T) string) map[string]int {
	m := make(map[string]int, len(rows))
	for i, r := range rows {
		m[key(r)] = i
	}
	return m
}

// OfBolna is the row of one of Bolna's statuses; ok is false for a status not in the table.
func OfBolna(status string) (b Bolna, ok bool) {
	i, ok := bolnaIndex[status]
	if !ok {
		return Bolna{}, false
	}
	return bolna[i], true
}

// OfResult is the row of a results status; ok is false for a status not in the table.
func OfResult(status string) (r Result, ok bool) {
	i, ok := resultIndex[status]
	if !ok {
		return Result{}, false
	}
	return results[i], true
}

// ResultOrder is the place of a results status in display order; one not in the table comes
// last.
func ResultOrder(status string) int {
	if i, ok := resultIndex[status]; ok {
		return i
	}
	return len(results)
}

// BolnaStatuses is every row of Bolna's lifecycle, in order.
func BolnaStatuses() []Bolna { return append([]Bolna(nil), bolna...) }

// Results is every results status, in display order.
func Results() []Result { return append([]Result(nil), results...) }

// ResultAt is the results status at place i of the display order (the journal packs a row's
// status as its place, plus one); ok is false past the end. Unlike Results, it copies
// nothing: the journal reads a row's status with it once a row a pass.
func ResultAt(i int) (r Result, ok bool) {
	if i < 0 || i >= len(results) {
		return Result{}, false
	}
	return results[i], true
}
