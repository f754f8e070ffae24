package campaign_test

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// scaleCases are the campaigns at scale (#13): concurrency 500 and calls of one to
// three minutes, at the default share and with the account's whole budget (where concurrency,
// not the POST limit, binds); concurrency 2,000 and calls of 30 to 90 seconds, where the POST
// limit binds.
var scaleCases = []benchCase{
	{name: "c500/runner/poll-3s", concurrency: 500, calls: 20000, timing: minutesTiming, poll: 3 * time.Second, floor: 0.985},
	{name: "c500/runner/poll-3s/share-1", concurrency: 500, calls: 20000, timing: minutesTiming, poll: 3 * time.Second, share: 1, floor: 0.985},
	{name: "c2000/runner/poll-3s", concurrency: 2000, calls: 50000, timing: halfMinuteTiming, poll: 3 * time.Second, floor: 0.98},
}

// TestScale runs scaleCases like TestSlotUtilisation, one at a time, in virtual time, and
// checks the same, plus the runner's CPU time per call (the process's, less what the
// simulation spent serving) and the process's peak RSS (the simulation's included: an upper
// bound of the runner's). They take minutes: set BOLNA_SCALE=1 to run them, alone for the CPU
// and memory to be theirs:
//
//	BOLNA_SCALE=1 go test ./campaign -run Scale -v
func TestScale(t *testing.T) {
	if os.Getenv("BOLNA_SCALE") == "" {
		t.Skip("set BOLNA_SCALE=1 to run the campaigns at concurrency 500 and 2,000 (minutes)")
	}
	for _, bc := range scaleCases {
		t.Run(bc.name, func(t *testing.T) {
			runtime.GC()
			debug.FreeOSMemory()
			resetPeakRSS(t)
			cpu0 := processCPU()
			var st bolnatest.Stats
			synctest.Test(t, func(t *testing.T) {
				opts := bc.options()
				opts.MaxRetained = 4 * bc.concurrency // the simulation forgets old calls; the bound keeps their slot times
				_, st = runInProcess(t, bc, opts)
			})
			cpu := processCPU() - cpu0 - st.ServeCPU
			rss := peakRSS(t)
			t.Logf("%s", benchRow(bc, st))
			t.Logf("%s: runner CPU %.2f ms a call (%s in all; the simulation's %s apart), peak RSS %d MB",
				bc.name, float64(cpu.Microseconds())/1000/float64(st.Placed), cpu.Round(time.Millisecond), st.ServeCPU.Round(time.Millisecond), rss>>20)
			checkBenchCase(t, bc, st)
			if perCall := cpu / time.Duration(st.Placed); perCall > 10*time.Millisecond {
				t.Errorf("%s: the runner spent %v of CPU a call, want < 10ms", bc.name, perCall)
			}
			if rss > 100<<20 {
				t.Errorf("%s: peak RSS %d MB, want < 100 MB", bc.name, rss>>20)
			}
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS sets the process's peak RSS (VmHWM) to its present RSS (Linux).
func resetPeakRSS(t *testing.T) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS here: %v", err)
	}
}

// peakRSS is the process's peak RSS since the last reset, in bytes (Linux).
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
