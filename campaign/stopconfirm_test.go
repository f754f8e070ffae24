package campaign_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestStopUnconfirmed: calls still waiting at Bolna when --max-wait ends are stopped. Only a
// stop Bolna's own status confirms gives the attempt back (the row is pending, and a later
// run dials it again); a stop Bolna acknowledges without carrying it out leaves the call in
// flight (timeout), so that the next run follows it instead of dialling the row a second time
// while the first call still rings in its turn.
func TestStopUnconfirmed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ignored float64
		status  journal.Status // of every row after each run
		dialled int            // times each number was dialled after both runs
	}{
		{"stops carried out", 0, journal.StatusPending, 2},
		{"stops acknowledged, not carried out", 1, journal.StatusTimeout, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// In virtual time: on loopback, a machine too busy to look at the calls within the
			// 200 ms of --max-wait ended them "timeout (last seen: none)", not stopped.
			synctest.Test(t, func(t *testing.T) {
				api := bolnatest.NewAPI(bolnatest.Options{Concurrency: 3, Timing: bolnatest.FastTiming,
					Faults:     bolnatest.Faults{StopIgnored: tt.ignored},
					Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // every call waits an hour
				t.Cleanup(api.Close)
				tc := listCampaign(t, "+9198", 10000000, 3)
				cfg := baseConfig()
				cfg.MaxWait = 200 * time.Millisecond
				for run := 1; run <= 2; run++ {
					_, rows, err := tc.runWith(t, within(t, 20*time.Second), api.InProcessClient(), "inprocess", cfg, nil)
					if err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
					for _, row := range rows {
						if row.Outcome.Status != tt.status {
							t.Errorf("run %d, line %d: %s (%s), want %s", run, row.Line, row.Outcome.Status, row.Outcome.Error, tt.status)
						}
					}
				}
				placed := map[string]int{}
				for _, pl := range api.Placements() {
					placed[pl.Phone]++
				}
				for _, p := range tc.phones {
					if placed[p] != tt.dialled {
						t.Errorf("%s dialled %d times, want %d", p, placed[p], tt.dialled)
					}
				}
			})
		})
	}
}

// staleAfterStop reads each call stopped through it once as it was before the stop (Bolna's
// read lagging behind its stop): a stop it confirms only at a later look.
type staleAfterStop struct {
	*dialer.Client
	mu    sync.Mutex
	stale map[string]bool
}

func (d *staleAfterStop) StopCall(ctx context.Context, id string, opts ...dialer.RequestOption) error {
	err := d.Client.StopCall(ctx, id, opts...)
	if err == nil {
		d.mu.Lock()
		d.stale[id] = true
		d.mu.Unlock()
	}
	return err
}

func (d *staleAfterStop) Execution(ctx context.Context, id string, opts ...dialer.RequestOption) (*dialer.Execution, error) {
	ex, err := d.Client.Execution(ctx, id, opts...)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && d.stale[id] {
		delete(d.stale, id)
		old := *ex
		old.Status = dialer.StatusRescheduled
		return &old, nil
	}
	return ex, err
}

// TestStopConfirmedLater: bolna-campaign stop during a run; Bolna's read right after each stop
// still shows the call waiting. The calls are followed, and given back (pending, counted as
// stopped) when a later look sees them stopped: not recorded as final "stopped" rows.
func TestStopConfirmedLater(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 3,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}, 3) // every call waits an hour
	d := &staleAfterStop{Client: tc.srv.Client(), stale: map[string]bool{}}
	var r atomic.Pointer[campaign.Runner]
	go func() {
		for r.Load() == nil || len(tc.srv.Placements()) < 3 {
			time.Sleep(time.Millisecond) // waiting on the server's state, not a timing assumption
		}
		r.Load().StopQueued()
	}()
	summary, rows, err := tc.runWith(t, within(t, 20*time.Second), d, tc.srv.URL, baseConfig(), func(run *campaign.Runner) { r.Store(run) })
	if !errors.Is(err, campaign.ErrStopped) {
		t.Fatalf("Run() error = %v, want ErrStopped", err)
	}
	if summary.Stopped != 3 {
		t.Errorf("%d calls stopped, want 3", summary.Stopped)
	}
	for _, row := range rows {
		if row.Outcome.Status != journal.StatusPending || !strings.Contains(row.Outcome.Error, "stopped before it rang") {
			t.Errorf("line %d: %s %q, want pending, given back", row.Line, row.Outcome.Status, row.Outcome.Error)
		}
	}
}
