package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestResultsOfAnotherList: `run listB.csv --results A.results.csv` is refused (exit 2), dry
// run or not, naming the problem; it dials nobody, prints no body, and leaves campaign A's
// results and journal byte for byte as they were. The same list with a few more rows, or
// fewer, still runs on its results.
func TestResultsOfAnotherList(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	listA, phones := writeContacts(t, 6)
	results := filepath.Join(filepath.Dir(listA), "A.results.csv")
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", "--results", results, listA); code != exitOK {
		t.Fatalf("campaign A: exit %d", code)
	}
	before := map[string][]byte{}
	for _, p := range []string{results, store.At(results).StatePath()} {
		before[p], _ = os.ReadFile(p)
	}
	listB := filepath.Join(t.TempDir(), "listB.csv")
	os.WriteFile(listB, []byte("phone,name,plan\n+919811111111,B1,gold\n+919822222222,B2,gold\n+919833333333,B3,gold\n"), 0o600)
	placed := len(srv.Placements())
	for _, args := range [][]string{
		{"run", "--poll-interval", "20ms", "--results", results, listB},
		{"run", "--dry-run", "--results", results, listB},
	} {
		inv := newInvocation(env)
		if code := inv.run(args...); code != exitUsage || !strings.Contains(inv.stderr.String(), "belongs to another list") || inv.stdout.String() != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s\nwant 2 saying the results belong to another list, and no body", args, code, inv.stdout.String(), inv.stderr.String())
		}
	}
	if n := len(srv.Placements()); n != placed {
		t.Errorf("%d calls placed for list B, want none", n-placed)
	}
	for p, b := range before {
		if now, _ := os.ReadFile(p); !bytes.Equal(now, b) {
			t.Errorf("%s changed", p)
		}
	}
	// The same list, grown by a row and short of one: its own results, run.
	grown := filepath.Join(filepath.Dir(listA), "grown.csv")
	lines := []string{"phone,name,plan"}
	for i, p := range phones[1:] {
		lines = append(lines, p+",Person "+string(rune('a'+i))+",gold")
	}
	os.WriteFile(grown, []byte(strings.Join(append(lines, "+919844444444,New,gold"), "\n")+"\n"), 0o600)
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", "--results", results, grown); code != exitOK {
		t.Errorf("the same list, one row more and one less: exit %d, want 0", code)
	}
}

// TestResultsAsList: a results file given back as the contact list (`run list.results.csv`) is
// refused by run, its dry run and check (exit 2), naming the mistake, before any call: it used
// to re-dial everyone already called, sending status, summary and recording_url as user_data.
// A list whose last column is a CRM's "status" is still a list.
func TestResultsAsList(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	list, _ := writeContacts(t, 3)
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", list); code != exitOK {
		t.Fatalf("the campaign: exit %d", code)
	}
	resultsFile := strings.TrimSuffix(list, ".csv") + ".results.csv"
	placed := len(srv.Placements())
	for _, args := range [][]string{
		{"run", "--poll-interval", "20ms", "--results", filepath.Join(t.TempDir(), "again.csv"), resultsFile},
		{"run", "--dry-run", "--results", filepath.Join(t.TempDir(), "again.csv"), resultsFile},
		{"check", resultsFile},
	} {
		inv := newInvocation(env)
		if code := inv.run(args...); code != exitUsage || !strings.Contains(inv.stderr.String(), "is a results file of bolna-campaign, not a contact list") {
			t.Errorf("%v: exit %d, want 2 saying it is a results file:\n%s%s", args[:2], code, inv.stdout.String(), inv.stderr.String())
		}
	}
	if n := len(srv.Placements()); n != placed {
		t.Errorf("%d people dialled again from the results file", n-placed)
	}
	crm := filepath.Join(t.TempDir(), "crm.csv")
	os.WriteFile(crm, []byte("phone,name,status\n+919811111111,A,lead\n"), 0o600)
	if code := newInvocation(env).run("run", "--dry-run", crm); code != exitOK {
		t.Errorf("a list with a status column: exit %d, want 0", code)
	}
}
