package dialer_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

func TestAccount(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 7, Wallet: 12345})
	t.Cleanup(srv.Close)

	acct, err := srv.Client().Account(t.Context())
	if err != nil {
		t.Fatalf("Account() error = %v", err)
	}
	if acct.Concurrency.Max != 7 || acct.Concurrency.Current != 0 {
		t.Errorf("Account() concurrency = %+v, want max 7, current 0", acct.Concurrency)
	}
	if acct.Wallet != 12345 {
		t.Errorf("Account() wallet = %v, want 12345 (cents, as the live API reports)", acct.Wallet)
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     bolnatest.Options
		key      string
		wantCode int
		wantMsg  string
	}{
		{"docs 401", bolnatest.Options{Style: bolnatest.Style{AuthDocs: true}}, "bn-wrong", 401, "Access denied"},
		{"observed 403", bolnatest.Options{}, "bn-wrong", 403, "Unrecognized access token"},
		{"no permission", bolnatest.Options{ForbiddenKeys: []string{"sa-limited"}}, "sa-limited", 403, "permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := bolnatest.NewServer(tt.opts)
			t.Cleanup(srv.Close)
			c, err := dialer.New(tt.key, dialer.WithBaseURL(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Account(t.Context())
			var apiErr *dialer.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Account() error = %v, want *APIError", err)
			}
			if apiErr.StatusCode != tt.wantCode || !strings.Contains(apiErr.Message, tt.wantMsg) || !apiErr.Unauthorized() {
				t.Errorf("Account() error = %+v, want %d with %q", apiErr, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(err.Error(), tt.key) {
				t.Errorf("error text %q shows the key", err)
			}
			if got := srv.Stats().Requests; got != 1 {
				t.Errorf("requests = %d, want 1 (auth errors are never retried)", got)
			}
		})
	}
}

// faultOnce injects fault into the first n requests that match route.
func faultFirst(n int, method, pathPrefix string, fault bolnatest.Fault) func(*http.Request) bolnatest.Fault {
	var seen atomic.Int32
	return func(r *http.Request) bolnatest.Fault {
		if r.Method == method && strings.HasPrefix(r.URL.Path, pathPrefix) && seen.Add(1) <= int32(n) {
			return fault
		}
		return bolnatest.NoFault
	}
}

func TestPlaceCall(t *testing.T) {
	t.Parallel()
	req := dialer.CallRequest{
		AgentID:              bolnatest.DefaultAgentID,
		RecipientPhoneNumber: "+919876543210",
		UserData:             map[string]string{"name": "Asha", "ref": "r-1"},
	}
	tests := []struct {
		name        string
		hook        func(*http.Request) bolnatest.Fault
		req         func(dialer.CallRequest) dialer.CallRequest
		wantErr     bool
		maybePlaced bool
		wantCreated int
		wantPosts   int
	}{
		{name: "ok", wantCreated: 1, wantPosts: 1},
		{name: "429 is retried", hook: faultFirst(2, "POST", "/call", bolnatest.TooMany), wantCreated: 1, wantPosts: 3},
		{name: "503 is not retried", hook: faultFirst(1, "POST", "/call", bolnatest.Unavailable), wantErr: true, maybePlaced: true, wantPosts: 1},
		{name: "lost reply", hook: faultFirst(1, "POST", "/call", bolnatest.LoseReply), wantErr: true, maybePlaced: true, wantCreated: 1, wantPosts: 1},
		{name: "reset reply", hook: faultFirst(1, "POST", "/call", bolnatest.ResetReply), wantErr: true, maybePlaced: true, wantCreated: 1, wantPosts: 1},
		{name: "html 500", hook: faultFirst(1, "POST", "/call", bolnatest.HTMLError), wantErr: true, maybePlaced: true, wantPosts: 1},
		{name: "truncated reply", hook: faultFirst(1, "POST", "/call", bolnatest.TruncatedJSON), wantErr: true, maybePlaced: true, wantCreated: 1, wantPosts: 1},
		{
			name:    "bad number refused",
			req:     func(r dialer.CallRequest) dialer.CallRequest { r.RecipientPhoneNumber = "98765"; return r },
			wantErr: true, wantPosts: 1,
		},
		{
			name:    "unknown agent",
			req:     func(r dialer.CallRequest) dialer.CallRequest { r.AgentID = "nope"; return r },
			wantErr: true, wantPosts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := bolnatest.NewServer(bolnatest.Options{Faults: bolnatest.Faults{Hook: tt.hook}})
			t.Cleanup(srv.Close)
			r := req
			if tt.req != nil {
				r = tt.req(r)
			}
			placed, err := srv.Client().PlaceCall(t.Context(), r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("PlaceCall() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && dialer.MaybePlaced(err) != tt.maybePlaced {
				t.Errorf("MaybePlaced(%v) = %v, want %v", err, !tt.maybePlaced, tt.maybePlaced)
			}
			got := srv.Placements()
			if len(got) != tt.wantCreated {
				t.Fatalf("calls created = %d, want %d", len(got), tt.wantCreated)
			}
			if posts := srv.Stats().ByRoute["POST /call"]; posts != tt.wantPosts {
				t.Errorf("POST /call sent %d times, want %d", posts, tt.wantPosts)
			}
			if err == nil {
				if placed.ExecutionID != got[0].ExecutionID || placed.Status != "queued" {
					t.Errorf("PlaceCall() = %+v, want execution %s queued", placed, got[0].ExecutionID)
				}
				if got[0].UserData["name"] != "Asha" || got[0].Phone != "+919876543210" {
					t.Errorf("placement = %+v, want the request's number and user_data", got[0])
				}
			}
		})
	}
}

func TestPlaceCallNotSent(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: the connection is refused
	c, err := dialer.New("bn-key", dialer.WithBaseURL("http://"+addr), dialer.WithBackoff(dialer.Backoff{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: "a", RecipientPhoneNumber: "+15550100"})
	if err == nil || dialer.MaybePlaced(err) {
		t.Errorf("PlaceCall() to a closed port: error = %v, MaybePlaced = %v; want an error that proves nothing was sent", err, dialer.MaybePlaced(err))
	}
}

func TestReadRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     bolnatest.Fault
		n         int
		wantErr   bool
		wantTries int
	}{
		{"429 then ok", bolnatest.TooMany, 2, false, 3},
		{"503 then ok", bolnatest.Unavailable, 3, false, 4},
		{"html 500 then ok", bolnatest.HTMLError, 1, false, 2},
		{"gives up", bolnatest.Unavailable, 100, true, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := bolnatest.NewServer(bolnatest.Options{})
			t.Cleanup(srv.Close)
			c := srv.Client()
			placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: "+15550100"})
			if err != nil {
				t.Fatal(err)
			}
			srv.SetFaults(bolnatest.Faults{Hook: faultFirst(tt.n, "GET", "/executions/", tt.fault)})
			ex, err := c.Execution(t.Context(), placed.ExecutionID)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Execution() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (string(ex.ID) != placed.ExecutionID || ex.Status != dialer.StatusQueued) {
				t.Errorf("Execution() = %s %s, want %s queued", ex.ID, ex.Status, placed.ExecutionID)
			}
			if got := srv.Stats().ByRoute["GET /executions/{id}"]; got != tt.wantTries {
				t.Errorf("GET sent %d times, want %d", got, tt.wantTries)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var first, second time.Time
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		second = time.Now()
		w.Write([]byte(`{"message":"done","status":"queued","execution_id":"e-1"}`))
	}))
	t.Cleanup(ts.Close)
	c, _ := dialer.New("k", dialer.WithBaseURL(ts.URL), dialer.WithBackoff(dialer.Backoff{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}))
	if _, err := c.PlaceCall(t.Context(), dialer.CallRequest{}); err != nil {
		t.Fatalf("PlaceCall() error = %v", err)
	}
	if gap := second.Sub(first); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want at least the 1 s Retry-After", gap)
	}
}

func TestBodyLimits(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"x","transcript":"`))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 17 {
			w.Write(chunk)
		}
		w.Write([]byte(`"}`))
	}))
	t.Cleanup(ts.Close)
	c, _ := dialer.New("k", dialer.WithBaseURL(ts.URL), dialer.WithBackoff(dialer.Backoff{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}))
	// A call's payload is read field by field instead (TestPartialPayload); any other reply
	// this large is an error, and is not tried again: it would be as large again.
	_, err := c.Account(t.Context())
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("Account() of a 17 MiB body: error = %v, want a size error after a bounded retry", err)
	}
}

func TestDecodeLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want func(*dialer.Execution) bool
	}{
		{"naive timestamp", `{"created_at":"2025-08-14T14:05:13.684865"}`, func(e *dialer.Execution) bool {
			return e.CreatedAt.Equal(time.Date(2025, 8, 14, 14, 5, 13, 684865000, time.UTC))
		}},
		{"zulu timestamp", `{"created_at":"2024-01-23T01:14:37Z"}`, func(e *dialer.Execution) bool {
			return e.CreatedAt.Equal(time.Date(2024, 1, 23, 1, 14, 37, 0, time.UTC))
		}},
		{"offset timestamp", `{"created_at":"2024-01-23T06:44:37+05:30"}`, func(e *dialer.Execution) bool {
			return e.CreatedAt.Equal(time.Date(2024, 1, 23, 1, 14, 37, 0, time.UTC))
		}},
		{"garbage timestamp", `{"created_at":"yesterday"}`, func(e *dialer.Execution) bool { return e.CreatedAt.IsZero() }},
		{"duration as string", `{"telephony_data":{"duration":"28"}}`, func(e *dialer.Execution) bool { return e.TelephonyData.Duration == 28 }},
		{"duration as number", `{"telephony_data":{"duration":12.5}}`, func(e *dialer.Execution) bool { return e.TelephonyData.Duration == 12.5 }},
		{"cost null", `{"total_cost":null}`, func(e *dialer.Execution) bool { return e.TotalCost == 0 }},
		{"cost as string", `{"total_cost":"6.66"}`, func(e *dialer.Execution) bool { return e.TotalCost == 6.66 }},
		{"id as integer", `{"id":12345}`, func(e *dialer.Execution) bool { return e.ID == "12345" }},
		{"status underscore", `{"status":"no_answer"}`, func(e *dialer.Execution) bool { return e.Status == dialer.StatusNoAnswer }},
		{"status cancelled", `{"status":"Cancelled"}`, func(e *dialer.Execution) bool { return e.Status == dialer.StatusCanceled }},
		{"null strings", `{"summary":null,"error_message":null,"transcript":null}`, func(e *dialer.Execution) bool { return e.Summary == "" }},
		{"recipient data echo", `{"context_details":{"recipient_data":{"ref":"abc","n":3}}}`, func(e *dialer.Execution) bool {
			return e.ContextDetails.RecipientValue("ref") == "abc" && e.ContextDetails.RecipientValue("n") == "3"
		}},
		{"recipient data null", `{"context_details":{"recipient_data":null}}`, func(e *dialer.Execution) bool {
			return e.ContextDetails.RecipientValue("ref") == ""
		}},
		{"caller id from telephony_data", `{"telephony_data":{"from_number":"+14155550100"},"agent_number":"+1"}`, func(e *dialer.Execution) bool {
			return e.CallerNumber() == "+14155550100"
		}},
		{"caller id from agent_number", `{"agent_number":"+14155550100"}`, func(e *dialer.Execution) bool { return e.CallerNumber() == "+14155550100" }},
		{"unknown fields", `{"arq_job_id":"x","llmModel":{"a":1},"status":"completed"}`, func(e *dialer.Execution) bool { return e.Status.Terminal() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e dialer.Execution
			if err := json.Unmarshal([]byte(tt.json), &e); err != nil {
				t.Fatalf("Unmarshal(%s) error = %v", tt.json, err)
			}
			if !tt.want(&e) {
				t.Errorf("Unmarshal(%s) = %+v, not as expected", tt.json, e)
			}
		})
	}
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, retryAfter string
		code                   int
		wantMsg                string
		wantRetryAfter         time.Duration
	}{
		{"message", `{"error":1001,"message":"agent_id is required"}`, "", 400, "agent_id is required", 0},
		{"detail", `{"detail":"Unrecognized access token"}`, "", 403, "Unrecognized access token", 0},
		{"error text", `{"error":"boom"}`, "", 500, "boom", 0},
		{"fastapi list", `{"detail":[{"loc":["body"],"msg":"field required"}]}`, "", 422, "field required", 0},
		{"html", `<html><body><h1>502 Bad Gateway</h1></body></html>`, "", 502, "502 Bad Gateway", 0},
		{"retry-after seconds", `{"message":"rate limit exceeded"}`, "3", 429, "rate limit exceeded", 3 * time.Second},
		{"retry-after huge", `{}`, "86400", 429, "", dialer.MaxRetryAfter},
		{"retry-after garbage", `{}`, "soon", 429, "", 0},
		{"retry-after negative", `{}`, "-5", 429, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.code)
				w.Write([]byte(tt.body))
			}))
			t.Cleanup(ts.Close)
			c, _ := dialer.New("k", dialer.WithBaseURL(ts.URL), dialer.WithBackoff(dialer.Backoff{Attempts: 1, Base: 1, Max: 1}))
			err := c.StopCall(t.Context(), "x")
			var apiErr *dialer.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want *APIError", err)
			}
			if apiErr.StatusCode != tt.code || !strings.Contains(apiErr.Message, tt.wantMsg) || apiErr.RetryAfter != tt.wantRetryAfter {
				t.Errorf("APIError = %+v, want %d %q retry after %v", apiErr, tt.code, tt.wantMsg, tt.wantRetryAfter)
			}
		})
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://api.bolna.ai", true},
		{"https://api.bolna.ai/", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:9", true},
		{"http://[::1]:80", true},
		{"http://api.bolna.ai", false},
		{"http://10.0.0.5", false},
		{"ftp://api.bolna.ai", false},
		{"api.bolna.ai", false},
		{"https://user:pw@api.bolna.ai", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			if _, err := dialer.CheckBaseURL(tt.url); (err == nil) != tt.ok {
				t.Errorf("CheckBaseURL(%q) error = %v, want ok %v", tt.url, err, tt.ok)
			}
		})
	}
}

func TestListExecutions(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	start := time.Now().Add(-time.Second)
	for i := range 7 {
		if _, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: "+1555010" + string(rune('0'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for p := 1; ; p++ {
		page, err := c.ListExecutions(t.Context(), bolnatest.DefaultAgentID, dialer.ListOptions{From: start, To: time.Now().Add(time.Second), Page: p, PageSize: 3})
		if err != nil {
			t.Fatalf("ListExecutions() error = %v", err)
		}
		if page.Total != 7 {
			t.Errorf("total = %d, want 7", page.Total)
		}
		for _, e := range page.Data {
			ids = append(ids, string(e.ID))
			if e.TelephonyData.ToNumber == "" || e.Status != dialer.StatusQueued {
				t.Errorf("list item %+v lacks to_number or status", e)
			}
		}
		if !page.HasMore {
			break
		}
	}
	placements := srv.Placements()
	if len(ids) != 7 || ids[0] != placements[6].ExecutionID {
		t.Errorf("listed %d items starting %v, want 7 newest first", len(ids), ids)
	}

	_, err := c.ListExecutions(t.Context(), bolnatest.DefaultAgentID, dialer.ListOptions{From: start.Add(-8 * 24 * time.Hour), To: time.Now()})
	var apiErr *dialer.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("ListExecutions() over 8 days: error = %v, want 400", err)
	}
}
