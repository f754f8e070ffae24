package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Live returns the calls that were dialled and have no final outcome, sorted by dial time.
func (s *State) Live() []LiveCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedCopy(s.live)
}

// sortedCopy copies the calls of m, sorted by dial time.
func sortedCopy(m map[uint64]*LiveCall) []LiveCall {
	out := make([]LiveCall, 0, len(m))
	for _, lc := range m {
		out = append(out, *lc)
	}
	sortLive(out)
	return out
}

// Entry is what the journal says of one contact.
type Entry struct {
	Attempts int
	Status   Status // latest final (or timeout/unknown) status; "" if none
	Result   Result // what the latest final call was (see Outcome.Result); "" if none
	Live     *LiveCall
	Note     string // why its latest attempt was given back ("" if it was not)
	// Unsettled: its latest attempt may have made a call nobody has found yet (a torn intent, an
	// unresolved unknown): the row is not dialled until a search settles it.
	Unsettled bool
}

// Lookup returns what the journal says of key.
func (s *State) Lookup(key string) Entry {
	h := KeyHash(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.rows[h]
	if !ok {
		return Entry{}
	}
	e := Entry{Attempts: row.attempts(), Status: statusOfCode(row.status()), Note: s.notes[h], Unsettled: s.torn[h] != nil}
	if code := row.result(); code != 0 {
		e.Result = completedResults[code]
	} else if e.Status.Settled() && e.Status.Retryable() {
		e.Result = Result(e.Status)
	}
	if lc := s.live[h]; lc != nil {
		c := *lc
		e.Live = &c
	}
	return e
}

// Outcome reads back the latest final outcome of key from disk; ok is false when there is
// none.
func (s *State) Outcome(key string) (o Outcome, ok bool, err error) {
	s.mu.Lock()
	row, found := s.rows[KeyHash(key)]
	s.mu.Unlock()
	off := row.finalOff()
	if !found || off < 0 {
		return Outcome{}, false, nil
	}
	o, err = s.outcomeAt(off)
	return o, err == nil, err
}

// outcomeAt reads back the final record at byte off.
func (s *State) outcomeAt(off int64) (Outcome, error) {
	var f io.ReaderAt = s.store
	if s.store == nil {
		file, err := OpenNoFollow(s.path, os.O_RDONLY, 0)
		if err != nil {
			return Outcome{}, fmt.Errorf("state: %w", err)
		}
		defer file.Close()
		f = file
	}
	buf, err := readLine(f, off)
	if err != nil {
		return Outcome{}, fmt.Errorf("state: reading %s: %w", s.path, err)
	}
	var rec record
	if err := json.Unmarshal(bytes.TrimSpace(buf), &rec); err != nil || rec.Outcome == nil {
		return Outcome{}, fmt.Errorf("state: %s: record at byte %d is unreadable", s.path, off)
	}
	o := *rec.Outcome
	o.AgentID = s.agentOf(rec)
	return o, nil
}

// LastAccount is the account as the latest run found it; nil before any run.
func (s *State) LastAccount() *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account
}

// StoppedArms are the agents the latest run stopped dialling through (see StopArm), in the
// order stopped; nil when it stopped none.
func (s *State) StoppedArms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stopped)
}

// Spent is the summed total_cost of every outcome recorded, across runs: what the campaign has
// cost so far.
func (s *State) Spent() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spent
}

// readLine reads the journal line that starts at off.
func readLine(f io.ReaderAt, off int64) ([]byte, error) {
	buf := make([]byte, 0, 2048)
	for chunk := 2048; ; chunk *= 2 {
		part := make([]byte, chunk)
		n, err := f.ReadAt(part, off+int64(len(buf)))
		if i := bytes.IndexByte(part[:n], '\n'); i >= 0 {
			return append(buf, part[:i]...), nil
		}
		buf = append(buf, part[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return nil, err
		}
		if len(buf) > maxLine {
			return nil, fmt.Errorf("record at byte %d has no end", off)
		}
	}
}

// Skipped is the number of undecodable lines passed over when the journal was loaded.
func (s *State) Skipped() int { return s.skipped }

// Torn returns the intents to dial that a crash cut mid-record, and the attempts left
// unresolved (see [Outcome.Unresolved]): the call may exist, and its contact is dialled only
// once a search has shown it does not (see [State.Settle]).
func (s *State) Torn() []LiveCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedCopy(s.torn)
}

// Placing reports whether ref is the reference of an intent to dial that is live and has no
// execution id yet: its POST /call is on its way (or its reply was lost).
func (s *State) Placing(ref string) bool {
	// ref is campaign-hash-attempt-run (see Ref).
	parts := strings.Split(ref, "-")
	if len(parts) != 4 || parts[0] != s.campaign {
		return false
	}
	h, err := strconv.ParseUint(parts[1], 16, 64)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lc := s.live[h]
	return lc != nil && lc.Ref == ref && lc.ExecutionID == ""
}

// Standing is where a campaign stands according to its journal.
type Standing struct {
	Campaign string         `json:"campaign"`
	Agent    string         `json:"agent"`
	API      string         `json:"api"`
	Dialled  int            `json:"dialled"`   // contacts dialled at least once (a call placed)
	Attempts int            `json:"attempts"`  // calls placed, all attempts (not those the guard kept off)
	InFlight int            `json:"in_flight"` // calls placed and not final (or timed out)
	ByStatus map[Status]int `json:"by_status"` // the latest outcome of each contact that has one
	Spent    float64        `json:"spent"`     // summed total_cost (cents)
	Account  *Account       `json:"account,omitempty"`
}

// Standing sums the journal up: no record is read back from disk.
func (s *State) Standing() Standing {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Standing{Campaign: s.campaign, Agent: s.owner.Agent, API: s.owner.API, ByStatus: map[Status]int{},
		InFlight: len(s.live), Spent: s.spent, Account: s.account}
	for _, row := range s.rows {
		calls := row.attempts()
		if code := row.status(); code != 0 {
			status := statusOfCode(code)
			st.ByStatus[status]++
			calls = status.Calls(calls)
		}
		if calls > 0 {
			st.Dialled++
			st.Attempts += calls
		}
	}
	return st
}

func sortLive(calls []LiveCall) {
	slices.SortFunc(calls, func(a, b LiveCall) int { return a.DialedAt.Compare(b.DialedAt) })
}

// Fate is what the journal says became of one attempt, by its reference (see [State.FateOf]).
type Fate uint8

// The fates of an attempt.
const (
	FateUnknown Fate = iota // not an attempt of this campaign's journal
	FateOpen                // still followed: live, or a torn intent or unknown call a search must settle
	FateFinal               // it came to an outcome (its row's latest, or an earlier attempt's)
	FateVoid                // given back: no call counts for it
)

// FateOf says what became of the attempt ref (campaign-hash-attempt-run, see [State.Ref]),
// with its outcome when it is its row's latest. The journal keeps the rows' latest attempts,
// not every reference: an attempt given back whose number a later attempt took again reads
// as that attempt's fate (final), which counts a call too many, never one too few.
func (s *State) FateOf(ref string) (Fate, *Outcome, error) {
	parts := strings.Split(ref, "-")
	if len(parts) != 4 || parts[0] != s.campaign {
		return FateUnknown, nil, nil
	}
	h, err := strconv.ParseUint(parts[1], 16, 64)
	n, nerr := strconv.Atoi(parts[2])
	if err != nil || nerr != nil {
		return FateUnknown, nil, nil
	}
	s.mu.Lock()
	row, found := s.rows[h]
	open := s.live[h] != nil && s.live[h].Ref == ref || s.torn[h] != nil && s.torn[h].Attempt == n
	s.mu.Unlock()
	switch {
	case open:
		return FateOpen, nil, nil
	case !found || row.attempts() < n:
		return FateVoid, nil, nil
	case row.attempts() > n || row.finalOff() < 0:
		return FateFinal, nil, nil
	}
	o, err := s.outcomeAt(row.finalOff())
	if err != nil {
		return FateFinal, nil, err
	}
	return FateFinal, &o, nil
}

// Path is the journal's file.
func (s *State) Path() string { return s.path }
