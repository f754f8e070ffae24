package campaign_test

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestRunKeepsToItsShare runs campaigns whose poll interval and concurrency would spend far
// more than a small share of Bolna's limits, against an account whose limits are exactly that
// share: a request beyond it would be refused with a 429. The run must cause none, keep every
// class within its share in every minute, and still dial every contact once.
func TestRunKeepsToItsShare(t *testing.T) {
	t.Parallel()
	tests := []benchCase{
		{name: "placements bind", concurrency: 20, calls: 60, timing: benchTiming, poll: 20 * time.Millisecond, share: 0.02},
		{name: "looks bind too", concurrency: 8, calls: 160, timing: benchTiming, poll: 20 * time.Millisecond, share: 0.1},
		{name: "webhook", concurrency: 20, calls: 60, timing: benchTiming, poll: 20 * time.Millisecond, share: 0.02, push: true},
	}
	for _, bc := range tests {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				opts := bc.options()
				l := bc.limits()
				opts.Limits = bolnatest.Limits{CallPerMinute: l.Call, ListPerMinute: l.List, OtherPerMinute: l.Other}
				var runner atomic.Pointer[campaign.Runner]
				if bc.push {
					opts.Webhook = inProcessWebhook(t, &runner)
				}
				api := bolnatest.NewAPI(opts)
				defer api.Close()
				runBenchCase(t, bc, api.InProcessClient(dialer.WithLimits(l)), func(r *campaign.Runner) { runner.Store(r) })
				st := api.Stats()
				t.Logf("%s", benchRow(bc, st, 0))
				checkBenchCase(t, bc, st)
				checkDialledOnce(t, api, bc.calls)
			})
		})
	}
}

// checkDialledOnce fails unless the account was asked to call n numbers, each once.
func checkDialledOnce(t *testing.T, api *bolnatest.API, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range api.Placements() {
		seen[p.Phone]++
		if seen[p.Phone] > 1 {
			t.Errorf("%s dialled %d times", p.Phone, seen[p.Phone])
		}
	}
	if len(seen) != n {
		t.Errorf("%d numbers dialled, want %d", len(seen), n)
	}
}
