package dialer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Account is the reply of GET /user/me.
type Account struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Wallet is the balance as Bolna reports it: the live API reports the balance ×100 (in
	// cents, the unit total_cost uses; raw 9930.01 is $99.30); the docs call it the balance.
	Wallet      Number      `json:"wallet"`
	Concurrency Concurrency `json:"concurrency"`
}

// Concurrency is the account's limit on simultaneous outbound calls and its current use.
type Concurrency struct {
	Max     int `json:"max"`
	Current int `json:"current"`
}

// CallRequest is the body of POST /call.
type CallRequest struct {
	AgentID              string            `json:"agent_id"`
	RecipientPhoneNumber string            `json:"recipient_phone_number"`
	FromPhoneNumber      string            `json:"from_phone_number,omitempty"`
	UserData             map[string]string `json:"user_data,omitempty"`
}

// PlacedCall is the reply of a successful POST /call.
type PlacedCall struct {
	Message     string `json:"message"`
	Status      string `json:"status"`
	ExecutionID string `json:"execution_id"`
}

// Execution is one call as GET /executions/{id} (and, possibly trimmed, the list) returns it.
// Only the fields a campaign uses are decoded; unknown fields are ignored.
type Execution struct {
	ID                   ID              `json:"id"`
	AgentID              string          `json:"agent_id"`
	Status               Status          `json:"status"`
	ErrorMessage         string          `json:"error_message"`
	AnsweredByVoiceMail  *bool           `json:"answered_by_voice_mail"`
	ConversationDuration Number          `json:"conversation_duration"`
	TotalCost            Number          `json:"total_cost"`
	Transcript           string          `json:"transcript"`
	Summary              string          `json:"summary"`
	ExtractedData        json.RawMessage `json:"extracted_data"`
	CreatedAt            Time            `json:"created_at"`
	UpdatedAt            Time            `json:"updated_at"`
	TelephonyData        TelephonyData   `json:"telephony_data"`
	ContextDetails       ContextDetails  `json:"context_details"`
	TerminationReason    string          `json:"termination_reason"`
	UserNumber           string          `json:"user_number"`
	AgentNumber          string          `json:"agent_number"` // the caller id, in newer payloads
	// Dropped lists the fields left out because they were too large or too deep to keep
	// (see MaxBodySize and MaxDepth): the rest of the payload was read all the same.
	Dropped []Dropped `json:"-"`
}

// UnmarshalJSON decodes a payload without ever failing it whole for one odd field: a field of
// the wrong JSON type (a summary that is an object, say) is kept as its JSON text where it is
// free text, and left empty otherwise; extracted_data nested deeper than MaxDepth is dropped
// (see Dropped); everything else decodes as usual. Only JSON that is not an object is an error.
func (e *Execution) UnmarshalJSON(b []byte) error {
	e.Dropped = nil
	err := json.Unmarshal(b, (*plainExecution)(e))
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return err
	}
	if err != nil {
		e.looseText(b)
	}
	e.dropDeep()
	return nil
}

// plainExecution is an Execution without its methods: encoding/json decodes it field by field,
// with no call to UnmarshalJSON (no recursion, and no second pass over its bytes).
type plainExecution Execution

// dropDeep leaves out extracted_data nested deeper than MaxDepth (see Dropped).
func (e *Execution) dropDeep() {
	if depth(e.ExtractedData) > MaxDepth {
		e.ExtractedData = nil
		e.Dropped = append(e.Dropped, Dropped{Field: "extracted_data", Reason: fmt.Sprintf("nested deeper than %d levels", MaxDepth)})
	}
}

// looseText recovers the free text that fields of the wrong JSON type held (encoding/json went
// on past them).
func (e *Execution) looseText(b []byte) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return
	}
	for key, field := range map[string]*string{
		"summary": &e.Summary, "error_message": &e.ErrorMessage, "transcript": &e.Transcript,
		"termination_reason": &e.TerminationReason,
	} {
		if v, ok := raw[key]; ok && *field == "" {
			*field = looseText(v)
		}
	}
}

// looseText is a JSON value as text: a string as itself, null as "", anything else compact.
func looseText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil || buf.String() == "null" {
		return ""
	}
	return buf.String()
}

// RecipientNumber is the number the call went to, from whichever field carries it.
func (e *Execution) RecipientNumber() string {
	switch {
	case e.TelephonyData.ToNumber != "":
		return e.TelephonyData.ToNumber
	case e.ContextDetails.RecipientPhoneNumber != "":
		return e.ContextDetails.RecipientPhoneNumber
	}
	return e.UserNumber
}

// CallerNumber is the caller id the call went out on, as Bolna reports it ("" when it does
// not), from whichever field carries it.
func (e *Execution) CallerNumber() string {
	if e.TelephonyData.FromNumber != "" {
		return e.TelephonyData.FromNumber
	}
	return e.AgentNumber
}

// TelephonyData is the telephony part of an execution.
type TelephonyData struct {
	Duration           Number `json:"duration"`
	ToNumber           string `json:"to_number"`
	FromNumber         string `json:"from_number"`
	RecordingURL       string `json:"recording_url"`
	Provider           string `json:"provider"`
	ProviderCallID     string `json:"provider_call_id"`
	CallType           string `json:"call_type"`
	HangupBy           string `json:"hangup_by"`
	HangupReason       string `json:"hangup_reason"`
	HangupProviderCode Number `json:"hangup_provider_code"`
}

// ContextDetails echoes what the call was placed with. RecipientData is the user_data of the
// call; values are kept as JSON so that numbers and nested values survive.
type ContextDetails struct {
	RecipientData        map[string]json.RawMessage `json:"recipient_data"`
	RecipientPhoneNumber string                     `json:"recipient_phone_number"`
}

// RecipientValue returns the user_data value under key as text ("" when absent).
func (c ContextDetails) RecipientValue(key string) string {
	raw, ok := c.RecipientData[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// ExecutionPage is one page of GET /v2/agent/{id}/executions.
type ExecutionPage struct {
	PageNumber int         `json:"page_number"`
	PageSize   int         `json:"page_size"`
	Total      int         `json:"total"`
	HasMore    bool        `json:"has_more"`
	Data       []Execution `json:"data"`
}

// decodePage decodes a page in one pass when every item decodes as is (the usual page), and
// item by item, each as [Execution.UnmarshalJSON] decodes one, when some item does not: the
// same page either way (TestPageDecodesAsItemByItem), but for a page that says "data" twice
// (the second list decoded over the first), whose Dropped may differ. One pass, because encoding/json hands an
// item with a method of its own to it only after scanning it, and the method's Unmarshal scans
// it again (BenchmarkDecodePage).
func decodePage(b []byte, p *ExecutionPage) error {
	var fast struct {
		plainPage
		Data []plainExecution `json:"data"`
	}
	if err := json.Unmarshal(b, &fast); err != nil {
		*p = ExecutionPage{}
		return json.Unmarshal(b, p)
	}
	*p = ExecutionPage(fast.plainPage)
	if fast.Data != nil {
		p.Data = make([]Execution, len(fast.Data))
		for i := range fast.Data {
			p.Data[i] = Execution(fast.Data[i])
			p.Data[i].dropDeep()
		}
	}
	return nil
}

// plainPage is an ExecutionPage whose items decode through no method of theirs (see decodePage).
type plainPage ExecutionPage

// ID is an execution id. Real payloads carry UUID strings; old examples carry integers.
type ID string

// UnmarshalJSON accepts a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*id = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		*id = "" // neither a string nor a number: no id, rather than no payload
		return nil
	}
	*id = ID(n.String())
	return nil
}

// Number is a JSON number that also accepts a numeric string ("28", "0.0"), null and "".
// Anything else (an object, "NaN", "Infinity") decodes as 0 rather than failing the whole
// payload: a Number is always finite.
type Number float64

// UnmarshalJSON decodes leniently; see [Number].
func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*n = 0
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil // "NaN" and "Infinity" parse, but are no amount: 0, like any odd value
	}
	*n = Number(f)
	return nil
}

// Time is a timestamp that accepts RFC 3339 with or without an offset and with or without
// fractional seconds. A time without an offset is UTC (Bolna's real payloads are naive UTC).
type Time struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// UnmarshalJSON decodes leniently; see [Time]. An unreadable value decodes as the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	var s string
	if json.Unmarshal(b, &s) != nil || s == "" {
		return nil
	}
	t.Time = ParseTime(s)
	return nil
}

// MarshalJSON writes RFC 3339 in UTC, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// ParseTime parses a Bolna timestamp leniently (see [Time]); it returns the zero time when s
// matches no known layout.
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// truncate keeps at most n bytes of s, never cutting a character in two.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
