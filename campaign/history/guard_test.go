package history_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
)

// t0 is the tests' now: every time is given, none is read from the clock.
var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

const person = "+919876543210"

// attempt is an attempt of campaign to call person at t0+after.
func attempt(campaign, ref string, after time.Duration) history.Attempt {
	return history.Attempt{Campaign: campaign, Phone: person, Number: 1, Ref: ref, At: t0.Add(after),
		Agent: "agent-" + campaign, List: campaign + ".csv", Results: campaign + ".results.csv"}
}

// reserve reserves a and fails the test unless the guard let it go.
func reserve(t *testing.T, s *history.Store, a history.Attempt) {
	t.Helper()
	d, err := s.Reserve(t.Context(), a, history.Rules{})
	if err != nil || !d.Allowed {
		t.Fatalf("reserve %s: %+v, %v", a.Ref, d, err)
	}
}

var (
	day  = 24 * time.Hour
	gap  = history.Rules{MinGap: day}
	cap2 = history.Rules{MaxCalls: 2, Period: 7 * day}
)

// guardCases are TestGuard's: what was recorded before (setup), the rules, and the decision
// on the attempt asked for at t0 by campaign "c".
var guardCases = []struct {
	name  string
	setup func(t *testing.T, s *history.Store, dsn string)
	rules history.Rules
	want  history.Kind // "" allowed
	other string       // KindRecent: the campaign the reason names
}{
	{"a first call goes", nil, gap, "", ""},
	{"do-not-call skips", func(t *testing.T, s *history.Store, _ string) {
		if _, err := s.AddDoNotCall(t.Context(), "asked on the phone", t0.Add(-day), person); err != nil {
			t.Fatal(err)
		}
	}, history.Rules{}, history.KindDoNotCall, ""},
	{"removed from do-not-call goes", func(t *testing.T, s *history.Store, _ string) {
		s.AddDoNotCall(t.Context(), "", t0.Add(-day), person)
		if n, err := s.RemoveDoNotCall(t.Context(), person); n != 1 || err != nil {
			t.Fatalf("removed %d, %v", n, err)
		}
	}, history.Rules{}, "", ""},
	{"another campaign within the gap skips, naming it", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("other", "o1", -23*time.Hour))
	}, gap, history.KindRecent, "other"},
	{"another campaign before the gap goes", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("other", "o1", -25*time.Hour))
	}, gap, "", ""},
	{"the campaign's own attempt does not count against the gap", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("c", "c0", -time.Hour))
	}, gap, "", ""},
	{"a reservation whose process died counts until settled", func(t *testing.T, _ *history.Store, dsn string) {
		dead, err := history.Open(t.Context(), dsn) // another process, which dies after reserving
		if err != nil {
			t.Fatal(err)
		}
		reserve(t, dead, attempt("other", "o1", -time.Hour))
		dead.Close()
	}, gap, history.KindRecent, "other"},
	{"a settled call still counts", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("other", "o1", -time.Hour))
		must(t, s.Placed(t.Context(), "o1", "exec-1", t0.Add(-time.Hour)))
		must(t, s.Settle(t.Context(), "o1", history.Outcome{Status: "no-answer", Result: "no-answer", Ended: t0}))
	}, gap, history.KindRecent, "other"},
	{"a voided reservation does not count", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("other", "o1", -time.Hour))
		must(t, s.Void(t.Context(), "o1"))
	}, gap, "", ""},
	{"two calls in the period by two campaigns cap it (2/7d)", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("a", "a1", -6*day))
		reserve(t, s, attempt("b", "b1", -time.Minute))
	}, cap2, history.KindCapped, ""},
	{"the campaign's own calls count against the cap", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("c", "c1", -2*day))
		reserve(t, s, attempt("c", "c2", -day))
	}, cap2, history.KindCapped, ""},
	{"a call before the period does not count against the cap", func(t *testing.T, s *history.Store, _ string) {
		reserve(t, s, attempt("a", "a1", -8*day))
		reserve(t, s, attempt("b", "b1", -day))
	}, cap2, "", ""},
	{"a paused campaign is refused", func(t *testing.T, s *history.Store, _ string) {
		must(t, s.Pause(t.Context(), history.Pause{Campaign: "c", By: "ops@host", At: t0.Add(-time.Hour), Reason: "complaint"}))
	}, history.Rules{}, history.KindPaused, ""},
	{"a pause of all refuses every campaign", func(t *testing.T, s *history.Store, _ string) {
		must(t, s.Pause(t.Context(), history.Pause{Campaign: history.All, By: "ops@host", At: t0}))
	}, history.Rules{}, history.KindPaused, ""},
	{"a pause of another campaign does not", func(t *testing.T, s *history.Store, _ string) {
		must(t, s.Pause(t.Context(), history.Pause{Campaign: "other", By: "ops@host", At: t0}))
	}, history.Rules{}, "", ""},
	{"a resumed campaign goes", func(t *testing.T, s *history.Store, _ string) {
		must(t, s.Pause(t.Context(), history.Pause{Campaign: "c", By: "ops@host", At: t0}))
		if ok, err := s.Resume(t.Context(), "c"); !ok || err != nil {
			t.Fatalf("resume: %v, %v", ok, err)
		}
	}, history.Rules{}, "", ""},
}

// TestGuard is the guard's rules, each on both backends: what was recorded before (setup), the
// attempt asked for at t0 by campaign "c", and the decision.
func TestGuard(t *testing.T) {
	t.Parallel()
	for _, tt := range guardCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, dsn string) {
				s := open(t, dsn)
				if tt.setup != nil {
					tt.setup(t, s, dsn)
				}
				d, err := s.Reserve(t.Context(), attempt("c", "mine", 0), tt.rules)
				if err != nil {
					t.Fatal(err)
				}
				checkDecision(t, d, tt.want, tt.other)
				counted := countAttempts(t, s, "mine")
				if want := b2i(tt.want == ""); counted != want {
					t.Errorf("the attempt is in the history %d times, want %d", counted, want)
				}
			})
		})
	}
}

func checkDecision(t *testing.T, d history.Decision, want history.Kind, other string) {
	t.Helper()
	if d.Allowed != (want == "") || d.Kind != want {
		t.Fatalf("decision %+v, want kind %q", d, want)
	}
	if want != "" && d.Reason == "" {
		t.Errorf("a %s skip without a reason", want)
	}
	if other != "" && (d.Campaign != other || !strings.Contains(d.Reason, other) || !strings.Contains(d.Reason, d.At.Format(time.RFC3339))) {
		t.Errorf("reason %q (campaign %q at %s) does not name campaign %s and when", d.Reason, d.Campaign, d.At, other)
	}
	if want == history.KindPaused && (d.Pause == nil || !strings.Contains(d.Reason, "ops@host")) {
		t.Errorf("paused without who and when: %+v", d)
	}
}

// countAttempts is how many of the person's attempts carry ref.
func countAttempts(t *testing.T, s *history.Store, ref string) int {
	t.Helper()
	entries, err := s.PersonHistory(t.Context(), person)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Ref == ref {
			n++
		}
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestReserveRace: many reservations of one person at once, from goroutines on two handles of
// the history (two processes' worth: two pools of connections), pass the guard exactly as often
// as the rules allow: once with a minimum gap, twice with a cap of 2.
func TestReserveRace(t *testing.T) {
	t.Parallel()
	const n = 8
	tests := []struct {
		name  string
		rules history.Rules
		want  int
		skip  history.Kind
	}{
		{"min-gap", history.Rules{MinGap: day}, 1, history.KindRecent},
		{"max-calls 2/7d", history.Rules{MaxCalls: 2, Period: 7 * day}, 2, history.KindCapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, dsn string) {
				stores := openConcurrently(t, dsn, 2)
				decisions := make([]history.Decision, n)
				errs := make([]error, n)
				start := make(chan struct{})
				done := make(chan int)
				for i := range n {
					go func() {
						<-start
						a := attempt("c"+strconv.Itoa(i), "r"+strconv.Itoa(i), 0)
						decisions[i], errs[i] = stores[i%2].Reserve(context.Background(), a, tt.rules)
						done <- i
					}()
				}
				close(start)
				for range n {
					<-done
				}
				passed := 0
				for i, d := range decisions {
					switch {
					case errs[i] != nil:
						t.Errorf("reservation %d: %v", i, errs[i])
					case d.Allowed:
						passed++
					case d.Kind != tt.skip:
						t.Errorf("reservation %d: %+v, want %s", i, d, tt.skip)
					}
				}
				if passed != tt.want {
					t.Errorf("%d of %d reservations of one person passed, want %d", passed, n, tt.want)
				}
				if entries, _ := stores[0].PersonHistory(t.Context(), person); len(entries) != tt.want {
					t.Errorf("the history holds %d attempts, want %d", len(entries), tt.want)
				}
			})
		})
	}
}

// openConcurrently opens k handles of the history at dsn at once: the first opens of a
// history (its migrations) do not trip over each other.
func openConcurrently(t *testing.T, dsn string, k int) []*history.Store {
	t.Helper()
	stores := make([]*history.Store, k)
	errs := make(chan error, k)
	for i := range k {
		go func() {
			s, err := history.Open(t.Context(), dsn)
			stores[i] = s
			errs <- err
		}()
	}
	for range k {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stores {
		t.Cleanup(func() { s.Close() })
	}
	return stores
}

// TestRefs: asking again for a reservation after a crash is answered as a repeat, with nothing
// new recorded; a reference that is another attempt's, or voided, is refused with a RefError;
// an attempt with an execution id (a call was made) cannot be voided, nor a void one settled.
func TestRefs(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := t.Context()
		reserve(t, s, attempt("c", "r1", 0))
		d, err := s.Reserve(ctx, attempt("c", "r1", time.Minute), history.Rules{MinGap: day})
		if err != nil || !d.Allowed || !d.Repeat {
			t.Errorf("asked again: %+v, %v; want allowed, a repeat", d, err)
		}
		var refErr *history.RefError
		if _, err := s.Reserve(ctx, attempt("other", "r1", 0), history.Rules{}); !errors.As(err, &refErr) {
			t.Errorf("another campaign's reference: %v, want a RefError", err)
		}
		must(t, s.Placed(ctx, "r1", "exec-1", t0))
		if err := s.Void(ctx, "r1"); !errors.As(err, &refErr) {
			t.Errorf("void of a placed call: %v, want a RefError", err)
		}
		reserve(t, s, attempt("c", "r2", time.Hour))
		must(t, s.Void(ctx, "r2"))
		must(t, s.Void(ctx, "r2"))
		if err := s.Settle(ctx, "r2", history.Outcome{Status: "completed"}); !errors.As(err, &refErr) {
			t.Errorf("settle of a void attempt: %v, want a RefError", err)
		}
		if _, err := s.Reserve(ctx, attempt("c", "r2", time.Hour), history.Rules{}); !errors.As(err, &refErr) {
			t.Errorf("a voided reference reserved again: %v, want a RefError", err)
		}
		for _, op := range []func() error{
			func() error { return s.Placed(ctx, "nope", "exec-9", t0) },
			func() error { return s.Settle(ctx, "nope", history.Outcome{}) },
			func() error { return s.Void(ctx, "nope") },
		} {
			if err := op(); !errors.As(err, &refErr) {
				t.Errorf("an unknown reference: %v, want a RefError", err)
			}
		}
		if entries, _ := s.PersonHistory(ctx, person); len(entries) != 2 || entries[0].ExecutionID != "exec-1" || entries[1].State != history.StateVoid {
			t.Errorf("history %+v", entries)
		}
	})
}
