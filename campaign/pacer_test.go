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
	p := newPacer(time.Second)
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
			p := newPacer(poll)
			p.finished = 1000 // and no GETs: the budget leaves about two looks per call
			for _, d := range tt.slotTimes {
				p.noteSlotTime(d)
			}
			got := p.nextLook(now, tt.holders).Sub(now)
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

func TestPacerBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		finished, gets  int
		wantMin, wantMx float64
	}{
		{"nothing finished: as if every call needed a GET", 0, 0, requestBudget - 2 - 0.01, requestBudget - 2 + 0.01},
		{"no GETs needed (whole list items)", 1000, 0, requestBudget - 1 - 0.01, requestBudget - 1},
		{"a GET for three calls in four", 1000, 750, requestBudget - 1.75 - 0.01, requestBudget - 1.75 + 0.01},
		{"GETs beyond the budget: still a floor of looks", 1000, 3000, minListsPerCall, minListsPerCall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPacer(time.Second)
			p.finished, p.gets = tt.finished, tt.gets
			if got := p.listsPerCall(); got < tt.wantMin || got > tt.wantMx {
				t.Errorf("lists per call %.3f, want within [%.3f, %.3f]", got, tt.wantMin, tt.wantMx)
			}
		})
	}
}

func TestPacerNudgesTowardsTheBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		listsPerRound float64 // list pages per finished call
		higher        bool    // the threshold should rise (fewer looks)
	}{
		{"overspending: fewer looks", 3, true},
		{"underspending: more looks", 0.3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPacer(100 * time.Millisecond)
			for range minSamples {
				p.noteSlotTime(5 * time.Second)
			}
			nudged := false
			for i := range 64 {
				p.lists = int(float64(i+1) * tt.listsPerRound)
				nudged = p.noteFinished(8, true) || nudged
			}
			if !nudged || (p.corr > 1) != tt.higher {
				t.Errorf("nudged %v, correction %.2f; want the threshold higher: %v", nudged, p.corr, tt.higher)
			}
		})
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
