package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// postLog records when each POST /call arrived, and answers 429 (Retry-After 1 min) to all but
// the first few.
type postLog struct {
	mu    sync.Mutex
	at    []time.Time
	allow int
}

func (p *postLog) hook(r *http.Request) bolnatest.Fault {
	if r.Method != http.MethodPost || r.URL.Path != "/call" {
		return bolnatest.NoFault
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.at = append(p.at, time.Now())
	if len(p.at) <= p.allow {
		return bolnatest.NoFault
	}
	return bolnatest.TooMany
}

func (p *postLog) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.at)
}

// settle waits until every POST is refused and asleep for its minute (none has come for a
// while): then any POST after a stop is one the stop let out.
func (p *postLog) settle() {
	for n := p.count(); ; {
		time.Sleep(300 * time.Millisecond)
		m := p.count()
		if m == n {
			return
		}
		n = m
	}
}

// after is how many POSTs arrived later than t.
func (p *postLog) after(t time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, at := range p.at {
		if at.After(t) {
			n++
		}
	}
	return n
}

// TestSignals: the first signal lets no POST /call leave (a 429's retry included) and ends
// the run once the calls in flight are followed; during start-up it ends the run at once; a
// second signal ends it within a second, in every phase.
//
// Not parallel with the package's other tests (its three cases run at once, alone, in under a
// second): "no POST after the signal" compares the signal's instant with the POSTs' arrivals,
// and among six tests at once on two cores a POST that had left as the signal came once
// arrived after it.
func TestSignals(t *testing.T) {
	slow := bolnatest.FastTiming
	slow.Talk = bolnatest.Range{Min: 20 * time.Second, Max: 30 * time.Second}
	answered := func(string) bolnatest.Outcome { return bolnatest.Outcome{Status: "completed"} }
	tests := []struct {
		name       string
		timing     bolnatest.Timing
		startup    bool // 429 on every read: the signal comes while the account is being read
		second     bool // a second signal 200 ms after the first
		wantWithin time.Duration
	}{
		{"during start-up", bolnatest.FastTiming, true, false, 2 * time.Second},
		{"during a 429 storm", bolnatest.FastTiming, false, false, 10 * time.Second},
		{"twice while calls are in flight", slow, false, true, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			posts := &postLog{allow: 2}
			var reads atomic.Int32
			srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 4, Timing: tt.timing, Outcome: answered,
				Faults: bolnatest.Faults{PlaceRetryAfter: time.Minute, Hook: func(r *http.Request) bolnatest.Fault {
					if r.Method == http.MethodGet && tt.startup {
						reads.Add(1)
						return bolnatest.TooMany
					}
					return posts.hook(r)
				}}})
			t.Cleanup(srv.Close)
			input, _ := writeContacts(t, 8)
			inv := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL,
				"BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
			var signalled, last atomic.Int64
			go func() {
				for tt.startup && reads.Load() == 0 || !tt.startup && posts.count() < 4 {
					time.Sleep(time.Millisecond) // waiting on the server's state, not on time
				}
				if !tt.startup && !tt.second {
					posts.settle()
				}
				signalled.Store(time.Now().UnixNano())
				last.Store(time.Now().UnixNano())
				inv.signals <- os.Interrupt
				if tt.second {
					time.Sleep(200 * time.Millisecond)
					last.Store(time.Now().UnixNano())
					inv.signals <- os.Interrupt
				}
			}()
			timedOut := inv.deadline(30 * time.Second)
			code := inv.run("run", "--poll-interval", "20ms", input)
			took := time.Since(time.Unix(0, last.Load()))
			if timedOut() {
				t.Fatalf("the run was still going 30s after it started: ended by the test's deadline; stderr:\n%s", inv.stderr.String())
			}
			if code != exitInterrupted {
				t.Fatalf("exit %d, want 130; stderr:\n%s", code, inv.stderr.String())
			}
			if took > tt.wantWithin {
				t.Errorf("exited %s after the last signal, want within %s", took.Round(time.Millisecond), tt.wantWithin)
			}
			// A POST that passed the send gate as the signal came may land a little after it
			// on a loaded machine. One the gate let out later would come later still: a retry
			// after its minute's Retry-After (the run would outlive the deadline above), a new
			// row's once a call ends and frees its slot (for seconds after the signal).
			const slack = 250 * time.Millisecond
			if n := posts.after(time.Unix(0, signalled.Load()).Add(slack)); n > 0 {
				t.Errorf("%d POST /call arrived after the first signal, want none", n)
			}
			if strings.Contains(inv.stderr.String(), "exit 3") {
				t.Errorf("an interrupted run told the user it would exit 3:\n%s", inv.stderr.String())
			}
		})
	}
}

// TestRefusedRunPinsNothing: a run refused at the key check (wrong key, wrong --base-url) does
// not bind the campaign: the corrected run goes ahead.
func TestRefusedRunPinsNothing(t *testing.T) {
	t.Parallel()
	wrong := bolnatest.NewServer(bolnatest.Options{APIKey: "bn-other-account-key"})
	t.Cleanup(wrong.Close)
	right := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(right.Close)
	input, _ := writeContacts(t, 3)
	first := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": wrong.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	if code := first.run("run", input); code != exitFatal || !strings.Contains(first.stderr.String(), "key was refused") {
		t.Fatalf("wrong API: exit %d, want 1 saying the key was refused; stderr:\n%s", code, first.stderr.String())
	}
	second := newInvocation(map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": right.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID})
	if code := second.run("run", "--poll-interval", "20ms", input); code != exitOK {
		t.Fatalf("the corrected run: exit %d, want 0; stderr:\n%s", code, second.stderr.String())
	}
}

// TestContinuesOlderResults: a results file written by an earlier version (today's format, and
// an older one with fewer outcome columns) is continued, its journal rebuilt from it, without
// dialling a finished row again, and comes out in the current format.
func TestContinuesOlderResults(t *testing.T) {
	t.Parallel()
	for _, fixture := range []string{"v1.results.csv", "v0.results.csv"} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			input := filepath.Join(dir, "contacts.csv")
			out := filepath.Join(dir, "contacts.results.csv")
			copyFile(t, filepath.Join("testdata", "v1-contacts.csv"), input)
			copyFile(t, filepath.Join("testdata", fixture), out)
			inv := newInvocation(nil)
			if code := inv.run("run", "--sandbox", "--json", "--results", out, input); code != exitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, inv.stderr.String())
			}
			var summary struct{ Dialled int }
			if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil || summary.Dialled != 2 {
				t.Errorf("summary %s (%v): want the 2 pending rows dialled, no other", inv.stdout.String(), err)
			}
			rows := readRows(t, out)
			if len(rows) != 4 || rows[0].Outcome.ExecutionID != "4b2e8c1a-0d1f-4a57-9d9e-0f5e2c3b7a11" ||
				rows[0].Outcome.Status != journal.StatusCompleted || rows[1].Outcome.Status != journal.StatusNoAnswer {
				t.Errorf("rows %+v: the finished rows must stand", rows)
			}
			for _, row := range rows[2:] {
				if !row.Outcome.Settled() || row.Outcome.ExecutionID == "" {
					t.Errorf("line %d: %+v, want dialled and final", row.Line, row.Outcome)
				}
			}
			f, _ := os.Open(out)
			defer f.Close()
			header, _ := csv.NewReader(f).Read()
			if want := append([]string{"phone", "name", "clinic"}, results.Columns...); !slices.Equal(header, want) {
				t.Errorf("header %v, want the current format %v", header, want)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSandboxWebhook: `run --sandbox --webhook-listen` has the in-process Bolna push every
// status change to the run's receiver over loopback: the agent's webhook_url is found pointing
// at it, every row ends, and the summary counts the pushes and the requests they saved. A
// token too short is refused before anything is dialled.
func TestSandboxWebhook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	copyFile(t, "../../samples/contacts.csv", input)
	inv := newInvocation(map[string]string{"BOLNA_SANDBOX_TIME_SCALE": "0.005"}) // calls of a second or so: pushes are the point
	if code := inv.run("run", "--sandbox", "--webhook-listen", "127.0.0.1:0", "--json", input); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	var summary struct {
		Dialled         int
		Requests        int
		RequestsPerCall float64 `json:"requests_per_call"`
		Pushes          struct{ Received, Matched int }
		Webhook         struct{ Received int }
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &summary); err != nil {
		t.Fatalf("--json: %v\n%s", err, inv.stdout.String())
	}
	if summary.Dialled == 0 || summary.Pushes.Matched == 0 || summary.Webhook.Received == 0 || summary.RequestsPerCall > 2 {
		t.Errorf("summary %+v: want pushes received and matched, and few requests a call", summary)
	}
	if !strings.Contains(inv.stderr.String(), "points at this receiver") {
		t.Errorf("the agent's webhook_url was not checked:\n%s", inv.stderr.String())
	}
	for _, row := range readRows(t, filepath.Join(dir, "contacts.sandbox.results.csv")) {
		if !row.Outcome.Settled() {
			t.Errorf("line %d: %s is not final", row.Line, row.Outcome.Status)
		}
	}
	short := newInvocation(map[string]string{"BOLNA_API_KEY": "k", "BOLNA_WEBHOOK_TOKEN": "short", "BOLNA_AGENT_ID": "a"})
	if code := short.run("run", "--webhook-listen", "127.0.0.1:0", input); code != exitUsage || strings.Contains(short.stderr.String(), "short") {
		t.Errorf("a 5-character token: exit %d, %q; want 2, the token not shown", code, short.stderr.String())
	}
}
