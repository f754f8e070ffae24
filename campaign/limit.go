package campaign

import (
	"math"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Every limit a run keeps to is built here, from its Config: the share of Bolna's per-minute
// request limits (ShareOfLimits, for the client and Config.Limits alike), the placements'
// limiter and the looks' page budget (newLimits), and a shard's part of each (Shard.Split,
// which poolSize uses for the concurrency too). A new class of request is a field of
// dialer.Limits; a new limit of the run's, a field of runLimits.

// ShareOfLimits is the share of Bolna's per-minute request limits a run takes, per class:
// share of each class (--api-share), split between the N shards of a campaign run at once as
// the concurrency is (see Shard.Split). Give it to the client (dialer.WithLimits) and to
// Config.Limits: the client holds every request to it, the runner paces its own by it.
func ShareOfLimits(share float64, shard Shard) dialer.Limits {
	whole := dialer.BolnaLimits.Share(share)
	part := func(n int) int { return max(1, shard.Split(n)) }
	return dialer.Limits{Call: part(whole.Call), List: part(whole.List), Other: part(whole.Other)}
}

// Split is the shard's part of n split N ways: n/N, one more for the first n%N shards (all of
// n without shards).
func (s Shard) Split(n int) int { return s.SplitAt(n, 0) }

// SplitAt is Split with the remainder's extra ones given to the n%N shards from shard offset
// on (mod N) instead of from shard 0: limits split one at a time, each from its own offset
// (the caps of a pool's caller ids: see callerIDs.capOf), spread their remainders over every
// shard instead of giving them all to the first. The N shards' parts always add up to n.
func (s Shard) SplitAt(n, offset int) int {
	if s.N <= 1 {
		return n
	}
	part := n / s.N
	if ((s.K-offset)%s.N+s.N)%s.N < n%s.N {
		part++
	}
	return part
}

// runLimits are the limits a run paces itself by.
type runLimits struct {
	placements *dialer.Limiter // --rate, and the share of POST /call
	looks      *pacer          // the poll interval, and the share of the executions list
}

// newLimits builds the run's limits from cfg.
func newLimits(cfg *Config) runLimits {
	return runLimits{
		placements: newPlacementLimiter(cfg.Rate, cfg.Limits.Call, cfg.Now),
		looks:      newPacer(cfg.PollInterval, cfg.Limits.List),
	}
}

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
