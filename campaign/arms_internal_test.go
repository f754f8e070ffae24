package campaign

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestArmsCountNoSkip: a row the account's guard kept off (its intent noted, then a skip
// outcome: no call) counts for no arm, and a row called once and kept off on its retry counts
// for what its call came to; the rows called count as before.
func TestArmsCountNoSkip(t *testing.T) {
	t.Parallel()
	cfg := &Config{Arms: []Arm{{AgentID: "a"}, {AgentID: "b"}}}
	cfg.setDefaults()
	b := newArmBook(cfg)
	completed := journal.Outcome{Status: journal.StatusCompleted, Attempts: 1, ExecutionID: "x", Duration: 30}
	b.note("r1", "a", nil)
	b.note("r1", "a", &completed)
	b.note("r2", "a", nil)
	b.note("r2", "a", &journal.Outcome{Status: journal.StatusRecent, Attempts: 1})
	b.note("r3", "b", nil)
	b.note("r3", "b", &journal.Outcome{Status: journal.StatusNoAnswer, Attempts: 1, ExecutionID: "y"})
	b.note("r3", "b", nil) // a retry, then kept off by the guard
	b.note("r3", "b", &journal.Outcome{Status: journal.StatusCapped, Attempts: 2})
	for i, want := range []struct{ dialled, finished int }{{1, 1}, {1, 1}} {
		if c := b.counts[i]; c.Dialled != want.dialled || c.Finished != want.finished {
			t.Errorf("arm %s: %+v, want %d dialled, %d finished", c.Name, c, want.dialled, want.finished)
		}
	}
}
