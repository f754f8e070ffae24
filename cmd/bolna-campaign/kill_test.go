package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestKill9 builds the binary, runs a campaign against a Bolna stand-in on loopback, kills it
// with SIGKILL twice at random points, reruns it, and checks that every contact was dialled
// exactly once and ends with its call's true final state.
// killTiming is a lifecycle of tenths of seconds: a kill lands in every phase of some call.
var killTiming = bolnatest.Timing{
	Dequeue:      bolnatest.Range{Min: 5 * time.Millisecond, Max: 30 * time.Millisecond},
	Dial:         bolnatest.Range{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	Ring:         bolnatest.Range{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond},
	Talk:         bolnatest.Range{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond},
	PostProcess:  bolnatest.Range{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond},
	NoAnswerRing: bolnatest.Range{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond},
	BusyAfter:    bolnatest.Range{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	FailAfter:    bolnatest.Range{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
}

func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := testBinary(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 5, Timing: killTiming, Seed: seed,
		Faults: bolnatest.Faults{PlaceLost: 0.1}})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 40)
	resultsPath := strings.TrimSuffix(input, ".csv") + ".results.csv"

	state := t.TempDir() // the account's history of this test's runs
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--poll-interval", "20ms", "--rate", "50", "--list-lag", "300ms", input)
		cmd.Env = append(os.Environ(), "BOLNA_API_KEY="+bolnatest.DefaultAPIKey, "BOLNA_BASE_URL="+srv.URL,
			"BOLNA_AGENT_ID="+bolnatest.DefaultAgentID, "XDG_STATE_HOME="+state)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	for kill := range 2 {
		cmd := start()
		// kill after a random number of further placements, plus a random instant
		target := len(srv.Placements()) + 3 + rng.IntN(12)
		deadline := time.Now().Add(20 * time.Second)
		for len(srv.Placements()) < target && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		t.Logf("kill %d after %d placements", kill+1, len(srv.Placements()))
	}
	cmd := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v", err)
	}

	if st := srv.Stats(); st.MaxOutstanding > 5 {
		t.Errorf("the stand-in saw %d calls queued or live at once, want at most the concurrency 5", st.MaxOutstanding)
	}
	checkDialledOnce(t, srv, phones)
	server := map[string]bolnatest.Call{}
	for _, c := range srv.Calls() {
		server[c.ID] = c
	}
	rows := readRows(t, resultsPath)
	if len(rows) != len(phones) {
		t.Fatalf("%d result rows, want %d", len(rows), len(phones))
	}
	for _, row := range rows {
		c, ok := server[row.Outcome.ExecutionID]
		if !ok || c.Status != string(row.Outcome.Status) || c.Phone != row.Input["phone"] {
			t.Errorf("line %d: %s %q, server has %q %q", row.Line, row.Input["phone"], row.Outcome.Status, c.Phone, c.Status)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(input), ".*.tmp-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}
