package campaign

import (
	"context"
	"fmt"
	"sync"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// budget keeps placing within --max-cost although a call's cost arrives only with its final
// status, long after its line dropped and its slot was freed: before a call is placed, the
// spend known plus an estimate for every call not yet costed (in flight, or about to be placed)
// and for the new one must stay within the cap. The estimate is the campaign's mean cost per
// finished attempt; until an attempt has cost anything, calls are placed one at a time, each
// waiting for the cost of the one before.
type budget struct {
	cap   float64        // Config.MaxCost; 0: no cap, and the budget never waits
	spent func() float64 // the spend known: the journal's

	mu       sync.Mutex
	finished int           // attempts with a final outcome, earlier runs' included
	changed  chan struct{} // closed, and replaced, when an attempt ends: a placement waiting looks again
}

func newBudget(cap float64, st *journal.State, average bool) *budget {
	b := &budget{cap: cap, spent: st.Spent, changed: make(chan struct{})}
	if cap > 0 || average {
		s := st.Standing()
		b.finished = s.Attempts - s.InFlight
	}
	return b
}

// each is the campaign's mean cost per finished attempt so far (0 before any), when the
// budget was made to keep it.
func (b *budget) each() float64 {
	b.mu.Lock()
	finished := b.finished
	b.mu.Unlock()
	return meanCost(b.spent(), finished)
}

// meanCost is spent over finished attempts (0 before any; a negative spend counts as none).
func meanCost(spent float64, finished int) float64 {
	if finished == 0 {
		return 0
	}
	return max(spent, 0) / float64(finished)
}

// ended is told of every attempt that ended (o is nil for one voided: no call, no cost).
func (b *budget) ended(o *journal.Outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o != nil && o.Status.Settled() && o.ExecutionID != "" { // a call Bolna made: skipped, refused or unresolved attempts cost nothing and teach nothing
		b.finished++
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// room waits until one more call fits the cap, beside the open calls not yet costed (open:
// attempts placed and not ended, and reservations about to be placed, this one excepted). ok
// is true when the call may be placed; otherwise halt says why placing must stop (the cap is
// reached, or would be passed by another call with none in flight whose cost could change
// that), or is "" when ctx ended or stopped closed first.
func (b *budget) room(ctx context.Context, stopped <-chan struct{}, open func() int) (ok bool, halt string) {
	if b.cap <= 0 {
		return true, ""
	}
	for {
		b.mu.Lock()
		changed, finished := b.changed, b.finished // read before the counts: an ending after this wakes the wait
		b.mu.Unlock()
		s, n := b.spent(), open()
		each := meanCost(s, finished)
		switch {
		case s >= b.cap:
			return false, fmt.Sprintf("the spend cap of %g is reached (spent %.2f)", b.cap, s)
		case n == 0 && each == 0: // nothing costed yet: one call at a time teaches the cost
			return true, ""
		case each > 0 && s+float64(n+1)*each <= b.cap:
			return true, ""
		case n == 0:
			return false, fmt.Sprintf("the spend cap of %g would be passed by another call (spent %.2f, about %.2f a call)", b.cap, s, each)
		}
		select { // calls in flight: their costs decide
		case <-changed:
		case <-stopped:
			return false, ""
		case <-ctx.Done():
			return false, ""
		}
	}
}
