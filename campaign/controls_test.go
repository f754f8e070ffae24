package campaign_test

import (
	"errors"
	"fmt"
	"math"
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
	"github.com/bolna-campaign/bolna-campaign/results"
)

func TestWindow(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	tests := []struct {
		window string
		at     time.Time // read in its own location
		want   bool
	}{
		{"09:00-21:00", time.Date(2026, 12, 1, 9, 0, 0, 0, kolkata), true},
		{"09:00-21:00", time.Date(2026, 12, 1, 8, 59, 0, 0, kolkata), false},
		{"09:00-21:00", time.Date(2026, 12, 1, 21, 0, 0, 0, kolkata), false}, // the end is exclusive
		{"21:00-08:00", time.Date(2026, 12, 1, 23, 30, 0, 0, kolkata), true}, // across midnight
		{"21:00-08:00", time.Date(2026, 12, 1, 7, 59, 0, 0, kolkata), true},
		{"21:00-08:00", time.Date(2026, 12, 1, 12, 0, 0, 0, kolkata), false},
		{"00:00-24:00", time.Date(2026, 12, 1, 3, 0, 0, 0, kolkata), true},
		// DST starts in New York on 2026-03-08 at 02:00: 13:30 UTC is 08:30 the day before and
		// 09:30 on the day.
		{"09:00-17:00", time.Date(2026, 3, 7, 13, 30, 0, 0, time.UTC).In(ny), false},
		{"09:00-17:00", time.Date(2026, 3, 8, 13, 30, 0, 0, time.UTC).In(ny), true},
		// and ends on 2026-11-01: 13:30 UTC is 09:30 the day before and 08:30 on the day.
		{"09:00-17:00", time.Date(2026, 10, 31, 13, 30, 0, 0, time.UTC).In(ny), true},
		{"09:00-17:00", time.Date(2026, 11, 1, 13, 30, 0, 0, time.UTC).In(ny), false},
	}
	for _, tt := range tests {
		t.Run(tt.window+"@"+tt.at.Format(time.RFC3339), func(t *testing.T) {
			t.Parallel()
			w, err := campaign.ParseWindow(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Contains(tt.at); got != tt.want {
				t.Errorf("%s.Contains(%s) = %v, want %v", w, tt.at, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "9-5", "09:00", "25:00-26:00", "09:00-09:00", "09:60-10:00", "9:0-10:00"} {
		if _, err := campaign.ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) succeeded, want an error", bad)
		}
	}
}

// loadSuppression reads the do-not-call list in the file at path, as the command does.
func loadSuppression(t *testing.T, path string, norm contacts.PhoneNormalizer) (*campaign.Suppression, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return campaign.LoadSuppression(f, path, norm)
}

func TestSuppression(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	plain := write("dnc.txt", "# do not call\n+91 98765 43210\n\n09812345678\n")
	s, err := loadSuppression(t, plain, contacts.PhoneNormalizer{Region: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Contains("+919876543210") || !s.Contains("+919812345678") || s.Contains("+919999999999") || s.Len() != 2 {
		t.Errorf("plain list: %d numbers, contains %v %v", s.Len(), s.Contains("+919876543210"), s.Contains("+919812345678"))
	}
	csvList := write("dnc.csv", "\ufeffName,Mobile\nAsha,+919876543210\n")
	if s, err := loadSuppression(t, csvList, contacts.PhoneNormalizer{}); err != nil || !s.Contains("+919876543210") {
		t.Errorf("CSV list: %v, %v", s, err)
	}
	bad := write("bad.txt", "+919876543210\nnot a number\n")
	_, err = loadSuppression(t, bad, contacts.PhoneNormalizer{})
	var ie *contacts.InputError
	if !errors.As(err, &ie) || ie.Line != 2 {
		t.Errorf("bad line: error = %v, want an InputError on line 2", err)
	}
}

func TestShard(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"4/4", "-1/4", "1/0", "a/b", "1"} {
		if _, err := campaign.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
	shards := make([]campaign.Shard, 4)
	for k := range shards {
		shards[k], _ = campaign.ParseShard(fmt.Sprintf("%d/4", k))
	}
	counts := make([]int, 4)
	for i := range 4000 {
		key := fmt.Sprintf("+9198%08d", i)
		in := 0
		for k, s := range shards {
			if s.Has(key, i) {
				in++
				counts[k]++
			}
		}
		if in != 1 {
			t.Fatalf("%s is in %d shards, want exactly 1", key, in)
		}
	}
	for k, n := range counts {
		if n < 800 || n > 1200 {
			t.Errorf("shard %d has %d of 4000 rows, want about 1000", k, n)
		}
	}
}

// TestRunOpsControls: a list mixing time zones, a do-not-call list and a window, at a moment
// (from an injected clock) when some zones are inside calling hours and some are not.
func TestRunOpsControls(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	rows := []string{
		"phone,name,tz",
		"+919876543210,India 1,",               // Asia/Kolkata: 15:30 → inside
		"+919876543211,India 2,",               // inside, but on the do-not-call list
		"+14155550123,California,",             // America/Los_Angeles: 02:00 → outside
		"+442079460958,London,",                // Europe/London: 10:00 → inside
		"+18005550199,Toll-free,Europe/Moscow", // several zones, but the column says: 13:00 → inside
		"+14155550124,Night owl,Asia/Tokyo",    // the column wins: 19:00 → inside
		"+919876543212,India 3,Mars/Olympus",   // a bad zone in the column: invalid
	}
	os.WriteFile(input, []byte(strings.Join(rows, "\n")+"\n"), 0o600)
	dnc := filepath.Join(dir, "dnc.txt")
	os.WriteFile(dnc, []byte("+919876543211\n"), 0o600)
	supp, err := loadSuppression(t, dnc, contacts.PhoneNormalizer{})
	if err != nil {
		t.Fatal(err)
	}
	window, _ := campaign.ParseWindow("09:00-21:00")
	tc := &testCampaign{srv: srv, input: input, results: filepath.Join(dir, "contacts.results.csv")}
	clockAt := func(hourUTC int) func() time.Time {
		offset := time.Until(time.Date(2026, 12, 1, hourUTC, 0, 0, 0, time.UTC))
		return func() time.Time { return time.Now().Add(offset) }
	}
	cfg := baseConfig()
	cfg.Load.TimezoneColumn = "tz"
	cfg.Window, cfg.Suppress, cfg.Now = &window, supp, clockAt(10)

	// The dry run lists the bad zone's row with its reason, as the results will give it (it
	// listed line 8 with an empty one).
	sess, err := store.At(tc.results).Inspect(store.ContactFile(tc.input), store.FormatOf(results.Format{}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := sess.DryRun(func(dialer.CallRequest) error { return nil })
	sess.Close()
	if err != nil || len(plan.Bad) != 1 || plan.Bad[0].Line != 8 || !strings.Contains(plan.Bad[0].Problem, "Mars/Olympus") {
		t.Errorf("dry run: bad rows %+v, %v; want line 8 with its zone's reason", plan.Bad, err)
	}

	summary, results, err := tc.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"completed|no-answer|busy|failed", "suppressed", "pending", "completed|no-answer|busy|failed",
		"completed|no-answer|busy|failed", "completed|no-answer|busy|failed", "invalid"}
	for i, row := range results {
		if !strings.Contains(want[i], string(row.Outcome.Status)) {
			t.Errorf("%s: %s (%s), want %s", row.Input["name"], row.Outcome.Status, row.Outcome.Error, want[i])
		}
	}
	if !strings.Contains(results[2].Outcome.Error, "outside calling hours 09:00-21:00 (America/Los_Angeles)") {
		t.Errorf("California row error %q, want the window and zone", results[2].Outcome.Error)
	}
	if summary.Unfinished() != 1 {
		t.Errorf("unfinished = %d, want 1 (the row outside the window)", summary.Unfinished())
	}
	dials := countPhones(srv)
	if len(dials) != 4 || dials["+919876543211"] != 0 || dials["+14155550123"] != 0 {
		t.Errorf("dialled %v, want the 4 rows inside the window and not suppressed", dials)
	}

	// Eight hours later California is inside and India outside: the rerun dials California only.
	cfg.Now = clockAt(18)
	summary, _, err = tc.run(t, cfg, nil)
	if err != nil || summary.Dialled != 1 || countPhones(srv)["+14155550123"] != 1 {
		t.Errorf("rerun: %+v, %v; want only California dialled", summary, err)
	}

	// Without the zone column, a fresh campaign refuses to start: the toll-free number could be
	// anywhere in North America.
	cfg.Load.TimezoneColumn = ""
	tc.results = filepath.Join(dir, "fresh.results.csv")
	_, _, err = tc.run(t, cfg, nil)
	var ie *contacts.InputError
	if !errors.As(err, &ie) || ie.Line != 6 || !strings.Contains(err.Error(), "--timezone") {
		t.Errorf("no zone for a multi-zone number: error = %v, want an InputError for line 6", err)
	}
}

func countPhones(srv *bolnatest.Server) map[string]int {
	n := map[string]int{}
	for _, p := range srv.Placements() {
		n[p.Phone]++
	}
	return n
}

func TestRunSpendCap(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 1, Outcome: func(string) bolnatest.Outcome {
		return bolnatest.Outcome{Status: "completed", Talk: 60 * time.Second} // 1 + 60×0.15 = 10 cents each
	}, TimeScale: 0.001}, 10)
	cfg := baseConfig()
	cfg.MaxCost = 25
	summary, _, err := tc.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first call's cost (10 cents) is waited for; a second fits (20 ≤ 25); a third would
	// pass the cap (30): placing halts with the rest pending, and no call is placed on a spend
	// that lags its calls (#31.1: a fourth used to be placed when the third's line dropped).
	if got := len(tc.srv.Placements()); got != 2 || summary.Halted == "" || summary.ByStatus[journal.StatusPending] != 10-got {
		t.Errorf("placed %d, summary %+v; want 2 calls (a third would make 30 cents > 25) then a halt with the rest pending", got, summary)
	}
	// The cap holds across runs: the spend so far counts.
	summary, _, _ = tc.run(t, cfg, nil)
	if summary.Dialled != 0 || summary.Halted == "" {
		t.Errorf("rerun dialled %d, want 0 with the cap reached", summary.Dialled)
	}
}

func TestRunShards(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Concurrency: 8})
	t.Cleanup(srv.Close)
	base := newCampaign(t, bolnatest.Options{}, 40)
	total := 0
	for k := range 3 {
		shard, _ := campaign.ParseShard(fmt.Sprintf("%d/3", k))
		tc := &testCampaign{srv: srv, input: base.input, results: filepath.Join(t.TempDir(), "r.csv")}
		cfg := baseConfig()
		cfg.Shard = shard
		summary, rows, err := tc.run(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := 8 / 3 // the account's 8 split three ways, the remainder to the first shards (#23.14)
		if k < 8%3 {
			want++
		}
		if summary.Concurrency != want {
			t.Errorf("shard %d concurrency %d, want %d: the account's 8 split three ways", k, summary.Concurrency, want)
		}
		total += len(rows)
	}
	if total != 40 {
		t.Errorf("shards wrote %d rows in all, want 40", total)
	}
	checkDialled(t, srv, base.phones, 1)
}

// TestStopQueuedWhenWindowCloses: calls Bolna holds back (rescheduled by its guardrails) are
// still waiting when their contacts' calling window closes: each is stopped before it rings,
// its row is pending again with the reason, its attempt given back, and the summary counts it.
func TestStopQueuedWhenWindowCloses(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 3,
		Guardrails: func(now time.Time) time.Time { return now.Add(time.Hour) }}, 6)
	cfg := baseConfig()
	window, err := campaign.ParseWindow("09:00-11:00")
	if err != nil {
		t.Fatal(err)
	}
	start, base := time.Now(), time.Date(2026, 12, 2, 10, 59, 58, 0, time.UTC)
	cfg.Now = func() time.Time { return base.Add(time.Since(start)) }
	cfg.Window, cfg.Zones = &window, &contacts.Zones{Default: time.UTC}
	summary, rows, err := tc.runWith(t, within(t, 20*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if summary.Stopped != 3 || len(tc.srv.Placements()) != 3 {
		t.Fatalf("summary %+v, %d placed: want the 3 calls placed stopped", summary, len(tc.srv.Placements()))
	}
	stopped := 0
	for _, row := range rows {
		o := row.Outcome
		if o.Status != journal.StatusPending || o.Attempts != 0 {
			t.Errorf("%s: %s after %d attempts, want pending with its attempt given back", row.Input["phone"], o.Status, o.Attempts)
		}
		if strings.Contains(o.Error, "stopped before it rang") {
			stopped++
		}
	}
	if stopped != 3 {
		t.Errorf("%d rows say their call was stopped, want 3", stopped)
	}
	for _, c := range tc.srv.Calls() {
		if c.Status != "stopped" && c.Status != "canceled" {
			t.Errorf("call %s is %s at Bolna, want stopped", c.ID, c.Status)
		}
	}
}

// headerHook is a results writer that runs a hook when the results pass starts.
type headerHook struct {
	campaign.ResultWriter
	hook func()
}

func (h headerHook) WriteHeader(header []string) error {
	h.hook()
	return h.ResultWriter.WriteHeader(header)
}

// TestResultsReportTheDecision: the results say what the dispatching pass decided, not what
// a pass deciding again would: rows outside their calling hours when the run looked at them
// say so, though the window has opened by the time the results are written.
func TestResultsReportTheDecision(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	os.WriteFile(input, []byte("phone,tz\n+14155550123,UTC\n+14155550124,UTC\n"), 0o600)
	window, _ := campaign.ParseWindow("09:00-17:00")
	var hour atomic.Int64
	hour.Store(8)
	cfg := baseConfig()
	cfg.Load.TimezoneColumn = "tz"
	cfg.Window = &window
	cfg.Now = func() time.Time { return time.Date(2026, 12, 1, int(hour.Load()), 0, 0, 0, time.UTC) }
	st, err := journal.OpenState(store.At(filepath.Join(dir, "r.csv")).StatePath(), journal.Owner{Agent: cfg.AgentID})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := results.Create(filepath.Join(dir, "r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	out := headerHook{ResultWriter: w, hook: func() { hour.Store(10) }} // the window opens
	summary, err := campaign.NewRunner(srv.Client(), cfg).Run(t.Context(), store.ContactFile(input), st, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	rows := readResults(t, filepath.Join(dir, "r.csv"))
	for _, r := range rows {
		if r.Outcome.Status != journal.StatusPending || !strings.Contains(r.Outcome.Error, "outside calling hours 09:00-17:00 (UTC)") {
			t.Errorf("line %d: %s %q, want pending, outside calling hours", r.Line, r.Outcome.Status, r.Outcome.Error)
		}
	}
	if len(srv.Placements()) != 0 || summary.Dialled != 0 {
		t.Errorf("%d calls placed, want none", len(srv.Placements()))
	}
}

// TestSpendCapCountsCallsInFlight: --max-cost 40 (cents) on 40 calls of about 5 cents at
// concurrency 5. A call's cost arrives with completed, long after its line dropped and its slot
// was freed; the cap counts the calls in flight at the campaign's mean cost so far (one call at
// a time until a cost is known), so the campaign spends at most the cap plus one call's cost,
// and not less than the cap minus two calls' cost (it used to spend 3 to 4 times the cap).
func TestSpendCapCountsCallsInFlight(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{Concurrency: 5, TimeScale: 0.001, Outcome: func(phone string) bolnatest.Outcome {
		talk := time.Duration(24+int(phone[len(phone)-1]-'0')%7) * time.Second // 24–30 s: 4.6 to 5.5 cents
		return bolnatest.Outcome{Status: "completed", Talk: talk}
	}}, 40)
	cfg := baseConfig()
	cfg.Concurrency = 5
	cfg.MaxCost = 40
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var spent, most float64
	for _, c := range tc.srv.Calls() {
		spent += c.Cost
		most = max(most, c.Cost)
	}
	if spent > cfg.MaxCost+most || spent < cfg.MaxCost-2*most || summary.Halted == "" {
		t.Errorf("spent %.2f cents on %d calls (halted %q); want within [%.2f, %.2f]: the cap less two calls, the cap plus one",
			spent, len(tc.srv.Placements()), summary.Halted, cfg.MaxCost-2*most, cfg.MaxCost+most)
	}
	var inResults float64
	for _, row := range rows {
		inResults += row.Outcome.Cost
	}
	if math.Abs(inResults-spent) > 0.001 || math.Abs(summary.Spent-spent) > 0.001 {
		t.Errorf("results say %.2f and the summary %.2f, Bolna charged %.2f", inResults, summary.Spent, spent)
	}
}
