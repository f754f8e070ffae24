package campaign_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// capTiming is the fake's timing with calls long enough for placements to overlap.
func capTiming() bolnatest.Timing {
	timing := bolnatest.FastTiming
	timing.Talk = bolnatest.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	return timing
}

func checkPerNumber(t *testing.T, srv *bolnatest.Server, most int) {
	t.Helper()
	for n, live := range srv.Stats().MaxOutstandingByFrom {
		if live > most {
			t.Errorf("%d calls live at once on %s, above --per-number-concurrency %d", live, n, most)
		}
	}
}

// TestPerNumberCapAcrossShards (#28.6): shards 0/2 and 1/2 of one campaign, run at once with a
// pool of 2 caller ids and --per-number-concurrency 1, never have 2 calls live on one number
// (each put 2 live calls on each number): each shard takes its part of each number's limit,
// here one number each.
func TestPerNumberCapAcrossShards(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: capTiming(), Seed: 4,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
	t.Cleanup(srv.Close)
	base := listCampaign(t, "+9198", 30000000, 16)
	var wg sync.WaitGroup
	for k := range 2 {
		tc := &testCampaign{srv: srv, input: base.input, results: filepath.Join(t.TempDir(), "r.csv")}
		cfg := baseConfig()
		cfg.Shard, cfg.Concurrency = campaign.Shard{K: k, N: 2}, 4
		cfg.FromNumbers, cfg.PerNumber = []string{"+919800000001", "+919800000002"}, 1
		wg.Go(func() {
			summary, _, err := tc.run(t, cfg, nil)
			if err != nil || summary.Unfinished() != 0 {
				t.Errorf("shard %d: %+v, %v", k, summary, err)
			}
		})
	}
	wg.Wait()
	checkDialled(t, srv, base.phones, 1)
	checkPerNumber(t, srv, 1)
}

// TestOwnCallerIDCapped (#28.6): rows whose caller id column names a number of the pool wait
// for it as the pool's calls do: one count a number, whatever chose it (3 calls were live on
// it at once).
func TestOwnCallerIDCapped(t *testing.T) {
	t.Parallel()
	const own, other = "+919800000001", "+919800000002"
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: capTiming(), Seed: 5,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tc := &testCampaign{srv: srv, input: filepath.Join(dir, "contacts.csv"), results: filepath.Join(dir, "contacts.results.csv")}
	var b strings.Builder
	b.WriteString("phone,from\n")
	for i := range 12 {
		p := fmt.Sprintf("+9198%08d", 50000000+i*7919)
		tc.phones = append(tc.phones, p)
		from := ""
		if i%2 == 0 {
			from = own
		}
		fmt.Fprintf(&b, "%s,%s\n", p, from)
	}
	if err := os.WriteFile(tc.input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig()
	cfg.Concurrency, cfg.FromNumbers, cfg.PerNumber = 6, []string{own, other}, 1
	cfg.Load.FromColumn = "from"
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, srv, tc.phones, 1)
	checkPerNumber(t, srv, 1)
	for i, row := range rows {
		if i%2 == 0 && row.Outcome.From != own {
			t.Errorf("row %d went out on %q, want its own %s", i, row.Outcome.From, own)
		}
	}
}

// TestReportedCallerID (#28.6): when Bolna says a call went out on another number than the
// one asked, the results record Bolna's number, and the run warns once for that call, the
// numbers masked as every event masks them; the other calls keep theirs.
func TestReportedCallerID(t *testing.T) {
	t.Parallel()
	const asked, reported = "+919800000001", "+14155550199"
	tc := listCampaign(t, "+9198", 60000000, 4)
	odd := tc.phones[1]
	_, client, url := hostileServer(t, bolnatest.Options{Concurrency: 4,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }},
		func(api *bolnatest.API) http.Handler {
			return rewriter(api, func(ex map[string]any) {
				if td, _ := ex["telephony_data"].(map[string]any); td != nil && td["to_number"] == odd {
					td["from_number"] = strings.TrimPrefix(reported, "+") // as some payloads spell it
				}
			})
		})
	log, logger := bolnatest.NewLog()
	cfg := baseConfig()
	cfg.FromNumbers, cfg.PerNumber, cfg.Logger = []string{asked}, 2, logger
	summary, rows, err := tc.runWith(t, t.Context(), client, url, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	for i, row := range rows {
		want := asked
		if i == 1 {
			want = reported
		}
		if row.Outcome.From != want {
			t.Errorf("row %d: from_number %q, want %q", i, row.Outcome.From, want)
		}
	}
	if n := log.Count("went out on " + campaign.MaskPhone(reported) + ", Bolna says, not on " + campaign.MaskPhone(asked)); n != 1 {
		t.Errorf("%d warnings of the other caller id, want 1:\n%s", n, strings.Join(log.Messages(), "\n"))
	}
	if n := log.Count(reported) + log.Count(asked); n != 0 {
		t.Errorf("%d events hold a caller id whole:\n%s", n, strings.Join(log.Messages(), "\n"))
	}
}

// TestCallerIDFallback (#31.2): with a capped pool of an Indian, a British and a US number,
// Indian contacts wait for the Indian number by default (they were called from the others
// without a word); with --caller-id-fallback any they may take the others, each such call
// logged.
func TestCallerIDFallback(t *testing.T) {
	t.Parallel()
	const india, uk, us = "+919800000001", "+442071234567", "+14155550100"
	for _, anyCountry := range []bool{false, true} {
		t.Run(fmt.Sprintf("any=%v", anyCountry), func(t *testing.T) {
			t.Parallel()
			srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: capTiming(), Seed: 6,
				Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
			t.Cleanup(srv.Close)
			tc := listCampaign(t, "+9198", 70000000, 6)
			tc.srv = srv
			log, logger := bolnatest.NewLog()
			cfg := baseConfig()
			cfg.Concurrency, cfg.FromNumbers, cfg.PerNumber, cfg.Logger = 3, []string{uk, india, us}, 1, logger
			cfg.AnyCallerID = anyCountry
			summary, rows, err := tc.run(t, cfg, nil)
			if err != nil || summary.Unfinished() != 0 {
				t.Fatalf("Run() = %+v, %v", summary, err)
			}
			checkPerNumber(t, srv, 1)
			foreign := 0
			for _, row := range rows {
				if row.Outcome.From != india {
					foreign++
				}
			}
			logged := log.Count("goes out on")
			switch {
			case !anyCountry && (foreign > 0 || logged > 0):
				t.Errorf("%d Indian contacts called from abroad (%d logged), want none: they wait for the Indian number", foreign, logged)
			case anyCountry && (foreign == 0 || logged != foreign):
				t.Errorf("%d Indian contacts called from abroad, %d logged; want some (3 slots, 1 Indian number), each logged", foreign, logged)
			}
		})
	}
}
