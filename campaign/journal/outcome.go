package journal

import (
	"encoding/json"
	"time"
)

// Outcome is the latest state of one contact: what the results row shows.
type Outcome struct {
	Status       Status          `json:"status"`
	ExecutionID  string          `json:"execution_id,omitempty"`
	Attempts     int             `json:"attempts,omitempty"`
	Duration     float64         `json:"duration,omitempty"` // conversation seconds
	Cost         float64         `json:"cost,omitempty"`     // total_cost, in Bolna's unit (cents)
	RecordingURL string          `json:"recording_url,omitempty"`
	HangupReason string          `json:"hangup_reason,omitempty"`
	Summary      string          `json:"summary,omitempty"`
	Extracted    json.RawMessage `json:"extracted_data,omitempty"`
	Error        string          `json:"error,omitempty"`
	DialedAt     time.Time       `json:"dialed_at,omitzero"`
	FinishedAt   time.Time       `json:"finished_at,omitzero"`
	// Voicemail: Bolna says a voicemail answered (answered_by_voice_mail); see Result.
	Voicemail bool `json:"voicemail,omitempty"`
	// From is the caller id the latest call went out on ("" for the agent's default).
	From string `json:"from,omitempty"`
	// Unresolved: the reply to its POST /call was lost and no search could tell whether Bolna
	// created the call (the list refused every read, or Bolna's clock could not be told). Its
	// status is unknown, and its row is not dialled again, even by --retry unknown, until a later
	// run's search finds the call or proves it absent (see State.Torn).
	Unresolved bool `json:"unresolved,omitempty"`
	// AgentID is the agent the row was dialled through (its journal's), for the results'
	// agent_id column: two campaigns with two agents, merged, compare as an A/B test.
	AgentID string `json:"-"`
}

// Settled reports whether the outcome will not change unless the row is dialled again.
func (o Outcome) Settled() bool { return o.Status.Settled() }
