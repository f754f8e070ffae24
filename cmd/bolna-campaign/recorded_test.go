package main

import (
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
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
	st, err := journal.OpenState(journal.StatePath(results), journal.Owner{Agent: bolnatest.DefaultAgentID, API: "https://api.bolna.ai"})
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
