package campaign

import (
	"context"
	"math"
	"time"
)

// windowLimiter lets at most n placements start in any window of length w, for each of its
// windows: --rate R is R placements in any second (n placements in n/R seconds when R is not
// whole), and Bolna's limit on POST /call is so many in any minute. Unlike a token bucket of
// burst 1 (golang.org/x/time/rate, which spaces placements 1/R apart), it lets a look that
// finds several lines dropped refill their slots at once, never passing a rate in any window.
// It is the one limiter of placements, used by the one goroutine that dispatches.
type windowLimiter struct {
	windows []*window
	now     func() time.Time
}

// window is the latest n starts, as a ring, and how long they must span.
type window struct {
	n      int
	w      time.Duration
	starts []time.Time
	next   int // the oldest start in the ring, once it is full
}

// newWindowLimiter returns a limiter of perSecond placements a second; <= 0 or +Inf means
// no limit (nil).
func newWindowLimiter(perSecond float64) *windowLimiter {
	return newPlacementLimiter(perSecond, 0, time.Now)
}

// newPlacementLimiter returns a limiter of perSecond placements in any second and perMinute in
// any minute (either <= 0 for none; nil when neither limits), on the clock now.
func newPlacementLimiter(perSecond float64, perMinute int, now func() time.Time) *windowLimiter {
	l := &windowLimiter{now: now}
	if perSecond > 0 && !math.IsInf(perSecond, 1) {
		n := max(1, int(perSecond))
		l.windows = append(l.windows, &window{n: n, w: time.Duration(float64(n) / perSecond * float64(time.Second))})
	}
	if perMinute > 0 {
		l.windows = append(l.windows, &window{n: perMinute, w: time.Minute})
	}
	if len(l.windows) == 0 {
		return nil
	}
	return l
}

// Wait blocks until a placement may start, and counts it.
func (l *windowLimiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	for {
		now := l.now()
		var wait time.Duration
		for _, w := range l.windows {
			if len(w.starts) == w.n {
				wait = max(wait, w.starts[w.next].Add(w.w).Sub(now))
			}
		}
		if wait <= 0 {
			for _, w := range l.windows {
				if len(w.starts) < w.n {
					w.starts = append(w.starts, now)
				} else {
					w.starts[w.next] = now
					w.next = (w.next + 1) % w.n
				}
			}
			return nil
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
