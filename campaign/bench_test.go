package campaign_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// benchTiming is a call of a few seconds (ringing 1-3 s, talking 2-6 s, 2-8 s of
// post-processing), run at benchScale so that a campaign takes seconds.
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
	benchScale       = 0.1
	benchConcurrency = 8
	benchCalls       = 384
)

// benchPoll is the poll interval, in the same compressed time (0.5 s of real time).
var benchPoll = time.Duration(float64(500*time.Millisecond) * benchScale)

// BenchmarkCampaign runs the same campaign (384 calls of a few seconds at concurrency 8,
// compressed tenfold) with the runner and with a naive baseline (one goroutine per slot, a GET
// per call per tick, the slot held until completed), and reports for each the account's slot
// utilisation (slot time used / (concurrency × busy period); 1 is the bound the concurrency
// allows) and the API requests per call.
//
//	go test ./campaign -run '^$' -bench Campaign -benchtime 1x
func BenchmarkCampaign(b *testing.B) {
	for _, impl := range []struct {
		name  string
		run   func(b *testing.B, srv *bolnatest.Server, phones []string)
		style bolnatest.Style
	}{
		{"runner", benchRunner, bolnatest.Style{}},
		{"runner-poll-0.7s", func(b *testing.B, srv *bolnatest.Server, phones []string) {
			benchRunnerPoll(b, srv, phones, time.Duration(float64(700*time.Millisecond)*benchScale))
		}, bolnatest.Style{}},
		{"runner-whole-list-items", benchRunner, bolnatest.Style{FullListItems: true}},
		{"naive", benchNaive, bolnatest.Style{}},
	} {
		b.Run(impl.name, func(b *testing.B) {
			var util, steady, reqs float64
			for b.Loop() {
				srv := bolnatest.NewServer(bolnatest.Options{Concurrency: benchConcurrency, Timing: benchTiming, TimeScale: benchScale, Seed: 3, Style: impl.style})
				phones := make([]string, benchCalls)
				for i := range phones {
					phones[i] = fmt.Sprintf("+9198%08d", 30000000+i*7919)
				}
				impl.run(b, srv, phones)
				st := srv.Stats()
				srv.Close()
				if st.Placed != benchCalls {
					b.Fatalf("%d calls placed, want %d", st.Placed, benchCalls)
				}
				util += st.Utilisation(benchConcurrency)
				steady += st.SteadyUtilisation
				reqs += float64(st.Requests) / float64(st.Placed)
			}
			b.ReportMetric(util/float64(b.N), "utilisation")
			b.ReportMetric(steady/float64(b.N), "steady-utilisation")
			b.ReportMetric(reqs/float64(b.N), "requests/call")
		})
	}
}

func benchRunner(b *testing.B, srv *bolnatest.Server, phones []string) {
	benchRunnerPoll(b, srv, phones, benchPoll)
}

func benchRunnerPoll(b *testing.B, srv *bolnatest.Server, phones []string, poll time.Duration) {
	dir := b.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	os.WriteFile(input, []byte("phone\n"+strings.Join(phones, "\n")+"\n"), 0o600)
	out := filepath.Join(dir, "results.csv")
	st, err := campaign.OpenState(campaign.StatePath(out), campaign.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w, err := results.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	cfg := campaign.Config{AgentID: bolnatest.DefaultAgentID, PollInterval: poll, MaxWait: time.Minute}
	if _, err := campaign.NewRunner(srv.Client(), cfg).Run(context.Background(), input, st, w); err != nil {
		b.Fatal(err)
	}
}

// benchNaive is the obvious runner: one goroutine per slot, each placing a call and reading it
// every tick until it is final, holding its slot all the while.
func benchNaive(b *testing.B, srv *bolnatest.Server, phones []string) {
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.Account(ctx); err != nil {
		b.Fatal(err)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Go(func() {
			for phone := range work {
				placed, err := c.PlaceCall(ctx, dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phone})
				if err != nil {
					b.Error(err)
					continue
				}
				for {
					time.Sleep(benchPoll)
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
