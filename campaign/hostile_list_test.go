package campaign_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// hostileList serves the executions list of api through rewrite (the other routes as they are).
func hostileList(t *testing.T, api *bolnatest.API, rewrite func(w http.ResponseWriter, r *http.Request) bool) *dialer.Client {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/executions") && rewrite(w, r) {
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	api.SetBaseURL(ts.URL)
	// The default retries of reads (a minute and a half), as a real run has them.
	client, err := dialer.New(bolnatest.DefaultAPIKey, dialer.WithBaseURL(ts.URL), dialer.WithLimits(dialer.Limits{}))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// TestHostileList: an executions list that never ends (it ignores page_number and always has
// more), that always fails, or that refuses every request, neither hangs the run nor holds its
// calls: every call is followed to its end within seconds, under the default retries of reads,
// and the results match the server (the call whose reply was lost is found, or, where the list
// cannot be read, its row is not taken for one never created).
func TestHostileList(t *testing.T) {
	t.Parallel()
	for _, tt := range hostileLists {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timing := bolnatest.FastTiming
			timing.Talk = bolnatest.Range{Min: 300 * time.Millisecond, Max: 600 * time.Millisecond}
			var once sync.Once
			api := bolnatest.NewAPI(bolnatest.Options{Timing: timing, Concurrency: 4, Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
				f := bolnatest.NoFault
				if r.Method == http.MethodPost && r.URL.Path == "/call" {
					once.Do(func() { f = bolnatest.LoseReply }) // one call to look for
				}
				return f
			}}})
			client := hostileList(t, api, tt.rewrite(api))
			tc := listCampaign(t, "+9198", 20000000, 10)
			cfg := baseConfig()
			cfg.Concurrency = 4
			cfg.Outage = 20 * time.Second
			cfg.MaxWait = 4 * time.Second
			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			summary, rows, err := tc.runWith(t, ctx, client, "hostile", cfg, nil)
			if err != nil {
				t.Fatalf("Run() = %+v, %v", summary, err)
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("10 calls of under a second took %s", took.Round(time.Millisecond))
			}
			calls := map[string]bolnatest.Call{}
			for _, c := range api.Calls() {
				calls[c.ID] = c
			}
			for _, row := range rows {
				o := row.Outcome
				if (o.Status == journal.StatusTimeout || o.Status == journal.StatusUnknown) && o.ExecutionID == "" {
					continue // the call whose reply was lost, where the list cannot be read: unresolved, or followed until --max-wait; the next run looks again
				}
				if c := calls[o.ExecutionID]; string(o.Status) != c.Status {
					t.Errorf("%s: %s, server says %s", row.Input["phone"], o.Status, c.Status)
				}
			}
			checkPlacedOnce(t, api, tc.phones)
			if st := api.Stats(); st.Requests > 400 {
				t.Errorf("%d requests for 10 calls", st.Requests)
			}
		})
	}
}

// hostileLists are the executions lists TestHostileList serves: each rewrites the real one.
var hostileLists = []struct {
	name    string
	rewrite func(api *bolnatest.API) func(w http.ResponseWriter, r *http.Request) bool
}{
	{"ignores page_number, always has more", func(api *bolnatest.API) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			q := r.URL.Query()
			q.Set("page_number", "1")
			r.URL.RawQuery = q.Encode()
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, r)
			var page map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &page) != nil {
				return false
			}
			page["has_more"] = true
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			json.NewEncoder(w).Encode(page)
			return true
		}
	}},
	{"always fails", func(*bolnatest.API) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return true
		}
	}},
	{"refuses every request (400)", func(*bolnatest.API) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"invalid request"}`)
			return true
		}
	}},
}
