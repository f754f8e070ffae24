package campaign_test

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// secondAgent is the experiment's second arm in these tests.
const secondAgent = bolnasim.SecondAgentID

// armsOptions is an account that knows both agents, with the outcome given.
func armsOptions(outcome func(string) bolnatest.Outcome) bolnatest.Options {
	return bolnatest.Options{AgentIDs: []string{bolnatest.DefaultAgentID, secondAgent}, Concurrency: 20, Outcome: outcome}
}

func armsConfig(weights ...int) campaign.Config {
	cfg := baseConfig()
	cfg.Arms = []campaign.Arm{{AgentID: bolnatest.DefaultAgentID, Weight: weights[0]}, {AgentID: secondAgent, Weight: weights[1]}}
	return cfg
}

// agentsByPhone is the agent each number was placed through, failing on a number placed
// through two.
func agentsByPhone(t *testing.T, srv *bolnatest.Server) map[string]string {
	t.Helper()
	by := map[string]string{}
	for _, p := range srv.Placements() {
		if a, ok := by[p.Phone]; ok && a != p.AgentID {
			t.Errorf("%s placed through %s, then through %s: a row keeps its arm", p.Phone, a, p.AgentID)
		}
		by[p.Phone] = p.AgentID
	}
	return by
}

// TestArmsSplitAtRandom runs an experiment of two agents, by weights, and checks that every
// call went out through its row's arm (experiment.Assign over the list's name and the key),
// that the results' agent_id says it, and that the split is within binomial bounds.
func TestArmsSplitAtRandom(t *testing.T) {
	t.Parallel()
	for _, w := range [][2]int{{1, 1}, {2, 1}} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			const n = 300
			tc := newCampaign(t, armsOptions(nil), n)
			summary, rows, err := tc.run(t, armsConfig(w[0], w[1]), nil)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{bolnatest.DefaultAgentID, secondAgent}
			placed := agentsByPhone(t, tc.srv)
			first := 0
			for _, row := range rows {
				phone := row.Input["phone"]
				want := names[experiment.Assign("list:"+filepath.Base(tc.input), phone, w[:])]
				if placed[phone] != want || row.Outcome.AgentID != want {
					t.Errorf("%s: placed through %q, agent_id %q, want %q", phone, placed[phone], row.Outcome.AgentID, want)
				}
				if row.Outcome.AgentID == names[0] {
					first++
				}
			}
			p := float64(w[0]) / float64(w[0]+w[1])
			if sd := math.Sqrt(n * p * (1 - p)); math.Abs(float64(first)-n*p) > 4.5*sd {
				t.Errorf("%d of %d rows in the first arm, want %.0f ± %.0f (4.5 sd)", first, n, n*p, 4.5*sd)
			}
			if summary.Experiment == nil || len(summary.Experiment.Arms) != 2 || summary.Experiment.Arms[0].Dialled != first {
				t.Errorf("the summary's experiment %+v, want two arms, the first of %d rows", summary.Experiment, first)
			}
		})
	}
}

// TestArmsKeptOnRerunAndRetry runs a pilot of an experiment, then the rest with other
// weights and --retry: every row dialled in the pilot keeps its agent (the journal's), its
// retry included, and the rows new to the second run follow the new weights.
func TestArmsKeptOnRerunAndRetry(t *testing.T) {
	t.Parallel()
	const n = 120
	tc := newCampaign(t, armsOptions(nil), n)
	cfg := armsConfig(1, 1)
	cfg.Limit = 60
	if _, _, err := tc.run(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	pilot := agentsByPhone(t, tc.srv)
	cfg = armsConfig(1, 1000) // nearly every new row to the second agent
	cfg.Retry, cfg.MaxAttempts = []journal.Status{journal.StatusNoAnswer, journal.StatusBusy}, 2
	_, rows, err := tc.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, p := range tc.srv.Placements() {
		if want, ok := pilot[p.Phone]; ok && p.AgentID != want {
			t.Errorf("%s: placed through %s in the second run, through %s in the pilot", p.Phone, p.AgentID, want)
		}
	}
	for _, row := range rows {
		phone := row.Input["phone"]
		if want, ok := pilot[phone]; ok {
			if row.Outcome.AgentID != want {
				t.Errorf("%s: agent_id %s, the pilot dialled it through %s", phone, row.Outcome.AgentID, want)
			}
			if row.Outcome.Attempts == 2 {
				retried++
			}
		}
	}
	if retried == 0 {
		t.Error("no row of the pilot was retried: the test proves nothing")
	}
	if c := slices.Collect(func(yield func(string) bool) {
		for phone, agent := range agentsByPhone(t, tc.srv) {
			if _, old := pilot[phone]; !old && agent != secondAgent && !yield(phone) {
				return
			}
		}
	}); len(c) > 3 {
		t.Errorf("%d new rows went to the first agent at weights 1:1000", len(c))
	}
}

// TestArmsShardsAgree runs the two shards of a list: each row's agent is the one the whole
// list's draw gives it, whichever shard dialled it.
func TestArmsShardsAgree(t *testing.T) {
	t.Parallel()
	const n = 80
	tc := newCampaign(t, armsOptions(nil), n)
	for k := range 2 {
		cfg := armsConfig(1, 1)
		cfg.Shard = campaign.Shard{K: k, N: 2}
		shard := *tc
		shard.results = strings.Replace(tc.results, ".results", ".shard"+string(rune('0'+k))+".results", 1)
		if _, _, err := shard.run(t, cfg, nil); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{bolnatest.DefaultAgentID, secondAgent}
	placed := agentsByPhone(t, tc.srv)
	if len(placed) != n {
		t.Fatalf("%d numbers dialled by the two shards, want %d", len(placed), n)
	}
	for phone, agent := range placed {
		if want := names[experiment.Assign("list:"+filepath.Base(tc.input), phone, []int{1, 1})]; agent != want {
			t.Errorf("%s dialled through %s, the list's draw gives %s", phone, agent, want)
		}
	}
}

// TestStopLosers runs two agents whose people reach the goal 75% and 35% of the time: with
// --stop-losers the second stops taking rows well before the list ends, its remaining rows go
// to the first, and the verdict says the first is ahead.
func TestStopLosers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) { // in virtual time: 400 calls on loopback took 25 s
		const n = 400
		opts := armsOptions(func(phone string) bolnatest.Outcome { return bolnatest.Outcome{Status: dialer.StatusCompleted} })
		opts.Mixes = map[string]bolnasim.Mix{bolnatest.DefaultAgentID: {Confirm: 0.75}, secondAgent: {Confirm: 0.35}}
		opts.Concurrency = 4
		opts.Timing = bolnatest.FastTiming
		api := bolnatest.NewAPI(opts)
		t.Cleanup(api.Close)
		tc := listCampaign(t, "+9198", 10000000, n)
		cfg := armsConfig(1, 1)
		cfg.StopLosers = true
		cfg.Goal = func(o journal.Outcome) bool { return strings.Contains(string(o.Extracted), `"confirmed":"yes"`) }
		log, logger := bolnatest.NewLog()
		cfg.Logger = logger
		summary, _, err := tc.runWith(t, t.Context(), api.InProcessClient(), "inprocess", cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		v := summary.Experiment
		if v == nil || v.State != experiment.Ahead || !slices.Equal(v.Stopped, []string{secondAgent}) {
			t.Fatalf("verdict %+v, want the first agent ahead and the second stopped", v)
		}
		second := 0
		for _, p := range api.Placements() {
			if p.AgentID == secondAgent {
				second++
			}
		}
		if second > n/3 {
			t.Errorf("the losing agent placed %d of %d calls: it was not stopped well before the list ended", second, n)
		}
		// status reads the stop back from the journal (journal.State.StopArm).
		st, err := journal.ReadState(store.At(tc.results).StatePath())
		if err != nil {
			t.Fatal(err)
		}
		read, err := campaign.ReadExperiment(st, cfg.Goal)
		if err != nil || read == nil || !slices.Equal(read.Stopped, []string{secondAgent}) {
			t.Errorf("status read the arms stopped as %+v (%v), want the second agent", read, err)
		}
		if log.Count("--stop-losers") != 1 {
			t.Errorf("the stop was said %d times, want once", log.Count("--stop-losers"))
		}
		t.Logf("the losing agent placed %d of %d calls; %s", second, n, v.Text)
	})
}
