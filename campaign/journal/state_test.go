package journal_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

var owner = journal.Owner{Agent: "agent-1", API: "https://api.bolna.ai"}

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st.Dial("+911", "+911", 1, st.Ref("+911", 1), at)
	st.Placed("+911", 1, "exec-1", at)
	st.Final("+911", 1, journal.Outcome{Status: "completed", ExecutionID: "exec-1", Summary: "ok", FinishedAt: at})
	st.Dial("+912", "+912", 1, st.Ref("+912", 1), at)
	st.Placed("+912", 1, "exec-2", at)
	ref3 := st.Ref("+913", 1)
	st.Dial("+913", "+913", 1, ref3, at) // reply lost: no execution id
	st.Dial("+914", "+914", 1, st.Ref("+914", 1), at)
	st.Void("+914", 1, at) // refused: as if never dialled
	campaignID := st.Campaign()
	st.Close()

	st, err = journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Campaign() != campaignID {
		t.Errorf("campaign id %q after reopening, want %q", st.Campaign(), campaignID)
	}
	if e := st.Lookup("+911"); e.Status != "completed" || e.Live != nil || e.Attempts != 1 {
		t.Errorf("+911 = %+v, want completed after 1 attempt", e)
	}
	if o, ok, err := st.Outcome("+911"); err != nil || !ok || o.Summary != "ok" || o.Attempts != 1 {
		t.Errorf("Outcome(+911) = %+v, %v, %v", o, ok, err)
	}
	if e := st.Lookup("+912"); e.Live == nil || e.Live.ExecutionID != "exec-2" {
		t.Errorf("+912 = %+v, want live with exec-2", e)
	}
	if e := st.Lookup("+913"); e.Live == nil || e.Live.ExecutionID != "" || e.Live.Ref != ref3 || ref3 == st.Ref("+913", 1) {
		t.Errorf("+913 = %+v, want live without an execution id, with its ref (unique to its run)", e)
	}
	if e := st.Lookup("+914"); e.Live != nil || e.Attempts != 0 {
		t.Errorf("+914 = %+v, want no attempt", e)
	}
	if live := st.Live(); len(live) != 2 {
		t.Errorf("Live() = %d calls, want 2", len(live))
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}

	if _, err := journal.OpenState(path, journal.Owner{Agent: "agent-1", API: "sandbox"}); !errors.As(err, new(*journal.OwnerError)) {
		t.Errorf("OpenState() with another owner: error = %v, want *OwnerError", err)
	}
}

// model is what the journal should say after a prefix of operations.
type model map[string]modelEntry

type modelEntry struct {
	attempts int
	status   journal.Status
	live     bool
	execID   string
}

func (m model) clone() model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestStateCrashRecovery writes a random journal, cuts it at random bytes (a crash in the
// middle of any write), and checks that recovery gives exactly the state of the records that
// were whole, and that the journal can be appended to afterwards.
func TestStateCrashRecovery(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	path := filepath.Join(dir, "full.state")
	points := randomHistory(t, rng, path)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	for trial := range 200 {
		cut := int64(rng.IntN(len(full)-int(points[0].end))) + points[0].end
		if trial == 0 {
			cut = int64(len(full))
		}
		var want model
		for _, p := range points {
			if p.end <= cut {
				want = p.want
			}
		}
		crashed := filepath.Join(dir, fmt.Sprintf("crash-%d.state", trial))
		if err := os.WriteFile(crashed, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := journal.OpenState(crashed, owner)
		if err != nil {
			t.Fatalf("cut at %d: OpenState() error = %v", cut, err)
		}
		for key, w := range want {
			got := st.Lookup(key)
			if got.Attempts != w.attempts || got.Status != w.status || (got.Live != nil) != w.live ||
				(got.Live != nil && got.Live.ExecutionID != w.execID) {
				t.Fatalf("cut at %d: %s = %+v (live %+v), want %+v", cut, key, got, got.Live, w)
			}
			if w.status != "" && !w.live {
				if o, ok, err := st.Outcome(key); err != nil || !ok || o.Status != w.status {
					t.Fatalf("cut at %d: Outcome(%s) = %+v, %v, %v", cut, key, o, ok, err)
				}
			}
		}
		// The journal goes on after recovery, and what is appended reads back.
		if err := st.Dial("+15550000000", "+15550000000", 1, "r", time.Now()); err != nil {
			t.Fatal(err)
		}
		st.Close()
		st, err = journal.OpenState(crashed, owner)
		if err != nil || st.Lookup("+15550000000").Live == nil || st.Skipped() != 0 {
			t.Fatalf("cut at %d: after appending: %v, skipped %d", cut, err, st.Skipped())
		}
		st.Close()
	}
}

// historyPoint is where a journal ended after a record, and what it held then.
type historyPoint struct {
	end  int64
	want model
}

// randomHistory writes 60 random records (intents, voids, placements, outcomes) to a journal at
// path, and returns, after each, where the file ended and the model of what it held.
func randomHistory(t *testing.T, rng *rand.Rand, path string) []historyPoint {
	t.Helper()
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	header, _ := os.Stat(path)
	m := model{}
	points := []historyPoint{{end: header.Size(), want: m.clone()}}
	at := time.Now()
	step := func(apply func() error) {
		if err := apply(); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(path)
		points = append(points, historyPoint{end: info.Size(), want: m.clone()})
	}
	for i := range 60 {
		key := fmt.Sprintf("+9198%08d", rng.IntN(15))
		e := m[key]
		switch {
		case !e.live && (e.attempts == 0 || rng.IntN(3) == 0):
			e = modelEntry{attempts: e.attempts + 1, status: e.status, live: true}
			m[key] = e
			step(func() error { return st.Dial(key, key, e.attempts, st.Ref(key, e.attempts), at) })
		case e.live && e.execID == "" && rng.IntN(5) == 0:
			e.live, e.attempts = false, e.attempts-1
			m[key] = e
			step(func() error { return st.Void(key, e.attempts+1, at) })
		case e.live && e.execID == "":
			e.execID = fmt.Sprintf("exec-%d", i)
			m[key] = e
			step(func() error { return st.Placed(key, e.attempts, e.execID, at) })
		case e.live:
			e.live, e.status = false, []journal.Status{"completed", "no-answer", "busy", "failed"}[rng.IntN(4)]
			m[key] = e
			step(func() error {
				return st.Final(key, e.attempts, journal.Outcome{Status: e.status, ExecutionID: e.execID, Summary: "said \"yes\"\nthen bye"})
			})
		}
	}
	st.Close()
	return points
}

func TestLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.lock")
	first, err := journal.AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = journal.AcquireLock(path)
	var locked *journal.LockedError
	if !errors.As(err, &locked) || locked.Holder == "" {
		t.Fatalf("second AcquireLock() error = %v, want a LockedError naming the holder", err)
	}
	first.Release()
	again, err := journal.AcquireLock(path)
	if err != nil {
		t.Fatalf("AcquireLock() after Release: %v", err)
	}
	again.Release()
}

// TestStandingCountsCalls: the journal's standing counts a contact as dialled, and an attempt
// as a call, only when a call was placed: an attempt the account's guard kept off (recent,
// capped, do-not-call) is in the journal with no call behind it. A contact called once and
// kept off on its retry was dialled, with one call.
func TestStandingCountsCalls(t *testing.T) {
	t.Parallel()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "r.csv.state"), owner)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st.Dial("+911", "+911", 1, st.Ref("+911", 1), at)
	st.Placed("+911", 1, "exec-1", at)
	st.Final("+911", 1, journal.Outcome{Status: journal.StatusCompleted, ExecutionID: "exec-1", FinishedAt: at})
	st.Dial("+912", "+912", 1, st.Ref("+912", 1), at)
	st.Final("+912", 1, journal.Outcome{Status: journal.StatusRecent, FinishedAt: at})
	st.Dial("+913", "+913", 1, st.Ref("+913", 1), at)
	st.Placed("+913", 1, "exec-3", at)
	st.Final("+913", 1, journal.Outcome{Status: journal.StatusNoAnswer, ExecutionID: "exec-3", FinishedAt: at})
	st.Dial("+913", "+913", 2, st.Ref("+913", 2), at)
	st.Final("+913", 2, journal.Outcome{Status: journal.StatusCapped, FinishedAt: at})
	s := st.Standing()
	if s.Dialled != 2 || s.Attempts != 2 || s.ByStatus[journal.StatusRecent] != 1 || s.ByStatus[journal.StatusCapped] != 1 {
		t.Errorf("standing %+v: want 2 contacts dialled, 2 calls, one recent and one capped", s)
	}
}
