package campaign

import (
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// outcomeOf reads the outcome of a call from its final execution payload.
func outcomeOf(ex *dialer.Execution, attempts int, dialedAt, now time.Time) journal.Outcome {
	o := journal.Outcome{
		Status:       journal.Status(ex.Status),
		ExecutionID:  string(ex.ID),
		Attempts:     attempts,
		Duration:     float64(ex.ConversationDuration),
		Cost:         float64(ex.TotalCost),
		RecordingURL: ex.TelephonyData.RecordingURL,
		HangupReason: ex.TelephonyData.HangupReason,
		Summary:      ex.Summary,
		Error:        ex.ErrorMessage,
		DialedAt:     dialedAt,
		FinishedAt:   ex.UpdatedAt.Time,
	}
	if ex.AnsweredByVoiceMail != nil && *ex.AnsweredByVoiceMail {
		o.Voicemail = true
	}
	if len(ex.ExtractedData) > 0 && string(ex.ExtractedData) != "null" {
		o.Extracted = ex.ExtractedData
	}
	if o.FinishedAt.IsZero() {
		o.FinishedAt = now.UTC()
	}
	return o
}
