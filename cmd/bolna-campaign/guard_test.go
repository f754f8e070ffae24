package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// The account's history through the command line: its flags, a pause made by `pause`, a
// history that cannot be opened, and a process killed mid-campaign.

// guardEnv is the environment of runs on srv sharing the history at db.
func guardEnv(srv *bolnatest.Server, db string) map[string]string {
	return map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL,
		"BOLNA_AGENT_ID": bolnatest.DefaultAgentID, "BOLNA_HISTORY": db}
}

// TestRunGuardFlags: run's flags of the history: a bad --max-calls is a usage error; a
// history that cannot be opened stops the run before any call (exit 1) without printing a
// DSN's password.
func TestRunGuardFlags(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 2)
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o600)
	for _, tt := range []struct {
		name   string
		args   []string
		want   int
		stderr string
		forbid string
	}{
		{"max-calls without a period", []string{"--max-calls", "3"}, exitUsage, "--max-calls", ""},
		{"max-calls of none", []string{"--max-calls", "0/24h"}, exitUsage, "--max-calls", ""},
		{"negative gap", []string{"--min-gap", "-1h"}, exitUsage, "--min-gap", ""},
		{"a history in a file", []string{"--history", filepath.Join(notDir, "history.db")}, exitFatal, "history cannot be opened", ""},
		{"a PostgreSQL nobody serves", []string{"--history", "postgres://ops:hunter2secret@127.0.0.1:1/bolna?connect_timeout=2"}, exitFatal, "history cannot be opened", "hunter2secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := newInvocation(guardEnv(srv, filepath.Join(t.TempDir(), "history.db")))
			results := filepath.Join(t.TempDir(), "r.csv")
			code := inv.run(append(append([]string{"run", "--results", results}, tt.args...), input)...)
			stderr := inv.stderr.String()
			if code != tt.want || !strings.Contains(stderr, tt.stderr) || tt.forbid != "" && strings.Contains(stderr, tt.forbid) {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
		})
	}
	if n := len(srv.Placements()); n != 0 {
		t.Errorf("%d calls placed, want none", n)
	}
}

// TestRunPausedByCommand: `pause --all` keeps every run from placing a call: it exits
// non-zero saying who paused it and when, and `status` shows it; after `resume` the run
// dials.
func TestRunPausedByCommand(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 2)
	env := guardEnv(srv, filepath.Join(t.TempDir(), "history.db"))
	env["USER"] = "asha"
	if code := newInvocation(env).run("pause", "--all", "--reason", "agent script under review"); code != exitOK {
		t.Fatalf("pause: exit %d", code)
	}
	inv := newInvocation(env)
	code := inv.run("run", input)
	if stderr := inv.stderr.String(); code == exitOK || !strings.Contains(stderr, "every campaign of the account paused by asha") ||
		!strings.Contains(stderr, "agent script under review") || len(srv.Placements()) != 0 ||
		!strings.Contains(stderr, "no run places a call until it is resumed") || strings.Contains(stderr, "run the same command again later") {
		t.Fatalf("a paused run: exit %d, %d calls; stderr:\n%s", code, len(srv.Placements()), stderr)
	}
	status := newInvocation(env)
	if code := status.run("status", strings.TrimSuffix(input, ".csv")+".results.csv"); code != exitHalted || !strings.Contains(status.stdout.String(), "paused by asha") {
		t.Errorf("status of the paused campaign: exit %d, want %d naming the pause; stdout:\n%s", code, exitHalted, status.stdout.String())
	}
	if code := newInvocation(env).run("resume", "--all"); code != exitOK {
		t.Fatalf("resume: exit %d", code)
	}
	if code := newInvocation(env).run("run", input); code != exitOK {
		t.Fatalf("the run after resume: exit %d", code)
	}
	checkDialledOnce(t, srv, phones)
}

// TestKill9AnotherResults: a run killed with SIGKILL mid-campaign, then the same list run
// with another results file on the same history, then the first again: each person is
// dialled once. The dead run's reservations count until its own journal settles them. On
// SQLite (one machine) and PostgreSQL (the history of several).
func TestKill9AnotherResults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := testBinary(t)
	eachHistory(t, func(t *testing.T, dsn string) { kill9AnotherResults(t, bin, dsn) })
}

func kill9AnotherResults(t *testing.T, bin, dsn string) {
	// The kill comes while the first run looks at its two calls, their POSTs answered: the
	// look is held until the process is dead, so no placement is cut mid-way (a POST cut by a
	// kill is looked for by the rerun for the POST timeout, 30 s, as TestKill9 shows).
	var looked sync.Once
	var posts atomic.Int64
	looking, killed := make(chan struct{}), make(chan struct{})
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 3, Timing: slowCalls, Faults: bolnatest.Faults{
		Hook: func(r *http.Request) bolnatest.Fault { // (under the fake's lock: it answers nothing meanwhile)
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/call":
				posts.Add(1)
			case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "execution") && posts.Load() >= 2:
				looked.Do(func() { close(looking); <-killed })
			}
			return bolnatest.NoFault
		}}})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 12)
	start := func(results string) *exec.Cmd {
		cmd := exec.Command(bin, "run", "--concurrency", "2", "--poll-interval", "20ms", "--rate", "50", "--list-lag", "300ms", "--results", results, input)
		cmd.Env = append(os.Environ(), "BOLNA_API_KEY="+bolnatest.DefaultAPIKey, "BOLNA_BASE_URL="+srv.URL,
			"BOLNA_AGENT_ID="+bolnatest.DefaultAgentID, "BOLNA_HISTORY="+dsn)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	dir := t.TempDir()
	first := start(filepath.Join(dir, "a.results.csv"))
	select {
	case <-looking:
	case <-time.After(20 * time.Second):
		t.Error("the first run placed no two calls in 20 s")
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	close(killed)
	for _, results := range []string{"b.results.csv", "a.results.csv"} {
		// Exit 0, or 3 for a row left unknown.
		var exitErr *exec.ExitError
		if err := start(filepath.Join(dir, results)).Wait(); err != nil && (!errors.As(err, &exitErr) || exitErr.ExitCode() != exitUnfinished) {
			t.Fatalf("%s: %v", results, err)
		}
	}
	recent := 0
	for _, row := range readRows(t, filepath.Join(dir, "b.results.csv")) {
		if row.Outcome.Status == journal.StatusRecent {
			recent++
		}
	}
	if recent == 0 {
		t.Error("no row of the second campaign is recent: the killed run's reservations did not count")
	}
	checkDialledOnce(t, srv, phones)
}

// TestTwoProcessesOneList: two processes at once on one list, with two results files and one
// history: each person is dialled once (the other's rows recent). On SQLite (one machine) and
// PostgreSQL (the history of several).
func TestTwoProcessesOneList(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := testBinary(t)
	eachHistory(t, func(t *testing.T, dsn string) {
		srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: bolnatest.FastTiming})
		t.Cleanup(srv.Close)
		input, phones := writeContacts(t, 30)
		dir := t.TempDir()
		errs := make(chan error, 2)
		for _, name := range []string{"a", "b"} {
			cmd := exec.Command(bin, "run", "--poll-interval", "50ms", "--list-lag", "300ms", "--results", filepath.Join(dir, name+".results.csv"), input)
			cmd.Env = append(os.Environ(), "BOLNA_API_KEY="+bolnatest.DefaultAPIKey, "BOLNA_BASE_URL="+srv.URL,
				"BOLNA_AGENT_ID="+bolnatest.DefaultAgentID, "BOLNA_HISTORY="+dsn)
			go func() {
				out, err := cmd.CombinedOutput()
				if err != nil {
					err = fmt.Errorf("%s: %v\n%s", name, err, out)
				}
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		checkDialledOnce(t, srv, phones)
	})
}

// eachHistory runs fn as a subtest on each backend of the history, with a fresh history's DSN:
// a SQLite file, and a database of the throwaway PostgreSQL cluster (skipped, saying why, when
// PostgreSQL is not installed).
func eachHistory(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range []struct {
		name  string
		fresh func(testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "history.db") }},
		{"postgres", pgCluster.Database},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.fresh(t))
		})
	}
}

// slowCalls are calls that hold their slots for a second or so: a look at them comes before
// any ends.
var slowCalls = bolnatest.Timing{
	Dequeue:      bolnatest.Range{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond},
	Dial:         bolnatest.Range{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond},
	Ring:         bolnatest.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond},
	Talk:         bolnatest.Range{Min: 300 * time.Millisecond, Max: 600 * time.Millisecond},
	PostProcess:  bolnatest.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond},
	NoAnswerRing: bolnatest.Range{Min: 300 * time.Millisecond, Max: 600 * time.Millisecond},
	BusyAfter:    bolnatest.Range{Min: 300 * time.Millisecond, Max: 600 * time.Millisecond},
	FailAfter:    bolnatest.Range{Min: 300 * time.Millisecond, Max: 600 * time.Millisecond},
}

// TestRunHistoryWatchesPauses: the history a run opens answers whether its campaign is paused
// (campaign.PauseChecker), so that a running process stops placing within two seconds of a
// `pause`, even while it waits for a slot (the runner's TestPauseNoticedWhileWaitingForASlot):
// a run asks only at its next placement through a history that does not.
func TestRunHistoryWatchesPauses(t *testing.T) {
	t.Parallel()
	h, err := openRunHistory(t.Context(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	pc, ok := h.(campaign.PauseChecker)
	if !ok {
		t.Fatalf("run's history %T cannot say whether a campaign is paused", h)
	}
	if by, err := pc.PausedBy(t.Context(), "c1"); by != "" || err != nil {
		t.Fatalf("PausedBy() of a campaign never paused = %q, %v", by, err)
	}
	if err := h.Pause(t.Context(), history.Pause{Campaign: history.All, By: "asha@ops", At: time.Now(), Reason: "script review"}); err != nil {
		t.Fatal(err)
	}
	if by, err := pc.PausedBy(t.Context(), "c1"); err != nil || !strings.Contains(by, "asha@ops") || !strings.Contains(by, "script review") {
		t.Errorf("PausedBy() under a pause of every campaign = %q, %v; want who paused it and why", by, err)
	}
}
