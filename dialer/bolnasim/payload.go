package bolnasim

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// payload builds the execution object as Bolna returns it at the call's current stage
// (docs/bolna-api.md §13: payloads filled by stage). GET, the list (full mode) and stops all
// use it.
func (a *API) payload(ex *execution) map[string]any {
	st := a.opts.Style
	var recipientData any
	if len(ex.userData) > 0 {
		recipientData = ex.userData
	}
	from := ex.from
	if from == "" {
		from = "+18005550100"
		if strings.HasPrefix(ex.phone, "+91") {
			from = "+918035550100"
		}
	}
	telephony := map[string]any{
		"to_number":            ex.phone,
		"from_number":          from,
		"call_type":            "outbound",
		"provider":             "twilio",
		"hosted_telephony":     true,
		"provider_call_id":     nil,
		"recording_url":        nil,
		"duration":             nil,
		"hangup_by":            nil,
		"hangup_reason":        nil,
		"hangup_provider_code": nil,
		"ring_duration":        nil,
	}
	if ex.providerID != "" {
		telephony["provider_call_id"] = ex.providerID
	}
	p := map[string]any{
		"id":                     ex.id,
		"agent_id":               ex.agentID,
		"batch_id":               nil,
		"status":                 ex.status,
		"smart_status":           ex.status,
		"created_at":             a.stamp(ex.createdAt),
		"updated_at":             a.stamp(ex.updatedAt),
		"scheduled_at":           a.stamp(ex.createdAt),
		"rescheduled_at":         nil,
		"error_message":          nil,
		"answered_by_voice_mail": nil,
		"conversation_duration":  0,
		"total_cost":             0,
		"transcript":             nil,
		"summary":                nil,
		"extracted_data":         nil,
		"cost_breakdown":         map[string]any{},
		"termination_reason":     nil,
		"user_number":            ex.phone,
		"agent_number":           from,
		"telephony_data":         telephony,
		"transfer_call_data":     nil,
		"batch_run_details":      nil,
		"latency_data":           map[string]any{},
		"provider":               "twilio",
		"context_details": map[string]any{
			"recipient_data":         recipientData,
			"recipient_phone_number": ex.phone,
		},
	}
	secs := round2(ex.talk.Seconds() / a.opts.TimeScale)
	switch ex.status {
	case dialer.StatusCallDisconnected:
		telephony["recording_url"] = ""
		if !st.DisconnectDocs {
			p["conversation_duration"] = secs
			p["total_cost"] = ex.cost
			p["transcript"] = transcript(ex)
		}
	case dialer.StatusCompleted:
		p["conversation_duration"] = secs
		p["total_cost"] = ex.cost
		p["cost_breakdown"] = costBreakdown(ex.cost)
		p["transcript"] = transcript(ex)
		p["summary"] = summary(ex)
		p["extracted_data"] = extracted(ex)
		p["answered_by_voice_mail"] = ex.outcome.Voicemail
		telephony["recording_url"] = a.baseURL() + "/recordings/call/" + ex.id
		telephony["duration"] = fmt.Sprintf("%.1f", secs) // a string, as in real payloads
		telephony["ring_duration"] = int(ex.ring.Seconds() / a.opts.TimeScale)
		telephony["hangup_by"] = "Callee"
		telephony["hangup_reason"] = "Call recipient hungup"
		telephony["hangup_provider_code"] = 4000
		p["termination_reason"] = "call_completed"
		if ex.outcome.Talk < 0 {
			telephony["hangup_reason"] = "Call rejected"
			p["termination_reason"] = "call_rejected"
		}
	case dialer.StatusNoAnswer, dialer.StatusBusy:
		h := carrierHangups[ex.status]
		telephony["duration"] = "0.0"
		telephony["hangup_by"] = "Carrier"
		telephony["hangup_reason"] = h.reason
		telephony["hangup_provider_code"] = h.code
		p["termination_reason"] = h.termination
	case "failed", "error":
		msg := ex.outcome.ErrorMessage
		if msg == "" {
			msg = "Telephony provider rejected the call: destination unreachable"
			if ex.status == dialer.StatusError {
				msg = "Internal error while placing the call"
			}
		}
		p["error_message"] = msg
		telephony["hangup_by"] = "Error"
		telephony["hangup_reason"] = msg
		p["termination_reason"] = ex.status
	case dialer.StatusBalanceLow:
		p["error_message"] = "call not placed due to insufficient balance"
		p["termination_reason"] = "balance_low"
	case dialer.StatusStopped, dialer.StatusCanceled:
		telephony["hangup_by"] = "API Request"
		p["termination_reason"] = "stopped"
	}
	return p
}

// trimmed is the projection the list endpoint serves by default.
func (a *API) trimmed(ex *execution) map[string]any {
	secs := 0.0
	if ex.status == dialer.StatusCompleted || (ex.status == dialer.StatusCallDisconnected && !a.opts.Style.DisconnectDocs) {
		secs = round2(ex.talk.Seconds() / a.opts.TimeScale)
	}
	return map[string]any{
		"id":                    ex.id,
		"status":                ex.status,
		"conversation_duration": secs,
		"created_at":            a.stamp(ex.createdAt),
		"telephony_data": map[string]any{
			"to_number":   ex.phone,
			"from_number": ex.from,
			"provider":    "twilio",
		},
	}
}

func (a *API) stamp(t time.Time) string {
	if a.opts.Style.ZuluTimestamps {
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000")
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func costBreakdown(total float64) map[string]any {
	return map[string]any{
		"llm":         round2(total * 0.2),
		"network":     round2(total * 0.1),
		"platform":    round2(total * 0.3),
		"synthesizer": round2(total * 0.25),
		"transcriber": round2(total * 0.15),
	}
}

func name(ex *execution) string {
	for _, key := range []string{"name", "first_name", "customer_name"} {
		if raw, ok := ex.userData[key]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				return s
			}
		}
	}
	return "there"
}

func transcript(ex *execution) string {
	if ex.outcome.Talk < 0 {
		return ""
	}
	if ex.outcome.Voicemail {
		return "assistant: Hello " + name(ex) + ", this is a reminder call.\nuser: [voicemail greeting]\n"
	}
	return "assistant: Hello " + name(ex) + ", this is a reminder about your appointment.\n" +
		"user: Yes, thanks for calling.\nassistant: Can you confirm you will attend?\nuser: " + answer(ex) + ".\n"
}

// answer is what the person says when asked to confirm: by the agent's mix, else two in three
// say yes, each by their number.
func answer(ex *execution) string {
	if ex.mix != nil {
		if float64(hash(ex.phone+"#confirm")%10000) < ex.mix.Confirm*10000 {
			return "Yes, I will be there"
		}
		return "No, I need to reschedule"
	}
	if hash(ex.phone)%3 == 0 {
		return "No, I need to reschedule"
	}
	return "Yes, I will be there"
}

func summary(ex *execution) string {
	switch {
	case ex.outcome.Talk < 0:
		return ""
	case ex.outcome.Voicemail:
		return "The call reached voicemail; a reminder was left."
	case strings.HasPrefix(answer(ex), "Yes"):
		return "The user confirmed the appointment."
	}
	return "The user asked to reschedule the appointment."
}

func extracted(ex *execution) map[string]any {
	if ex.outcome.Extracted != nil {
		return ex.outcome.Extracted
	}
	if ex.outcome.Talk < 0 || ex.outcome.Voicemail {
		return map[string]any{"confirmed": nil, "reached": "no"}
	}
	confirmed := "yes"
	if !strings.HasPrefix(answer(ex), "Yes") {
		confirmed = "no"
	}
	return map[string]any{"confirmed": confirmed, "reached": "yes"}
}

// carrierHangups are how the carrier ends a call nobody answered, as Bolna reports it.
var carrierHangups = map[dialer.Status]struct {
	reason, termination string
	code                int
}{
	dialer.StatusNoAnswer: {"Call unanswered", "no_answer", 3020},
	dialer.StatusBusy:     {"Call recipient was busy", "busy", 3010},
}
