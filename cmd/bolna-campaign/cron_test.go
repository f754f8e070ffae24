package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// crontab is one crontab's variable lines and its (last) entry's command.
type crontab struct {
	vars    []string // NAME=VALUE lines, in order
	command string   // the entry's command, as cron hands it to the shell (\% unescaped)
}

// parseCrontab reads a crontab: its NAME=VALUE lines and the command of its last entry.
func parseCrontab(t *testing.T, text string) crontab {
	t.Helper()
	variable := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	var tab crontab
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case variable.MatchString(line):
			tab.vars = append(tab.vars, line)
		default:
			fields := strings.Fields(line)
			if len(fields) < 6 {
				t.Fatalf("crontab line %q: want five time fields and a command", line)
			}
			tab.command = strings.ReplaceAll(strings.Join(fields[5:], " "), `\%`, "%")
		}
	}
	if tab.command == "" {
		t.Fatalf("no crontab entry in %q", text)
	}
	return tab
}

// readmeCrontab is the README's crontab: its ```cron block.
func readmeCrontab(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "```cron\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatal("README.md has no ```cron block")
	}
	return block
}

// envFile is samples/bolna-campaign.env with its values for srv, each line prefixed with
// prefix ("" as Docker and systemd write it, "export " as a shell script would).
func envFile(t *testing.T, srv *bolnatest.Server, prefix string) string {
	t.Helper()
	b, err := os.ReadFile("../../samples/bolna-campaign.env")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID, "BOLNA_BASE_URL": srv.URL}
	var out strings.Builder
	for line := range strings.SplitSeq(string(b), "\n") {
		name, _, isVar := strings.Cut(line, "=")
		if strings.HasPrefix(line, "#") || !isVar {
			out.WriteString(line + "\n")
			continue
		}
		if strings.HasPrefix(name, "export ") || strings.ContainsAny(line, `"' `) {
			t.Errorf("samples/bolna-campaign.env: %q is not a plain KEY=VALUE line (Docker's --env-file would keep the quotes or refuse it)", line)
		}
		value, ok := values[name]
		if !ok {
			t.Errorf("samples/bolna-campaign.env sets %s, which this test does not know", name)
		}
		delete(values, name)
		fmt.Fprintf(&out, "%s%s=%s\n", prefix, name, value)
	}
	for name := range values {
		t.Errorf("samples/bolna-campaign.env does not set %s", name)
	}
	return out.String()
}

// TestCronSamples runs the crontab entries the project ships (samples/crontab, and the
// README's) as cron would: the command line under /bin/sh with nothing but cron's environment
// (env -i: HOME, LOGNAME, SHELL, PATH=/usr/bin:/bin, and the crontab's own variables), its
// paths moved into a folder, against a stand-in Bolna on loopback, with the sample environment
// file written as Docker and systemd want it (KEY=VALUE) and as a shell script would (export).
// Every run must log exit 0 or 3 (done, or work left for a later run), never 2 (the key did
// not reach the tool) or 127 (the tool is not on cron's PATH); each crontab sets CRON_TZ.
func TestCronSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	sample, err := os.ReadFile("../../samples/crontab")
	if err != nil {
		t.Fatal(err)
	}
	tabs := map[string]crontab{"samples/crontab": parseCrontab(t, string(sample)), "README.md": parseCrontab(t, readmeCrontab(t))}
	for name, tab := range tabs {
		if !hasZone(tab.vars) {
			t.Errorf("%s: no CRON_TZ=ZONE line (an IANA zone): the schedule would follow the server's clock", name)
		}
	}
	bin := testBinary(t)
	for name, tab := range tabs {
		for style, prefix := range map[string]string{"KEY=VALUE": "", "export KEY=VALUE": "export "} {
			t.Run(name+"/"+style, func(t *testing.T) {
				t.Parallel()
				code, log := runCronEntry(t, bin, tab, prefix)
				if code != exitOK && code != exitUnfinished {
					t.Errorf("the entry logged exit %d, want 0 or 3:\n%s", code, log)
				}
			})
		}
	}
}

// hasZone reports whether vars set CRON_TZ to a zone Go knows.
func hasZone(vars []string) bool {
	for _, v := range vars {
		if zone, ok := strings.CutPrefix(v, "CRON_TZ="); ok {
			_, err := time.LoadLocation(zone)
			return err == nil
		}
	}
	return false
}

// runCronEntry runs tab's command as cron would, in a folder of its own, against a stand-in
// Bolna, and returns the exit code its log line gives and the log.
func runCronEntry(t *testing.T, bin string, tab crontab, prefix string) (int, string) {
	t.Helper()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	files := map[string]string{"bolna-campaign.env": envFile(t, srv, prefix)}
	for to, from := range map[string]string{"reminders.csv": "contacts.csv", "do-not-call.txt": "do-not-call.txt"} {
		b, err := os.ReadFile(filepath.Join("../../samples", from))
		if err != nil {
			t.Fatal(err)
		}
		files[to] = string(b)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The paths into the folder; the calling window out (the test would depend on the hour)
	// and the looks at the calls made faster (the stand-in's calls last milliseconds).
	command := strings.NewReplacer("/etc/bolna-campaign.env", filepath.Join(dir, "bolna-campaign.env"), "/srv/campaigns", dir,
		"/usr/local/bin/bolna-campaign", bin, "/var/log/bolna-campaign", dir, "--window 09:00-21:00", "").Replace(tab.command)
	command = strings.Replace(command, "bolna-campaign run ", "bolna-campaign run --poll-interval 50ms --list-lag 300ms ", 1)
	args := append([]string{"-i", "HOME=" + dir, "LOGNAME=cron", "SHELL=/bin/sh", "PATH=/usr/bin:/bin"}, tab.vars...)
	cmd := exec.CommandContext(t.Context(), "env", append(args, "/bin/sh", "-c", command)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("/bin/sh -c %q: %v\n%s", command, err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "reminders.log"))
	if err != nil {
		t.Fatalf("the entry wrote no log: %v", err)
	}
	log := string(b)
	if len(srv.Placements()) == 0 {
		t.Errorf("the stand-in saw no call placed:\n%s", log)
	}
	lines := strings.Split(strings.TrimSpace(log), "\n")
	_, code, ok := strings.Cut(lines[len(lines)-1], " exit ")
	n, err := strconv.Atoi(code)
	if !ok || err != nil {
		t.Fatalf("the log does not end with the exit code:\n%s", log)
	}
	return n, log
}
