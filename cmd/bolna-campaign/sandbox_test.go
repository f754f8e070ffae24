package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// TestSandboxManyFastCalls runs thousands of near-instant sandbox calls, so that the
// executions list pages while new calls push its items down: each call must end exactly once
// in the journal.
func TestSandboxManyFastCalls(t *testing.T) {
	t.Parallel()
	input, phones := writeContacts(t, 3000)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.0001", "BOLNA_SANDBOX_CONCURRENCY": "60"})
	if code := inv.run("run", "--sandbox", "--rate", "0", "--poll-interval", "10ms", input); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
	journal, err := os.ReadFile(store.At(results).StatePath())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(journal), `"ev":"final"`); got != len(phones) {
		t.Errorf("%d final records for %d calls: some call was finished twice or never", got, len(phones))
	}
	if rows := readRows(t, results); len(rows) != len(phones) {
		t.Errorf("%d result rows, want %d", len(rows), len(phones))
	}
}

// TestSamples loads every file in samples/: the contact list runs (TestSandbox), the
// do-not-call list loads, and the bolna-campaign command lines of the crontab and the
// Kubernetes job parse with the flags of run.
func TestSamples(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("../../samples")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		path := filepath.Join("../../samples", e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(e.Name(), ".results.csv"):
			continue // written by a sandbox run, not a sample
		case strings.HasSuffix(e.Name(), "-results.csv"):
			if _, err := results.ReadReport(path); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		case strings.HasSuffix(e.Name(), ".csv"):
			l, err := contacts.NewLoader(strings.NewReader(string(data)), path, contacts.LoadOptions{})
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			for {
				if _, err := l.Next(); err != nil {
					break
				}
			}
		case strings.HasSuffix(e.Name(), ".txt"):
			if _, err := store.LoadSuppression(path, contacts.PhoneNormalizer{}); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		case e.Name() == "crontab", strings.HasSuffix(e.Name(), ".yaml"):
			text := strings.ReplaceAll(string(data), ">-\n", "")
			i := strings.Index(text, "bolna-campaign run ")
			if i < 0 {
				t.Errorf("%s: no bolna-campaign run command", path)
				continue
			}
			cmdline := text[i+len("bolna-campaign run "):]
			cmdline = cmdline[:strings.IndexAny(cmdline, ";>")]
			var args []string
			for _, f := range strings.Fields(cmdline) {
				if strings.HasPrefix(f, "#") {
					break
				}
				args = append(args, strings.Trim(f, `"`))
			}
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var o runOptions
			o.flags(fs, func(string) string { return "" })
			if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
				t.Errorf("%s: run %q: %v (args left %q)", path, args, err, fs.Args())
			}
		case strings.HasSuffix(e.Name(), ".env"): // TestCronSamples loads it as cron's shell does
			if !strings.Contains(string(data), "\nBOLNA_API_KEY=") {
				t.Errorf("%s: no BOLNA_API_KEY= line", path)
			}
		default:
			t.Errorf("%s: no test loads this kind of sample", path)
			continue
		}
		seen++
	}
	if seen < 4 {
		t.Errorf("%d samples checked, want at least 4", seen)
	}
}

// TestSandboxOpsControls: a sandbox run of a list mixing zones (chosen so that, whenever the
// test runs, some contacts are inside 09:00-17:00 and some outside), with a do-not-call list
// and a spend cap, dials exactly the rows it should.
func TestSandboxOpsControls(t *testing.T) {
	t.Parallel()
	zoneAt := func(localHour int) string { // an Etc/GMT zone where it is now about localHour
		o := ((localHour-time.Now().UTC().Hour())%24 + 24) % 24
		if o > 14 {
			o -= 24
		}
		switch {
		case o > 0:
			return fmt.Sprintf("Etc/GMT-%d", o) // POSIX signs: Etc/GMT-5 is UTC+5
		case o < 0:
			return fmt.Sprintf("Etc/GMT+%d", -o)
		}
		return "Etc/GMT"
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "list.csv")
	os.WriteFile(input, []byte(strings.Join([]string{
		"phone,name,tz",
		"+919876543210,Inside," + zoneAt(12),
		"+919812345678,Inside but do-not-call," + zoneAt(12),
		"+14155550123,Asleep," + zoneAt(2),
		"+442079460958,Inside too," + zoneAt(13),
	}, "\n")+"\n"), 0o600)
	dnc := filepath.Join(dir, "dnc.txt")
	os.WriteFile(dnc, []byte("+91 98123 45678\n"), 0o600)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.005"}) // calls of a second or so: the controls are the point
	code := inv.run("run", "--sandbox", "--window", "09:00-17:00", "--timezone-column", "tz", "--suppress", dnc, "--max-cost", "100000", input)
	if code != exitUnfinished {
		t.Fatalf("exit %d, want 3 (a row outside its hours is left for later); stderr:\n%s", code, inv.stderr.String())
	}
	rows := readRows(t, filepath.Join(dir, "list.sandbox.results.csv"))
	want := []string{"dialled", "suppressed", "pending", "dialled"}
	for i, row := range rows {
		got := row.Outcome.Status
		if (want[i] == "dialled") != (row.Outcome.ExecutionID != "") || (want[i] != "dialled" && string(got) != want[i]) {
			t.Errorf("%s: %s %q, want %s", row.Input["name"], got, row.Outcome.ExecutionID, want[i])
		}
	}
}

// TestSimServes: `sim` serves the fake on loopback until interrupted, and a run against it
// through BOLNA_BASE_URL works like one against Bolna.
func TestSimServes(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	sim := newInvocation(nil)
	done := make(chan int)
	go func() { done <- sim.run("sim", "--addr", addr, "--time-scale", "0.002", "--limits=false") }()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/user/me")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("unauthenticated /user/me: %d, want 403", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sim never answered: %v\n%s", err, sim.stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // waiting for the server to listen
	}
	input, _ := writeContacts(t, 5)
	run := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": base, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	if code := run.run("run", "--poll-interval", "20ms", input); code != exitOK {
		t.Errorf("run against sim: exit %d\n%s", code, run.stderr.String())
	}
	sim.signals <- os.Interrupt
	if code := <-done; code != exitOK || !strings.Contains(sim.stderr.String(), "5 calls placed") ||
		!strings.Contains(sim.stderr.String(), "the most in a minute: 5 POST /call") || !strings.Contains(sim.stderr.String(), "0 refused with 429") {
		t.Errorf("sim exit %d, stderr %q", code, sim.stderr.String())
	}
	if code := newInvocation(nil).run("sim", "--addr", "0.0.0.0:0"); code != exitUsage {
		t.Errorf("sim on a non-loopback address: exit %d, want 2", code)
	}
}

// TestDryRunOffline: a dry run makes no network call, even with a key at hand; it shows the
// account as the latest real run recorded it.
func TestDryRunOffline(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming, Concurrency: 6, Wallet: 4321})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 4)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	dry := func() string {
		inv := newInvocation(env)
		before := srv.Stats().Requests
		if code := inv.run("run", "--dry-run", input); code != exitOK {
			t.Fatalf("dry run: exit %d\n%s", code, inv.stderr.String())
		}
		if after := srv.Stats().Requests; after != before {
			t.Errorf("a dry run sent %d requests, want none", after-before)
		}
		return inv.stderr.String()
	}
	if out := dry(); !strings.Contains(out, "account: not known yet") || !strings.Contains(out, "to dial now          4") {
		t.Errorf("first dry run:\n%s", out)
	}
	if code := newInvocation(env).run("run", "--poll-interval", "20ms", input); code != exitOK {
		t.Fatalf("real run: exit %d", code)
	}
	if out := dry(); !strings.Contains(out, "wallet $43.21 (Bolna reports 4,321, in cents)") || // money written as money (#23.10; it asserted "wallet 4321.00")
		!strings.Contains(out, "concurrency 0 of 6 in use") || !strings.Contains(out, "done earlier         4") {
		t.Errorf("dry run after a run:\n%s", out)
	}
}
