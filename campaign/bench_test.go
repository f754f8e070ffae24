package campaign_test

import (
	"bytes"
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

const (
	benchConcurrency = 8
	benchCalls       = 384
)

// benchCase is one way of running the campaign.
type benchCase struct {
	name  string
	poll  time.Duration
	style bolnatest.Style
	naive bool
	push  bool // Bolna pushes every status change to a webhook receiver (--webhook-listen)
	short bool // run under -race too (the race detector makes the table's long cases slow)
}

var benchCases = []benchCase{
	{name: "runner/poll-200ms", poll: 200 * time.Millisecond, short: true},
	{name: "runner/poll-500ms", poll: 500 * time.Millisecond},
	{name: "runner/poll-200ms/whole-list-items", poll: 200 * time.Millisecond, style: bolnatest.Style{FullListItems: true}},
	{name: "runner/webhook", poll: 200 * time.Millisecond, push: true, short: true},
	{name: "naive/poll-500ms", poll: 500 * time.Millisecond, naive: true, short: true},
}

// TestSlotUtilisation runs the same campaign (384 calls of a few seconds at concurrency 8)
// with the runner and with a naive baseline (one goroutine per slot, a GET per call per tick,
// the slot held until completed), each in a synctest bubble against the fake served in
// process: time is virtual, so the numbers are those of the policies, free of this machine's
// scheduling noise, and the whole table takes seconds. For each it logs the utilisation (the
// makespan the concurrency allows over the makespan: see bolnatest.Stats.Bound), the share of
// slot time used, and the API requests per call; it fails if the runner spends more than three
// requests a call, falls below the utilisation it reaches, or is not clearly ahead of the
// naive baseline. Under -race only the short form runs: the runner at 200ms and the baseline.
//
//	go test ./campaign -run SlotUtilisation -v
func TestSlotUtilisation(t *testing.T) {
	t.Parallel()
	measured := make([]bolnatest.Stats, len(benchCases))
	ran := make([]bool, len(benchCases))
	t.Run("cases", func(t *testing.T) {
		for i, bc := range benchCases {
			if raceDetector && !bc.short {
				continue
			}
			ran[i] = true
			t.Run(bc.name, func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					opts := bolnatest.Options{Concurrency: benchConcurrency, Timing: benchTiming, TimeScale: 1, Seed: 3, Style: bc.style}
					var runner atomic.Pointer[campaign.Runner]
					if bc.push {
						opts.Webhook = inProcessWebhook(t, &runner)
					}
					api := bolnatest.NewAPI(opts)
					defer api.Close()
					start := time.Now()
					runBenchCase(t, bc, api.InProcessClient(), func(r *campaign.Runner) { runner.Store(r) })
					measured[i] = api.Stats()
					t.Logf("%s", benchRow(bc.name, measured[i], time.Since(start)))
				})
			})
		}
	})
	var naive bolnatest.Stats
	for i, bc := range benchCases {
		if bc.naive {
			naive = measured[i]
		}
	}
	for i, bc := range benchCases {
		if !ran[i] {
			continue
		}
		st := measured[i]
		util, reqs := st.BoundUtilisation(), float64(st.Requests)/float64(st.Placed)
		if st.MaxOutstanding > benchConcurrency {
			t.Errorf("%s: %d calls outstanding at once, above the concurrency of %d", bc.name, st.MaxOutstanding, benchConcurrency)
		}
		if bc.naive {
			continue
		}
		// The floors sit a little below what the runner reaches (see the README), so that
		// only a real regression fails.
		floor, most := 0.93, 3.0
		if bc.style.FullListItems {
			floor = 0.95
		}
		if bc.push {
			floor, most = 0.99, 1.3
		}
		if util < floor || reqs > most {
			t.Errorf("%s: utilisation %.3f (want >= %.2f), %.2f requests per call (want <= %.1f)", bc.name, util, floor, reqs, most)
		}
		if util < naive.BoundUtilisation()+0.2 || reqs*3 > float64(naive.Requests)/float64(naive.Placed) {
			t.Errorf("%s is not clearly ahead of the naive baseline: %s vs %s", bc.name, benchRow(bc.name, st, 0), benchRow("naive", naive, 0))
		}
	}
}

// BenchmarkCampaign is TestSlotUtilisation's campaign in real time, compressed tenfold, over
// loopback HTTP: the same policies, with this machine's own latencies (fsync, HTTP, scheduling)
// added, ten times larger than they would be against calls of real length.
//
//	go test ./campaign -run '^$' -bench Campaign -benchtime 1x
func BenchmarkCampaign(b *testing.B) {
	const scale = 0.1
	for _, bc := range benchCases {
		bc.poll = time.Duration(float64(bc.poll) * scale)
		b.Run(bc.name, func(b *testing.B) {
			var util, slots, reqs float64
			for b.Loop() {
				opts := bolnatest.Options{Concurrency: benchConcurrency, Timing: benchTiming, TimeScale: scale, Seed: 3, Style: bc.style}
				var runner atomic.Pointer[campaign.Runner]
				if bc.push {
					opts.Webhook = inProcessWebhook(b, &runner)
				}
				srv := bolnatest.NewServer(opts)
				runBenchCase(b, bc, srv.Client(), func(r *campaign.Runner) { runner.Store(r) })
				st := srv.Stats()
				srv.Close()
				util += st.BoundUtilisation()
				slots += st.Utilisation(benchConcurrency)
				reqs += float64(st.Requests) / float64(st.Placed)
			}
			b.ReportMetric(util/float64(b.N), "utilisation")
			b.ReportMetric(slots/float64(b.N), "slot-share")
			b.ReportMetric(reqs/float64(b.N), "requests/call")
		})
	}
}

func benchRow(name string, st bolnatest.Stats, took time.Duration) string {
	return fmt.Sprintf("%-36s utilisation %.3f  slot share %.3f  requests/call %.2f  (POST %d, GET %d, list %d)  makespan %s",
		name, st.BoundUtilisation(), st.Utilisation(benchConcurrency), float64(st.Requests)/float64(st.Placed),
		st.ByRoute["POST /call"], st.ByRoute["GET /executions/{id}"], st.ByRoute["GET /v2/agent/{agent}/executions"], took.Round(time.Second))
}

func benchPhones() []string {
	phones := make([]string, benchCalls)
	for i := range phones {
		phones[i] = fmt.Sprintf("+9198%08d", 30000000+i*7919)
	}
	return phones
}

// runBenchCase runs the campaign one way and checks that every call was placed; hook is
// given the runner before it runs.
func runBenchCase(tb testing.TB, bc benchCase, c *dialer.Client, hook func(*campaign.Runner)) {
	phones := benchPhones()
	if bc.naive {
		runNaive(tb, c, phones, bc.poll)
	} else {
		runRunner(tb, c, phones, bc.poll, bc.push, hook)
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

func runRunner(tb testing.TB, c *dialer.Client, phones []string, poll time.Duration, pushes bool, hook func(*campaign.Runner)) {
	dir := tb.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(input, []byte("phone\n"+strings.Join(phones, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "results.csv")
	cfg := campaign.Config{AgentID: bolnatest.DefaultAgentID, PollInterval: poll, MaxWait: 10 * time.Minute, Pushes: pushes}
	sess, err := campaign.Open(campaign.Files{Input: input, Results: out, Format: results.Format{}},
		campaign.Owner{Agent: bolnatest.DefaultAgentID, API: "bench"}, cfg)
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
func runNaive(tb testing.TB, c *dialer.Client, phones []string, poll time.Duration) {
	ctx := context.Background()
	if _, err := c.Account(ctx); err != nil {
		tb.Fatal(err)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range benchConcurrency {
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
					if err == nil && ex.Status.Final() {
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
