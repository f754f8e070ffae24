package journal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLongTornLine: a last line longer than any record (a crash cannot cut one) is damage at
// that line, read no further than the bound: it is not read whole and dropped as a torn line.
// (The bound is lowered here, as loadState's is a size no test should read.)
func TestLongTornLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := OpenState(path, Owner{Agent: "agent-1", API: "https://api.bolna.ai"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st.Dial("+911", "+911", 1, st.Ref("+911", 1), at)
	st.Close()
	fi, _ := os.Stat(path)
	const limit = 4 << 10
	tests := []struct {
		name     string
		tail     int64 // bytes of zeros after the last line, no newline
		wantLine int   // 0: the torn line is dropped
	}{
		{"a torn line within the bound", limit / 2, 0},
		{"a torn line beyond the bound", 100 << 20, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "r.csv.state")
			b, _ := os.ReadFile(path)
			os.WriteFile(p, b, 0o600)
			os.Truncate(p, fi.Size()+tt.tail) // a sparse file
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, _, err := loadBounded(p, f, limit)
			var je *JournalError
			switch {
			case tt.wantLine == 0 && (err != nil || s.Skipped() != 1):
				t.Errorf("loadBounded: %v, want the torn line dropped", err)
			case tt.wantLine != 0 && (!errors.As(err, &je) || je.Line != tt.wantLine):
				t.Errorf("loadBounded: error = %v, want a JournalError for line %d", err, tt.wantLine)
			}
			if off, _ := f.Seek(0, 1); off > fi.Size()+2*limit+256<<10 {
				t.Errorf("read %d bytes of a %d-byte journal: the long line was read beyond its bound", off, fi.Size()+tt.tail)
			}
		})
	}
}
