package campaign_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
)

// TestRunOnPushes runs whole campaigns over loopback with Bolna's pushes coming to a receiver:
// every contact dialled once and every row right, whether the pushes all arrive, 30% are lost
// (the safety net finishes those calls), or they come twice and out of order; pushes about
// calls of nobody's are answered and ignored.
func TestRunOnPushes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hook bolnatest.Webhook
	}{
		{"every push", bolnatest.Webhook{}},
		{"30% lost", bolnatest.Webhook{Drop: 0.3}},
		{"duplicated and reordered", bolnatest.Webhook{Duplicate: 0.3, Reorder: 0.5, ReorderBy: 150 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runner atomic.Pointer[campaign.Runner]
			recv, err := webhook.New(webhook.Config{Token: "test-token-0123456789", Handle: func(ex *dialer.Execution) {
				if r := runner.Load(); r != nil {
					r.Observe(ex)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(recv.Close)
			hooks := httptest.NewServer(recv)
			t.Cleanup(hooks.Close)
			tt.hook.URL = hooks.URL + recv.Path()
			tc := newCampaign(t, bolnatest.Options{Concurrency: 4, Seed: 5, Webhook: &tt.hook}, 24)
			cfg := baseConfig()
			cfg.Pushes, cfg.SafetySweep = true, 300*time.Millisecond

			// Pushes about calls of nobody's, while the run goes on: another campaign's, a
			// dashboard test call, a pre-call tool webhook.
			foreign := make(chan error, 1)
			go func() {
				for len(tc.srv.Placements()) < 2 {
					time.Sleep(time.Millisecond) // waiting for the run to be under way
				}
				for _, body := range []string{`{"id":"not-ours","agent_id":"a","status":"completed"}`,
					`{"id":"tool","status":"in-progress","context_details":{"recipient_data":{"bolna_campaign_ref":"zz-1-1-x"}}}`} {
					resp, err := http.Post(hooks.URL+recv.Path(), "application/json", strings.NewReader(body))
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = fmt.Errorf("answered %d, want 200", resp.StatusCode)
						}
					}
					if err != nil {
						foreign <- err
						return
					}
				}
				foreign <- nil
			}()
			summary, rows, err := tc.run(t, cfg, func(r *campaign.Runner) { runner.Store(r) })
			if ferr := <-foreign; ferr != nil {
				t.Errorf("a push about another call: %v", ferr)
			}
			if err != nil || summary.Unfinished() != 0 {
				t.Fatalf("Run() = %+v, %v", summary, err)
			}
			checkDialled(t, tc.srv, tc.phones, 1)
			checkMatchesServer(t, tc.srv, rows)
			if p := summary.Pushes; p == nil || p.Matched == 0 || p.Ignored < 2 || p.Received != p.Matched+p.Ignored+p.Dropped+p.Late+p.Foreign {
				t.Errorf("pushes %+v: want some matched, the 2 foreign ones ignored, every one accounted for", summary.Pushes)
			}
			if st := tc.srv.Stats(); st.MaxOutstanding > 4 {
				t.Errorf("%d calls outstanding at once, above the concurrency of 4", st.MaxOutstanding)
			}
			t.Logf("%s: pushes %+v, receiver %+v, %d requests for %d calls", tt.name, *summary.Pushes, recv.Stats(),
				tc.srv.Stats().Requests, len(tc.phones))
		})
	}
}

// TestRunPushesNeverCome: a run told to expect pushes that never come still ends every call
// (the safety net, then polling as usual: see TestRunPushFallback).
func TestRunPushesNeverCome(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 3}, 6)
	cfg := baseConfig()
	cfg.Pushes, cfg.SafetySweep = true, 200*time.Millisecond
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}

// TestRunPushFallback: pushes expected, none comes: a minute after the first call ends the run
// says once that the agent's webhook_url is probably not pointing here, and polls as usual;
// every call still ends. In virtual time, with calls of real length.
func TestRunPushFallback(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := bolnatest.NewAPI(bolnatest.Options{Concurrency: 4, Seed: 9})
		tc := listCampaign(t, "+9196", 10000000, 8)
		cfg := baseConfig()
		cfg.Pushes, cfg.PollInterval, cfg.MaxWait = true, 3*time.Second, time.Hour
		logged, logger := bolnatest.NewLog()
		cfg.Logger = logger
		summary, _, err := tc.runWith(t, t.Context(), api.InProcessClient(), "inprocess", cfg, nil)
		if err != nil || summary.Unfinished() != 0 {
			t.Fatalf("Run() = %+v, %v", summary, err)
		}
		if n := logged.Count("no push from Bolna"); n != 1 {
			t.Errorf("said %d times that no push came, want once", n)
		}
	})
}

// TestForgedPushes: pushes for this run's calls that Bolna did not send. A final one naming
// another agent or another recipient (cost 99999, an evil recording) is not believed: the
// results match the server and the spend cap sees no such cost. A call-disconnected forged for
// every live call frees no slot of a call never seen ringing or talking, and at most half the
// pool's at a time of the others until a look contradicts it: the account never sees more than
// the concurrency and two calls outstanding at a concurrency of five (ten before).
func TestForgedPushes(t *testing.T) {
	t.Parallel()
	timing := bolnatest.FastTiming
	timing.Talk = bolnatest.Range{Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}
	tc := newCampaign(t, bolnatest.Options{Concurrency: 5, Timing: timing, Seed: 3}, 20)
	cfg := baseConfig()
	cfg.Pushes, cfg.SafetySweep = true, 300*time.Millisecond
	cfg.MaxCost = 50000
	var runner atomic.Pointer[campaign.Runner]
	stop := make(chan struct{})
	forged := make(chan struct{})
	go func() {
		defer close(forged)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			r := runner.Load()
			if r == nil {
				continue
			}
			for _, c := range tc.srv.Calls() {
				if c.Status == "completed" || c.Status == "no-answer" || c.Status == "busy" || c.Status == "failed" {
					continue
				}
				var ex dialer.Execution
				ex.ID, ex.AgentID, ex.Status = dialer.ID(c.ID), cfg.AgentID, dialer.StatusCallDisconnected
				ex.TelephonyData.ToNumber = c.Phone
				r.Observe(&ex)
				for _, who := range []struct{ agent, to string }{{"another-agent", c.Phone}, {cfg.AgentID, "+15550000000"}} {
					var fake dialer.Execution
					fake.ID, fake.AgentID, fake.Status, fake.TotalCost = dialer.ID(c.ID), who.agent, dialer.StatusCompleted, 99999
					fake.TelephonyData.ToNumber, fake.TelephonyData.RecordingURL = who.to, "https://evil.example/r.mp3"
					fake.Transcript, fake.Summary = "forged", "forged"
					r.Observe(&fake)
				}
			}
		}
	}()
	summary, rows, err := tc.run(t, cfg, func(r *campaign.Runner) { runner.Store(r) })
	close(stop)
	<-forged
	if err != nil || summary.Unfinished() != 0 || summary.Halted != "" {
		t.Fatalf("Run() = %+v, %v; want every row final, no halt for a forged cost", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	for _, row := range rows {
		if row.Outcome.Cost >= 99999 || strings.Contains(row.Outcome.RecordingURL, "evil") {
			t.Errorf("%s: a forged outcome was recorded: %+v", row.Input["phone"], row.Outcome)
		}
	}
	// At most half the pool waits on a push's word (two of five), until a look within
	// confirmEvery contradicts it; before, every live call's slot could be freed (ten out).
	if st := tc.srv.Stats(); st.MaxOutstanding > 5+2 {
		t.Errorf("%d calls outstanding at once at a concurrency of 5: forged line drops freed slots", st.MaxOutstanding)
	}
	if p := summary.Pushes; p == nil || p.Foreign == 0 {
		t.Errorf("pushes %+v: want the forged outcomes counted as foreign", summary.Pushes)
	}
}

// TestPushesNeverSlowerThanPolling: a run told to expect pushes from an agent that never pushes
// finishes within 10% of the time a polling run takes on the same calls (virtual time, calls of
// real length), since looks thin out only as far as pushes prove they report what drops. Its
// summary says every outcome came by a look and every push went missing.
func TestPushesNeverSlowerThanPolling(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, pushes bool) (time.Duration, campaign.ObservationStats) {
		var took time.Duration
		var seen campaign.ObservationStats
		synctest.Test(t, func(t *testing.T) {
			// The same calls both ways: every stage of fixed length, each conversation's length
			// decided by its number (not by the order the calls happen to be drawn in).
			fixed := func(d time.Duration) bolnatest.Range { return bolnatest.Range{Min: d, Max: d} }
			timing := bolnatest.Timing{Dequeue: fixed(time.Second), Dial: fixed(2 * time.Second), Ring: fixed(8 * time.Second),
				PostProcess: fixed(20 * time.Second), NoAnswerRing: fixed(30 * time.Second), BusyAfter: fixed(5 * time.Second), FailAfter: fixed(5 * time.Second)}
			api := bolnatest.NewAPI(bolnatest.Options{Concurrency: 4, Seed: 17, Timing: timing, Outcome: func(phone string) bolnatest.Outcome {
				n := 0
				for _, r := range phone {
					n = n*7 + int(r)
				}
				return bolnatest.Outcome{Status: "completed", Talk: 20*time.Second + time.Duration(n%40)*time.Second}
			}})
			tc := listCampaign(t, "+9196", 20000000, 24)
			cfg := baseConfig()
			cfg.Pushes, cfg.PollInterval, cfg.MaxWait = pushes, time.Second, time.Hour
			summary, _, err := tc.runWith(t, t.Context(), api.InProcessClient(), "inprocess", cfg, nil)
			if err != nil || summary.Unfinished() != 0 {
				t.Fatalf("Run() = %+v, %v", summary, err)
			}
			took = summary.Elapsed
			if summary.Pushes != nil {
				seen = *summary.Pushes
			}
		})
		return took, seen
	}
	polling, _ := run(t, false)
	silent, seen := run(t, true)
	if float64(silent) > 1.1*float64(polling) {
		t.Errorf("expecting pushes that never came took %s, polling %s: more than 10%% longer", silent, polling)
	}
	if seen.OutcomesPushed != 0 || seen.OutcomesLooked != 24 || seen.MissingShare() != 1 {
		t.Errorf("summary %+v: want 24 outcomes by look, every push missing", seen)
	}
	t.Logf("polling %s, pushes expected and never sent %s", polling, silent)
}
