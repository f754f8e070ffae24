package campaign_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// rowStatuses is a ResultWriter that keeps the rows' statuses.
type rowStatuses []journal.Status

func (*rowStatuses) WriteHeader([]string) error { return nil }
func (o *rowStatuses) Name() string             { return "results kept in memory" }

func (o *rowStatuses) WriteRow(_ []string, oc journal.Outcome) error {
	*o = append(*o, oc.Status)
	return nil
}

// pausableGuard allows every call, and says the campaign is paused once pause is set.
type pausableGuard struct {
	pause  atomic.Pointer[string]
	mu     sync.Mutex
	placed int
}

func (g *pausableGuard) Reserve(context.Context, campaign.GuardAttempt, campaign.Rules) (campaign.Verdict, error) {
	if p := g.pause.Load(); p != nil {
		return campaign.Verdict{Kind: campaign.VerdictPaused, Reason: *p}, nil
	}
	g.mu.Lock()
	g.placed++
	g.mu.Unlock()
	return campaign.Verdict{Allowed: true}, nil
}
func (*pausableGuard) Placed(context.Context, string, string, time.Time) error   { return nil }
func (*pausableGuard) Settle(context.Context, string, campaign.Settlement) error { return nil }
func (*pausableGuard) Void(context.Context, string) error                        { return nil }
func (*pausableGuard) Unsettled(context.Context, string) ([]string, error)       { return nil, nil }
func (*pausableGuard) DailySpend(context.Context, time.Time) (float64, error)    { return 0, nil }
func (g *pausableGuard) PausedBy(context.Context, string) (string, error) {
	if p := g.pause.Load(); p != nil {
		return *p, nil
	}
	return "", nil
}

// TestPauseNoticedWhileWaitingForASlot: a lasting pause set while the run's one slot is held
// by a call of ten minutes, and the next row waits for it, halts the run within two seconds
// (of virtual time), saying who paused it; the waiting row is not dialled. Before the pause
// was watched, it was noticed only at the next placement, once the call ended.
func TestPauseNoticedWhileWaitingForASlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		long := bolnatest.FastTiming
		long.Talk = bolnatest.Range{Min: 10 * time.Minute, Max: 10 * time.Minute}
		long.NoAnswerRing, long.BusyAfter, long.FailAfter = long.Talk, long.Talk, long.Talk // every call is answered
		api := bolnatest.NewAPI(bolnatest.Options{Timing: long})
		dir := t.TempDir()
		input := filepath.Join(dir, "contacts.csv")
		if err := os.WriteFile(input, []byte("phone\n+919700000001\n+919700000002\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := journal.OpenState(filepath.Join(dir, "contacts.results.csv.state"), journal.Owner{Agent: bolnatest.DefaultAgentID, API: "inprocess"})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		g := &pausableGuard{}
		halted := make(chan time.Time, 1)
		cfg := baseConfig()
		cfg.Concurrency, cfg.MaxWait, cfg.PollInterval, cfg.Guard = 1, time.Hour, time.Second, g
		cfg.OnHalt = func(string) { halted <- time.Now() }
		const who = "campaign x paused by ops@host at 2026-12-01T12:00:00Z"
		pausedAt := make(chan time.Time, 1)
		go func() {
			time.Sleep(30 * time.Second) // the first call talks; the second row waits for its slot
			g.pause.Store(new(who))
			pausedAt <- time.Now()
		}()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Hour) // virtual time
		defer cancel()
		var out rowStatuses
		summary, err := campaign.NewRunner(api.InProcessClient(), cfg).Run(ctx, store.ContactFile(input), st, &out)
		if err != nil && !errors.Is(err, campaign.ErrStopped) {
			t.Fatalf("Run() error = %v", err)
		}
		p, h := <-pausedAt, <-halted
		if d := h.Sub(p); d > 2*time.Second || d < 0 {
			t.Errorf("the pause was noticed %s after it was set, want within 2s", d)
		}
		if !strings.Contains(summary.Halted, who) || summary.Dialled != 1 || g.placed != 1 {
			t.Errorf("halted %q, dialled %d, reserved %d: want halted by the pause, one call (the waiting row not dialled)", summary.Halted, summary.Dialled, g.placed)
		}
		if len(out) != 2 || out[1] != journal.StatusPending {
			t.Errorf("outcomes %v: want the waiting row pending", out)
		}
	})
}
