package dialer_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

func TestLimitsShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		share float64
		want  dialer.Limits
	}{
		{1, dialer.Limits{Call: 500, List: 500, Other: 1000}},
		{0.5, dialer.Limits{Call: 250, List: 250, Other: 500}},
		{0.3, dialer.Limits{Call: 150, List: 150, Other: 300}},
		{0.0001, dialer.Limits{Call: 1, List: 1, Other: 1}}, // never none at all
	}
	for _, tt := range tests {
		if got := dialer.BolnaLimits.Share(tt.share); got != tt.want {
			t.Errorf("Share(%v) = %+v, want %+v", tt.share, got, tt.want)
		}
	}
	if dialer.DefaultLimits != dialer.BolnaLimits.Share(0.5) {
		t.Errorf("DefaultLimits %+v, want half of Bolna's", dialer.DefaultLimits)
	}
}

// TestLimiterNeverPassesAWindow: however many goroutines wait at once, no span of a window
// holds more starts than it allows, and a burst up to the limit goes at once.
func TestLimiterNeverPassesAWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := dialer.NewLimiter(nil, dialer.PerMinute(7), dialer.Window{N: 3, Span: time.Second})
		start := time.Now()
		var (
			mu     sync.Mutex
			starts []time.Time
			wg     sync.WaitGroup
		)
		for range 30 {
			wg.Go(func() {
				if err := l.Wait(t.Context()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
			})
		}
		wg.Wait()
		for _, w := range []dialer.Window{dialer.PerMinute(7), {N: 3, Span: time.Second}} {
			for i := range starts {
				n := 0
				for _, s := range starts {
					if !s.Before(starts[i]) && s.Sub(starts[i]) < w.Span {
						n++
					}
				}
				if n > w.N {
					t.Fatalf("%d starts within %v of each other, want at most %d", n, w.Span, w.N)
				}
			}
		}
		// 30 starts at 7 a minute: the 29th and 30th start as the fifth minute does.
		if took := time.Since(start); took != 4*time.Minute {
			t.Errorf("30 starts took %v, want 4m0s (7 a minute)", took)
		}
	})
}

// TestClientKeepsToItsLimitsThroughRetries: the client's limits hold its retries too, so a
// read retried through a storm of 429s never sends more than the share in any minute, and a
// wait ends when the context does.
func TestClientKeepsToItsLimitsThroughRetries(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := bolnatest.NewAPI(bolnatest.Options{Faults: bolnatest.Faults{ReadTooMany: 1}})
		defer api.Close()
		c := api.InProcessClient(dialer.WithLimits(dialer.Limits{Call: 2, List: 2, Other: 3}))
		ctx, cancel := context.WithTimeout(t.Context(), 59*time.Second)
		defer cancel()
		if _, err := c.Execution(ctx, "no-such-call"); err == nil {
			t.Fatal("a read answered 429 every time succeeded")
		}
		if got := api.Stats().ByRoute["GET /executions/{id}"]; got != 3 {
			t.Errorf("%d GETs in the first minute, want the limit's 3", got)
		}
	})
}
