package history_test

import (
	"slices"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
)

// TestUnsettled: a campaign's attempts still reserved or placed, and only its own, are what a
// run reconciles with its journal; settled and voided ones are not listed. The same on both
// backends, through the runner's adapter (history.Guard).
func TestUnsettled(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		g := history.Guard{Store: s}
		for _, ref := range []string{"c-1", "c-2", "c-3", "c-4"} {
			v, err := g.Reserve(t.Context(), campaign.GuardAttempt{Campaign: "c", Phone: person, Number: 1, Ref: ref, At: t0}, campaign.Rules{})
			if err != nil || !v.Allowed {
				t.Fatalf("reserve %s: %+v, %v", ref, v, err)
			}
		}
		reserve(t, s, attempt("other", "o-1", 0))
		must(t, g.Placed(t.Context(), "c-2", "ex-2", t0))
		must(t, g.Settle(t.Context(), "c-3", campaign.Settlement{ExecutionID: "ex-3", Status: "completed", Result: "answered", Cost: 7, Talk: 30, Ended: t0}))
		must(t, g.Void(t.Context(), "c-4"))
		refs, err := g.Unsettled(t.Context(), "c")
		if err != nil || !slices.Equal(refs, []string{"c-1", "c-2"}) {
			t.Fatalf("unsettled: %v, %v; want c-1 (reserved) and c-2 (placed)", refs, err)
		}
		entries, err := s.PersonHistory(t.Context(), person)
		must(t, err)
		for _, e := range entries {
			if e.Ref == "c-3" && (e.State != history.StateSettled || e.Cost != 7 || e.Result != "answered" || e.ExecutionID != "ex-3") {
				t.Errorf("settled through the adapter: %+v", e)
			}
		}
		if spent, err := g.DailySpend(t.Context(), t0.Add(-day)); spent != 7 || err != nil {
			t.Errorf("daily spend: %v, %v; want 7", spent, err)
		}
	})
}

// TestGuardVerdicts: the adapter's verdicts name the row's status (recent, capped,
// do-not-call) or campaign.VerdictPaused, with the store's reason.
func TestGuardVerdicts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		g := history.Guard{Store: s}
		reserve(t, s, attempt("a", "a-1", -day/2))
		ask := func(ref string, r campaign.Rules) campaign.Verdict {
			v, err := g.Reserve(t.Context(), campaign.GuardAttempt{Campaign: "b", Phone: person, Number: 1, Ref: ref, At: t0}, r)
			must(t, err)
			return v
		}
		if v := ask("b-1", campaign.Rules{MinGap: day}); v.Allowed || v.Kind != "recent" || v.Reason == "" {
			t.Errorf("within the gap: %+v", v)
		}
		if v := ask("b-1", campaign.Rules{MaxCalls: 1, Period: day}); v.Allowed || v.Kind != "capped" {
			t.Errorf("at the cap: %+v", v)
		}
		must(t, s.Pause(t.Context(), history.Pause{Campaign: "b", By: "ops", At: t0}))
		if v := ask("b-1", campaign.Rules{}); v.Allowed || v.Kind != campaign.VerdictPaused {
			t.Errorf("paused: %+v", v)
		}
		if _, err := s.Resume(t.Context(), "b"); err != nil {
			t.Fatal(err)
		}
		_, err := s.AddDoNotCall(t.Context(), "", t0, person)
		must(t, err)
		if v := ask("b-1", campaign.Rules{}); v.Allowed || v.Kind != "do-not-call" {
			t.Errorf("do-not-call: %+v", v)
		}
	})
}
