package campaign_test

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/lifecycle"
)

// TestBolnaFinalStatusesAreResults: the client and the journal read one table. Every terminal
// status of Bolna's is a results status of the same spelling, settled; every results status
// spelled as one of Bolna's is terminal there; every other of Bolna's is none of ours.
func TestBolnaFinalStatusesAreResults(t *testing.T) {
	t.Parallel()
	for _, s := range journal.Statuses() {
		if b := dialer.Status(s); b.Known() && !b.Terminal() {
			t.Errorf("results status %q is a status Bolna gives before the terminal one", s)
		}
	}
	terminal := 0
	for _, row := range lifecycle.BolnaStatuses() {
		s := dialer.Status(row.Status)
		switch {
		case s.Terminal():
			terminal++
			if !journal.Status(s).Known() || !journal.Status(s).Settled() {
				t.Errorf("Bolna's terminal status %q: a results status %v, settled %v; want both", s, journal.Status(s).Known(), journal.Status(s).Settled())
			}
		case journal.Status(s).Known():
			t.Errorf("Bolna's status %q, not terminal, is a results status", s)
		}
	}
	for _, s := range []dialer.Status{dialer.StatusCompleted, dialer.StatusNoAnswer, dialer.StatusBusy, dialer.StatusFailed,
		dialer.StatusError, dialer.StatusCanceled, dialer.StatusStopped, dialer.StatusBalanceLow} {
		if !s.Terminal() || !journal.Status(s).Known() {
			t.Errorf("Bolna's final status %q: terminal %v, a results status %v; want both", s, s.Terminal(), journal.Status(s).Known())
		}
	}
	if terminal != 8 {
		t.Errorf("%d terminal statuses of Bolna's, want 8", terminal)
	}
}
