package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/internal/notafile"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// TestPaths: a campaign's files keep the names they always had beside the results, so that a
// campaign started by an earlier version is found whole (its journal above all: a journal not
// found would be rebuilt from the results, and the calls placed since they were written lost).
func TestPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		results string
		path    func(store.Campaign) string
		want    string
	}{
		{"d/c.results.csv", store.Campaign.Results, "d/c.results.csv"},
		{"d/c.results.csv", store.Campaign.StatePath, "d/c.results.csv.state"},
		{"d/c.results.csv", store.Campaign.LockPath, "d/c.results.csv.lock"},
		{"d/c.results.csv", store.Campaign.StopPath, "d/c.results.csv.stop"},
		{"d/c.results.csv", store.Campaign.RequestsPath, "d/c.results.csv.requests"},
		{"d/c.results.csv", store.Campaign.SandboxPath, "d/c.results.csv.bolna.json"},
		{"d/c.results.csv", store.Campaign.HistoryPath, "d/c.results.csv.history"},
		{"d/c.results.csv", store.Campaign.AttemptsPath, "d/c.results.attempts.csv"},
		{"d/c.results.CSV", store.Campaign.AttemptsPath, "d/c.results.attempts.csv"},
		{"d/out", store.Campaign.AttemptsPath, "d/out.attempts.csv"},
	}
	for _, tt := range tests {
		if got := tt.path(store.At(tt.results)); got != tt.want {
			t.Errorf("At(%q): %s, want %s", tt.results, got, tt.want)
		}
	}
}

// TestStopRequestIsRegular: the stop request is written into a regular file only: a FIFO
// (without hanging), a directory, and a symbolic link (to /dev/zero or to another file, left
// untouched) are refused, naming the file; CheckFiles refuses each of them too.
func TestStopRequestIsRegular(t *testing.T) {
	t.Parallel()
	for _, kind := range notafile.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := store.At(filepath.Join(t.TempDir(), "r.csv"))
			path := c.StopPath()
			victim := notafile.Plant(t, kind, path)
			for name, err := range map[string]error{"RequestStop": c.RequestStop(), "CheckFiles": c.CheckFiles()} {
				var nre *journal.NotRegularError
				if !errors.As(err, &nre) || nre.Path != path {
					t.Errorf("%s with a %s at %s: error = %v, want a NotRegularError naming it", name, kind, path, err)
				}
			}
			if victim != "" {
				if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
					t.Errorf("the linked file became %q", b)
				}
			}
		})
	}
}

// TestStopRequest: a stop asked for is noticed until it is cleared.
func TestStopRequest(t *testing.T) {
	t.Parallel()
	c := store.At(filepath.Join(t.TempDir(), "r.csv"))
	if c.StopRequested() {
		t.Fatal("a stop noticed before any was asked for")
	}
	if err := c.RequestStop(); err != nil {
		t.Fatal(err)
	}
	if !c.StopRequested() {
		t.Error("the stop asked for is not noticed")
	}
	c.ClearStop()
	if c.StopRequested() {
		t.Error("the stop is still noticed once cleared")
	}
}

// TestOpenTakesTheLock: a campaign open for a run is locked: a second Open is refused, naming
// the holder (as Holder does), while a dry run's Inspect, which takes no lock, still opens it;
// once the first is closed, the lock is free again and Holder says nothing.
func TestOpenTakesTheLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "c.csv")
	if err := os.WriteFile(input, []byte("phone\n+919876543210\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, list, format := store.At(filepath.Join(dir, "c.results.csv")), store.ContactFile(input), store.FormatOf(results.Format{})
	owner, cfg := journal.Owner{Agent: "a", API: "b"}, campaign.Config{AgentID: "a"}
	first, err := c.Open(list, format, owner, cfg)
	if err != nil {
		t.Fatal(err)
	}
	holder := c.Holder()
	if !strings.Contains(holder, "pid ") {
		t.Errorf("Holder() = %q while the campaign is open, want the pid holding it", holder)
	}
	_, err = c.Open(list, format, owner, cfg)
	var locked *journal.LockedError
	if !errors.As(err, &locked) || locked.Holder != holder {
		t.Errorf("a second Open: error = %v, want a LockedError naming the holder %q", err, holder)
	}
	dry, err := c.Inspect(list, format, cfg)
	if err != nil {
		t.Errorf("Inspect while the campaign is open: %v", err)
	} else {
		dry.Close()
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if h := c.Holder(); h != "" {
		t.Errorf("Holder() = %q once closed, want none", h)
	}
	again, err := c.Open(list, format, owner, cfg)
	if err != nil {
		t.Fatalf("Open once the first is closed: %v", err)
	}
	again.Close()
}

func TestOpenWithoutFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := store.At(filepath.Join(dir, "r.csv")).Open(store.ContactFile(filepath.Join(dir, "c.csv")), nil,
		journal.Owner{Agent: "a", API: "b"}, campaign.Config{})
	if err == nil || !strings.Contains(err.Error(), "Format") {
		t.Errorf("Open without a results format: %v, want an error naming it", err)
	}
}
