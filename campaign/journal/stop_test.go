package journal_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestStoppedArms: the arms a run stops are read back from the journal, once each, in the
// order stopped, until the next run records its account (its start).
func TestStoppedArms(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, journal.Owner{Agent: "a", API: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, agent := range []string{"b", "c", "b"} {
		if err := st.StopArm(agent, "behind"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	read, err := journal.ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := read.StoppedArms(); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("stopped arms %v after reopening, want [b c]", got)
	}
	st, err = journal.OpenState(path, journal.Owner{Agent: "a", API: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.NoteAccount(journal.Account{At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := st.StoppedArms(); got != nil {
		t.Errorf("stopped arms %v once a new run began, want none", got)
	}
}
