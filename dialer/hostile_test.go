package dialer_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math"
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

// TestDecodePoisonedPayload: one odd field never fails a whole payload, and no number decodes
// as NaN or an infinity (the journal could not record it).
func TestDecodePoisonedPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want func(*dialer.Execution) bool
	}{
		{"cost NaN", `{"id":"e","status":"completed","total_cost":"NaN"}`, func(e *dialer.Execution) bool {
			return e.TotalCost == 0 && e.Status == dialer.StatusCompleted
		}},
		{"cost Infinity", `{"total_cost":"Infinity","conversation_duration":"-Inf"}`, func(e *dialer.Execution) bool {
			return e.TotalCost == 0 && e.ConversationDuration == 0
		}},
		{"summary an object", `{"id":"e","status":"completed","summary":{"text":"hi"},"total_cost":6.5}`, func(e *dialer.Execution) bool {
			return e.ID == "e" && e.Status == dialer.StatusCompleted && e.Summary == `{"text":"hi"}` && e.TotalCost == 6.5
		}},
		{"error message a number", `{"id":"e","status":"failed","error_message":42}`, func(e *dialer.Execution) bool {
			return e.Status == dialer.StatusFailed && e.ErrorMessage == "42"
		}},
		{"telephony of the wrong type", `{"id":"e","status":"busy","telephony_data":[1,2]}`, func(e *dialer.Execution) bool {
			return e.ID == "e" && e.Status == dialer.StatusBusy
		}},
		{"recipient data a list", `{"id":"e","status":"queued","context_details":{"recipient_data":[1],"recipient_phone_number":"+91"}}`, func(e *dialer.Execution) bool {
			return e.ID == "e" && e.ContextDetails.RecipientPhoneNumber == "+91"
		}},
		{"id an object", `{"id":{"x":1},"status":"ringing"}`, func(e *dialer.Execution) bool {
			return e.ID == "" && e.Status == dialer.StatusRinging
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e dialer.Execution
			if err := json.Unmarshal([]byte(tt.json), &e); err != nil {
				t.Fatalf("Unmarshal(%s) error = %v, want the payload decoded around the odd field", tt.json, err)
			}
			if !tt.want(&e) {
				t.Errorf("Unmarshal(%s) = %+v, not as expected", tt.json, e)
			}
			for _, f := range []dialer.Number{e.TotalCost, e.ConversationDuration, e.TelephonyData.Duration} {
				if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
					t.Errorf("Unmarshal(%s) gave a non-finite number %v", tt.json, f)
				}
			}
		})
	}
	var page dialer.ExecutionPage
	body := `{"has_more":false,"data":[{"id":"a","status":"completed","summary":{"x":1}},{"id":"b","status":"ringing"}]}`
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Data) != 2 || page.Data[1].Status != dialer.StatusRinging {
		t.Errorf("a list page with one odd item: %+v, %v; want both items", page, err)
	}
}

// TestNoRedirects: the key never follows a redirect, to another port, another scheme or
// another server, and a redirected POST /call is never re-posted.
func TestNoRedirects(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Write([]byte(`{"message":"done","status":"queued","execution_id":"stolen"}`))
	}))
	t.Cleanup(other.Close)
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path+"?token=secret", code)
		}))
		t.Cleanup(ts.Close)
		c, err := dialer.New("bn-redirect-key", dialer.WithBaseURL(ts.URL))
		if err != nil {
			t.Fatal(err)
		}
		_, accountErr := c.Account(t.Context())
		_, placeErr := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: "a", RecipientPhoneNumber: "+15550100"})
		for _, err := range []error{accountErr, placeErr} {
			var apiErr *dialer.APIError
			if !errors.As(err, &apiErr) || !apiErr.Redirect() || dialer.MaybePlaced(err) {
				t.Errorf("%d: error = %v, want a redirect *APIError that proves no call was placed", code, err)
				continue
			}
			if !strings.Contains(err.Error(), strings.TrimPrefix(other.URL, "http://")) || strings.Contains(err.Error(), "secret") {
				t.Errorf("%d: error %q should name the host it pointed to, and nothing of its query", code, err)
			}
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other server got %d requests, want 0", n)
	}
}

// TestKeyRedacted: a server that echoes the key back in an error never gets it printed.
func TestKeyRedacted(t *testing.T) {
	t.Parallel()
	const key = "bn-echoed-secret-0123456789"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"detail":"Access denied for header ` + r.Header.Get("Authorization") + `"}`))
	}))
	t.Cleanup(ts.Close)
	c, _ := dialer.New(key, dialer.WithBaseURL(ts.URL))
	_, err := c.Account(t.Context())
	if err == nil || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error = %v, want the key redacted", err)
	}
}

// TestHopelessErrorsNotRetried: a key that cannot be a header is refused at once, and an
// untrusted certificate is not tried again.
func TestHopelessErrorsNotRetried(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"bn-key\n", "bn key", "bn-\x00key"} {
		if _, err := dialer.New(key); err == nil || strings.Contains(err.Error(), key) {
			t.Errorf("New(%q) error = %v, want a refusal that does not show the key", key, err)
		}
	}
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	ts.StartTLS()
	t.Cleanup(ts.Close)
	c, _ := dialer.New("k", dialer.WithBaseURL(ts.URL), dialer.WithBackoff(dialer.Backoff{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond}))
	if _, err := c.Account(t.Context()); err == nil {
		t.Fatal("Account() against an untrusted certificate succeeded")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: an untrusted certificate cannot become trusted by trying again", n)
	}
}

// TestSendGate: once the gate closes, no request leaves, a 429 retry included, and a wait
// for the next try ends at once.
func TestSendGate(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Limits: bolnatest.Limits{RetryAfter: time.Minute},
		Faults: bolnatest.Faults{PlaceTooMany: 1, PlaceRetryAfter: time.Minute}})
	t.Cleanup(srv.Close)
	c := srv.Client(dialer.WithBackoff(dialer.Backoff{Attempts: 8, Base: time.Second, Max: time.Minute}))
	gate := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: "+15550100"}, dialer.SendGate(gate))
		done <- err
	}()
	for srv.Stats().ByRoute["POST /call"] == 0 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	select {
	case err := <-done:
		if !errors.Is(err, dialer.ErrGateClosed) || dialer.MaybePlaced(err) {
			t.Errorf("PlaceCall() after the gate closed: error = %v, want ErrGateClosed, not placed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("PlaceCall() still waiting 5 s after the gate closed (Retry-After 1 min)")
	}
	if n := srv.Stats().ByRoute["POST /call"]; n != 1 {
		t.Errorf("%d POSTs, want 1: none after the gate closed", n)
	}
	if _, err := c.Account(t.Context(), dialer.SendGate(gate)); !errors.Is(err, dialer.ErrGateClosed) {
		t.Errorf("Account() under a closed gate: error = %v, want ErrGateClosed", err)
	}
}

// placedID places a call and returns the execution id the reply names.
func placedID(c *dialer.Client) (string, error) {
	p, err := c.PlaceCall(context.Background(), dialer.CallRequest{AgentID: "a", RecipientPhoneNumber: "+911"})
	if p == nil {
		return "", err
	}
	return p.ExecutionID, err
}

// TestKeyNeverEchoed: a hostile server puts the key it was sent wherever the client reads
// server text: a redirect's Location host, the agent's name and webhook_url, an execution id,
// free text escaped as JSON allows (\u0062n-…, \/). Nothing the client returns holds the key,
// and an execution id that is not an id-like token is refused.
func TestKeyNeverEchoed(t *testing.T) {
	t.Parallel()
	const key = "bn-echoed-secret/0123456789"
	escaped := `\u0062n-echoed-secret\/0123456789`
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
		call  func(c *dialer.Client) (string, error) // what the client made of it, as text
	}{
		{"a redirect to the key's host", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "https://"+key+".evil.example/x")
			w.WriteHeader(http.StatusFound)
		}, func(c *dialer.Client) (string, error) { _, err := c.Account(context.Background()); return "", err }},
		{"the agent's name and webhook_url", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"id":"a","agent_name":"`+key+`","agent_config":{"webhook_url":"https://x.example/`+escaped+`"}}`)
		}, func(c *dialer.Client) (string, error) {
			a, err := c.Agent(context.Background(), "a")
			if a == nil {
				return "", err
			}
			return a.Name + " " + a.WebhookURL, err
		}},
		{"an execution id", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"execution_id":"`+key+`","status":"queued"}`)
		}, placedID},
		{"an execution id that is not an id", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"execution_id":"../../etc\u001b[31m","status":"queued"}`)
		}, placedID},
		{"escaped in a summary", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"id":"e-1","status":"completed","summary":"said `+escaped+`"}`)
		}, func(c *dialer.Client) (string, error) {
			ex, err := c.Execution(context.Background(), "e-1")
			if ex == nil {
				return "", err
			}
			return ex.Summary, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(http.HandlerFunc(tt.serve))
			t.Cleanup(ts.Close)
			c, _ := dialer.New(key, dialer.WithBaseURL(ts.URL), dialer.WithBackoff(dialer.Backoff{Attempts: 1, Base: time.Millisecond, Max: time.Millisecond}))
			got, err := tt.call(c)
			text := got
			if err != nil {
				text += " " + err.Error()
			}
			if strings.Contains(text, key) || strings.Contains(text, "bn-echoed") {
				t.Errorf("the client returned the key: %q", text)
			}
			if strings.Contains(tt.name, "id") && got != "" {
				t.Errorf("execution id %q accepted, want it refused", got)
			}
		})
	}
}

// TestFirstRequestFailsFast: before the server has ever answered, a refused connection or a
// host with no address is a wrong base URL: the request fails at once, not after a minute and
// a half of retries. Once it has answered, the same failure is a network that dropped, and is
// tried again (and said).
func TestFirstRequestFailsFast(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	var up atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	t.Cleanup(ts.Close)
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		if !up.Load() {
			return nil, &net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}
		}
		return (&net.Dialer{}).DialContext(ctx, network, ts.Listener.Addr().String())
	}}
	logged, logger := bolnatest.NewLog()
	c, _ := dialer.New("bn-some-key-0123", dialer.WithBaseURL(ts.URL), dialer.WithHTTPClient(&http.Client{Transport: transport}),
		dialer.WithBackoff(dialer.Backoff{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond}),
		dialer.WithLogger(logger))
	if _, err := c.Account(t.Context()); err == nil || dials.Load() != 1 {
		t.Fatalf("first request to a host with no address: %v after %d dials, want an error after 1", err, dials.Load())
	}
	up.Store(true)
	if _, err := c.Account(t.Context()); err != nil {
		t.Fatal(err)
	}
	up.Store(false)
	transport.CloseIdleConnections()
	dials.Store(0)
	if _, err := c.Account(t.Context()); err == nil || dials.Load() != 5 || logged.Count("") != 4 {
		t.Errorf("a network that drops after the first answer: %v after %d dials, %d retries said; want 5 tries, 4 said", err, dials.Load(), logged.Count(""))
	}
}
