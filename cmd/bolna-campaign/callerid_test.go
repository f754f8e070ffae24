package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestPerNumberSplitRefused (#28.6): a --per-number-concurrency that a shard cannot keep (its
// part of every number would be 0) is a usage error naming the limit it needs, before any
// call; one that each shard can keep runs.
func TestPerNumberSplitRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"one number at 1 over 2 shards", []string{"--shard", "1/2", "--from-number", "+919800000001", "--per-number-concurrency", "1"},
			exitUsage, "give --per-number-concurrency at least 2"},
		{"a column at 1 over 2 shards", []string{"--shard", "0/2", "--from-number-column", "plan", "--per-number-concurrency", "1"},
			exitUsage, "--from-number-column"},
		{"two numbers at 1 over 2 shards", []string{"--shard", "1/2", "--from-number", "+919800000001", "--from-number", "+919800000002", "--per-number-concurrency", "1"},
			exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			input, _ := writeContacts(t, 4)
			inv := newInvocation(nil)
			code := inv.run(append(append([]string{"run", "--sandbox", "--dry-run"}, tt.args...), input)...)
			if code != tt.code || !strings.Contains(inv.stderr.String(), tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, inv.stderr.String())
			}
		})
	}
}

// TestDryRunShowsCallerID (#31.2): the dry run's bodies carry the from_phone_number a run
// would use: the pool's number of the contact's country, or the row's own; and
// --caller-id-fallback takes only wait or any.
func TestDryRunShowsCallerID(t *testing.T) {
	t.Parallel()
	input, phones := writeContacts(t, 3)
	inv := newInvocation(nil)
	code := inv.run("run", "--sandbox", "--dry-run", "--from-number", "+14155550100", "--from-number", "+919800000001",
		"--per-number-concurrency", "1", input)
	bodies := strings.Split(strings.TrimSpace(inv.stdout.String()), "\n")
	if code != exitOK || len(bodies) != len(phones) {
		t.Fatalf("dry run: exit %d, %d bodies, want 0 and %d:\n%s", code, len(bodies), len(phones), inv.stderr.String())
	}
	for _, b := range bodies {
		if !strings.Contains(b, `"from_phone_number":"+919800000001"`) {
			t.Errorf("a body without the Indian caller id: %s", b)
		}
	}
	inv = newInvocation(nil)
	if code := inv.run("run", "--sandbox", "--dry-run", "--caller-id-fallback", "never", input); code != exitUsage {
		t.Errorf("--caller-id-fallback never: exit %d, want %d", code, exitUsage)
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
