package campaign

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// TestRefusedStop: a stop Bolna refuses for the call's state (a 4xx other than the key or the
// request limits) is a refusal, followed to the call's end and never asked again; a refused
// key, a 429, a 5xx or a failure to connect is a stop that failed, tried again.
func TestRefusedStop(t *testing.T) {
	t.Parallel()
	apiErr := func(code int) error {
		return fmt.Errorf("stopping: %w", &dialer.APIError{Method: "POST", Path: "/call/x/stop", StatusCode: code})
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"started (400)", apiErr(400), true},
		{"ended (409)", apiErr(409), true},
		{"not found (404)", apiErr(404), true},
		{"key refused (401)", apiErr(401), false},
		{"no permission (403)", apiErr(403), false},
		{"rate limited (429)", apiErr(429), false},
		{"server error (500)", apiErr(500), false},
		{"unreachable", errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := refusedStop(tt.err); got != tt.want {
				t.Errorf("refusedStop(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
