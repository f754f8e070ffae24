package campaign

import (
	"math"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// newPlacementLimiter returns the one limiter of placements, used by the one goroutine that
// dispatches: perSecond placements in any second (n placements in n/perSecond seconds when it
// is not whole: --rate) and perMinute in any minute (the run's share of Bolna's limit on POST
// /call); either <= 0 (or +Inf) for none, nil when neither limits. Unlike a token bucket of
// burst 1 (golang.org/x/time/rate, which spaces placements 1/R apart), it lets a look that
// finds several lines dropped refill their slots at once, never passing a rate in any window.
func newPlacementLimiter(perSecond float64, perMinute int, now func() time.Time) *dialer.Limiter {
	var windows []dialer.Window
	if perSecond > 0 && !math.IsInf(perSecond, 1) {
		n := max(1, int(perSecond))
		windows = append(windows, dialer.Window{N: n, Span: time.Duration(float64(n) / perSecond * float64(time.Second))})
	}
	return dialer.NewLimiter(now, append(windows, dialer.PerMinute(perMinute))...)
}

// newWindowLimiter returns a limiter of perSecond placements a second alone.
func newWindowLimiter(perSecond float64) *dialer.Limiter {
	return newPlacementLimiter(perSecond, 0, time.Now)
}
