package campaign

import (
	"errors"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestStartGate: until the pool starts, a stop keeps every request of the run's dialer from
// leaving; once open, reads leave whatever the stop; and what else the client can do (stop a
// call, read Bolna's clock) is passed on, not hidden by the wrapper.
func TestStartGate(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: "+15550100"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Account(t.Context()); err != nil { // Bolna's clock is read from its replies
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	g := &startGate{d: c, gate: stopped}
	if _, err := g.Account(t.Context()); err != nil {
		t.Fatalf("Account() through an open gate: %v", err)
	}
	close(stopped)
	before := srv.Stats().Requests
	if _, err := g.Execution(t.Context(), placed.ExecutionID); !errors.Is(err, dialer.ErrGateClosed) {
		t.Errorf("Execution() after a stop, before the pool started: %v, want ErrGateClosed", err)
	}
	if err := g.StopCall(t.Context(), placed.ExecutionID); !errors.Is(err, dialer.ErrGateClosed) {
		t.Errorf("StopCall() after a stop, before the pool started: %v, want ErrGateClosed", err)
	}
	if n := srv.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests left after the stop, want none", n)
	}
	g.open()
	if _, err := g.Execution(t.Context(), placed.ExecutionID); err != nil {
		t.Errorf("Execution() after a stop, the pool started: %v, want it read", err)
	}
	wantLo, wantHi, wantOK := c.ServerClock()
	if lo, hi, ok := g.ServerClock(); !wantOK || lo != wantLo || hi != wantHi || ok != wantOK {
		t.Errorf("ServerClock() = %v, %v, %v; want the client's %v, %v, %v", lo, hi, ok, wantLo, wantHi, wantOK)
	}
	var none startGate
	none.d = statusDialer{}
	if _, _, ok := none.ServerClock(); ok {
		t.Error("ServerClock() of a dialer without a clock: ok, want none")
	}
	if err := none.StopCall(t.Context(), "x"); !errors.Is(err, errCannotStop) {
		t.Errorf("StopCall() of a dialer that cannot stop: %v, want errCannotStop", err)
	}
}
