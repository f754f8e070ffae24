package campaign_test

import (
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
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
			tc := newCampaign(t, bolnatest.Options{Concurrency: 3, Faults: bolnatest.Faults{StopIgnored: tt.ignored},
				Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}, 3) // every call waits an hour
			cfg := baseConfig()
			cfg.MaxWait = 200 * time.Millisecond
			for run := 1; run <= 2; run++ {
				_, rows, err := tc.runWith(t, within(t, 20*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				for _, row := range rows {
					if row.Outcome.Status != tt.status {
						t.Errorf("run %d, line %d: %s (%s), want %s", run, row.Line, row.Outcome.Status, row.Outcome.Error, tt.status)
					}
				}
			}
			checkDialled(t, tc.srv, tc.phones, tt.dialled)
		})
	}
}
