package campaign_test

import (
	"context"
	"net/http"
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

// TestUnknownClockAfterCrash: Bolna's created_at (and its list's from/to) 20 minutes behind or
// ahead of our clock, or naive timestamps of India (+5:30) read as UTC, while its Date header
// is on time, so the header says nothing of created_at. A run dies while the reply to one
// POST /call is on its way (Bolna created the call); the same command again never dials that
// person a second time: the journal's other calls, read by id, measure Bolna's clock before
// the search (so even a clock a day off is searched right), and with none to read the search
// covers every zone. A search that cannot be
// shown to cover the call (Bolna ahead, and its list refusing a window that ends in the future)
// concludes nothing: the row is left unknown, dialled neither by that run nor by a rerun with
// --retry unknown.
func TestUnknownClockAfterCrash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		skew       time.Duration // created_at minus our clock
		others     int           // calls of the crashed run in the journal with their execution ids
		created    bool          // the crashed POST reached Bolna
		noFutureTo bool
		wantDials  int // of the crashed row's number, in all
	}{
		{"20 minutes behind, two other calls", -20 * time.Minute, 2, true, false, 1},
		{"20 minutes ahead, two other calls", 20 * time.Minute, 2, true, false, 1},
		{"naive +5:30, two other calls", 5*time.Hour + 30*time.Minute, 2, true, false, 1},
		{"20 minutes behind, alone", -20 * time.Minute, 0, true, false, 1},
		{"naive +5:30, alone", 5*time.Hour + 30*time.Minute, 0, true, false, 1},
		{"20 minutes behind, alone, never created", -20 * time.Minute, 0, false, false, 1},
		{"20 minutes ahead, alone, never created, no future windows", 20 * time.Minute, 0, false, true, 0},
		// Beyond any zone: only the calls measured put the search where the call is.
		{"20 hours behind, two other calls", -20 * time.Hour, 2, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{Now: func() time.Time { return time.Now().Add(tt.skew) },
				Style: bolnatest.Style{DateSkew: -tt.skew, NoFutureTo: tt.noFutureTo}}, 4)
			cfg := baseConfig()
			cfg.Concurrency = 3
			tc.crashedWhilePlacing(t, cfg, tt.others, tt.created)
			summary, rows, err := tc.run(t, cfg, nil)
			if err != nil {
				t.Fatalf("Run() = %+v, %v", summary, err)
			}
			if got := placedTo(tc.srv, tc.phones[0]); got != tt.wantDials {
				t.Fatalf("%s dialled %d times, want %d", tc.phones[0], got, tt.wantDials)
			}
			for _, p := range tc.phones[1:] {
				if n := placedTo(tc.srv, p); n != 1 {
					t.Errorf("%s dialled %d times, want once", p, n)
				}
			}
			checkMatchesServer(t, tc.srv, rows)
			if tt.wantDials > 0 {
				return
			}
			if o := rows[0].Outcome; o.Status != journal.StatusUnknown || !strings.Contains(o.Error, "could not be looked for") {
				t.Errorf("the crashed row: %s %q, want unknown saying it could not be looked for", o.Status, o.Error)
			}
			cfg.Retry = []journal.Status{journal.StatusUnknown}
			cfg.MaxAttempts = 3
			if _, rows, err = tc.run(t, cfg, nil); err != nil || placedTo(tc.srv, tc.phones[0]) != 0 || rows[0].Outcome.Status != journal.StatusUnknown {
				t.Errorf("a rerun with --retry unknown: %v, %d dials of the unresolved row (want 0), status %s", err, placedTo(tc.srv, tc.phones[0]), rows[0].Outcome.Status)
			}
		})
	}
}

// crashedWhilePlacing leaves the journal of tc as a run that died while the reply to its POST
// /call for phones[0] was on its way (created: Bolna created the call), after it had placed
// phones[1:others+1], whose execution ids it recorded.
func (tc *testCampaign) crashedWhilePlacing(t *testing.T, cfg campaign.Config, others int, created bool) {
	t.Helper()
	st, err := journal.OpenState(store.At(tc.results).StatePath(), journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	place := func(phone string) (string, string) {
		ref := st.Ref(phone, 1)
		if err := st.Dial(phone, phone, 1, ref, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := tc.srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: cfg.AgentID, RecipientPhoneNumber: phone,
			UserData: map[string]string{contacts.RefKey: ref}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.ExecutionID, ref
	}
	for _, phone := range tc.phones[1 : others+1] {
		id, _ := place(phone)
		if err := st.Placed(phone, 1, string(id), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if !created {
		st.Dial(tc.phones[0], tc.phones[0], 1, st.Ref(tc.phones[0], 1), time.Now())
		return
	}
	place(tc.phones[0])
}

// placedTo counts the calls the stand-in created to phone.
func placedTo(srv *bolnatest.Server, phone string) int {
	n := 0
	for _, p := range srv.Placements() {
		if p.Phone == phone {
			n++
		}
	}
	return n
}

// TestSearchThatCannotRun: the reply to the first POST /call is lost while the executions
// list answers 400 to every read. Nothing can be learned by waiting: within --list-lag the
// row ends unknown (unresolved), its slot is given back, the rest of the list is dialled and
// the run ends long before --max-wait. A rerun with --retry unknown does not dial that row: it
// looks for the call first, and the list still refuses.
func TestSearchThatCannotRun(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	tc := newCampaign(t, bolnatest.Options{Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		if r.Method == http.MethodPost && r.URL.Path == "/call" && posts.Add(1) == 1 {
			return bolnatest.LoseReply
		}
		return bolnatest.NoFault
	}}}, 4)
	cfg := baseConfig()
	cfg.Concurrency = 1 // the lost call's slot must come back for the others to be dialled
	cfg.MaxWait = 10 * time.Minute
	cfg.ListLag = 300 * time.Millisecond
	cfg.PollInterval = 20 * time.Millisecond
	d := refusingList{tc.srv.Client()}
	summary, rows, err := tc.runWith(t, within(t, time.Minute), d, tc.srv.URL, cfg, nil)
	if err != nil {
		t.Fatalf("Run() = %+v, %v; want the run to end by itself", summary, err)
	}
	lost := tc.srv.Placements()[0].Phone
	checkDialled(t, tc.srv, tc.phones, 1)
	var unknown int
	for _, row := range rows {
		if row.Input["phone"] != lost {
			continue
		}
		unknown++
		if o := row.Outcome; o.Status != journal.StatusUnknown || !strings.Contains(o.Error, "could not be looked for") {
			t.Errorf("the lost call's row: %s %q, want unknown saying it could not be looked for", o.Status, o.Error)
		}
	}
	if unknown != 1 || summary.ByStatus[journal.StatusUnknown] != 1 || summary.Unfinished() != 0 {
		t.Errorf("summary %v: want 1 unknown and the other 3 final", summary.ByStatus)
	}
	cfg.Retry = []journal.Status{journal.StatusUnknown}
	cfg.MaxAttempts = 3
	if _, _, err := tc.runWith(t, within(t, time.Minute), d, tc.srv.URL, cfg, nil); err != nil || placedTo(tc.srv, lost) != 1 {
		t.Errorf("a rerun with --retry unknown: %v, %d calls to the unresolved row, want 1 (no second)", err, placedTo(tc.srv, lost))
	}
}

// refusingList is a Bolna whose executions list refuses every read (400).
type refusingList struct{ campaign.Dialer }

func (refusingList) ListExecutions(context.Context, string, dialer.ListOptions, ...dialer.RequestOption) (*dialer.ExecutionPage, error) {
	return nil, &dialer.APIError{Method: http.MethodGet, Path: "/v2/agent/executions", StatusCode: http.StatusBadRequest, Message: "invalid request"}
}
