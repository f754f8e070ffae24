package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestReportHistory: report --history aggregates the account's calls from the history, every
// campaign's, in text and JSON, by campaign or hour; --history=DSN names the history; a bad
// --by, --since or a results file with it is a usage error; with no history yet it says so.
func TestReportHistory(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	env := guardEnv(srv, filepath.Join(dir, "history.db"))
	for i, n := range []int{2, 3} {
		input, _ := writeContacts(t, n)
		results := filepath.Join(dir, string(rune('a'+i))+".results.csv")
		if code := newInvocation(env).run("run", "--rate", "0", "--min-gap", "0s", "--results", results, input); code != exitOK {
			t.Fatalf("campaign %d: exit %d", i, code)
		}
	}
	inv := newInvocation(env)
	if code := inv.run("report", "--history", "--json"); code != exitOK {
		t.Fatalf("report --history --json: exit %d\n%s", code, inv.stderr.String())
	}
	var rep struct {
		By     string `json:"by"`
		Groups []struct {
			Key      string `json:"key"`
			Attempts int    `json:"attempts"`
		} `json:"groups"`
		Total struct {
			Attempts int     `json:"attempts"`
			Cost     float64 `json:"cost"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &rep); err != nil || rep.By != "campaign" || len(rep.Groups) != 2 ||
		rep.Total.Attempts != 5 || rep.Total.Cost <= 0 || rep.Groups[0].Attempts+rep.Groups[1].Attempts != 5 {
		t.Fatalf("report --history --json: %+v, %v\n%s", rep, err, inv.stdout.String())
	}
	for _, tt := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{env, []string{"--by", "hour", "--since", "36h"}, exitOK, "hour"},
		{env, []string{"--format", "json", "--by", "agent"}, exitOK, `"by": "agent_id"`},
		{nil, []string{"--history=" + env["BOLNA_HISTORY"]}, exitOK, "total"},
		{env, []string{"--by", "phone"}, exitUsage, "--by"},
		{env, []string{"--since", "yesterday"}, exitUsage, "--since"},
		{env, []string{"a.results.csv"}, exitUsage, "reads no results file"},
		{map[string]string{"BOLNA_HISTORY": filepath.Join(dir, "none.db")}, nil, exitOK, "none yet"},
	} {
		inv := newInvocation(tt.env)
		code := inv.run(append([]string{"report", "--history"}, tt.args...)...)
		if out := inv.stdout.String() + inv.stderr.String(); code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("report --history %v: exit %d, want %d with %q:\n%s", tt.args, code, tt.code, tt.want, out)
		}
	}
}
