package campaign

import (
	"bytes"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// A torn intent of an experiment's other arm (not the journal's owner) keeps its agent when
// the run records it whole: the call is followed, and an unresolved one looked for again by the
// next run, in its own agent's list. Recorded under the owner's agent, the next run would look
// for it in the owner's list, find it absent there, and dial the person again.
func TestTornIntentRecordedWholeKeepsItsAgent(t *testing.T) {
	t.Parallel()
	owner := journal.Owner{Agent: "agent-a", API: "memory"}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		ev     event
		agents func(*journal.State) []journal.LiveCall
	}{
		{"found", event{kind: evFound, id: "3c9a1e7f-0000-4000-8000-000000000001"}, (*journal.State).Live},
		{"unresolved", event{kind: evUnresolved, outcome: &journal.Outcome{Status: journal.StatusUnknown, Attempts: 1, Unresolved: true}}, (*journal.State).Torn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// An intent through agent-b, its line cut by a crash.
			full := journal.NewMemoryStore()
			st, err := journal.OpenStore("memory", full, owner)
			if err != nil {
				t.Fatal(err)
			}
			lc := journal.LiveCall{Key: "k1", Phone: "+15550000001", Attempt: 1, Ref: st.Ref("k1", 1), DialedAt: at, Agent: "agent-b"}
			if err := st.DialRow(lc); err != nil {
				t.Fatal(err)
			}
			data := full.Bytes()
			cut := journal.NewMemoryStore()
			cut.Write(data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1+len(`{"ev":"dial","agent":"agent-b","key":"k1","phone":"+15550000001","attempt":1,`)])
			st, err = journal.OpenStore("memory", cut, owner)
			if err != nil {
				t.Fatal(err)
			}
			torn := st.Torn()
			if len(torn) != 1 || torn[0].Agent != "agent-b" {
				t.Fatalf("torn intents %+v, want one through agent-b", torn)
			}
			led := newLedger(ledgerDeps{st: st, now: func() time.Time { return at }, looks: newPacer(time.Second, 100)})
			a := &attempt{LiveCall: torn[0], adopted: true, torn: true}
			for _, ev := range []event{{kind: evOrphaned}, tc.ev} {
				if _, err := led.apply(a, ev); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			next, err := journal.OpenStore("memory", cut, owner)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.agents(next)
			if len(got) != 1 || got[0].Agent != "agent-b" {
				t.Errorf("after the intent was recorded whole, the next run has %+v: want the call through agent-b, whose list it is looked for in", got)
			}
		})
	}
}
