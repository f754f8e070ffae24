package journal

import "strings"

// Result is what happened to the person on a dialled row's latest call, beside Bolna's status
// (the results' outcome column): Bolna says completed for a conversation, for a voicemail and
// for a call rejected at once alike, and an ops team acts on the difference.
//
//	answered   completed, with a conversation
//	voicemail  completed, answered by a voicemail (answered_by_voice_mail)
//	rejected   completed with no conversation (rejected or dropped at once)
//
// Every other final status is its own result (no-answer, busy, failed, error, canceled,
// stopped, balance-low, unknown); a row not dialled, or not final yet, has none ("").
type Result string

// The results that a completed call divides into.
const (
	ResultAnswered  Result = "answered"
	ResultVoicemail Result = "voicemail"
	ResultRejected  Result = "rejected"
)

// Result is what happened to the person on the row's latest call (see [Result]).
func (o Outcome) Result() Result {
	switch {
	case o.Status == StatusCompleted && o.Voicemail:
		return ResultVoicemail
	case o.Status == StatusCompleted && o.Duration > 0:
		return ResultAnswered
	case o.Status == StatusCompleted:
		return ResultRejected
	case o.Status.Settled() && o.Status.Retryable():
		return Result(o.Status)
	}
	return ""
}

// Reached reports whether the call reached the person: a conversation.
func (r Result) Reached() bool { return r == ResultAnswered }

// Chase reports whether a row with this result is one to follow up: nobody was reached.
func (r Result) Chase() bool {
	return r == ResultVoicemail || r == ResultRejected || r != "" && Status(r).Chase()
}

// ParseResult reads a result (or a status) as --retry names it.
func ParseResult(text string) Result { return Result(strings.ToLower(strings.TrimSpace(text))) }

// completedResults are the results a completed call divides into, as 2 bits of the journal's
// index (see rowState): 0 for any other status.
var completedResults = []Result{"", ResultAnswered, ResultVoicemail, ResultRejected}

func resultCode(r Result) uint8 {
	for i, c := range completedResults {
		if c == r && i > 0 {
			return uint8(i)
		}
	}
	return 0
}
