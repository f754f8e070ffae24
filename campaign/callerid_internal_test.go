package campaign

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestCallerIDCapsAcrossShards (#28.6): each caller id's --per-number-concurrency is split
// between the shards of a campaign so that their parts add up to it, a number at a time from
// its own offset (a pool of 2 at 1 over 2 shards is one number each); a shard left no part of
// any number of its pool, or (with a caller id column) a limit below the shards, is refused
// with the limit it needs, never run uncapped.
func TestCallerIDCapsAcrossShards(t *testing.T) {
	t.Parallel()
	pool := []string{"+919800000002", "+919800000001", "+14155550100"}
	const ownNumber = "+442071234567" // outside the pool: a row's own
	tests := []struct {
		name     string
		numbers  int
		cap, n   int
		column   bool
		refused  []int  // the shards refused
		wantText string // in the refusal
	}{
		{"no limit", 2, 0, 2, true, nil, ""},
		{"one run", 1, 1, 1, true, nil, ""},
		{"a pool of 2 at 1 over 2 shards: a number each", 2, 1, 2, false, nil, ""},
		{"a pool of 1 at 1 over 2 shards", 1, 1, 2, false, []int{1}, "at least 2"},
		{"a pool of 2 at 1 over 3 shards", 2, 1, 3, false, []int{2}, "at least 2"},
		{"a pool of 3 at 2 over 4 shards", 3, 2, 4, false, nil, ""},
		{"a pool of 3 at 5 over 2 shards", 3, 5, 2, false, nil, ""},
		{"a column, a limit below the shards", 2, 1, 2, true, []int{0, 1}, "--from-number-column"},
		{"a column, a limit of the shards", 2, 3, 3, true, nil, ""},
	}
	for _, tt := range tests {
		numbers := pool[:tt.numbers]
		sums := map[string]int{}
		for k := range tt.n {
			cfg := &Config{FromNumbers: numbers, PerNumber: tt.cap, Shard: Shard{K: k, N: tt.n}}
			if tt.column {
				cfg.Load.FromColumn = "from"
			}
			err := cfg.CheckCallerIDs()
			refused := false
			for _, r := range tt.refused {
				refused = refused || r == k
			}
			if refused != (err != nil) || err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("%s: shard %d: CheckCallerIDs() = %v, want refused %v (%q)", tt.name, k, err, refused, tt.wantText)
			}
			p := callerIDsOf(cfg)
			for _, number := range slices.Concat(numbers, []string{ownNumber}) {
				sums[number] += p.capOf(number)
			}
		}
		for number, sum := range sums {
			if tt.cap > 0 && sum != tt.cap || tt.cap == 0 && sum != -tt.n { // -1 a shard: no limit
				t.Errorf("%s: the shards' parts of %s add up to %d, want %d", tt.name, number, sum, tt.cap)
			}
		}
	}
}

// TestCallerIDFallbackInShard (#31.2): with --caller-id-fallback wait, a shard that has no
// part of any number of a contact's country (a pool of an Indian and a US number at 1 over 2
// shards: one each) takes the number it has, at once, and says so; the shard with the Indian
// number calls Indian contacts from it alone.
func TestCallerIDFallbackInShard(t *testing.T) {
	t.Parallel()
	const india, us, contact = "+919800000001", "+14155550100", "+919812345678"
	for k, want := range []string{us, india} {
		var said []string
		cfg := &Config{FromNumbers: []string{india, us}, PerNumber: 1, Shard: Shard{K: k, N: 2}}
		p := callerIDsOf(cfg)
		p.logf = func(_ facts, format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }
		got, err := p.acquire(t.Context(), contact, "")
		if err != nil || got != want {
			t.Errorf("shard %d: %q, %v; want %q", k, got, err, want)
		}
		if fallback := want != india; fallback != (len(said) == 1) || fallback && !strings.Contains(said[0], "no part") {
			t.Errorf("shard %d: said %q; want one line of the fallback exactly when it is one", k, said)
		}
		for _, line := range said {
			if strings.Contains(line, us) || strings.Contains(line, contact) || !strings.Contains(line, maskPhone(us)) {
				t.Errorf("shard %d: said %q; want the caller id and the contact's number masked", k, line)
			}
		}
	}
}
