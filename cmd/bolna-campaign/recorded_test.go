package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestDryRunSaysHowOld: a dry run makes no network call, so the account it shows is the one the
// latest run recorded; three days old and with no slot free then, it is labelled with its age,
// the estimate says what it rests on, and nothing is said as if it were the account now (#31.7:
// "the account has no free concurrency … one call at a time" and a 16-minute estimate, from an
// old snapshot).
func TestDryRunSaysHowOld(t *testing.T) {
	t.Parallel()
	list, _ := writeContacts(t, 4)
	results := strings.TrimSuffix(list, ".csv") + ".results.csv"
	st, err := journal.OpenState(store.At(results).StatePath(), journal.Owner{Agent: bolnatest.DefaultAgentID, API: "https://api.bolna.ai"})
	if err != nil {
		t.Fatal(err)
	}
	st.NoteAccount(journal.Account{Wallet: 5000, Concurrency: 2, InUse: 2, At: time.Now().Add(-72 * time.Hour)})
	st.Close()
	inv := newInvocation(map[string]string{"BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	if code := inv.run("run", "--dry-run", list); code != exitOK {
		t.Fatalf("dry run: exit %d:\n%s", code, inv.stderr.String())
	}
	out := inv.stderr.String()
	for _, want := range []string{"as the latest run found it 72h ago", "none was free then", "from the account as a run found it 72h ago"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "the account has no free concurrency") {
		t.Errorf("the dry run says a three-day-old account is the account now:\n%s", out)
	}
}

// TestAttemptsLogInTheListsDialect: the attempts log beside the results is written as the
// results are, in the list's dialect (a semicolon list from European Excel gets a semicolon
// log), mode 0600.
func TestAttemptsLogInTheListsDialect(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	list := filepath.Join(t.TempDir(), "semi.csv")
	os.WriteFile(list, []byte("phone;name\n+919810000001;Asha\n+919810000002;Ravi\n"), 0o600)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", list); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(list), "semi.results.attempts.csv"))
	if err != nil || !strings.HasPrefix(string(b), "line;attempt;from_number;to_number;execution_id;") || strings.Count(string(b), "\n") != 3 {
		t.Errorf("attempts log (%v):\n%s\nwant a semicolon header and two attempts", err, b)
	}
}
