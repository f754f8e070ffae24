package campaign_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

func TestRunStop(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 2}, 20)
	cfg := baseConfig()
	cfg.Concurrency = 2
	var r atomic.Pointer[campaign.Runner]
	stopAt := 5
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r.Load() == nil || r.Load().Progress().Placed < stopAt {
			time.Sleep(time.Millisecond) // polling the progress of a real run, not a timing assumption
		}
		r.Load().Stop()
	}()
	summary, rows, err := tc.runWith(t, within(t, 20*time.Second), tc.srv.Client(), tc.srv.URL, cfg, func(run *campaign.Runner) { r.Store(run) })
	<-done
	if !errors.Is(err, campaign.ErrStopped) {
		t.Fatalf("Run() error = %v, want ErrStopped", err)
	}
	placed := len(tc.srv.Placements())
	if placed < stopAt || placed > stopAt+2 {
		t.Errorf("%d calls placed after stopping at %d, want no new calls beyond those being placed", placed, stopAt)
	}
	for _, row := range rows {
		if row.Outcome.Status == journal.StatusInFlight {
			t.Errorf("line %d still in flight: calls in flight must be followed to the end", row.Line)
		}
	}
	if summary.ByStatus[journal.StatusPending] != 20-placed {
		t.Errorf("pending = %d, want %d", summary.ByStatus[journal.StatusPending], 20-placed)
	}
	summary, _, err = tc.run(t, baseConfig(), nil)
	if err != nil || summary.Dialled != 20-placed {
		t.Errorf("rerun dialled %d (%v), want the %d left", summary.Dialled, err, 20-placed)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
}

func TestRunHaltsOnFailures(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 1, Outcome: func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "failed"} }}, 10)
	cfg := baseConfig()
	cfg.HaltAfter = 3
	summary, rows, err := tc.runWith(t, within(t, 20*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if summary.Halted == "" || summary.ByStatus["failed"] < 3 || summary.ByStatus[journal.StatusPending] < 5 {
		t.Errorf("summary = %+v, want halted after 3 failures with the rest pending", summary)
	}
	// Exactly: one call at a time, each failure known before its slot is free, so the run
	// halts at the third and places no fourth.
	if summary.ByStatus["failed"] != 3 || summary.ByStatus[journal.StatusPending] != 7 || summary.Dialled != 3 {
		t.Errorf("failed %d, pending %d, dialled %d; want exactly 3, 7, 3", summary.ByStatus["failed"], summary.ByStatus[journal.StatusPending], summary.Dialled)
	}
	for _, r := range rows { // the rows not dialled say why
		if r.Outcome.Status == journal.StatusPending && !strings.Contains(r.Outcome.Error, "the run stopped placing calls") {
			t.Errorf("line %d: pending %q, want the reason", r.Line, r.Outcome.Error)
		}
	}
}

func TestRunFatal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		agent string
		key   string
		want  string
	}{
		{"bad key", bolnatest.DefaultAgentID, "bn-wrong", "key was refused"},
		{"unknown agent", "no-such-agent", "", "was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{}, 5)
			cfg := baseConfig()
			cfg.AgentID = tt.agent
			st, err := journal.OpenState(store.At(tc.results).StatePath(), journal.Owner{Agent: tt.agent})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			w, _ := results.Create(tc.results)
			defer w.Abort()
			var d campaign.Dialer = tc.srv.Client()
			if tt.key != "" {
				d, _ = dialer.New(tt.key, dialer.WithBaseURL(tc.srv.URL))
			}
			_, err = campaign.NewRunner(d, cfg).Run(t.Context(), store.ContactFile(tc.input), st, w)
			var fatal *campaign.FatalError
			if !errors.As(err, &fatal) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run() error = %v, want a FatalError saying %q", err, tt.want)
			}
			if n := len(tc.srv.Placements()); n != 0 {
				t.Errorf("%d calls placed, want 0", n)
			}
		})
	}
}

// TestRunKeyRevokedMidRun: the key stops working while calls are followed. The run stops
// placing calls and ends with a FatalError instead of hanging; the calls stay in the journal
// for the next run.
func TestRunKeyRevokedMidRun(t *testing.T) {
	t.Parallel()
	var revoked atomic.Bool
	tc := newCampaign(t, bolnatest.Options{Concurrency: 2, Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		if revoked.Load() {
			return bolnatest.Revoked
		}
		return bolnatest.NoFault
	}}}, 20)
	go func() {
		for len(tc.srv.Placements()) < 3 {
			time.Sleep(time.Millisecond) // waiting on the server's state
		}
		revoked.Store(true)
	}()
	summary, _, err := tc.run(t, baseConfig(), nil)
	var fatal *campaign.FatalError
	if !errors.As(err, &fatal) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Run() error = %v, want a FatalError saying the key was refused", err)
	}
	if placed := len(tc.srv.Placements()); placed > 5 {
		t.Errorf("%d calls placed, want the run to stop placing once the key is refused", placed)
	}
	if summary == nil || summary.ByStatus[journal.StatusInFlight]+summary.ByStatus[journal.StatusPending] == 0 {
		t.Errorf("summary %+v: want rows in flight or pending for the next run", summary)
	}
}

// TestRunBolnaUnreachable: Bolna goes away mid-run (the server stops listening). Once no read
// has succeeded for Config.Outage, the run ends with a FatalError rather than following blindly
// until --max-wait, and the rows stay pending or in flight for the next run.
func TestRunBolnaUnreachable(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 1}, 10)
	go func() {
		for len(tc.srv.Placements()) < 2 {
			time.Sleep(time.Millisecond) // waiting on the server's state
		}
		tc.srv.Close()
	}()
	cfg := baseConfig()
	cfg.Outage = 300 * time.Millisecond
	summary, _, err := tc.run(t, cfg, nil)
	var fatal *campaign.FatalError
	if !errors.As(err, &fatal) {
		t.Fatalf("Run() error = %v, want a FatalError", err)
	}
	if summary == nil || summary.Unfinished() < 8 {
		t.Errorf("summary %+v: want the rows not dialled left for the next run", summary)
	}
}
