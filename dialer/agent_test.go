package dialer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// referencePlaceholder is the grammar of a placeholder, written the obvious way: the scanner
// must find exactly what it finds.
var referencePlaceholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "{", "}", "{}", "{name}", "Hi {name}, your {appointment_date} at {clinic}.",
		"{{name}}", "{na{me}", "{9lives}", "{_x9}", "{a-b}", "{a b}", "{ a}", "{a}{b}{c}", "{a}}{b",
		"{é}", "{abc", "abc}", "{{{", "{x}{", "{x}y}", "\x00{a}\xff{b}", "{A_1}{a_1}{A_1}",
	} {
		var want, got []string
		for _, m := range referencePlaceholder.FindAllStringSubmatch(s, -1) {
			want = append(want, m[1])
		}
		for name := range placeholders(s) {
			got = append(got, name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("placeholders(%q) = %q, want %q", s, got, want)
		}
	}
	a := &Agent{SystemPrompt: "Call {name} about {clinic}; today is {current_date}.", WelcomeMessage: "Hello {name}{agent_id}{zone}"}
	if got, want := a.Variables(), []string{"clinic", "name", "zone"}; !slices.Equal(got, want) {
		t.Errorf("Variables() = %q, want %q (sorted, each once, Bolna's own left out)", got, want)
	}
}

func FuzzPlaceholders(f *testing.F) {
	f.Add("Hi {name}, {x1}{9}{_}")
	f.Fuzz(func(t *testing.T, s string) {
		var want, got []string
		for _, m := range referencePlaceholder.FindAllStringSubmatch(s, -1) {
			want = append(want, m[1])
		}
		for name := range placeholders(s) {
			got = append(got, name)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("placeholders(%q) = %q, want %q", s, got, want)
		}
	})
}

// hostilePrompt is a prompt of n distinct {variables}.
func hostilePrompt(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{v%d} ", i)
	}
	return b.String()
}

// TestVariablesWork: a hostile prompt of 200,000 distinct variables is read with a bounded
// number of allocations (the answer's slice and the set of names seen grow a table at a time;
// no allocation per placeholder), so check stays quick however loaded the machine: the work is
// asserted, not the time (a wall-clock limit failed under -race on a busy machine). Not
// parallel: AllocsPerRun counts the whole process's allocations.
func TestVariablesWork(t *testing.T) {
	for _, n := range []int{1_000, 200_000} {
		a := &Agent{SystemPrompt: hostilePrompt(n)}
		if got := len(a.Variables()); got != n {
			t.Fatalf("%d variables found of %d", got, n)
		}
		allocs := testing.AllocsPerRun(2, func() { a.Variables() })
		if limit := float64(n/100 + 100); allocs > limit {
			t.Errorf("Variables over %d placeholders: %.0f allocations, want at most %.0f (the set grows by tables, not by placeholders)", n, allocs, limit)
		}
	}
}

func BenchmarkVariables(b *testing.B) {
	a := &Agent{SystemPrompt: hostilePrompt(200_000)}
	b.ReportAllocs()
	for b.Loop() {
		a.Variables()
	}
}
