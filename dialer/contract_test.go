package dialer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// contract validates requests against the project's transcription of Bolna's OpenAPI
// description (openapi.yml), with kin-openapi: path, method, path and query parameters
// (their types, enums, formats and ranges), the JSON body, and bearer auth; a query parameter
// the document does not declare (a misspelt one) is refused too, which the validator alone
// lets through.
type contract struct {
	router routers.Router
	mu     sync.Mutex
	errs   []string
	resps  []string        // responses the document does not describe
	seen   map[string]bool // operations exercised: "METHOD /path"
}

// serve validates each request, serves it with h, and validates the response too.
func (c *contract) serve(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.check(r)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := c.validateResponse(r, rec); err != nil {
			c.mu.Lock()
			c.resps = append(c.resps, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
			c.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

func (c *contract) validateResponse(r *http.Request, rec *httptest.ResponseRecorder) error {
	req := r.Clone(context.Background())
	req.Body = http.NoBody
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return err
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

func newContract(t *testing.T) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("openapi.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yml: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}} // the requests go to the stand-in
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{router: router, seen: map[string]bool{}}
}

func (c *contract) check(r *http.Request) {
	err := c.validate(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs = append(c.errs, fmt.Sprintf("%s %s: %v", r.Method, r.URL.RequestURI(), err))
	}
}

func (c *contract) validate(r *http.Request) error {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.seen[r.Method+" "+route.Path] = true
	c.mu.Unlock()
	declared := map[string]bool{}
	for _, p := range route.Operation.Parameters {
		if p.Value.In == "query" {
			declared[p.Value.Name] = true
		}
	}
	for name := range req.URL.Query() {
		if !declared[name] {
			return fmt.Errorf("query parameter %q is not in the document", name)
		}
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.SecuritySchemeName != "bearerAuth" || !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return fmt.Errorf("no bearer token")
			}
			return nil
		}},
	})
}

// TestContract sends every request the runner sends, through the client, to the simulated
// Bolna behind a validator of Bolna's published API: every endpoint the runner uses (the
// account, the agent, placing a call with a caller id and user_data, the executions list with
// its window, page and status filter, an execution by id, stopping a call), and fails on any
// request the document does not allow.
//
// The simulator's answers are validated against the same document: as the docs write
// timestamps (Style.ZuluTimestamps) every answer fits it; as Bolna is observed to answer (the
// default), the only misfits are the deliberate ones bolnasim's doc lists (timestamps without
// a zone), each of which the client reads (TestDecodeLenient).
func TestContract(t *testing.T) {
	t.Parallel()
	for _, zulu := range []bool{true, false} {
		t.Run(fmt.Sprintf("zulu timestamps %v", zulu), func(t *testing.T) {
			t.Parallel()
			c := runContract(t, bolnatest.Style{ZuluTimestamps: zulu})
			for _, e := range c.resps {
				if !deviation(e, zulu) {
					t.Errorf("an answer the document does not describe: %s", e)
				}
			}
			if !zulu && len(c.resps) == 0 {
				t.Error("naive timestamps passed as date-time: the check of answers is not looking")
			}
		})
	}
}

// deviation reports whether a misfit of an answer is one the simulator makes on purpose, as
// Bolna is observed to answer (bolnasim's doc lists them): every field it names is a
// timestamp without a zone (created_at, updated_at), or null where the document says string
// (error_message, summary, transcript) or boolean (answered_by_voice_mail) before the call has
// it.
func deviation(misfit string, zulu bool) bool {
	found := misfitAt.FindAllStringSubmatch(misfit, -1)
	if len(found) == 0 {
		return false
	}
	for _, m := range found {
		field, reason := m[1], m[2]
		switch {
		case nullable[field] && strings.Contains(reason, "not nullable"):
		case !zulu && (strings.HasSuffix(field, "/created_at") || strings.HasSuffix(field, "/updated_at")) && strings.Contains(reason, "date-time"):
		default:
			return false
		}
	}
	return true
}

var misfitAt = regexp.MustCompile(`Error at "([^"]*)": ([^|]*)`)

// nullable are the fields Bolna's document calls strings (or a boolean) that real payloads
// leave null until the call has them.
var nullable = map[string]bool{"/answered_by_voice_mail": true, "/error_message": true, "/summary": true, "/transcript": true}

// runContract exercises every endpoint the runner uses through a validating server.
func runContract(t *testing.T, style bolnatest.Style) *contract {
	c := newContract(t)
	api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming, Style: style,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // calls wait: one can be stopped
	ts := httptest.NewServer(c.serve(api))
	t.Cleanup(ts.Close)
	api.SetBaseURL(ts.URL)
	client, err := dialer.New(bolnatest.DefaultAPIKey, append(bolnatest.FastClientOptions(), dialer.WithBaseURL(ts.URL))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := client.Account(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Agent(ctx, bolnatest.DefaultAgentID); err != nil {
		t.Fatal(err)
	}
	placed, err := client.PlaceCall(ctx, dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: "+919810000001",
		FromPhoneNumber: "+919800000001", UserData: map[string]string{"name": "Asha", "bolna_campaign_ref": "abc-1-1-x"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, status := range []dialer.Status{"", dialer.StatusQueued, dialer.StatusRescheduled, dialer.StatusCallDisconnected} {
		if _, err := client.ListExecutions(ctx, bolnatest.DefaultAgentID, dialer.ListOptions{From: now.Add(-time.Hour), To: now.Add(time.Minute), Page: 2, PageSize: 50, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Execution(ctx, placed.ExecutionID); err != nil {
		t.Fatal(err)
	}
	if err := client.StopCall(ctx, placed.ExecutionID); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.errs {
		t.Errorf("a request the API does not allow: %s", e)
	}
	want := []string{"GET /user/me", "GET /v2/agent/{agent_id}", "POST /call", "GET /v2/agent/{agent_id}/executions", "GET /executions/{execution_id}", "POST /call/{execution_id}/stop"}
	for _, op := range want {
		if !c.seen[op] {
			t.Errorf("%s was not exercised", op)
		}
	}
	if len(c.seen) != len(want) {
		t.Errorf("operations exercised %v, want %v", slices.Sorted(func(yield func(string) bool) {
			for k := range c.seen {
				if !yield(k) {
					return
				}
			}
		}), want)
	}
	return c
}

// TestContractRefuses: the contract check is not a test that cannot fail: requests that break
// the document (a misspelt query parameter, a page too large, a status the API does not have, a
// body field it does not know, no bearer token) are each refused.
func TestContractRefuses(t *testing.T) {
	t.Parallel()
	c := newContract(t)
	list := "/v2/agent/" + bolnatest.DefaultAgentID + "/executions?from=2026-12-01T00:00:00.000Z&to=2026-12-02T00:00:00.000Z"
	tests := []struct {
		name, method, url, body string
		auth                    bool
	}{
		{"a misspelt query parameter", "GET", list + "&page_numbr=2", "", true},
		{"a page of 100", "GET", list + "&page_size=100", "", true},
		{"a status Bolna does not have", "GET", list + "&status=voicemail", "", true},
		{"a window that is not a date-time", "GET", "/v2/agent/" + bolnatest.DefaultAgentID + "/executions?from=yesterday", "", true},
		{"a body field Bolna does not know", "POST", "/call", `{"agent_id":"` + bolnatest.DefaultAgentID + `","recipient_phone_number":"+919810000001","recipient":"x"}`, true},
		{"a number that is not E.164", "POST", "/call", `{"agent_id":"` + bolnatest.DefaultAgentID + `","recipient_phone_number":"98100 00001"}`, true},
		{"no bearer token", "GET", "/user/me", "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
		if tt.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if tt.auth {
			r.Header.Set("Authorization", "Bearer k")
		}
		if err := c.validate(r); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
