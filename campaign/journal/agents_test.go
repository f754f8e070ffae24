package journal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	dial := dialAs(t, st)
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

// TestArmsMarkTheJournal: the first record through an agent other than the owner's is preceded,
// once, by a campaign line of version 2, so that a build that reads only version 1 refuses the
// journal (it would look for those calls under the owner's agent, find them absent and dial the
// people again); a journal of one agent keeps version 1 alone, and this build reads both.
func TestArmsMarkTheJournal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.csv.state")
	st, err := journal.OpenState(path, owner)
	if err != nil {
		t.Fatal(err)
	}
	dial := dialAs(t, st)
	versions := func() []string { // the versions of the campaign lines, and where the other agent first shows
		t.Helper()
		b, _ := os.ReadFile(path)
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			switch {
			case strings.Contains(line, `"ev":"campaign"`):
				out = append(out, line[strings.Index(line, `"v":`):][:5])
			case strings.Contains(line, `"agent":"agent-b"`):
				out = append(out, "agent-b")
			}
		}
		return out
	}
	dial("+14155550401", owner.Agent)
	if got := versions(); !slices.Equal(got, []string{`"v":1`}) {
		t.Fatalf("a journal of one agent: %q, want its first line alone, version 1", got)
	}
	dial("+14155550402", "agent-b")
	dial("+14155550403", "agent-b")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := versions(); !slices.Equal(got, []string{`"v":1`, `"v":2`, "agent-b", "agent-b"}) {
		t.Errorf("a journal with arms: %q, want a version 2 line once, before the first record of another agent", got)
	}
	read, err := journal.ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if read.Owner() != owner || len(read.Live()) != 3 {
		t.Errorf("read back: owner %+v, %d calls live; want %+v and 3", read.Owner(), len(read.Live()), owner)
	}
	again, err := journal.OpenState(path, owner) // reopened and dialled through the other agent again: no second mark
	if err != nil {
		t.Fatal(err)
	}
	if err := again.DialRow(journal.LiveCall{Key: "+14155550404", Phone: "+14155550404", Attempt: 1, Ref: again.Ref("+14155550404", 1), DialedAt: integrityAt, Agent: "agent-b"}); err != nil {
		t.Fatal(err)
	}
	again.Close()
	if got := versions(); !slices.Equal(got, []string{`"v":1`, `"v":2`, "agent-b", "agent-b", "agent-b"}) {
		t.Errorf("after a second run: %q, want the version 2 line still once", got)
	}
}

// dialAs records in st the intent to dial key through agent, as its first attempt.
func dialAs(t *testing.T, st *journal.State) func(key, agent string) {
	return func(key, agent string) {
		t.Helper()
		if err := st.DialRow(journal.LiveCall{Key: key, Phone: key, Attempt: 1, Ref: st.Ref(key, 1), DialedAt: integrityAt, Agent: agent}); err != nil {
			t.Fatal(err)
		}
	}
}
