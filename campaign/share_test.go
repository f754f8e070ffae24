package campaign_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// TestRunKeepsToItsShare runs campaigns whose poll interval and concurrency would spend far
// more than a small share of Bolna's limits, against an account whose limits are exactly that
// share: a request beyond it would be refused with a 429. The run must cause none, keep every
// class within its share in every minute, and still dial every contact once.
func TestRunKeepsToItsShare(t *testing.T) {
	t.Parallel()
	tests := []benchCase{
		{name: "placements bind", concurrency: 20, calls: 60, timing: benchTiming, poll: 20 * time.Millisecond, share: 0.02},
		{name: "looks bind too", concurrency: 8, calls: 160, timing: benchTiming, poll: 20 * time.Millisecond, share: 0.1},
		{name: "webhook", concurrency: 20, calls: 60, timing: benchTiming, poll: 20 * time.Millisecond, share: 0.02, push: true},
	}
	for _, bc := range tests {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				opts := bc.options()
				l := bc.limits()
				opts.Limits = bolnatest.Limits{CallPerMinute: l.Call, ListPerMinute: l.List, OtherPerMinute: l.Other}
				api, st := runInProcess(t, bc, opts)
				t.Logf("%s", benchRow(bc, st))
				checkBenchCase(t, bc, st)
				checkDialledOnce(t, api, bc.calls)
			})
		})
	}
}

// checkDialledOnce fails unless the account was asked to call n numbers, each once.
func checkDialledOnce(t *testing.T, api *bolnatest.API, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range api.Placements() {
		seen[p.Phone]++
		if seen[p.Phone] > 1 {
			t.Errorf("%s dialled %d times", p.Phone, seen[p.Phone])
		}
	}
	if len(seen) != n {
		t.Errorf("%d numbers dialled, want %d", len(seen), n)
	}
}

// TestSweepsByStatus: at concurrency 100 with calls of minutes, most calls an unfiltered sweep
// would page through ended long ago, so the runner reads the list by status. Every call must
// still be followed to the outcome the account gives it, and with a list that refuses the
// filter, the runner must page through everything instead.
func TestSweepsByStatus(t *testing.T) {
	t.Parallel()
	for _, refused := range []bool{false, true} {
		t.Run(map[bool]string{false: "filtered", true: "filter refused"}[refused], func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				bc := benchCase{name: "c100", concurrency: 100, calls: 300, timing: minutesTiming, poll: 3 * time.Second}
				opts := bc.options()
				opts.Style.NoStatusFilter = refused
				api, st := runInProcess(t, bc, opts)
				t.Logf("%s; %d list requests by status", benchRow(bc, st), st.ListsByStatus)
				checkBenchCase(t, bc, st)
				checkDialledOnce(t, api, bc.calls)
				if refused && st.ListsByStatus != 1 {
					t.Errorf("%d list requests by status after the first was refused, want that one", st.ListsByStatus)
				}
				if !refused && st.ListsByStatus == 0 {
					t.Error("no list request by status at concurrency 100")
				}
				if st.BoundUtilisation() < 0.97 {
					t.Errorf("utilisation %.3f, want >= 0.97", st.BoundUtilisation())
				}
			})
		})
	}
}

// TestListOutageAtScale: while every list read fails (30 s of 503s), a run following 100 calls
// must not make up for each failed sweep with a GET per call (a storm that would spend the
// share of other requests for minutes and hold the tracker while the client waits); the calls
// wait for the next look, and every call still ends with its outcome.
func TestListOutageAtScale(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		bc := benchCase{name: "c100/list-outage", concurrency: 100, calls: 300, timing: minutesTiming, poll: 3 * time.Second}
		opts := bc.options()
		start := time.Now()
		outage := func() bool { d := time.Since(start); return d >= 3*time.Minute && d < 3*time.Minute+30*time.Second }
		var gets atomic.Int64
		opts.Faults.Hook = func(r *http.Request) bolnatest.Fault {
			if !outage() {
				return bolnatest.NoFault
			}
			if strings.HasSuffix(r.URL.Path, "/executions") {
				return bolnatest.Unavailable
			}
			if strings.HasPrefix(r.URL.Path, "/executions/") {
				gets.Add(1)
			}
			return bolnatest.NoFault
		}
		api, st := runInProcess(t, bc, opts)
		t.Logf("%s; %d GETs during the outage", benchRow(bc, st), gets.Load())
		bc.floor = 0.9
		checkBenchCase(t, bc, st)
		checkDialledOnce(t, api, bc.calls)
		// Calls end at about one a second here: their final GETs, not a GET per call per look.
		if n := gets.Load(); n > 60 {
			t.Errorf("%d GETs during 30 s of list outage, want the calls to wait for the next look", n)
		}
	})
}

// TestLostRepliesAtScale: at concurrency 200, hundreds of calls are created a minute, and a
// search for a call whose POST reply was lost that read every call since it was dialled (give
// or take a quarter hour of clock skew) would cost pages by the dozen. Once the offset of
// Bolna's clock is known, a search reads only the calls created while the POST was in flight.
func TestLostRepliesAtScale(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		bc := benchCase{name: "c200/lost-replies", concurrency: 200, calls: 600, timing: minutesTiming, poll: 3 * time.Second, floor: 0.97}
		opts := bc.options()
		opts.Faults.PlaceLost = 0.03
		var narrow, lists atomic.Int64
		opts.Faults.Hook = func(r *http.Request) bolnatest.Fault {
			if strings.HasSuffix(r.URL.Path, "/executions") {
				lists.Add(1)
				from, _ := time.Parse(time.RFC3339Nano, r.URL.Query().Get("from"))
				to, _ := time.Parse(time.RFC3339Nano, r.URL.Query().Get("to"))
				if to.Sub(from) < time.Minute {
					narrow.Add(1)
				}
			}
			return bolnatest.NoFault
		}
		api, st := runInProcess(t, bc, opts)
		t.Logf("%s; %d replies lost, %d of %d list reads narrow", benchRow(bc, st), st.Faults, narrow.Load(), lists.Load())
		checkBenchCase(t, bc, st)
		checkDialledOnce(t, api, bc.calls)
		if n := narrow.Load(); n < int64(st.Faults)/2 || n > 3*int64(st.Faults) {
			t.Errorf("%d narrow list reads for %d lost replies: want about one a search", n, st.Faults)
		}
	})
}

// twoCampaignsShareAnAccount (TestSlotUtilisation/cases/two-campaigns-share-an-account): two
// campaigns run at once on one agent, each with a quarter of Bolna's limits and half the
// concurrency, as --api-share and --concurrency are meant for. Each meets the other's calls in
// its sweeps (the list cannot filter by campaign) and must ignore them; together they cause no
// 429, and every contact of each is dialled once. It measures utilisation, so it runs beside
// TestSlotUtilisation's cases, not beside the package's crowd (it was a test of its own, run
// alone after them: 7 s more of the package's wall).
func twoCampaignsShareAnAccount(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// The account's view: the two shares together; each campaign takes half of that.
		bc := benchCase{name: "two campaigns", concurrency: 120, timing: minutesTiming, poll: 3 * time.Second, share: 0.5, floor: 0.95}
		each := dialer.BolnaLimits.Share(0.25)
		api := bolnatest.NewAPI(bc.options())
		defer api.Close()
		all := benchPhones(400)
		var wg sync.WaitGroup
		for i, phones := range [][]string{all[:200], all[200:]} {
			wg.Go(func() {
				dir := t.TempDir()
				input := filepath.Join(dir, "contacts.csv")
				if err := os.WriteFile(input, []byte("phone\n"+strings.Join(phones, "\n")+"\n"), 0o600); err != nil {
					t.Error(err)
					return
				}
				cfg := campaign.Config{AgentID: bolnatest.DefaultAgentID, PollInterval: bc.poll, MaxWait: 30 * time.Minute,
					Limits: each, Concurrency: bc.concurrency / 2}
				sess, err := store.At(filepath.Join(dir, "results.csv")).Open(store.ContactFile(input), store.FormatOf(results.Format{}),
					journal.Owner{Agent: bolnatest.DefaultAgentID, API: fmt.Sprint("campaign-", i)}, cfg)
				if err != nil {
					t.Error(err)
					return
				}
				defer sess.Close()
				sum, err := sess.Run(t.Context(), campaign.NewRunner(api.InProcessClient(dialer.WithLimits(each)), cfg))
				if err != nil || sum.Dialled != len(phones) || sum.Unfinished() != 0 || sum.ByStatus[journal.StatusUnknown] != 0 {
					t.Errorf("campaign %d: %+v, %v", i, sum, err)
				}
			})
		}
		wg.Wait()
		st := api.Stats()
		t.Logf("%s", benchRow(bc, st))
		checkBenchCase(t, bc, st)
		checkDialledOnce(t, api, len(all))
	})
}

// TestRestartsKeepToTheShare: a run killed every few seconds and started again at once (a
// cron or crash loop) keeps, across its processes, to its share of the list limit in every
// minute: each process honours the requests the one before it sent (kept beside the journal).
func TestRestartsKeepToTheShare(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const perMinute = 10
		timing := bolnatest.FastTiming
		timing.Talk = bolnatest.Range{Min: 20 * time.Second, Max: 40 * time.Second}
		api := bolnatest.NewAPI(bolnatest.Options{Timing: timing, Concurrency: 4, Seed: 9,
			Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
		tc := listCampaign(t, "+9197", 30000000, 12)
		cfg := baseConfig()
		cfg.PollInterval, cfg.MaxWait = time.Second, 10*time.Minute
		cfg.Limits = dialer.Limits{Call: -1, List: perMinute, Other: -1}
		client := func() *dialer.Client { return api.InProcessClient(dialer.WithLimits(dialer.Limits{List: perMinute})) }
		for range 8 { // killed after 5 s, eight times
			ctx, kill := context.WithTimeout(t.Context(), 5*time.Second)
			tc.runWith(t, ctx, client(), "inprocess", cfg, nil)
			kill()
		}
		summary, _, err := tc.runWith(t, t.Context(), client(), "inprocess", cfg, nil)
		if err != nil || summary.Unfinished() != 0 {
			t.Fatalf("final run: %+v, %v", summary, err)
		}
		checkPlacedOnce(t, api, tc.phones)
		if peak := api.Stats().PeakPerMinute["list"]; peak > perMinute {
			t.Errorf("%d list reads in one minute across the restarts, above the share of %d", peak, perMinute)
		}
	})
}
