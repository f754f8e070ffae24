package bolnasim_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// TestAgentMixes: each agent has its own outcome mix. Of 400 conversations each, the default
// agent's people confirm two in three (its rule by number), SecondAgentID's 30% (DefaultMixes)
// and an agent given a mix of its own 75%: each within four standard deviations of its share
// (the draws are by number, so the test is deterministic). The transcript, the summary and
// extracted_data agree on every call, and the same person answers the same agent alike.
func TestAgentMixes(t *testing.T) {
	t.Parallel()
	const n = 400
	third := "5d1c2b3a-0f9e-4d8c-8b7a-6e5f4d3c2b1a"
	clk := newClock()
	api := bolnasim.NewAPI(bolnasim.Options{
		AgentIDs: []string{bolnasim.DefaultAgentID, bolnasim.SecondAgentID, third}, Concurrency: 3 * n, Timing: fixed, Now: clk.Now,
		Outcome: func(string) bolnasim.Outcome { return bolnasim.Outcome{Status: dialer.StatusCompleted} },
		Mixes:   map[string]bolnasim.Mix{bolnasim.SecondAgentID: bolnasim.DefaultMixes[bolnasim.SecondAgentID], third: {Confirm: 0.75}},
	})
	t.Cleanup(api.Close)
	c := api.InProcessClient()
	agents := map[string]float64{bolnasim.DefaultAgentID: 2.0 / 3, bolnasim.SecondAgentID: 0.3, third: 0.75}
	ids := map[string][]string{}
	for agent := range agents {
		for i := range n {
			placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: agent, RecipientPhoneNumber: fmt.Sprintf("+9198%08d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids[agent] = append(ids[agent], placed.ExecutionID)
		}
	}
	clk.Advance(time.Hour)
	for agent, share := range agents {
		yes := 0
		for _, id := range ids[agent] {
			ex, err := c.Execution(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			var data struct{ Confirmed string }
			if err := json.Unmarshal(ex.ExtractedData, &data); err != nil || ex.Status != dialer.StatusCompleted {
				t.Fatalf("%s: %s, extracted_data %s: %v", id, ex.Status, ex.ExtractedData, err)
			}
			said := strings.Contains(ex.Transcript, "user: Yes, I will")
			if (data.Confirmed == "yes") != said || said != strings.Contains(ex.Summary, "confirmed") {
				t.Errorf("%s: extracted %q, transcript %q, summary %q disagree", id, data.Confirmed, ex.Transcript, ex.Summary)
			}
			if data.Confirmed == "yes" {
				yes++
			}
		}
		got, sd := float64(yes)/n, math.Sqrt(share*(1-share)/n)
		t.Logf("agent %s: %d of %d confirmed (%.1f%%, want %.1f%%)", agent, yes, n, 100*got, 100*share)
		if math.Abs(got-share) > 4*sd {
			t.Errorf("agent %s: %.1f%% confirmed, want %.1f%% ± %.1f", agent, 100*got, 100*share, 400*sd)
		}
	}
}

// TestSecondAgentNeedsNaming: an account knows SecondAgentID only when its AgentIDs name it;
// Bolna refuses an agent the account does not have.
func TestSecondAgentNeedsNaming(t *testing.T) {
	t.Parallel()
	api := bolnasim.NewAPI(bolnasim.Options{})
	t.Cleanup(api.Close)
	if _, err := api.InProcessClient().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.SecondAgentID, RecipientPhoneNumber: "+919800000001"}); err == nil {
		t.Error("a default account placed a call through SecondAgentID")
	}
}
