package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// Defects found by the review of the account's history (#30): each test failed before its fix.

// runReal runs the command on inv with the histories themselves (no stand-in), as a user would.
func (inv *invocation) runReal(args ...string) int {
	return Main(args, Env{Stdout: &inv.stdout, Stderr: &inv.stderr, Getenv: func(k string) string { return inv.env[k] }, Signals: inv.signals})
}

// TestSandboxPauseOneHistory: a sandbox campaign's pause lives in the sandbox's history, for
// every command: stop pauses it there, status shows it (exit 4), resume lifts it there, and pause
// puts it there. Before, only stop and run used the sandbox's history: status said "work left"
// (exit 3), 'resume' (the hint stop prints) lifted nothing, and the campaign stayed paused for
// good; 'pause' wrote a pause the sandbox's runs never read.
func TestSandboxPauseOneHistory(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 3)
	results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "USER": "asha", "BOLNA_SANDBOX_TIME_SCALE": "0.005"}
	sandboxDB := filepath.Join(env["XDG_STATE_HOME"], "bolna-campaign", "sandbox-history.db")
	cmd := func(want int, args ...string) *invocation {
		t.Helper()
		inv := newInvocation(env)
		if code := inv.runReal(args...); code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, inv.stdout.String(), inv.stderr.String())
		}
		return inv
	}
	pausedThere := func() *history.Pause {
		t.Helper()
		s, err := history.OpenExisting(context.Background(), sandboxDB)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		p, err := s.Paused(context.Background(), campaignIDOf(t, results))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cmd(exitUnfinished, "run", "--sandbox", "--rate", "0", "--limit", "1", input)
	cmd(exitOK, "stop", results)
	if pausedThere() == nil {
		t.Fatal("stop did not pause the sandbox campaign in the sandbox's history")
	}
	if st := cmd(exitHalted, "status", results); !strings.Contains(st.stdout.String(), "paused by asha") {
		t.Errorf("status of the stopped sandbox campaign does not name the pause:\n%s", st.stdout.String())
	}
	cmd(exitOK, "resume", results)
	if p := pausedThere(); p != nil {
		t.Fatalf("after resume the sandbox campaign is still paused: %s", p)
	}
	cmd(exitOK, "run", "--sandbox", "--rate", "0", input)
	cmd(exitOK, "pause", results)
	if pausedThere() == nil {
		t.Error("pause did not pause the sandbox campaign in the sandbox's history, which its runs read")
	}
	if _, err := os.Stat(filepath.Join(env["XDG_STATE_HOME"], "bolna-campaign", "history.db")); err == nil {
		t.Error("the sandbox campaign's commands made the real history")
	}
}

func campaignIDOf(t *testing.T, results string) string {
	t.Helper()
	st, err := journal.ReadState(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	return st.Campaign()
}

// TestCheckPausedNotReady: check of a paused campaign is not ready (exit 2): its run would
// place nothing. Before, check printed the pause with a ✗ and then "ready", exit 0, so
// 'check && run' ran a run that could dial nobody. The hint names what to resume.
func TestCheckPausedNotReady(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 3)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	env := guardEnv(srv, filepath.Join(t.TempDir(), "history.db"))
	if code := newInvocation(env).run("run", "--rate", "0", "--limit", "1", input); code != exitUnfinished {
		t.Fatalf("run --limit 1: exit %d", code)
	}
	for _, tt := range []struct{ pause, resume []string }{
		{[]string{"pause", results}, []string{"resume", results}},
		{[]string{"pause", "--all"}, []string{"resume", "--all"}},
	} {
		if code := newInvocation(env).run(tt.pause...); code != exitOK {
			t.Fatalf("%v: exit %d", tt.pause, code)
		}
		inv := newInvocation(env)
		hint := "'" + prog + " " + strings.Join(tt.resume, " ") + "'"
		if code := inv.run("check", input); code != exitUsage || !strings.Contains(inv.stdout.String(), "not ready") || !strings.Contains(inv.stdout.String(), hint) {
			t.Errorf("check after %v: exit %d, want 2, not ready, naming %s:\n%s", tt.pause, code, hint, inv.stdout.String())
		}
		if code := newInvocation(env).run(tt.resume...); code != exitOK {
			t.Fatalf("%v: exit %d", tt.resume, code)
		}
	}
	if inv := newInvocation(env); inv.run("check", input) != exitOK {
		t.Errorf("check after resume: not ready\n%s", inv.stdout.String())
	}
}

// TestHelpReportNamesHistory: 'help report' (and 'report --help') tells of report --history and
// how to see its flags; before, neither --history nor --since appeared in report's help.
func TestHelpReportNamesHistory(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help", "report"}, {"report", "--help"}} {
		inv := newInvocation(nil)
		inv.run(args...)
		out := inv.stdout.String() + inv.stderr.String()
		for _, want := range []string{"report --history[=DSN] [--since 7d]", "[--by campaign|agent_id|from_number|hour]", "report --history --help"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v does not say %q:\n%s", args, want, out)
			}
		}
	}
}
