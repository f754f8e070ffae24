package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestReportOfTwoCampaigns: report merges results files, and says so when they are not one
// campaign: two lists with other columns, or two campaigns' journals for lists alike (in the
// text, the JSON's notes and the page). The shards of one list, each with a journal of its
// own, and a single file get no note; one campaign given twice is said too (its rows would
// count twice).
func TestReportOfTwoCampaigns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	list := func(name, header string, rows ...string) string {
		path := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(path, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	run := func(args ...string) {
		inv := newInvocation(env)
		if code := inv.run(append([]string{"run", "--poll-interval", "20ms"}, args...)...); code != exitOK && code != exitUnfinished {
			t.Fatalf("run %v: exit %d:\n%s", args, code, inv.stderr.String())
		}
	}
	results := func(input string) string { return strings.TrimSuffix(input, ".csv") + ".results.csv" }
	a := list("a", "phone,name", "+919900000001,A", "+919900000002,B")
	b := list("b", "phone,name,clinic", "+919900000003,C,North")
	c := list("c", "phone,name", "+919900000004,D", "+919900000005,E")
	all := list("all", "phone,name", "+919900000006,F", "+919900000007,G", "+919900000008,H", "+919900000009,I")
	for _, in := range []string{a, b, c} {
		run(in)
	}
	run("--shard", "0/2", all)
	run("--shard", "1/2", all)
	shard := func(k string) string { return filepath.Join(dir, "all.shard-"+k+"-of-2.results.csv") }
	cases := []struct {
		name  string
		files []string
		says  string // "" for no note
	}{
		{"two lists with other columns", []string{results(a), results(b)}, "other columns"},
		{"two campaigns of lists alike", []string{results(a), results(c)}, "two different campaigns (journals"},
		{"one campaign given twice", []string{results(a), results(a)}, "given twice"},
		{"the shards of one list", []string{shard("0"), shard("1")}, ""},
		{"one file", []string{results(a)}, ""},
	}
	for _, tc := range cases {
		text := newInvocation(nil)
		page := filepath.Join(t.TempDir(), "r.html")
		if code := text.run(append([]string{"report", "--html", page}, tc.files...)...); code != exitOK {
			t.Fatalf("%s: report exit %d:\n%s", tc.name, code, text.stderr.String())
		}
		js := newInvocation(nil)
		js.run(append([]string{"report", "--json"}, tc.files...)...)
		var doc struct {
			Notes []string `json:"notes"`
		}
		if err := json.Unmarshal([]byte(js.stdout.String()), &doc); err != nil {
			t.Fatalf("%s: --json: %v", tc.name, err)
		}
		html, _ := os.ReadFile(page)
		noted := strings.Contains(text.stdout.String(), "note: ")
		if tc.says == "" {
			if noted || len(doc.Notes) > 0 {
				t.Errorf("%s: a note where there is one campaign:\n%s%v", tc.name, text.stdout.String(), doc.Notes)
			}
			continue
		}
		if !noted || !strings.Contains(text.stdout.String(), tc.says) || len(doc.Notes) != 1 || !strings.Contains(doc.Notes[0], tc.says) ||
			!strings.Contains(string(html), "<b>Note:</b>") {
			t.Errorf("%s: want a note saying %q in the text, the JSON and the page:\n%s%v", tc.name, tc.says, text.stdout.String(), doc.Notes)
		}
	}
}
