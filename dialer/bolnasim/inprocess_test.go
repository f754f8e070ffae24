package bolnasim_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// TestInProcessClient follows a call to its end inside a synctest bubble: no network, the
// lifecycle on the bubble's clock, and the bound and utilisation of the one call.
func TestInProcessClient(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := bolnasim.NewAPI(bolnasim.Options{Concurrency: 1, Seed: 1,
			Script: map[string]bolnasim.Outcome{"+919800000001": {Status: "completed", Talk: time.Minute}}})
		c := api.InProcessClient()
		placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+919800000001"})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var ex *dialer.Execution
		for ex == nil || !ex.Status.Terminal() {
			time.Sleep(time.Second)
			if ex, err = c.Execution(t.Context(), placed.ExecutionID); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took < time.Minute || took > 10*time.Minute {
			t.Errorf("a call with a minute's talk took %v of the bubble's time", took)
		}
		if ex.Status != dialer.StatusCompleted || ex.ConversationDuration != 60 {
			t.Errorf("got %s after %v s, want completed after 60 s", ex.Status, ex.ConversationDuration)
		}
		st := api.Stats()
		if st.Bound != st.Busy || st.BoundUtilisation() != 1 {
			t.Errorf("one call: bound %v, busy %v; want them equal", st.Bound, st.Busy)
		}
	})
}

// TestInProcessClientLostReply: a lost reply is a 502 after the call was created.
func TestInProcessClientLostReply(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, fault := range []bolnasim.Fault{bolnasim.LoseReply, bolnasim.ResetReply} {
			api := bolnasim.NewAPI(bolnasim.Options{Faults: bolnasim.Faults{Hook: func(r *http.Request) bolnasim.Fault {
				if r.Method == http.MethodPost && r.URL.Path == "/call" {
					return fault
				}
				return bolnasim.NoFault
			}}})
			_, err := api.InProcessClient().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+919800000002"})
			if !dialer.MaybePlaced(err) || len(api.Placements()) != 1 {
				t.Errorf("fault %v: err %v, %d placements; want a maybe-placed error and one call", fault, err, len(api.Placements()))
			}
		}
	})
}

// TestResumedCallsPush: calls taken back from another process go on pushing their status
// changes on the simulation's own clock, with no request to wake it.
func TestResumedCallsPush(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var pushes atomic.Int32
		api := bolnasim.NewAPI(bolnasim.Options{Timing: bolnasim.FastTiming, Webhook: &bolnasim.Webhook{
			Deliver: func(context.Context, []byte) error { pushes.Add(1); return nil }}})
		defer api.Close()
		synctest.Wait() // the clock is idle, with nothing due
		api.Resume([]bolnasim.SavedCall{{ID: "e-1", Agent: bolnasim.DefaultAgentID, Phone: "+919810000001",
			CreatedAt: time.Now(), Outcome: bolnasim.Outcome{Status: "completed"}}})
		time.Sleep(time.Minute)
		if n := pushes.Load(); n < 4 {
			t.Errorf("%d pushes a minute after a resumed call, want its whole lifecycle", n)
		}
	})
}
