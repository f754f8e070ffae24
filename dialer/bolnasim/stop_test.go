package bolnasim_test

import (
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestStopIgnored: by default a stop Bolna acknowledges is carried out (the call ends
// stopped); with Faults.StopIgnored the reply is the same 200 "stopped", and the call stays
// queued and rings in its turn. A call already dialling is refused either way.
func TestStopIgnored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ignored float64
		want    []dialer.Status // after the stop, then once the call's time came
	}{
		{"carried out", 0, []dialer.Status{"stopped", "stopped"}},
		{"acknowledged only", 1, []dialer.Status{"queued", "initiated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			srv := bolnatest.NewServer(bolnasim.Options{Concurrency: 1, Timing: fixed, Now: clk.Now,
				Faults: bolnasim.Faults{StopIgnored: tt.ignored}})
			t.Cleanup(srv.Close)
			c := srv.Client()
			var ids []string
			for _, phone := range []string{"+919800000001", "+919800000002"} { // the second waits for the slot
				placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: phone})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, placed.ExecutionID)
			}
			if err := c.StopCall(t.Context(), ids[1]); err != nil {
				t.Fatalf("stopping the waiting call: %v, want 200", err)
			}
			for i, step := range []time.Duration{0, 70 * time.Second} { // the first call frees the slot at 68 s
				clk.Advance(step)
				ex, err := c.Execution(t.Context(), ids[1])
				if err != nil || ex.Status != tt.want[i] {
					t.Errorf("after %s: %v (%v), want %s", step, ex.Status, err, tt.want[i])
				}
			}
			if err := c.StopCall(t.Context(), ids[0]); dialer.IsRateLimited(err) || err == nil {
				t.Errorf("stopping a call that has rung: %v, want refused", err)
			}
		})
	}
}
