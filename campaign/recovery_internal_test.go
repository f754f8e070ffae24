package campaign

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// statusDialer answers GET /executions/{id} with a fixed status per call.
type statusDialer map[string]dialer.Status

func (statusDialer) Account(context.Context, ...dialer.RequestOption) (*dialer.Account, error) {
	return nil, errors.ErrUnsupported
}
func (statusDialer) PlaceCall(context.Context, dialer.CallRequest, ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	return nil, errors.ErrUnsupported
}
func (d statusDialer) Execution(_ context.Context, id string, _ ...dialer.RequestOption) (*dialer.Execution, error) {
	return &dialer.Execution{ID: dialer.ID(id), Status: d[id]}, nil
}
func (statusDialer) ListExecutions(context.Context, string, dialer.ListOptions, ...dialer.RequestOption) (*dialer.ExecutionPage, error) {
	return &dialer.ExecutionPage{}, nil
}

// TestSurvey: of the calls an earlier run left, those dialling, ringing or talking count in
// the account's concurrency.current (they are added back when the pool is sized); a call in
// post-processing or still queued does not, and only the post-processing one frees its slot.
func TestSurvey(t *testing.T) {
	t.Parallel()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "r.csv.state"), journal.Owner{Agent: "a", API: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := Config{}
	cfg.setDefaults()
	d := statusDialer{"e1": dialer.StatusRinging, "e2": dialer.StatusInProgress, "e3": dialer.StatusCallDisconnected,
		"e4": dialer.StatusQueued, "e5": dialer.StatusInitiated}
	tr := newTracker(trackerDeps{cfg: &cfg, dialer: d, st: st, ledger: newLedger(ledgerDeps{st: st, now: time.Now, looks: newLimits(&cfg).looks}), looks: newLimits(&cfg).looks})
	now := time.Now()
	for id := range d {
		if err := tr.adopt(journal.LiveCall{Key: id, Phone: "+91" + id, Attempt: 1, ExecutionID: id, DialedAt: now}, now); err != nil {
			t.Fatal(err)
		}
	}
	active, err := tr.survey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if active != 3 || tr.holding() != 4 {
		t.Errorf("active %d, holding %d; want 3 active (initiated, ringing, in-progress), 4 holding a slot (and queued)", active, tr.holding())
	}
	if got := poolSize(cfg, 10, 6, active); got != 7 {
		t.Errorf("pool of %d with 6 of 10 in use, 3 of them ours: want 7", got)
	}
}
