package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestReportNeverOverwritesResults: `report --html results/*.results.csv` (the page's name
// forgotten) refuses instead of writing HTML over the first results file; a page this tool
// wrote may be written again; the hint at the end of a run is a complete command.
func TestReportNeverOverwritesResults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.results.csv"), filepath.Join(dir, "b.results.csv")
	copyFile(t, "../../samples/example-results.csv", a)
	copyFile(t, "../../samples/example-results.csv", b)
	before, _ := os.ReadFile(a)
	for _, args := range [][]string{
		{"report", "--html", a, b},
		{"report", "--html", filepath.Join(dir, "notes.txt"), a},
		{"report", "--html", a, a},
	} {
		inv := newInvocation(nil)
		if code := inv.run(args...); code != exitUsage {
			t.Errorf("%q: exit %d, want 2; stderr:\n%s", args, code, inv.stderr.String())
		}
	}
	if after, _ := os.ReadFile(a); !bytes.Equal(before, after) {
		t.Fatal("a results file was overwritten by report --html")
	}
	other := filepath.Join(dir, "mine.html")
	os.WriteFile(other, []byte("<html>my own page</html>"), 0o600)
	if code := newInvocation(nil).run("report", "--html", other, a); code != exitUsage {
		t.Errorf("--html over an HTML file of someone else's: exit %d, want 2", code)
	}
	page := filepath.Join(dir, "a.report.html")
	for range 2 { // the second time, over its own page
		inv := newInvocation(nil)
		if code := inv.run("report", "--html", page, a, b); code != exitOK {
			t.Fatalf("report --html %s: exit %d; stderr:\n%s", page, code, inv.stderr.String())
		}
	}
	inv := newInvocation(nil)
	inv.run("report", a)
	if want := "bolna-campaign report --html " + filepath.Join(dir, "a.report.html") + " " + a; !strings.Contains(inv.stdout.String(), want) {
		t.Errorf("the hint is not the complete command %q:\n%s", want, inv.stdout.String())
	}
}

// TestExitCodes: every exit path matches the README's table.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	allBad := write("bad.csv", "phone,name\n12345,A\n98450 12345,B\n")
	empty := write("empty.csv", "phone,name\n")
	good := write("good.csv", "phone,name\n+919810000001,A\n")
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		Script: map[string]bolnatest.Outcome{}})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	tests := []struct {
		name string
		args []string
		want int
		says string
	}{
		{"every number invalid", []string{"run", allBad}, exitUsage, "line 2: "},
		{"every number invalid, dry run", []string{"run", "--dry-run", allBad}, exitUsage, "no row can be dialled"},
		{"header only", []string{"run", empty}, exitUsage, "no rows"},
		{"an unknown flag", []string{"run", "--concurency", "3", good}, exitUsage, "not defined"},
		{"a bad flag value", []string{"run", "--concurrency", "three", good}, exitUsage, "invalid value"},
		{"an unknown flag of report", []string{"report", "--htm", "x", good}, exitUsage, "not defined"},
		{"help", []string{"run", "-h"}, exitOK, "Usage"},
		{"a finished list", []string{"run", "--poll-interval", "20ms", good}, exitOK, ""},
	}
	for _, tt := range tests {
		inv := newInvocation(env)
		if code := inv.run(tt.args...); code != tt.want || !strings.Contains(inv.stderr.String(), tt.says) {
			t.Errorf("%s: exit %d, want %d saying %q; stderr:\n%s", tt.name, code, tt.want, tt.says, inv.stderr.String())
		}
	}
	if n := len(srv.Placements()); n != 1 {
		t.Errorf("%d calls placed, want only the finished list's 1", n)
	}
}

// TestExitUnknown: a row left unknown (its POST's reply lost, no call found) is work left for
// a person: exit 3, and it is among the rows to chase.
func TestExitUnknown(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		Faults: bolnatest.Faults{Hook: faultOnce("POST", "/call", bolnatest.Unavailable)}})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 2)
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	if code := inv.run("run", "--poll-interval", "20ms", "--list-lag", "100ms", input); code != exitUnfinished {
		t.Fatalf("exit %d, want 3 with a row unknown; stderr:\n%s", code, inv.stderr.String())
	}
	if !strings.Contains(inv.stderr.String(), "2 rows to chase") || !strings.Contains(inv.stderr.String(), "--retry unknown") {
		t.Errorf("the unknown row is not among the rows to chase:\n%s", inv.stderr.String())
	}
}

// TestDryRunShowsProblems: the dry run names each bad row with its line and the whole fix, and
// stops at a results path a run could not write.
func TestDryRunShowsProblems(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 3, "98450 12345,Bad,gold")
	inv := newInvocation(nil)
	if code := inv.run("run", "--dry-run", "--agent-id", "a", input); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	if want := "line 5: "; !strings.Contains(inv.stderr.String(), want) || !strings.Contains(inv.stderr.String(), "--region") {
		t.Errorf("the dry run does not show the bad row's line and fix:\n%s", inv.stderr.String())
	}
	ro := filepath.Join(t.TempDir(), "no", "such", "dir", "r.csv")
	inv = newInvocation(nil)
	if code := inv.run("run", "--dry-run", "--agent-id", "a", "--results", ro, input); code == exitOK || !strings.Contains(inv.stderr.String(), "cannot be written") {
		t.Errorf("a results path that cannot be written: exit %d, %q; want a failure saying so", code, inv.stderr.String())
	}
}

// faultOnce injects fault into the first request that matches method and path.
func faultOnce(method, path string, fault bolnatest.Fault) func(*http.Request) bolnatest.Fault {
	var once sync.Once
	return func(r *http.Request) bolnatest.Fault {
		f := bolnatest.NoFault
		if r.Method == method && r.URL.Path == path {
			once.Do(func() { f = fault })
		}
		return f
	}
}

// TestConsoleFitsWidth: on an 80-column terminal the live line never wraps (a wrapped line
// leaves a copy in the scrollback at every refresh), and a log line clears it first.
func TestConsoleFitsWidth(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	c := newConsole(Env{Stderr: &out, IsTerminal: true, Width: func() int { return 80 }})
	p := campaign.Progress{ToDial: 20000, Placed: 12345, Done: 12000, ByStatus: map[campaign.Status]int{
		"completed": 7000, "no-answer": 2500, "busy": 1200, "failed": 600, "error": 300, "unknown": 400}}
	for range 3 {
		c.show(p, 83*time.Minute)
	}
	c.logf("a log line")
	frames := strings.Split(out.String(), "\r\033[K")
	for _, f := range frames {
		if line := strings.TrimSuffix(f, "\n"); utf8.RuneCountInString(line) > 79 || strings.Contains(line, "\n") {
			t.Errorf("a frame of %d columns (or two lines) on an 80-column terminal: %q", utf8.RuneCountInString(line), line)
		}
	}
	if !strings.HasSuffix(out.String(), "\r\033[Kbolna-campaign: a log line\n") {
		t.Errorf("the log line does not clear the live line first: %q", out.String())
	}
}
