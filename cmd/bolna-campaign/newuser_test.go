package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
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
		journal := journal.StatePath(filepath.Join(dir, "list2.sandbox.results.csv"))
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
	lock, err := journal.AcquireLock(journal.LockPath(results)) // a cron run going on
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	before, _ := os.ReadFile(journal.StatePath(results))
	inv := newInvocation(nil)
	if code := inv.run("status", results); code != exitUnfinished { // work left: 2 rows pending, a run going on (#31.8: it was 0 whatever status found)
		t.Fatalf("status: exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	for _, want := range []string{"a run is going on now (pid", "4 contacts dialled", "6 rows", "pending 2"} {
		if !strings.Contains(inv.stdout.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, inv.stdout.String())
		}
	}
	if after, _ := os.ReadFile(journal.StatePath(results)); !bytes.Equal(before, after) {
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

// TestHostileAgent: an agent read from a hostile server, with terminal escapes (C0 and C1) and
// the API key in its name and webhook_url and 200,000 {variables} in its prompt. check reads the
// agent once, prints no control character and no key, and its variable lines are capped. That it
// is quick is asserted as work, not time (dialer's TestVariablesWork: no allocation per
// variable): a 10 s wall-clock limit here failed under -race on a loaded machine.
func TestHostileAgent(t *testing.T) {
	t.Parallel()
	const key = "bn-hostile-secret-0123456789"
	api := bolnatest.NewAPI(bolnatest.Options{APIKey: key, Timing: bolnatest.FastTiming})
	var prompt strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&prompt, "{v%d} ", i)
	}
	agent, _ := json.Marshal(map[string]any{"id": bolnatest.DefaultAgentID,
		"agent_name":    "Evil\x1b[31mRED\x1b]0;pwned\x07\u009b2J" + key,
		"agent_config":  map[string]any{"webhook_url": "https://" + key + ".evil.example/hook"},
		"agent_prompts": map[string]any{"task_1": map[string]any{"system_prompt": prompt.String()}}})
	var agentReads atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/agent/"+bolnatest.DefaultAgentID {
			agentReads.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write(agent)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	list := filepath.Join(dir, "list.csv")
	os.WriteFile(list, []byte("phone,name\n+919810000001,Asha\n"), 0o600)
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": key, "BOLNA_BASE_URL": ts.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	inv.run("check", list)
	if n := agentReads.Load(); n != 1 {
		t.Errorf("check read the agent %d times, want once", n)
	}
	out := inv.stdout.String() + inv.stderr.String()
	if !strings.Contains(out, "v0, v1, v10, ") || !strings.Contains(out, "… and 199980 more") {
		t.Errorf("check did not list the variables, capped:\n%.2000s", out)
	}
	if strings.ContainsFunc(out, func(r rune) bool { return r < ' ' && r != '\n' || r >= 0x7f && r <= 0x9f }) {
		t.Errorf("check printed control characters: %q", out[:min(len(out), 400)])
	}
	if strings.Contains(out, key) || strings.Contains(out, "hostile-secret") {
		t.Errorf("check printed the key")
	}
	for line := range strings.SplitSeq(out, "\n") {
		if len(line) > 2000 {
			t.Errorf("a line of %d bytes: %.200q…", len(line), line)
		}
	}
}

// TestMistypedAgent: an --agent-id that the account does not have stops the run before any
// POST /call (exit 1) and binds nothing: the corrected command then runs the campaign.
func TestMistypedAgent(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 5)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL}
	inv := newInvocation(env)
	code := inv.run("run", "--agent-id", "11111111-2222-3333-4444-555555555555", "--poll-interval", "20ms", input)
	if code != exitFatal || !strings.Contains(inv.stderr.String(), "--agent-id") || len(srv.Placements()) != 0 {
		t.Fatalf("a mistyped agent: exit %d, %d placed; want 1 and none:\n%s", code, len(srv.Placements()), inv.stderr.String())
	}
	if st := srv.Stats(); st.ByRoute["POST /call"] != 0 {
		t.Errorf("%d POST /call with a mistyped agent, want none", st.ByRoute["POST /call"])
	}
	inv = newInvocation(env)
	if code := inv.run("run", "--agent-id", bolnatest.DefaultAgentID, "--poll-interval", "20ms", input); code != exitOK {
		t.Errorf("the corrected command: exit %d, want 0:\n%s", code, inv.stderr.String())
	}
}

// TestWebhookWithoutURL: with --webhook-listen and an agent that has no webhook_url, no push can
// come: the run says so and polls from the start, taking about as long as a polling run.
func TestWebhookWithoutURL(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 6)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL,
		"BOLNA_AGENT_ID": bolnatest.DefaultAgentID, "BOLNA_WEBHOOK_TOKEN": "0123456789abcdef-token"}
	inv := newInvocation(env)
	start := time.Now()
	code := inv.run("run", "--webhook-listen", "127.0.0.1:0", "--poll-interval", "20ms", input)
	if code != exitOK || !strings.Contains(inv.stderr.String(), "polling from the start") {
		t.Fatalf("exit %d, want 0 and the reason polling starts at once:\n%s", code, inv.stderr.String())
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s: the run waited for pushes that cannot come", took.Round(time.Millisecond))
	}
}

// TestUnreachableBaseURL: a --base-url nobody listens at fails run and check at once, with one
// clear line, and places nothing.
func TestUnreachableBaseURL(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close() // nobody listens there now
	input, _ := writeContacts(t, 3)
	for _, base := range []string{refused} { // (an unknown host: TestFirstRequestFailsFast in dialer)
		for _, cmd := range []string{"run", "check"} {
			inv := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-some-key-0123", "BOLNA_BASE_URL": base, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
			start := time.Now()
			code := inv.run(cmd, input)
			took := time.Since(start)
			out := inv.stdout.String() + inv.stderr.String()
			if code != exitFatal || took > 5*time.Second {
				t.Errorf("%s against %s: exit %d after %s, want 1 at once:\n%s", cmd, base, code, took.Round(time.Millisecond), out)
			}
			if strings.Contains(out, "placed 0/") || !strings.Contains(out, "connection refused") && !strings.Contains(out, "no such host") {
				t.Errorf("%s against %s: want one line saying why, no progress lines:\n%s", cmd, base, out)
			}
		}
	}
}

// TestAnsiList: a list exported as Windows-1252 ("ANSI") keeps its names: Zoë Müller is sent
// and written as such, and the run says how it read the file.
func TestAnsiList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "ansi.csv")
	os.WriteFile(input, []byte("phone,name\r\n+919810000001,Zo\xeb M\xfcller\r\n"), 0o600)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "1"})
	inv.run("run", "--sandbox", input)
	if !strings.Contains(inv.stderr.String(), "read as windows-1252") {
		t.Errorf("the run did not say how it read the list:\n%s", inv.stderr.String())
	}
	rows := readRows(t, filepath.Join(dir, "ansi.sandbox.results.csv"))
	if len(rows) != 1 || rows[0].Input["name"] != "Zoë Müller" {
		t.Errorf("results %+v, want the name as written", rows)
	}
	inv = newInvocation(nil)
	if code := inv.run("run", "--sandbox", "--encoding", "klingon", input); code != exitUsage {
		t.Errorf("--encoding klingon: exit %d, want 2", code)
	}
}

// TestCommandLineMistakes: a mistyped flag or command says what was typed, what was probably
// meant and where the help is, in two lines rather than the whole help; help for no such
// command is an error; a duration without its unit says how to write it; check's help lists
// only the flags check reads; every help line fits 100 columns, with defaults written short.
func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"run", "--sandox", "x.csv"}, exitUsage, []string{"--sandox", "did you mean --sandbox?", "help run"}},
		{[]string{"runn", "x.csv"}, exitUsage, []string{`"runn"`, "did you mean run?"}},
		{[]string{"help", "foo"}, exitUsage, []string{`no command "foo"`}},
		{[]string{"run", "--poll-interval", "3", "x.csv"}, exitUsage, []string{"--poll-interval", "3s"}},
		{[]string{"check", "--webhok-listen", ":1"}, exitUsage, []string{"--webhok-listen", "help check"}},
	}
	for _, tt := range tests {
		inv := newInvocation(nil)
		code := inv.run(tt.args...)
		out := inv.stderr.String()
		if code != tt.code || strings.Count(out, "\n") > 2 {
			t.Errorf("%v: exit %d, %d lines; want %d in at most two lines:\n%s", tt.args, code, strings.Count(out, "\n"), tt.code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %q does not say %q", tt.args, out, w)
			}
		}
	}
	for _, cmd := range []string{"run", "check", "report", "status", "sim"} {
		inv := newInvocation(nil)
		if code := inv.run("help", cmd); code != exitOK {
			t.Errorf("help %s: exit %d", cmd, code)
		}
		help := inv.stdout.String()
		for line := range strings.SplitSeq(help, "\n") {
			if utf8.RuneCountInString(line) > 100 {
				t.Errorf("help %s: a line of %d columns: %q", cmd, utf8.RuneCountInString(line), line)
			}
		}
		if strings.Contains(help, "0m0s") || strings.Contains(help, "m0s)") {
			t.Errorf("help %s writes durations long (30m0s): write 30m", cmd)
		}
		if cmd == "check" {
			for _, notRead := range []string{"--webhook-listen", "--poll-interval", "--max-cost", "--json", "--rate"} {
				if strings.Contains(help, notRead) {
					t.Errorf("help check lists %s, which check does not read", notRead)
				}
			}
		}
	}
}

// TestWordingRoundTwo: singulars where there is one, the summary's JSON in seconds with the
// duration buckets' bounds and the unit of costs, and --html only for .html.
func TestWordingRoundTwo(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 1)
	inv := newInvocation(nil)
	inv.run("run", "--dry-run", "--agent-id", "a", input)
	if out := inv.stderr.String(); !strings.Contains(out, "1 row read") || strings.Contains(out, "at least 0s") {
		t.Errorf("dry run of one row:\n%s", out)
	}
	inv = newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "3"})
	inv.run("run", "--sandbox", "--json", input)
	var summary map[string]any
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil {
		t.Fatalf("--json: %v\n%s", err, inv.stdout.String())
	}
	report, _ := summary["report"].(map[string]any)
	if _, ok := summary["elapsed_s"]; !ok || summary["elapsed_ns"] != nil || report == nil || report["cost_unit"] != "cents" || report["duration_bucket_starts_s"] == nil {
		t.Errorf("--json: elapsed_s %v, elapsed_ns %v, report cost_unit %v, bucket bounds %v", summary["elapsed_s"], summary["elapsed_ns"], report["cost_unit"], report["duration_bucket_starts_s"])
	}
	results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	inv = newInvocation(nil)
	if code := inv.run("report", "--html", filepath.Join(filepath.Dir(input), "r.htm"), results); code != exitUsage {
		t.Errorf("report --html r.htm: exit %d, want 2 (the page's name ends in .html)", code)
	}
	inv = newInvocation(nil)
	inv.run("status", results)
	if out := inv.stdout.String() + inv.stderr.String(); strings.Contains(out, "outcomes:c") || strings.Contains(out, "0m0s") {
		t.Errorf("status:\n%s", out)
	}
}

// TestSandboxAttemptsVary: the sandbox decides each attempt anew, as with real people, so
// --retry no-answer,busy meets answers as well, even with its seed fixed.
func TestSandboxAttemptsVary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	copyFile(t, "../../samples/contacts.csv", input)
	env := map[string]string{"BOLNA_SANDBOX_SEED": "11", "BOLNA_SANDBOX_TIME_SCALE": "0.002"}
	newInvocation(env).run("run", "--sandbox", "--poll-interval", "20ms", input)
	results := filepath.Join(dir, "contacts.sandbox.results.csv")
	before := map[string]journal.Status{}
	for _, row := range readRows(t, results) {
		before[row.Input["phone"]] = row.Outcome.Status
	}
	newInvocation(env).run("run", "--sandbox", "--poll-interval", "20ms", "--retry", "no-answer,busy,failed", input)
	retried, changed := 0, 0
	for _, row := range readRows(t, results) {
		if row.Outcome.Attempts == 2 {
			retried++
			if row.Outcome.Status != before[row.Input["phone"]] {
				changed++
			}
		}
	}
	if retried == 0 || changed == 0 {
		t.Errorf("%d rows retried, %d ended otherwise than before: want some retries answered differently", retried, changed)
	}
}

// TestResultsInTheListsDialect: results come back as the list came: a European Excel list
// (semicolons) gives semicolons, Excel's "Unicode text" (UTF-16, tabs) gives UTF-16 with tabs,
// an ANSI list gives UTF-8 with a byte order mark (so its Excel reads the accents); report
// reads them all; --results-format csv writes plain CSV.
func TestResultsInTheListsDialect(t *testing.T) {
	t.Parallel()
	utf16, _ := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte("phone\tname\r\n+919810000001\tÅsa\r\n"))
	tests := []struct {
		name   string
		list   []byte
		flags  []string
		prefix string // the results file's first bytes
	}{
		{"semicolons", []byte("phone;name\n+919810000001;Åsa\n"), nil, "phone;name;status;"},
		{"utf-16 with tabs", utf16, nil, "\xff\xfe"},
		{"ansi", []byte("phone,name\n+919810000001,\xc5sa\n"), nil, "\xef\xbb\xbfphone,name,status,"},
		{"semicolons, --results-format csv", []byte("phone;name\n+919810000001;Åsa\n"), []string{"--results-format", "csv"}, "phone,name,status,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			input := filepath.Join(dir, "list.csv")
			os.WriteFile(input, tt.list, 0o600)
			inv := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.002"})
			if code := inv.run(append(append([]string{"run", "--sandbox", "--poll-interval", "20ms"}, tt.flags...), input)...); code != exitOK && code != exitUnfinished {
				t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
			}
			path := filepath.Join(dir, "list.sandbox.results.csv")
			b, _ := os.ReadFile(path)
			if !bytes.HasPrefix(b, []byte(tt.prefix)) {
				t.Errorf("results start %q, want %q", b[:min(len(b), 40)], tt.prefix)
			}
			rows := readRows(t, path)
			if len(rows) != 1 || rows[0].Input["name"] != "Åsa" || !rows[0].Outcome.Final() {
				t.Errorf("results read back: %+v", rows)
			}
			rep := newInvocation(nil)
			if code := rep.run("report", path); code != exitOK || !strings.Contains(rep.stdout.String(), "1 row") {
				t.Errorf("report of %s: exit %d\n%s%s", tt.name, code, rep.stdout.String(), rep.stderr.String())
			}
			again := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.002"})
			if code := again.run(append(append([]string{"run", "--sandbox"}, tt.flags...), input)...); code != exitOK {
				t.Errorf("a rerun over its own results: exit %d\n%s", code, again.stderr.String())
			}
		})
	}
}

// TestHintsNameTheCommandThatWorks: after `go run` there is no bolna-campaign on the PATH, so
// the commands the tool suggests are the go run form.
func TestHintsNameTheCommandThatWorks(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"/tmp/go-build3302158717/b001/exe/bolna-campaign": "go run ./cmd/bolna-campaign",
		"/usr/local/bin/bolna-campaign":                   "bolna-campaign",
		"./bolna-campaign":                                "bolna-campaign",
	} {
		if got := commandName(path); got != want {
			t.Errorf("commandName(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestOutcomesAgreeWithTheSimulator: the summary, report, --json and the HTML page count the
// people answered, the voicemails and the calls rejected at once as the simulator decided them
// (its own record of each call, not the runner's); --retry voicemail then re-dials exactly the
// voicemail rows.
func TestOutcomesAgreeWithTheSimulator(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Seed: 21})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 60)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	inv := newInvocation(env)
	if code := inv.run("run", "--poll-interval", "20ms", "--json", input); code != exitOK && code != exitUnfinished {
		t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
	}
	truth := map[journal.Result]int{}
	voicemail := map[string]bool{}
	for _, c := range srv.Calls() {
		switch {
		case c.Status != "completed":
		case c.Voicemail:
			truth[journal.ResultVoicemail]++
			voicemail[c.Phone] = true
		case c.Rejected:
			truth[journal.ResultRejected]++
		default:
			truth[journal.ResultAnswered]++
		}
	}
	if truth[journal.ResultVoicemail] == 0 || truth[journal.ResultRejected] == 0 || truth[journal.ResultAnswered] == 0 {
		t.Fatalf("the simulator decided %v: want some of each", truth)
	}
	var summary struct {
		Report struct{ Answered, Voicemail, Rejected int }
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil {
		t.Fatal(err)
	}
	got := summary.Report
	if got.Answered != truth[journal.ResultAnswered] || got.Voicemail != truth[journal.ResultVoicemail] || got.Rejected != truth[journal.ResultRejected] {
		t.Errorf("--json says %+v, the simulator %v", got, truth)
	}
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	rep := newInvocation(nil)
	rep.run("report", results)
	again := newInvocation(env) // a rerun dials nobody and prints the summary as text
	again.run("run", "--poll-interval", "20ms", input)
	html := filepath.Join(filepath.Dir(input), "page.html")
	newInvocation(nil).run("report", "--html", html, results)
	page, _ := os.ReadFile(html)
	for name, text := range map[string]string{"report": rep.stdout.String(), "summary": again.stderr.String()} {
		for _, want := range []string{
			fmt.Sprintf("answered   %d (", truth[journal.ResultAnswered]),
			fmt.Sprintf("voicemail  %d (", truth[journal.ResultVoicemail]),
			fmt.Sprintf("rejected   %d (", truth[journal.ResultRejected]),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, text)
			}
		}
	}
	for _, want := range []string{
		fmt.Sprintf("answered: %d of", truth[journal.ResultAnswered]),
		fmt.Sprintf("<b>%d</b><span>voicemail", truth[journal.ResultVoicemail]),
		fmt.Sprintf("<b>%d</b><span>rejected", truth[journal.ResultRejected]),
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the HTML page lacks %q", want)
		}
	}

	before := len(srv.Placements())
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", "--retry", "voicemail", input); code != exitOK && code != exitUnfinished {
		t.Fatalf("--retry voicemail: exit %d", code)
	}
	redialled := map[string]bool{}
	for _, p := range srv.Placements()[before:] {
		redialled[p.Phone] = true
	}
	for _, p := range phones {
		if redialled[p] != voicemail[p] {
			t.Errorf("%s: re-dialled %v, reached a voicemail %v: --retry voicemail must re-dial exactly the voicemail rows", p, redialled[p], voicemail[p])
		}
	}
}

// TestNotify: --notify delivers one JSON notice when a run halts (at once, while its calls are
// still followed) and one when it ends, through a receiver that fails each notice's first try;
// the notice has the summary and a sentence for a chat, and never the key. A URL that is not
// https nor loopback is refused.
func TestNotify(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		tries = map[string]int{}
		docs  []map[string]any
		raw   []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc map[string]any
		json.Unmarshal(b, &doc)
		event, _ := doc["event"].(string)
		mu.Lock()
		defer mu.Unlock()
		tries[event]++
		if tries[event] == 1 {
			w.WriteHeader(http.StatusBadGateway) // every notice's first try fails
			return
		}
		docs, raw = append(docs, doc), append(raw, string(b))
	}))
	t.Cleanup(recv.Close)
	const key = "bn-notify-secret-0123456789"
	srv := bolnatest.NewServer(bolnatest.Options{APIKey: key, Timing: bolnatest.FastTiming,
		Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 12)
	env := map[string]string{"BOLNA_API_KEY": key, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	inv := newInvocation(env)
	inv.run("run", "--poll-interval", "20ms", "--concurrency", "2", "--max-cost", "1", "--notify", recv.URL+"/hook", input)
	mu.Lock()
	defer mu.Unlock()
	events := map[string]int{}
	for _, d := range docs {
		events[d["event"].(string)]++
		if text, _ := d["text"].(string); text == "" {
			t.Errorf("a notice without text: %v", d)
		}
	}
	if events["halted"] != 1 || events["finished"] != 1 || len(docs) != 2 {
		t.Errorf("notices %v, want one halted and one finished:\n%s", events, inv.stderr.String())
	}
	for _, d := range docs {
		if d["event"] == "finished" && d["summary"] == nil {
			t.Errorf("the finished notice has no summary: %v", d)
		}
	}
	for _, r := range raw {
		if strings.Contains(r, key) {
			t.Error("a notice carried the API key")
		}
	}
	bad := newInvocation(env)
	if code := bad.run("run", "--notify", "http://hooks.example.com/x", input); code != exitUsage {
		t.Errorf("--notify over plain http to a remote host: exit %d, want 2", code)
	}
}

// TestCallerIDFlags: an invalid number in the caller-id pool (given by flag or in a file) stops
// the run before any call, exit 2; a row's own caller id column is used for that row, and an
// invalid one makes the row invalid.
func TestCallerIDFlags(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	dir := t.TempDir()
	input := filepath.Join(dir, "list.csv")
	os.WriteFile(input, []byte("phone,caller\n+919810000001,+919800000009\n+919810000002,\n+919810000003,12\n"), 0o600)
	pool := filepath.Join(dir, "pool.txt")
	os.WriteFile(pool, []byte("# our numbers\n+919800000001\n+999123456789\n"), 0o600)
	for _, args := range [][]string{
		{"--from-number", "+919800000001", "--from-number", "+999123456789"},
		{"--from-numbers", pool},
	} {
		inv := newInvocation(env)
		if code := inv.run(append(append([]string{"run"}, args...), input)...); code != exitUsage || !strings.Contains(inv.stderr.String(), "+999123456789") {
			t.Errorf("%v: exit %d, want 2 naming the bad number:\n%s", args, code, inv.stderr.String())
		}
	}
	if n := len(srv.Placements()); n != 0 {
		t.Fatalf("%d calls placed with a bad pool", n)
	}
	inv := newInvocation(env)
	inv.run("run", "--allow-missing-variables", "--poll-interval", "20ms", "--from-number", "+919800000001", "--from-number", "+919800000002", "--from-number-column", "caller", input)
	from := map[string]string{}
	for _, p := range srv.Placements() {
		from[p.Phone] = p.From
	}
	if from["+919810000001"] != "+919800000009" || !strings.HasPrefix(from["+919810000002"], "+9198000000") || len(from) != 2 {
		t.Errorf("placements by caller id %v: want the row's own for the first, the pool's for the second, none for the bad one", from)
	}
}

// TestLimitSaysWhy: after run --limit 3 every row left says why it was not dialled, the rows
// right after the dialled ones too (they were pending with an empty error, #20).
func TestLimitSaysWhy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	copyFile(t, "../../samples/contacts.csv", input)
	newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.002"}).run("run", "--sandbox", "--poll-interval", "20ms", "--limit", "3", input)
	for _, row := range readRows(t, filepath.Join(dir, "contacts.sandbox.results.csv")) {
		if row.Outcome.Attempts == 0 && row.Outcome.Status == journal.StatusPending && !strings.Contains(row.Outcome.Error, "--limit") {
			t.Errorf("line %d: %s %q, want pending, saying why", row.Line, row.Outcome.Status, row.Outcome.Error)
		}
	}
}

// TestStopCommand: bolna-campaign stop from another "terminal" ends a running campaign: no call
// is placed after it, every call that has not rung is stopped at Bolna and its row is pending
// again; the run ends as stopped from outside.
func TestStopCommand(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 3, Timing: bolnatest.FastTiming,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // every call waits
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 10)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	done := make(chan int, 1)
	run := newInvocation(env)
	timedOut := run.deadline(20 * time.Second)
	go func() { done <- run.run("run", "--poll-interval", "20ms", input) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Placements()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop := newInvocation(env)
	if code := stop.run("stop", results); code != exitOK || !strings.Contains(stop.stdout.String(), "asked the run") {
		t.Fatalf("stop: exit %d:\n%s%s", code, stop.stdout.String(), stop.stderr.String())
	}
	stoppedAt := len(srv.Placements())
	select {
	case code := <-done:
		if timedOut() {
			t.Fatal("the run did not end after stop: ended by the test's deadline")
		}
		if code != exitInterrupted {
			t.Errorf("the stopped run: exit %d, want %d", code, exitInterrupted)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("the run did not end after stop, nor at the test's deadline")
	}
	if n := len(srv.Placements()); n != stoppedAt || n != 3 {
		t.Errorf("%d calls placed, %d when stopped: want none after the stop", n, stoppedAt)
	}
	for _, c := range srv.Calls() {
		if c.Status != "stopped" && c.Status != "canceled" {
			t.Errorf("call %s is %s at Bolna, want stopped", c.ID, c.Status)
		}
	}
	for _, row := range readRows(t, results) {
		if row.Outcome.Status != journal.StatusPending {
			t.Errorf("line %d: %s, want pending", row.Line, row.Outcome.Status)
		}
	}
	if !strings.Contains(run.stderr.String(), "3 calls stopped") && !strings.Contains(run.stderr.String(), "stopped call") {
		t.Errorf("the run did not say it stopped calls:\n%s", run.stderr.String())
	}
}

// TestStopWithNoRun: with no run going, bolna-campaign stop stops the calls the journal has in
// flight that have not rung, and gives their attempts back: the next run dials them again.
func TestStopWithNoRun(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // the call waits
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 1)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	st, err := journal.OpenState(journal.StatePath(results), journal.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ref(phones[0], 1)
	st.Dial(phones[0], phones[0], 1, ref, time.Now())
	placed, err := srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phones[0],
		UserData: map[string]string{contacts.RefKey: ref}})
	if err != nil {
		t.Fatal(err)
	}
	st.Placed(phones[0], 1, placed.ExecutionID, time.Now())
	st.Close()

	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey}
	stop := newInvocation(env)
	if code := stop.run("stop", results); code != exitOK || !strings.Contains(stop.stdout.String(), "stopped 1 call") {
		t.Fatalf("stop with no run: exit %d:\n%s%s", code, stop.stdout.String(), stop.stderr.String())
	}
	if c := srv.Calls()[0]; c.Status != "stopped" && c.Status != "canceled" {
		t.Errorf("the call is %s at Bolna, want stopped", c.Status)
	}
	again, err := journal.ReadState(journal.StatePath(results))
	if err != nil {
		t.Fatal(err)
	}
	if e := again.Lookup(phones[0]); e.Live != nil || e.Attempts != 0 || !strings.Contains(e.Note, "stopped before it rang") {
		t.Errorf("the journal after stop: %+v, want no call in flight, the attempt given back, and why", e)
	}
}
