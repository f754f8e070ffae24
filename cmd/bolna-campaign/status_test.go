package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestStatusExitCode: status exits with where the campaign stands, as a script needs it: 0
// when every row has a final outcome, 3 when work is left for a later run, 4 when the campaign
// is halted (the wallet ran out: every run would stop the same way until it is topped up). The
// code is the same with --json, whose object says it too.
func TestStatusExitCode(t *testing.T) {
	t.Parallel()
	standIn := func(t *testing.T, outcome func(string) bolnatest.Outcome) map[string]string {
		srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 1, Timing: bolnatest.FastTiming, Outcome: outcome})
		t.Cleanup(srv.Close)
		return map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	}
	answered := func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }
	broke := func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "balance-low"} }
	cases := []struct {
		name    string
		outcome func(string) bolnatest.Outcome
		flags   []string
		run     int // run's exit code
		want    int // status's
		says    string
	}{
		{"every row final", answered, nil, exitOK, exitOK, "done"},
		{"a pilot: rows left", answered, []string{"--limit", "2"}, exitUnfinished, exitUnfinished, "work left"},
		{"the wallet ran out", broke, nil, exitUnfinished, exitHalted, "halted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			input, _ := writeContacts(t, 4)
			resultsPath := strings.TrimSuffix(input, ".csv") + ".results.csv"
			run := newInvocation(standIn(t, c.outcome))
			args := append(append([]string{"run", "--poll-interval", "20ms"}, c.flags...), input)
			if code := run.run(args...); code != c.run {
				t.Fatalf("run exit %d, want %d:\n%s", code, c.run, run.stderr.String())
			}
			text := newInvocation(nil)
			if code := text.run("status", resultsPath); code != c.want || !strings.Contains(text.stdout.String(), c.says) {
				t.Errorf("status: exit %d, want %d saying %q:\n%s%s", code, c.want, c.says, text.stdout.String(), text.stderr.String())
			}
			js := newInvocation(nil)
			code := js.run("status", "--json", resultsPath)
			var doc struct {
				Exit    *int   `json:"exit"`
				Verdict string `json:"verdict"`
			}
			if err := json.Unmarshal([]byte(js.stdout.String()), &doc); err != nil || code != c.want || doc.Exit == nil || *doc.Exit != c.want ||
				!strings.Contains(doc.Verdict, c.says) {
				t.Errorf("status --json: exit %d, %s, want %d in the exit code and the object", code, js.stdout.String(), c.want)
			}
		})
	}
}
