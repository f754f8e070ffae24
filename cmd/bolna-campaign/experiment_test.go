package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// TestSandboxExperiment: the sandbox's two agents have known goal rates (40% and 18% of
// finished rows: 60% conversations, of which two in three and 30% confirm); two lists run
// through them and merged are compared in the report, with or without --by agent_id: the
// default agent is ahead of the second by the sequential test, in the text and the JSON.
func TestSandboxExperiment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BOLNA_SANDBOX_SEED": "7", "BOLNA_SANDBOX_TIME_SCALE": "0.0001", "BOLNA_SANDBOX_CONCURRENCY": "60"}
	var files []string
	for _, agent := range []string{bolnasim.DefaultAgentID, bolnasim.SecondAgentID} {
		input, _ := writeContacts(t, 300)
		inv := newInvocation(env)
		if code := inv.run("run", "--sandbox", "--agent-id", agent, "--rate", "0", "--poll-interval", "10ms", input); code != exitOK {
			t.Fatalf("run through %s: exit %d:\n%s", agent, code, inv.stderr.String())
		}
		files = append(files, strings.TrimSuffix(input, ".csv")+".sandbox.results.csv")
	}
	for _, by := range [][]string{{"--by", "agent_id"}, nil} {
		text := newInvocation(nil)
		if code := text.run(append(append([]string{"report", "--goal", "confirmed=yes"}, by...), files...)...); code != exitOK {
			t.Fatalf("report: exit %d:\n%s", code, text.stderr.String())
		}
		want := "verdict: " + bolnasim.DefaultAgentID + " ahead of " + bolnasim.SecondAgentID
		if !strings.Contains(text.stdout.String(), want) || !strings.Contains(text.stdout.String(), "experiment: 2 agents compared on the goal rate") {
			t.Errorf("report %v lacks %q:\n%s", by, want, text.stdout.String())
		}
		js := newInvocation(nil)
		js.run(append(append([]string{"report", "--json", "--goal", "confirmed=yes"}, by...), files...)...)
		var doc struct {
			Experiment struct {
				State  string
				Losers []string
				Arms   []struct {
					Name string
					Rate float64
				}
			}
		}
		if err := json.Unmarshal([]byte(js.stdout.String()), &doc); err != nil || doc.Experiment.State != "ahead" || len(doc.Experiment.Arms) != 2 ||
			len(doc.Experiment.Losers) != 1 || doc.Experiment.Losers[0] != bolnasim.SecondAgentID {
			t.Errorf("report --json %v: %+v (%v), want the second agent behind", by, doc.Experiment, err)
		}
		for _, a := range doc.Experiment.Arms {
			want := map[string]float64{bolnasim.DefaultAgentID: 0.4, bolnasim.SecondAgentID: 0.18}[a.Name]
			if a.Rate < want-0.1 || a.Rate > want+0.1 {
				t.Errorf("arm %s: goal rate %.3f, want about %.2f", a.Name, a.Rate, want)
			}
		}
	}
}

// TestReportPlan: report --plan prints the rows each arm needs, from --base-rate or from the
// results' own goal rate (the sample's: 8 of 20 finished rows confirmed, 40%): 30% against
// 50% needs 93 rows an arm read once (worked out by hand in results/experiment's
// TestPlanByHand), 178 read at will; bad input is a usage error.
func TestReportPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"base rate", []string{"--base-rate", "30%", "--detect", "20pp"}, exitOK, []string{"93 finished rows an arm, 186 in all", "178 finished rows an arm", "from a rate of 30.0% (--base-rate), 2 arms"}},
		{"the results' goal rate", []string{"--goal", "confirmed=yes", "--detect", "10", "--arms", "3", "../../samples/example-results.csv"}, exitOK,
			[]string{"from a rate of 40.0% (the goal rate, confirmed=yes: 8 of 20 finished rows), 3 arms", "517 finished rows an arm", "5%/3 (Bonferroni)"}},
		{"json", []string{"--json", "--base-rate", "0.3", "--detect", "0.2"}, exitOK, []string{`"fixed_per_arm": 93`, `"sequential_per_arm": 178`}},
		{"no rate", []string{"--detect", "5pp"}, exitUsage, nil},
		{"a bad difference", []string{"--base-rate", "30%", "--detect", "five"}, exitUsage, nil},
		{"a bad rate", []string{"--base-rate", "130%"}, exitUsage, nil},
	}
	for _, tt := range tests {
		inv := newInvocation(nil)
		code := inv.run(append([]string{"report", "--plan"}, tt.args...)...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d:\n%s%s", tt.name, code, tt.code, inv.stdout.String(), inv.stderr.String())
		}
		for _, want := range tt.out {
			if !strings.Contains(inv.stdout.String(), want) {
				t.Errorf("%s: the plan lacks %q:\n%s", tt.name, want, inv.stdout.String())
			}
		}
	}
}

// TestSimAgentMix: sim serves --agent-id and the second agent, each agent of --agent-mix with
// its share; a mix that is not ID=SHARE is refused.
func TestSimAgentMix(t *testing.T) {
	t.Parallel()
	agents, mixes, err := simAgents("a-1", []string{"a-1=75%", "b-2=0.1"})
	if err != nil || len(agents) != 3 || agents[2] != "b-2" || mixes["a-1"].Confirm != 0.75 || mixes["b-2"].Confirm != 0.1 || mixes[bolnasim.SecondAgentID].Confirm != 0.3 {
		t.Errorf("simAgents() = %v, %v, %v", agents, mixes, err)
	}
	for _, bad := range []string{"a-1", "=30%", "a-1=130%", "a-1=most"} {
		if _, _, err := simAgents("a-1", []string{bad}); err == nil {
			t.Errorf("--agent-mix %q: no error", bad)
		}
	}
}
