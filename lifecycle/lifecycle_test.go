package lifecycle_test

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/lifecycle"
)

// TestEveryBolnaStatusMapsToOneOfOurs: each of Bolna's statuses is in the table once, at one
// stage, with one attempt phase and one results status: a terminal one settles to a results
// status of its own word, any other is in flight. Terminal (Bolna's word) and settled (ours)
// agree on Bolna's statuses and differ only on the runner's own.
func TestEveryBolnaStatusMapsToOneOfOurs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, b := range lifecycle.BolnaStatuses() {
		if seen[b.Status] {
			t.Errorf("%q is in Bolna's table twice", b.Status)
		}
		seen[b.Status] = true
		if b.Stage < lifecycle.Waiting || b.Stage > lifecycle.Terminal || b.Phase < lifecycle.PhaseQueued || b.Phase > lifecycle.PhaseFinal {
			t.Errorf("%q: stage %d, phase %d; want one of each", b.Status, b.Stage, b.Phase)
		}
		r, ok := lifecycle.OfResult(b.Result)
		if !ok {
			t.Errorf("%q maps to %q, not a results status", b.Status, b.Result)
			continue
		}
		terminal := b.Stage == lifecycle.Terminal
		if terminal != (b.Phase == lifecycle.PhaseFinal) || terminal != r.Settled || terminal != (b.Result == b.Status) ||
			!terminal && b.Result != lifecycle.InFlight {
			t.Errorf("%q: terminal %v, phase %d, results status %q (settled %v); want terminal ones final and settled "+
				"under their own word, the others in flight", b.Status, terminal, b.Phase, b.Result, r.Settled)
		}
		if terminal != (b.Order == 0) {
			t.Errorf("%q: terminal %v, order %d; want an order for the statuses a call passes through", b.Status, terminal, b.Order)
		}
		if got, ok := lifecycle.OfBolna(b.Status); !ok || got != b {
			t.Errorf("OfBolna(%q) = %+v, %v; want its row", b.Status, got, ok)
		}
	}
	if _, ok := lifecycle.OfBolna(lifecycle.Timeout); ok {
		t.Error("timeout is in Bolna's table: it is the runner's own")
	}
}

// TestResultsTable: every results status is in the table once, in display order; one spelled
// as one of Bolna's statuses is a terminal one; the runner's own that differ from Bolna's
// terminal ones say so (a timeout is not settled, an invalid row was never a call and is).
func TestResultsTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i, r := range lifecycle.Results() {
		if seen[r.Status] {
			t.Errorf("%q is in the results table twice", r.Status)
		}
		seen[r.Status] = true
		if lifecycle.ResultOrder(r.Status) != i {
			t.Errorf("ResultOrder(%q) = %d, want %d", r.Status, lifecycle.ResultOrder(r.Status), i)
		}
		if b, ok := lifecycle.OfBolna(r.Status); ok && b.Stage != lifecycle.Terminal {
			t.Errorf("results status %q is a status Bolna gives before the terminal one", r.Status)
		}
	}
	for status, settled := range map[string]bool{lifecycle.Timeout: false, lifecycle.InFlight: false, lifecycle.Pending: false,
		lifecycle.Invalid: true, lifecycle.Unknown: true, lifecycle.Completed: true} {
		if r, ok := lifecycle.OfResult(status); !ok || r.Settled != settled {
			t.Errorf("%q: settled %v (in the table %v), want %v", status, r.Settled, ok, settled)
		}
	}
	if got := lifecycle.ResultOrder("no-such-status"); got != len(lifecycle.Results()) {
		t.Errorf("ResultOrder of an unknown status = %d, want last (%d)", got, len(lifecycle.Results()))
	}
}
