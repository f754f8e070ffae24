package journal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestAgentsOfAttempts: an experiment's attempt keeps its agent in the journal, live, final,
// and in a dial record a crash cut after its attempt number (its call is looked for in that
// agent's list); the owner's agent is left out of the records, as older journals wrote them,
// and an attempt of a journal that names no agent is the owner's.
func TestAgentsOfAttempts(t *testing.T) {
	t.Parallel()
	const other = "agent-b"
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(key, agent string) {
		t.Helper()
		if err := st.DialRow(journal.LiveCall{Key: key, Phone: key, Attempt: 1, Ref: st.Ref(key, 1), DialedAt: integrityAt, Agent: agent}); err != nil {
			t.Fatal(err)
		}
	}
	dial("+14155550301", owner.Agent)
	dial("+14155550302", other)
	if err := st.Final("+14155550302", 1, journal.Outcome{Status: journal.StatusCompleted, AgentID: other}); err != nil {
		t.Fatal(err)
	}
	dial("+14155550303", other)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if n := bytes.Count(b, []byte(`"agent":"`+owner.Agent+`"`)); n != 1 { // the first line's alone
		t.Errorf("the owner's agent is in %d lines, want 1 (the campaign's)", n)
	}
	// The last dial record cut after its attempt number: a torn intent, with its agent.
	lines := bytes.SplitAfter(b, []byte("\n"))
	last := lines[len(lines)-2] // the third dial ("" follows)
	i := bytes.Index(last, []byte(`"line"`))
	if i < 0 {
		i = bytes.Index(last, []byte(`"ref"`))
	}
	torn := append(bytes.Join(lines[:len(lines)-2], nil), last[:i]...)
	os.WriteFile(path, torn, 0o600)

	st, err = journal.ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Lookup("+14155550301"); e.Live == nil || e.Live.Agent != owner.Agent {
		t.Errorf("the owner's attempt reads %+v, want agent %s", e.Live, owner.Agent)
	}
	if o, ok, err := st.Outcome("+14155550302"); err != nil || !ok || o.AgentID != other {
		t.Errorf("the final outcome reads agent %q (%v), want %s", o.AgentID, err, other)
	}
	if tc := st.Torn(); len(tc) != 1 || tc[0].Agent != other {
		t.Errorf("torn intents %+v, want one of agent %s", tc, other)
	}
}
