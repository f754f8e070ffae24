package results_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results"
)

const sample = "../samples/example-results.csv"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./results -update to accept):\n%s", path, got)
	}
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	r, err := results.ReadReport(sample)
	if err != nil {
		t.Fatal(err)
	}
	var text, page bytes.Buffer
	r.WriteText(&text)
	golden(t, "report.golden.txt", text.Bytes())
	if err := r.WriteHTML(&page, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.html", page.Bytes())
	for _, forbidden := range []string{"<script", "src=\"http", "href=\"http", "@import", "url("} {
		if strings.Contains(page.String(), forbidden) {
			t.Errorf("the page is not self-contained: it has %q", forbidden)
		}
	}
}

func TestReportNumbers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, rows [][]string, outcomes []journal.Outcome) string {
		path := filepath.Join(dir, name)
		w, err := results.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteHeader([]string{"phone", "name"})
		for i := range rows {
			w.WriteRow(rows[i], outcomes[i])
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	done := func(d, cost float64, extracted string) journal.Outcome {
		return journal.Outcome{Status: "completed", ExecutionID: "e", Attempts: 1, Duration: d, Cost: cost, Extracted: json.RawMessage(extracted)}
	}
	a := write("a.csv", [][]string{{"+911", "A"}, {"+912", "B"}, {"+913", "C"}}, []journal.Outcome{
		done(10, 2, `{"confirmed":"yes"}`), done(20, 4, `{"confirmed":"no"}`), {Status: "no-answer", ExecutionID: "e", Attempts: 2},
	})
	b := write("b.csv", [][]string{{"+914", "D"}, {"12", "E"}, {"+916", "F"}}, []journal.Outcome{
		done(100, 16, `{"confirmed":"yes","n":3}`), {Status: journal.StatusInvalid, Error: "bad"}, done(0, 1, `{}`),
	})
	r, err := results.ReadReport(a, b)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"rows", float64(r.Rows), 6},
		{"dialled", float64(r.Dialled), 5},
		{"answered (a 0 s completed call is not)", float64(r.Answered), 3},
		{"answer rate", r.AnswerRate, 0.6},
		{"attempts", float64(r.Attempts), 6},
		{"total cost", r.TotalCost, 23},
		{"mean duration", r.MeanDuration, (10 + 20 + 100) / 3.0},
		{"p50", r.P50Duration, 20},
		{"p95", r.P95Duration, 100},
		{"chase (the no-answer, and the 0 s completed call: rejected, #21)", float64(r.ChaseTotal), 2},
		{"rejected", float64(r.Rejected), 1},
		{"bucket <15s", float64(r.DurationBuckets[0]), 1},
		{"bucket 15-30s", float64(r.DurationBuckets[1]), 1},
		{"bucket 1-2m", float64(r.DurationBuckets[3]), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if top := r.Top("confirmed", 1); len(top) != 1 || top[0].Value != "yes" || top[0].Count != 2 {
		t.Errorf("Top(confirmed) = %+v, want yes ×2", top)
	}
	if r.Chase[0].Phone != "+913" || r.Chase[0].Name != "C" {
		t.Errorf("chase = %+v", r.Chase)
	}
}

func TestReportHTMLEscapes(t *testing.T) {
	t.Parallel()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	path := filepath.Join(t.TempDir(), evil[:8]+".csv")
	w, err := results.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteHeader([]string{"phone", "name"})
	w.WriteRow([]string{evil, evil}, journal.Outcome{Status: "no-answer", ExecutionID: "e", Attempts: 1, Error: evil})
	w.WriteRow([]string{"+911", evil}, journal.Outcome{Status: journal.Status(evil), ExecutionID: "e", Attempts: 1})
	w.WriteRow([]string{"+912", "x"}, journal.Outcome{Status: "completed", ExecutionID: "e", Attempts: 1, Duration: 5,
		Summary: evil, Extracted: json.RawMessage(`{"` + strings.ReplaceAll(evil, `"`, `\"`) + `":"` + strings.ReplaceAll(evil, `"`, `\"`) + `"}`)})
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := results.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page, time.Now()); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, raw := range []string{"<script", "<img", "\" onerror"} {
		if strings.Contains(html, raw) {
			t.Errorf("the page carries %q unescaped", raw)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Error("the hostile value is missing from the page instead of escaped")
	}
	var text bytes.Buffer
	r.WriteText(&text)
	if strings.ContainsAny(text.String(), "\x1b\r") {
		t.Error("the text report carries control characters")
	}
}

// TestReportFixes: the JSON has no float noise, cost by status lists only what cost
// something, a breakdown by an input column counts each value, and the export to fix holds the
// rows to chase and the invalid ones with their input columns.
func TestReportFixes(t *testing.T) {
	t.Parallel()
	body := "phone,clinic," + strings.Join(results.Columns, ",") + "\n" +
		"+911,North,completed,e1,1,30,54.7,,,,,,,,,,\n" +
		"+912,North,completed,e2,1,40,54.7,,,,,,,,,,\n" +
		"+913,South,completed,e3,1,50,54.65,,,,,,,,,,\n" +
		"+914,South,no-answer,e4,1,,,,,,,,,,,,\n" +
		"12345,South,invalid,,,,,,,,,no country code,,,,,\n"
	path := filepath.Join(t.TempDir(), "r.results.csv")
	os.WriteFile(path, []byte(body), 0o600)
	r, err := results.ReadReportBy("clinic", path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "0000000") || !strings.Contains(string(b), `"total_cost":164.05`) {
		t.Errorf("JSON with float noise: %s", b)
	}
	if g := r.Groups["South"]; g == nil || g.Rows != 3 || g.Dialled != 2 || g.Answered != 1 || r.Groups["North"].AnswerRate != 1 {
		t.Errorf("groups %+v", r.Groups)
	}
	// The column is found whatever its case (#23.9: report --by Clinic).
	if upper, err := results.ReadReportBy("Clinic", path); err != nil || upper.Groups["South"] == nil || upper.Groups["South"].Rows != 3 {
		t.Errorf("--by Clinic for a clinic column: %v, %+v", err, upper)
	}
	var page bytes.Buffer
	r.WriteHTML(&page, at)
	if strings.Contains(page.String(), "<span class=\"label\">no-answer</span><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 16\" preserveAspectRatio=\"none\"><rect x=\"0\" y=\"1\" width=\"0.00\"") {
		t.Error("the cost chart lists a status that cost nothing")
	}
	if !strings.Contains(page.String(), results.HTMLMarker) || !strings.Contains(page.String(), "By clinic") {
		t.Error("the page lacks its marker or the breakdown")
	}
	var out bytes.Buffer
	n, err := results.WriteToFix(&out, []string{path})
	if err != nil || n != 2 || !strings.HasPrefix(out.String(), "phone,clinic,bolna_status,bolna_reason\n") ||
		!strings.Contains(out.String(), "12345,South,invalid,no country code") || !strings.Contains(out.String(), "+914,South,no-answer,") {
		t.Errorf("WriteToFix() = %d, %v:\n%s", n, err, out.String())
	}
}

// TestReportCompareAgents: two campaigns run with two agents, merged and broken down by
// agent_id, are an A/B test: each group's answer rate carries its 95% Wilson interval, and the
// verdict is the two-proportion z-test's, all checked against numbers worked out by hand
// (60/100 against 40/100: intervals 50.2–69.1% and 30.9–49.8%, z = 2.828, p = 0.0047). Groups
// of five are too small to tell.
func TestReportCompareAgents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, agent string, dialled, answered int) string {
		path := filepath.Join(dir, name)
		w, err := results.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteHeader([]string{"phone"})
		for i := range dialled {
			o := journal.Outcome{Status: "no-answer", ExecutionID: "e", Attempts: 1, AgentID: agent,
				Extracted: json.RawMessage(`{"confirmed":"no"}`)}
			if i < answered {
				o.Status, o.Duration, o.Extracted = "completed", 30, json.RawMessage(`{"confirmed":"yes"}`)
			}
			w.WriteRow([]string{fmt.Sprintf("+91981%07d", i)}, o)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a, b := write("a.results.csv", "agent-a", 100, 60), write("b.results.csv", "agent-b", 100, 40)
	goal, _ := results.ParseGoal("confirmed=yes")
	r, err := results.ReadReportWith("agent_id", goal, a, b)
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-4 }
	ga, gb := r.Groups["agent-a"], r.Groups["agent-b"]
	if ga == nil || gb == nil || !near(ga.AnswerCI.Low, 0.5020026) || !near(ga.AnswerCI.High, 0.6905987) ||
		!near(gb.AnswerCI.Low, 0.3094013) || !near(gb.AnswerCI.High, 0.4979974) {
		t.Fatalf("groups %+v %+v: want Wilson intervals [0.5020, 0.6906] and [0.3094, 0.4980]", ga, gb)
	}
	if len(r.Verdicts) != 2 {
		t.Fatalf("verdicts %+v, want the answer rate's and the goal rate's", r.Verdicts)
	}
	for _, v := range r.Verdicts {
		if v.High != "agent-a" || v.Low != "agent-b" || !near(v.Z, 2.8284271) || !near(v.P, 0.0046777) || !v.Differs || v.TooSmall {
			t.Errorf("verdict %+v: want agent-a over agent-b, z 2.8284, p 0.0047, a difference", v)
		}
	}
	if g := r.Goal; g == nil || g.Reached != 100 || !near(g.Rate, 0.5) {
		t.Errorf("goal %+v, want 100 of 200", r.Goal)
	}
	var text bytes.Buffer
	r.WriteText(&text)
	for _, want := range []string{"60.0% (50.2–69.1)", "40.0% (30.9–49.8)", "differ beyond chance (p = 0.005)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, text.String())
		}
	}

	small, err := results.ReadReportBy("agent_id", write("c.results.csv", "agent-c", 5, 3), write("d.results.csv", "agent-d", 5, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(small.Verdicts) != 1 || !small.Verdicts[0].TooSmall || !strings.Contains(small.Verdicts[0].Text(), "too small to tell") {
		t.Errorf("groups of five: %+v, want too small to tell", small.Verdicts)
	}
}
