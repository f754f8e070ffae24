package campaign_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestAttemptsLog: a retry no longer writes over the attempt before it. Beside the results
// (each row's latest attempt), RESULTS.attempts.csv has every attempt, one line each: the
// list's line, the attempt, the caller id and the number, the execution id, the times, the
// status, the outcome and the cost, matching the calls Bolna made.
func TestAttemptsLog(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 3)
	tc.srv.Close()
	tc.srv = bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Script: map[string]bolnatest.Outcome{
		tc.phones[0]: {Status: "no-answer"}, tc.phones[1]: {Status: "completed"}, tc.phones[2]: {Status: "busy"}}})
	t.Cleanup(tc.srv.Close)
	cfg := baseConfig()
	cfg.Retry = []journal.Status{journal.StatusNoAnswer}
	cfg.MaxAttempts = 2
	if _, _, err := tc.run(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	_, rows, err := tc.run(t, cfg, nil) // the retry of the no-answer
	if err != nil || rows[0].Outcome.Attempts != 2 {
		t.Fatalf("retry: %v, row 1 at attempt %d", err, rows[0].Outcome.Attempts)
	}
	f, err := os.Open(store.At(tc.results).AttemptsPath())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr, _, err := contacts.NewCSVReader(f, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cr.ReadAll()
	if err != nil || len(recs) != 5 {
		t.Fatalf("attempts log: %d lines (%v), want a header and 4 attempts", len(recs), err)
	}
	calls := map[string]bolnatest.Call{}
	for _, c := range tc.srv.Calls() {
		calls[c.ID] = c
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	seen := map[string]int{}
	for _, rec := range recs[1:] {
		c, ok := calls[rec[col["execution_id"]]]
		line, _ := strconv.Atoi(rec[col["line"]])
		if !ok || c.Phone != rec[col["to_number"]] || c.Status != rec[col["status"]] || line < 2 || line > 4 || tc.phones[line-2] != c.Phone {
			t.Errorf("attempt %v does not match Bolna's call %+v", rec, c)
		}
		seen[c.Phone]++
		if n, _ := strconv.Atoi(rec[col["attempt"]]); n != seen[c.Phone] {
			t.Errorf("attempt %v: number %d, want %d", rec, n, seen[c.Phone])
		}
	}
	if seen[tc.phones[0]] != 2 || len(seen) != 3 {
		t.Errorf("attempts by number %v: want 2 for the retried row, 1 for the others", seen)
	}
	if st, err := os.Stat(store.At(tc.results).AttemptsPath()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the attempts log: %v, mode %v; want 0600 (personal data)", err, st.Mode().Perm())
	}
}
