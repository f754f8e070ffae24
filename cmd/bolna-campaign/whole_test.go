package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestTruncatedJournalExit: after a finished campaign, an emptied journal (`: > RESULTS.state`)
// or one cut to its first two lines is refused with exit 1 and what to do, nobody dialled and
// the results untouched; doing what the hint says (the journal moved aside) rebuilds it from
// the results, and nobody is dialled again.
func TestTruncatedJournalExit(t *testing.T) {
	t.Parallel()
	for _, cut := range []struct {
		name string
		keep func([]byte) []byte
	}{
		{"emptied", func([]byte) []byte { return nil }},
		{"head -n 2", func(b []byte) []byte { return bytes.Join(bytes.SplitAfter(b, []byte("\n"))[:2], nil) }},
	} {
		t.Run(cut.name, func(t *testing.T) {
			t.Parallel()
			srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
			t.Cleanup(srv.Close)
			input, phones := writeContacts(t, 6)
			env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
			run := func() (int, string) {
				inv := newInvocation(env)
				code := inv.run("run", "--poll-interval", "20ms", input)
				return code, inv.stderr.String()
			}
			if code, stderr := run(); code != exitOK {
				t.Fatalf("first run: exit %d\n%s", code, stderr)
			}
			resultsPath := strings.TrimSuffix(input, ".csv") + ".results.csv"
			statePath := store.At(resultsPath).StatePath()
			want, _ := os.ReadFile(resultsPath)
			b, _ := os.ReadFile(statePath)
			os.WriteFile(statePath, cut.keep(b), 0o600)

			code, stderr := run()
			if code != exitFatal || !strings.Contains(stderr, "knows less than") || !strings.Contains(stderr, "mv "+statePath) {
				t.Errorf("rerun on a cut journal: exit %d, want 1 and what to do:\n%s", code, stderr)
			}
			if got, _ := os.ReadFile(resultsPath); !bytes.Equal(got, want) {
				t.Error("the results were rewritten by a run refused")
			}

			os.Rename(statePath, statePath+".damaged") // as the hint says
			if code, stderr := run(); code != exitOK || !strings.Contains(stderr, "rebuilt it from the 6 dialled rows") {
				t.Fatalf("rerun with the journal moved aside: exit %d\n%s", code, stderr)
			}
			if got, _ := os.ReadFile(resultsPath); !sameOutcomes(t, got, want) {
				t.Error("results after rebuilding the journal differ")
			}
			checkDialledOnce(t, srv, phones)
		})
	}
}
