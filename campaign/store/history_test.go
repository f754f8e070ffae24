package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/store"
)

// TestHistoryRecord: a run's history is recorded beside the journal (mode 0600, no link
// followed), read back as written, replaced whole by another, and the one before returned; a
// campaign no run recorded has none; a damaged record is an error, never a location.
func TestHistoryRecord(t *testing.T) {
	t.Parallel()
	c := store.At(filepath.Join(t.TempDir(), "c.results.csv"))
	if where, err := c.RecordedHistory(); where != "" || err != nil {
		t.Fatalf("no run yet: %q, %v; want none", where, err)
	}
	pg := "postgres://ops:xxxxx@db.internal:5432/bolna"
	for _, tt := range []struct{ record, before string }{
		{"/var/lib/bolna/history.db", ""},
		{"/var/lib/bolna/history.db", "/var/lib/bolna/history.db"},
		{pg, "/var/lib/bolna/history.db"},
	} {
		before, err := c.RecordHistory(tt.record)
		if err != nil || before != tt.before {
			t.Fatalf("RecordHistory(%q) = %q, %v; want %q recorded before", tt.record, before, err, tt.before)
		}
		if where, err := c.RecordedHistory(); where != tt.record || err != nil {
			t.Fatalf("recorded %q, read %q, %v", tt.record, where, err)
		}
	}
	if fi, err := os.Stat(c.HistoryPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the record: %v, %v; want mode 0600", fi, err)
	}
	for _, bad := range []string{"", "a\nb"} {
		if _, err := c.RecordHistory(bad); err == nil {
			t.Errorf("RecordHistory(%q) was taken", bad)
		}
	}
	if err := os.WriteFile(c.HistoryPath(), []byte("/some/other/history.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if where, err := c.RecordedHistory(); err == nil || where != "" || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("a damaged record read as %q, %v; want an error", where, err)
	}
	victim := filepath.Join(t.TempDir(), "precious.txt")
	os.WriteFile(victim, []byte("mine"), 0o600)
	os.Remove(c.HistoryPath())
	os.Symlink(victim, c.HistoryPath())
	if where, err := c.RecordedHistory(); err == nil || where != "" {
		t.Errorf("a link at the record read as %q, %v; want an error", where, err)
	}
	if err := c.CheckFiles(); err == nil {
		t.Error("CheckFiles took a link at the record of the history")
	}
}
