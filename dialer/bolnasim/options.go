package bolnasim

import (
	"hash/fnv"
	"net/http"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Defaults of a fake account.
const (
	DefaultAPIKey  = "bn-test-key"
	DefaultAgentID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	// SecondAgentID is an agent whose people confirm less often than DefaultAgentID's (see
	// DefaultMixes): two agents of known rates to compare. An account knows it when its
	// AgentIDs name it (the sandbox's and sim's do).
	SecondAgentID = "9b2f6e1a-5c4d-4e8f-9a7b-1d2c3e4f5a6b"
)

// Mix is what an agent makes of the conversations it has: the people's outcome mix that
// depends on the agent, not on whether they answer.
type Mix struct {
	// Confirm is the share of the agent's conversations in which the person confirms: the
	// transcript's answer, the summary and extracted_data's confirmed = "yes" (else "no").
	// Each person decides by their number, the same way on every attempt.
	Confirm float64
}

// DefaultMixes are the mixes of an account whose Options.Mixes is nil: SecondAgentID confirms
// 30% of its conversations. An agent without a mix (DefaultAgentID) confirms two in three, by
// number; with the default outcome mix (60% conversations), goal rates of 40% and 18%.
var DefaultMixes = map[string]Mix{SecondAgentID: {Confirm: 0.3}}

// Options configure a fake Bolna API. The zero value is a usable account: key [DefaultAPIKey],
// agent [DefaultAgentID], concurrency 10, real-time timings and the default outcome mix.
type Options struct {
	APIKey string // the key that authenticates; default DefaultAPIKey
	// ForbiddenKeys authenticate but lack permission: every request answers 403.
	ForbiddenKeys []string
	AgentIDs      []string // agents of the account; default {DefaultAgentID}
	Concurrency   int      // concurrency.max; default 10
	// Wallet is the balance in cents, the unit of total_cost; GET /user/me reports it as is,
	// which is the balance ×100, as the live API does. A call dialled when the wallet is not
	// positive ends balance-low. Default 1e6 ($10,000).
	Wallet float64
	// OwnedNumbers are the caller ids from_phone_number may name; empty accepts any.
	OwnedNumbers []string

	Timing Timing
	// TimeScale multiplies every duration of Timing: 0.01 makes a two-minute call last 1.2 s.
	// Default 1.
	TimeScale float64
	Seed      uint64 // seeds the random timings; the same seed and requests give the same run

	// Outcome picks what happens to a call to a number; default DefaultOutcome. Script
	// overrides it for the numbers it names.
	Outcome func(phone string) Outcome
	Script  map[string]Outcome
	// Mixes are the agents' own outcome mixes, by agent id (see Mix); nil is DefaultMixes.
	Mixes map[string]Mix
	// OutcomeFor, when set, replaces Outcome and sees the call's user_data too: a sandbox
	// that decides each attempt anew (people answer one day and not the next).
	OutcomeFor func(phone string, userData map[string]string) Outcome

	Style  Style
	Limits Limits
	Faults Faults

	// Guardrails, when set, is the agent's calling hours: for a call created at now it returns
	// the zero time if the call may dial now, else when its hours start. Such a call waits in
	// "rescheduled" until then, and then queues like any other.
	Guardrails func(now time.Time) time.Time

	// SystemPrompt and WelcomeMessage are the agent's (GET /v2/agent/{id}), with the
	// {variables} a call's user_data fills; AgentWebhookURL is its webhook_url (default the
	// Webhook's URL).
	SystemPrompt, WelcomeMessage, AgentWebhookURL string

	// Webhook, when set, pushes every status change of a call to a receiver (see Webhook).
	Webhook *Webhook

	// BoundPerMinute, when positive, is the most placements in any minute that Stats.Bound
	// allows (a runner's share of Bolna's limit on POST /call); 0 lets only the concurrency
	// bind.
	BoundPerMinute int

	// MaxRetained, when positive, bounds memory for very long runs (the sandbox with a
	// million rows): beyond that many calls, the oldest finished ones are forgotten (a GET of
	// one answers 404) and so are their placement records. 0 keeps everything, as Bolna does.
	MaxRetained int

	// Now is the clock; default time.Now. Every transition is computed from it lazily, so a
	// test may drive it by hand.
	Now func() time.Time
}

// Style switches between the behaviours on which Bolna's sources disagree (docs/bolna-api.md §12).
type Style struct {
	// AuthDocs answers a bad key with the documented 401 {"error":401,"message":"Access denied"};
	// the default is the observed 403 {"detail":"Unrecognized access token"}.
	AuthDocs bool
	// DisconnectDocs leaves duration, cost and transcript empty at call-disconnected (the docs);
	// the default fills them (observed payloads). The recording is "" in both.
	DisconnectDocs bool
	// ZuluTimestamps writes timestamps as RFC 3339 with Z (docs); the default is naive
	// microseconds without an offset (observed).
	ZuluTimestamps bool
	// FullListItems lists whole executions; the default lists the trimmed projection.
	FullListItems bool
	// DisconnectHoldsSlot keeps a call's concurrency slot until completed (⚙ in §13); by
	// default the slot is freed when the line drops.
	DisconnectHoldsSlot bool
	// StopStatus is the status a stopped call ends in: "stopped" (default) or "canceled".
	StopStatus dialer.Status
	// ListLag keeps a call out of the executions list until it is this old (Bolna's lag is
	// undocumented; a GET by id sees the call at once).
	ListLag time.Duration
	// NoStatusFilter refuses (400) a list filtered on a status: documented, but a runner that
	// leans on it must cope without it.
	NoStatusFilter bool
	// NoFutureTo refuses (400) a list window whose "to" is in the future: undocumented either
	// way, so the runner must cope with both.
	NoFutureTo bool
	// DateSkew sets the clock of the Date header apart from the clock of created_at (and of the
	// list's from/to): the Date header says Options.Now plus DateSkew. A web server on time in
	// front of a database clock that is not, or naive timestamps written in another zone (India's
	// +5:30 read as UTC), look like this: the Date header then says nothing of created_at.
	DateSkew time.Duration
}

// Limits are the request limits per minute; 0 means no limit. Over a limit the reply is 429.
type Limits struct {
	CallPerMinute  int // POST /call (Bolna: 500)
	ListPerMinute  int // GET /v2/agent/{id}/executions and GET /v2/agent/{id} (Bolna: 500)
	OtherPerMinute int // everything else (Bolna: 1000)
	// RetryAfter, when positive, is sent as Retry-After on these 429s.
	RetryAfter time.Duration
}

// BolnaLimits are Bolna's published request limits.
var BolnaLimits = Limits{CallPerMinute: dialer.BolnaLimits.Call, ListPerMinute: dialer.BolnaLimits.List, OtherPerMinute: dialer.BolnaLimits.Other}

// Fault is what the fake does to one request instead of (or after) serving it.
type Fault int

// The faults that can be injected.
const (
	NoFault Fault = iota
	// TooMany answers 429 without serving the request.
	TooMany
	// Unavailable answers 503 without serving the request.
	Unavailable
	// LoseReply serves the request (a POST /call creates its call), then answers 502: the
	// client cannot tell whether the call exists.
	LoseReply
	// ResetReply serves the request, then drops the connection without a reply.
	ResetReply
	// HTMLError answers 500 with an HTML page instead of JSON, without serving the request.
	HTMLError
	// TruncatedJSON serves the request and answers 200 with the first half of the JSON.
	TruncatedJSON
	// WrongTypes answers 200 with the right id but fields of the wrong JSON types.
	WrongTypes
	// UnknownStatus serves the request and answers with every "status" replaced by one that
	// Bolna never documented.
	UnknownStatus
	// SlowTrickle serves the request and sends the reply a few bytes at a time, slowly
	// (Faults.TrickleEvery between writes).
	SlowTrickle
	// HugeBody serves the request and pads the JSON reply with a field of Faults.HugeBodySize
	// bytes (default 17 MiB: more than a reply may hold whole, dialer.MaxBodySize).
	HugeBody
	// Revoked answers 403 as for a key that no longer exists, without serving the request.
	Revoked
)

// Faults inject failures. Rates are probabilities in [0,1] drawn from the seeded generator.
type Faults struct {
	PlaceTooMany    float64       // POST /call answers 429; the call is not created
	PlaceRetryAfter time.Duration // sent as Retry-After on those 429s when positive
	PlaceLost       float64       // POST /call creates the call, then the reply is lost (502 or reset)
	ReadTooMany     float64       // GET answers 429
	ReadUnavailable float64       // GET answers 503
	// ReadFault is injected into a ReadFaultRate share of GETs (any Fault above).
	ReadFault     Fault
	ReadFaultRate float64
	// StopIgnored is the share of POST /call/{id}/stop on a waiting call that answer 200
	// "stopped" and do nothing: the call stays queued and rings in its turn (a stop Bolna
	// acknowledges and does not carry out). 0, the default, carries out every stop the reply
	// acknowledges, as docs/bolna-api.md §4 has it.
	StopIgnored float64
	// TrickleEvery is the pause between the writes of a SlowTrickle reply; default 100ms.
	TrickleEvery time.Duration
	// HugeBodySize is the padding of a HugeBody reply in bytes; default 17 MiB. A test whose client
	// reads less (dialer.WithReplyLimits) pads less: a reply too large need not be tens of
	// megabytes.
	HugeBodySize int
	// Hook, when set, is asked first for every authenticated request; a fault it returns
	// replaces the random ones.
	Hook func(r *http.Request) Fault
}

// Timing is the lifecycle's timing as ranges [Min, Max]; each call draws within them.
type Timing struct {
	Dequeue      Range // queued → initiated once a slot is free
	Dial         Range // initiated → ringing
	Ring         Range // ringing → in-progress for an answered call
	Talk         Range // in-progress → call-disconnected
	PostProcess  Range // call-disconnected → completed
	NoAnswerRing Range // ringing → no-answer
	BusyAfter    Range // initiated → busy
	FailAfter    Range // initiated → failed / error
}

// Range is a duration drawn uniformly from [Min, Max].
type Range struct{ Min, Max time.Duration }

// DefaultTiming follows docs/bolna-api.md §13.
var DefaultTiming = Timing{
	Dequeue:      Range{500 * time.Millisecond, 3 * time.Second},
	Dial:         Range{1 * time.Second, 3 * time.Second},
	Ring:         Range{3 * time.Second, 25 * time.Second},
	Talk:         Range{10 * time.Second, 180 * time.Second},
	PostProcess:  Range{5 * time.Second, 3 * time.Minute},
	NoAnswerRing: Range{20 * time.Second, 45 * time.Second},
	BusyAfter:    Range{2 * time.Second, 10 * time.Second},
	FailAfter:    Range{1 * time.Second, 5 * time.Second},
}

// FastTiming is a lifecycle in tens of milliseconds, for tests: a whole call, post-processing
// included, takes well under half a second.
var FastTiming = Timing{
	Dequeue:      Range{2 * time.Millisecond, 10 * time.Millisecond},
	Dial:         Range{5 * time.Millisecond, 15 * time.Millisecond},
	Ring:         Range{10 * time.Millisecond, 40 * time.Millisecond},
	Talk:         Range{20 * time.Millisecond, 120 * time.Millisecond},
	PostProcess:  Range{20 * time.Millisecond, 150 * time.Millisecond},
	NoAnswerRing: Range{30 * time.Millisecond, 80 * time.Millisecond},
	BusyAfter:    Range{5 * time.Millisecond, 20 * time.Millisecond},
	FailAfter:    Range{5 * time.Millisecond, 20 * time.Millisecond},
}

// Outcome is what happens to one call.
type Outcome struct {
	// Status is the final status: completed, no-answer, busy, failed, error, balance-low.
	Status dialer.Status
	// Talk fixes the conversation's length of a completed call (0: drawn from Timing.Talk;
	// negative: a completed call with a 0 s conversation, as a rejected call ends).
	Talk      time.Duration
	Voicemail bool
	// StuckAt holds the call in this status for ever: "queued" (concurrency starvation) or
	// "call-disconnected" (post-processing that never ends).
	StuckAt dialer.Status
	// ErrorMessage overrides the error_message of failed / error calls.
	ErrorMessage string
	// Extracted overrides the extracted_data of a completed call.
	Extracted map[string]any
}

// DefaultOutcome is a stable mix by number: about 60% completed, 15% no-answer, 10% busy,
// 5% completed on voicemail, 5% failed, 5% completed with a 0 s conversation.
func DefaultOutcome(phone string) Outcome {
	switch h := hash(phone) % 100; {
	case h < 60:
		return Outcome{Status: dialer.StatusCompleted}
	case h < 75:
		return Outcome{Status: dialer.StatusNoAnswer}
	case h < 85:
		return Outcome{Status: dialer.StatusBusy}
	case h < 90:
		return Outcome{Status: dialer.StatusCompleted, Voicemail: true}
	case h < 95:
		return Outcome{Status: dialer.StatusFailed}
	default:
		return Outcome{Status: dialer.StatusCompleted, Talk: -1}
	}
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func (o *Options) setDefaults() {
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if len(o.AgentIDs) == 0 {
		o.AgentIDs = []string{DefaultAgentID}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 10
	}
	if o.Wallet == 0 {
		o.Wallet = 1e6
	}
	if o.Timing == (Timing{}) {
		o.Timing = DefaultTiming
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Outcome == nil {
		o.Outcome = DefaultOutcome
	}
	if o.Mixes == nil {
		o.Mixes = DefaultMixes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SystemPrompt == "" {
		o.SystemPrompt = "You are calling {name} to confirm their appointment. Be brief and polite."
	}
	if o.WelcomeMessage == "" {
		o.WelcomeMessage = "Hello {name}, this is a reminder about your appointment."
	}
	if o.Style.StopStatus == "" {
		o.Style.StopStatus = dialer.StatusStopped
	}
}
