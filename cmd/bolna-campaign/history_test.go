package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
)

// TestHistoryCommands: a campaign run before the history existed is imported (once: a second
// import adds nothing), its calls show in `history PHONE` with their execution ids, `pause`
// pauses it by its journal's campaign id and `resume` lifts it; `dnc` adds, lists and removes
// numbers; BOLNA_HISTORY names the history when --history does not.
func TestHistoryCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input, phones := writeContacts(t, 3)
	results := filepath.Join(filepath.Dir(input), "contacts.sandbox.results.csv")
	dsn := filepath.Join(dir, "h.db")
	inv := newInvocation(map[string]string{"BOLNA_HISTORY": dsn, "USER": "ops"})
	steps := []struct {
		args   []string
		code   int
		output string // in stdout, or stderr when the command fails
	}{
		{[]string{"run", "--sandbox", "--rate", "0", input}, exitOK, ""},
		{[]string{"history", "import", results}, exitOK, "3 calls added"},
		{[]string{"history", "import", "--history", dsn, results}, exitOK, "0 calls added to the history as campaign"},
		{[]string{"history", phones[0]}, exitOK, "1 attempt on the account"},
		{[]string{"history", "--json", phones[0]}, exitOK, `"state":"settled"`},
		// (--history: a sandbox campaign's pause is kept where its runs look, the sandbox's history, unless named)
		{[]string{"pause", "--history", dsn, "--reason", "complaint", results}, exitOK, "paused campaign"},
		{[]string{"pause", filepath.Join(dir, "never.results.csv")}, exitUsage, "no journal"},
		{[]string{"pause"}, exitUsage, "name one results file, or --all"},
		{[]string{"dnc", "add", "--reason", "asked", phones[1], "+1 415 555 0100"}, exitOK, "2 numbers added"},
		{[]string{"dnc", "add", "12345"}, exitUsage, "no country code"},
		{[]string{"dnc", "list"}, exitOK, "+14155550100"},
		{[]string{"dnc", "remove", "+14155550100"}, exitOK, "1 number removed"},
		{[]string{"dnc", "frobnicate"}, exitUsage, "say add, remove, list or import"},
		{[]string{"history", "--history", "mysql://u:s3cret@db/x", phones[0]}, exitFatal, "not a history DSN"},
		{[]string{"dnc", "list", "--history", "postgres://u:s3cret@127.0.0.1:1/x?connect_timeout=5"}, exitFatal, "postgres://u:xxxxx@127.0.0.1:1/x"},
	}
	for _, s := range steps {
		inv.stdout.buf.Reset()
		inv.stderr.buf.Reset()
		code := inv.run(s.args...)
		out := inv.stdout.String()
		if code != exitOK {
			out = inv.stderr.String()
		}
		if code != s.code || !strings.Contains(out, s.output) || strings.Contains(inv.stderr.String(), "s3cret") {
			t.Fatalf("%v: exit %d, want %d with %q; stdout:\n%s\nstderr:\n%s", s.args, code, s.code, s.output, inv.stdout.String(), inv.stderr.String())
		}
	}
	checkHistoryStore(t, dsn, results, phones)
	if code := inv.run("resume", "--history", dsn, results); code != exitOK || !strings.Contains(inv.stdout.String(), "resumed campaign") {
		t.Fatalf("resume: exit %d\n%s%s", code, inv.stdout.String(), inv.stderr.String())
	}
}

// checkHistoryStore looks into the history the commands wrote.
func checkHistoryStore(t *testing.T, dsn, results string, phones []string) {
	t.Helper()
	st, err := journal.ReadState(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	s, err := history.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, err := s.PersonHistory(t.Context(), phones[0])
	if err != nil || len(entries) != 1 || entries[0].Campaign != st.Campaign() || entries[0].ExecutionID == "" || entries[0].State != history.StateSettled {
		t.Errorf("imported: %+v, %v; want one settled call of campaign %s", entries, err, st.Campaign())
	}
	p, err := s.Paused(t.Context(), st.Campaign())
	if err != nil || p == nil || p.Reason != "complaint" || !strings.HasPrefix(p.By, "ops@") {
		t.Errorf("pause: %+v, %v", p, err)
	}
	list, err := s.DoNotCall(t.Context())
	if err != nil || len(list) != 1 || list[0].Phone != phones[1] || list[0].Reason != "asked" {
		t.Errorf("do-not-call list %+v, %v", list, err)
	}
}

// TestDoNotCallImport: `dnc import` reads files of one number a line (comments and blank lines
// skipped) and CSVs with a phone column; a line that is not a number fails the import (exit 2,
// naming the file and line) and adds nothing.
func TestDoNotCallImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"lines.txt": "# asked not to be called\n+919876543210\n\n+1 415 555 0100\n",
		"list.csv":  "name;Phone\nA;+919876543211\nB;+919876543210\n",
		"bad.txt":   "+919876543212\nnot a number\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	inv := newInvocation(map[string]string{"BOLNA_HISTORY": filepath.Join(dir, "h.db")})
	steps := []struct {
		args   []string
		code   int
		output string
	}{
		{[]string{"dnc", "import", "--reason", "complaints", filepath.Join(dir, "lines.txt"), filepath.Join(dir, "list.csv")}, exitOK, "3 numbers added to the do-not-call list (1 already on it)"},
		{[]string{"dnc", "import", filepath.Join(dir, "bad.txt")}, exitUsage, "bad.txt:2"},
		{[]string{"dnc", "list"}, exitOK, "+919876543211"},
	}
	for _, s := range steps {
		inv.stdout.buf.Reset()
		inv.stderr.buf.Reset()
		code := inv.run(s.args...)
		out := inv.stdout.String() + inv.stderr.String()
		if code != s.code || !strings.Contains(out, s.output) {
			t.Fatalf("%v: exit %d, want %d with %q; output:\n%s", s.args, code, s.code, s.output, out)
		}
	}
	if out := inv.stdout.String(); strings.Contains(out, "+919876543212") || strings.Count(out, "complaints") != 3 {
		t.Errorf("the list after a failed import:\n%s", out)
	}
}

// TestHistoryTextIsPrintable: words read back from the history are anyone's (a reason typed by
// another operator of a shared history): dnc list, pause and status print no control character,
// C1's CSI (0x9b) included, which the first sanitiser let through.
func TestHistoryTextIsPrintable(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BOLNA_HISTORY": filepath.Join(t.TempDir(), "h.db")}
	evil := "spam\u009b2J\x1b[31m"
	newInvocation(env).run("dnc", "add", "--reason", evil, "+919876543210")
	inv := newInvocation(env)
	if code := inv.run("dnc", "list"); code != exitOK || !strings.Contains(inv.stdout.String(), "+919876543210") ||
		strings.ContainsFunc(inv.stdout.String(), func(r rune) bool { return r != '\n' && r != '\t' && (r < ' ' || r >= 0x7f && r <= 0x9f) }) {
		t.Errorf("dnc list: exit %d, %q; want the number, and no control character", code, inv.stdout.String())
	}
}
