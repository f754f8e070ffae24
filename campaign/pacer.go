package campaign

import (
	"slices"
	"sort"
	"time"
)

// When to look at the calls that hold a slot, within the run's share of Bolna's limits.
//
// A concurrency slot lies idle from the moment Bolna drops a call's line until the runner sees
// it and dials the next contact, and every look costs list pages. Bolna limits requests per
// minute, not per call, so the looks spend a budget of list pages a minute (the run's share of
// Bolna's limit on the executions list): as often as the poll interval allows while the budget
// lasts, evenly when it binds. The pacer keeps how long recent calls held their slot
// (placement to line drop) and from them, for each call holding a slot now, the chance that
// its line has dropped by a given time; a look is skipped while the lines expected to have
// dropped since the last one are too few to be worth it (every call just placed, say).

const (
	// slotSamples is how many recent slot times the pacer keeps.
	slotSamples = 256
	// minSamples is how many slot times the pacer needs before it paces by them; until then
	// calls holding a slot are checked every poll interval.
	minSamples = 8
	// lookWorth is how many lines must be expected to have dropped since the calls were last
	// seen for a look to be worth its pages.
	lookWorth = 0.1
)

// holder is a call holding a slot, as the pacer sees it.
type holder struct {
	placed time.Time // when it was placed
	seen   time.Time // when it was last seen holding its slot (when placed, until then)
}

// pacer sets the pace of the tracker's checks from the slot times it has seen and the list
// pages its budget allows. It belongs to the tracker's goroutine.
type pacer struct {
	poll time.Duration // the least time between two looks (--poll-interval)

	ring   []time.Duration // the latest slot times, the oldest overwritten first
	next   int             // where the next slot time goes in ring once it is full
	sorted []time.Duration // ring, sorted: the distribution of slot times
	sum    time.Duration   // of ring

	pages pageBudget // the list pages the run may spend
}

// newPacer returns a pacer of looks at least poll apart, spending at most listPerMinute list
// pages in any minute (<= 0: no budget).
func newPacer(poll time.Duration, listPerMinute int) *pacer {
	return &pacer{poll: poll, pages: pageBudget{perMinute: listPerMinute}}
}

// pageBudget is the list pages the run may spend: at most perMinute in any minute, and spread
// evenly, each spend of n pages followed by n minutes/perMinute before the next. The spacing
// alone holds the pace to the budget, so the budget throttles only where the looks would pass
// it; the minute's window keeps a look of many pages from passing it at any moment.
type pageBudget struct {
	perMinute int     // <= 0: unlimited
	spent     []spend // in the last minute, oldest first
}

type spend struct {
	at time.Time
	n  int
}

// take records n pages spent at now.
func (b *pageBudget) take(n int, now time.Time) {
	if b.perMinute <= 0 {
		return
	}
	cut := 0
	for cut < len(b.spent) && now.Sub(b.spent[cut].at) >= time.Minute {
		cut++
	}
	b.spent = append(b.spent[cut:], spend{now, n})
}

// readyAt is the soonest time from now when n more pages may be spent (a look of more pages
// than a minute's budget waits for a whole minute's).
func (b *pageBudget) readyAt(n int, now time.Time) time.Time {
	if b.perMinute <= 0 || len(b.spent) == 0 {
		return now
	}
	n = min(n, b.perMinute)
	last := b.spent[len(b.spent)-1]
	t := later(now, last.at.Add(time.Duration(last.n)*time.Minute/time.Duration(b.perMinute)))
	in := 0 // pages spent in the minute before t
	for _, s := range b.spent {
		if t.Sub(s.at) < time.Minute {
			in += s.n
		}
	}
	for _, s := range b.spent { // wait for the oldest to leave the window until n fit
		if in+n <= b.perMinute {
			break
		}
		if t.Sub(s.at) < time.Minute {
			t = s.at.Add(time.Minute)
			in -= s.n
		}
	}
	return t
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

// nextLook is when the calls holding a slot should be looked at again, the latest look having
// been at now and the next one costing pages list pages: a poll interval after now at the
// soonest, once the budget has the pages, and later while fewer than lookWorth lines are
// expected to have dropped since the calls were last seen (at most maxCheckInterval after now).
func (p *pacer) nextLook(now time.Time, hs []holder, pages int) time.Time {
	return p.nextLookFor(now, hs, pages, 1)
}

// nextLookFor is nextLook when only a share unseen of the lines that drop go unreported
// otherwise (pushes report the rest): a look is worth it once that share of the expected
// drops reaches lookWorth. unseen 1 is polling; near 0, looks thin out to maxCheckInterval.
func (p *pacer) nextLookFor(now time.Time, hs []holder, pages int, unseen float64) time.Time {
	soonest := later(now.Add(p.poll), p.pages.readyAt(pages, now))
	if !p.measured() || len(hs) == 0 {
		if unseen < 0.25 {
			// No slot times yet to weigh drops by, but pushes report most of them: the poll
			// interval, stretched by the share they miss.
			return later(soonest, now.Add(min(time.Duration(float64(p.poll)/unseen), maxCheckInterval)))
		}
		return soonest
	}
	mean := float64(p.meanSlotTime())
	// Each holder's chance of having dropped by t, given that it still held its slot at seen.
	type state struct {
		placed, seen time.Time
		f0           float64
	}
	st := make([]state, len(hs))
	for i, h := range hs {
		st[i] = state{h.placed, h.seen, p.cdf(h.seen.Sub(h.placed))}
	}
	dropped := func(t time.Time) float64 {
		sum := 0.0
		for _, s := range st {
			switch {
			case !s.seen.Before(t):
			case s.f0 > 0.98: // older than nearly every call measured: no shape to go by
				sum += min(1, float64(t.Sub(s.seen))/mean)
			default:
				sum += max(p.cdf(t.Sub(s.placed))-s.f0, 0) / (1 - s.f0)
			}
			if sum*unseen >= lookWorth {
				break
			}
		}
		return sum
	}
	step := max(p.poll/4, 10*time.Millisecond)
	end := now.Add(maxCheckInterval)
	for t := soonest; t.Before(end); t = t.Add(step) {
		if unseen*dropped(t) >= lookWorth {
			return t
		}
	}
	return later(end, soonest)
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
