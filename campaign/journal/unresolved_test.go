package journal

import (
	"path/filepath"
	"testing"
	"time"
)

// TestUnresolvedIsLookedForAgain: an attempt whose call could not be looked for ends unknown and
// unresolved: it is kept among the intents to look for (Torn) and its row is unsettled, across a
// reopening, until a later record settles it: the call found (its intent whole again, then its
// outcome), or shown absent (Settle). A placed call keeps the time its POST was answered.
func TestUnresolvedIsLookedForAgain(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		then      func(s *State) error
		unsettled bool
	}{
		{"left unresolved", func(*State) error { return nil }, true},
		{"shown absent", func(s *State) error { return s.Settle("k", 1, at) }, false},
		{"found and followed", func(s *State) error {
			if err := s.Dial("k", "+919810000001", 1, "ref", at); err != nil {
				return err
			}
			return s.Placed("k", 1, "exec-1", at.Add(time.Second))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "r.csv.state")
			s, err := OpenState(path, Owner{Agent: "a", API: "x"})
			if err != nil {
				t.Fatal(err)
			}
			s.Dial("k", "+919810000001", 1, "ref", at)
			if err := s.Final("k", 1, Outcome{Status: StatusUnknown, Unresolved: true, DialedAt: at}); err != nil {
				t.Fatal(err)
			}
			if err := tt.then(s); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = OpenState(path, Owner{Agent: "a", API: "x"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			e := s.Lookup("k")
			if e.Unsettled != tt.unsettled || len(s.Torn()) != map[bool]int{true: 1}[tt.unsettled] {
				t.Errorf("unsettled %v with %d to look for, want %v", e.Unsettled, len(s.Torn()), tt.unsettled)
			}
			if tt.unsettled && (s.Torn()[0].Phone != "+919810000001" || !s.Torn()[0].DialedAt.Equal(at)) {
				t.Errorf("to look for: %+v, want its phone and dial time", s.Torn()[0])
			}
			if lc := e.Live; (lc != nil) != (tt.name == "found and followed") || lc != nil && !lc.PlacedAt.Equal(at.Add(time.Second)) {
				t.Errorf("live %+v, want the found call alone, placed at %v", lc, at.Add(time.Second))
			}
		})
	}
}
