package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// invocation runs the command in-process.
type invocation struct {
	env     map[string]string
	signals chan os.Signal
	stdout  syncBuffer
	stderr  syncBuffer
	// newClient is Env.NewClient (nil: the tool's own)
	newClient clientFactory
}

func newInvocation(env map[string]string) *invocation {
	return &invocation{env: privateHistory(env), signals: make(chan os.Signal, 2)}
}

func (inv *invocation) run(args ...string) int {
	return Main(args, Env{
		Stdout:      &inv.stdout,
		Stderr:      &inv.stderr,
		Getenv:      func(k string) string { return inv.env[k] },
		Signals:     inv.signals,
		OpenHistory: standInHistory(inv.env),
		NewClient:   inv.newClient,
	})
}

// deadline ends inv's run should it still be running d from now: two interrupts quit any run
// at once. It returns whether it had to, for the test to fail on; a test of stopping never
// waits for go test's own timeout.
func (inv *invocation) deadline(d time.Duration) (fired func() bool) {
	var hit atomic.Bool
	timer := time.AfterFunc(d, func() {
		hit.Store(true)
		for range 2 {
			select {
			case inv.signals <- os.Interrupt:
			default:
			}
		}
	})
	return func() bool { timer.Stop(); return hit.Load() }
}

func writeContacts(t *testing.T, n int, extra ...string) (path string, phones []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("phone,name,plan\n")
	for i := range n {
		p := fmt.Sprintf("+9199%08d", 20000000+i*104729)
		phones = append(phones, p)
		fmt.Fprintf(&b, "%s,Person %d,gold\n", p, i)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	path = filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, phones
}

func readRows(t *testing.T, path string) []results.Row {
	t.Helper()
	rows, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func countDials(srv *bolnatest.Server) map[string]int {
	n := map[string]int{}
	for _, p := range srv.Placements() {
		n[p.Phone]++
	}
	return n
}

// checkDialledOnce fails for each of phones that srv did not see dialled exactly once.
func checkDialledOnce(t *testing.T, srv *bolnatest.Server, phones []string) {
	t.Helper()
	dials := countDials(srv)
	for _, p := range phones {
		if dials[p] != 1 {
			t.Errorf("%s dialled %d times, want 1", p, dials[p])
		}
	}
}

// checkRowsMatchServer fails for a dialled row that does not show the server's call to its
// number as the server has it, or a completed one without its recording and extracted data.
func checkRowsMatchServer(t *testing.T, srv *bolnatest.Server, rows []results.Row) {
	t.Helper()
	server := map[string]bolnatest.Call{}
	for _, c := range srv.Calls() {
		server[c.ID] = c
	}
	for _, row := range rows {
		c := server[row.Outcome.ExecutionID]
		if c.Status != string(row.Outcome.Status) || c.Phone != row.Input["phone"] {
			t.Errorf("line %d: %s %s, server has %s %s", row.Line, row.Outcome.Status, row.Input["phone"], c.Status, c.Phone)
		}
		if row.Outcome.Status == "completed" && (row.Outcome.RecordingURL == "" || len(row.Outcome.Extracted) == 0) {
			t.Errorf("line %d: completed without recording or extracted data", row.Line)
		}
	}
}

// TestRunAgainstStandIn drives the command as a user would, against a Bolna stand-in on
// loopback reached through BOLNA_BASE_URL.
func TestRunAgainstStandIn(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 3, Timing: bolnatest.FastTiming, APIKey: "bn-secret-key-123"})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 25, "12345,Bad,gold")
	out := filepath.Join(t.TempDir(), "out.csv")
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-secret-key-123", "BOLNA_BASE_URL": srv.URL})
	code := inv.run("run", "--agent-id", bolnatest.DefaultAgentID, "--poll-interval", "20ms", "--results", out, "--json", input)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, inv.stderr.String())
	}
	checkDialledOnce(t, srv, phones)
	if st := srv.Stats(); st.MaxOutstanding > 3 {
		t.Errorf("%d calls queued or active at once, want at most concurrency.max 3", st.MaxOutstanding)
	}
	rows := readRows(t, out)
	if len(rows) != 26 {
		t.Fatalf("%d result rows, want 26", len(rows))
	}
	checkRowsMatchServer(t, srv, rows[:25])
	if rows[25].Outcome.Status != journal.StatusInvalid {
		t.Errorf("bad row status %q, want invalid", rows[25].Outcome.Status)
	}
	var summary struct {
		Rows     int            `json:"rows"`
		ByStatus map[string]int `json:"by_status"`
		Results  string         `json:"results"`
		Peak     *dialer.Limits `json:"peak_per_minute"`
		Limits   *dialer.Limits `json:"limits"`
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil || summary.Rows != 26 || summary.Results != out {
		t.Errorf("--json summary %q: %v", inv.stdout.String(), err)
	}
	// The summary says how close the run came to its share of Bolna's limits (the default half).
	if p, l := summary.Peak, summary.Limits; p == nil || l == nil || *l != dialer.DefaultLimits ||
		p.Call != 25 || p.List < 1 || p.List > l.List || p.Other < 1 || p.Other > l.Other {
		t.Errorf("--json peak a minute %+v of limits %+v: want 25 placements, and lists and other reads within the default share", p, l)
	}
	if strings.Contains(inv.stderr.String()+inv.stdout.String(), "bn-secret-key-123") {
		t.Error("the API key appears in the output")
	}

	// A shard of four takes a quarter of the share, as it takes a quarter of the concurrency
	// (the remainder to the first shards): the four run at once on one account.
	inv = newInvocation(map[string]string{"BOLNA_API_KEY": "bn-secret-key-123", "BOLNA_BASE_URL": srv.URL})
	if code := inv.run("run", "--agent-id", bolnatest.DefaultAgentID, "--poll-interval", "20ms", "--shard", "1/4", "--json", input); code != exitOK {
		t.Fatalf("shard 1/4: exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	summary.Limits = nil
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil || summary.Limits == nil || *summary.Limits != (dialer.Limits{Call: 63, List: 63, Other: 125}) {
		t.Errorf("shard 1/4 limits %+v (%v), want the first quarter of half of Bolna's (63 of 250, 125 of 500)", summary.Limits, err)
	}
	for _, f := range []string{out, store.At(out).StatePath(), store.At(out).LockPath()} {
		if data, _ := os.ReadFile(f); bytes.Contains(data, []byte("bn-secret-key-123")) {
			t.Errorf("the API key is written in %s", f)
		}
	}
	dry := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-secret-key-123", "BOLNA_BASE_URL": srv.URL})
	dry.run("run", "--dry-run", "--agent-id", bolnatest.DefaultAgentID, "--results", filepath.Join(t.TempDir(), "d.csv"), input)
	if strings.Contains(dry.stdout.String()+dry.stderr.String(), "bn-secret-key-123") {
		t.Error("the API key appears in a dry run's output")
	}
	if strings.ContainsAny(inv.stderr.String(), "\r\x1b") {
		t.Errorf("stderr is not a terminal but carries control codes: %q", inv.stderr.String())
	}
	info, _ := os.Stat(out)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("results mode %v, want 0600", info.Mode().Perm())
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	docs := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Style: bolnatest.Style{AuthDocs: true}})
	t.Cleanup(docs.Close)
	input, _ := writeContacts(t, 3)
	noPhone := filepath.Join(t.TempDir(), "nophone.csv")
	os.WriteFile(noPhone, []byte("name,city\nAsha,Pune\n"), 0o600)
	good := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		want     int
		stderr   string
		forbid   string
		noResult bool
	}{
		{name: "no args", args: []string{}, want: exitUsage},
		{name: "unknown command", args: []string{"dial"}, want: exitUsage, stderr: "unknown command"},
		{name: "version", args: []string{"version"}, want: exitOK},
		{name: "help", args: []string{"run", "-h"}, want: exitOK},
		{name: "no file", env: good, args: []string{"run"}, want: exitUsage, stderr: "name the contacts CSV"},
		{name: "flag after file", env: good, args: []string{"run", input, "--sandbox"}, want: exitUsage, stderr: "flags go before the file"},
		{name: "missing file", env: good, args: []string{"run", "/nonexistent/list.csv"}, want: exitUsage, stderr: "/nonexistent/list.csv", noResult: true},
		{name: "no phone column", env: good, args: []string{"run", noPhone}, want: exitUsage, stderr: "nophone.csv:1: no phone column", noResult: true},
		{name: "no key", env: map[string]string{"BOLNA_AGENT_ID": "a"}, args: []string{"run", input}, want: exitUsage, stderr: "BOLNA_API_KEY"},
		{name: "no agent", env: map[string]string{"BOLNA_API_KEY": "k"}, args: []string{"run", input}, want: exitUsage, stderr: "--agent-id"},
		{name: "bad region", env: good, args: []string{"run", "--region", "XX", input}, want: exitUsage, stderr: "--region"},
		{name: "bad retry", env: good, args: []string{"run", "--retry", "maybe", input}, want: exitUsage, stderr: "--retry"},
		{name: "plain http off loopback", env: map[string]string{"BOLNA_API_KEY": "k", "BOLNA_AGENT_ID": "a", "BOLNA_BASE_URL": "http://api.bolna.ai"}, args: []string{"run", input}, want: exitUsage, stderr: "plain http"},
		{
			name: "bad key 403", env: map[string]string{"BOLNA_API_KEY": "bn-wrong-key-xyz", "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID},
			args: []string{"run", input}, want: exitFatal, stderr: "key was refused", forbid: "bn-wrong-key-xyz",
		},
		{
			name: "bad key 401", env: map[string]string{"BOLNA_API_KEY": "bn-wrong-key-xyz", "BOLNA_BASE_URL": docs.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID},
			args: []string{"run", input}, want: exitFatal, stderr: "Access denied", forbid: "bn-wrong-key-xyz",
		},
		{
			name: "unknown agent", env: map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": "nope"},
			args: []string{"run", input}, want: exitFatal, stderr: "agent nope was not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := newInvocation(tt.env)
			results := filepath.Join(t.TempDir(), "r.csv")
			args := tt.args
			if len(args) > 1 && args[0] == "run" && args[1] != "-h" {
				args = append([]string{"run", "--results", results}, args[1:]...)
			}
			if code := inv.run(args...); code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, inv.stderr.String())
			}
			if !strings.Contains(inv.stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not say %q", inv.stderr.String(), tt.stderr)
			}
			if tt.forbid != "" && strings.Contains(inv.stderr.String()+inv.stdout.String(), tt.forbid) {
				t.Errorf("output shows %q", tt.forbid)
			}
			if _, err := os.Stat(results); tt.noResult && err == nil {
				t.Errorf("a results file was written for unreadable input")
			}
		})
	}
	if n := len(srv.Placements()) + len(docs.Placements()); n != 0 {
		t.Errorf("%d calls placed by failing runs, want 0", n)
	}
}

func TestSandbox(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	data, err := os.ReadFile("../../samples/contacts.csv")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(input, data, 0o600)
	inv := newInvocation(nil)
	if code := inv.run("run", "--sandbox", "--rate", "0", input); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	rows := readRows(t, filepath.Join(dir, "contacts.sandbox.results.csv"))
	if want := strings.Count(string(data), "\n") - 1; len(rows) != want {
		t.Errorf("%d result rows, want %d", len(rows), want)
	}
	for _, row := range rows {
		if !row.Outcome.Settled() {
			t.Errorf("line %d: %s is not final", row.Line, row.Outcome.Status)
		}
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	input, phones := writeContacts(t, 10, "555,Bad,gold", "+919920000000,Dup,gold")
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": "k", "BOLNA_BASE_URL": "http://127.0.0.1:1"})
	if code := inv.run("run", "--dry-run", "--agent-id", "agent-x", input); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(inv.stdout.String()), "\n")
	if len(lines) != len(phones) {
		t.Fatalf("%d bodies printed, want %d", len(lines), len(phones))
	}
	for i, l := range lines {
		var body struct {
			AgentID   string            `json:"agent_id"`
			Recipient string            `json:"recipient_phone_number"`
			UserData  map[string]string `json:"user_data"`
		}
		if err := json.Unmarshal([]byte(l), &body); err != nil || body.AgentID != "agent-x" || body.Recipient != phones[i] || body.UserData["name"] == "" {
			t.Errorf("body %d = %s (%v)", i, l, err)
		}
	}
	for _, want := range []string{"12 rows read, 11 valid", "invalid              1  no country code", "duplicates           1", "to dial now         10"} {
		if !strings.Contains(inv.stderr.String(), want) {
			t.Errorf("summary %q lacks %q", inv.stderr.String(), want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(input)); len(entries) != 1 {
		t.Errorf("a dry run wrote files: %v", entries)
	}
}

func TestInterrupt(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 2, Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 20)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	inv := newInvocation(env)
	go func() {
		for len(srv.Placements()) < 4 {
			time.Sleep(time.Millisecond) // waiting on the server's state, not on time
		}
		inv.signals <- os.Interrupt
	}()
	code := inv.run("run", "--poll-interval", "20ms", "--concurrency", "2", input)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, inv.stderr.String())
	}
	placed := len(srv.Placements())
	rows := readRows(t, strings.TrimSuffix(input, ".csv")+".results.csv")
	for _, row := range rows {
		if s := row.Outcome.Status; s != journal.StatusPending && !row.Outcome.Settled() {
			t.Errorf("line %d: %s after a graceful stop, want final or pending", row.Line, s)
		}
	}
	if placed >= 20 {
		t.Fatalf("all %d calls placed despite the interrupt", placed)
	}
	rerun := newInvocation(env)
	if code := rerun.run("run", "--poll-interval", "20ms", input); code != exitOK {
		t.Fatalf("rerun exit %d; stderr:\n%s", code, rerun.stderr.String())
	}
	checkDialledOnce(t, srv, phones)
}

func TestLockHeld(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 1)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	lock, err := journal.AcquireLock(store.At(results).LockPath())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": "k", "BOLNA_AGENT_ID": "a", "BOLNA_BASE_URL": "http://127.0.0.1:1"})
	if code := inv.run("run", input); code != exitFatal || !strings.Contains(inv.stderr.String(), "held by another run") {
		t.Errorf("exit %d, stderr %q; want 1 naming the holder", code, inv.stderr.String())
	}
}
