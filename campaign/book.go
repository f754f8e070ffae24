package campaign

import "time"

// book is the calls the tracker follows, by execution id (or by reference while the id is not
// known), and what it keeps of those that ended. Only the executor writes it (see
// ledger.apply: effIndex, effForget, effUnconfirmed, effConfirmed), from the tracker's
// goroutine; the tracker reads it.
type book struct {
	calls       map[string]*attempt
	ended       recentIDs // the calls that ended lately: a push about one of them is late, not foreign
	firstFinal  time.Time // when the first call of the run ended
	unconfirmed int       // slots freed on the word of pushes alone, not yet confirmed by a look
}

func newBook() *book { return &book{calls: map[string]*attempt{}} }

// index follows a under its id, in place of its reference once its id is known.
func (b *book) index(a *attempt) {
	delete(b.calls, "ref:"+a.Ref)
	b.calls[a.id()] = a
	a.indexed = true
}

// forget lets a go, now that it has ended.
func (b *book) forget(a *attempt, now time.Time) {
	delete(b.calls, a.id())
	a.indexed = false
	if a.ExecutionID != "" {
		b.ended.add(a.ExecutionID)
	}
	if a.phase == phaseFinal && b.firstFinal.IsZero() {
		b.firstFinal = now
	}
}

// holding is how many followed calls hold a slot.
func (b *book) holding() int {
	n := 0
	for _, c := range b.calls {
		if c.phase.holdsSlot() {
			n++
		}
	}
	return n
}
