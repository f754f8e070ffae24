package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
)

// TestLogFormatJSON: with --log-format json every line the run writes on stderr is one JSON
// object with a time, a level and a message, progress and the final summary included; a
// mistyped format is a usage error.
func TestLogFormatJSON(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 4)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "3"})
	if code := inv.run("run", "--sandbox", "--log-format", "json", input); code != exitOK && code != exitUnfinished {
		t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
	}
	var msgs []string
	summary := false
	sc := bufio.NewScanner(strings.NewReader(inv.stderr.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a line that is not JSON: %q", sc.Text())
		}
		msg, _ := rec["msg"].(string)
		if rec["time"] == nil || rec["level"] == nil || msg == "" {
			t.Errorf("a record without time, level or msg: %q", sc.Text())
		}
		msgs = append(msgs, msg)
		if doc, ok := rec["summary"].(map[string]any); ok && doc["results"] != nil && rec["exit"] != nil {
			summary = true
		}
	}
	if len(msgs) < 3 || !summary {
		t.Errorf("messages %q, summary %v: want the run's events and its summary", msgs, summary)
	}
	bad := newInvocation(nil)
	if code := bad.run("run", "--sandbox", "--log-format", "xml", input); code != exitUsage || !strings.Contains(bad.stderr.String(), "--log-format") {
		t.Errorf("--log-format xml: exit %d, %q", code, bad.stderr.String())
	}
}
