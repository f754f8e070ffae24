package journal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// The journal's own invariants, tested in its own package: `go test ./campaign/journal` alone
// fails when the checksum check or the torn-line rule is broken.

var integrityAt = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// twoIntents writes a journal of two intents, the first placed: four checksummed lines.
func twoIntents(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	st.Dial("+14155550301", "+14155550301", 1, st.Ref("+14155550301", 1), integrityAt)
	st.Placed("+14155550301", 1, "exec-1", integrityAt)
	st.Dial("+14155550302", "+14155550302", 1, st.Ref("+14155550302", 1), integrityAt)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// opens are the two ways a journal is read: for a run, and read-only.
var opens = map[string]func(string) error{
	"OpenState": func(p string) error {
		st, err := journal.OpenState(p, owner)
		if err == nil {
			st.Close()
		}
		return err
	},
	"ReadState": func(p string) error { _, err := journal.ReadState(p); return err },
}

// TestChecksumCatchesChangedValues: a value changed on disk inside a line that still parses (a
// digit of a key, of an execution id) is damage that stops the run at that line, whichever way
// the journal is read; so is a line that lost its checksum after lines that had one.
func TestChecksumCatchesChangedValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		damage   func(b []byte) []byte
		wantLine int // 0: no damage
	}{
		{"a digit of a key", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"key":"+14155550302"`), []byte(`"key":"+14155550309"`), 1)
		}, 4},
		{"a digit of an execution id", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"exec-1"`), []byte(`"exec-7"`), 1)
		}, 3},
		{"the attempt", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"attempt":1,"ref"`), []byte(`"attempt":2,"ref"`), 1)
		}, 2},
		{"a checksum removed", func(b []byte) []byte {
			return regexp.MustCompile(`,"crc":"[0-9a-f]{8}"\}\n$`).ReplaceAll(b, []byte("}\n"))
		}, 4},
		{"untouched", func(b []byte) []byte { return b }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := twoIntents(t)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := tt.damage(bytes.Clone(b))
			if tt.wantLine != 0 && bytes.Equal(damaged, b) {
				t.Fatalf("the damage changed nothing in %q", b)
			}
			os.WriteFile(path, damaged, 0o600)
			for name, open := range opens {
				err := open(path)
				var je *journal.JournalError
				switch {
				case tt.wantLine == 0 && err != nil:
					t.Errorf("%s: %v, want no error", name, err)
				case tt.wantLine != 0 && (!errors.As(err, &je) || je.Line != tt.wantLine):
					t.Errorf("%s: error = %v, want a JournalError for line %d", name, err, tt.wantLine)
				}
			}
		})
	}
}

// TestTornLastLine: only the last line may be torn (a crash mid-write): it is dropped and an
// intent to dial in it is kept for a search. The same cut anywhere else is damage.
func TestTornLastLine(t *testing.T) {
	t.Parallel()
	cut := func(b []byte, line int, marker string) []byte {
		lines := bytes.SplitAfter(b, []byte("\n"))
		i := bytes.Index(lines[line-1], []byte(marker))
		lines[line-1] = append(bytes.Clone(lines[line-1][:i]), '\n')
		if line == len(lines)-1 { // the last line: torn, with no newline
			lines[line-1] = lines[line-1][:i]
		}
		return bytes.Join(lines, nil)
	}
	tests := []struct {
		name      string
		damage    func(b []byte) []byte
		wantTorn  int // intents kept from the torn line
		wantSkip  int // torn lines dropped
		wantLine  int // a JournalError at this line; 0 for none
		wantLive1 bool
	}{
		{"an intent torn after its attempt", func(b []byte) []byte { return cut(b, 4, `"ref"`) }, 1, 0, 0, true},
		{"an intent torn before its attempt", func(b []byte) []byte { return cut(b, 4, `"phone"`) }, 0, 1, 0, true},
		{"a line torn in the middle", func(b []byte) []byte { return cut(b, 3, `"execution_id"`) }, 0, 0, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := twoIntents(t)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, tt.damage(b), 0o600)
			st, err := journal.ReadState(path)
			var je *journal.JournalError
			if tt.wantLine != 0 {
				if !errors.As(err, &je) || je.Line != tt.wantLine {
					t.Fatalf("ReadState: error = %v, want a JournalError for line %d", err, tt.wantLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(st.Torn()); got != tt.wantTorn || st.Skipped() != tt.wantSkip {
				t.Errorf("torn %d, skipped %d; want %d and %d", got, st.Skipped(), tt.wantTorn, tt.wantSkip)
			}
			if e := st.Lookup("+14155550301"); (e.Live != nil && e.Live.ExecutionID == "exec-1") != tt.wantLive1 {
				t.Errorf("+14155550301 = %+v, want it live with exec-1", e)
			}
			if e := st.Lookup("+14155550302"); e.Live != nil || e.Attempts != 0 {
				t.Errorf("+14155550302 = %+v: a torn intent is no call in flight until it is found", e)
			}
		})
	}
}
