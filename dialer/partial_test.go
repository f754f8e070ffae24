package dialer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

const partialKey = "bn-partial-secret-0123456789"

// replyBody is what a reply may hold whole in TestPartialPayload: a mebibyte, not the 16 MiB in
// use (MaxBodySize, kept by TestBodyLimits), so that its replies too large are megabytes.
const replyBody = 1 << 20

// huge writes n bytes of 'a', a mebibyte at a time (never held whole).
func huge(w io.Writer, n int) {
	chunk := []byte(strings.Repeat("a", 1<<20))
	for ; n > 0; n -= len(chunk) {
		w.Write(chunk[:min(n, len(chunk))])
	}
}

// nested is a JSON value nested n levels deep.
func nested(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

const finalFields = `"status":"completed","total_cost":12.5,"created_at":"2026-01-02T03:04:05Z",` +
	`"updated_at":"2026-01-02T03:09:05Z","agent_id":"ag-1","summary":"key ` + partialKey + ` echoed",` +
	`"telephony_data":{"to_number":"+919810000001","from_number":"+14155550100"}`

// TestPartialPayload (#28.6): a call's final payload too large (a transcript three times what a
// reply may hold, before the fields that matter or after them) or too deep
// (extracted_data nested 10,001 levels, past encoding/json's limit, or past MaxDepth) is read in
// one request: what fits is kept (status, cost, times, ids, the key redacted), what does not is
// named in Dropped with its reason. A list page does the same item by item; a reply cut short
// is still an error, tried again; any other reply too large is a *BodyTooLargeError, never
// tried again.
func TestPartialPayload(t *testing.T) {
	t.Parallel()
	tests := partialCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if r.URL.Path != tt.path {
					http.NotFound(w, r)
					return
				}
				tt.body(w)
			}))
			t.Cleanup(ts.Close)
			c, err := dialer.New(partialKey, dialer.WithBaseURL(ts.URL), dialer.WithLimits(dialer.Limits{}), dialer.WithReplyLimits(replyBody, 16*replyBody),
				dialer.WithBackoff(dialer.Backoff{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			if n := requests.Load(); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

func execution(t *testing.T, c *dialer.Client, id string) *dialer.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	ex, err := c.Execution(ctx, id)
	if err != nil {
		t.Fatalf("Execution(%s) error = %v, want what can be read", id, err)
	}
	return ex
}

// checkFinal checks that a payload kept the fields of finalFields, and dropped field alone,
// saying why.
func checkFinal(t *testing.T, ex *dialer.Execution, field, why string) {
	t.Helper()
	if ex.Status != dialer.StatusCompleted || ex.TotalCost != 12.5 || ex.AgentID != "ag-1" || ex.ID == "" ||
		ex.CreatedAt.IsZero() || ex.UpdatedAt.IsZero() || ex.TelephonyData.FromNumber != "+14155550100" {
		t.Errorf("payload = %+v, want the status, cost, times and ids kept", ex)
	}
	if len(ex.Dropped) != 1 || ex.Dropped[0].Field != field || !strings.Contains(ex.Dropped[0].Reason, why) {
		t.Errorf("dropped %v, want %s alone (%s…)", ex.Dropped, field, why)
	}
	if strings.Contains(ex.Summary, partialKey) || strings.Contains(ex.Transcript, partialKey) {
		t.Errorf("the key came through: summary %q", ex.Summary)
	}
}

// partialCase is a reply served at path, the requests it should take, and a check of what the
// client made of it.
type partialCase struct {
	name     string
	path     string
	body     func(w io.Writer)
	requests int32
	check    func(t *testing.T, c *dialer.Client) // with a client of the server
}

func partialCases() []partialCase {
	return []partialCase{
		{"huge transcript first", "/executions/x1", func(w io.Writer) {
			io.WriteString(w, `{"id":"x1","transcript":"`)
			huge(w, 3*replyBody) // three times what a reply may hold
			io.WriteString(w, `",`+finalFields+`,"extracted_data":{"confirmed":"yes"}}`)
		}, 1, func(t *testing.T, c *dialer.Client) {
			ex := execution(t, c, "x1")
			checkFinal(t, ex, "transcript", "bytes")
			if string(ex.ExtractedData) != `{"confirmed":"yes"}` {
				t.Errorf("extracted_data %s, want it kept", ex.ExtractedData)
			}
		}},
		{"huge summary last", "/executions/x2", func(w io.Writer) {
			io.WriteString(w, `{"id":"x2",`+strings.Replace(finalFields, `"summary"`, `"old_summary"`, 1)+`,"summary":"`)
			huge(w, replyBody+1<<20)
			io.WriteString(w, `"}`)
		}, 1, func(t *testing.T, c *dialer.Client) { checkFinal(t, execution(t, c, "x2"), "summary", "bytes") }},
		{"extracted_data 10,001 deep", "/executions/x3", func(w io.Writer) {
			io.WriteString(w, `{"id":"x3",`+finalFields+`,"extracted_data":`+nested(10_001)+`}`)
		}, 1, func(t *testing.T, c *dialer.Client) { checkFinal(t, execution(t, c, "x3"), "extracted_data", "nested") }},
		{"extracted_data past MaxDepth", "/executions/x4", func(w io.Writer) {
			io.WriteString(w, `{"id":"x4",`+finalFields+`,"extracted_data":`+nested(dialer.MaxDepth+1)+`}`)
		}, 1, func(t *testing.T, c *dialer.Client) { checkFinal(t, execution(t, c, "x4"), "extracted_data", "nested") }},
		{"list page with a huge item", "/v2/agent/ag-1/executions", func(w io.Writer) {
			io.WriteString(w, `{"page_number":1,"has_more":false,"data":[{"id":"x5","status":"ringing"},{"id":"x6",`+finalFields+`,"transcript":"`)
			huge(w, replyBody+1<<20)
			io.WriteString(w, `"}]}`)
		}, 1, func(t *testing.T, c *dialer.Client) {
			page, err := c.ListExecutions(t.Context(), "ag-1", dialer.ListOptions{From: time.Now().Add(-time.Hour), To: time.Now()})
			if err != nil || len(page.Data) != 2 || page.Data[0].ID != "x5" || page.PageNumber != 1 {
				t.Fatalf("ListExecutions() = %+v, %v; want both items", page, err)
			}
			checkFinal(t, &page.Data[1], "transcript", "bytes")
		}},
		{"a huge field named with the key", "/executions/x8", func(w io.Writer) {
			io.WriteString(w, `{"id":"x8",`+finalFields+`,"\u0062n-partial-secret-0123456789":"`)
			huge(w, replyBody+1<<20)
			io.WriteString(w, `"}`)
		}, 1, func(t *testing.T, c *dialer.Client) {
			ex := execution(t, c, "x8")
			if len(ex.Dropped) != 1 || strings.Contains(ex.Dropped[0].String(), "secret") || !strings.Contains(ex.Dropped[0].Field, "[redacted]") {
				t.Errorf("dropped %v, want the field named without the key", ex.Dropped)
			}
		}},
		{"thousands of fields too deep", "/executions/x9", func(w io.Writer) {
			io.WriteString(w, `{"id":"x9",`+finalFields)
			for i := range 5000 {
				fmt.Fprintf(w, `,"f%d":%s`, i, nested(dialer.MaxDepth+1))
			}
			io.WriteString(w, `,"g":`+nested(10_001)+`}`) // past encoding/json: read field by field
		}, 1, func(t *testing.T, c *dialer.Client) {
			ex := execution(t, c, "x9")
			if n := len(ex.Dropped); n == 0 || n > 20 || !strings.Contains(ex.Dropped[n-1].Field, "4985 more fields") {
				t.Errorf("dropped %v, want a bounded list and a count of the rest", ex.Dropped)
			}
		}},
		{"cut short", "/executions/x7", func(w io.Writer) {
			io.WriteString(w, `{"id":"x7","transcript":"`)
			huge(w, replyBody+1<<20) // and the reply ends
		}, 2, func(t *testing.T, c *dialer.Client) {
			if ex, err := c.Execution(t.Context(), "x7"); err == nil {
				t.Errorf("Execution() of a reply cut short = %+v, want an error", ex)
			}
		}},
		// Not a call's payload: a damaged reply, tried again within the backoff's 2 attempts
		// (TestRunHostileReplies: a huge body now and then must not stop a run).
		{"account too large", "/user/me", func(w io.Writer) {
			io.WriteString(w, `{"id":"me","name":"`)
			huge(w, replyBody+1<<20)
			io.WriteString(w, `"}`)
		}, 2, func(t *testing.T, c *dialer.Client) {
			var tooLarge *dialer.BodyTooLargeError
			if _, err := c.Account(t.Context()); !errors.As(err, &tooLarge) || !strings.Contains(err.Error(), "exceeds") {
				t.Errorf("Account() of a reply too large: error = %v, want a *BodyTooLargeError", err)
			}
		}},
	}
}

// TestReplyLimitsOnlyLower: WithReplyLimits can lower the bounds on a reply, never raise them
// past MaxBodySize and MaxScanSize, nor read field by field less than it reads whole.
func TestReplyLimitsOnlyLower(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body int
		scan int64
		ok   bool
	}{
		{1 << 20, 16 << 20, true},
		{dialer.MaxBodySize, dialer.MaxScanSize, true},
		{1, 1, true},
		{0, 1 << 20, false},
		{-1, 1 << 20, false},
		{dialer.MaxBodySize + 1, dialer.MaxScanSize, false},
		{1 << 20, dialer.MaxScanSize + 1, false},
		{2 << 20, 1 << 20, false},
	}
	for _, tt := range tests {
		_, err := dialer.New(partialKey, dialer.WithReplyLimits(tt.body, tt.scan))
		if (err == nil) != tt.ok {
			t.Errorf("WithReplyLimits(%d, %d): error = %v, want ok %v", tt.body, tt.scan, err, tt.ok)
		}
	}
}
