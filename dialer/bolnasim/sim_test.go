package bolnasim_test

import (
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// clock is a hand-driven clock for the fake.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixed is a timing with no randomness: every stage takes its minimum.
var fixed = bolnasim.Timing{
	Dequeue:      bolnasim.Range{Min: time.Second, Max: time.Second},
	Dial:         bolnasim.Range{Min: 2 * time.Second, Max: 2 * time.Second},
	Ring:         bolnasim.Range{Min: 5 * time.Second, Max: 5 * time.Second},
	Talk:         bolnasim.Range{Min: 60 * time.Second, Max: 60 * time.Second},
	PostProcess:  bolnasim.Range{Min: 30 * time.Second, Max: 30 * time.Second},
	NoAnswerRing: bolnasim.Range{Min: 30 * time.Second, Max: 30 * time.Second},
	BusyAfter:    bolnasim.Range{Min: 4 * time.Second, Max: 4 * time.Second},
	FailAfter:    bolnasim.Range{Min: 2 * time.Second, Max: 2 * time.Second},
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcome bolnasim.Outcome
		// want is the status observed after each step of the clock
		steps []time.Duration
		want  []dialer.Status
	}{
		{
			outcome: bolnasim.Outcome{Status: "completed"},
			steps:   []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second, 60 * time.Second, 30 * time.Second},
			want:    []dialer.Status{"queued", "initiated", "ringing", "in-progress", "call-disconnected", "completed"},
		},
		{
			outcome: bolnasim.Outcome{Status: "no-answer"},
			steps:   []time.Duration{0, time.Second, 2 * time.Second, 30 * time.Second},
			want:    []dialer.Status{"queued", "initiated", "ringing", "no-answer"},
		},
		{
			outcome: bolnasim.Outcome{Status: "busy"},
			steps:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			want:    []dialer.Status{"initiated", "ringing", "busy"},
		},
		{
			outcome: bolnasim.Outcome{Status: "failed"},
			steps:   []time.Duration{time.Second, 2 * time.Second},
			want:    []dialer.Status{"initiated", "failed"},
		},
		{
			outcome: bolnasim.Outcome{Status: "balance-low"},
			steps:   []time.Duration{0},
			want:    []dialer.Status{"balance-low"},
		},
		{
			outcome: bolnasim.Outcome{Status: "completed", StuckAt: "call-disconnected"},
			steps:   []time.Duration{68 * time.Second, time.Hour},
			want:    []dialer.Status{"call-disconnected", "call-disconnected"},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.outcome.Status+tt.outcome.StuckAt), func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			srv := bolnatest.NewServer(bolnasim.Options{
				Timing: fixed, Now: clk.Now,
				Outcome: func(string) bolnasim.Outcome { return tt.outcome },
			})
			t.Cleanup(srv.Close)
			c := srv.Client()
			placed, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+15550100", UserData: map[string]string{"name": "Ann"}})
			if err != nil {
				t.Fatal(err)
			}
			for i, step := range tt.steps {
				clk.Advance(step)
				ex, err := c.Execution(t.Context(), placed.ExecutionID)
				if err != nil {
					t.Fatal(err)
				}
				if ex.Status != tt.want[i] {
					t.Fatalf("after step %d status = %s, want %s", i, ex.Status, tt.want[i])
				}
				checkPayload(t, ex)
			}
		})
	}
}

// checkPayload asserts the stage rules of docs/bolna-api.md §13.
func checkPayload(t *testing.T, ex *dialer.Execution) {
	t.Helper()
	if ex.ContextDetails.RecipientValue("name") != "Ann" || ex.TelephonyData.ToNumber != "+15550100" {
		t.Errorf("%s: context_details / to_number not echoed: %+v", ex.Status, ex.ContextDetails)
	}
	switch ex.Status {
	case dialer.StatusCallDisconnected:
		if ex.TelephonyData.RecordingURL != "" || ex.Summary != "" || string(ex.ExtractedData) != "null" {
			t.Errorf("call-disconnected payload is not half-filled: recording %q summary %q extracted %s",
				ex.TelephonyData.RecordingURL, ex.Summary, ex.ExtractedData)
		}
	case dialer.StatusCompleted:
		if ex.TelephonyData.RecordingURL == "" || ex.Summary == "" || len(ex.ExtractedData) < 5 ||
			ex.ConversationDuration != 60 || ex.TotalCost <= 0 || ex.TelephonyData.Duration != 60 {
			t.Errorf("completed payload incomplete: %+v", ex)
		}
	case dialer.StatusFailed, dialer.StatusBalanceLow:
		if ex.ErrorMessage == "" {
			t.Errorf("%s payload has no error_message", ex.Status)
		}
	}
}

func TestConcurrencyQueues(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bolnatest.NewServer(bolnasim.Options{
		Timing: fixed, Now: clk.Now, Concurrency: 2,
		Outcome: func(string) bolnasim.Outcome { return bolnasim.Outcome{Status: "completed"} },
	})
	t.Cleanup(srv.Close)
	c := srv.Client()
	var ids []string
	for i := range 5 {
		p, err := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+1555010" + string(rune('0'+i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ExecutionID)
	}
	count := func() map[dialer.Status]int {
		m := map[dialer.Status]int{}
		for _, id := range ids {
			ex, err := c.Execution(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			m[ex.Status]++
		}
		return m
	}
	clk.Advance(10 * time.Second)
	if got := count(); got["queued"] != 3 || got["in-progress"] != 2 {
		t.Errorf("with 2 slots and 5 calls: %v, want 2 in-progress, 3 queued", got)
	}
	acct, _ := c.Account(t.Context())
	if acct.Concurrency.Current != 2 {
		t.Errorf("concurrency.current = %d, want 2", acct.Concurrency.Current)
	}
	// the first two disconnect at 1+2+5+60 = 68 s and free their slots; the next two take them.
	clk.Advance(60 * time.Second)
	if got := count(); got["call-disconnected"] != 2 || got["initiated"]+got["ringing"]+got["in-progress"] != 2 || got["queued"] != 1 {
		t.Errorf("after the first disconnects: %v, want 2 disconnected, 2 active, 1 queued", got)
	}
	clk.Advance(time.Hour)
	if got := count(); got["completed"] != 5 {
		t.Errorf("an hour later: %v, want all 5 completed", got)
	}
	st := srv.Stats()
	if st.MaxActive != 2 {
		t.Errorf("MaxActive = %d, want 2", st.MaxActive)
	}
	if want := 5 * 68 * time.Second; st.SlotBusy != want {
		t.Errorf("SlotBusy = %v, want %v (5 calls × 68 s from slot to disconnect)", st.SlotBusy, want)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bolnatest.NewServer(bolnasim.Options{Timing: fixed, Now: clk.Now, Concurrency: 1})
	t.Cleanup(srv.Close)
	c := srv.Client()
	first, _ := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+15550100"})
	second, _ := c.PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnasim.DefaultAgentID, RecipientPhoneNumber: "+15550101"})
	clk.Advance(5 * time.Second)
	if err := c.StopCall(t.Context(), first.ExecutionID); err == nil {
		t.Error("StopCall() of a ringing call succeeded, want 400")
	}
	if err := c.StopCall(t.Context(), second.ExecutionID); err != nil {
		t.Errorf("StopCall() of a queued call: %v", err)
	}
	ex, _ := c.Execution(t.Context(), second.ExecutionID)
	if ex.Status != dialer.StatusStopped {
		t.Errorf("stopped call status = %s, want stopped", ex.Status)
	}
}
