package campaign

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// TestAttemptMoves: an attempt's life is the moves table: a slot is taken with the intent and
// given back by the one move that leaves the phases holding one (taken back if a dropped line
// turns out live); an ended attempt never moves again, and a move the table forbids is an
// internal error, with nothing recorded.
func TestAttemptMoves(t *testing.T) {
	t.Parallel()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "r.csv.state"), journal.Owner{Agent: "a", API: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	led := newLedger(ledgerDeps{st: st, now: time.Now, pool: newSizedPool(1)})
	held := func() int { n, _ := led.pool.outstanding(); return n }
	a, err := led.reserve(t.Context(), "+911", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := led.intent(a, journal.LiveCall{Key: "+911", Phone: "+911", Attempt: 1, Ref: st.Ref("+911", 1), DialedAt: time.Now()}); err != nil || held() != 1 {
		t.Fatalf("intent: %v, %d slots held", err, held())
	}
	steps := []struct {
		ev   event
		to   phase
		held int
	}{
		{event{kind: evPlaced, id: "e1"}, phaseUnknown, 1},
		{event{kind: evSeen, status: dialer.StatusRinging}, phaseRinging, 1},
		{event{kind: evPushed, status: dialer.StatusCallDisconnected, mayFree: true}, phaseDropped, 0},
		{event{kind: evSeen, status: dialer.StatusInProgress}, phaseTalking, 1}, // a push said dropped; a look says talking
		{event{kind: evSeen, status: dialer.StatusCallDisconnected}, phaseDropped, 0},
		{event{kind: evSeen, status: dialer.StatusInProgress}, phaseDropped, 0}, // late: the line has dropped already
		{event{kind: evFinal, outcome: &journal.Outcome{Status: journal.StatusCompleted}}, phaseFinal, 0},
	}
	for _, s := range steps {
		if _, err := led.apply(a, s.ev); err != nil || held() != s.held || a.phase != s.to {
			t.Fatalf("%s: %v, %s, %d slots held, want %s, %d", s.ev.kind, err, a.phase, held(), s.to, s.held)
		}
	}
	if e := st.Lookup("+911"); e.Status != journal.StatusCompleted || e.Live != nil {
		t.Errorf("journal: %+v, want completed", e)
	}
	for _, ev := range []event{{kind: evSeen, status: dialer.StatusRinging}, {kind: evUnsent}, {kind: evFinal, outcome: &journal.Outcome{Status: journal.StatusFailed}}, {kind: evIntent}} {
		var ie *invariantError
		if _, err := led.apply(a, ev); !errors.As(err, &ie) {
			t.Errorf("final, %s: %v, want an internal error", ev.kind, err)
		}
	}
	if e := st.Lookup("+911"); e.Status != journal.StatusCompleted || held() != 0 {
		t.Errorf("after refused moves: %+v, %d slots held", e, held())
	}
	if _, extra := led.pool.outstanding(); extra != 0 {
		t.Errorf("%d slots given back that were not held", extra)
	}
}
