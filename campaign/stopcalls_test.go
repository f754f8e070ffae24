package campaign_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestStopCallsTornIntent: with no run going, a call whose intent a crash cut mid-record (its
// reference known only up to the run's suffix) is found as a run finds it, stopped, and its
// attempt given back once Bolna says it stopped; the torn intent is settled.
func TestStopCallsTornIntent(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}) // the call waits
	t.Cleanup(srv.Close)
	phone := "+919812345678"
	path := store.At(filepath.Join(t.TempDir(), "contacts.results.csv")).StatePath()
	owner := journal.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL}
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ref(phone, 1)
	if err := st.Dial(phone, phone, 1, ref, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phone,
		UserData: map[string]string{contacts.RefKey: ref}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := bytes.LastIndex(b, []byte(`"ref":`)) // the intent's record, cut after its attempt
	if err := os.WriteFile(path, b[:cut], 0o600); err != nil {
		t.Fatal(err)
	}

	st, err = journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(st.Torn()) != 1 {
		t.Fatalf("torn intents: %+v, want the one cut", st.Torn())
	}
	cfg := baseConfig()
	rep, err := campaign.StopCalls(within(t, 20*time.Second), srv.Client(), st, cfg)
	if err != nil || rep.Searched != 1 || rep.Found != 1 || rep.Stopped != 1 || rep.Unsettled() {
		t.Fatalf("StopCalls() = %+v, %v; want the torn intent's call found and stopped", rep, err)
	}
	if c := srv.Calls()[0]; c.Status != string(dialer.StatusStopped) {
		t.Errorf("the call is %s at Bolna, want stopped", c.Status)
	}
	if e := st.Lookup(phone); e.Live != nil || e.Attempts != 0 || !strings.Contains(e.Note, "stopped before it rang") || len(st.Torn()) != 0 {
		t.Errorf("the journal after stop: %+v, torn %+v: want no call in flight, the attempt given back, and why", e, st.Torn())
	}
}

// TestStopCallsSearchFails: with no run going, two calls whose placement replies were lost;
// the list answers the search for the first, then fails. The call found is recorded and
// stopped all the same; the other stays in flight with no execution id (never taken for not
// dialled), and the search's failure is returned.
func TestStopCallsSearchFails(t *testing.T) {
	t.Parallel()
	var lists atomic.Int64
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }, // every call waits
		Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
			if strings.HasSuffix(r.URL.Path, "/executions") && lists.Add(1) > 1 {
				return bolnatest.Unavailable
			}
			return bolnatest.NoFault
		}}})
	t.Cleanup(srv.Close)
	st, err := journal.OpenState(store.At(filepath.Join(t.TempDir(), "contacts.results.csv")).StatePath(),
		journal.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	phones := []string{"+919812345678", "+919812345679"}
	for i, phone := range phones {
		ref := st.Ref(phone, 1)
		if err := st.Dial(phone, phone, 1, ref, time.Now().Add(time.Duration(i-5)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: bolnatest.DefaultAgentID, RecipientPhoneNumber: phone,
			UserData: map[string]string{contacts.RefKey: ref}}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := campaign.StopCalls(within(t, 20*time.Second), srv.Client(), st, baseConfig())
	var fatal *campaign.FatalError
	if !errors.As(err, &fatal) || rep == nil || rep.Found != 1 || rep.Stopped != 1 {
		t.Fatalf("StopCalls() = %+v, %v; want the first call found and stopped, and a FatalError for the search that failed", rep, err)
	}
	if e := st.Lookup(phones[0]); e.Live != nil || e.Attempts != 0 {
		t.Errorf("the call found: %+v, want its attempt given back", e)
	}
	if e := st.Lookup(phones[1]); e.Live == nil || e.Live.ExecutionID != "" || e.Attempts != 1 {
		t.Errorf("the call not found: %+v, want it in flight, its execution unknown", e)
	}
}

// TestStopCallsCannotConclude: with no run going, an intent whose placement reply was lost
// too long ago for Bolna's list to show its call cannot be looked for: StopCalls says so
// (unsettled), and its row is left unknown, never given back as not dialled.
func TestStopCallsCannotConclude(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	st, err := journal.OpenState(store.At(filepath.Join(t.TempDir(), "contacts.results.csv")).StatePath(),
		journal.Owner{Agent: bolnatest.DefaultAgentID, API: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	phone := "+919812345678"
	if err := st.Dial(phone, phone, 1, st.Ref(phone, 1), time.Now().Add(-8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rep, err := campaign.StopCalls(within(t, 20*time.Second), srv.Client(), st, baseConfig())
	if err != nil || rep.Unresolved != 1 || !rep.Unsettled() {
		t.Fatalf("StopCalls() = %+v, %v; want the call that cannot be looked for said unresolved", rep, err)
	}
	if e := st.Lookup(phone); e.Live != nil || e.Attempts != 1 || e.Status != journal.StatusUnknown {
		t.Errorf("the journal after stop: %+v, want the row unknown, its attempt kept", e)
	}
}
