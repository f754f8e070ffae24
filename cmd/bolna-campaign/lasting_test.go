package main

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// What lasts in the account's history across runs: a stop, a campaign's journal from before
// the history, and what status and check read of it without changing it.

// TestStopPausesLastingly: `stop` stops the run going on and pauses the campaign in the
// history, so the next run (cron's) places nothing and exits non-zero saying who stopped it and
// when; status shows it (exit 4); after `resume` the campaign dials again. On main the stop
// lasted only as long as the run: the next run dialled.
func TestStopPausesLastingly(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 2, Timing: slowCalls})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 8)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	env := guardEnv(srv, filepath.Join(t.TempDir(), "history.db"))
	env["USER"] = "asha"
	run := func() (*invocation, chan int) {
		inv := newInvocation(env)
		done := make(chan int, 1)
		go func() { done <- inv.run("run", "--concurrency", "2", "--poll-interval", "20ms", "--rate", "50", input) }()
		return inv, done
	}
	first, done := run()
	fired := first.deadline(60 * time.Second)
	for deadline := time.Now().Add(20 * time.Second); len(srv.Placements()) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	stop := newInvocation(env)
	if code := stop.run("stop", results); code != exitOK || !strings.Contains(stop.stdout.String(), "paused campaign") {
		t.Fatalf("stop: exit %d\n%s%s", code, stop.stdout.String(), stop.stderr.String())
	}
	<-done
	if fired() {
		t.Fatal("the stopped run did not end")
	}
	placed := len(srv.Placements())
	if placed == 8 {
		t.Fatal("every call was placed before the stop: nothing is left to test")
	}
	again, done := run()
	if code := <-done; code == exitOK || !strings.Contains(again.stderr.String(), "paused by asha") ||
		!strings.Contains(again.stderr.String(), "stopped by") || len(srv.Placements()) != placed {
		t.Fatalf("the run after a stop: exit %d, %d placements (was %d); stderr:\n%s", code, len(srv.Placements()), placed, again.stderr.String())
	}
	status := newInvocation(env)
	if code := status.run("status", results); code != exitHalted || !strings.Contains(status.stdout.String(), "paused by asha") {
		t.Errorf("status after a stop: exit %d, want %d naming the pause:\n%s", code, exitHalted, status.stdout.String())
	}
	if code := newInvocation(env).run("resume", results); code != exitOK {
		t.Fatalf("resume: exit %d", code)
	}
	if _, done := run(); <-done == exitFatal || len(srv.Placements()) == placed {
		t.Errorf("after resume: %d placements, want more than %d", len(srv.Placements()), placed)
	}
}

// TestRunImportsItsJournal: a campaign run before the history existed (here: on another
// history, since gone) meets the history at its next run, which takes its journal in; another
// campaign on the same list then finds every person recent, and dials nobody again. On main the
// second campaign dialled everyone a second time.
func TestRunImportsItsJournal(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 3)
	dir := t.TempDir()
	before := guardEnv(srv, filepath.Join(dir, "before-the-history.db"))
	if code := newInvocation(before).run("run", "--rate", "0", input); code != exitOK {
		t.Fatalf("the campaign before the history: exit %d", code)
	}
	env := guardEnv(srv, filepath.Join(dir, "history.db"))
	inv := newInvocation(env)
	if code := inv.run("run", input); code != exitOK || !strings.Contains(inv.stderr.String(), "took in the 3 attempts of its journal") {
		t.Fatalf("its run on the history: exit %d\n%s", code, inv.stderr.String())
	}
	other := filepath.Join(dir, "other.results.csv")
	if code := newInvocation(env).run("run", "--rate", "0", "--results", other, input); code != exitOK {
		t.Fatalf("another campaign: exit %d", code)
	}
	for _, row := range readRows(t, other) {
		if row.Outcome.Status != journal.StatusRecent {
			t.Errorf("%s: %s in the other campaign, want recent", row.Input["phone"], row.Outcome.Status)
		}
	}
	checkDialledOnce(t, srv, phones)
	if code := newInvocation(env).run("run", input); code != exitOK {
		t.Errorf("a third run: exit %d", code)
	}
	s, err := history.Open(t.Context(), env["BOLNA_HISTORY"])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if entries, err := s.PersonHistory(t.Context(), phones[0]); err != nil || len(entries) != 1 || entries[0].ExecutionID == "" {
		t.Errorf("the history of %s after three runs: %+v, %v; want its one call, imported once", phones[0], entries, err)
	}
}

// TestStatusReadsHistoryAsItIs: status creates no history where there is none, and upgrades
// none it finds older: it reads it as it is and says so. On main status migrated it.
func TestStatusReadsHistoryAsItIs(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 2)
	dsn := filepath.Join(t.TempDir(), "history.db")
	env := map[string]string{"BOLNA_HISTORY": dsn, "BOLNA_SANDBOX_TIME_SCALE": "0.005"}
	if code := newInvocation(env).run("run", "--sandbox", "--history", dsn, "--rate", "0", input); code != exitOK {
		t.Fatalf("run: exit %d", code)
	}
	results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"DROP INDEX attempts_open", "DELETE FROM schema_version WHERE version > 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	inv := newInvocation(env)
	// (--history: a sandbox campaign's status reads the sandbox's history, never BOLNA_HISTORY)
	if code := inv.run("status", "--history", dsn, results); code != exitOK || !strings.Contains(inv.stderr.String(), "schema version 1, older than") {
		t.Errorf("status on an older history: exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	var v int
	if err := db.QueryRow("SELECT MAX(version) FROM schema_version").Scan(&v); err != nil || v != 1 {
		t.Errorf("after status the schema is %d (%v), want 1: status migrated it", v, err)
	}
	none := filepath.Join(t.TempDir(), "none.db")
	inv = newInvocation(map[string]string{"BOLNA_HISTORY": none})
	inv.run("status", "--history", none, results)
	if _, err := history.OpenExisting(context.Background(), none); err == nil {
		t.Errorf("status created a history at %s", none)
	}
}

// TestCheckSaysWhatTheHistorySkips: check reads the history as a run's guard would, without
// reserving: the rows it would skip as do-not-call, recent (another campaign within --min-gap)
// or capped (--max-calls), and nothing with no history yet (which check does not create).
func TestCheckSaysWhatTheHistorySkips(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 3)
	dir := t.TempDir()
	env := guardEnv(srv, filepath.Join(dir, "history.db"))
	inv := newInvocation(env)
	if code := inv.run("check", input); code != exitOK || !strings.Contains(inv.stdout.String(), "none yet") {
		t.Errorf("check with no history: exit %d\n%s", code, inv.stdout.String())
	}
	if _, err := history.OpenExisting(t.Context(), env["BOLNA_HISTORY"]); err == nil {
		t.Error("check created the history")
	}
	if code := newInvocation(env).run("dnc", "add", phones[0]); code != exitOK {
		t.Fatalf("dnc add: exit %d", code)
	}
	if code := newInvocation(env).run("run", "--rate", "0", "--results", filepath.Join(dir, "other.results.csv"), input); code != exitOK {
		t.Fatalf("another campaign: exit %d", code)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "3 of the 3 rows to dial would be skipped now: 1 do-not-call, 2 recent (another campaign within 24h0m0s), 0 capped"},
		{[]string{"--min-gap", "0s", "--max-calls", "1/7d"}, "3 of the 3 rows to dial would be skipped now: 1 do-not-call, 0 recent (another campaign within 0s), 2 capped (called 1 time within 168h0m0s)"},
	} {
		// every row skipped: run would dial nothing, so check exits 2 (not ready)
		inv := newInvocation(env)
		if code := inv.run(append(append([]string{"check"}, tt.args...), input)...); code != exitUsage || !strings.Contains(inv.stdout.String(), tt.want) {
			t.Errorf("check %v: exit %d, want 2 with %q:\n%s", tt.args, code, tt.want, inv.stdout.String())
		}
	}
	if n := len(srv.Placements()); n != 2 {
		t.Errorf("%d calls placed, want the other campaign's 2: check places none", n)
	}
}

// importRecorder is a history that knows no campaign and keeps what is imported into it.
type importRecorder struct {
	accountHistory // nil: importJournal asks nothing else
	entries        []history.Entry
}

func (h *importRecorder) CampaignKnown(context.Context, string) (bool, error) { return false, nil }
func (h *importRecorder) Import(_ context.Context, e []history.Entry) (int, error) {
	h.entries = append(h.entries, e...)
	return len(e), nil
}

// TestImportedAttemptsSettle: the attempts a run takes from its journal into the history
// carry references the journal answers for (journal.State.FateOf), so the run that follows a
// timed-out call settles its history row too; and no reference holds a phone number (it
// reaches warnings and errors). On main a timed-out attempt was imported as
// "import:CAMPAIGN:PHONE:N": open for ever (the journal knows no such reference), while every
// run said it had settled it.
func TestImportedAttemptsSettle(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Faults: bolnatest.Faults{StopIgnored: 1},
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // every call waits; stops acknowledged, not carried out
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 2)
	env := guardEnv(srv, filepath.Join(t.TempDir(), "before-the-history.db"))
	inv := newInvocation(env)
	if code := inv.run("run", "--max-wait", "300ms", "--poll-interval", "20ms", input); code != exitUnfinished {
		t.Fatalf("a run whose calls time out: exit %d, want %d\n%s", code, exitUnfinished, inv.stderr.String())
	}
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	st, err := journal.ReadState(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	h := &importRecorder{}
	if _, err := importJournal(t.Context(), h, st, input, results); err != nil {
		t.Fatal(err)
	}
	if len(h.entries) != len(phones) {
		t.Fatalf("%d attempts imported, want the %d timed out, once each", len(h.entries), len(phones))
	}
	for _, e := range h.entries {
		if fate, _, err := st.FateOf(e.Ref); err != nil || fate == journal.FateUnknown {
			t.Errorf("%s imported as %q (%s): the journal does not know it (%v, %v)", e.Phone, e.Ref, e.State, fate, err)
		}
		if strings.Contains(e.Ref, e.Phone[3:]) {
			t.Errorf("reference %q holds the phone number", e.Ref)
		}
	}
}

// TestStopNamesTheRunsHistory: a campaign whose runs consult the history their cron line names
// (BOLNA_HISTORY) is not paused in the default history of an operator's shell: 'stop' stops
// what it can and fails (exit 1) naming the runs' history, 'pause' and 'resume' refuse (exit
// 2), status says the pause it shows is not the runs', and the default history is not even
// created; named, the runs' history is taken, and another is taken with a warning. A run on another history says the earlier runs' was not it.
func TestStopNamesTheRunsHistory(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 3)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	dir := t.TempDir()
	cronDB, otherDB := filepath.Join(dir, "cron.db"), filepath.Join(dir, "other.db")
	cron := guardEnv(srv, cronDB)
	if code := newInvocation(cron).run("run", "--rate", "0", "--limit", "1", input); code != exitUnfinished {
		t.Fatalf("the cron run: exit %d", code)
	}
	shell := maps.Clone(cron)
	delete(shell, "BOLNA_HISTORY")
	shell["XDG_STATE_HOME"] = t.TempDir()
	steps := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"stop", results}, exitFatal, "nothing to stop", "consult the account's history " + cronDB + ", not "},
		{[]string{"pause", results}, exitUsage, "", "consult the account's history " + cronDB},
		{[]string{"resume", results}, exitUsage, "", "consult the account's history " + cronDB},
		{[]string{"status", results}, exitUnfinished, "", "status: the runs of " + results + " consult the account's history " + cronDB + ", not "},
		{[]string{"pause", "--history", cronDB, results}, exitOK, "paused campaign", ""},
		{[]string{"pause", "--history", otherDB, results}, exitOK, "paused campaign", "warning: the runs of " + results + " consult the account's history " + cronDB + "; this is kept in " + otherDB},
	}
	for _, s := range steps {
		inv := newInvocation(shell)
		code := inv.run(s.args...)
		if code != s.code || !strings.Contains(inv.stdout.String(), s.stdout) || !strings.Contains(inv.stderr.String(), s.stderr) ||
			(s.stderr == "" && inv.stderr.String() != "") {
			t.Errorf("%v: exit %d, want %d; stdout:\n%s\nstderr:\n%s", s.args, code, s.code, inv.stdout.String(), inv.stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(shell["XDG_STATE_HOME"], "bolna-campaign", "history.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the shell's default history: %v; want it never created", err)
	}
	again := newInvocation(cron)
	if code := again.run("run", "--rate", "0", input); code != exitUnfinished || !strings.Contains(again.stderr.String(), "paused by") {
		t.Errorf("the cron run after the pause: exit %d, want %d, paused; stderr:\n%s", code, exitUnfinished, again.stderr.String())
	}
	if code := newInvocation(shell).run("resume", "--history", otherDB, results); code != exitOK {
		t.Fatalf("resume in the other history: exit %d", code)
	}
	moved := newInvocation(guardEnv(srv, otherDB))
	if code := moved.run("run", "--rate", "0", input); code != exitOK || !strings.Contains(moved.stderr.String(), "earlier runs consulted the history "+cronDB) {
		t.Errorf("a run on another history: exit %d; stderr:\n%s", code, moved.stderr.String())
	}
	if where, err := store.At(results).RecordedHistory(); err != nil || where != otherDB {
		t.Errorf("recorded %q, %v; want the latest run's %s", where, err, otherDB)
	}
}

// TestHistoryLocation: what a run records of its history, and what stop, pause and resume
// compare, never holds a password (the record sits beside the results, readable wherever they
// are), and names a SQLite file by its absolute path (a cron line and a shell in other
// folders name one file alike).
func TestHistoryLocation(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs("history.db")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dsn, want string }{
		{"history.db", abs},
		{"sqlite:history.db", abs},
		{"/var/lib/bolna/h.db", "/var/lib/bolna/h.db"},
		{"postgres://ops:s3cret@db.internal:5432/bolna?sslmode=require", "postgres://ops:xxxxx@db.internal:5432/bolna?sslmode=require"},
		{"postgresql://db.internal/bolna?user=ops&password=s3cret", "postgresql://db.internal/bolna?password=xxxxx&user=ops"},
	} {
		got, err := historyLocation(tt.dsn)
		if err != nil || got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("historyLocation(%q) = %q, %v; want %q", tt.dsn, got, err, tt.want)
		}
	}
}
