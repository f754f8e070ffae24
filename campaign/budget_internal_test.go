package campaign

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestBudgetLearnsFromCallsOnly: the mean cost per call is learnt from calls Bolna made; an
// attempt the history skipped, Bolna refused, or that stayed unresolved costs nothing and says
// nothing of what a call costs (counted, they pulled the mean down and let spend pass the cap).
func TestBudgetLearnsFromCallsOnly(t *testing.T) {
	t.Parallel()
	spent := 10.0
	b := &budget{cap: 100, spent: func() float64 { return spent }, changed: make(chan struct{})}
	b.ended(&journal.Outcome{Status: journal.StatusCompleted, ExecutionID: "e1", Cost: 10})
	for _, o := range []journal.Outcome{
		{Status: journal.StatusRecent},
		{Status: journal.StatusError, Error: "Bolna refused the call"},
		{Status: journal.StatusUnknown, Unresolved: true},
	} {
		b.ended(&o)
	}
	b.ended(nil) // a void
	if got := b.each(); got != 10 {
		t.Errorf("mean cost %.2f, want 10: only the one call Bolna made teaches it", got)
	}
}
