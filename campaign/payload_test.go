package campaign_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// rewriter serves api, with every execution payload of its GET replies (a call by id, or the
// items of a list page) passed through edit first, as a hostile or confused Bolna would send it.
func rewriter(api http.Handler, edit func(ex map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var v map[string]any
		if r.Method == http.MethodGet && json.Unmarshal(body, &v) == nil {
			if items, ok := v["data"].([]any); ok {
				for _, item := range items {
					if ex, ok := item.(map[string]any); ok {
						edit(ex)
					}
				}
			} else if _, ok := v["status"]; ok {
				edit(v)
			}
			body, _ = json.Marshal(v)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// toNumber is the number an execution payload says its call went to.
func toNumber(ex map[string]any) string {
	td, _ := ex["telephony_data"].(map[string]any)
	s, _ := td["to_number"].(string)
	return s
}

// hostileServer serves a fresh fake Bolna through handler(api) on loopback and returns the
// fake and a client of it (fast retries, no pacing, and clientOpts).
func hostileServer(t *testing.T, opts bolnatest.Options, handler func(*bolnatest.API) http.Handler, clientOpts ...dialer.Option) (*bolnatest.API, *dialer.Client, string) {
	t.Helper()
	if opts.Timing == (bolnatest.Timing{}) {
		opts.Timing = bolnatest.FastTiming
	}
	api := bolnatest.NewAPI(opts)
	t.Cleanup(api.Close)
	ts := httptest.NewServer(handler(api))
	t.Cleanup(ts.Close)
	api.SetBaseURL(ts.URL)
	all := append([]dialer.Option{dialer.WithBaseURL(ts.URL)}, bolnatest.FastClientOptions()...)
	client, err := dialer.New(bolnatest.DefaultAPIKey, append(all, clientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return api, client, ts.URL
}

// TestNegativeCostCapped (#28.6): three calls Bolna says cost −1,000,000 cents each buy no
// room under --max-cost: a cost below zero counts as 0 (its row's total_cost too), with one
// warning a call naming the call and its masked number, and the calls at 10 cents each still
// reach the cap of 25 at the third.
func TestNegativeCostCapped(t *testing.T) {
	t.Parallel()
	tc := listCampaign(t, "+9198", 10000000, 12)
	negative := tc.phones[:3]
	api, client, url := hostileServer(t, bolnatest.Options{Concurrency: 1, TimeScale: 0.001,
		Outcome: func(string) bolnatest.Outcome {
			return bolnatest.Outcome{Status: "completed", Talk: 60 * time.Second} // 10 cents each
		}}, func(api *bolnatest.API) http.Handler {
		return rewriter(api, func(ex map[string]any) {
			if slices.Contains(negative, toNumber(ex)) && ex["total_cost"] != nil && ex["total_cost"] != 0.0 {
				ex["total_cost"] = -1_000_000
			}
		})
	})
	log, logger := bolnatest.NewLog()
	cfg := baseConfig()
	cfg.MaxCost, cfg.Logger = 25, logger
	summary, rows, err := tc.runWith(t, t.Context(), client, url, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Three calls counted as 0, then three of 10 cents reach 25; a seventh may be placed when
	// the sixth's line drops, before its cost is known.
	if got := len(api.Placements()); got < 6 || got > 7 || summary.Halted == "" {
		t.Errorf("placed %d of 12, halted %q; want 6 or 7, then the spend cap", got, summary.Halted)
	}
	for i, row := range rows[:3] {
		if row.Outcome.Status != "completed" || row.Outcome.Cost != 0 {
			t.Errorf("row %d: %s at cost %g, want completed at 0", i, row.Outcome.Status, row.Outcome.Cost)
		}
	}
	if n := log.Count("below zero"); n != 3 {
		t.Errorf("%d warnings of a cost below zero, want one for each of the 3 calls:\n%s", n, strings.Join(log.Messages(), "\n"))
	}
	for _, m := range log.Messages() {
		for _, p := range tc.phones {
			if strings.Contains(m, p) {
				t.Errorf("a message holds the whole number %s: %s", p, m)
			}
		}
		if strings.Contains(m, bolnatest.DefaultAPIKey) {
			t.Errorf("a message holds the key: %s", m)
		}
	}
}

// bloater serves api, with the payload of every completed call read by id made hostile by
// bloat, which writes the payload's JSON (the fake's, less its transcript) its own way.
func bloater(api http.Handler, bloat func(w io.Writer, fields []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		var v map[string]any
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/executions/") ||
			json.Unmarshal(rec.Body.Bytes(), &v) != nil || v["status"] != "completed" {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		delete(v, "transcript")
		delete(v, "extracted_data")
		body, _ := json.Marshal(v)
		w.WriteHeader(rec.Code)
		bloat(w, body[1:]) // the fields, then the closing brace
	})
}

// TestOversizedFinalPayload (#28.6): a completed call whose payload holds a transcript over
// what a reply may hold whole (the client's, lowered to replyBody), or extracted_data nested
// 10,001 levels, ends completed with its cost, times and id (it ended timeout on every run),
// the field left out named in the row's error; the payload is read once a call, never tried
// again.
func TestOversizedFinalPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field string
		bloat       func(w io.Writer, fields []byte)
	}{
		{"transcript over the reply's bound", "transcript", func(w io.Writer, fields []byte) {
			io.WriteString(w, `{"transcript":"`)
			w.Write([]byte(strings.Repeat("a", replyBody+64<<10)))
			io.WriteString(w, `",`)
			w.Write(fields)
		}},
		{"extracted_data 10,001 deep", "extracted_data", func(w io.Writer, fields []byte) {
			io.WriteString(w, `{"extracted_data":`+strings.Repeat(`{"a":`, 10_001)+"1"+strings.Repeat("}", 10_001)+",")
			w.Write(fields)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := listCampaign(t, "+9198", 20000000, 3)
			var bloated atomic.Int32 // hostile payloads served
			api, client, url := hostileServer(t, bolnatest.Options{Concurrency: 3,
				Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }},
				func(api *bolnatest.API) http.Handler {
					return bloater(api, func(w io.Writer, fields []byte) {
						bloated.Add(1)
						tt.bloat(w, fields)
					})
				}, dialer.WithReplyLimits(replyBody, 16*replyBody))
			cfg := baseConfig()
			cfg.MaxWait = time.Minute // reading megabytes under -race on a busy machine takes seconds: not a timeout
			summary, rows, err := tc.runWith(t, t.Context(), client, url, cfg, nil)
			if err != nil || summary.ByStatus["completed"] != 3 {
				t.Fatalf("Run() = %+v, %v; want the 3 calls completed", summary, err)
			}
			calls := map[string]bolnatest.Call{}
			for _, c := range api.Calls() {
				calls[c.ID] = c
			}
			for _, row := range rows {
				o, c := row.Outcome, calls[row.Outcome.ExecutionID]
				if o.Status != "completed" || o.Cost != c.Cost || c.Cost == 0 || o.FinishedAt.IsZero() || o.RecordingURL == "" ||
					!strings.Contains(o.Error, tt.field) {
					t.Errorf("row %s = %+v, want completed at %g with its times, and the error naming %s", row.Input["phone"], o, c.Cost, tt.field)
				}
			}
			if n := bloated.Load(); n != 3 {
				t.Errorf("%d final payloads read for 3 calls: want each read once, never tried again", n)
			}
		})
	}
}
