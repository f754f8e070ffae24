package campaign_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	// Post-processing of half a second or more: the runner has that long to see a call
	// disconnected and place the next one in its slot before the first completes (with the
	// fast timing's 20-150 ms, a loaded machine's looks could see both at once, and the test
	// read a slot held to the end).
	timing := bolnatest.FastTiming
	timing.PostProcess = bolnatest.Range{Min: 500 * time.Millisecond, Max: 800 * time.Millisecond}
	tc := newCampaign(t, bolnatest.Options{Concurrency: 4, Timing: timing}, 40,
		"98450 12345,Bad,City",       // invalid: no country code
		"+919810000000,Again,City 0", // duplicate of the first row
	)
	summary, rows, err := tc.run(t, baseConfig(), nil)
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if len(rows) != 42 || summary.Rows != 42 {
		t.Fatalf("results have %d rows (summary %d), want 42", len(rows), summary.Rows)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	for i, row := range rows[:40] {
		if !row.Outcome.Settled() || row.Outcome.Status == "call-disconnected" {
			t.Errorf("line %d: status %q is not final", row.Line, row.Outcome.Status)
		}
		if row.Input["name"] != fmt.Sprintf("Name %d", i) || row.Outcome.Attempts != 1 {
			t.Errorf("line %d: input %v attempts %d, want row %d unchanged with 1 attempt", row.Line, row.Input, row.Outcome.Attempts, i)
		}
	}
	if got := rows[40].Outcome; got.Status != journal.StatusInvalid || !strings.Contains(got.Error, "country code") {
		t.Errorf("bad number row = %+v, want invalid with a reason", got)
	}
	if got := rows[41].Outcome; got.Status != journal.StatusDuplicate || !strings.Contains(got.Error, "line 2") {
		t.Errorf("duplicate row = %+v, want duplicate of line 2", got)
	}
	for _, p := range tc.srv.Placements() {
		if p.UserData["name"] == "" || p.UserData["city"] == "" || p.UserData[contacts.RefKey] == "" {
			t.Errorf("user_data %v lacks the row's columns or the reference", p.UserData)
		}
	}
	st := tc.srv.Stats()
	if st.MaxOutstanding > 4 {
		t.Errorf("up to %d calls queued or active at once, want at most concurrency 4", st.MaxOutstanding)
	}
	if st.MaxUnfinished <= 4 {
		t.Errorf("at most %d calls unfinished at once: slots were not released at call-disconnected", st.MaxUnfinished)
	}

	// A rerun of a finished campaign dials nobody and keeps every outcome.
	before := len(tc.srv.Placements())
	summary2, rows2, err := tc.run(t, baseConfig(), nil)
	if err != nil || summary2.Dialled != 0 || len(tc.srv.Placements()) != before {
		t.Fatalf("rerun: error %v, dialled %d (server saw %d new)", err, summary2.Dialled, len(tc.srv.Placements())-before)
	}
	for i := range rows {
		if rows[i].Outcome.Status != rows2[i].Outcome.Status || rows[i].Outcome.ExecutionID != rows2[i].Outcome.ExecutionID {
			t.Errorf("line %d changed on rerun: %+v → %+v", rows[i].Line, rows[i].Outcome, rows2[i].Outcome)
		}
	}
}

func TestRunTimeoutThenResume(t *testing.T) {
	t.Parallel()
	stuck := map[string]bool{}
	tc := newCampaign(t, bolnatest.Options{
		Outcome: func(p string) bolnatest.Outcome {
			if stuck[p] {
				return bolnatest.Outcome{Status: "completed", StuckAt: "call-disconnected"}
			}
			return bolnatest.Outcome{Status: "completed"}
		},
	}, 6)
	stuck[tc.phones[1]], stuck[tc.phones[4]] = true, true
	cfg := baseConfig()
	cfg.MaxWait = 2 * time.Second // calls take well under half a second; the stuck ones never end
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if summary.ByStatus[journal.StatusTimeout] != 2 || summary.ByStatus["completed"] != 4 || summary.Unfinished() != 2 {
		t.Fatalf("summary = %+v, want 4 completed, 2 timeout", summary)
	}
	if rows[1].Outcome.Status != journal.StatusTimeout || rows[1].Outcome.ExecutionID == "" {
		t.Errorf("stuck row = %+v, want timeout with its execution id", rows[1].Outcome)
	}
	// The next run follows the timed-out calls again; it never re-dials them.
	summary, _, err = tc.run(t, cfg, nil)
	if err != nil || summary.Dialled != 0 || summary.ByStatus[journal.StatusTimeout] != 2 {
		t.Errorf("rerun: %+v, %v; want 0 dialled and the 2 still timing out", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
}

func TestRunFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults bolnatest.Faults
	}{
		{"lost replies", bolnatest.Faults{PlaceLost: 0.3}},
		{"429 on placement", bolnatest.Faults{PlaceTooMany: 0.3}},
		{"429 with Retry-After", bolnatest.Faults{PlaceTooMany: 0.3, PlaceRetryAfter: time.Second}},
		{"429 and 503 on reads", bolnatest.Faults{ReadTooMany: 0.1, ReadUnavailable: 0.1}},
		{"everything", bolnatest.Faults{PlaceLost: 0.2, PlaceTooMany: 0.3, ReadTooMany: 0.1, ReadUnavailable: 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{Concurrency: 5, Seed: 7, Faults: tt.faults}, 30)
			summary, rows, err := tc.run(t, baseConfig(), nil)
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			checkDialled(t, tc.srv, tc.phones, 1)
			checkMatchesServer(t, tc.srv, rows)
			if summary.Unfinished() != 0 || summary.ByStatus[journal.StatusUnknown] != 0 {
				t.Errorf("summary = %+v, want every row final and none unknown", summary)
			}
			for _, row := range rows {
				if row.Outcome.ExecutionID == "" {
					t.Errorf("line %d has no execution id: %+v", row.Line, row.Outcome)
				}
			}
		})
	}
}

func TestRunLostReplyNotCreated(t *testing.T) {
	t.Parallel()
	// A 503 from a proxy in front of Bolna: the call was never created. The row ends unknown
	// and is not dialled again, unless --retry unknown asks.
	var once sync.Once
	tc := newCampaign(t, bolnatest.Options{Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		f := bolnatest.NoFault
		if r.Method == http.MethodPost && r.URL.Path == "/call" {
			once.Do(func() { f = bolnatest.Unavailable })
		}
		return f
	}}}, 3)
	summary, _, err := tc.run(t, baseConfig(), nil)
	if err != nil || summary.ByStatus[journal.StatusUnknown] != 1 {
		t.Fatalf("Run() = %+v, %v; want one unknown row", summary, err)
	}
	summary, _, _ = tc.run(t, baseConfig(), nil)
	if summary.Dialled != 0 {
		t.Errorf("plain rerun dialled %d, want 0", summary.Dialled)
	}
	cfg := baseConfig()
	cfg.Retry = []journal.Status{journal.StatusUnknown}
	summary, _, _ = tc.run(t, cfg, nil)
	if summary.Dialled != 1 || summary.ByStatus[journal.StatusUnknown] != 0 {
		t.Errorf("--retry unknown: %+v, want the one row dialled", summary)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
}

func TestRunRetries(t *testing.T) {
	t.Parallel()
	outcomes := []string{"completed", "no-answer", "busy", "failed", "no-answer", "balance-low"}
	var tc *testCampaign
	tc = newCampaign(t, bolnatest.Options{Outcome: func(p string) bolnatest.Outcome {
		for i, q := range tc.phones {
			if q == p {
				return bolnatest.Outcome{Status: dialer.Status(outcomes[i])}
			}
		}
		return bolnatest.Outcome{Status: "completed"}
	}}, len(outcomes))
	if _, _, err := tc.run(t, baseConfig(), nil); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig()
	cfg.Retry, cfg.MaxAttempts = []journal.Status{"no-answer", "busy"}, 2
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Dialled != 3 {
		t.Fatalf("retry run: %+v, %v; want the 3 no-answer/busy rows dialled", summary, err)
	}
	for i, row := range rows {
		want := 1
		if outcomes[i] == "no-answer" || outcomes[i] == "busy" {
			want = 2
		}
		if row.Outcome.Attempts != want {
			t.Errorf("line %d (%s): attempts %d, want %d", row.Line, outcomes[i], row.Outcome.Attempts, want)
		}
	}
	// Attempts are used up: neither a plain rerun nor the same retry dials anybody.
	for _, c := range []campaign.Config{baseConfig(), cfg} {
		if summary, _, _ := tc.run(t, c, nil); summary.Dialled != 0 {
			t.Errorf("rerun dialled %d, want 0", summary.Dialled)
		}
	}
	count := map[string]int{}
	for _, p := range tc.srv.Placements() {
		count[p.Phone]++
	}
	for i, p := range tc.phones {
		if want := rows[i].Outcome.Attempts; count[p] != want {
			t.Errorf("%s (%s) dialled %d times, want %d", p, outcomes[i], count[p], want)
		}
	}
}

// TestRunSettlesCrashedIntents: an earlier run synced its intent to dial and died. If the call
// reached Bolna it is found by its reference and followed; if not, the row is dialled now.
func TestRunSettlesCrashedIntents(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 3)
	cfg := baseConfig()
	st, err := journal.OpenState(store.At(tc.results).StatePath(), journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// Row 0: the POST landed before the crash. Row 1: the crash came first.
	ref0 := st.Ref(tc.phones[0], 1)
	st.Dial(tc.phones[0], tc.phones[0], 1, ref0, now)
	if _, err := tc.srv.Client().PlaceCall(t.Context(), dialer.CallRequest{AgentID: cfg.AgentID, RecipientPhoneNumber: tc.phones[0],
		UserData: map[string]string{contacts.RefKey: ref0}}); err != nil {
		t.Fatal(err)
	}
	st.Dial(tc.phones[1], tc.phones[1], 1, st.Ref(tc.phones[1], 1), now)
	st.Close()

	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	if rows[0].Outcome.ExecutionID != tc.srv.Placements()[0].ExecutionID {
		t.Errorf("row 0 follows %s, want the call placed before the crash", rows[0].Outcome.ExecutionID)
	}
	if rows[1].Outcome.Attempts != 1 {
		t.Errorf("row 1 attempts = %d, want 1 (the crashed intent never became a call)", rows[1].Outcome.Attempts)
	}
}

// TestRunListPaging follows more live calls than one page of the executions list holds, while
// new calls keep pushing items down the pages: every call is finished exactly once.
func TestRunListPaging(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 60}, 150)
	cfg := baseConfig()
	cfg.PollInterval = 5 * time.Millisecond
	var r *campaign.Runner
	summary, rows, err := tc.run(t, cfg, func(run *campaign.Runner) { r = run })
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	if p := r.Progress(); p.Done != p.Placed || p.Placed != 150 {
		t.Errorf("progress placed %d, done %d; want 150 each (a call finished twice?)", p.Placed, p.Done)
	}
	if lists := tc.srv.Stats().ByRoute["GET /v2/agent/{agent}/executions"]; lists == 0 {
		t.Error("the executions list was never used")
	}
}

// TestRunHostileReplies: a share of the reads come back damaged (cut short, of the wrong
// types, with a status nobody documented, trickling, huge, or reset). Each gives a bounded
// retry: every row still ends with its call's true final state, and nobody is dialled twice.
func TestRunHostileReplies(t *testing.T) {
	t.Parallel()
	for _, fault := range []struct {
		name  string
		fault bolnatest.Fault
	}{
		{"truncated json", bolnatest.TruncatedJSON},
		{"wrong types", bolnatest.WrongTypes},
		{"unknown status", bolnatest.UnknownStatus},
		{"slow trickle", bolnatest.SlowTrickle},
		{"huge body", bolnatest.HugeBody},
		{"html error page", bolnatest.HTMLError},
		{"connection reset", bolnatest.ResetReply},
	} {
		t.Run(fault.name, func(t *testing.T) {
			t.Parallel()
			// The client reads a mebibyte whole (not the 16 MiB in use: dialer's TestBodyLimits
			// keeps those), so that a huge body is just over one, not 17 MiB a reply.
			tc := newCampaign(t, bolnatest.Options{Concurrency: 4, Seed: 11, Faults: bolnatest.Faults{
				ReadFault: fault.fault, ReadFaultRate: 0.25, TrickleEvery: 20 * time.Millisecond,
				HugeBodySize: replyBody + 64<<10,
			}}, 16)
			client := tc.srv.Client(dialer.WithHTTPClient(&http.Client{Timeout: time.Second}), dialer.WithReplyLimits(replyBody, 16*replyBody))
			summary, _, err := tc.runWith(t, t.Context(), client, "", baseConfig(), nil)
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			if summary.Unfinished() != 0 {
				t.Errorf("summary %+v: rows left unfinished", summary)
			}
			// A POST that timed out on a loaded machine before reaching the server is a lost
			// reply with no call behind it: its row is unknown, and nobody was dialled.
			rows := readResults(t, tc.results)
			dials := countPhones(tc.srv)
			for _, row := range rows {
				phone := row.Input["phone"]
				if want := 1; row.Outcome.Status == journal.StatusUnknown && row.Outcome.ExecutionID == "" {
					want = 0
					if dials[phone] != want {
						t.Errorf("%s: unknown, yet the server placed %d calls to it", phone, dials[phone])
					}
				} else if dials[phone] != want {
					t.Errorf("%s dialled %d times, want %d", phone, dials[phone], want)
				}
			}
			checkMatchesServer(t, tc.srv, rows)
		})
	}
}

// TestRunWholeListItems: where the executions list serves whole payloads (as Bolna's OpenAPI
// says it does), final calls are read from it without a GET each, and the results are as full.
func TestRunWholeListItems(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 8, Style: bolnatest.Style{FullListItems: true}}, 40)
	cfg := baseConfig()
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	st := tc.srv.Stats()
	if gets := st.ByRoute["GET /executions/{id}"]; gets >= summary.ByStatus["completed"] {
		t.Errorf("%d GETs for %d completed calls: the whole list items were not used", gets, summary.ByStatus["completed"])
	}
}

// TestRunListRefusesFutureWindow: where the executions list refuses a window that ends in the
// future, the runner ends its windows now, and still finds calls whose reply was lost.
func TestRunListRefusesFutureWindow(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 5, Seed: 5, Style: bolnatest.Style{NoFutureTo: true},
		Faults: bolnatest.Faults{PlaceLost: 0.3}}, 20)
	summary, rows, err := tc.run(t, baseConfig(), nil)
	if err != nil || summary.Unfinished() != 0 || summary.ByStatus[journal.StatusUnknown] != 0 {
		t.Fatalf("Run() = %+v, %v; want every row final, none unknown", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
}

// TestRunFollowsRescheduledCalls: Bolna's guardrails hold the first calls in "rescheduled"
// until the agent's hours start; the runner keeps following them (a rescheduled call is not
// final) and they end with their true status.
func TestRunFollowsRescheduledCalls(t *testing.T) {
	t.Parallel()
	opens := time.Now().Add(400 * time.Millisecond)
	tc := newCampaign(t, bolnatest.Options{Concurrency: 4, Guardrails: func(now time.Time) time.Time {
		if now.Before(opens) {
			return opens
		}
		return time.Time{}
	}}, 6)
	summary, rows, err := tc.run(t, baseConfig(), nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	checkMatchesServer(t, tc.srv, rows)
	for _, row := range rows {
		if row.Outcome.FinishedAt.Before(opens.Truncate(time.Second)) { // the results keep whole seconds
			t.Errorf("line %d finished at %s, before the agent's hours opened at %s", row.Line, row.Outcome.FinishedAt, opens)
		}
	}
}
