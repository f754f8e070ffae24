package campaign_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// benchTiming is a call of a few seconds: ringing 1-3 s, talking 2-6 s, 2-8 s of
// post-processing.
var benchTiming = bolnatest.Timing{
	Dequeue:      bolnatest.Range{Min: 200 * time.Millisecond, Max: 600 * time.Millisecond},
	Dial:         bolnatest.Range{Min: 300 * time.Millisecond, Max: 900 * time.Millisecond},
	Ring:         bolnatest.Range{Min: time.Second, Max: 3 * time.Second},
	Talk:         bolnatest.Range{Min: 2 * time.Second, Max: 6 * time.Second},
	PostProcess:  bolnatest.Range{Min: 2 * time.Second, Max: 8 * time.Second},
	NoAnswerRing: bolnatest.Range{Min: 3 * time.Second, Max: 6 * time.Second},
	BusyAfter:    bolnatest.Range{Min: time.Second, Max: 3 * time.Second},
	FailAfter:    bolnatest.Range{Min: 500 * time.Millisecond, Max: 2 * time.Second},
}

// minutesTiming is Bolna's lifecycle (bolnatest.DefaultTiming) with conversations of one to
// three minutes; halfMinuteTiming with conversations of 30 to 90 seconds.
var (
	minutesTiming    = withTalk(bolnatest.DefaultTiming, time.Minute, 3*time.Minute)
	halfMinuteTiming = withTalk(bolnatest.DefaultTiming, 30*time.Second, 90*time.Second)
)

func withTalk(t bolnatest.Timing, from, to time.Duration) bolnatest.Timing {
	t.Talk = bolnatest.Range{Min: from, Max: to}
	return t
}

// benchCase is one way of running one campaign.
type benchCase struct {
	name        string
	concurrency int
	calls       int
	timing      bolnatest.Timing
	poll        time.Duration
	share       float64 // of Bolna's per-minute limits (--api-share); 0: the default
	style       bolnatest.Style
	naive       bool
	push        bool // Bolna pushes every status change to a webhook receiver (--webhook-listen)
	// pushFaults, with push: the share of pushes lost and doubled (all lost: an agent whose
	// pushes never arrive).
	drop, duplicate float64
	short           bool    // run under -race too (the race detector makes the table's long cases slow)
	floor           float64 // the least utilisation of the bound the runner must reach
}

// The campaigns of the table (#13): concurrency 8 and calls of a few seconds;
// concurrency 16 and calls of one to three minutes, each with the naive baseline beside it.
// The cases at concurrency 500 and 2,000 are BenchmarkScale's.
var benchCases = []benchCase{
	{name: "c8/runner/poll-200ms", concurrency: 8, calls: 384, timing: benchTiming, poll: 200 * time.Millisecond, short: true, floor: 0.97},
	{name: "c8/runner/poll-500ms", concurrency: 8, calls: 384, timing: benchTiming, poll: 500 * time.Millisecond, floor: 0.95},
	{name: "c8/runner/poll-200ms/whole-list-items", concurrency: 8, calls: 384, timing: benchTiming, poll: 200 * time.Millisecond, style: bolnatest.Style{FullListItems: true}, floor: 0.97},
	{name: "c8/runner/webhook", concurrency: 8, calls: 384, timing: benchTiming, poll: 200 * time.Millisecond, push: true, short: true, floor: 0.99},
	// Pushes are an accelerator, never a dependency (#24): lossy or silent, at least polling's
	// utilisation (c8/runner/poll-200ms, 0.979) within 1%.
	{name: "c8/runner/webhook-30%-lost-20%-doubled", concurrency: 8, calls: 384, timing: benchTiming, poll: 200 * time.Millisecond, push: true, drop: 0.3, duplicate: 0.2, floor: 0.97},
	{name: "c8/runner/webhook-all-lost", concurrency: 8, calls: 384, timing: benchTiming, poll: 200 * time.Millisecond, push: true, drop: 1, floor: 0.97},
	{name: "c8/naive/poll-200ms", concurrency: 8, calls: 384, timing: benchTiming, poll: 200 * time.Millisecond, naive: true, short: true},
	{name: "c16/runner/poll-3s", concurrency: 16, calls: 384, timing: minutesTiming, poll: 3 * time.Second, short: true, floor: 0.98},
	{name: "c16/runner/poll-1s", concurrency: 16, calls: 384, timing: minutesTiming, poll: time.Second, floor: 0.99},
	{name: "c16/naive/poll-3s", concurrency: 16, calls: 384, timing: minutesTiming, poll: 3 * time.Second, naive: true},
}

// limits is the case's share of Bolna's limits (none with a negative share).
func (bc benchCase) limits() dialer.Limits {
	if bc.share < 0 {
		return dialer.Limits{}
	}
	return dialer.BolnaLimits.Share(cmp.Or(bc.share, dialer.DefaultShare))
}

// options are the simulated account's: Bolna's limits (a 429 would be the runner's doing),
// and a bound that allows no more placements than the case's share.
func (bc benchCase) options() bolnatest.Options {
	return bolnatest.Options{Concurrency: bc.concurrency, Timing: bc.timing, TimeScale: 1, Seed: 3, Style: bc.style,
		Limits: bolnatest.BolnaLimits, BoundPerMinute: bc.limits().Call}
}

// TestSlotUtilisation runs the campaigns of benchCases with the runner and with a naive
// baseline (one goroutine per slot, a GET per call per tick, the slot held until completed),
// each in a synctest bubble against the fake served in process: time is virtual, so the
// numbers are those of the policies, free of this machine's scheduling noise, and the whole
// table takes seconds. For each it logs the utilisation of the bound (the makespan the
// concurrency and the share of Bolna's POST limit allow, over the makespan: see
// bolnatest.Stats.Bound), the requests per call and the peak requests in any minute per limit
// class. It fails if the runner falls below its floor, causes a 429, passes its share of any
// limit in any minute, or is not ahead of the naive baseline on utilisation and requests a
// minute. Under -race only the short form runs (without the naive baseline at concurrency 16, and
// the one at concurrency 8 on a quarter of the list).
//
//	go test ./campaign -run SlotUtilisation -v
func TestSlotUtilisation(t *testing.T) {
	// Parallel with the package's other tests: the bubbles' clocks are virtual, so a crowd
	// slows the table, never its numbers (the same to ±0.01 run alone and among the others).
	t.Parallel()
	measured := make([]bolnatest.Stats, len(benchCases))
	ran := make([]bool, len(benchCases))
	t.Run("cases", func(t *testing.T) {
		for i, bc := range benchCases {
			if raceDetector && !bc.short {
				continue
			}
			if raceDetector && bc.naive {
				// The baseline's rates (utilisation, requests a minute) hold on a quarter of
				// the list; under -race its 13,000 GETs were a quarter of the package's CPU.
				bc.calls /= 4
			}
			t.Run(bc.name, func(t *testing.T) {
				ran[i] = true // (not when -run leaves the case out)
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					_, measured[i] = runInProcess(t, bc, bc.options())
					t.Logf("%s", benchRow(bc, measured[i]))
				})
			})
		}
		t.Run("two-campaigns-share-an-account", twoCampaignsShareAnAccount)
	})
	naive := map[int]bolnatest.Stats{} // by concurrency
	var polling *bolnatest.Stats       // c8 polling every 200 ms: what pushes must never fall below
	for i, bc := range benchCases {
		if bc.naive && ran[i] {
			naive[bc.concurrency] = measured[i]
		}
		if bc.name == "c8/runner/poll-200ms" && ran[i] {
			polling = &measured[i]
		}
	}
	for i, bc := range benchCases {
		if !ran[i] || !bc.push || polling == nil {
			continue
		}
		st := measured[i]
		if st.BoundUtilisation() < polling.BoundUtilisation()-0.01 {
			t.Errorf("%s: utilisation %.3f, below polling's %.3f: pushes must never make a run slower (#24)", bc.name, st.BoundUtilisation(), polling.BoundUtilisation())
		}
		// Measured 1.24-1.26 (1.03 for a runner that believes every push: the rest are the
		// looks that confirm push-freed slots against forged pushes, #19.15).
		if perCall := float64(st.Requests) / float64(st.Placed); bc.drop == 0 && perCall > 1.3 {
			t.Errorf("%s: %.2f requests a call with every push delivered, want at most 1.3", bc.name, perCall)
		}
	}
	for i, bc := range benchCases {
		if !ran[i] {
			continue
		}
		st := measured[i]
		checkBenchCase(t, bc, st)
		if bc.naive {
			continue
		}
		nv, ok := naive[bc.concurrency]
		if !ok {
			continue
		}
		if st.BoundUtilisation() <= nv.BoundUtilisation() || perMinute(st) >= perMinute(nv) {
			t.Errorf("%s is not ahead of the naive baseline: %s vs %s", bc.name, benchRow(bc, st), benchRow(bc, nv))
		}
	}
}

// runInProcess runs the case in a synctest bubble against a fake with opts served in process
// (Bolna's pushes delivered to the runner with bc.push), through a client held to the case's
// share, and returns the fake and what it saw.
func runInProcess(t *testing.T, bc benchCase, opts bolnatest.Options) (*bolnatest.API, bolnatest.Stats) {
	var runner atomic.Pointer[campaign.Runner]
	if bc.push {
		opts.Webhook = inProcessWebhook(t, &runner)
		opts.Webhook.Drop, opts.Webhook.Duplicate = bc.drop, bc.duplicate
	}
	api := bolnatest.NewAPI(opts)
	t.Cleanup(api.Close)
	runBenchCase(t, bc, api.InProcessClient(dialer.WithLimits(bc.limits())), func(r *campaign.Runner) { runner.Store(r) })
	return api, api.Stats()
}

// checkBenchCase fails if a case passed the concurrency, caused a 429, passed its share of a
// limit in some minute, or (the runner) fell below its floor.
func checkBenchCase(tb testing.TB, bc benchCase, st bolnatest.Stats) {
	tb.Helper()
	if st.MaxOutstanding > bc.concurrency {
		tb.Errorf("%s: %d calls outstanding at once, above the concurrency of %d", bc.name, st.MaxOutstanding, bc.concurrency)
	}
	if st.TooMany > 0 {
		tb.Errorf("%s: %d requests refused with 429", bc.name, st.TooMany)
	}
	l := bc.limits()
	for class, limit := range map[string]int{"call": l.Call, "list": l.List, "other": l.Other} {
		if st.PeakPerMinute[class] > limit {
			tb.Errorf("%s: %d %s requests in one minute, above the share of %d", bc.name, st.PeakPerMinute[class], class, limit)
		}
	}
	if !bc.naive && st.BoundUtilisation() < bc.floor {
		tb.Errorf("%s: utilisation %.3f, want >= %.3f", bc.name, st.BoundUtilisation(), bc.floor)
	}
}

// perMinute is the requests a minute over the account's busy period.
func perMinute(st bolnatest.Stats) float64 {
	return float64(st.Requests) / st.Busy.Minutes()
}

// BenchmarkCampaign is TestSlotUtilisation's campaigns of a few seconds in real time,
// compressed tenfold, over loopback HTTP: the same policies, with this machine's own latencies
// (fsync, HTTP, scheduling) added, ten times larger than they would be against calls of real
// length.
//
//	go test ./campaign -run '^$' -bench Campaign -benchtime 1x
func BenchmarkCampaign(b *testing.B) {
	const scale = 0.1
	for _, bc := range benchCases {
		if bc.timing != benchTiming {
			continue
		}
		bc.poll = time.Duration(float64(bc.poll) * scale)
		b.Run(bc.name, func(b *testing.B) {
			var util, slots, reqs float64
			for b.Loop() {
				opts := bolnatest.Options{Concurrency: bc.concurrency, Timing: bc.timing, TimeScale: scale, Seed: 3, Style: bc.style}
				var runner atomic.Pointer[campaign.Runner]
				if bc.push {
					opts.Webhook = inProcessWebhook(b, &runner)
					opts.Webhook.Drop, opts.Webhook.Duplicate = bc.drop, bc.duplicate
				}
				srv := bolnatest.NewServer(opts)
				// Bolna's minutes are ten times shorter here: no budget.
				bc.share = -1
				runBenchCase(b, bc, srv.Client(), func(r *campaign.Runner) { runner.Store(r) })
				st := srv.Stats()
				srv.Close()
				util += st.BoundUtilisation()
				slots += st.Utilisation(bc.concurrency)
				reqs += float64(st.Requests) / float64(st.Placed)
			}
			b.ReportMetric(util/float64(b.N), "utilisation")
			b.ReportMetric(slots/float64(b.N), "slot-share")
			b.ReportMetric(reqs/float64(b.N), "requests/call")
		})
	}
}

func benchRow(bc benchCase, st bolnatest.Stats) string {
	return fmt.Sprintf("%-40s utilisation %.3f  requests/call %.2f  peak a minute: POST %d, list %d, other %d (share %d/%d/%d)  429s %d  requests/min %.0f  makespan %s",
		bc.name, st.BoundUtilisation(), float64(st.Requests)/float64(st.Placed),
		st.PeakPerMinute["call"], st.PeakPerMinute["list"], st.PeakPerMinute["other"],
		bc.limits().Call, bc.limits().List, bc.limits().Other, st.TooMany, perMinute(st), st.Busy.Round(time.Second))
}

func benchPhones(n int) []string {
	phones := make([]string, n)
	for i := range phones {
		phones[i] = fmt.Sprintf("+9198%08d", 30000000+i*7919)
	}
	return phones
}

// runBenchCase runs the campaign one way and checks that every call was placed; hook is
// given the runner before it runs.
func runBenchCase(tb testing.TB, bc benchCase, c *dialer.Client, hook func(*campaign.Runner)) {
	phones := benchPhones(bc.calls)
	if bc.naive {
		runNaive(tb, c, phones, bc.concurrency, bc.poll)
	} else {
		runRunner(tb, c, phones, bc, hook)
	}
}

// inProcessWebhook delivers the simulation's pushes to a webhook receiver in process (no
// sockets, so it runs in a synctest bubble), which hands them to the runner.
func inProcessWebhook(tb testing.TB, runner *atomic.Pointer[campaign.Runner]) *bolnatest.Webhook {
	recv, err := webhook.New(webhook.Config{Token: "bench-token-0123456789", Handle: func(ex *dialer.Execution) {
		if r := runner.Load(); r != nil {
			r.Observe(ex)
		}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(recv.Close)
	return &bolnatest.Webhook{Deliver: func(ctx context.Context, body []byte) error {
		rec := httptest.NewRecorder()
		recv.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodPost, recv.Path(), bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("push answered %d", rec.Code)
		}
		return nil
	}}
}

func runRunner(tb testing.TB, c *dialer.Client, phones []string, bc benchCase, hook func(*campaign.Runner)) {
	dir := tb.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(input, []byte("phone\n"+strings.Join(phones, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "results.csv")
	cfg := campaign.Config{AgentID: bolnatest.DefaultAgentID, PollInterval: bc.poll, MaxWait: 30 * time.Minute, Pushes: bc.push, Limits: bc.limits()}
	if bc.share < 0 {
		cfg.Limits = dialer.Limits{Call: -1, List: -1, Other: -1}
	}
	sess, err := store.At(out).Open(store.ContactFile(input), store.FormatOf(results.Format{}),
		journal.Owner{Agent: bolnatest.DefaultAgentID, API: "bench"}, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	r := campaign.NewRunner(c, cfg)
	if hook != nil {
		hook(r)
	}
	sum, err := sess.Run(context.Background(), r)
	if cerr := sess.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	if sum.Dialled != len(phones) {
		tb.Fatalf("%d calls placed, want %d", sum.Dialled, len(phones))
	}
}

// runNaive is the obvious runner: one goroutine per slot, each placing a call and reading it
// every tick until it is final, holding its slot all the while.
func runNaive(tb testing.TB, c *dialer.Client, phones []string, concurrency int, poll time.Duration) {
	ctx := context.Background()
	if _, err := c.Account(ctx); err != nil {
		tb.Fatal(err)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for phone := range work {
				placed, err := c.PlaceCall(ctx, dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phone})
				if err != nil {
					tb.Error(err)
					continue
				}
				for {
					time.Sleep(poll)
					ex, err := c.Execution(ctx, placed.ExecutionID)
					if err == nil && ex.Status.Terminal() {
						break
					}
				}
			}
		})
	}
	for _, p := range phones {
		work <- p
	}
	close(work)
	wg.Wait()
}
