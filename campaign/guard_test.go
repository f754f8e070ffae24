package campaign_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// The account's guard in runs: several campaigns (results files) of one list, each run with
// a Store of its own on one SQLite history, as separate processes would.

// guardedRun is one campaign of a shared list: its results file and its own Store.
type guardedRun struct {
	tc    *testCampaign
	store *history.Store
}

// openHistory opens a Store on the SQLite history at path, closed when the test ends.
func openHistory(t *testing.T, path string) *history.Store {
	t.Helper()
	s, err := history.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// campaigns returns k campaigns of tc's list (results files a.results.csv, b…), each with a
// Store of its own on the history at db.
func campaigns(t *testing.T, tc *testCampaign, db string, k int) []guardedRun {
	t.Helper()
	out := make([]guardedRun, k)
	for i := range out {
		c := *tc
		c.results = filepath.Join(filepath.Dir(tc.results), string(rune('a'+i))+".results.csv")
		out[i] = guardedRun{tc: &c, store: openHistory(t, db)}
	}
	return out
}

func guardConfig(s *history.Store, rules campaign.Rules) campaign.Config {
	cfg := baseConfig()
	cfg.Guard, cfg.Rules = history.Guard{Store: s}, rules
	return cfg
}

// campaignID is the journal's campaign id of the results file at path.
func campaignID(t *testing.T, path string) string {
	t.Helper()
	st, err := journal.ReadState(store.At(path).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	return st.Campaign()
}

// countStatus counts rows by status; skipped lists the reasons of rows of status skip.
func countStatus(rows []results.Row, skip journal.Status) (by map[journal.Status]int, reasons []string) {
	by = map[journal.Status]int{}
	for _, r := range rows {
		by[r.Outcome.Status]++
		if r.Outcome.Status == skip {
			reasons = append(reasons, r.Outcome.Error)
		}
	}
	return by, reasons
}

// TestGuardAcrossCampaigns: one list run with two results files, one after the other and
// both at once: each person is dialled once, and the rows the guard skipped are recent, their
// reason naming the campaign that dialled the person.
func TestGuardAcrossCampaigns(t *testing.T) {
	t.Parallel()
	for _, concurrent := range []bool{false, true} {
		t.Run(map[bool]string{false: "sequential", true: "concurrent"}[concurrent], func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{}, 6)
			runs := campaigns(t, tc, filepath.Join(t.TempDir(), "history.db"), 2)
			rows := make([][]results.Row, 2)
			var wg sync.WaitGroup
			for i, c := range runs {
				run := func() {
					_, rows[i], _ = c.tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, guardConfig(c.store, campaign.Rules{MinGap: 24 * time.Hour}), nil)
				}
				if concurrent {
					wg.Go(run)
				} else {
					run()
				}
			}
			wg.Wait()
			checkDialled(t, tc.srv, tc.phones, 1)
			ids := []string{campaignID(t, runs[0].tc.results), campaignID(t, runs[1].tc.results)}
			recent := 0
			for i := range runs {
				by, reasons := countStatus(rows[i], journal.StatusRecent)
				recent += by[journal.StatusRecent]
				for _, why := range reasons {
					if !strings.Contains(why, "campaign "+ids[1-i]) {
						t.Errorf("run %d: a recent row's reason %q does not name campaign %s", i, why, ids[1-i])
					}
				}
				if !concurrent && i == 1 && by[journal.StatusRecent] != len(tc.phones) {
					t.Errorf("the second run's rows: %v, want every one recent", by)
				}
			}
			if recent != len(tc.phones) {
				t.Errorf("%d rows recent over both runs, want %d (each person dialled by one)", recent, len(tc.phones))
			}
		})
	}
}

// TestGuardCapsCalls: --max-calls 2/7d with --min-gap 0s over three campaigns of one list:
// each person is called exactly twice, and the third campaign's rows are capped.
func TestGuardCapsCalls(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 3)
	rules := campaign.Rules{MaxCalls: 2, Period: 7 * 24 * time.Hour}
	for i, c := range campaigns(t, tc, filepath.Join(t.TempDir(), "history.db"), 3) {
		_, rows, err := c.tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, guardConfig(c.store, rules), nil)
		if err != nil {
			t.Fatalf("campaign %d: %v", i, err)
		}
		if by, _ := countStatus(rows, ""); i == 2 && by[journal.StatusCapped] != len(tc.phones) {
			t.Errorf("the third campaign's rows: %v, want every one capped", by)
		}
	}
	checkDialled(t, tc.srv, tc.phones, 2)
}

// TestGuardDoNotCall: a number on the account's do-not-call list is not dialled; its row is
// do-not-call, with the reason; the others are dialled.
func TestGuardDoNotCall(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 3)
	s := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	if _, err := s.AddDoNotCall(t.Context(), "asked on the phone", time.Time{}, tc.phones[1]); err != nil {
		t.Fatal(err)
	}
	_, rows, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, guardConfig(s, campaign.Rules{MinGap: time.Hour}), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkDialled(t, tc.srv, []string{tc.phones[0], tc.phones[2]}, 1)
	if o := rows[1].Outcome; o.Status != journal.StatusDoNotCall || !strings.Contains(o.Error, "asked on the phone") {
		t.Errorf("the do-not-call row: %s %q, want do-not-call with its reason", o.Status, o.Error)
	}
}

// TestGuardPause: a paused campaign places nothing, and the run says who paused it; a pause
// made while a run places is noticed before its next placement; after resume a run dials.
func TestGuardPause(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 4)
	s := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	if err := s.Pause(t.Context(), history.Pause{Campaign: history.All, By: "asha@ops", At: at}); err != nil {
		t.Fatal(err)
	}
	cfg := guardConfig(s, campaign.Rules{})
	summary, _, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
	if err != nil || !strings.Contains(summary.Halted, "paused by asha@ops at 2026-12-07T09:30:00Z") || summary.Unfinished() != len(tc.phones) {
		t.Fatalf("a paused run: %v, halted %q; want a halt naming who paused and when, every row left", err, summary.Halted)
	}
	checkDialled(t, tc.srv, tc.phones, 0)
	if _, err := s.Resume(t.Context(), history.All); err != nil {
		t.Fatal(err)
	}
	// One call at a time; the first POST pauses the campaign: no second call leaves.
	cfg.Concurrency = 1
	id := campaignID(t, tc.results)
	pausing := &pauseOnPlace{Dialer: tc.srv.Client(), pause: func() error {
		return s.Pause(context.Background(), history.Pause{Campaign: id, By: "ravi@ops"})
	}}
	summary, _, err = tc.runWith(t, within(t, 30*time.Second), pausing, tc.srv.URL, cfg, nil)
	if err != nil || !strings.Contains(summary.Halted, "campaign "+id+" paused by ravi@ops") || summary.Dialled != 1 {
		t.Fatalf("a run paused while placing: %v, halted %q, dialled %d; want one call, then the halt", err, summary.Halted, summary.Dialled)
	}
	if _, err := s.Resume(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil); err != nil {
		t.Fatal(err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
}

// pauseOnPlace pauses the campaign when its first call is placed.
type pauseOnPlace struct {
	campaign.Dialer
	once  sync.Once
	pause func() error
}

func (p *pauseOnPlace) PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	var err error
	p.once.Do(func() { err = p.pause() })
	if err != nil {
		return nil, err
	}
	return p.Dialer.PlaceCall(ctx, req, opts...)
}

// TestGuardUnreachable: a history that cannot be reached (closed before the run, or failing
// at a reservation) stops the run before any call, with a FatalError saying so; nothing is
// lost (every row is left for the next run).
func TestGuardUnreachable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		guard func(s *history.Store) campaign.Guard
	}{
		{"closed", func(s *history.Store) campaign.Guard { s.Close(); return history.Guard{Store: s} }},
		{"reserve fails", func(s *history.Store) campaign.Guard { return failingReserve{history.Guard{Store: s}} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{}, 3)
			cfg := baseConfig()
			cfg.Guard = tt.guard(openHistory(t, filepath.Join(t.TempDir(), "history.db")))
			summary, _, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
			var fatal *campaign.FatalError
			var guardErr *campaign.GuardError
			if !errors.As(err, &fatal) || !errors.As(err, &guardErr) || !errors.Is(err, errGone) && tt.name != "closed" {
				t.Fatalf("%v (summary %+v), want a FatalError of the guard", err, summary)
			}
			if summary != nil && summary.Unfinished() != len(tc.phones) {
				t.Errorf("%d rows left for the next run, want %d", summary.Unfinished(), len(tc.phones))
			}
			checkDialled(t, tc.srv, tc.phones, 0)
		})
	}
}

// failingReserve is a guard that cannot reserve (the history went away after the run began).
type failingReserve struct{ campaign.Guard }

func (failingReserve) Reserve(context.Context, campaign.GuardAttempt, campaign.Rules) (campaign.Verdict, error) {
	return campaign.Verdict{}, errGone
}

// TestGuardDailySpend: --max-cost-per-day counts every campaign's spend since midnight UTC:
// reached by another campaign, the run halts before any call.
func TestGuardDailySpend(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 2)
	s := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	other := history.Attempt{Campaign: "other", Phone: "+14155550100", Number: 1, Ref: "other-1"}
	if _, err := s.Reserve(t.Context(), other, history.Rules{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(t.Context(), other.Ref, history.Outcome{Status: "completed", Cost: 50}); err != nil {
		t.Fatal(err)
	}
	cfg := guardConfig(s, campaign.Rules{})
	cfg.MaxCostPerDay = 40
	summary, _, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
	if err != nil || !strings.Contains(summary.Halted, "spend cap of 40 a day is reached") {
		t.Fatalf("%v, halted %q; want the daily cap's halt", err, summary.Halted)
	}
	checkDialled(t, tc.srv, tc.phones, 0)
}

// TestGuardReconciles: writes to the history after the POST that fail lose nothing (the run
// ends as it would, the journal holds every call), and the next run settles the history from
// the journal before it places anything.
func TestGuardReconciles(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, bolnatest.Options{}, 3)
	s := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	cfg := guardConfig(s, campaign.Rules{MinGap: time.Hour})
	cfg.Guard = failingWrites{Guard: history.Guard{Store: s}}
	_, rows, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkMatchesServer(t, tc.srv, rows)
	id := campaignID(t, tc.results)
	if open, err := s.Unsettled(t.Context(), id); err != nil || len(open) != len(tc.phones) {
		t.Fatalf("unsettled after the failing writes: %v, %v; want one a row", open, err)
	}
	cfg.Guard = history.Guard{Store: s}
	if _, _, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if open, err := s.Unsettled(t.Context(), id); err != nil || len(open) != 0 {
		t.Fatalf("unsettled after the next run: %v, %v; want none", open, err)
	}
	for i, p := range tc.phones {
		entries, err := s.PersonHistory(t.Context(), p)
		if err != nil || len(entries) != 1 || entries[0].Status != string(rows[i].Outcome.Status) || entries[0].ExecutionID != rows[i].Outcome.ExecutionID {
			t.Errorf("%s in the history: %+v, %v; want the journal's outcome %s", p, entries, err, rows[i].Outcome.Status)
		}
	}
	checkDialled(t, tc.srv, tc.phones, 1)
}

// failingWrites is a guard whose writes after the POST fail (a history gone away mid-run).
type failingWrites struct{ campaign.Guard }

var errGone = errors.New("the history went away")

func (failingWrites) Placed(context.Context, string, string, time.Time) error   { return errGone }
func (failingWrites) Settle(context.Context, string, campaign.Settlement) error { return errGone }
func (failingWrites) Void(context.Context, string) error                        { return errGone }

// TestGuardRecordsEnds: every attempt a run reserves ends settled in the history with the
// journal's execution id and status, a call whose placement reply was lost (found by the
// search) too, under the names of the run's list and results; nothing is left reserved or
// placed.
func TestGuardRecordsEnds(t *testing.T) {
	t.Parallel()
	var lost atomic.Bool
	tc := newCampaign(t, bolnatest.Options{Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		if r.Method == http.MethodPost && r.URL.Path == "/call" && lost.CompareAndSwap(false, true) {
			return bolnatest.LoseReply
		}
		return bolnatest.NoFault
	}}}, 3)
	s := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	_, rows, err := tc.runWith(t, within(t, 30*time.Second), tc.srv.Client(), tc.srv.URL, guardConfig(s, campaign.Rules{MinGap: time.Hour}), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkDialled(t, tc.srv, tc.phones, 1)
	if open, err := s.Unsettled(t.Context(), campaignID(t, tc.results)); err != nil || len(open) != 0 {
		t.Errorf("unsettled after the run: %v, %v; want none", open, err)
	}
	for i, p := range tc.phones {
		entries, err := s.PersonHistory(t.Context(), p)
		if err != nil || len(entries) != 1 || entries[0].State != history.StateSettled || entries[0].ExecutionID == "" ||
			entries[0].ExecutionID != rows[i].Outcome.ExecutionID || entries[0].Status != string(rows[i].Outcome.Status) {
			t.Errorf("%s in the history: %+v, %v; want settled as the row: %+v", p, entries, err, rows[i].Outcome)
		}
		if len(entries) == 1 && (entries[0].List != tc.input || entries[0].Results != tc.results) {
			t.Errorf("%s in the history under the list %q and the results %q, want %q and %q", p, entries[0].List, entries[0].Results, tc.input, tc.results)
		}
	}
}
