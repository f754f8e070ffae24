package main

import (
	"strings"
	"testing"
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
