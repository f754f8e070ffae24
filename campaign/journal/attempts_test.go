package journal

import (
	"path/filepath"
	"testing"
	"time"
)

// TestAttempts: the attempts are given in the order their outcomes were recorded, each once: a
// timeout followed later to its end is given with its final outcome, one left timed out comes
// last, a voided attempt (no call) is not given, and each carries its line and caller id.
func TestAttempts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	s, err := OpenState(path, Owner{Agent: "a", API: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dial := func(key string, n, line int) {
		if err := s.DialRow(LiveCall{Key: key, Phone: key, Attempt: n, Ref: s.Ref(key, n), DialedAt: at, Line: line, From: "+919800000001"}); err != nil {
			t.Fatal(err)
		}
	}
	dial("+1", 1, 2)
	dial("+2", 1, 3)
	dial("+3", 1, 4)
	s.Final("+2", 1, Outcome{Status: StatusTimeout, ExecutionID: "e2"})
	s.Final("+1", 1, Outcome{Status: StatusNoAnswer, ExecutionID: "e1", FinishedAt: at.Add(time.Minute)})
	s.Void("+3", 1, at)
	dial("+1", 2, 2)
	s.Final("+1", 2, Outcome{Status: StatusCompleted, ExecutionID: "e1b", Cost: 3.5})
	dial("+4", 1, 5)
	s.Final("+4", 1, Outcome{Status: StatusTimeout, ExecutionID: "e4"})
	s.Final("+2", 1, Outcome{Status: StatusCompleted, ExecutionID: "e2"})
	var got []string
	for a, err := range s.Attempts() {
		if err != nil {
			t.Fatal(err)
		}
		if a.From != "+919800000001" || a.Line == 0 || !a.DialedAt.Equal(at) {
			t.Errorf("attempt %+v lacks its caller id, line or dial time", a)
		}
		got = append(got, a.ExecutionID+":"+string(a.Status))
	}
	want := []string{"e1:no-answer", "e1b:completed", "e2:completed", "e4:timeout"}
	if len(got) != len(want) {
		t.Fatalf("attempts %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempts %v, want %v", got, want)
			break
		}
	}
}
