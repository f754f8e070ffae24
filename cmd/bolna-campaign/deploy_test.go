package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrontabLogsExitCode runs the sample crontab's command as cron would (its \% unescaped),
// under bash and dash, with the tool replaced by a stub that exits 3: the log must say exit 3,
// not the exit code of date.
func TestCrontabLogsExitCode(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../samples/crontab")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			line = l
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 6 {
		t.Fatalf("no crontab entry in %q", b)
	}
	command := strings.Join(fields[5:], " ")
	command = strings.ReplaceAll(command, `\%`, "%") // cron's own unescaping
	for _, shell := range []string{"bash", "dash"} {
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("no %s here", shell)
			continue
		}
		dir := t.TempDir()
		stub := filepath.Join(dir, "bolna-campaign")
		os.WriteFile(stub, []byte("#!/bin/sh\necho 'rows left for a later run'\nexit 3\n"), 0o700)
		os.WriteFile(filepath.Join(dir, "env"), []byte("BOLNA_AGENT_ID=a\n"), 0o600)
		cmd := strings.NewReplacer("/etc/bolna-campaign.env", filepath.Join(dir, "env"), "/srv/campaigns", dir,
			"/usr/local/bin/bolna-campaign", stub, "/var/log/bolna-campaign", dir).Replace(command)
		if out, err := exec.Command(shell, "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", shell, err, out)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "reminders.log"))
		lines := strings.Split(strings.TrimSpace(string(log)), "\n")
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, " exit 3") {
			t.Errorf("%s: the log ends %q, want the run's exit 3", shell, last)
		}
	}
}
