package campaign_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// Tests that each kill a mutant of the code that survived the suite (issue 28, item 3).

// TestTornIntentSettled: the journal's last line, an intent to dial, was cut before its POST
// /call left. The run looks for the call, finds none, and closes the torn intent in the
// journal (State.Settle) even though it does not dial the row in that run (--limit): the next
// run does not look for it again, and dials it once.
func TestTornIntentSettled(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 2)
	cfg := baseConfig()
	path := store.At(tc.results).StatePath()
	st, err := journal.OpenState(path, journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	st.NoteAccount(journal.Account{Concurrency: 10, At: time.Now()}) // a record before the intent
	st.Dial(tc.phones[1], tc.phones[1], 1, st.Ref(tc.phones[1], 1), time.Now())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cutJournal(t, path, `"ref"`) // cut inside the dial record: a crash before the POST left

	const searching = "an earlier run stopped while placing"
	logged, logger := bolnatest.NewLog()
	cfg.Logger, cfg.Limit = logger, 1 // the torn row is the second: left for a later run
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Dialled != 1 {
		t.Fatalf("Run() = %+v, %v; want the first row dialled", summary, err)
	}
	if n := logged.Count(searching); n != 1 {
		t.Errorf("the first run said %d times that it looks for the torn intent's call, want once", n)
	}
	if rows[1].Outcome.Status != journal.StatusPending || !strings.Contains(rows[1].Outcome.Error, "--limit") {
		t.Errorf("torn row: %s %q, want pending past --limit", rows[1].Outcome.Status, rows[1].Outcome.Error)
	}
	rs, err := journal.ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if torn := rs.Torn(); len(torn) != 0 {
		t.Errorf("after a search that found no call: Torn() = %+v, want the torn intent settled", torn)
	}
	rs.Close()

	logged, logger = bolnatest.NewLog()
	cfg.Logger, cfg.Limit = logger, 0
	summary, _, err = tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 || summary.Dialled != 1 {
		t.Fatalf("rerun: Run() = %+v, %v; want the torn row dialled", summary, err)
	}
	if n := logged.Count(searching); n != 0 {
		t.Errorf("the rerun looked again for a torn intent already settled (%d messages): %q", n, logged.Messages())
	}
	checkDialled(t, tc.srv, tc.phones, 1)
}

// TestStopWhileWaitingForCallerID: one caller id at one live call (--per-number-concurrency
// 1) and two slots: the second row holds a slot while it waits for the number. A stop then
// gives that slot back: the run ends stopped, not in the audit's internal error, and the rows
// not dialled say why.
func TestStopWhileWaitingForCallerID(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		talk := time.Minute // the first call holds the number until the stop
		api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming, Outcome: func(string) bolnatest.Outcome {
			return bolnatest.Outcome{Status: dialer.StatusCompleted, Talk: talk}
		}})
		tc := listCampaign(t, "+9197", 10000000, 3)
		cfg := baseConfig()
		cfg.Concurrency, cfg.FromNumbers, cfg.PerNumber = 2, []string{"+919800000001"}, 1
		cfg.MaxWait, cfg.PollInterval = time.Hour, time.Second
		// A deadline in virtual time: a slot leaked fails the test within seconds, never hangs it.
		summary, rows, err := tc.runWith(t, within(t, time.Hour), api.InProcessClient(), "inprocess", cfg, func(r *campaign.Runner) {
			go func() {
				for len(api.Placements()) == 0 {
					time.Sleep(time.Millisecond) // virtual time: until the first call is placed
				}
				synctest.Wait() // the second row waits for the number, holding its slot
				r.Stop()
			}()
		})
		if !errors.Is(err, campaign.ErrStopped) {
			t.Fatalf("Run() error = %v, want ErrStopped", err)
		}
		if n := len(api.Placements()); n != 1 || summary.Dialled != 1 {
			t.Errorf("%d calls placed (%d dialled), want the one placed before the stop", n, summary.Dialled)
		}
		for _, row := range rows[1:] {
			if row.Outcome.Status != journal.StatusPending || !strings.Contains(row.Outcome.Error, "stopped placing calls") {
				t.Errorf("line %d: %s %q, want pending: the run stopped placing calls", row.Line, row.Outcome.Status, row.Outcome.Error)
			}
		}
	})
}

// stopOnPlace stops its runner as a POST /call is about to leave: the run's send gate closes
// before the request is sent.
type stopOnPlace struct {
	campaign.Dialer
	runner atomic.Pointer[campaign.Runner]
}

func (d *stopOnPlace) PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	d.runner.Load().Stop()
	return d.Dialer.PlaceCall(ctx, req, opts...)
}

// TestStoppedBeforePOST: the run is stopped while a row's POST /call is about to leave. The
// send gate holds the POST back; that row, like those the run never reached, is pending and
// says the run stopped placing calls.
func TestStoppedBeforePOST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		concurrency int
	}{
		{"one at a time", 1},
		{"several at once", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{}, 4)
			cfg := baseConfig()
			cfg.Concurrency = tt.concurrency
			d := &stopOnPlace{Dialer: tc.srv.Client()}
			summary, rows, err := tc.runWith(t, within(t, 20*time.Second), d, tc.srv.URL, cfg, func(r *campaign.Runner) { d.runner.Store(r) })
			if !errors.Is(err, campaign.ErrStopped) {
				t.Fatalf("Run() error = %v, want ErrStopped", err)
			}
			if n := len(tc.srv.Placements()); n != 0 || summary.Dialled != 0 {
				t.Errorf("%d calls placed (%d dialled), want none: the gate closed before the first POST", n, summary.Dialled)
			}
			for _, row := range rows {
				if row.Outcome.Status != journal.StatusPending || !strings.Contains(row.Outcome.Error, "the run stopped placing calls") {
					t.Errorf("line %d: %s %q, want pending: the run stopped placing calls", row.Line, row.Outcome.Status, row.Outcome.Error)
				}
			}
		})
	}
}
