package journal_test

import (
	"path/filepath"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestCovers: a journal covers a results row when it knows the row as far as the row shows it:
// a row dialled is known, and a row final at its attempt is final there at that attempt (or
// the journal knows a later attempt).
func TestCovers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dial := func(key string, attempt int, final journal.Status) {
		st.Dial(key, key, attempt, st.Ref(key, attempt), integrityAt)
		st.Placed(key, attempt, "exec-"+key, integrityAt)
		if final != "" {
			st.Final(key, attempt, journal.Outcome{Status: final, ExecutionID: "exec-" + key})
		}
	}
	dial("+911", 1, journal.StatusCompleted)
	dial("+912", 1, journal.StatusNoAnswer)
	dial("+912", 2, "") // its final record lost
	dial("+914", 1, "") // in flight
	dial("+915", 1, journal.StatusNoAnswer)
	dial("+915", 2, journal.StatusCompleted)
	dial("+916", 1, journal.StatusTimeout)
	tests := []struct {
		key  string
		row  journal.Outcome
		want bool
	}{
		{"+911", journal.Outcome{Status: journal.StatusCompleted, Attempts: 1}, true},
		{"+912", journal.Outcome{Status: journal.StatusCompleted, Attempts: 2}, false},
		{"+912", journal.Outcome{Status: journal.StatusNoAnswer, Attempts: 1}, true},
		{"+913", journal.Outcome{Status: journal.StatusCompleted, Attempts: 1}, false},
		{"+913", journal.Outcome{Status: journal.StatusPending, Attempts: 1}, false},
		{"+913", journal.Outcome{Status: journal.StatusInvalid}, true},
		{"+913", journal.Outcome{Status: journal.StatusPending}, true},
		{"+914", journal.Outcome{Status: journal.StatusInFlight, Attempts: 1}, true},
		{"+914", journal.Outcome{Status: journal.StatusCompleted, Attempts: 1}, false},
		{"+914", journal.Outcome{Status: journal.StatusCompleted, Attempts: 3}, false},
		{"+915", journal.Outcome{Status: journal.StatusNoAnswer, Attempts: 1}, true},
		{"+916", journal.Outcome{Status: journal.StatusTimeout, Attempts: 1}, true},
	}
	for _, tt := range tests {
		if got := st.Covers(tt.key, tt.row); got != tt.want {
			t.Errorf("Covers(%s, %s after %d) = %v, want %v", tt.key, tt.row.Status, tt.row.Attempts, got, tt.want)
		}
	}
}
