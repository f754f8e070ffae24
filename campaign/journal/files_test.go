package journal_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/internal/notafile"
)

// TestCampaignFilesAreRegular: every way a campaign file is opened here — the journal for a
// run and read-only, the lock, a bounded read — refuses a FIFO (without hanging), a directory,
// and a symbolic link (to /dev/zero or to another file, left untouched), naming the file. (The
// stop request, written by package store, is held to the same in store's tests.)
func TestCampaignFilesAreRegular(t *testing.T) {
	t.Parallel()
	statePath := func(results string) string { return results + ".state" }
	lockPath := func(results string) string { return results + ".lock" }
	ops := []struct {
		name string
		path func(results string) string
		open func(results string) error
	}{
		{"OpenState", statePath, func(r string) error {
			st, err := journal.OpenState(statePath(r), owner)
			if err == nil {
				st.Close()
			}
			return err
		}},
		{"ReadState", statePath, func(r string) error { _, err := journal.ReadState(statePath(r)); return err }},
		{"AcquireLock", lockPath, func(r string) error {
			l, err := journal.AcquireLock(lockPath(r))
			l.Release()
			return err
		}},
	}
	for _, kind := range notafile.Kinds {
		for _, op := range ops {
			t.Run(kind+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				results := filepath.Join(t.TempDir(), "r.csv")
				path := op.path(results)
				victim := notafile.Plant(t, kind, path)
				err := op.open(results)
				var nre *journal.NotRegularError
				if !errors.As(err, &nre) || nre.Path != path {
					t.Fatalf("%s with a %s at %s: error = %v, want a NotRegularError naming it", op.name, kind, path, err)
				}
				if victim != "" {
					if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
						t.Errorf("the linked file became %q", b)
					}
				}
			})
		}
	}
}

// TestBoundLines: a reader of a campaign file fails at the first line longer than the bound,
// naming the file and the line, having read no more of it than that; lines within it pass
// unchanged.
func TestBoundLines(t *testing.T) {
	t.Parallel()
	const limit = 16
	tests := []struct {
		name     string
		text     string
		wantLine int // 0: read whole
	}{
		{"short lines", "a,b\n1,2\n\n3,4", 0},
		{"a line of the bound", "a,b\n" + strings.Repeat("x", limit) + "\n", 0},
		{"a long line in the middle", "a,b\n" + strings.Repeat("x", limit+1) + "\nc\n", 2},
		{"a long last line", "a,b\n1,2\n" + strings.Repeat("x", 1<<20), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := strings.NewReader(tt.text)
			got, err := io.ReadAll(iotest.OneByteReader(journal.BoundLines(io.MultiReader(src), "r.csv", limit)))
			var long *journal.LongLineError
			switch {
			case tt.wantLine == 0 && (err != nil || string(got) != tt.text):
				t.Errorf("read %q, %v; want it whole", got, err)
			case tt.wantLine != 0 && (!errors.As(err, &long) || long.Line != tt.wantLine || long.Path != "r.csv"):
				t.Errorf("error = %v, want a LongLineError for line %d of r.csv", err, tt.wantLine)
			case tt.wantLine != 0 && int(src.Size())-src.Len() > strings.Index(tt.text, strings.Repeat("x", limit+1))+limit+1:
				t.Errorf("read %d bytes: the long line was read beyond its bound", int(src.Size())-src.Len())
			}
		})
	}
}
