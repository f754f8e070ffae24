package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestLogFormatJSON: with --log-format json every line the run writes on stderr is one JSON
// object with a time, a level and a message, progress and the final summary included; a
// mistyped format is a usage error.
func TestLogFormatJSON(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 4)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "3", "BOLNA_SANDBOX_TIME_SCALE": "0.005"})
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
	usage := newInvocation(nil)
	code := usage.run("run", "--sandbox", "--log-format", "json", "--rate", "-1", input)
	var rec map[string]any
	if err := json.Unmarshal([]byte(usage.stderr.String()), &rec); code != exitUsage || err != nil || rec["level"] != "ERROR" {
		t.Errorf("a usage error with --log-format json: exit %d, %q, want 2 and one JSON record at level ERROR", code, usage.stderr.String())
	}
	bad := newInvocation(nil)
	if code := bad.run("run", "--sandbox", "--log-format", "xml", input); code != exitUsage || !strings.Contains(bad.stderr.String(), "--log-format") {
		t.Errorf("--log-format xml: exit %d, %q", code, bad.stderr.String())
	}
}

// TestNewerJournal: a campaign whose journal a newer bolna-campaign wrote is refused with exit
// 2 and a message that says so; nothing is dialled and the journal is left as it was.
func TestNewerJournal(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 2)
	results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	line := `{"ev":"campaign","v":99,"campaign":"abc123","agent":"` + bolnasim.DefaultAgentID + `","api":"sandbox"}` + "\n"
	if err := os.WriteFile(store.At(results).StatePath(), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := newInvocation(nil)
	if code := inv.run("run", "--sandbox", input); code != exitUsage || !strings.Contains(inv.stderr.String(), "newer bolna-campaign") {
		t.Errorf("exit %d, want 2 saying a newer version wrote the journal:\n%s", code, inv.stderr.String())
	}
	if b, _ := os.ReadFile(store.At(results).StatePath()); string(b) != line {
		t.Errorf("the journal was changed: %q", b)
	}
}

// TestPushesRedacted: Bolna's pushes pass through the client's redaction before anything reads
// them: a hostile account that echoes the key into a call's extracted data, pushed whole,
// leaves it nowhere in the results or the journal.
func TestPushesRedacted(t *testing.T) {
	t.Parallel()
	const key, token = "bn-secret-key-pushed-0123", "0123456789abcdef-push-token"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := bolnatest.NewServer(bolnatest.Options{APIKey: key, Timing: bolnatest.FastTiming,
		Webhook: &bolnatest.Webhook{URL: "http://" + addr + "/webhook/" + token},
		Outcome: func(string) bolnatest.Outcome {
			return bolnatest.Outcome{Status: "completed", Extracted: map[string]any{"note": key}}
		}})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 3)
	results := strings.TrimSuffix(input, ".csv") + ".results.csv"
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": key, "BOLNA_BASE_URL": srv.URL,
		"BOLNA_AGENT_ID": bolnatest.DefaultAgentID, "BOLNA_WEBHOOK_TOKEN": token})
	if code := inv.run("run", "--webhook-listen", addr, "--poll-interval", "20ms", "--json", input); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
	}
	if !strings.Contains(inv.stdout.String(), `"outcomes_pushed":`) || strings.Contains(inv.stdout.String(), `"outcomes_pushed":0`) {
		t.Errorf("no outcome came by push, so the test proves nothing:\n%s", inv.stdout.String())
	}
	for _, f := range []string{results, store.At(results).StatePath()} {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), key) {
			t.Errorf("the API key, pushed in a payload, is written in %s", f)
		}
	}
}
