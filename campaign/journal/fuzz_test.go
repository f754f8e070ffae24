package journal_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// FuzzStateReader opens arbitrary bytes as a journal: it must load or refuse cleanly, and a
// journal it loaded must take new records and read them back.
func FuzzStateReader(f *testing.F) {
	owner := journal.Owner{Agent: "a", API: "b"}
	path := filepath.Join(f.TempDir(), "seed.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		f.Fatal(err)
	}
	st.Dial("+911", "+911", 1, "r1", time.Unix(0, 0))
	st.Placed("+911", 1, "e1", time.Unix(0, 0))
	st.Final("+911", 1, journal.Outcome{Status: "completed", Summary: "ok"})
	st.Dial("+912", "+912", 1, "r2", time.Unix(0, 0))
	st.Close()
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)-7])
	f.Add([]byte(`{"ev":"final","key":"k","attempt":1}` + "\n"))
	f.Add([]byte(`{"ev":"campaign","campaign":"x","agent":"a","api":"b"}` + "\n" + `{"ev":"dial","key":"k","attempt":70000}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(fastTempDir(t), "j.state")
		os.WriteFile(p, data, 0o600)
		st, err := journal.OpenState(p, owner)
		if err != nil {
			return // refused (another owner, a bad record): fine, as long as it did not panic
		}
		for _, lc := range st.Live() {
			st.Lookup(lc.Key)
			st.Outcome(lc.Key)
		}
		if err := st.Final("+15550000000", 1, journal.Outcome{Status: "busy"}); err != nil {
			t.Fatalf("Final() after loading: %v", err)
		}
		st.Close()
		st, err = journal.OpenState(p, owner)
		if err != nil {
			t.Fatalf("reopening after an append: %v", err)
		}
		defer st.Close()
		if o, ok, err := st.Outcome("+15550000000"); err != nil || !ok || o.Status != "busy" {
			t.Fatalf("Outcome() after reopening = %+v, %v, %v", o, ok, err)
		}
	})
}

// fastTempDir is a temporary directory in memory where the machine has one (/dev/shm): the
// journal syncs every record, and a fuzzer on a disk spends its time waiting for fsync.
func fastTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "bolna-campaign-fuzz-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
