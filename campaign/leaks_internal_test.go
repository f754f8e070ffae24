package campaign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// leakOnPlace takes a slot of the run's pool as its first POST /call leaves, and never gives
// it back: the slot a lost give-back would leak.
type leakOnPlace struct {
	Dialer
	r    *Runner
	once sync.Once
}

func (d *leakOnPlace) PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	d.once.Do(func() { d.r.tracker.Load().ledger.pool.retake() })
	return d.Dialer.PlaceCall(ctx, req, opts...)
}

// outcomes is a ResultWriter that keeps the outcomes' statuses.
type outcomes []journal.Status

func (*outcomes) WriteHeader([]string) error { return nil }
func (o *outcomes) Name() string             { return "results kept in memory" }

func (o *outcomes) WriteRow(_ []string, oc journal.Outcome) error {
	*o = append(*o, oc.Status)
	return nil
}

// TestLeakedSlotEndsRun: a slot leaked (taken, never given back) leaves the rows after it
// waiting for a slot while nothing is in flight. The wait sees the pool hold more slots than
// the attempts account for (ledger.acquire) and ends the run with the audit's internal error
// within two looks, seconds of (virtual) time, not at a deadline an hour later; the rows not
// dialled stay pending, and the audit sees the slot held for no call.
func TestLeakedSlotEndsRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming})
		dir := t.TempDir()
		input := filepath.Join(dir, "contacts.csv")
		if err := os.WriteFile(input, []byte("phone\n+919700000001\n+919700000002\n+919700000003\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := journal.OpenState(filepath.Join(dir, "contacts.results.csv.state"), journal.Owner{Agent: bolnatest.DefaultAgentID, API: "inprocess"})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		cfg := Config{AgentID: bolnatest.DefaultAgentID, Concurrency: 1, PollInterval: time.Second, MaxWait: time.Minute,
			ListLag: 100 * time.Millisecond, PlaceTimeout: time.Second, Limits: dialer.Limits{Call: -1, List: -1, Other: -1}}
		d := &leakOnPlace{Dialer: api.InProcessClient()}
		r := NewRunner(d, cfg)
		d.r = r
		deadline := errors.New("the run did not end by itself: ended by the test's deadline")
		ctx, cancel := context.WithTimeoutCause(t.Context(), time.Hour, deadline) // virtual time
		defer cancel()
		var out outcomes
		start := time.Now()
		summary, err := r.Run(ctx, listFile(input), st, &out)
		var leak *invariantError
		if !errors.As(err, &leak) || errors.Is(err, deadline) || time.Since(start) > 5*leakCheck {
			t.Fatalf("Run() error = %v after %s (virtual), want the internal error of a leaked slot within seconds", err, time.Since(start))
		}
		if summary.Dialled != 1 || len(out) != 3 || out[1] != journal.StatusPending || out[2] != journal.StatusPending {
			t.Errorf("dialled %d, outcomes %v: want the first row dialled, the two waiting for a slot pending", summary.Dialled, out)
		}
		tr := r.tracker.Load()
		var ie *invariantError
		if err := tr.ledger.audit(tr.holding()); !errors.As(err, &ie) {
			t.Errorf("audit() = %v, want the internal error of a slot held for no call", err)
		}
	})
}
