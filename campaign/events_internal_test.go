package campaign

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// TestObservedEvents drives the tracker's one event path with pushes as Bolna sends them:
// the line drop frees the slot at once, a late older status does not take it back, a whole
// final payload is recorded without a read, a push before the POST's reply is kept for the
// call, and pushes about other calls are counted and ignored.
func TestObservedEvents(t *testing.T) {
	t.Parallel()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "r.csv.state"), journal.Owner{Agent: "a", API: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var outcomes []journal.Status
	tr := twoCalls(t, st, func(o journal.Outcome) { outcomes = append(outcomes, o.Status) })
	p := tr.ledger.pool
	now := time.Now()
	push := func(id string, status dialer.Status, whole bool, ref string) {
		t.Helper()
		ex := &dialer.Execution{ID: dialer.ID(id), Status: status, AgentID: "a"}
		if ref != "" {
			ex.ContextDetails.RecipientData = map[string]json.RawMessage{contacts.RefKey: json.RawMessage(`"` + ref + `"`)}
		}
		if whole {
			ex.ContextDetails.RecipientPhoneNumber = "+911"
			ex.TelephonyData.RecordingURL = "https://x/rec"
		}
		if err := tr.observed(ex, now); err != nil {
			t.Fatal(err)
		}
	}
	free := func() bool {
		ok := p.sem.TryAcquire(1)
		if ok {
			p.sem.Release(1)
		}
		return ok
	}

	push("e1", dialer.StatusInProgress, false, "")
	if free() {
		t.Fatal("a slot is free while both calls hold theirs")
	}
	push("e1", dialer.StatusCallDisconnected, false, "")
	if !free() {
		t.Fatal("call-disconnected did not free the slot at once")
	}
	push("e1", dialer.StatusRinging, false, "") // late, out of order
	if tr.book.calls["e1"].status != dialer.StatusCallDisconnected || tr.book.calls["e1"].phase.holdsSlot() {
		t.Errorf("a late ringing took the call back to %s", tr.book.calls["e1"].status)
	}
	push("e1", dialer.StatusCompleted, false, "") // half-filled: to be read by id
	if c := tr.book.calls["e1"]; c == nil || !c.nextCheck.Equal(now) {
		t.Fatalf("a half-filled completed push was not sent for a read now: %+v", c)
	}
	push("e1", dialer.StatusCompleted, true, "")
	if e := st.Lookup("+911"); e.Status != journal.StatusCompleted || tr.book.calls["e1"] != nil {
		t.Errorf("a whole completed push: %+v, still followed %v", e, tr.book.calls["e1"] != nil)
	}
	push("e1", dialer.StatusCompleted, true, "") // a duplicate delivery
	push("zz", dialer.StatusInProgress, true, "other-campaign-ref")

	// The second call's reply was lost: a push carrying its reference names it.
	push("e2", dialer.StatusRinging, false, st.Ref("+912", 1))
	if c := tr.book.calls["e2"]; c == nil || c.status != dialer.StatusRinging {
		t.Fatalf("a push with the reference of a call whose reply was lost: %+v", tr.book.calls)
	}
	if e := st.Lookup("+912"); e.Live == nil || e.Live.ExecutionID != "e2" {
		t.Errorf("its execution id was not recorded: %+v", e.Live)
	}
	// The duplicate delivery after the outcome is late (#23.7: it was counted as others' before).
	if got, want := tr.in.seen, (ObservationStats{Matched: 6, Ignored: 1, Late: 1}); got != want {
		t.Errorf("counted %+v, want %+v", got, want)
	}
	if !slices.Equal(outcomes, []journal.Status{journal.StatusCompleted}) {
		t.Errorf("outcomes recorded: %q, want e1's completed alone (a duplicate push records nothing)", outcomes)
	}
}

// twoCalls is a tracker with a pool of two slots, following two calls placed now: +911's
// (execution e1) and +912's, whose placement reply was lost; onFinal is told of outcomes.
func twoCalls(t *testing.T, st *journal.State, onFinal func(journal.Outcome)) *tracker {
	t.Helper()
	cfg := Config{}
	cfg.setDefaults()
	looks := newLimits(&cfg).looks
	led := newLedger(ledgerDeps{st: st, now: time.Now, pool: newSizedPool(2), looks: looks, onFinal: onFinal})
	tr := newTracker(trackerDeps{cfg: &cfg, st: st, ledger: led, looks: looks})
	tr.start(2)
	now := time.Now()
	for i, key := range []string{"+911", "+912"} {
		c, err := led.reserve(t.Context(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := led.intent(c, journal.LiveCall{Key: key, Phone: key, Attempt: 1, Ref: st.Ref(key, 1), DialedAt: now}); err != nil {
			t.Fatal(err)
		}
		c.deadline = now.Add(time.Hour)
		ev := event{kind: evReplyLost}
		if i == 0 {
			ev = event{kind: evPlaced, id: "e1"}
		}
		for _, ev := range []event{ev, {kind: evTracked}} {
			if _, err := led.apply(c, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tr
}
