package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// world is a run of the property test: a ledger over a journal kept in memory, and the
// attempts it moves. A crash throws the ledger away and replays the journal, as a new run does.
type world struct {
	t        *testing.T
	seed     uint64
	rng      *rand.Rand
	store    *journal.MemoryStore
	st       *journal.State
	led      *ledger
	attempts []*attempt
	keys     int
	moves    map[eventKind]int // the events applied, for the test to show it went through them
	now      time.Time
}

const propertySlots = 3

var worldOwner = journal.Owner{Agent: "a", API: "memory"}

func newWorld(t *testing.T, seed uint64) *world {
	w := &world{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), store: journal.NewMemoryStore(),
		now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), moves: map[eventKind]int{}}
	w.open(w.store)
	return w
}

// open replays store into a new ledger, taking over what it holds as a run does (see
// tracker.orphans, tracker.adopt), then sizes the pool.
func (w *world) open(store *journal.MemoryStore) {
	st, err := journal.OpenStore("memory", store, worldOwner)
	if err != nil {
		w.fatalf("replaying the journal: %v", err)
	}
	st.SetClock(w.clock)
	w.store, w.st, w.attempts = store, st, nil
	w.led = newLedger(ledgerDeps{st: st, now: w.clock, looks: newPacer(time.Second, 100)})
	for _, lc := range st.Live() {
		ev := event{kind: evAdopted}
		if lc.ExecutionID == "" {
			ev = event{kind: evOrphaned}
		}
		w.start(&attempt{LiveCall: lc, adopted: true}, ev)
	}
	for _, lc := range st.Torn() {
		lc.Ref = st.RefPrefix(lc.Key, lc.Attempt)
		w.start(&attempt{LiveCall: lc, adopted: true, torn: true}, event{kind: evOrphaned})
	}
	w.led.pool.size(propertySlots)
}

func (w *world) fatalf(format string, args ...any) {
	w.t.Helper()
	w.t.Fatalf("seed %d: "+format, append([]any{w.seed}, args...)...)
}

func (w *world) clock() time.Time { w.now = w.now.Add(time.Second); return w.now }

func (w *world) start(a *attempt, ev event) {
	if _, err := w.led.apply(a, ev); err != nil {
		w.fatalf("taking over %+v: %v", a.LiveCall, err)
	}
	w.attempts = append(w.attempts, a)
}

// randomEvent is any event, with what it carries.
func (w *world) randomEvent() event {
	statuses := []dialer.Status{dialer.StatusQueued, dialer.StatusRinging, dialer.StatusInProgress,
		dialer.StatusCallDisconnected, dialer.StatusScheduled, "odd-status"}
	finals := []journal.Status{journal.StatusCompleted, journal.StatusFailed, journal.StatusTimeout, journal.StatusUnknown}
	ev := event{kind: eventKind(1 + w.rng.IntN(int(evStopAccepted))), status: statuses[w.rng.IntN(len(statuses))],
		mayFree: w.rng.IntN(2) == 0, reason: "stopped"}
	ev.outcome = &journal.Outcome{Status: finals[w.rng.IntN(len(finals))]}
	if ev.kind == evTimedOut {
		ev.outcome.Status = journal.StatusTimeout
	}
	return ev
}

// act does one random thing: reserve a slot, move an attempt, or crash.
func (w *world) act() {
	switch r := w.rng.IntN(100); {
	case r < 3:
		w.open(w.store.Crash(w.rng.IntN(400))) // a crash: some of what was not synced is lost, maybe mid-line
	case r < 25:
		w.led.pool.mu.Lock()
		free := w.led.pool.inSem < propertySlots
		w.led.pool.mu.Unlock()
		if !free {
			return // a placement would wait for a slot
		}
		a, err := w.led.reserve(context.Background(), "+91", "")
		if err != nil {
			w.fatalf("reserving a free slot: %v", err)
		}
		w.attempts = append(w.attempts, a)
	case len(w.attempts) > 0:
		w.move(w.attempts[w.rng.IntN(len(w.attempts))], w.randomEvent())
	}
}

// move applies ev to a: an event the attempt's life refuses changes nothing, not even the journal.
func (w *world) move(a *attempt, ev event) {
	size, p := len(w.store.Bytes()), a.phase
	var err error
	if ev.kind == evIntent && a.phase == phaseReserved {
		w.keys++
		key := fmt.Sprintf("+9190000%05d", w.keys)
		err = w.led.intent(a, journal.LiveCall{Key: key, Phone: key, Attempt: 1, Ref: w.st.Ref(key, 1), DialedAt: w.now})
	} else {
		ev.outcome.ExecutionID = a.ExecutionID // as the tracker's outcomes carry it (see outcomeOf)
		ev.id = "e" + a.Key                    // Bolna's ids are its calls' own
		_, err = w.led.apply(a, ev)
	}
	var ie *invariantError
	if err == nil {
		w.moves[ev.kind]++
	}
	switch {
	case errors.As(err, &ie):
		if a.phase != p || len(w.store.Bytes()) != size {
			w.fatalf("a refused %s moved the attempt from %s to %s, or wrote to the journal", ev.kind, p, a.phase)
		}
	case err != nil:
		w.fatalf("%s on an attempt %s: %v", ev.kind, p, err)
	}
}

// check holds the properties: the slots held are those of the live attempts holding one, none
// was given back twice, the counters agree, and the journal has no record twice.
func (w *world) check(step int) {
	holding, open := 0, 0
	for _, a := range w.attempts {
		holding += holds(a.phase)
		open += count(a.phase.open())
		if a.indexed != (w.led.book.calls[a.id()] == a) {
			w.fatalf("step %d: %s attempt indexed %v, in the book %v", step, a.phase, a.indexed, !a.indexed)
		}
	}
	held, extra := w.led.pool.outstanding()
	if held != holding || extra != 0 {
		w.fatalf("step %d: %d slots held for %d attempts holding one, %d given back twice", step, held, holding, extra)
	}
	if int(w.led.holders.Load()) != holding || int(w.led.open.Load()) != open {
		w.fatalf("step %d: holders %d, open %d; want %d, %d", step, w.led.holders.Load(), w.led.open.Load(), holding, open)
	}
	if step%25 == 24 { // (reading the journal back is the slow part)
		w.noRecordTwice(step)
	}
}

// noRecordTwice reads the journal back: each attempt has one intent, one execution id, and one
// end (a final outcome, or a void), but for a timeout, which the next run follows again.
func (w *world) noRecordTwice(step int) {
	type recs struct {
		dial, placed int
		ends         []journal.Status // each final's status, "void" for a void
	}
	by := map[string]*recs{}
	for line := range bytes.Lines(w.store.Bytes()) {
		var rec struct {
			Ev, Key string
			Attempt int
			Outcome *journal.Outcome
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Key == "" {
			continue // the campaign's line, or a torn last line
		}
		r := by[rec.Key]
		if r == nil {
			r = &recs{}
			by[rec.Key] = r
		}
		switch rec.Ev {
		case "dial", "torn":
			r.dial++
		case "placed":
			r.placed++
		case "void", "settled":
			r.ends = append(r.ends, "void")
		case "final":
			r.ends = append(r.ends, rec.Outcome.Status)
		}
	}
	for key, r := range by {
		for i, s := range r.ends { // a timeout is followed again by the next run: another end may follow
			if i < len(r.ends)-1 && s != journal.StatusTimeout {
				w.fatalf("step %d: %s ended %s, and again after it: %v", step, key, s, r.ends)
			}
		}
		if r.dial > 1 || r.placed > 1 {
			w.fatalf("step %d: %s recorded twice: %+v", step, key, *r)
		}
	}
}

// TestStepProperties: random sequences of events, reservations and crashes (each replaying
// the journal from memory, some unsynced records lost, a line cut) never hold more slots than
// the live attempts hold, never give one back twice, and never write a record twice. One
// fixed seed first (a failure names it), then many.
func TestStepProperties(t *testing.T) {
	t.Parallel()
	moves := map[eventKind]int{}
	for seed := range uint64(120) {
		w := newWorld(t, 29+seed)
		for step := range 250 {
			w.act()
			w.check(step)
		}
		for k, n := range w.moves {
			moves[k] += n
		}
	}
	for k := evReserved; k <= evStopAccepted; k++ {
		if k != evReserved && k != evAdopted && k != evOrphaned && moves[k] == 0 {
			t.Errorf("no %s was ever applied: the sequences miss part of the attempt's life", k)
		}
	}
	t.Logf("events applied: %v", moves)
}
