package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
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
		{"no share of the limits", []string{"run", "--api-share", "0", good}, exitUsage, "--api-share"},
		{"more than the whole limits", []string{"run", "--api-share", "1.5", good}, exitUsage, "--api-share"},
		{"a share that is no number", []string{"run", "--api-share", "NaN", good}, exitUsage, "--api-share"},
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
	if !strings.Contains(inv.stderr.String(), "to chase (no-answer, busy, failed, unknown)") || !strings.Contains(inv.stderr.String(), "--retry unknown") {
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
	c := newConsole(Env{Stderr: &out, IsTerminal: true, Width: func() int { return 80 }}, "text")
	p := campaign.Progress{ToDial: 20000, Placed: 12345, Done: 12000, ByStatus: map[journal.Status]int{
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

// TestSandboxRealism: the sandbox can show what the README promises: a retry of a number does
// not end the way its last call did, execution ids never repeat across runs, and calls left in
// flight by a double Ctrl-C are followed by the next run, as they would be against Bolna.
func TestSandboxRealism(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "list.csv")
	var b strings.Builder
	b.WriteString("phone,name\n")
	for i := range 40 {
		fmt.Fprintf(&b, "+9198%08d,P%d\n", 40000000+i*7919, i)
	}
	os.WriteFile(input, []byte(b.String()), 0o600)
	results := filepath.Join(dir, "list.sandbox.results.csv")
	env := map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.005"}
	if code := newInvocation(env).run("run", "--sandbox", "--rate", "0", "--poll-interval", "20ms", input); code != exitOK {
		t.Fatalf("first run: exit %d", code)
	}
	first := readRows(t, results)
	ids := map[string]bool{}
	for _, r := range first {
		ids[r.Outcome.ExecutionID] = true
	}
	if code := newInvocation(env).run("run", "--sandbox", "--rate", "0", "--poll-interval", "20ms", "--retry", "no-answer,busy,failed", "--max-attempts", "2", input); code != exitOK {
		t.Fatalf("retry run: exit %d", code)
	}
	changed, retried := 0, 0
	for i, r := range readRows(t, results) {
		if r.Outcome.Attempts == 2 {
			retried++
			if ids[r.Outcome.ExecutionID] {
				t.Errorf("line %d: execution id %s came back in another run", r.Line, r.Outcome.ExecutionID)
			}
			if r.Outcome.Status != first[i].Outcome.Status {
				changed++
			}
		}
	}
	if retried == 0 || changed == 0 {
		t.Errorf("%d rows retried, %d ended otherwise than before: want retries that can end differently", retried, changed)
	}

	// A double Ctrl-C with calls in flight, then the next run follows them.
	input2 := filepath.Join(dir, "list2.csv")
	os.WriteFile(input2, []byte(b.String()), 0o600)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.05"})
	go func() {
		journal := store.At(filepath.Join(dir, "list2.sandbox.results.csv")).StatePath()
		for {
			data, _ := os.ReadFile(journal)
			if strings.Count(string(data), `"ev":"placed"`) >= 5 {
				break
			}
			time.Sleep(5 * time.Millisecond) // watching the journal, not assuming a timing
		}
		inv.signals <- os.Interrupt
		inv.signals <- os.Interrupt
	}()
	if code := inv.run("run", "--sandbox", "--rate", "0", "--poll-interval", "20ms", input2); code != exitInterrupted {
		t.Fatalf("interrupted run: exit %d", code)
	}
	after := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.005"})
	if code := after.run("run", "--sandbox", "--rate", "0", "--poll-interval", "20ms", input2); code != exitOK {
		t.Fatalf("the run after a double Ctrl-C: exit %d, want 0", code)
	}
	if strings.Contains(after.stderr.String(), "no free concurrency") {
		t.Errorf("the calls followed from the stopped run shrank the pool:\n%s", after.stderr.String())
	}
	for _, r := range readRows(t, filepath.Join(dir, "list2.sandbox.results.csv")) {
		if r.Outcome.Status == journal.StatusUnknown || strings.Contains(r.Outcome.Error, "404") {
			t.Errorf("line %d: %s %q: a call in flight was lost instead of followed", r.Line, r.Outcome.Status, r.Outcome.Error)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "list2.sandbox.results.csv.bolna.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sandbox's saved calls are left behind after every call ended (%v)", err)
	}
}

// TestLimit: --limit N dials at most N rows never dialled before, this run: a pilot. The rest
// stay pending (exit 3) and the next run takes the next N.
func TestLimit(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 10)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	dry := newInvocation(env)
	if code := dry.run("run", "--dry-run", "--limit", "3", input); code != exitOK || !strings.Contains(dry.stderr.String(), "over --limit         7") ||
		strings.Count(dry.stdout.String(), "\n") != 3 {
		t.Errorf("dry run with --limit 3: exit %d, %d bodies; stderr:\n%s", code, strings.Count(dry.stdout.String(), "\n"), dry.stderr.String())
	}
	for run, want := range []int{3, 6} {
		inv := newInvocation(env)
		if code := inv.run("run", "--poll-interval", "20ms", "--limit", "3", input); code != exitUnfinished {
			t.Fatalf("run %d: exit %d, want 3; stderr:\n%s", run+1, code, inv.stderr.String())
		}
		if n := len(srv.Placements()); n != want {
			t.Errorf("after run %d: %d placed, want %d", run+1, n, want)
		}
	}
	rows := readRows(t, strings.TrimSuffix(input, ".csv")+".results.csv")
	if r := rows[9]; r.Outcome.Status != journal.StatusPending || !strings.Contains(r.Outcome.Error, "--limit") {
		t.Errorf("the last row: %+v, want pending, saying why", r.Outcome)
	}
}

// TestHelp: help by group with --flags and examples, `help run` is run's help, and version
// says what it was built from.
func TestHelp(t *testing.T) {
	t.Parallel()
	inv := newInvocation(nil)
	if code := inv.run("help", "run"); code != exitOK {
		t.Fatalf("help run: exit %d", code)
	}
	for _, want := range []string{"Connection:", "Input:", "Pacing:", "Safety:", "Output:", "--agent-id ID", "--limit N", "Examples:"} {
		if !strings.Contains(inv.stdout.String(), want) {
			t.Errorf("help run lacks %q:\n%s", want, inv.stdout.String())
		}
	}
	if strings.Contains(inv.stdout.String(), "\n  -agent-id") {
		t.Error("help shows flags with a single dash")
	}
	v := newInvocation(nil)
	if code := v.run("version"); code != exitOK || !strings.Contains(v.stdout.String(), "go1.") {
		t.Errorf("version: exit %d, %q", code, v.stdout.String())
	}
}

// TestStatus: where a campaign stands, read-only, also while a run holds its lock.
func TestStatus(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 6)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	newInvocation(env).run("run", "--poll-interval", "20ms", "--limit", "4", input)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	lock, err := journal.AcquireLock(store.At(results).LockPath()) // a cron run going on
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	before, _ := os.ReadFile(store.At(results).StatePath())
	inv := newInvocation(nil)
	if code := inv.run("status", results); code != exitUnfinished { // work left: 2 rows pending, a run going on (#31.8: it was 0 whatever status found)
		t.Fatalf("status: exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	for _, want := range []string{"a run is going on now (pid", "4 contacts dialled", "6 rows", "pending 2"} {
		if !strings.Contains(inv.stdout.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, inv.stdout.String())
		}
	}
	if after, _ := os.ReadFile(store.At(results).StatePath()); !bytes.Equal(before, after) {
		t.Error("status changed the journal")
	}
	if code := newInvocation(nil).run("status", filepath.Join(t.TempDir(), "none.csv")); code != exitUsage {
		t.Errorf("status of nothing: exit %d, want 2", code)
	}
}

// TestCheck: check verifies the key, shows the wallet and the concurrency, reads the agent, and
// finds the prompt's {variables} the list does not supply and the list's bad rows, placing no
// call. A variable no column fills makes check not ready (exit 1) and run refuse (exit 2) before
// its first call, unless --allow-missing-variables, when run warns at WARN level (#31.4).
func TestCheck(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		SystemPrompt: "Remind {name} of the visit at {clinic} on {appointment_date}. Today is {current_date}."})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("phone,name,clinic,appointment_date\n+919810000001,Asha,North,2026-12-04\n"), 0o600)
	lacking := filepath.Join(dir, "lacking.csv")
	os.WriteFile(lacking, []byte("phone,name\n+919810000001,Asha\n98450 12345,Bad\n"), 0o600)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}

	inv := newInvocation(env)
	if code := inv.run("check", good); code != exitOK || !strings.Contains(inv.stdout.String(), "ready") || !strings.Contains(inv.stdout.String(), "wallet: $") {
		t.Errorf("check of a good list: exit %d:\n%s%s", code, inv.stdout.String(), inv.stderr.String())
	}
	inv = newInvocation(env)
	code := inv.run("check", lacking)
	for _, want := range []string{"no column for appointment_date, clinic", "line 3: no country code"} {
		if !strings.Contains(inv.stdout.String(), want) {
			t.Errorf("check of a lacking list lacks %q:\n%s", want, inv.stdout.String())
		}
	}
	// Variables no column fills: not ready, exit 1, so that check && run does not have Bolna
	// say "{clinic}" on every call (#31.4; this asserted exit 0 before, and exit 2 before that).
	if code != exitFatal || strings.Contains(inv.stdout.String(), "current_date") || !strings.Contains(inv.stdout.String(), "not ready: the agent's prompt has 2 {variables} no column fills") {
		t.Errorf("check of a lacking list: exit %d (want 1, not ready), and Bolna's own variables are not the list's to supply:\n%s", code, inv.stdout.String())
	}
	// Allowed: a row to dial and warnings: ready, exit 0 (#23.5).
	inv = newInvocation(env)
	if code := inv.run("check", "--allow-missing-variables", lacking); code != exitOK || !strings.Contains(inv.stdout.String(), "ready, with 2 warnings") {
		t.Errorf("check --allow-missing-variables of a lacking list: exit %d (want 0, ready with warnings):\n%s", code, inv.stdout.String())
	}
	nothing := filepath.Join(dir, "nothing.csv")
	os.WriteFile(nothing, []byte("phone,Name,clinic,appointment_date\n98450 12345,Bad,North,2026-12-04\n"), 0o600)
	inv = newInvocation(env)
	code = inv.run("check", nothing)
	if code != exitUsage || !strings.Contains(inv.stdout.String(), `the list has "Name", but Bolna's variables are case-sensitive`) {
		t.Errorf("check of a list with no row to dial and a Name column for {name}: exit %d (want 2), and the case named:\n%s", code, inv.stdout.String())
	}
	bad := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-wrong-key-123", "BOLNA_BASE_URL": srv.URL})
	if code := bad.run("check"); code != exitFatal || !strings.Contains(bad.stdout.String(), "refused") {
		t.Errorf("check with a wrong key: exit %d, %q", code, bad.stdout.String())
	}
	if n := len(srv.Placements()); n != 0 {
		t.Errorf("check placed %d calls", n)
	}
	runInv := newInvocation(env)
	if code := runInv.run("run", "--poll-interval", "20ms", lacking); code != exitUsage || !strings.Contains(runInv.stderr.String(), "{appointment_date}, {clinic}, which no column") ||
		len(srv.Placements()) != 0 {
		t.Errorf("run of a list lacking variables: exit %d, %d placed; want 2, none placed, and the variables named:\n%s", code, len(srv.Placements()), runInv.stderr.String())
	}
	runInv = newInvocation(env)
	runInv.run("run", "--allow-missing-variables", "--log-format", "json", "--poll-interval", "20ms", lacking)
	if !strings.Contains(runInv.stderr.String(), `"level":"WARN","msg":"warning: the agent's prompt uses {appointment_date}, {clinic}, which no column`) || len(srv.Placements()) != 1 {
		t.Errorf("run --allow-missing-variables: %d placed (want 1), and the missing variables at WARN level:\n%s", len(srv.Placements()), runInv.stderr.String())
	}
}

// TestFirstDayWording: a directory or a missing file is named plainly, before anything else is
// said; the sandbox's dry-run estimate is in the sandbox's time; --delimiter reads a list.
func TestFirstDayWording(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct{ arg, want string }{
		{dir, "is a directory, not a contact list"},
		{filepath.Join(dir, "nope.csv"), "no such file"},
	} {
		inv := newInvocation(nil)
		code := inv.run("run", "--sandbox", tt.arg)
		if code != exitUsage || !strings.Contains(inv.stderr.String(), tt.want) || strings.Contains(inv.stderr.String(), "sandbox:") ||
			strings.Count(inv.stderr.String(), tt.arg) > 1 {
			t.Errorf("run %s: exit %d, %q; want 2 saying %q, once, and nothing before it", tt.arg, code, inv.stderr.String(), tt.want)
		}
	}
	input := filepath.Join(dir, "c.csv")
	copyFile(t, "../../samples/contacts.csv", input)
	inv := newInvocation(nil)
	if code := inv.run("run", "--sandbox", "--dry-run", input); code != exitOK || !strings.Contains(inv.stderr.String(), "estimate: about") ||
		strings.Contains(inv.stderr.String(), "m0s") || strings.Contains(inv.stderr.String(), "h") && strings.Contains(inv.stderr.String(), "about 1h") {
		t.Errorf("sandbox dry run: exit %d; the estimate should be seconds:\n%s", code, inv.stderr.String())
	}
	semi := filepath.Join(dir, "semi.txt")
	os.WriteFile(semi, []byte("phone|name\n+919810000001|Asha\n"), 0o600)
	inv = newInvocation(nil)
	if code := inv.run("run", "--dry-run", "--agent-id", "a", "--delimiter", "|", semi); code != exitOK || !strings.Contains(inv.stdout.String(), `"name":"Asha"`) {
		t.Errorf("--delimiter '|': exit %d, %s%s", code, inv.stdout.String(), inv.stderr.String())
	}
}
