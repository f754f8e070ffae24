package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
)

// logRecord is one line of a --log-format json log, its keys as encoding/json reads them.
type logRecord map[string]any

// readLogRecords parses a JSON log line by line, failing the test on a line that is not a JSON
// object.
func readLogRecords(t *testing.T, log string) []logRecord {
	t.Helper()
	var recs []logRecord
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec logRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a line that is not a JSON object: %q", sc.Text())
		}
		recs = append(recs, rec)
	}
	return recs
}

// TestLogJSONFollowsEachCall (#33): a sandbox run's JSON log, filtered by execution id as
// jq 'select(.execution_id == "…")' would, holds every step of that call: its placement and
// its end, whose outcome is the results file's status for its row; every event about a call
// names its row's line and its number masked as the rest of the tool masks it, and no whole
// number of the list appears anywhere in the log. Every event of the run names its campaign.
func TestLogJSONFollowsEachCall(t *testing.T) {
	t.Parallel()
	input, phones := writeContacts(t, 8)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "5", "BOLNA_SANDBOX_TIME_SCALE": "0.002"})
	if code := inv.run("run", "--sandbox", "--log-format", "json", "--poll-interval", "20ms", input); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
	}
	log := inv.stderr.String()
	for _, p := range phones {
		if strings.Contains(log, p) || strings.Contains(log, strings.TrimPrefix(p, "+")) {
			t.Errorf("the log holds the whole number %s", p)
		}
	}
	recs := readLogRecords(t, log)
	byID := map[string][]logRecord{}
	for _, rec := range recs {
		if rec["campaign"] != "contacts" {
			t.Errorf("an event without the run's campaign: %v", rec)
		}
		_, hasPhone := rec["phone"]
		_, hasLine := rec["line"]
		id, _ := rec["execution_id"].(string)
		if !hasPhone && !hasLine && id == "" {
			continue // not about a call
		}
		masked, _ := rec["phone"].(string)
		if line, _ := rec["line"].(float64); line < 2 || !strings.Contains(masked, "••••") {
			t.Errorf("an event about a call without its line or masked number: %v", rec)
		}
		if id != "" {
			byID[id] = append(byID[id], rec)
		}
	}
	rows := readRows(t, strings.TrimSuffix(input, ".csv")+".sandbox.results.csv")
	if len(rows) != len(phones) {
		t.Fatalf("%d results rows, want %d", len(rows), len(phones))
	}
	for _, row := range rows {
		id := row.Outcome.ExecutionID
		if id == "" {
			t.Errorf("line %d: no execution id in the results (%s)", row.Line, row.Outcome.Status)
			continue
		}
		checkCallEvents(t, row.Line, masked(row.Input["phone"]), string(row.Outcome.Status), byID[id])
	}
}

// checkCallEvents checks the events of one call (one execution id): all of its row (line,
// masked number), its placement among them, and its end with the outcome of the results.
func checkCallEvents(t *testing.T, line int, masked, outcome string, recs []logRecord) {
	t.Helper()
	placed, ended := false, false
	for _, rec := range recs {
		if rec["line"] != float64(line) || rec["phone"] != masked || rec["attempt"] != float64(1) {
			t.Errorf("line %d: an event of its call names line %v, number %v, attempt %v; want %d, %s, 1", line, rec["line"], rec["phone"], rec["attempt"], line, masked)
		}
		switch rec["event"] {
		case "placed":
			placed = true
		case "ended":
			ended = true
			if rec["outcome"] != outcome || rec["status"] == nil || rec["level"] != "DEBUG" {
				t.Errorf("line %d: ended %v (Bolna's status %v), level %v; want the results' %s with Bolna's status", line, rec["outcome"], rec["status"], rec["level"], outcome)
			}
		}
	}
	if !placed || !ended {
		t.Errorf("line %d: %d events of its call, placed %v, ended %v; want both:\n%v", line, len(recs), placed, ended, recs)
	}
}

// masked is a number as the tool logs it: all but its last six characters, four dots, its last
// two digits.
func masked(p string) string { return p[:len(p)-6] + "••••" + p[len(p)-2:] }

// TestLogTextLeavesOutSteps (#33): the text format prints no line for the steps of each call
// (they are the JSON log's, at level DEBUG), nor key=value pairs after its sentences, and no
// whole number of the list.
func TestLogTextLeavesOutSteps(t *testing.T) {
	t.Parallel()
	input, phones := writeContacts(t, 4)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "5", "BOLNA_SANDBOX_TIME_SCALE": "0.002"})
	if code := inv.run("run", "--sandbox", "--poll-interval", "20ms", input); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
	}
	log := inv.stderr.String()
	for _, p := range phones {
		if strings.Contains(log, p) {
			t.Errorf("the log holds the whole number %s", p)
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "placed call") || strings.Contains(line, " ended: ") || strings.Contains(line, "execution_id=") ||
			strings.Contains(line, "campaign=") {
			t.Errorf("a step of a call, or a field, in the text format: %q", line)
		}
	}
}
