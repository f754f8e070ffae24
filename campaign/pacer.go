package campaign

import (
	"math"
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
	// burstShare is the share of a minute's list budget that may be spent at once (the rest
	// comes evenly), so that the run never passes its budget in any minute.
	burstShare = 1.0 / 12
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

	pages bucket // the list pages the run may spend
}

// newPacer returns a pacer of looks at least poll apart, spending at most listPerMinute list
// pages in any minute (<= 0: no budget).
func newPacer(poll time.Duration, listPerMinute int) *pacer {
	p := &pacer{poll: poll}
	if listPerMinute > 0 {
		burst := max(1, math.Floor(float64(listPerMinute)*burstShare))
		p.pages = bucket{perSecond: (float64(listPerMinute) - burst) / 60, size: burst, tokens: burst}
	}
	return p
}

// bucket is a token bucket of rate perSecond and size size: what it lets through in any span
// d is at most size + perSecond·d, so a size taken out of the minute's budget keeps every
// minute within it. Tokens may go below zero: pages spent beyond the plan (a search, a
// page that turned into two) are paid back before the next look.
type bucket struct {
	perSecond float64 // 0: unlimited
	size      float64
	tokens    float64
	at        time.Time // when tokens were counted
}

func (b *bucket) fill(now time.Time) {
	if b.perSecond == 0 {
		return
	}
	if !b.at.IsZero() && now.After(b.at) {
		b.tokens = min(b.size, b.tokens+now.Sub(b.at).Seconds()*b.perSecond)
	}
	if now.After(b.at) {
		b.at = now
	}
}

// take spends n tokens at now.
func (b *bucket) take(n int, now time.Time) {
	b.fill(now)
	b.tokens -= float64(n)
}

// readyAt is the soonest time from now when n tokens are there (n is capped at the bucket's
// size: a sweep larger than the burst waits for a full bucket and runs into debt).
func (b *bucket) readyAt(n int, now time.Time) time.Time {
	if b.perSecond == 0 {
		return now
	}
	b.fill(now)
	need := min(float64(n), b.size) - b.tokens
	if need <= 0 {
		return now
	}
	return now.Add(time.Duration(need / b.perSecond * float64(time.Second)))
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
	soonest := later(now.Add(p.poll), p.pages.readyAt(pages, now))
	if !p.measured() || len(hs) == 0 {
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
			if sum >= lookWorth {
				break
			}
		}
		return sum
	}
	step := max(p.poll/4, 10*time.Millisecond)
	end := now.Add(maxCheckInterval)
	for t := soonest; t.Before(end); t = t.Add(step) {
		if dropped(t) >= lookWorth {
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
