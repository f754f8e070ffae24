package dialer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeExecution decodes arbitrary bytes as an execution payload, as GET
// /executions/{id} and the list deliver them: no panic, a decoded payload's numbers are
// numbers, and a page decoded in one pass (decodePage) is the page decoded item by item.
func FuzzDecodeExecution(f *testing.F) {
	for _, seed := range []string{
		`{"id":"b7140255-af33-4608-8e97-04dd944b8e48","status":"completed","conversation_duration":42.5,"total_cost":6.66,` +
			`"created_at":"2025-08-14T14:05:13.684865","telephony_data":{"duration":"28","recording_url":"https://x"},` +
			`"extracted_data":{"confirmed":"yes"},"context_details":{"recipient_data":{"bolna_campaign_ref":"r"},"recipient_phone_number":"+91"}}`,
		`{"id":12345,"status":"no_answer","total_cost":"1.5","telephony_data":{"duration":null}}`,
		`{"status":42,"created_at":7,"context_details":{"recipient_data":[1,2]}}`,
		`{"data":[{"id":"x","status":"queued"}],"has_more":true}`,
		`{"id":"x","status":"call-disconnected","conversation_duration":1e309}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Execution
		if json.Unmarshal(data, &e) == nil {
			_ = e.Status.Terminal()
			_ = e.RecipientNumber()
			_ = e.ContextDetails.RecipientValue("bolna_campaign_ref")
		}
		var page, onePass ExecutionPage
		err := json.Unmarshal(data, &page)
		// A page that says "data" twice is read by encoding/json as the second list decoded
		// over the first: item by item drops the first's deep extracted_data before the
		// second is read, in one pass after, so Dropped may differ. Bolna sends one.
		twice := bytes.Count(data, []byte(`"data"`)) > 1
		if err1 := decodePage(data, &onePass); !twice && ((err == nil) != (err1 == nil) || !reflect.DeepEqual(page, onePass)) {
			t.Fatalf("%q: decoded item by item %+v, %v; in one pass %+v, %v", data, page, err, onePass, err1)
		}
		msg := errorMessage(data)
		if !utf8.ValidString(msg) && utf8.Valid(data) {
			t.Fatalf("errorMessage(%q) = %q is not UTF-8", data, msg)
		}
		if len(msg) > 400 {
			t.Fatalf("errorMessage gave %d bytes, want a bounded message", len(msg))
		}
	})
}

// FuzzRetryAfter: whatever a server sends, the wait is between 0 and MaxRetryAfter.
func FuzzRetryAfter(f *testing.F) {
	for _, seed := range []string{"3", "0.5", "-1", "86400", "1e308", "NaN", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", ""} {
		f.Add(seed)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v, now); d < 0 || d > MaxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v, want 0..%v", v, d, MaxRetryAfter)
		}
	})
}
