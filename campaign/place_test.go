package campaign_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// journalEvents is the attempt records of a campaign's journal, in order: "dial", "placed",
// "void", "final:<status>" (the campaign's header, its keying and the account left out).
func journalEvents(t *testing.T, results string) []string {
	t.Helper()
	f, err := os.Open(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			Ev      string `json:"ev"`
			Outcome *struct {
				Status string `json:"status"`
			} `json:"outcome"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		switch rec.Ev {
		case "campaign", "keys", "account":
		case "final":
			evs = append(evs, "final:"+rec.Outcome.Status)
		default:
			evs = append(evs, rec.Ev)
		}
	}
	return evs
}

// unreachable is a dialer whose POST /call never leaves: the connection is refused.
type unreachable struct {
	campaign.Dialer
	dead *dialer.Client
}

func (u unreachable) PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	return u.dead.PlaceCall(ctx, req, opts...)
}

// deadClient is a client of an address nothing listens on.
func deadClient(t *testing.T) *dialer.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := dialer.New(bolnatest.DefaultAPIKey, append(bolnatest.FastClientOptions(), dialer.WithBaseURL("http://"+addr))...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPlacementReplies: every reply POST /call can get, for a list of one row, with
// --halt-after 1. The journal holds exactly the records the reply means (a refusal is a final
// error, never a void: a void row is dialled again by every run), the row ends as the reply
// says, and only a refusal counts as a failure (it halts the run at once).
func TestPlacementReplies(t *testing.T) {
	t.Parallel()
	for _, tt := range placementReplies() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkPlacementReply(t, tt)
		})
	}
}

// placementReply is a reply to POST /call and what it must come to.
type placementReply struct {
	name    string
	post    func(w http.ResponseWriter, r *http.Request, api http.Handler) // nil: served as is
	dead    bool                                                           // the POST never leaves
	events  []string
	status  journal.Status
	errText string // in the row's error
	fatal   string // in the run's *FatalError; "" for none
	failure bool   // counts for --halt-after
	// wait is how long the client waits for the reply: a few seconds, but for the case whose
	// reply never comes. (500 ms for all of them, a busy machine's -race run took a 400's
	// reply for lost.)
	wait time.Duration
}

// placementReplies are every reply POST /call can get.
func placementReplies() []placementReply {
	reply := func(code int, header ...string) func(w http.ResponseWriter, r *http.Request, api http.Handler) {
		return func(w http.ResponseWriter, r *http.Request, api http.Handler) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			w.Write([]byte(`{"message":"refused by the test"}`))
		}
	}
	created := func(after func(w http.ResponseWriter, r *http.Request)) func(w http.ResponseWriter, r *http.Request, api http.Handler) {
		return func(w http.ResponseWriter, r *http.Request, api http.Handler) {
			api.ServeHTTP(httptest.NewRecorder(), r) // the call exists; its reply is not what comes back
			after(w, r)
		}
	}
	return []placementReply{
		{name: "2xx", events: []string{"dial", "placed", "final:completed"}, status: journal.StatusCompleted},
		{name: "400", post: reply(400), events: []string{"dial", "final:error"}, status: journal.StatusError, errText: "Bolna refused the call", failure: true},
		{name: "401", post: reply(401), events: []string{"dial", "void"}, status: journal.StatusPending, fatal: "key was refused"},
		{name: "403", post: reply(403), events: []string{"dial", "void"}, status: journal.StatusPending, fatal: "key was refused"},
		{name: "404", post: reply(404), events: []string{"dial", "void"}, status: journal.StatusPending, fatal: "was not found"},
		{name: "422", post: reply(422), events: []string{"dial", "final:error"}, status: journal.StatusError, errText: "refused by the test", failure: true},
		{name: "429 to the end", post: reply(429, "Retry-After", "0"), events: []string{"dial", "void"}, status: journal.StatusPending},
		{name: "5xx, no call made", post: reply(502), events: []string{"dial", "final:unknown"}, status: journal.StatusUnknown, errText: "reply to POST /call was lost"},
		{name: "redirect", post: reply(302, "Location", "https://elsewhere.example/call"), events: []string{"dial", "void"}, status: journal.StatusPending, fatal: "redirect"},
		{name: "timeout, call made", post: created(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }),
			events: []string{"dial", "placed", "final:completed"}, status: journal.StatusCompleted, wait: 500 * time.Millisecond},
		{name: "reset, call made", post: created(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		}), events: []string{"dial", "placed", "final:completed"}, status: journal.StatusCompleted},
		{name: "unreachable", dead: true, events: []string{"dial", "void"}, status: journal.StatusPending, fatal: "could not reach Bolna"},
	}
}

// checkPlacementReply runs a one-row campaign whose POST /call gets tt's reply.
func checkPlacementReply(t *testing.T, tt placementReply) {
	api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
	t.Cleanup(api.Close)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/call" && tt.post != nil {
			tt.post(w, r, api)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	api.SetBaseURL(ts.URL)
	wait := cmp.Or(tt.wait, 5*time.Second)
	client, err := dialer.New(bolnatest.DefaultAPIKey, append(bolnatest.FastClientOptions(), dialer.WithBaseURL(ts.URL),
		dialer.WithHTTPClient(&http.Client{Timeout: wait}))...)
	if err != nil {
		t.Fatal(err)
	}
	var d campaign.Dialer = client
	if tt.dead {
		d = unreachable{Dialer: client, dead: deadClient(t)}
	}
	tc := listCampaign(t, "+9198", 10000000, 1)
	cfg := baseConfig()
	cfg.HaltAfter = 1
	cfg.PlaceTimeout = 2 * wait // the client's retries of a 429 included
	summary, rows, err := tc.runWith(t, t.Context(), d, ts.URL, cfg, nil)
	var fatal *campaign.FatalError
	switch {
	case tt.fatal == "" && err != nil:
		t.Fatalf("Run() error = %v, want none", err)
	case tt.fatal != "" && (!errors.As(err, &fatal) || !strings.Contains(err.Error(), tt.fatal)):
		t.Fatalf("Run() error = %v, want a FatalError saying %q", err, tt.fatal)
	}
	if got := journalEvents(t, tc.results); !slices.Equal(got, tt.events) {
		t.Errorf("journal = %q, want %q", got, tt.events)
	}
	if len(rows) != 1 || rows[0].Outcome.Status != tt.status || !strings.Contains(rows[0].Outcome.Error, tt.errText) {
		t.Fatalf("rows = %+v, want one %s saying %q", rows, tt.status, tt.errText)
	}
	if halted := summary.Halted != ""; halted != tt.failure {
		t.Errorf("halted = %q, want a failure counted: %v", summary.Halted, tt.failure)
	}
}

// countingPlacer checks, at every POST /call, how many of the stand-in's calls hold a line.
type countingPlacer struct {
	campaign.Dialer
	srv       *bolnatest.Server
	mu        sync.Mutex
	maxBefore int // the most calls holding a line when a POST left
}

func (c *countingPlacer) PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	live := 0
	for _, call := range c.srv.Calls() {
		if s := dialer.Status(call.Status); !s.Terminal() && s != dialer.StatusCallDisconnected {
			live++
		}
	}
	c.mu.Lock()
	c.maxBefore = max(c.maxBefore, live)
	c.mu.Unlock()
	return c.Dialer.PlaceCall(ctx, req, opts...)
}

// TestPoolDebt: a crashed run left 3 calls live and the rerun has 2 slots (--concurrency 2):
// the third call is a debt the first call to end pays off, so no new call is placed until at
// most one of the old ones holds a line.
func TestPoolDebt(t *testing.T) {
	t.Parallel()
	timing := bolnatest.FastTiming
	timing.Talk = bolnatest.Range{Min: 300 * time.Millisecond, Max: 2 * time.Second}
	tc := newCampaign(t, bolnatest.Options{Concurrency: 5, Timing: timing,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }}, 6)
	cfg := baseConfig()
	cfg.Concurrency = 3
	ctx, kill := context.WithCancel(t.Context())
	go func() {
		for len(tc.srv.Placements()) < 3 {
			time.Sleep(time.Millisecond)
		}
		kill()
	}()
	tc.runWith(t, ctx, tc.srv.Client(), tc.srv.URL, cfg, nil)
	if n := len(tc.srv.Placements()); n != 3 {
		t.Fatalf("the first run placed %d calls before it died, want 3", n)
	}

	cfg.Concurrency = 2
	d := &countingPlacer{Dialer: tc.srv.Client(), srv: tc.srv}
	summary, rows, err := tc.runWith(t, t.Context(), d, tc.srv.URL, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("rerun: %+v, %v", summary, err)
	}
	if d.maxBefore > 1 {
		t.Errorf("a call was placed while %d calls held a line, want at most 1 (2 slots)", d.maxBefore)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}
