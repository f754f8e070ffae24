package results_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// armsFile writes one results file of rows dialled through agent, goals of them confirmed,
// each call costing 10 cents.
func armsFile(t *testing.T, dir, name, agent string, dialled, goals int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := results.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteHeader([]string{"phone"})
	for i := range dialled {
		o := journal.Outcome{Status: "completed", ExecutionID: "e", Attempts: 1, AgentID: agent, Duration: 30, Cost: 10,
			Extracted: json.RawMessage(`{"confirmed":"no"}`)}
		if i < goals {
			o.Extracted = json.RawMessage(`{"confirmed":"yes"}`)
		}
		w.WriteRow([]string{fmt.Sprintf("+91981%07d", i)}, o)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportExperiment: two campaigns dialled through two agents are an experiment's arms,
// whether or not the report is broken down by agent_id: per arm the rows dialled, the people
// reached, the goal rate with its Wilson interval and the cost per goal, and the sequential
// verdict (120/200 against 80/200: p = 1/Λ = 0.0028, worked out by hand in package
// experiment's TestCompareByHand), in the text, the JSON and the page. 60/100 against 40/100
// is too early for it, though the fixed test read once calls it (TestReportCompareAgents).
func TestReportExperiment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := armsFile(t, dir, "a.results.csv", "agent-a", 200, 120), armsFile(t, dir, "b.results.csv", "agent-b", 200, 80)
	goal, _ := results.ParseGoal("confirmed=yes")
	for _, by := range []string{"agent_id", ""} {
		r, err := results.ReadReportWith(by, goal, a, b)
		if err != nil {
			t.Fatal(err)
		}
		e := r.Experiment
		if e == nil || e.Metric != "goal rate" || e.State != experiment.Ahead || len(e.Arms) != 2 || e.Arms[0].Name != "agent-a" ||
			e.Arms[0].Goals != 120 || e.Arms[0].Reached != 200 || e.Arms[0].CostPerGoal != 2000.0/120 || len(e.Losers) != 1 || e.Losers[0] != "agent-b" {
			t.Fatalf("by %q: experiment %+v, want agent-a ahead of agent-b on the goal rate", by, e)
		}
		var text bytes.Buffer
		r.WriteText(&text)
		for _, want := range []string{"experiment: 2 agents compared on the goal rate (goal confirmed=yes)",
			"verdict: agent-a ahead of agent-b (60.0% against 40.0%, p = 0.003, by 4.9 to 35.1 points)", "mSPRT", "$0.17 ($0.15–$0.19)", results.AboutSequential} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("by %q: the text lacks %q:\n%s", by, want, text.String())
			}
		}
		js, err := json.Marshal(r)
		if err != nil || !strings.Contains(string(js), `"state":"ahead"`) || !strings.Contains(string(js), `"losers":["agent-b"]`) {
			t.Errorf("by %q: JSON %v lacks the experiment:\n%s", by, err, js)
		}
		var page bytes.Buffer
		if err := r.WriteHTML(&page, time.Now()); err != nil || !strings.Contains(page.String(), "agent-a ahead of agent-b (60.0% against 40.0%, p = 0.003, by 4.9 to 35.1 points)") {
			t.Errorf("by %q: the page (%v) lacks the verdict", by, err)
		}
	}
	early, err := results.ReadReportWith("", goal, armsFile(t, dir, "c.results.csv", "agent-c", 100, 60), armsFile(t, dir, "d.results.csv", "agent-d", 100, 40))
	if err != nil {
		t.Fatal(err)
	}
	if e := early.Experiment; e == nil || e.State != experiment.TooEarly || !strings.Contains(e.Text, "up to 42.5 points") {
		t.Errorf("60/100 against 40/100: %+v, want too early to tell", early.Experiment)
	}
	one, err := results.ReadReportWith("agent_id", goal, a)
	if err != nil || one.Experiment != nil {
		t.Errorf("one agent: experiment %+v (%v), want none", one.Experiment, err)
	}
}

// TestReportExperimentEscapes: an agent id is the server's text: escaped on the page, on one
// line in the terminal.
func TestReportExperimentEscapes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	evil := "<script>alert(1)</script>\x1b[2J"
	r, err := results.ReadReport(armsFile(t, dir, "a.results.csv", evil, 20, 10), armsFile(t, dir, "b.results.csv", "plain", 20, 5))
	if err != nil {
		t.Fatal(err)
	}
	var page, text bytes.Buffer
	if err := r.WriteHTML(&page, time.Now()); err != nil || strings.Contains(page.String(), "<script>") || !strings.Contains(page.String(), "&lt;script&gt;") {
		t.Errorf("the page (%v) carries the agent id unescaped, or not at all", err)
	}
	r.WriteText(&text)
	if r.Experiment == nil || strings.Contains(text.String(), "\x1b") {
		t.Errorf("experiment %+v; the text carries a control character:\n%q", r.Experiment, text.String())
	}
}

// TestVerdictTinyP: a p-value under 0.001 reads "p < 0.001", not "p = < 0.001" (the fixed
// test's verdict said so). 80/100 against 20/100: z = 8.49.
func TestVerdictTinyP(t *testing.T) {
	t.Parallel()
	r := groupsReport(t, []group{{"A", 100, 80}, {"B", 100, 20}})
	if len(r.Verdicts) != 1 || !strings.Contains(r.Verdicts[0].Text(), "(p < 0.001)") {
		t.Errorf("verdicts %+v: want (p < 0.001) in %q", r.Verdicts, r.Verdicts[0].Text())
	}
}
