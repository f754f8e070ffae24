package campaign_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// finishedCampaign runs a campaign of n contacts to its end: every row completed, the journal
// and the results written.
func finishedCampaign(t *testing.T, n int) *testCampaign {
	t.Helper()
	tc := newCampaign(t, bolnatest.Options{}, n)
	summary, _, err := tc.run(t, baseConfig(), nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("first run: %+v, %v", summary, err)
	}
	return tc
}

// TestTruncatedJournal: a journal that knows less than the results show — emptied, cut to its
// first lines, or missing the final record of a row the results show final — is refused before
// anyone is dialled, by a run and by a dry run, with what to do; the results are left as they
// were (no final row becomes pending). A journal that lost nothing still opens.
func TestTruncatedJournal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(b []byte) []byte
		short  bool
	}{
		{"emptied", func([]byte) []byte { return nil }, true},
		{"its first two lines", func(b []byte) []byte {
			lines := bytes.SplitAfter(b, []byte("\n"))
			return bytes.Join(lines[:2], nil)
		}, true},
		{"the last final record lost", func(b []byte) []byte {
			i := bytes.LastIndex(b, []byte(`{"ev":"final"`))
			j := bytes.IndexByte(b[i:], '\n')
			return append(bytes.Clone(b[:i]), b[i+j+1:]...)
		}, true},
		{"untouched", func(b []byte) []byte { return b }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := finishedCampaign(t, 6)
			statePath := store.At(tc.results).StatePath()
			b, err := os.ReadFile(statePath)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(statePath, tt.damage(b), 0o600)
			before, _ := os.ReadFile(tc.results)
			cfg := baseConfig()
			c, list, format := store.At(tc.results), store.ContactFile(tc.input), store.FormatOf(results.Format{})
			opens := map[string]func() error{
				"Open": func() error {
					sess, err := c.Open(list, format, journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL}, cfg)
					if err == nil {
						sess.Close()
					}
					return err
				},
				"Inspect": func() error { _, err := c.Inspect(list, format, cfg); return err },
			}
			for name, open := range opens {
				err := open()
				var short *store.ShortJournalError
				switch {
				case !tt.short && err != nil:
					t.Errorf("%s: %v, want the journal taken", name, err)
				case tt.short && (!errors.As(err, &short) || short.Line < 2 || !strings.Contains(err.Error(), "rebuilt from")):
					t.Errorf("%s: error = %v, want a ShortJournalError naming the first row and saying what to do", name, err)
				}
			}
			if tt.short {
				if after, _ := os.ReadFile(tc.results); !bytes.Equal(before, after) {
					t.Errorf("the results changed:\n%s\nwas:\n%s", after, before)
				}
				if got := len(tc.srv.Placements()); got != 6 {
					t.Errorf("%d calls placed, want the first run's 6", got)
				}
			}
		})
	}
}

// TestRebuildIsWholeOrNothing: a journal rebuilt from the results is written aside and renamed
// into place once complete: at no instant of the rebuild is there a journal at its path that
// knows only some of the rows (a crash then would leave it to be taken for the whole), and the
// rebuilt one knows every row.
func TestRebuildIsWholeOrNothing(t *testing.T) {
	t.Parallel()
	tc := finishedCampaign(t, 8)
	statePath := store.At(tc.results).StatePath()
	os.Remove(statePath)
	seen, partial := 0, 0
	format := observedFormat{Format: results.Format{}, each: func() {
		seen++
		if st, err := journal.ReadState(statePath); err == nil && st.Standing().Dialled > 0 && st.Standing().Dialled < 8 {
			partial++
		}
	}}
	cfg := baseConfig()
	sess, err := store.At(tc.results).Open(store.ContactFile(tc.input), store.FormatOf(format), journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if seen == 0 || partial > 0 {
		t.Errorf("%d of the %d instants looked at during the rebuild had a partial journal in place", partial, seen)
	}
	if sess.Rebuilt != 8 || sess.State().Standing().Dialled != 8 {
		t.Errorf("rebuilt %d rows, the journal knows %d; want 8", sess.Rebuilt, sess.State().Standing().Dialled)
	}
}

// observedFormat is a results format that calls each as it reads each row back.
type observedFormat struct {
	results.Format
	each func()
}

func (f observedFormat) Layout(header []string) (func([]string) (journal.Outcome, error), error) {
	layout, err := f.Format.Layout(header)
	if err != nil {
		return nil, err
	}
	return func(record []string) (journal.Outcome, error) {
		f.each()
		return layout(record)
	}, nil
}

// TestDryRunReadsTheRebuild: with the journal lost, a dry run says what a run would do — the
// journal rebuilt from the results, nobody to dial — and writes no journal beside them.
func TestDryRunReadsTheRebuild(t *testing.T) {
	t.Parallel()
	tc := finishedCampaign(t, 5)
	statePath := store.At(tc.results).StatePath()
	os.Remove(statePath)
	sess, err := store.At(tc.results).Inspect(store.ContactFile(tc.input), store.FormatOf(results.Format{}), baseConfig())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := sess.DryRun(func(dialer.CallRequest) error { return nil })
	sess.Close()
	if err != nil || plan.Dial != 0 || plan.Done != 5 {
		t.Errorf("dry run without a journal: %d to dial, %d done, %v; want 0 and 5", plan.Dial, plan.Done, err)
	}
	if _, err := os.Lstat(statePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dry run left a journal at %s (%v)", statePath, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(tc.results), ".*")); len(left) > 0 {
		t.Errorf("the dry run left %v behind", left)
	}
}
