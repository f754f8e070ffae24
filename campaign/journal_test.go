package campaign_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// owner is the owner of the journals these tests write.
var owner = journal.Owner{Agent: "agent-1", API: "https://api.bolna.ai"}

// cutJournal cuts the journal at path inside its last line, just before the first occurrence
// of marker in that line, as a crash (or a damaged disk) would.
func cutJournal(t *testing.T, path, marker string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
	i := bytes.Index(b[last:], []byte(marker))
	if i < 0 {
		t.Fatalf("no %s in the last line %q", marker, b[last:])
	}
	if err := os.WriteFile(path, b[:last+i], 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestJournalDamage: damage inside the journal stops the run, naming the line; only a torn
// last line is a crash's doing, and an intent to dial in it is kept for a search.
func TestJournalDamage(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	write := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "r.csv.state")
		st, err := journal.OpenState(path, owner)
		if err != nil {
			t.Fatal(err)
		}
		st.Dial("+911", "+911", 1, st.Ref("+911", 1), at)
		st.Placed("+911", 1, "exec-1", at)
		st.Dial("+912", "+912", 1, st.Ref("+912", 1), at)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Run("a corrupted byte", func(t *testing.T) {
		t.Parallel()
		path := write(t)
		b, _ := os.ReadFile(path)
		i := bytes.Index(b, []byte(`"placed"`))
		b[i+2] = 0xff
		os.WriteFile(path, b, 0o600)
		for _, open := range []func(string) error{
			func(p string) error { _, err := journal.OpenState(p, owner); return err },
			func(p string) error { _, err := journal.ReadState(p); return err },
		} {
			err := open(path)
			var je *journal.JournalError
			if !errors.As(err, &je) || je.Line != 3 || !strings.Contains(err.Error(), "line 3") {
				t.Errorf("opening a journal with a corrupted byte on line 3: error = %v, want a JournalError for line 3", err)
			}
		}
	})
	t.Run("a torn intent", func(t *testing.T) {
		t.Parallel()
		path := write(t)
		cutJournal(t, path, `"ref"`)
		st, err := journal.OpenState(path, owner)
		if err != nil {
			t.Fatal(err)
		}
		torn := st.Torn()
		if len(torn) != 1 || torn[0].Key != "+912" || torn[0].Attempt != 1 || torn[0].DialedAt.IsZero() {
			t.Fatalf("Torn() = %+v, want the cut intent for +912, attempt 1, with a time", torn)
		}
		if e := st.Lookup("+912"); e.Live != nil || e.Attempts != 0 {
			t.Errorf("Lookup(+912) = %+v: a torn intent is not a call in flight until it is found", e)
		}
		st.Close()
		// It survives a second crash before it is settled, and settling closes it.
		st, err = journal.OpenState(path, owner)
		if err != nil || len(st.Torn()) != 1 {
			t.Fatalf("reopened: Torn() = %+v, %v; want it kept", st.Torn(), err)
		}
		st.Settle("+912", 1, at)
		st.Close()
		st, _ = journal.OpenState(path, owner)
		if len(st.Torn()) != 0 {
			t.Errorf("after Settle: Torn() = %+v, want none", st.Torn())
		}
		st.Close()
	})
	t.Run("a torn line that is no intent", func(t *testing.T) {
		t.Parallel()
		path := write(t)
		cutJournal(t, path, `"phone"`)
		st, err := journal.OpenState(path, owner)
		if err != nil || len(st.Torn()) != 0 || st.Skipped() != 1 {
			t.Errorf("OpenState() = torn %+v, skipped %d, %v; want the cut line dropped and said so", st.Torn(), st.Skipped(), err)
		}
	})
}

// TestJournalNoSymlinks: neither the journal nor the lock follows a symbolic link planted at
// its path; the file it points to is left as it was.
func TestJournalNoSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "precious.txt")
	os.WriteFile(victim, []byte("line one\nline two\n"), 0o600)
	for _, path := range []string{filepath.Join(dir, "r.csv.state"), filepath.Join(dir, "r.csv.lock")} {
		if err := os.Symlink(victim, path); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	if _, err := journal.OpenState(filepath.Join(dir, "r.csv.state"), owner); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("OpenState() through a symlink: error = %v, want a refusal", err)
	}
	if _, err := journal.AcquireLock(filepath.Join(dir, "r.csv.lock")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("AcquireLock() through a symlink: error = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "line one\nline two\n" {
		t.Errorf("the linked file became %q", b)
	}
}

// TestJournalNotPinnedByRefusedRun: a run that never reached Bolna (a refused key, a wrong
// base URL) binds nothing: the corrected run, on another API, is not refused.
func TestJournalNotPinnedByRefusedRun(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	wrong := journal.Owner{Agent: owner.Agent, API: "https://wrong.example"}
	st, err := journal.OpenState(path, wrong)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := st.Close(); err != nil {
		t.Errorf("a second Close() = %v, want nil", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a journal never written to is left behind (%v)", err)
	}
	// A journal an earlier version left with only its first line binds nothing either.
	os.WriteFile(path, []byte(`{"ev":"campaign","v":1,"campaign":"abc","agent":"agent-1","api":"https://wrong.example"}`+"\n"), 0o600)
	st, err = journal.OpenState(path, owner)
	if err != nil {
		t.Fatalf("OpenState() of a journal with only a first line, for another API: %v", err)
	}
	st.NoteAccount(journal.Account{Concurrency: 3, At: time.Now()})
	st.Close()
	if _, err := journal.OpenState(path, wrong); err == nil {
		t.Error("a journal that recorded a run binds no owner any more")
	}
}

// TestAdoptInFlightWithoutID: a journal rebuilt from results where a row was being placed (in
// flight, no execution id) cannot look for that call: the row is unknown, never re-dialled.
func TestAdoptInFlightWithoutID(t *testing.T) {
	t.Parallel()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "r.csv.state"), owner)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := st.Adopt("+911", "+911", journal.Outcome{Status: journal.StatusInFlight, Attempts: 1, DialedAt: at}); err != nil {
		t.Fatal(err)
	}
	if e := st.Lookup("+911"); e.Status != journal.StatusUnknown || e.Live != nil || e.Attempts != 1 {
		t.Errorf("Lookup() = %+v, want unknown, not live, 1 attempt", e)
	}
}

// TestFinalNonFinite: an outcome with a NaN or infinite number is recorded (as 0), never an
// error that stops the run.
func TestFinalNonFinite(t *testing.T) {
	t.Parallel()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "r.csv.state"), owner)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Final("+911", 1, journal.Outcome{Status: "completed", Cost: math.NaN(), Duration: math.Inf(1)}); err != nil {
		t.Fatalf("Final() = %v", err)
	}
	if o, ok, err := st.Outcome("+911"); !ok || err != nil || o.Cost != 0 || o.Duration != 0 {
		t.Errorf("Outcome() = %+v, %v, %v; want the numbers as 0", o, ok, err)
	}
}

// TestJournalChecksums: a flipped digit inside a journal value (a key: the contact of a live
// call) is damage that stops the run, as a broken line does; an older journal without
// checksums is read as it is and gets them on its next write; a line without a checksum after
// one that has it is damage too.
func TestJournalChecksums(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	opens := map[string]func(string) error{
		"OpenState": func(p string) error {
			st, err := journal.OpenState(p, owner)
			if err == nil {
				st.Close()
			}
			return err
		},
		"ReadState": func(p string) error { _, err := journal.ReadState(p); return err },
	}
	write := func(t *testing.T) string { return checksummedJournal(t, at) }
	tests := []struct {
		name     string
		damage   func(b []byte) []byte
		wantLine int // 0: no damage
	}{
		{"a flipped digit in a key", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"key":"+14155550301"`))
			b[i+len(`"key":"+1415555030`)] = '9'
			return b
		}, 2},
		{"a flipped digit in an execution id", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`exec-1`))
			b[i+5] = '7'
			return b
		}, 3},
		{"a checksum dropped from a line", func(b []byte) []byte {
			lines := bytes.SplitAfter(b, []byte("\n"))
			j := bytes.LastIndex(lines[2], []byte(`,"crc":`))
			lines[2] = append(append([]byte{}, lines[2][:j]...), "}\n"...)
			return bytes.Join(lines, nil)
		}, 3},
		{"untouched", func(b []byte) []byte { return b }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := write(t)
			b, _ := os.ReadFile(path)
			if n := bytes.Count(b, []byte(`"crc":"`)); n != 4 {
				t.Fatalf("%d checksummed lines in %q, want all 4", n, b)
			}
			os.WriteFile(path, tt.damage(b), 0o600)
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

// TestJournalWithoutChecksums: a journal written before lines were checksummed reads, and the
// lines written to it from then on are checksummed.
func TestJournalWithoutChecksums(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	path := checksummedJournal(t, at)
	b, _ := os.ReadFile(path)
	old := regexp.MustCompile(`,"crc":"[0-9a-f]{8}"\}`).ReplaceAll(b, []byte("}"))
	os.WriteFile(path, old, 0o600)
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatalf("an older journal: %v", err)
	}
	if e := st.Lookup("+14155550301"); e.Live == nil || e.Live.ExecutionID != "exec-1" {
		t.Errorf("older journal read as %+v", e)
	}
	st.Placed("+14155550302", 1, "exec-2", at)
	st.Close()
	if _, err := journal.ReadState(path); err != nil {
		t.Errorf("an older journal with checksummed lines after its own: %v", err)
	}
	b, _ = os.ReadFile(path)
	if !bytes.HasSuffix(bytes.TrimSpace(b), []byte(`"}`)) || !bytes.Contains(b[len(old):], []byte(`"crc":"`)) {
		t.Errorf("the record written to an older journal has no checksum: %q", b[len(old):])
	}
}

// checksummedJournal writes a journal of two intents at at, one of them placed.
func checksummedJournal(t *testing.T, at time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	st.Dial("+14155550301", "+14155550301", 1, st.Ref("+14155550301", 1), at)
	st.Placed("+14155550301", 1, "exec-1", at)
	st.Dial("+14155550302", "+14155550302", 1, st.Ref("+14155550302", 1), at)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeyingChanged: a rerun that keys rows differently from the runs before it (adds or drops
// --id-column, or names another) would take every contact for a new one and dial everyone
// again. It stops before any call, naming both ways; the same keying goes on as before.
func TestKeyingChanged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		first, then string // --id-column of the first run and of the rerun
		wantErr     bool
	}{
		{"id column added", "", "name", true},
		{"id column dropped", "name", "", true},
		{"another id column", "name", "city", true},
		{"the same column, in other case", "name", " Name", false},
		{"by phone both times", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc := newCampaign(t, bolnatest.Options{}, 3)
			cfg := baseConfig()
			cfg.Load.IDColumn = tt.first
			if _, _, err := tc.run(t, cfg, nil); err != nil {
				t.Fatal(err)
			}
			cfg.Load.IDColumn = tt.then
			sess, err := store.At(tc.results).Open(store.ContactFile(tc.input), store.FormatOf(results.Format{}),
				journal.Owner{Agent: cfg.AgentID, API: tc.srv.URL}, cfg)
			if err == nil {
				sess.Close()
			}
			var ke *journal.KeyingError
			if tt.wantErr != errors.As(err, &ke) {
				t.Fatalf("rerun keyed by %q after %q: Open error = %v, want a KeyingError: %v", tt.then, tt.first, err, tt.wantErr)
			}
			if tt.wantErr {
				if !strings.Contains(err.Error(), "--id-column") {
					t.Errorf("error %q does not say how to key the rerun", err)
				}
				return
			}
			summary, _, err := tc.run(t, cfg, nil)
			if err != nil || summary.Dialled != 0 {
				t.Errorf("rerun keyed as before: %+v, %v; want nobody dialled again", summary, err)
			}
			checkDialled(t, tc.srv, tc.phones, 1)
		})
	}
}

// TestJournalVersion: a journal written by a later version is refused, by OpenState and by
// ReadState (a dry run), with a *VersionError; the journal is left as it was.
func TestJournalVersion(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	line := `{"ev":"campaign","v":3,"campaign":"abc123","agent":"agent-1"}` + "\n" // (2 is a journal with arms)
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"OpenState": func() error {
			st, err := journal.OpenState(path, journal.Owner{Agent: "agent-1"})
			if err == nil {
				st.Close()
			}
			return err
		},
		"ReadState": func() error { _, err := journal.ReadState(path); return err },
	} {
		var verr *journal.VersionError
		if err := open(); !errors.As(err, &verr) || verr.Version != 3 || !strings.Contains(err.Error(), "newer bolna-campaign") {
			t.Errorf("%s: error = %v, want a *VersionError for version 3", name, err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != line {
		t.Errorf("the journal was changed: %q", b)
	}
}
