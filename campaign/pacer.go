package campaign

import (
	"slices"
	"sort"
	"time"
)

// The request budget, and when to look at the calls that hold a slot.
//
// A concurrency slot lies idle from the moment Bolna drops a call's line until the runner sees
// it and dials the next contact, and every look costs a request. One list page shows every
// call holding a slot, so the question is only when to send the next one. The pacer keeps how
// long recent calls held their slot (placement to line drop) and from them, for each call
// holding a slot now, the chance that its line has dropped by a given time. The next look comes
// when the slot time expected to have been lost since the last one, summed over those calls,
// reaches a threshold, and the threshold is set so that the looks fit the run's request
// budget. Where call lengths are alike the looks bunch where calls end and thin out where none
// can; where they are memoryless this is plain periodic polling, which is then the best one can
// do.

const (
	// requestBudget is what a call may cost in API requests, everything included: its POST,
	// its final GET, and its share of the list pages and other reads.
	requestBudget = 2.95
	// minListsPerCall and maxListsPerCall bound the list pages a call may cost, whatever the
	// budget leaves: fewer would leave slots idle for long, more buys little.
	minListsPerCall = 0.8
	maxListsPerCall = 2.5
	// slotSamples is how many recent slot times the pacer keeps.
	slotSamples = 256
	// minSamples is how many slot times the pacer needs before it paces by them; until then
	// calls holding a slot are checked every poll interval.
	minSamples = 8
	// lookSteps bounds the steps of the search for the next look.
	lookSteps = 512
)

// holder is a call holding a slot, as the pacer sees it.
type holder struct {
	placed time.Time // when it was placed
	seen   time.Time // when it was last seen holding its slot (when placed, until then)
}

// pacer sets the pace of the tracker's checks from the slot times it has seen and the
// requests the run has spent. It belongs to the tracker's goroutine.
type pacer struct {
	poll time.Duration // the least time between two looks (--poll-interval)

	ring   []time.Duration // the latest slot times, the oldest overwritten first
	next   int             // where the next slot time goes in ring once it is full
	sorted []time.Duration // ring, sorted: the distribution of slot times
	sum    time.Duration   // of ring

	// What the run has spent so far, for the budget.
	finished, gets, lists int
	// corr scales the threshold, nudged each round of calls so that the list pages per call
	// meet the budget where the estimate behind the threshold (memoryless calls) misses it.
	corr                    float64
	markFinished, markLists int // at the start of the round
}

func newPacer(poll time.Duration) *pacer {
	return &pacer{poll: poll, corr: 1}
}

// noteSlotTime adds one call's time from placement to its line dropping, in place of the
// oldest once slotSamples are kept.
func (p *pacer) noteSlotTime(d time.Duration) {
	d = max(d, 0)
	if len(p.ring) < slotSamples {
		p.ring = append(p.ring, d)
	} else {
		old := p.ring[p.next]
		p.ring[p.next] = d
		p.next = (p.next + 1) % slotSamples
		p.sum -= old
		i, _ := slices.BinarySearch(p.sorted, old)
		p.sorted = slices.Delete(p.sorted, i, i+1)
	}
	p.sum += d
	i, _ := slices.BinarySearch(p.sorted, d)
	p.sorted = slices.Insert(p.sorted, i, d)
}

// measured reports whether the pacer has seen enough slot times to pace by them.
func (p *pacer) measured() bool { return len(p.sorted) >= minSamples }

// meanSlotTime is the mean of the slot times kept.
func (p *pacer) meanSlotTime() time.Duration {
	if len(p.ring) == 0 {
		return 0
	}
	return p.sum / time.Duration(len(p.ring))
}

// quantile is the slot time that a share q of the calls kept did not exceed.
func (p *pacer) quantile(q float64) time.Duration {
	if len(p.sorted) == 0 {
		return 0
	}
	return p.sorted[min(int(q*float64(len(p.sorted))), len(p.sorted)-1)]
}

// cdf is the share of the slot times kept that are at most d.
func (p *pacer) cdf(d time.Duration) float64 {
	n := sort.Search(len(p.sorted), func(i int) bool { return p.sorted[i] > d })
	return float64(n) / float64(len(p.sorted))
}

// listsPerCall is what the budget leaves for list pages per call once its POST and the GETs
// the run needs per call (measured, from a cautious start of one each) are paid for.
func (p *pacer) listsPerCall() float64 {
	gets := float64(p.gets+2) / float64(p.finished+2)
	return min(max(requestBudget-1-gets, minListsPerCall), maxListsPerCall)
}

// interval is the periodic pace that fits the budget with slots calls in flight: calls end
// at a rate of slots / mean slot time, and one look sees them all. It is a whole multiple of
// the poll interval, at most maxCheckInterval.
func (p *pacer) interval(slots int) time.Duration {
	if !p.measured() || slots <= 0 {
		return p.poll
	}
	iv := time.Duration(float64(p.meanSlotTime()) / (float64(slots) * p.listsPerCall()))
	k := max(1, int((min(iv, maxCheckInterval)+p.poll/2)/p.poll))
	return time.Duration(k) * p.poll
}

// nextLook is when the calls holding a slot should be looked at again, the latest look
// having been at now: when the slot time expected to have been lost since each was last seen
// holding its slot reaches the threshold, and a poll interval after now at the soonest. For
// memoryless calls ending at a rate r, looking every T loses r·T²/2 per look and costs
// 1/(r·T) looks per call, so the threshold that spends a looks per call is 1/(2·r·a²).
func (p *pacer) nextLook(now time.Time, hs []holder) time.Time {
	soonest := now.Add(p.poll)
	if !p.measured() || len(hs) == 0 {
		return soonest
	}
	mean := float64(p.meanSlotTime())
	a := p.listsPerCall()
	threshold := p.corr * mean / (2 * float64(len(hs)) * a * a) // expected slot time lost, ns
	// Each holder's chance of having dropped by t, given that it still held its slot at seen.
	type state struct {
		placed, seen time.Time
		f0           float64
	}
	st := make([]state, len(hs))
	start := now
	for i, h := range hs {
		st[i] = state{h.placed, h.seen, p.cdf(h.seen.Sub(h.placed))}
		start = earlier(start, h.seen)
	}
	idle := func(t time.Time) float64 {
		sum := 0.0
		for _, s := range st {
			switch {
			case !s.seen.Before(t):
			case s.f0 > 0.98: // older than nearly every call measured: no shape to go by
				sum += min(1, float64(t.Sub(s.seen))/mean)
			default:
				sum += max(p.cdf(t.Sub(s.placed))-s.f0, 0) / (1 - s.f0)
			}
		}
		return sum
	}
	step := max(p.poll/4, maxCheckInterval/lookSteps)
	end := now.Add(maxCheckInterval)
	lost := 0.0
	for t := start.Add(step); t.Before(end); t = t.Add(step) {
		rate := idle(t) // slots expected to be idle at t
		lost += rate * float64(step)
		if lost >= threshold {
			// Back to where the threshold was crossed within this step.
			over := time.Duration((lost - threshold) / rate)
			return later(t.Add(-over), soonest)
		}
	}
	return end
}

// noteFinished counts a finished call and, once a round of calls has finished while slots
// were in demand, nudges the threshold towards the budget: the round's list pages per call
// are held to what the budget leaves, less a share of what the run has spent above it so far
// (its first looks, paced by the poll interval until slot times are known, included). It
// reports whether it did.
func (p *pacer) noteFinished(slots int, inDemand bool) bool {
	p.finished++
	round := p.finished - p.markFinished
	if !inDemand || !p.measured() {
		p.markFinished, p.markLists = p.finished, p.lists
		return false
	}
	if round < 2*max(slots, minSamples) {
		return false
	}
	a := p.listsPerCall()
	over := float64(p.lists) - a*float64(p.finished) // spent beyond the budget so far
	target := min(max(a-over/float64(2*round), a/2), 2*a)
	spent := float64(p.lists-p.markLists) / float64(round)
	p.markFinished, p.markLists = p.finished, p.lists
	if spent > 0 {
		// Looks per call go as the threshold's inverse square root for memoryless calls; a
		// correction by the ratio itself converges without overshooting.
		p.corr = min(max(p.corr*min(max(spent/target, 0.5), 2), 0.25), 4)
	}
	return true
}

// drainInterval is how often calls are checked once nothing is left to dial: no slot is
// worth a look of its own any more, only the run's end, so the checks thin out to a quarter
// of a call's length (up to maxCheckInterval).
func (p *pacer) drainInterval(iv time.Duration) time.Duration {
	return max(iv, min(p.meanSlotTime()/4, maxCheckInterval))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
