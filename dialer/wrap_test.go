package dialer_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// seenClasses records the class and method of every request through it.
type seenClasses struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (s *seenClasses) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.seen = append(s.seen, r.Method+" "+dialer.ClassOf(r))
	s.mu.Unlock()
	return s.next.RoundTrip(r)
}

// TestTransportWrapSeesEveryClass: a transport set with WithTransportWrap sees every request,
// each with its class of Bolna's limits, and a request the client did not make has none.
func TestTransportWrapSeesEveryClass(t *testing.T) {
	t.Parallel()
	api := bolnasim.NewAPI(bolnasim.Options{Concurrency: 2})
	defer api.Close()
	rec := &seenClasses{}
	c := api.InProcessClient(dialer.WithTransportWrap(func(next http.RoundTripper) http.RoundTripper { rec.next = next; return rec }))
	ctx := t.Context()
	if _, err := c.Account(ctx); err != nil {
		t.Fatal(err)
	}
	placed, err := c.PlaceCall(ctx, dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+919800000001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListExecutions(ctx, bolnasim.DefaultAgentID, dialer.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execution(ctx, placed.ExecutionID); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET other", "POST call", "GET list", "GET other"}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) != len(want) {
		t.Fatalf("the transport saw %q, want %q", rec.seen, want)
	}
	for i := range want {
		if rec.seen[i] != want[i] {
			t.Errorf("request %d: %q, want %q", i, rec.seen[i], want[i])
		}
	}
	if got := dialer.ClassOf(&http.Request{}); got != "" {
		t.Errorf("ClassOf a request the client did not make = %q, want none", got)
	}
}
