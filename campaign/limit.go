package campaign

import (
	"context"
	"math"
	"time"
)

// windowLimiter lets at most n placements start in any window of length w: --rate R is R
// placements in any second (n placements in n/R seconds when R is not whole). Unlike a token
// bucket of burst 1 (golang.org/x/time/rate, which spaces placements 1/R apart), it lets a
// look that finds several lines dropped refill their slots at once, never passing the rate
// in any window. It is used by the one goroutine that dispatches.
type windowLimiter struct {
	n      int
	w      time.Duration
	starts []time.Time // the latest n starts, as a ring
	next   int         // the oldest start in the ring, once it is full
}

// newWindowLimiter returns a limiter of perSecond placements a second; <= 0 or +Inf means
// no limit (nil).
func newWindowLimiter(perSecond float64) *windowLimiter {
	if perSecond <= 0 || math.IsInf(perSecond, 1) {
		return nil
	}
	n := max(1, int(perSecond))
	return &windowLimiter{n: n, w: time.Duration(float64(n) / perSecond * float64(time.Second))}
}

// Wait blocks until a placement may start, and counts it.
func (l *windowLimiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	for {
		now := time.Now()
		if len(l.starts) < l.n {
			l.starts = append(l.starts, now)
			return nil
		}
		wait := l.starts[l.next].Add(l.w).Sub(now)
		if wait <= 0 {
			l.starts[l.next] = now
			l.next = (l.next + 1) % l.n
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
