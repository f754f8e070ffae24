package campaign

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// TestPushByRefOfAnotherAgent: a push naming, by its reference, a call whose placement reply
// was lost, but another agent (or another number), is foreign: it is not taken for the call,
// whose execution id stays unknown until a search finds the call in its own agent's list.
// Taken, the call would be followed (and its outcome recorded) under the push's id.
func TestPushByRefOfAnotherAgent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, agent, to string }{
		{"another agent", "agent-a", "+15550000001"},
		{"another number", "agent-b", "+15550000999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := journal.OpenStore("memory", journal.NewMemoryStore(), journal.Owner{Agent: "agent-a", API: "memory"})
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{AgentID: "agent-a"}
			cfg.setDefaults()
			led := newLedger(ledgerDeps{st: st, now: time.Now, looks: newLimits(&cfg).looks})
			tr := newTracker(trackerDeps{cfg: &cfg, dialer: statusDialer{}, st: st, ledger: led, looks: newLimits(&cfg).looks})
			lc := journal.LiveCall{Key: "k1", Phone: "+15550000001", Attempt: 1, Ref: st.Ref("k1", 1), DialedAt: time.Now(), Agent: "agent-b"}
			if err := st.DialRow(lc); err != nil {
				t.Fatal(err)
			}
			c := &attempt{LiveCall: lc, adopted: true}
			for _, ev := range []event{{kind: evOrphaned}, {kind: evTracked}} {
				if _, err := led.apply(c, ev); err != nil {
					t.Fatal(err)
				}
			}
			var ex dialer.Execution
			ex.ID, ex.AgentID, ex.Status = "3c9a1e7f-0000-4000-8000-000000000001", tc.agent, dialer.StatusCompleted
			ex.TelephonyData.ToNumber = tc.to
			ex.ContextDetails.RecipientData = map[string]json.RawMessage{contacts.RefKey: json.RawMessage(strconv.Quote(lc.Ref))}
			if err := tr.observed(&ex, time.Now()); err != nil {
				t.Fatal(err)
			}
			if c.ExecutionID != "" || c.phase != phaseSearching {
				t.Errorf("after a push of %s naming its reference, the call is %s with id %q: want still searched for, with no id", tc.name, c.phase, c.ExecutionID)
			}
			if s := tr.in.observations(); s.Foreign != 1 {
				t.Errorf("observations %+v: want the push counted foreign", s)
			}
		})
	}
}
