package campaign_test

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// TestBolnaFinalStatusesAreResults: every final status of Bolna's is a results status of the
// same spelling (the journal declares its words without importing the client), and every
// results status spelled as one of Bolna's is final there.
func TestBolnaFinalStatusesAreResults(t *testing.T) {
	t.Parallel()
	for _, s := range journal.Statuses() {
		if b := dialer.Status(s); b.Known() && !b.Final() {
			t.Errorf("results status %q is a status Bolna gives before the final one", s)
		}
	}
	for _, s := range []dialer.Status{dialer.StatusCompleted, dialer.StatusNoAnswer, dialer.StatusBusy, dialer.StatusFailed,
		dialer.StatusError, dialer.StatusCanceled, dialer.StatusStopped, dialer.StatusBalanceLow} {
		if !s.Final() || !journal.Status(s).Known() {
			t.Errorf("Bolna's final status %q: final %v, a results status %v; want both", s, s.Final(), journal.Status(s).Known())
		}
	}
}
