package dialer_test

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestOneTry: a read passed OneTry is sent once whatever the reply, where the same read
// without it is tried again after a 503; the option holds for that request alone.
func TestOneTry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []dialer.RequestOption
		wantErr   bool
		wantTries int
	}{
		{"one try", []dialer.RequestOption{dialer.OneTry()}, true, 1},
		{"the client's retries", nil, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := bolnatest.NewServer(bolnatest.Options{})
			t.Cleanup(srv.Close)
			c := srv.Client()
			placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: "+15550100"})
			if err != nil {
				t.Fatal(err)
			}
			srv.SetFaults(bolnatest.Faults{Hook: faultFirst(2, "GET", "/executions/", bolnatest.Unavailable)})
			_, err = c.Execution(t.Context(), placed.ExecutionID, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Errorf("Execution() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got := srv.Stats().ByRoute["GET /executions/{id}"]; got != tt.wantTries {
				t.Errorf("GET sent %d times, want %d", got, tt.wantTries)
			}
			if _, err := c.Execution(t.Context(), placed.ExecutionID); err != nil {
				t.Errorf("a later read without the option: %v", err)
			}
		})
	}
}
