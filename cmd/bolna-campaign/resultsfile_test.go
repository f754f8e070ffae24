package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

func TestReportCommand(t *testing.T) {
	t.Parallel()
	page := filepath.Join(t.TempDir(), "report.html")
	inv := newInvocation(nil)
	if code := inv.run("report", "--html", page, "../../samples/example-results.csv", "../../samples/example-results.csv"); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	if !strings.Contains(inv.stdout.String(), "44 rows from") {
		t.Errorf("two copies of a 22-row file should merge into 44 rows:\n%s", inv.stdout.String())
	}
	if info, err := os.Stat(page); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("HTML report: %v, mode %v; want a 0600 file", err, info)
	}
	inv = newInvocation(nil)
	if code := inv.run("report", "--json", "../../samples/example-results.csv"); code != exitOK {
		t.Fatalf("--json exit %d", code)
	}
	var r results.Report
	if err := json.Unmarshal([]byte(inv.stdout.String()), &r); err != nil || r.Rows != 22 {
		t.Errorf("--json: %v, rows %d", err, r.Rows)
	}
	if code := newInvocation(nil).run("report", "../../samples/contacts.csv"); code != exitUsage {
		t.Errorf("report of a contact list: exit %d, want 2 (not a results file)", code)
	}
}

// TestResultsFileSafety: a --results that is not ours is never overwritten; a results file
// edited by hand is rewritten from the journal; a lost journal is rebuilt from the results, so
// nobody is dialled again.
func TestResultsFileSafety(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 8)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	run := func(args ...string) (int, string) {
		inv := newInvocation(env)
		code := inv.run(append([]string{"run", "--poll-interval", "20ms"}, args...)...)
		return code, inv.stderr.String()
	}

	// Not ours: the contact list itself, and some other CSV.
	other := filepath.Join(t.TempDir(), "budget.csv")
	os.WriteFile(other, []byte("month,amount\njan,10\n"), 0o600)
	for _, target := range []string{input, other} {
		before, _ := os.ReadFile(target)
		if code, stderr := run("--results", target, input); code != exitUsage || !strings.Contains(stderr, "refusing") && !strings.Contains(stderr, "must not be the contacts file") {
			t.Errorf("--results %s: exit %d, %q; want 2 and a refusal", target, code, stderr)
		}
		if after, _ := os.ReadFile(target); !bytes.Equal(before, after) {
			t.Errorf("%s was changed", target)
		}
	}
	if n := len(srv.Placements()); n != 0 {
		t.Fatalf("%d calls placed by refused runs", n)
	}

	if code, stderr := run(input); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	resultsPath := strings.TrimSuffix(input, ".csv") + ".results.csv"
	want, _ := os.ReadFile(resultsPath)

	// Edited by hand: rows deleted, a status changed. The rerun rewrites it from the journal.
	lines := strings.Split(string(want), "\n")
	edited := strings.Join(append(lines[:3], strings.Replace(lines[4], "completed", "no-answer", 1)), "\n")
	os.WriteFile(resultsPath, []byte(edited), 0o600)
	if code, stderr := run(input); code != exitOK {
		t.Fatalf("rerun after an edit: exit %d\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(resultsPath); !sameOutcomes(t, got, want) {
		t.Errorf("results after a hand edit and a rerun differ from the journal's truth")
	}

	// The journal lost: rebuilt from the results, nobody dialled again.
	os.Remove(store.At(resultsPath).StatePath())
	code, stderr := run(input)
	if code != exitOK || !strings.Contains(stderr, "rebuilt it from the 8 dialled rows") {
		t.Fatalf("rerun without a journal: exit %d\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(resultsPath); !sameOutcomes(t, got, want) {
		t.Errorf("results after rebuilding the journal differ")
	}
	checkDialledOnce(t, srv, phones)
}

// sameOutcomes compares two results files on status and execution id, row by row.
func sameOutcomes(t *testing.T, a, b []byte) bool {
	t.Helper()
	read := func(data []byte) []string {
		var out []string
		results.Read(bytes.NewReader(data), "x", func(r results.Row) error {
			out = append(out, r.Input["phone"]+" "+string(r.Outcome.Status)+" "+r.Outcome.ExecutionID)
			return nil
		})
		return out
	}
	ra, rb := read(a), read(b)
	return len(ra) > 0 && strings.Join(ra, "\n") == strings.Join(rb, "\n")
}
