package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
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

// TestOutcomesAgreeWithTheSimulator: the summary, report, --json and the HTML page count the
// people answered, the voicemails and the calls rejected at once as the simulator decided them
// (its own record of each call, not the runner's); --retry voicemail then re-dials exactly the
// voicemail rows.
func TestOutcomesAgreeWithTheSimulator(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Seed: 21})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 60)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	inv := newInvocation(env)
	if code := inv.run("run", "--rate", "0", "--poll-interval", "20ms", "--json", input); code != exitOK && code != exitUnfinished {
		t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
	}
	truth := map[journal.Result]int{}
	voicemail := map[string]bool{}
	for _, c := range srv.Calls() {
		switch {
		case c.Status != "completed":
		case c.Voicemail:
			truth[journal.ResultVoicemail]++
			voicemail[c.Phone] = true
		case c.Rejected:
			truth[journal.ResultRejected]++
		default:
			truth[journal.ResultAnswered]++
		}
	}
	if truth[journal.ResultVoicemail] == 0 || truth[journal.ResultRejected] == 0 || truth[journal.ResultAnswered] == 0 {
		t.Fatalf("the simulator decided %v: want some of each", truth)
	}
	var summary struct {
		Report struct{ Answered, Voicemail, Rejected int }
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil {
		t.Fatal(err)
	}
	got := summary.Report
	if got.Answered != truth[journal.ResultAnswered] || got.Voicemail != truth[journal.ResultVoicemail] || got.Rejected != truth[journal.ResultRejected] {
		t.Errorf("--json says %+v, the simulator %v", got, truth)
	}
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	rep := newInvocation(nil)
	rep.run("report", results)
	again := newInvocation(env) // a rerun dials nobody and prints the summary as text
	again.run("run", "--poll-interval", "20ms", input)
	html := filepath.Join(filepath.Dir(input), "page.html")
	newInvocation(nil).run("report", "--html", html, results)
	page, _ := os.ReadFile(html)
	for name, text := range map[string]string{"report": rep.stdout.String(), "summary": again.stderr.String()} {
		for _, want := range []string{
			fmt.Sprintf("answered   %d (", truth[journal.ResultAnswered]),
			fmt.Sprintf("voicemail  %d (", truth[journal.ResultVoicemail]),
			fmt.Sprintf("rejected   %d (", truth[journal.ResultRejected]),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, text)
			}
		}
	}
	for _, want := range []string{
		fmt.Sprintf("answered: %d of", truth[journal.ResultAnswered]),
		fmt.Sprintf("<b>%d</b><span>voicemail", truth[journal.ResultVoicemail]),
		fmt.Sprintf("<b>%d</b><span>rejected", truth[journal.ResultRejected]),
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the HTML page lacks %q", want)
		}
	}

	before := len(srv.Placements())
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", "--retry", "voicemail", input); code != exitOK && code != exitUnfinished {
		t.Fatalf("--retry voicemail: exit %d", code)
	}
	redialled := map[string]bool{}
	for _, p := range srv.Placements()[before:] {
		redialled[p.Phone] = true
	}
	for _, p := range phones {
		if redialled[p] != voicemail[p] {
			t.Errorf("%s: re-dialled %v, reached a voicemail %v: --retry voicemail must re-dial exactly the voicemail rows", p, redialled[p], voicemail[p])
		}
	}
}

// TestLimitSaysWhy: after run --limit 3 every row left says why it was not dialled, the rows
// right after the dialled ones too (they were pending with an empty error, #20).
func TestLimitSaysWhy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	copyFile(t, "../../samples/contacts.csv", input)
	newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.002"}).run("run", "--sandbox", "--poll-interval", "20ms", "--limit", "3", input)
	for _, row := range readRows(t, filepath.Join(dir, "contacts.sandbox.results.csv")) {
		if row.Outcome.Attempts == 0 && row.Outcome.Status == journal.StatusPending && !strings.Contains(row.Outcome.Error, "--limit") {
			t.Errorf("line %d: %s %q, want pending, saying why", row.Line, row.Outcome.Status, row.Outcome.Error)
		}
	}
}
