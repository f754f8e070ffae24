package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestLogFormatEveryCommand: --log-format json works on every command, wherever it is on the
// command line: every line on stderr is then one JSON object with a time, a level and a
// message, usage mistakes (a flag not defined, a missing file) included, at level ERROR, and
// the dry run's summary is one record with the plan. Without it, messages stay plain lines.
func TestLogFormatEveryCommand(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 3)
	resultsPath := strings.TrimSuffix(input, ".csv") + ".results.csv"
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	standIn := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	if code := newInvocation(standIn).run("run", "--poll-interval", "20ms", input); code != exitOK && code != exitUnfinished {
		t.Fatalf("the run: exit %d", code)
	}
	missing := filepath.Join(t.TempDir(), "none.results.csv")
	toFix := filepath.Join(t.TempDir(), "fix.csv")
	cases := []struct {
		name  string
		args  []string
		exit  int
		level string // the level of the first record
		has   string // a field of some record ("" for none)
	}{
		{"run: a flag not defined", []string{"run", "--log-format", "json", "--bogus", input}, exitUsage, "ERROR", ""},
		{"run: the dry run", []string{"run", "--dry-run", "--agent-id", "a", "--log-format=json", input}, exitOK, "INFO", "plan"},
		{"check: a flag not defined", []string{"check", "-log-format", "json", "--bogus"}, exitUsage, "ERROR", ""},
		{"check: no key", []string{"check", "--log-format", "json", input}, exitUsage, "ERROR", ""},
		{"status: no such file", []string{"status", "--log-format", "json", missing}, exitUsage, "ERROR", ""},
		{"status: two files", []string{"status", "--log-format", "json", resultsPath, resultsPath}, exitUsage, "ERROR", ""},
		{"stop: no file", []string{"stop", "--log-format", "json"}, exitUsage, "ERROR", ""},
		{"report: the export written", []string{"report", "--log-format", "json", "--csv", toFix, resultsPath}, exitOK, "INFO", ""},
		{"report: a file after the flag", []string{"report", resultsPath, "--log-format", "json", missing}, exitUsage, "ERROR", ""},
		{"sim: a bad address", []string{"sim", "--log-format", "json", "--addr", "203.0.113.1:80"}, exitUsage, "ERROR", ""},
		{"sim: served, then interrupted", []string{"sim", "--log-format", "json", "--addr", "127.0.0.1:0"}, exitOK, "INFO", ""},
		{"before the command", []string{"--log-format", "json", "status", missing}, exitUsage, "ERROR", ""},
		{"an unknown format", []string{"status", "--log-format", "yaml", resultsPath}, exitUsage, "", ""},
	}
	for _, c := range cases {
		inv := newInvocation(nil)
		if c.args[0] == "sim" {
			inv.signals <- os.Interrupt // sim serves until interrupted
		}
		code := inv.run(c.args...)
		out := inv.stderr.String()
		if code != c.exit || strings.TrimSpace(out) == "" {
			t.Errorf("%s: exit %d, want %d with messages:\n%s", c.name, code, c.exit, out)
			continue
		}
		if c.level == "" {
			if !strings.Contains(out, "--log-format") || strings.HasPrefix(out, "{") {
				t.Errorf("%s: %q, want a plain line naming --log-format", c.name, out)
			}
			continue
		}
		var first map[string]any
		found := c.has == ""
		for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["time"] == nil || rec["level"] == nil || rec["msg"] == nil {
				t.Errorf("%s: a line that is not a JSON log record: %q", c.name, line)
				continue
			}
			if i == 0 {
				first = rec
			}
			found = found || rec[c.has] != nil
		}
		if first != nil && first["level"] != c.level || !found {
			t.Errorf("%s: first record %v (want level %s), a record with %q: %v\n%s", c.name, first, c.level, c.has, found, out)
		}
	}
	plain := newInvocation(nil)
	if code := plain.run("status", missing); code != exitUsage || !strings.HasPrefix(plain.stderr.String(), "bolna-campaign: status: ") {
		t.Errorf("status without --log-format: exit %d, %q, want a plain line", code, plain.stderr.String())
	}
}
