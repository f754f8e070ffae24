package journal_test

import (
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestMemoryStore: a journal kept in memory replays as a file's does: what was synced stays
// through a crash, an intent cut mid-line by one is kept as torn, and a record written but
// not synced is gone with the machine.
func TestMemoryStore(t *testing.T) {
	t.Parallel()
	owner := journal.Owner{Agent: "a", API: "x"}
	store := journal.NewMemoryStore()
	st, err := journal.OpenStore("memory", store, owner)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if err := st.Dial("+911", "+911", 1, st.Ref("+911", 1), at); err != nil {
		t.Fatal(err)
	}
	if err := st.Final("+911", 1, journal.Outcome{Status: journal.StatusCompleted}); err != nil { // not synced
		t.Fatal(err)
	}
	whole := store.Crash(1 << 20) // the process died: every write stays
	st2, err := journal.OpenStore("memory", whole, owner)
	if err != nil {
		t.Fatal(err)
	}
	if e := st2.Lookup("+911"); e.Status != journal.StatusCompleted || st2.Campaign() != st.Campaign() {
		t.Errorf("after a kill: %+v, campaign %s; want completed in %s", e, st2.Campaign(), st.Campaign())
	}
	lost := store.Crash(0) // the machine went down: the outcome was never synced
	st3, err := journal.OpenStore("memory", lost, owner)
	if err != nil {
		t.Fatal(err)
	}
	if e := st3.Lookup("+911"); e.Live == nil || e.Status != "" {
		t.Errorf("after a power loss: %+v, want the call live (followed again)", e)
	}
	if err := st3.Dial("+912", "+912", 1, st3.Ref("+912", 1), at); err != nil {
		t.Fatal(err)
	}
	cut := journal.NewMemoryStore()
	full := lost.Bytes()
	if _, err := cut.Write(full[:len(full)-5]); err != nil { // the last intent cut mid-line
		t.Fatal(err)
	}
	st4, err := journal.OpenStore("memory", cut, owner)
	if err != nil {
		t.Fatal(err)
	}
	if torn := st4.Torn(); len(torn) != 1 || torn[0].Key != "+912" {
		t.Errorf("a cut intent: torn %+v, want +912's kept", torn)
	}
}
