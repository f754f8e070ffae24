package main

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// journalOf writes the journal of a campaign whose run died with a call to each of phones in
// flight, dialled five minutes ago: placed (its execution id recorded) or, with lost, placed
// with its reply lost (the call exists at Bolna, the journal has only the intent).
func journalOf(t *testing.T, srv *bolnatest.Server, results string, phones []string, lost bool) {
	t.Helper()
	st, err := journal.OpenState(store.At(results).StatePath(), journal.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-5 * time.Minute)
	for _, phone := range phones {
		ref := st.Ref(phone, 1)
		if err := st.Dial(phone, phone, 1, ref, at); err != nil {
			t.Fatal(err)
		}
		placed, err := srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phone,
			UserData: map[string]string{contacts.RefKey: ref}})
		if err != nil {
			t.Fatal(err)
		}
		if !lost {
			if err := st.Placed(phone, 1, placed.ExecutionID, at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestStopNoRun: bolna-campaign stop with no run going stops every call of the journal that
// has not rung, those whose placement reply was lost too (found by their reference, as a run
// finds them: their execution ids are recorded), and gives back only the attempts whose stop
// Bolna confirms. A stop refused for Bolna's request limits (429) is sent again, never taken
// for a call that has started; a search that cannot conclude, or a stop Bolna acknowledges
// without carrying it out, leaves the row in flight and the command fails saying so.
func TestStopNoRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lost  bool
		hook  func(route string, n int64) bolnatest.Fault // route: "stop" or "list", its n-th request
		opts  bolnatest.Options
		exit  int
		say   string
		given bool // the attempts given back (else left in flight)
		found bool // the execution ids recorded
	}{
		{name: "stops refused for the request limits", exit: exitOK, say: "stopped 3 calls", given: true, found: true,
			// every try of the client's first stop: then its error is a 429
			hook: func(route string, n int64) bolnatest.Fault {
				if route == "stop" && n <= int64(dialer.DefaultBackoff.Attempts) {
					return bolnatest.TooMany
				}
				return bolnatest.NoFault
			}},
		{name: "replies lost", lost: true, exit: exitOK, say: "stopped 3 calls", given: true, found: true},
		{name: "replies lost, the list down", lost: true, exit: exitFatal, say: "looking for",
			hook: func(route string, _ int64) bolnatest.Fault {
				if route == "list" {
					return bolnatest.Unavailable
				}
				return bolnatest.NoFault
			}},
		{name: "stops acknowledged, not carried out", exit: exitFatal, say: "not confirmed", found: true,
			opts: bolnatest.Options{Faults: bolnatest.Faults{StopIgnored: 1}}},
		{name: "replies lost, stops acknowledged, not carried out", lost: true, exit: exitFatal, say: "not confirmed", found: true,
			opts: bolnatest.Options{Faults: bolnatest.Faults{StopIgnored: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := waitingServer(t, tt.opts, tt.hook)
			input, phones := writeContacts(t, 3)
			results := strings.TrimSuffix(input, ".csv") + ".results.csv"
			journalOf(t, srv, results, phones, tt.lost)

			stop := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey})
			if code := stop.run("stop", results); code != tt.exit || !strings.Contains(stop.stdout.String()+stop.stderr.String(), tt.say) {
				t.Errorf("stop: exit %d, want %d saying %q:\n%s%s", code, tt.exit, tt.say, stop.stdout.String(), stop.stderr.String())
			}
			checkStoppedJournal(t, srv, results, tt.given, tt.found)
			if tt.given {
				return
			}
			// The next run follows (or looks for) the calls left in flight: it dials none of them.
			run := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
			timedOut := run.deadline(20 * time.Second)
			code := run.run("run", "--max-wait", "1s", "--poll-interval", "20ms", input)
			if timedOut() || code == exitOK {
				t.Errorf("the next run: exit %d (ended by the test's deadline: %v), want the rows unfinished:\n%s", code, timedOut(), run.stderr.String())
			}
			if n := len(srv.Placements()); n != len(phones) {
				t.Errorf("%d calls placed after the next run, want the %d of the first", n, len(phones))
			}
		})
	}
}

// waitingServer is a stand-in whose calls all wait an hour before they ring, its faults
// opts's and, for every request to a stop or to the list, hook's ("stop" or "list", the
// route's n-th request).
func waitingServer(t *testing.T, opts bolnatest.Options, hook func(route string, n int64) bolnatest.Fault) *bolnatest.Server {
	t.Helper()
	var stops, lists atomic.Int64
	opts.Timing = bolnatest.FastTiming
	opts.Guardrails = func(now time.Time) time.Time { return now.Add(time.Hour) } // every call waits
	opts.Faults.PlaceRetryAfter = time.Second
	opts.Faults.Hook = func(r *http.Request) bolnatest.Fault {
		switch {
		case hook == nil:
		case strings.HasSuffix(r.URL.Path, "/stop"):
			return hook("stop", stops.Add(1))
		case strings.HasSuffix(r.URL.Path, "/executions"):
			return hook("list", lists.Add(1))
		}
		return bolnatest.NoFault
	}
	srv := bolnatest.NewServer(opts)
	t.Cleanup(srv.Close)
	return srv
}

// checkStoppedJournal checks each call of srv in the journal of results: stopped at Bolna
// and its attempt given back, saying why (given), or else in flight for the next run, with
// its execution id recorded when it was found.
func checkStoppedJournal(t *testing.T, srv *bolnatest.Server, results string, given, found bool) {
	t.Helper()
	st, err := journal.ReadState(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range srv.Calls() {
		e := st.Lookup(c.Phone)
		stopped := c.Status == "stopped" || c.Status == "canceled"
		switch {
		case given && (!stopped || e.Live != nil || e.Attempts != 0 || !strings.Contains(e.Note, "stopped before it rang")):
			t.Errorf("%s: %s at Bolna, journal %+v: want it stopped and its attempt given back, saying why", c.Phone, c.Status, e)
		case !given && (e.Live == nil || e.Attempts != 1):
			t.Errorf("%s: %s at Bolna, journal %+v: want it in flight for the next run", c.Phone, c.Status, e)
		case !given && found && e.Live.ExecutionID != c.ID:
			t.Errorf("%s: journal has execution %q, want %s recorded", c.Phone, e.Live.ExecutionID, c.ID)
		case !given && !found && e.Live.ExecutionID != "":
			t.Errorf("%s: journal has execution %q, want none: the search could not run", c.Phone, e.Live.ExecutionID)
		}
	}
}

// TestStopCommand: bolna-campaign stop from another "terminal" ends a running campaign: no call
// is placed after it, every call that has not rung is stopped at Bolna and its row is pending
// again; the run ends as stopped from outside.
func TestStopCommand(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 3, Timing: bolnatest.FastTiming,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // every call waits
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 10)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID,
		"XDG_STATE_HOME": t.TempDir()} // the run and the stop on one default history
	done := make(chan int, 1)
	run := newInvocation(env)
	timedOut := run.deadline(20 * time.Second)
	go func() { done <- run.run("run", "--poll-interval", "20ms", input) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Placements()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop := newInvocation(env)
	if code := stop.run("stop", results); code != exitOK || !strings.Contains(stop.stdout.String(), "asked the run") {
		t.Fatalf("stop: exit %d:\n%s%s", code, stop.stdout.String(), stop.stderr.String())
	}
	stoppedAt := len(srv.Placements())
	select {
	case code := <-done:
		if timedOut() {
			t.Fatal("the run did not end after stop: ended by the test's deadline")
		}
		if code != exitInterrupted {
			t.Errorf("the stopped run: exit %d, want %d", code, exitInterrupted)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("the run did not end after stop, nor at the test's deadline")
	}
	if n := len(srv.Placements()); n != stoppedAt || n != 3 {
		t.Errorf("%d calls placed, %d when stopped: want none after the stop", n, stoppedAt)
	}
	for _, c := range srv.Calls() {
		if c.Status != "stopped" && c.Status != "canceled" {
			t.Errorf("call %s is %s at Bolna, want stopped", c.ID, c.Status)
		}
	}
	for _, row := range readRows(t, results) {
		if row.Outcome.Status != journal.StatusPending {
			t.Errorf("line %d: %s, want pending", row.Line, row.Outcome.Status)
		}
	}
	if !strings.Contains(run.stderr.String(), "3 calls stopped") && !strings.Contains(run.stderr.String(), "stopped call") {
		t.Errorf("the run did not say it stopped calls:\n%s", run.stderr.String())
	}
}

// TestStopWithNoRun: with no run going, bolna-campaign stop stops the calls the journal has in
// flight that have not rung, and gives their attempts back: the next run dials them again.
func TestStopWithNoRun(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // the call waits
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 1)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	st, err := journal.OpenState(store.At(results).StatePath(), journal.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ref(phones[0], 1)
	st.Dial(phones[0], phones[0], 1, ref, time.Now())
	placed, err := srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phones[0],
		UserData: map[string]string{contacts.RefKey: ref}})
	if err != nil {
		t.Fatal(err)
	}
	st.Placed(phones[0], 1, placed.ExecutionID, time.Now())
	st.Close()

	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey}
	stop := newInvocation(env)
	if code := stop.run("stop", results); code != exitOK || !strings.Contains(stop.stdout.String(), "stopped 1 call") {
		t.Fatalf("stop with no run: exit %d:\n%s%s", code, stop.stdout.String(), stop.stderr.String())
	}
	if c := srv.Calls()[0]; c.Status != "stopped" && c.Status != "canceled" {
		t.Errorf("the call is %s at Bolna, want stopped", c.Status)
	}
	again, err := journal.ReadState(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	if e := again.Lookup(phones[0]); e.Live != nil || e.Attempts != 0 || !strings.Contains(e.Note, "stopped before it rang") {
		t.Errorf("the journal after stop: %+v, want no call in flight, the attempt given back, and why", e)
	}
}
