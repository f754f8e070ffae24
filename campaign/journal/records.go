package journal

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// journal record kinds.
const (
	evCampaign = "campaign" // first line: the campaign's id
	evDial     = "dial"     // intent to dial, synced before POST /call
	evPlaced   = "placed"   // the execution id, synced after POST /call
	evVoid     = "void"     // the POST was refused (429 to the end): no call exists
	evFinal    = "final"    // the attempt's outcome
	evAccount  = "account"  // the account as a run found it: wallet and concurrency
	// evTorn is an intent to dial whose record was cut (the journal's torn last line), kept
	// whole so that the call it may have made is looked for before the contact is dialled;
	// evSettled closes it.
	evTorn    = "torn"
	evSettled = "settled"
	// evKeys says how contacts are keyed (an older journal's first line does not).
	evKeys = "keys"
	// evStop says the run stopped dialling through an experiment's agent (--stop-losers),
	// and why; a later run's account record (its start) ends what it says.
	evStop = "stop"
)

type record struct {
	Ev          string    `json:"ev"`
	V           int       `json:"v,omitempty"`
	Campaign    string    `json:"campaign,omitempty"`
	Agent       string    `json:"agent,omitempty"`
	API         string    `json:"api,omitempty"`
	Keys        string    `json:"keys,omitempty"`
	Key         string    `json:"key,omitempty"`
	Phone       string    `json:"phone,omitempty"`
	Attempt     int       `json:"attempt,omitempty"`
	Line        int       `json:"line,omitempty"` // the list's line an intent dials (see Attempts)
	From        string    `json:"from,omitempty"`
	Reason      string    `json:"reason,omitempty"` // why an attempt was given back (void)
	Ref         string    `json:"ref,omitempty"`
	ExecutionID string    `json:"execution_id,omitempty"`
	At          time.Time `json:"at,omitzero"`
	Outcome     *Outcome  `json:"outcome,omitempty"`
	Account     *Account  `json:"account,omitempty"`
}

// JournalError says the journal is damaged somewhere other than its last line: a record a
// crash cannot explain. The run stops before dialling anyone, since a record read as missing
// could be a contact dialled again.
type JournalError struct {
	Path   string
	Line   int
	Offset int64
	Reason string
}

func (e *JournalError) Error() string {
	return fmt.Sprintf("state: %s is damaged at line %d (byte %d): %s. Nothing was dialled: the journal is what keeps "+
		"contacts from being dialled twice, so a damaged one is never guessed at. Restore it from a backup, or repair that "+
		"line by hand (deleting a \"dial\" line may have its contact dialled again)", e.Path, e.Line, e.Offset, e.Reason)
}

// The journal's format versions. A journal of a later version than this build reads is
// refused: its records may mean what this build cannot read, and a record misread could be a
// contact dialled twice.
const (
	// journalVersion is the newest version this build reads.
	journalVersion = armsVersion
	// baseVersion is written in a journal's first line: a journal of one agent is read by
	// every build since the journal had versions.
	baseVersion = 1
	// armsVersion marks a journal with attempts through an agent other than its owner's (an
	// experiment's arms): a second campaign line of this version is written before the first
	// such record, so that a build that reads only version 1 refuses the journal instead of
	// searching for those calls under the owner's agent, finding them absent and dialling
	// the people again (TestArmsMarkTheJournal).
	armsVersion = 2
)

// VersionError is a journal written by a later version of bolna-campaign.
type VersionError struct {
	Path    string
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("state: %s was written by a newer bolna-campaign (journal version %d; this one reads up to %d). Nothing was dialled: run the campaign with the version that wrote it, or a later one",
		e.Path, e.Version, journalVersion)
}

func loadState(path string, f io.Reader) (*State, *record, error) {
	return loadBounded(path, f, maxLine)
}

// loadBounded replays the journal in f, refusing a line longer than limit bytes.
func loadBounded(path string, f io.Reader, limit int) (*State, *record, error) {
	s := &State{path: path, rows: map[uint64]rowState{}, live: map[uint64]*LiveCall{}, torn: map[uint64]*LiveCall{}, run: randomHex(3)}
	br := bufio.NewReaderSize(f, 256<<10)
	var (
		off    int64
		torn   *record
		lastAt time.Time // the latest time a record gives: a torn intent is no older
	)
	for n := 1; ; n++ {
		line, err := readBounded(br, limit)
		if errors.Is(err, errLineTooLong) {
			return nil, nil, &JournalError{Path: path, Line: n, Offset: off, Reason: err.Error()}
		}
		if len(line) > 0 && line[len(line)-1] != '\n' {
			// The torn last line of a crash mid-write: dropped, but an intent to dial in it
			// may have been synced and sent before the file was cut, so it is kept.
			if torn = tornIntent(line); torn == nil {
				s.skipped++
			} else if torn.At.IsZero() {
				torn.At = lastAt
			}
			break
		}
		if len(line) > 0 {
			var rec record
			js, err := s.unseal(bytes.TrimRight(line, "\r\n"))
			if err != nil {
				return nil, nil, &JournalError{Path: path, Line: n, Offset: off, Reason: err.Error()}
			}
			if err := json.Unmarshal(js, &rec); err != nil || rec.Ev == "" {
				return nil, nil, &JournalError{Path: path, Line: n, Offset: off, Reason: "the line is not a record"}
			}
			var verr *VersionError
			if err := s.apply(rec, off); errors.As(err, &verr) {
				return nil, nil, err
			} else if err != nil {
				return nil, nil, &JournalError{Path: path, Line: n, Offset: off, Reason: err.Error()}
			}
			if rec.At.After(lastAt) {
				lastAt = rec.At
			}
			off += int64(len(line))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("state: %s: %w", path, err)
		}
	}
	s.size = off
	return s, torn, nil
}

// maxLine bounds a journal line: longer than any record bolna-campaign writes (a final record
// holds at most what a reply of the client's largest body (dialer.MaxBodySize) says, escaped), it is read no further.
const maxLine = 64 << 20

var errLineTooLong = fmt.Errorf("the line is longer than any record (%d MiB): no record bolna-campaign wrote, nor one a crash cut", maxLine>>20)

// readBounded reads one line of at most limit bytes (its newline included, if it has one): a
// longer one is errLineTooLong, having read no more than limit of it.
func readBounded(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > limit {
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// tornDial matches the start of a dial record as json.Marshal writes it (fields in the order of
// record), up to a complete attempt number; the agent of an experiment's arm comes first.
var tornDial = regexp.MustCompile(`^\{"ev":"dial",(?:"agent":("(?:[^"\\]|\\.)*"),)?"key":("(?:[^"\\]|\\.)*"),"phone":("(?:[^"\\]|\\.)*"),"attempt":([0-9]+)[,}]`)

// tornIntent reads what a cut dial record still says: the contact and the attempt are enough to
// look for its call (its reference is known up to the run's suffix, see [State.Ref]).
func tornIntent(line []byte) *record {
	m := tornDial.FindSubmatch(line)
	if m == nil {
		return nil
	}
	rec := record{Ev: evDial}
	if json.Unmarshal(m[2], &rec.Key) != nil || json.Unmarshal(m[3], &rec.Phone) != nil || rec.Key == "" {
		return nil
	}
	if len(m[1]) > 0 && json.Unmarshal(m[1], &rec.Agent) != nil {
		return nil
	}
	n, err := strconv.Atoi(string(m[4]))
	if err != nil || n < 1 {
		return nil
	}
	rec.Attempt = n
	var whole record
	if json.Unmarshal(append(slices.Clone(line), '}'), &whole) == nil && whole.Ref != "" {
		rec.Ref = whole.Ref
	}
	if at := bytes.Index(line, []byte(`"at":"`)); at >= 0 {
		if end := bytes.IndexByte(line[at+6:], '"'); end >= 0 {
			rec.At, _ = time.Parse(time.RFC3339Nano, string(line[at+6:at+6+end]))
		}
	}
	return &rec
}

// apply folds one record into the in-memory index.
func (s *State) apply(rec record, off int64) error {
	if rec.Ev != evCampaign {
		s.records++
	}
	switch rec.Ev {
	case evAccount, evCampaign, evKeys, evTorn, evSettled, evStop:
		return s.applyNote(rec)
	}
	h := KeyHash(rec.Key)
	row := s.rows[h]
	switch rec.Ev {
	case evDial:
		delete(s.notes, h)
		if rec.Key == rec.Phone {
			s.byPhone++
		} else if rec.Ref != "imported" {
			s.byOther++
		}
		if tc := s.torn[h]; tc != nil && tc.Attempt <= rec.Attempt {
			delete(s.torn, h) // a later intent: the torn one was looked for, or never sent
		}
		row = row.withAttempts(max(row.attempts(), rec.Attempt))
		s.live[h] = &LiveCall{Key: rec.Key, Phone: rec.Phone, Attempt: rec.Attempt, Ref: rec.Ref, DialedAt: rec.At, From: rec.From, Agent: s.agentOf(rec)}
	case evPlaced:
		if lc := s.live[h]; lc != nil && lc.Attempt == rec.Attempt {
			lc.ExecutionID, lc.PlacedAt = rec.ExecutionID, rec.At
		}
	case evVoid:
		if lc := s.live[h]; lc != nil && lc.Attempt == rec.Attempt {
			delete(s.live, h)
			row = row.withAttempts(rec.Attempt - 1)
			if rec.Reason != "" {
				if s.notes == nil {
					s.notes = map[uint64]string{}
				}
				s.notes[h] = rec.Reason
			}
		}
	case evFinal:
		var err error
		if row, err = s.applyFinal(rec, off, h, row); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown record %q", rec.Ev)
	}
	s.rows[h] = row
	return nil
}

// applyNote replays a record that is not about an attempt's call: the campaign's first line,
// its keying, the account, a torn intent kept whole and its settling, an arm stopped.
func (s *State) applyNote(rec record) error {
	switch rec.Ev {
	case evAccount:
		if rec.Account != nil {
			a := *rec.Account
			s.account = &a
		}
		s.stopped = nil // a run begins: it dials through every arm until it stops one
	case evStop:
		if !slices.Contains(s.stopped, rec.Agent) {
			s.stopped = append(s.stopped, rec.Agent)
		}
	case evCampaign:
		if s.campaign != "" && s.campaign != rec.Campaign {
			return errors.New("two campaigns in one journal")
		}
		if rec.V > journalVersion {
			return &VersionError{Path: s.path, Version: rec.V}
		}
		s.arms = s.arms || rec.V >= armsVersion
		if s.campaign == "" { // the first line; a later one only marks a version (see markArms)
			s.campaign, s.owner = rec.Campaign, Owner{Agent: rec.Agent, API: rec.API}
		}
		s.keys = cmp.Or(rec.Keys, s.keys)
	case evKeys:
		s.keys = rec.Keys
	case evTorn:
		s.torn[KeyHash(rec.Key)] = &LiveCall{Key: rec.Key, Phone: rec.Phone, Attempt: rec.Attempt, Ref: rec.Ref, DialedAt: rec.At, Agent: s.agentOf(rec)}
	case evSettled:
		if tc := s.torn[KeyHash(rec.Key)]; tc != nil && tc.Attempt == rec.Attempt {
			delete(s.torn, KeyHash(rec.Key))
		}
	}
	return nil
}

// agentOf is the agent of an attempt's record: its own, or (as every record of an older
// journal, and every call through the campaign's first agent) the owner's.
func (s *State) agentOf(rec record) string { return cmp.Or(rec.Agent, s.owner.Agent) }

// applyFinal replays an attempt's outcome: the row's latest final record, the spend, and the
// call no longer live (a timeout's call is, for the next run to follow).
func (s *State) applyFinal(rec record, off int64, h uint64, row rowState) (rowState, error) {
	if rec.Outcome == nil {
		return row, errors.New("final record without an outcome")
	}
	if off >= 1<<40-1 {
		return row, errors.New("journal larger than 1 TiB")
	}
	row = row.withFinal(off, statusCode(rec.Outcome.Status), resultCode(rec.Outcome.Result()))
	s.spent += rec.Outcome.Cost
	if tc := s.torn[h]; tc != nil && tc.Attempt <= rec.Attempt {
		delete(s.torn, h) // its call was found (and this is its outcome), or it is unresolved anew
	}
	if lc := s.live[h]; lc != nil && lc.Attempt == rec.Attempt {
		if rec.Outcome.Unresolved && lc.ExecutionID == "" {
			// No search could tell whether its call exists: it is looked for again, like a
			// torn intent, before its row is dialled (see Entry.Unsettled).
			s.torn[h] = &LiveCall{Key: lc.Key, Phone: lc.Phone, Attempt: lc.Attempt, Ref: lc.Ref, DialedAt: lc.DialedAt, From: lc.From, Agent: lc.Agent}
		}
		if rec.Outcome.Status == StatusTimeout {
			lc.ExecutionID = rec.Outcome.ExecutionID // still followed by the next run
		} else {
			delete(s.live, h)
		}
	}
	return row, nil
}

// crcTable is CRC-32C (Castagnoli), which most processors compute in hardware.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// crcSuffix ends every journal line since checksums were added: the CRC-32C of the line's
// JSON without it, in hex. A value changed on disk (one digit of a key) is seen on load.
var crcSuffix = regexp.MustCompile(`,"crc":"([0-9a-f]{8})"\}$`)

// seal adds the checksum to a record's JSON (an object).
func seal(js []byte) []byte {
	sum := crc32.Checksum(js, crcTable)
	return fmt.Appendf(js[:len(js)-1:len(js)-1], `,"crc":"%08x"}`, sum)
}

// unseal checks a line's checksum and returns the JSON it covers. A line without one is an
// older journal's and is taken as it is, until a line with one was read (see State.summed).
func (s *State) unseal(line []byte) ([]byte, error) { return unsealLine(line, &s.summed) }

// unsealLine is unseal for a reader of its own, which keeps summed.
func unsealLine(line []byte, summed *bool) ([]byte, error) {
	m := crcSuffix.FindSubmatchIndex(line)
	if m == nil {
		if *summed {
			return nil, errors.New("the line has no checksum, unlike the lines before it")
		}
		return line, nil
	}
	js := append(line[:m[0]:m[0]], '}')
	want, _ := strconv.ParseUint(string(line[m[2]:m[3]]), 16, 32)
	if crc32.Checksum(js, crcTable) != uint32(want) {
		return nil, errors.New("the line's checksum does not match: a value in it was changed")
	}
	*summed = true
	return js, nil
}

// markArms writes, s.mu held, the campaign line of armsVersion (see there).
func (s *State) markArms() error {
	mark, err := json.Marshal(record{Ev: evCampaign, V: armsVersion, Campaign: s.campaign, At: s.clock().UTC()})
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	mark = append(seal(mark), '\n')
	if _, err := s.store.Write(mark); err != nil {
		return fmt.Errorf("state: writing %s: %w", s.path, err)
	}
	s.size += int64(len(mark))
	s.arms = true
	return nil
}

// append writes rec; when durable, it returns only once rec is on disk. Concurrent durable
// appends share one fsync (group commit).
func (s *State) append(rec record, durable bool) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	line = append(seal(line), '\n')
	if len(line) > maxLine {
		return fmt.Errorf("state: a %s record of %d bytes is longer than a journal line may be (%d MiB)", rec.Ev, len(line), maxLine>>20)
	}
	s.mu.Lock()
	if s.store == nil {
		s.mu.Unlock()
		return errors.New("state: read-only")
	}
	if s.header != nil {
		head, err := json.Marshal(s.header)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("state: %w", err)
		}
		head = seal(head)
		if _, err := s.store.Write(append(head, '\n')); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("state: writing %s: %w", s.path, err)
		}
		s.size += int64(len(head)) + 1
		s.header = nil
	}
	if rec.Agent != "" && !s.arms { // the first record through an agent not the owner's
		if err := s.markArms(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	off := s.size
	if _, err := s.store.Write(line); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("state: writing %s: %w", s.path, err)
	}
	s.size += int64(len(line))
	s.written++
	seq := s.written
	err = s.apply(rec, off)
	s.mu.Unlock()
	if err != nil || !durable {
		return err
	}

	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= seq {
		return nil // another append's fsync covered this record
	}
	s.mu.Lock()
	upto := s.written
	s.mu.Unlock()
	if err := s.store.Sync(); err != nil {
		return fmt.Errorf("state: syncing %s: %w", s.path, err)
	}
	s.synced = upto
	return nil
}
