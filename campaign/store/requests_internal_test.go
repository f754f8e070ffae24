package store

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// requestLimits are the limits of the clients of these tests: small, so a full minute shows.
var requestLimits = dialer.Limits{Call: 7, List: 8, Other: 40}

// sameTimes reports whether a and b hold the same instants, in order.
func sameTimes(a, b []time.Time) bool {
	return slices.EqualFunc(a, b, time.Time.Equal)
}

// TestRequestsOutliveTheProcess: a process that takes a campaign over honours every request
// the one before it sent in the last minute, whether that one stopped (at an instant that is
// no whole multiple of the record's compaction) or was killed between two compactions: each
// request was recorded before it was sent.
func TestRequestsOutliveTheProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		last   time.Duration // the first process's last request, after its start
		killed bool          // the first process is not stopped before the second loads the record
	}{
		{"killed 0.95 s after its start", 950 * time.Millisecond, true},
		{"killed between two compactions", 5500 * time.Millisecond, true},
		{"stopped between two compactions", 5500 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming})
				path := filepath.Join(t.TempDir(), "r.csv.requests")
				first := api.InProcessClient(dialer.WithLimits(requestLimits))
				stop := keepRequests(first, path, time.Second)
				start := time.Now()
				for range tt.last / (250 * time.Millisecond) { // one request every 250 ms
					time.Sleep(250 * time.Millisecond) // the fake clock of synctest: no real wait
					if _, err := first.Account(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(tt.last - time.Since(start))
				sent := first.Recent()
				if !tt.killed {
					stop()
				}
				second := api.InProcessClient(dialer.WithLimits(requestLimits))
				stopSecond := keepRequests(second, path, time.Second)
				if got := second.Recent(); len(sent.Other) == 0 || !sameTimes(got.Other, sent.Other) {
					t.Errorf("the second process knows of %d requests %v, want the %d the first sent %v", len(got.Other), got.Other, len(sent.Other), sent.Other)
				}
				stopSecond()
				if tt.killed {
					stop()
				}
			})
		})
	}
}

// TestRequestsRecordProvesNothing: a record that cannot be read whole (garbage, cut, an older
// format, too long) or that holds a request dated after now (a clock stepped back) is taken
// for a full minute of requests of every class; a missing one for none.
func TestRequestsRecordProvesNothing(t *testing.T) {
	t.Parallel()
	now := time.Now()
	line := func(class byte, at time.Time) string {
		return string(class) + " " + strconv.FormatInt(at.UnixNano(), 10) + "\n"
	}
	tests := []struct {
		name     string
		contents string // "" for no file
		full     bool
	}{
		{"no record", "", false},
		{"a whole record", requestsHeader + line('o', now.Add(-time.Second)), false},
		{"garbage", "\x00\x01garbage", true},
		{"an older format", `{"call":["` + now.UTC().Format(time.RFC3339Nano) + `"]}`, true},
		{"a cut last line", requestsHeader + line('o', now.Add(-time.Second))[:8], true},
		{"a request in the future", requestsHeader + line('c', now.Add(time.Hour)), true},
		{"an unknown class", requestsHeader + line('x', now.Add(-time.Second)), true},
		{"too long", requestsHeader + string(make([]byte, maxRequestsFile)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "r.csv.requests")
			if tt.contents != "" {
				if err := os.WriteFile(path, []byte(tt.contents), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			api := bolnatest.NewAPI(bolnatest.Options{Timing: bolnatest.FastTiming})
			client := api.InProcessClient(dialer.WithLimits(requestLimits))
			stop := keepRequests(client, path, time.Hour)
			got := client.Recent()
			stop()
			full := len(got.Call) == requestLimits.Call && len(got.List) == requestLimits.List && len(got.Other) == requestLimits.Other
			if full != tt.full {
				t.Errorf("preloaded %d, %d, %d requests; want a full minute (%v): %v", len(got.Call), len(got.List), len(got.Other), tt.full, got)
			}
			if _, err := os.Stat(path + ".next"); err == nil {
				t.Error("the compaction's temporary file was left behind")
			}
		})
	}
	t.Run("damaged and unwritten for a minute", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "r.csv.requests")
		os.WriteFile(path, []byte("garbage"), 0o600)
		old := time.Now().Add(-2 * time.Minute)
		os.Chtimes(path, old, old)
		got := loadRequests(path, time.Now())
		if n := len(got.Call) + len(got.List) + len(got.Other); n != 0 {
			t.Errorf("%d requests taken from a record unwritten for two minutes, want none", n)
		}
	})
}
