package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// TestRunArms: run with two --agent-id on the sandbox splits the rows between the agents
// (agent_id in the results, both arms used), and its summary carries the experiment's
// verdict in the text and the JSON; status reads the same experiment from the journal.
func TestRunArms(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BOLNA_SANDBOX_SEED": "7", "BOLNA_SANDBOX_TIME_SCALE": "0.0001", "BOLNA_SANDBOX_CONCURRENCY": "60"}
	input, _ := writeContacts(t, 200)
	args := []string{"run", "--sandbox", "--agent-id", bolnasim.DefaultAgentID, "--agent-id", bolnasim.SecondAgentID, "--arms",
		bolnasim.DefaultAgentID + "=1," + bolnasim.SecondAgentID + "=1", "--goal", "confirmed=yes", "--rate", "0", "--poll-interval", "10ms"}
	inv := newInvocation(env)
	if code := inv.run(append(args, input)...); code != exitOK {
		t.Fatalf("run: exit %d:\n%s", code, inv.stderr.String())
	}
	for _, want := range []string{"experiment as the run read it after every call, on the goal rate (confirmed=yes):", "  verdict: ", "  method: mixture sequential probability ratio test"} {
		if !strings.Contains(inv.stderr.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, inv.stderr.String())
		}
	}
	resultsPath := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	rows, err := results.ReadFile(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, r := range rows {
		by[r.Outcome.AgentID]++
	}
	if len(by) != 2 || by[bolnasim.DefaultAgentID] < 60 || by[bolnasim.SecondAgentID] < 60 {
		t.Errorf("agent_id of the rows: %v, want both agents, about half each", by)
	}
	st := newInvocation(env)
	st.run("status", "--json", "--goal", "confirmed=yes", resultsPath)
	var doc struct {
		Experiment *struct {
			Arms []struct{ Name string }
			Text string
		}
	}
	if err := json.Unmarshal([]byte(st.stdout.String()), &doc); err != nil || doc.Experiment == nil || len(doc.Experiment.Arms) != 2 || doc.Experiment.Text == "" {
		t.Errorf("status --json: %s (%v), want the experiment of two arms", st.stdout.String(), err)
	}
}

// TestArmsMistypedAgent: a second --agent-id that the account does not have is refused by
// check and by run before any call is placed.
func TestArmsMistypedAgent(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL}
	input, _ := writeContacts(t, 6)
	const typo = "3c90c3cc-0d44-4b50-8888-8dd25736052b"
	agents := []string{"--agent-id", bolnatest.DefaultAgentID, "--agent-id", typo}
	check := newInvocation(env)
	if code := check.run(append(append([]string{"check"}, agents...), input)...); code == exitOK || !strings.Contains(check.stdout.String(), "✗ agent "+typo+": not found") {
		t.Errorf("check: exit %d, stdout:\n%s\nwant the second agent refused", code, check.stdout.String())
	}
	run := newInvocation(env)
	if code := run.run(append(append([]string{"run", "--poll-interval", "20ms"}, agents...), input)...); code == exitOK || !strings.Contains(run.stderr.String(), "the agent "+typo+" was not found") {
		t.Errorf("run: exit %d, stderr:\n%s\nwant the second agent refused", code, run.stderr.String())
	}
	if n := len(srv.Placements()); n != 0 {
		t.Errorf("%d calls placed, want none", n)
	}
}

// TestArmsFlags: --arms and --stop-losers need two agents or more, and --arms names only
// them, with whole weights.
func TestArmsFlags(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 3)
	a, b := bolnasim.DefaultAgentID, bolnasim.SecondAgentID
	for _, args := range [][]string{
		{"--agent-id", a, "--stop-losers"},
		{"--agent-id", a, "--arms", a + "=2"},
		{"--agent-id", a, "--agent-id", b, "--arms", "other=2"},
		{"--agent-id", a, "--agent-id", b, "--arms", a + "=two"},
		{"--agent-id", a, "--agent-id", a},
	} {
		inv := newInvocation(nil)
		if code := inv.run(append(append([]string{"run", "--sandbox"}, args...), input)...); code != exitUsage {
			t.Errorf("run %v: exit %d, want 2:\n%s", args, code, inv.stderr.String())
		}
	}
}
