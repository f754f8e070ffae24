package campaign_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// testCampaign is a contact list, a fake Bolna and a results file in a temp dir.
type testCampaign struct {
	srv     *bolnatest.Server
	input   string
	results string
	phones  []string
}

// replyBody is what a reply may hold whole for the clients of the tests of hostile replies: a
// mebibyte, not the 16 MiB in use (dialer.MaxBodySize, kept by dialer's TestBodyLimits), so
// that a reply too large is not tens of megabytes read under -race.
const replyBody = 1 << 20

// newCampaign writes a list of n contacts (phone,name,city) plus extra raw lines.
func newCampaign(t *testing.T, opts bolnatest.Options, n int, extra ...string) *testCampaign {
	t.Helper()
	if opts.Timing == (bolnatest.Timing{}) {
		opts.Timing = bolnatest.FastTiming
	}
	srv := bolnatest.NewServer(opts)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tc := &testCampaign{srv: srv, input: filepath.Join(dir, "contacts.csv"), results: filepath.Join(dir, "contacts.results.csv")}
	var b strings.Builder
	b.WriteString("phone,name,city\n")
	for i := range n {
		p := fmt.Sprintf("+9198%08d", 10000000+i*7919)
		tc.phones = append(tc.phones, p)
		fmt.Fprintf(&b, "%s,Name %d,City %d\n", p, i, i%5)
	}
	for _, line := range extra {
		b.WriteString(line + "\n")
	}
	if err := os.WriteFile(tc.input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return tc
}

// listCampaign is a campaign with no stand-in of its own (for a fake served in process): a
// list of n numbers, prefix followed by eight digits from base, and its results path.
func listCampaign(t *testing.T, prefix string, base, n int) *testCampaign {
	t.Helper()
	dir := t.TempDir()
	tc := &testCampaign{input: filepath.Join(dir, "contacts.csv"), results: filepath.Join(dir, "contacts.results.csv")}
	var b strings.Builder
	b.WriteString("phone\n")
	for i := range n {
		p := fmt.Sprintf("%s%08d", prefix, base+i*7919)
		tc.phones = append(tc.phones, p)
		b.WriteString(p + "\n")
	}
	if err := os.WriteFile(tc.input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return tc
}

// within is the context of a run that must end by itself (a stop, a window that closes, a
// halt) in d: should it not, the context ends it and its error says so. A test of stopping
// never waits for go test's own timeout.
func within(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeoutCause(t.Context(), d, fmt.Errorf("the run did not end by itself within %s: ended by the test's deadline", d))
	t.Cleanup(cancel)
	return ctx
}

func baseConfig() campaign.Config {
	return campaign.Config{
		AgentID:      bolnatest.DefaultAgentID,
		Rate:         0,
		PollInterval: 20 * time.Millisecond,
		MaxWait:      30 * time.Second,
		HaltAfter:    campaign.DefaultHaltAfter,
		ListLag:      100 * time.Millisecond, // the fake lists a call the moment it exists
		PlaceTimeout: time.Second,            // the fake answers a POST in milliseconds
		// The fake's calls last milliseconds, not minutes: a budget of requests a minute
		// would stretch the looks a hundredfold (the budget has tests of its own).
		Limits: unpaced,
	}
}

// unpaced is a Config's Limits without a budget.
var unpaced = dialer.Limits{Call: -1, List: -1, Other: -1}

// run runs the campaign once and returns the summary, the error and the results rows.
func (tc *testCampaign) run(t *testing.T, cfg campaign.Config, hook func(*campaign.Runner)) (*campaign.Summary, []results.Row, error) {
	t.Helper()
	return tc.runWith(t, t.Context(), tc.srv.Client(), tc.srv.URL, cfg, hook)
}

func readResults(t *testing.T, path string) []results.Row {
	t.Helper()
	rows, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkOncePerPhone fails if any number was dialled more than want times.
func checkDialled(t *testing.T, srv *bolnatest.Server, phones []string, want int) {
	t.Helper()
	count := map[string]int{}
	for _, p := range srv.Placements() {
		count[p.Phone]++
	}
	for _, p := range phones {
		if count[p] != want {
			t.Errorf("%s dialled %d times, want %d", p, count[p], want)
		}
	}
	if len(count) != len(phones) && want > 0 {
		t.Errorf("%d distinct numbers dialled, want %d", len(count), len(phones))
	}
}

// checkMatchesServer asserts every dialled row shows the server's final state of its call.
func checkMatchesServer(t *testing.T, srv *bolnatest.Server, rows []results.Row) {
	t.Helper()
	calls := map[string]bolnatest.Call{}
	for _, c := range srv.Calls() {
		calls[c.ID] = c
	}
	for _, row := range rows {
		o := row.Outcome
		if o.ExecutionID == "" {
			continue
		}
		c, ok := calls[o.ExecutionID]
		if !ok {
			t.Errorf("line %d: execution %s unknown to the server", row.Line, o.ExecutionID)
			continue
		}
		if c.Phone != row.Input["phone"] {
			t.Errorf("line %d: execution %s called %s, row is %s", row.Line, o.ExecutionID, c.Phone, row.Input["phone"])
		}
		if string(o.Status) != c.Status {
			t.Errorf("line %d: status %s, server says %s", row.Line, o.Status, c.Status)
		}
		if o.Status == "completed" && (o.RecordingURL == "" || len(o.Extracted) == 0 || o.FinishedAt.IsZero()) {
			t.Errorf("line %d: completed row lacks recording/extracted data: %+v", row.Line, o)
		}
	}
}

// runWith runs the campaign of tc once through d, under ctx, as the command does: one
// store.Campaign.Open, one Session.Run.
func (tc *testCampaign) runWith(t *testing.T, ctx context.Context, d campaign.Dialer, api string, cfg campaign.Config, hook func(*campaign.Runner)) (*campaign.Summary, []results.Row, error) {
	t.Helper()
	sess, err := store.At(tc.results).Open(store.ContactFile(tc.input), store.FormatOf(results.Format{}),
		journal.Owner{Agent: cfg.AgentID, API: api}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := campaign.NewRunner(d, cfg)
	if hook != nil {
		hook(r)
	}
	summary, runErr := sess.Run(ctx, r)
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
	if summary == nil {
		return nil, nil, runErr
	}
	return summary, readResults(t, tc.results), runErr
}

// checkPlacedOnce fails if any of phones was not dialled exactly once by api.
func checkPlacedOnce(t *testing.T, api *bolnatest.API, phones []string) {
	t.Helper()
	placed := map[string]int{}
	for _, pl := range api.Placements() {
		placed[pl.Phone]++
	}
	for _, p := range phones {
		if placed[p] != 1 {
			t.Errorf("%s dialled %d times, want 1", p, placed[p])
		}
	}
}
