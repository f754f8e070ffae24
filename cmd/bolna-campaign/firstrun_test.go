package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestHostileAgent: an agent read from a hostile server, with terminal escapes (C0 and C1) and
// the API key in its name and webhook_url and 200,000 {variables} in its prompt. check reads the
// agent once, prints no control character and no key, and its variable lines are capped. That it
// is quick is asserted as work, not time (dialer's TestVariablesWork: no allocation per
// variable): a 10 s wall-clock limit here failed under -race on a loaded machine.
func TestHostileAgent(t *testing.T) {
	t.Parallel()
	const key = "bn-hostile-secret-0123456789"
	api := bolnatest.NewAPI(bolnatest.Options{APIKey: key, Timing: bolnatest.FastTiming})
	var prompt strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&prompt, "{v%d} ", i)
	}
	agent, _ := json.Marshal(map[string]any{"id": bolnatest.DefaultAgentID,
		"agent_name":    "Evil\x1b[31mRED\x1b]0;pwned\x07\u009b2J" + key,
		"agent_config":  map[string]any{"webhook_url": "https://" + key + ".evil.example/hook"},
		"agent_prompts": map[string]any{"task_1": map[string]any{"system_prompt": prompt.String()}}})
	var agentReads atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/agent/"+bolnatest.DefaultAgentID {
			agentReads.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write(agent)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	list := filepath.Join(dir, "list.csv")
	os.WriteFile(list, []byte("phone,name\n+919810000001,Asha\n"), 0o600)
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": key, "BOLNA_BASE_URL": ts.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	inv.run("check", list)
	if n := agentReads.Load(); n != 1 {
		t.Errorf("check read the agent %d times, want once", n)
	}
	out := inv.stdout.String() + inv.stderr.String()
	if !strings.Contains(out, "v0, v1, v10, ") || !strings.Contains(out, "… and 199980 more") {
		t.Errorf("check did not list the variables, capped:\n%.2000s", out)
	}
	if strings.ContainsFunc(out, func(r rune) bool { return r < ' ' && r != '\n' || r >= 0x7f && r <= 0x9f }) {
		t.Errorf("check printed control characters: %q", out[:min(len(out), 400)])
	}
	if strings.Contains(out, key) || strings.Contains(out, "hostile-secret") {
		t.Errorf("check printed the key")
	}
	for line := range strings.SplitSeq(out, "\n") {
		if len(line) > 2000 {
			t.Errorf("a line of %d bytes: %.200q…", len(line), line)
		}
	}
}

// TestMistypedAgent: an --agent-id that the account does not have stops the run before any
// POST /call (exit 1) and binds nothing: the corrected command then runs the campaign.
func TestMistypedAgent(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 5)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL}
	inv := newInvocation(env)
	code := inv.run("run", "--agent-id", "11111111-2222-3333-4444-555555555555", "--poll-interval", "20ms", input)
	if code != exitFatal || !strings.Contains(inv.stderr.String(), "--agent-id") || len(srv.Placements()) != 0 {
		t.Fatalf("a mistyped agent: exit %d, %d placed; want 1 and none:\n%s", code, len(srv.Placements()), inv.stderr.String())
	}
	if st := srv.Stats(); st.ByRoute["POST /call"] != 0 {
		t.Errorf("%d POST /call with a mistyped agent, want none", st.ByRoute["POST /call"])
	}
	inv = newInvocation(env)
	if code := inv.run("run", "--agent-id", bolnatest.DefaultAgentID, "--poll-interval", "20ms", input); code != exitOK {
		t.Errorf("the corrected command: exit %d, want 0:\n%s", code, inv.stderr.String())
	}
}

// TestWebhookWithoutURL: with --webhook-listen and an agent that has no webhook_url, no push can
// come: the run says so and polls from the start, taking about as long as a polling run.
func TestWebhookWithoutURL(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 6)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL,
		"BOLNA_AGENT_ID": bolnatest.DefaultAgentID, "BOLNA_WEBHOOK_TOKEN": "0123456789abcdef-token"}
	inv := newInvocation(env)
	start := time.Now()
	code := inv.run("run", "--webhook-listen", "127.0.0.1:0", "--poll-interval", "20ms", input)
	if code != exitOK || !strings.Contains(inv.stderr.String(), "polling from the start") {
		t.Fatalf("exit %d, want 0 and the reason polling starts at once:\n%s", code, inv.stderr.String())
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s: the run waited for pushes that cannot come", took.Round(time.Millisecond))
	}
}

// TestUnreachableBaseURL: a --base-url nobody listens at fails run and check at once, with one
// clear line, and places nothing.
func TestUnreachableBaseURL(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close() // nobody listens there now
	input, _ := writeContacts(t, 3)
	for _, base := range []string{refused} { // (an unknown host: TestFirstRequestFailsFast in dialer)
		for _, cmd := range []string{"run", "check"} {
			inv := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-some-key-0123", "BOLNA_BASE_URL": base, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
			start := time.Now()
			code := inv.run(cmd, input)
			took := time.Since(start)
			out := inv.stdout.String() + inv.stderr.String()
			if code != exitFatal || took > 5*time.Second {
				t.Errorf("%s against %s: exit %d after %s, want 1 at once:\n%s", cmd, base, code, took.Round(time.Millisecond), out)
			}
			if strings.Contains(out, "placed 0/") || !strings.Contains(out, "connection refused") && !strings.Contains(out, "no such host") {
				t.Errorf("%s against %s: want one line saying why, no progress lines:\n%s", cmd, base, out)
			}
		}
	}
}

// TestAnsiList: a list exported as Windows-1252 ("ANSI") keeps its names: Zoë Müller is sent
// and written as such, and the run says how it read the file.
func TestAnsiList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "ansi.csv")
	os.WriteFile(input, []byte("phone,name\r\n+919810000001,Zo\xeb M\xfcller\r\n"), 0o600)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "1"})
	inv.run("run", "--sandbox", input)
	if !strings.Contains(inv.stderr.String(), "read as windows-1252") {
		t.Errorf("the run did not say how it read the list:\n%s", inv.stderr.String())
	}
	rows := readRows(t, filepath.Join(dir, "ansi.sandbox.results.csv"))
	if len(rows) != 1 || rows[0].Input["name"] != "Zoë Müller" {
		t.Errorf("results %+v, want the name as written", rows)
	}
	inv = newInvocation(nil)
	if code := inv.run("run", "--sandbox", "--encoding", "klingon", input); code != exitUsage {
		t.Errorf("--encoding klingon: exit %d, want 2", code)
	}
}

// TestCommandLineMistakes: a mistyped flag or command says what was typed, what was probably
// meant and where the help is, in two lines rather than the whole help; help for no such
// command is an error; a duration without its unit says how to write it; check's help lists
// only the flags check reads; every help line fits 100 columns, with defaults written short.
func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"run", "--sandox", "x.csv"}, exitUsage, []string{"--sandox", "did you mean --sandbox?", "help run"}},
		{[]string{"runn", "x.csv"}, exitUsage, []string{`"runn"`, "did you mean run?"}},
		{[]string{"help", "foo"}, exitUsage, []string{`no command "foo"`}},
		{[]string{"run", "--poll-interval", "3", "x.csv"}, exitUsage, []string{"--poll-interval", "3s"}},
		{[]string{"check", "--webhok-listen", ":1"}, exitUsage, []string{"--webhok-listen", "help check"}},
	}
	for _, tt := range tests {
		inv := newInvocation(nil)
		code := inv.run(tt.args...)
		out := inv.stderr.String()
		if code != tt.code || strings.Count(out, "\n") > 2 {
			t.Errorf("%v: exit %d, %d lines; want %d in at most two lines:\n%s", tt.args, code, strings.Count(out, "\n"), tt.code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %q does not say %q", tt.args, out, w)
			}
		}
	}
	for _, cmd := range []string{"run", "check", "report", "status", "sim"} {
		inv := newInvocation(nil)
		if code := inv.run("help", cmd); code != exitOK {
			t.Errorf("help %s: exit %d", cmd, code)
		}
		help := inv.stdout.String()
		for line := range strings.SplitSeq(help, "\n") {
			if utf8.RuneCountInString(line) > 100 {
				t.Errorf("help %s: a line of %d columns: %q", cmd, utf8.RuneCountInString(line), line)
			}
		}
		if strings.Contains(help, "0m0s") || strings.Contains(help, "m0s)") {
			t.Errorf("help %s writes durations long (30m0s): write 30m", cmd)
		}
		if cmd == "check" {
			for _, notRead := range []string{"--webhook-listen", "--poll-interval", "--max-cost", "--json", "--rate"} {
				if strings.Contains(help, notRead) {
					t.Errorf("help check lists %s, which check does not read", notRead)
				}
			}
		}
	}
}

// TestWordingRoundTwo: singulars where there is one, the summary's JSON in seconds with the
// duration buckets' bounds and the unit of costs, and --html only for .html.
func TestWordingRoundTwo(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 1)
	inv := newInvocation(nil)
	inv.run("run", "--dry-run", "--agent-id", "a", input)
	if out := inv.stderr.String(); !strings.Contains(out, "1 row read") || strings.Contains(out, "at least 0s") {
		t.Errorf("dry run of one row:\n%s", out)
	}
	inv = newInvocation(map[string]string{"BOLNA_SANDBOX_SEED": "3"})
	inv.run("run", "--sandbox", "--json", input)
	var summary map[string]any
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil {
		t.Fatalf("--json: %v\n%s", err, inv.stdout.String())
	}
	report, _ := summary["report"].(map[string]any)
	if _, ok := summary["elapsed_s"]; !ok || summary["elapsed_ns"] != nil || report == nil || report["cost_unit"] != "cents" || report["duration_bucket_starts_s"] == nil {
		t.Errorf("--json: elapsed_s %v, elapsed_ns %v, report cost_unit %v, bucket bounds %v", summary["elapsed_s"], summary["elapsed_ns"], report["cost_unit"], report["duration_bucket_starts_s"])
	}
	results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	inv = newInvocation(nil)
	if code := inv.run("report", "--html", filepath.Join(filepath.Dir(input), "r.htm"), results); code != exitUsage {
		t.Errorf("report --html r.htm: exit %d, want 2 (the page's name ends in .html)", code)
	}
	inv = newInvocation(nil)
	inv.run("status", results)
	if out := inv.stdout.String() + inv.stderr.String(); strings.Contains(out, "outcomes:c") || strings.Contains(out, "0m0s") {
		t.Errorf("status:\n%s", out)
	}
}

// TestSandboxAttemptsVary: the sandbox decides each attempt anew, as with real people, so
// --retry no-answer,busy meets answers as well, even with its seed fixed.
func TestSandboxAttemptsVary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	copyFile(t, "../../samples/contacts.csv", input)
	env := map[string]string{"BOLNA_SANDBOX_SEED": "11", "BOLNA_SANDBOX_TIME_SCALE": "0.002"}
	newInvocation(env).run("run", "--sandbox", "--poll-interval", "20ms", input)
	results := filepath.Join(dir, "contacts.sandbox.results.csv")
	before := map[string]journal.Status{}
	for _, row := range readRows(t, results) {
		before[row.Input["phone"]] = row.Outcome.Status
	}
	newInvocation(env).run("run", "--sandbox", "--poll-interval", "20ms", "--retry", "no-answer,busy,failed", input)
	retried, changed := 0, 0
	for _, row := range readRows(t, results) {
		if row.Outcome.Attempts == 2 {
			retried++
			if row.Outcome.Status != before[row.Input["phone"]] {
				changed++
			}
		}
	}
	if retried == 0 || changed == 0 {
		t.Errorf("%d rows retried, %d ended otherwise than before: want some retries answered differently", retried, changed)
	}
}

// TestResultsInTheListsDialect: results come back as the list came: a European Excel list
// (semicolons) gives semicolons, Excel's "Unicode text" (UTF-16, tabs) gives UTF-16 with tabs,
// an ANSI list gives UTF-8 with a byte order mark (so its Excel reads the accents); report
// reads them all; --results-format csv writes plain CSV.
func TestResultsInTheListsDialect(t *testing.T) {
	t.Parallel()
	utf16, _ := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte("phone\tname\r\n+919810000001\tÅsa\r\n"))
	tests := []struct {
		name   string
		list   []byte
		flags  []string
		prefix string // the results file's first bytes
	}{
		{"semicolons", []byte("phone;name\n+919810000001;Åsa\n"), nil, "phone;name;status;"},
		{"utf-16 with tabs", utf16, nil, "\xff\xfe"},
		{"ansi", []byte("phone,name\n+919810000001,\xc5sa\n"), nil, "\xef\xbb\xbfphone,name,status,"},
		{"semicolons, --results-format csv", []byte("phone;name\n+919810000001;Åsa\n"), []string{"--results-format", "csv"}, "phone,name,status,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			input := filepath.Join(dir, "list.csv")
			os.WriteFile(input, tt.list, 0o600)
			inv := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.002"})
			if code := inv.run(append(append([]string{"run", "--sandbox", "--poll-interval", "20ms"}, tt.flags...), input)...); code != exitOK && code != exitUnfinished {
				t.Fatalf("exit %d:\n%s", code, inv.stderr.String())
			}
			path := filepath.Join(dir, "list.sandbox.results.csv")
			b, _ := os.ReadFile(path)
			if !bytes.HasPrefix(b, []byte(tt.prefix)) {
				t.Errorf("results start %q, want %q", b[:min(len(b), 40)], tt.prefix)
			}
			rows := readRows(t, path)
			if len(rows) != 1 || rows[0].Input["name"] != "Åsa" || !rows[0].Outcome.Settled() {
				t.Errorf("results read back: %+v", rows)
			}
			rep := newInvocation(nil)
			if code := rep.run("report", path); code != exitOK || !strings.Contains(rep.stdout.String(), "1 row") {
				t.Errorf("report of %s: exit %d\n%s%s", tt.name, code, rep.stdout.String(), rep.stderr.String())
			}
			again := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.002"})
			if code := again.run(append(append([]string{"run", "--sandbox"}, tt.flags...), input)...); code != exitOK {
				t.Errorf("a rerun over its own results: exit %d\n%s", code, again.stderr.String())
			}
		})
	}
}

// TestHintsNameTheCommandThatWorks: after `go run` there is no bolna-campaign on the PATH, so
// the commands the tool suggests are the go run form.
func TestHintsNameTheCommandThatWorks(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"/tmp/go-build3302158717/b001/exe/bolna-campaign": "go run ./cmd/bolna-campaign",
		"/usr/local/bin/bolna-campaign":                   "bolna-campaign",
		"./bolna-campaign":                                "bolna-campaign",
	} {
		if got := commandName(path); got != want {
			t.Errorf("commandName(%q) = %q, want %q", path, got, want)
		}
	}
}
