package campaign

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestPacerKeepsRecentSlotTimesSorted(t *testing.T) {
	t.Parallel()
	p := newPacer(time.Second, 0)
	for i := range 3 * slotSamples {
		p.noteSlotTime(time.Duration((i*7919)%1000) * time.Millisecond)
	}
	if len(p.sorted) != slotSamples || !slices.IsSorted(p.sorted) {
		t.Fatalf("%d slot times kept, sorted %v; want %d, sorted", len(p.sorted), slices.IsSorted(p.sorted), slotSamples)
	}
	want := slices.Clone(p.ring)
	slices.Sort(want)
	if !slices.Equal(want, p.sorted) {
		t.Fatal("the sorted slot times are not those of the ring")
	}
	var sum time.Duration
	for _, d := range p.ring {
		sum += d
	}
	if sum != p.sum {
		t.Fatalf("sum %v, want %v", p.sum, sum)
	}
}

func TestPacerNextLook(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const poll = 100 * time.Millisecond
	tests := []struct {
		name      string
		slotTimes []time.Duration
		holders   []holder
		from, to  time.Duration // the next look is within [now+from, now+to]
	}{
		{"nothing measured yet: every poll interval", nil,
			[]holder{{placed: now, seen: now}}, poll, poll},
		{"calls all last 10 s: the look comes just after the call ends",
			repeat(10*time.Second, 64),
			[]holder{{placed: now.Add(-4 * time.Second), seen: now}}, 6 * time.Second, 7*time.Second + 500*time.Millisecond},
		{"a call older than any measured: soon, not never",
			repeat(2*time.Second, 64),
			[]holder{{placed: now.Add(-time.Minute), seen: now}}, poll, 2 * time.Second},
		{"many calls ending any time: often",
			spread(time.Second, 20*time.Second, 64),
			holders(now, 50, time.Second, 20*time.Second), poll, time.Second},
		{"a call seen long ago: at once (the poll interval)",
			repeat(2*time.Second, 64),
			[]holder{{placed: now.Add(-10 * time.Second), seen: now.Add(-9 * time.Second)}}, poll, poll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPacer(poll, 0)
			for _, d := range tt.slotTimes {
				p.noteSlotTime(d)
			}
			got := p.nextLook(now, tt.holders, 1).Sub(now)
			if got < tt.from || got > tt.to {
				t.Errorf("next look in %v, want within [%v, %v]", got, tt.from, tt.to)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func spread(from, to time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = from + (to-from)*time.Duration(i)/time.Duration(n-1)
	}
	return out
}

func holders(now time.Time, n int, from, to time.Duration) []holder {
	out := make([]holder, n)
	for i, age := range spread(from, to, n) {
		out[i] = holder{placed: now.Add(-age), seen: now}
	}
	return out
}

// TestPacerKeepsToTheListBudget drives a pacer for ten minutes of looks that each cost pages
// pages, with lines always likely to have dropped: no 60-second window may hold more pages
// than the budget, and when the poll interval would spend more, the looks must spend nearly
// all of it (the budget throttles only when it would be exceeded); when it would not, the
// looks come every poll interval.
func TestPacerKeepsToTheListBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		poll      time.Duration
		perMinute int
		pages     int
		wantEvery time.Duration // the looks' spacing once steady; 0: set by the budget
	}{
		{"the poll interval binds", 3 * time.Second, 250, 1, 3 * time.Second},
		{"ten pages a look at 3 s: fits 250 a minute", 3 * time.Second, 250, 10, 3 * time.Second},
		{"the budget binds at 200ms", 200 * time.Millisecond, 250, 1, 0},
		{"the budget binds with big sweeps", time.Second, 250, 12, 0},
		{"a tiny share", time.Second, 5, 1, 0},
		{"a sweep larger than the burst", time.Second, 60, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			p := newPacer(tt.poll, tt.perMinute)
			for range minSamples {
				p.noteSlotTime(time.Second)
			}
			var looks []time.Time
			now := start
			for now.Before(start.Add(10 * time.Minute)) {
				for range tt.pages {
					p.pages.take(1, now)
					looks = append(looks, now)
				}
				hs := []holder{{placed: now.Add(-time.Minute), seen: now}} // older than any call: ends any moment
				next := p.nextLook(now, hs, tt.pages)
				if next.Sub(now) < tt.poll {
					t.Fatalf("a look %v after the last, sooner than the poll interval", next.Sub(now))
				}
				now = next
			}
			peak := 0
			for i := range looks {
				j := i
				for j < len(looks) && looks[j].Sub(looks[i]) < time.Minute {
					j++
				}
				peak = max(peak, j-i)
			}
			if peak > tt.perMinute {
				t.Errorf("%d pages in one minute, above the budget of %d", peak, tt.perMinute)
			}
			perMinute := float64(len(looks)) / 10
			if tt.wantEvery > 0 {
				if want := float64(time.Minute/tt.wantEvery) * float64(tt.pages); perMinute < want*0.99 {
					t.Errorf("%.1f pages a minute, want %.0f (a look every poll interval)", perMinute, want)
				}
			} else if whole := tt.perMinute / tt.pages * tt.pages; perMinute < 0.98*float64(whole) {
				// (Looks of k pages fit a minute's budget of L only floor(L/k) times.)
				t.Errorf("%.1f pages a minute: the budget of %d throttles more than it must (want %d)", perMinute, tt.perMinute, whole)
			}
		})
	}
}

func TestPacerSkipsLooksWhenNoLineIsLikelyToHaveDropped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := newPacer(time.Second, 250)
	for range 64 {
		p.noteSlotTime(10 * time.Second)
	}
	// Every call was placed a moment ago and calls last 10 s: nothing to see for 9 s.
	got := p.nextLook(now, holders(now, 16, 0, time.Second), 1).Sub(now)
	if got < 8*time.Second || got > 10*time.Second {
		t.Errorf("next look in %v, want about 9 s, when the first call is likely to end", got)
	}
}

func TestWindowLimiter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate   float64
		starts int
		want   time.Duration // time the starts take
	}{
		{rate: 5, starts: 5, want: 0},           // a burst of R at once
		{rate: 5, starts: 6, want: time.Second}, // the sixth waits for the window
		{rate: 5, starts: 11, want: 2 * time.Second},
		{rate: 0.5, starts: 2, want: 2 * time.Second},
		{rate: 2.5, starts: 3, want: 800 * time.Millisecond}, // 2 in any 0.8 s
		{rate: 0, starts: 100, want: 0},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			l := newWindowLimiter(tt.rate)
			start := time.Now()
			for range tt.starts {
				if err := l.Wait(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if got := time.Since(start); got != tt.want {
				t.Errorf("rate %v: %d starts took %v, want %v", tt.rate, tt.starts, got, tt.want)
			}
		})
	}
	// Bolna's limit a minute too, in the same limiter: placements are paced by both at once.
	for _, tt := range []struct {
		rate      float64
		perMinute int
		starts    int
		want      time.Duration
	}{
		{rate: 0, perMinute: 3, starts: 4, want: time.Minute},
		{rate: 5, perMinute: 7, starts: 7, want: time.Second},
		{rate: 5, perMinute: 7, starts: 8, want: time.Minute},
	} {
		synctest.Test(t, func(t *testing.T) {
			l := newPlacementLimiter(tt.rate, tt.perMinute, time.Now)
			start := time.Now()
			for range tt.starts {
				if err := l.Wait(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if got := time.Since(start); got != tt.want {
				t.Errorf("rate %v, %d a minute: %d starts took %v, want %v", tt.rate, tt.perMinute, tt.starts, got, tt.want)
			}
		})
	}
	synctest.Test(t, func(t *testing.T) {
		l := newWindowLimiter(1)
		l.Wait(t.Context())
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := l.Wait(ctx); err == nil {
			t.Error("Wait after the context ended: no error")
		}
	})
}
