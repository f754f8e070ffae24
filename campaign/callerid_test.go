package campaign_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestCallerIDPool: a pool of three caller ids at two live calls each and concurrency 6 never
// has more than two calls live on one number, also across a run killed mid-way and resumed (the
// journal keeps each attempt's number); the number used is in the results. (Which number a
// call prefers: TestCallerIDChoice.)
func TestCallerIDPool(t *testing.T) {
	t.Parallel()
	timing := bolnatest.FastTiming
	timing.Talk = bolnatest.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: timing, Seed: 4})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tc := &testCampaign{srv: srv, input: filepath.Join(dir, "contacts.csv"), results: filepath.Join(dir, "contacts.results.csv")}
	var b strings.Builder
	b.WriteString("phone\n")
	for i := range 24 {
		p := fmt.Sprintf("+9198%08d", 40000000+i*7919)
		if i%3 == 2 {
			p = fmt.Sprintf("+1415555%04d", 100+i)
		}
		tc.phones = append(tc.phones, p)
		b.WriteString(p + "\n")
	}
	os.WriteFile(tc.input, []byte(b.String()), 0o600)
	const india, us, uk = "+919800000001", "+14155550100", "+442071234567"
	cfg := baseConfig()
	cfg.Concurrency, cfg.FromNumbers, cfg.PerNumber = 6, []string{uk, india, us}, 2

	ctx, kill := context.WithCancel(t.Context())
	go func() {
		for len(srv.Placements()) < 8 {
			time.Sleep(time.Millisecond)
		}
		kill() // as kill -9: calls live on their numbers
	}()
	tc.runWith(t, ctx, srv.Client(), srv.URL, cfg, nil)
	summary, rows, err := tc.run(t, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	checkDialled(t, srv, tc.phones, 1)
	for n, most := range srv.Stats().MaxOutstandingByFrom {
		if most > 2 {
			t.Errorf("%d calls live at once on %s, above --per-number-concurrency 2", most, n)
		}
	}
	byPhone := map[string]string{}
	for _, p := range srv.Placements() {
		byPhone[p.Phone] = p.From
	}
	for _, row := range rows {
		if row.Outcome.From == "" || row.Outcome.From != byPhone[row.Input["phone"]] {
			t.Errorf("%s: from_number %q, the call went out on %q", row.Input["phone"], row.Outcome.From, byPhone[row.Input["phone"]])
		}
	}
}
