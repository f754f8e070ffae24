package results_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var at = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// golden rows cover every status and the cells that need care.
var goldenRows = []struct {
	record  []string
	outcome journal.Outcome
}{
	{[]string{"+919876543210", "Asha", "=1+1"}, journal.Outcome{
		Status: "completed", ExecutionID: "e-1", Attempts: 1, Duration: 42.5, Cost: 7.13,
		RecordingURL: "https://api.bolna.ai/recordings/call/e-1", HangupReason: "Call recipient hungup",
		Summary: "=HYPERLINK(\"http://evil\") confirmed", Extracted: json.RawMessage(`{"confirmed":"yes"}`),
		DialedAt: at, FinishedAt: at.Add(90 * time.Second),
	}},
	{[]string{"+919812345678", "Vikram, Jr.", "multi\nline"}, journal.Outcome{
		Status: "no-answer", ExecutionID: "e-2", Attempts: 2, HangupReason: "Call unanswered", DialedAt: at, FinishedAt: at.Add(40 * time.Second),
	}},
	{[]string{"+14155550123", "Maria", ""}, journal.Outcome{
		Status: "failed", ExecutionID: "e-3", Attempts: 1, Error: "-destination unreachable", DialedAt: at, FinishedAt: at,
	}},
	{[]string{"98450 12345", "Bad", ""}, journal.Outcome{Status: journal.StatusInvalid, Error: "no country code (98450 12345)"}},
	{[]string{"+919876543210", "Asha again", ""}, journal.Outcome{Status: journal.StatusDuplicate, Error: "same contact as line 2"}},
	{[]string{"+447911123456", "Harry", "@home"}, journal.Outcome{Status: journal.StatusPending}},
	{[]string{"+447911123457", "Short row"}, journal.Outcome{Status: journal.StatusInFlight, ExecutionID: "e-7", Attempts: 1, DialedAt: at}},
}

func TestWriterGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	w, err := results.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteHeader([]string{"phone", "name", "note"})
	for _, r := range goldenRows {
		if err := w.WriteRow(r.record, r.outcome); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	golden(t, "results.golden.csv", got)
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only the results (no temp left)", len(entries))
	}

	// What was written reads back the same.
	f, _ := os.Open(path)
	defer f.Close()
	i := 0
	err = results.Read(f, path, func(row results.Row) error {
		want := goldenRows[i].outcome
		if row.Outcome.Status != want.Status || row.Outcome.Summary != want.Summary || row.Outcome.Error != want.Error ||
			row.Outcome.Attempts != want.Attempts || string(row.Outcome.Extracted) != string(want.Extracted) ||
			!row.Outcome.FinishedAt.Equal(want.FinishedAt) || row.Input["name"] != goldenRows[i].record[1] {
			t.Errorf("row %d read back as %+v, want %+v", i, row.Outcome, want)
		}
		i++
		return nil
	})
	if err != nil || i != len(goldenRows) {
		t.Errorf("Read() = %v after %d rows", err, i)
	}
}

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1 call me":         "'+1 call me",
		"-5 stars":           "'-5 stars",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tx":                "'\tx",
		"fine":               "fine",
		"":                   "",
	} {
		if got := results.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadRejectsForeignFiles(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"not ours":  "phone,name\n+1,a\n",
		"empty":     "",
		"bad count": "phone," + strings.Join(results.Columns, ",") + "\n+1,completed\n",
	} {
		err := results.Read(strings.NewReader(body), name, func(results.Row) error { return nil })
		if err == nil {
			t.Errorf("Read(%s) succeeded, want an error", name)
		}
	}
}

// TestServerCellsNeutralised: every cell the server supplies is defused, the execution id and
// status too; input cells are written as read unless SafeInput asks, and a phone number is
// never touched. What was written reads back as it was.
func TestServerCellsNeutralised(t *testing.T) {
	t.Parallel()
	cells := results.OutcomeCells(journal.Outcome{Status: "=cmd", ExecutionID: "=1+2+3", Attempts: 1})
	if cells[0] != "'=cmd" || cells[1] != "'=1+2+3" {
		t.Errorf("status, execution_id = %q, %q; want both neutralised", cells[0], cells[1])
	}
	for _, safe := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "out.csv")
		w, err := results.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w.SafeInput = safe
		w.WriteHeader([]string{"phone", "note", "offset"})
		w.WriteRow([]string{"+919876543210", "=HYPERLINK(\"http://evil\")", "-5"}, journal.Outcome{Status: "completed", ExecutionID: "=1+2", Attempts: 1})
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		rows, err := results.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wantNote := "=HYPERLINK(\"http://evil\")"
		if safe {
			wantNote = "'" + wantNote
		}
		if r := rows[0]; r.Input["phone"] != "+919876543210" || r.Input["note"] != wantNote || r.Input["offset"] != "-5" || r.Outcome.ExecutionID != "=1+2" {
			t.Errorf("SafeInput %v: row %+v, want phone and -5 untouched, note %q, the execution id read back as sent", safe, r, wantNote)
		}
	}
}

// TestNeutraliseInput: under --safe-cells, numbers as written are kept and anything a
// spreadsheet would compute is defused, digits alone included.
func TestNeutraliseInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+919876543210", "+919876543210"},
		{"+1 (555) 123-4567", "+1 (555) 123-4567"},
		{"-5", "-5"},
		{"-2.5", "-2.5"},
		{"12345", "12345"},
		{"Asha", "Asha"},
		{"", ""},
		{"=1+2", "'=1+2"},
		{"+1+2", "'+1+2"},
		{"-1+2", "'-1+2"},
		{"-2-3", "'-2-3"},
		{"@1", "'@1"},
		{"+", "'+"},
		{"-", "'-"},
		{"-1.2.3", "'-1.2.3"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
	}
	for _, tt := range tests {
		if got := results.NeutraliseInput(tt.in); got != tt.want {
			t.Errorf("NeutraliseInput(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseHeader: the outcome columns are found by name, after the last "status" that only
// outcome columns follow; input columns may share their names; an older, shorter set reads.
func TestParseHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header []string
		inputs int
		ok     bool
	}{
		{append([]string{"phone", "name"}, results.Columns...), 2, true},
		{append([]string{"phone", "status", "error"}, results.Columns...), 3, true},
		{[]string{"\ufeffstatus", "execution_id", "attempts"}, 0, true},
		{[]string{"phone", "status", "execution_id", "attempts", "error", "summary"}, 1, true},
		{[]string{"phone", "status", "execution_id", "attempts", "notes"}, 0, false},
		{[]string{"phone", "name"}, 0, false},
		{[]string{"phone", "status", "status"}, 2, true}, // an input column named status
	}
	for _, tt := range tests {
		l, err := results.ParseHeader(tt.header)
		if (err == nil) != tt.ok || tt.ok && l.Inputs != tt.inputs {
			t.Errorf("ParseHeader(%q) = %d inputs, %v; want %d, ok %v", tt.header, l.Inputs, err, tt.inputs, tt.ok)
		}
	}
	l, _ := results.ParseHeader([]string{"phone", "summary", "status", "attempts"})
	o, err := l.Outcome([]string{"+91", "x", "no-answer", "2"})
	if err != nil || o.Status != journal.StatusNoAnswer || o.Attempts != 2 || o.Summary != "" {
		t.Errorf("Outcome() = %+v, %v", o, err)
	}
}
