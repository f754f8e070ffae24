package campaign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestRestartNeverOverfills: a run killed with calls in post-processing and calls still live
// leaves more calls to follow than the account has slots. The rerun must not size its pool
// by them: the stand-in never sees more calls queued or live than the concurrency.
func TestRestartNeverOverfills(t *testing.T) {
	t.Parallel()
	timing := bolnatest.FastTiming
	timing.Talk = bolnatest.Range{Min: 150 * time.Millisecond, Max: 250 * time.Millisecond}
	timing.PostProcess = bolnatest.Range{Min: 3 * time.Second, Max: 4 * time.Second}
	// The first run dies (its context ends at once, as with kill -9) at its ninth placement: 6
	// of them in post-processing, 3 live. The stand-in takes the ninth and refuses (429) any
	// POST of the dying run after it, as if its process were gone: a loaded machine's run
	// placed two more before a watcher saw the ninth.
	var (
		posts atomic.Int32
		dying atomic.Bool
		ninth = make(chan struct{})
	)
	dying.Store(true)
	tc := newCampaign(t, bolnatest.Options{Concurrency: 3, Timing: timing,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} },
		Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
			if r.Method != http.MethodPost || r.URL.Path != "/call" || !dying.Load() {
				return bolnatest.NoFault
			}
			switch n := posts.Add(1); {
			case n == 9:
				close(ninth)
			case n > 9:
				return bolnatest.TooMany
			}
			return bolnatest.NoFault
		}}}, 15)
	cfg := baseConfig()
	ctx, kill := context.WithCancel(t.Context())
	go func() {
		select {
		case <-ninth:
		case <-ctx.Done():
		}
		kill()
	}()
	tc.runWith(t, ctx, tc.srv.Client(), tc.srv.URL, cfg, nil)
	dying.Store(false)
	if n := len(tc.srv.Placements()); n < 9 || n > 10 {
		t.Fatalf("the first run placed %d calls before it died, want 9", n)
	}

	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("rerun: %+v, %v", summary, err)
	}
	if st := tc.srv.Stats(); st.MaxOutstanding > 3 {
		t.Errorf("the stand-in saw %d calls queued or live at once, want at most the concurrency 3", st.MaxOutstanding)
	}
	if summary.Concurrency > 3 {
		t.Errorf("rerun pool of %d slots, want at most the account's 3", summary.Concurrency)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}

// TestStopDuring429Storm: after Stop (a signal) no POST /call leaves, not even the client's
// retry of a 429, and the run ends without waiting out a Retry-After.
func TestStopDuring429Storm(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		posts []time.Time
	)
	tc := newCampaign(t, bolnatest.Options{Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		if r.Method == http.MethodPost && r.URL.Path == "/call" {
			mu.Lock()
			posts = append(posts, time.Now())
			mu.Unlock()
			return bolnatest.TooMany
		}
		return bolnatest.NoFault
	}, PlaceRetryAfter: time.Minute}}, 10)
	var stoppedAt atomic.Int64
	var runner atomic.Pointer[campaign.Runner]
	go func() {
		for {
			mu.Lock()
			n := len(posts)
			mu.Unlock()
			if n >= 10 && runner.Load() != nil {
				break // every row's POST refused, every retry asleep for its minute: none is in flight
			}
			time.Sleep(time.Millisecond)
		}
		stoppedAt.Store(time.Now().UnixNano())
		runner.Load().Stop()
	}()
	start := time.Now()
	summary, _, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, baseConfig(), func(r *campaign.Runner) { runner.Store(r) })
	if !errors.Is(err, campaign.ErrStopped) {
		t.Fatalf("Run() error = %v, want ErrStopped", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("Run() took %s after a stop, want no wait for the 1 min Retry-After", took)
	}
	stop := time.Unix(0, stoppedAt.Load())
	mu.Lock()
	defer mu.Unlock()
	for _, at := range posts {
		if at.After(stop) {
			t.Errorf("a POST /call arrived %s after the stop", at.Sub(stop))
		}
	}
	if summary.ByStatus[journal.StatusPending] != 10 || len(tc.srv.Placements()) != 0 {
		t.Errorf("summary = %+v, %d placed; want every row pending, none placed", summary, len(tc.srv.Placements()))
	}
}

// Test429StormBounded: a storm of 429s on POST /call, then normal service: each contact is
// sent a bounded number of times and dialled exactly once.
func Test429StormBounded(t *testing.T) {
	t.Parallel()
	var stormUntil atomic.Int64
	stormUntil.Store(time.Now().Add(300 * time.Millisecond).UnixNano())
	perPhone := map[string]int{}
	var mu sync.Mutex
	opts := bolnatest.Options{Timing: bolnatest.FastTiming, Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		if r.Method == http.MethodPost && r.URL.Path == "/call" {
			var body struct {
				Phone string `json:"recipient_phone_number"`
			}
			b, _ := readBody(r)
			json.Unmarshal(b, &body)
			mu.Lock()
			perPhone[body.Phone]++
			mu.Unlock()
			if time.Now().UnixNano() < stormUntil.Load() {
				return bolnatest.TooMany
			}
		}
		return bolnatest.NoFault
	}}}
	tc := newCampaign(t, opts, 12)
	logged, logger := bolnatest.NewLog()
	client := tc.srv.Client(
		dialer.WithPlaceBackoff(dialer.Backoff{Attempts: 12, Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}),
		dialer.WithLogger(logger))
	summary, _, err := tc.runWith(t, t.Context(), client, tc.srv.URL, baseConfig(), nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	mu.Lock()
	defer mu.Unlock()
	sent := 0
	for _, p := range tc.phones {
		if perPhone[p] > 12 {
			t.Errorf("%s: %d POSTs, want at most the 12 tries of the placement policy", p, perPhone[p])
		}
		sent += perPhone[p]
	}
	if logged.Count("") != sent-len(tc.phones) {
		t.Errorf("%d retries logged, want one line for each of the %d retries", logged.Count(""), sent-len(tc.phones))
	}
}

// readBody reads a request's body and puts it back for the handler.
func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r.Body)
	r.Body.Close()
	r.Body = readCloser{bytes.NewReader(buf.Bytes())}
	return buf.Bytes(), err
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestFailedSearchProvesNothing: a call whose placement reply was lost, while the executions
// list fails on every request, is never called "not found": the row is not unknown, and
// --retry unknown does not dial it again. A later run, with the list back, finds the call.
func TestFailedSearchProvesNothing(t *testing.T) {
	t.Parallel()
	var listBroken atomic.Bool
	listBroken.Store(true)
	var once sync.Once
	tc := newCampaign(t, bolnatest.Options{Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/call":
			f := bolnatest.NoFault
			once.Do(func() { f = bolnatest.LoseReply }) // created, reply lost
			return f
		case strings.HasSuffix(r.URL.Path, "/executions") && listBroken.Load():
			return bolnatest.HTMLError
		}
		return bolnatest.NoFault
	}}}, 1)
	cfg := baseConfig()
	cfg.Outage = 300 * time.Millisecond
	cfg.Retry = []journal.Status{journal.StatusUnknown}
	summary, rows, err := tc.run(t, cfg, nil)
	var fatal *campaign.FatalError
	if !errors.As(err, &fatal) {
		t.Errorf("Run() error = %v, want a FatalError once no read succeeds for --outage", err)
	}
	if summary == nil || rows[0].Outcome.Status == journal.StatusUnknown {
		t.Fatalf("Run() = %+v, rows %+v: a search that could not read the list proves nothing", summary, rows)
	}
	listBroken.Store(false)
	summary, rows, err = tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("rerun: %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}

// poisoner rewrites the payloads of one number's completed call as a hostile server might:
// total_cost "NaN" and a summary that is an object.
func poisoner(next http.Handler, phone string) http.Handler {
	var poison func(v any) any
	poison = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			td, _ := v["telephony_data"].(map[string]any)
			if td != nil && td["to_number"] == phone && v["status"] == "completed" {
				v["total_cost"] = "NaN"
				v["summary"] = map[string]any{"text": "hi"}
			}
			for k, x := range v {
				v[k] = poison(x)
			}
		case []any:
			for i, x := range v {
				v[i] = poison(x)
			}
		}
		return v
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var v any
		if r.Method == http.MethodGet && json.Unmarshal(body, &v) == nil {
			body, _ = json.Marshal(poison(v))
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// TestPoisonedPayload: one call's payload with a NaN cost and a summary of the wrong type
// neither stops the campaign nor costs retries: every row ends, the odd one too.
func TestPoisonedPayload(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }}, 8)
	api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
	ts := httptest.NewServer(poisoner(api, tc.phones[3]))
	t.Cleanup(ts.Close)
	api.SetBaseURL(ts.URL)
	client, err := dialer.New(bolnatest.DefaultAPIKey, dialer.WithBaseURL(ts.URL),
		dialer.WithLimits(dialer.Limits{}),
		dialer.WithBackoff(dialer.Backoff{Attempts: 6, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	summary, rows, err := tc.runWith(t, t.Context(), client, ts.URL, baseConfig(), nil)
	if err != nil || summary.ByStatus["completed"] != 8 {
		t.Fatalf("Run() = %+v, %v; want all 8 completed", summary, err)
	}
	if o := rows[3].Outcome; o.Cost != 0 || o.Summary != `{"text":"hi"}` || o.Status != "completed" {
		t.Errorf("poisoned row = %+v, want completed, cost 0, the summary's JSON as text", o)
	}
	if st := api.Stats(); st.Requests > 8*8 {
		t.Errorf("%d requests for 8 calls: odd payloads must not be retried", st.Requests)
	}
}

// TestCrashedIntentListLag: a crashed run's POST created a call that Bolna's list shows only
// seconds later. The rerun looks until the list must show it, and never dials it again.
func TestCrashedIntentListLag(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Style: bolnatest.Style{ListLag: 2500 * time.Millisecond}}, 2)
	cfg := baseConfig()
	cfg.ListLag = 4 * time.Second
	tc.placedBeforeCrash(t, cfg, tc.phones[0], nil)
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}

// placedBeforeCrash leaves the journal of tc as a run that died right after its POST /call for
// phone reached Bolna: the intent synced, the call created (carrying its reference), its reply
// never recorded. before, when set, writes records ahead of the intent.
func (tc *testCampaign) placedBeforeCrash(t *testing.T, cfg campaign.Config, phone string, before func(*journal.State)) {
	t.Helper()
	st, err := journal.OpenState(store.At(tc.results).StatePath(), journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if before != nil {
		before(st)
	}
	ref := st.Ref(phone, 1)
	st.Dial(phone, phone, 1, ref, time.Now())
	if _, err := tc.srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: cfg.AgentID, RecipientPhoneNumber: phone,
		UserData: map[string]string{contacts.RefKey: ref}}); err != nil {
		t.Fatal(err)
	}
}

// TestTornIntentFound: the journal's last line, an intent to dial, was cut after its call was
// placed. The contact is looked for, found and followed: not dialled a second time.
func TestTornIntentFound(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 2)
	cfg := baseConfig()
	path := store.At(tc.results).StatePath()
	tc.placedBeforeCrash(t, cfg, tc.phones[1], func(st *journal.State) {
		st.NoteAccount(journal.Account{Concurrency: 10, At: time.Now()}) // a record before the intent
	})
	cutJournal(t, path, `"ref"`) // cut inside the dial record, before its reference

	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	if rows[1].Outcome.ExecutionID != tc.srv.Placements()[0].ExecutionID {
		t.Errorf("row 1 follows %q, want the call placed before the journal was cut", rows[1].Outcome.ExecutionID)
	}
}

// Test429Storm30s: every POST /call refused with 429 for 30 s, then normal service, under the
// default placement policy, in virtual time: each contact gets a bounded number of POSTs (the
// policy's 10 tries at most), every retry is logged, and every contact is dialled exactly once.
func Test429Storm30s(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		stormEnds := time.Now().Add(30 * time.Second)
		var mu sync.Mutex
		posts := map[string]int{}
		api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming, Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
			if r.Method != http.MethodPost || r.URL.Path != "/call" {
				return bolnatest.NoFault
			}
			b, _ := readBody(r)
			var body struct {
				Phone string `json:"recipient_phone_number"`
			}
			json.Unmarshal(b, &body)
			mu.Lock()
			posts[body.Phone]++
			mu.Unlock()
			if time.Now().Before(stormEnds) {
				return bolnatest.TooMany
			}
			return bolnatest.NoFault
		}}})
		logged, logger := bolnatest.NewLog()
		client := api.InProcessClient(dialer.WithPlaceBackoff(dialer.DefaultPlaceBackoff),
			dialer.WithLogger(logger))
		tc := listCampaign(t, "+9197", 10000000, 20)
		summary, _, err := tc.runWith(t, t.Context(), client, "inprocess", baseConfig(), nil)
		if err != nil || summary.Unfinished() != 0 || summary.Dialled != 20 {
			t.Fatalf("Run() = %+v, %v; want all 20 dialled", summary, err)
		}
		mu.Lock()
		defer mu.Unlock()
		sent := 0
		for _, p := range tc.phones {
			if n := posts[p]; n < 1 || n > dialer.DefaultPlaceBackoff.Attempts {
				t.Errorf("%s: %d POSTs, want at most %d", p, n, dialer.DefaultPlaceBackoff.Attempts)
			}
			sent += posts[p]
		}
		checkPlacedOnce(t, api, tc.phones)
		if sent <= 20 {
			t.Errorf("%d POSTs for 20 contacts: the storm refused none", sent)
		}
		if logged.Count("") != sent-20 {
			t.Errorf("%d retries logged, want one line for each of the %d", logged.Count(""), sent-20)
		}
		t.Logf("30 s of 429s: %d POSTs for 20 contacts (at most %d each), all dialled once", sent, dialer.DefaultPlaceBackoff.Attempts)
	})
}

// noClock hides what a client says of Bolna's clock (the Date header of its replies).
type noClock struct{ campaign.Dialer }
