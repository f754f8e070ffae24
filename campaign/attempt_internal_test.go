package campaign

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
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
	led := &ledger{st: st, now: time.Now, pool: newPool(1)}
	held := func() int { n, _ := led.pool.outstanding(); return n }
	res, err := led.reserve(t.Context(), "+911", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := led.intent(res, journal.LiveCall{Key: "+911", Phone: "+911", Attempt: 1, Ref: st.Ref("+911", 1), DialedAt: time.Now()})
	if err != nil || held() != 1 {
		t.Fatalf("intent: %v, %d slots held", err, held())
	}
	steps := []struct {
		to   phase
		s    step
		held int
	}{
		{phaseUnknown, step{placed: "e1"}, 1},
		{phaseRinging, step{}, 1},
		{phaseDropped, step{}, 0},
		{phaseTalking, step{}, 1}, // a push said dropped; a look says talking
		{phaseDropped, step{}, 0},
		{phaseFinal, step{outcome: &journal.Outcome{Status: journal.StatusCompleted}}, 0},
	}
	for _, s := range steps {
		if err := led.move(a, s.to, s.s); err != nil || held() != s.held {
			t.Fatalf("to %s: %v, %d slots held, want %d", s.to, err, held(), s.held)
		}
	}
	if e := st.Lookup("+911"); e.Status != journal.StatusCompleted || e.Live != nil {
		t.Errorf("journal: %+v, want completed", e)
	}
	for _, to := range []phase{phaseRinging, phaseVoid, phaseFinal, phaseIntent} {
		var ie *invariantError
		if err := led.move(a, to, step{outcome: &journal.Outcome{Status: journal.StatusFailed}}); !errors.As(err, &ie) {
			t.Errorf("final to %s: %v, want an internal error", to, err)
		}
	}
	if e := st.Lookup("+911"); e.Status != journal.StatusCompleted || held() != 0 {
		t.Errorf("after refused moves: %+v, %d slots held", e, held())
	}
	if _, extra := led.pool.outstanding(); extra != 0 {
		t.Errorf("%d slots given back that were not held", extra)
	}
}
