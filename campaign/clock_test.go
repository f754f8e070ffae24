package campaign_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestSkewedClock: Bolna's clock far from ours (created_at 16 or 20 minutes behind, 20 ahead,
// or in another zone) never costs a second call nor a result. A crashed run's intent is looked
// for where Bolna's clock puts it, and found; with nothing to tell Bolna's clock by (no Date
// header, no call measured), it is looked for in the zone-wide window and found there (see
// TestUnknownClockAfterCrash for the miss that proves nothing). A clock that jumps 20 minutes
// mid-run, with lost replies, leaves no row unknown.
func TestSkewedClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offset time.Duration
		hide   bool // the client says nothing of Bolna's clock
	}{
		{"16 minutes behind", -16 * time.Minute, false},
		{"20 minutes behind", -20 * time.Minute, false},
		{"20 minutes ahead", 20 * time.Minute, false},
		{"five and a half hours ahead", 5*time.Hour + 30*time.Minute, false},
		{"20 minutes behind, the clock unknown", -20 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run("crash, "+tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{Now: func() time.Time { return time.Now().Add(tt.offset) }}, 3)
			cfg := baseConfig()
			tc.placedBeforeCrash(t, cfg, tc.phones[0], nil)
			var d campaign.Dialer = tc.srv.Client()
			if tt.hide {
				d = noClock{d}
			}
			summary, rows, err := tc.runWith(t, t.Context(), d, tc.srv.URL, cfg, nil)
			if err != nil || summary.Unfinished() != 0 {
				t.Fatalf("Run() = %+v, %v", summary, err)
			}
			checkDialled(t, tc.srv, tc.phones, 1)
			checkMatchesServer(t, tc.srv, rows)
		})
	}
	t.Run("a jump of 20 minutes mid-run, replies lost", func(t *testing.T) {
		t.Parallel()
		var jump atomic.Int64
		tc := newCampaign(t, bolnatest.Options{Seed: 7, Faults: bolnatest.Faults{PlaceLost: 0.3},
			Now: func() time.Time { return time.Now().Add(time.Duration(jump.Load())) }}, 16)
		go func() {
			for len(tc.srv.Placements()) < 6 {
				time.Sleep(time.Millisecond)
			}
			jump.Store(int64(20 * time.Minute))
		}()
		cfg := baseConfig()
		cfg.Concurrency = 4
		cfg.ListLag = 300 * time.Millisecond
		summary, rows, err := tc.run(t, cfg, nil)
		if err != nil || summary.Unfinished() != 0 || summary.ByStatus[journal.StatusUnknown] != 0 {
			t.Fatalf("Run() = %+v, %v; want every row final, none unknown", summary, err)
		}
		checkDialled(t, tc.srv, tc.phones, 1)
		checkMatchesServer(t, tc.srv, rows)
	})
}

// TestSlowPostAcrossCrash: a run dies while its POST /call is still on its way, and Bolna
// creates the call seconds later. The rerun, started at once, looks for the call until the
// dead run's POST could no longer have been answered (its timeout) and the list must show it:
// it finds the call and dials nobody twice.
func TestSlowPostAcrossCrash(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 2)
	cfg := baseConfig()
	cfg.PlaceTimeout = 3 * time.Second
	cfg.ListLag = 300 * time.Millisecond
	st, err := journal.OpenState(store.At(tc.results).StatePath(), journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ref(tc.phones[0], 1)
	st.Dial(tc.phones[0], tc.phones[0], 1, ref, time.Now())
	st.Close()
	created := make(chan error, 1)
	go func() { // the POST the dead run sent, taking effect 1.5 s later
		time.Sleep(1500 * time.Millisecond)
		_, err := tc.srv.Client().PlaceCall(context.Background(), dialer.CallRequest{AgentID: cfg.AgentID,
			RecipientPhoneNumber: tc.phones[0], UserData: map[string]string{contacts.RefKey: ref}})
		created <- err
	}()
	summary, rows, err := tc.run(t, cfg, nil)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}
