package campaign

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// State is the durable record of a campaign across runs: an append-only journal of JSON lines
// beside the results file. Before each POST /call the intent to dial is written and synced;
// right after it, the execution id; when the call ends, its outcome. After a crash at any
// instant, replaying the journal tells for every contact whether it was never dialled, is in
// flight (follow it, never re-dial it), was placed with a lost reply (find it), or is done.
//
// Only small fixed-size entries are kept in memory per contact (the outcome itself stays on
// disk and is read back by offset), so a million-row campaign needs tens of megabytes.
type State struct {
	path     string
	f        *os.File // nil when read-only
	campaign string
	owner    Owner  // what the campaign dials through
	run      string // random id of this run, so that every intent's reference is unique

	mu      sync.Mutex
	size    int64 // end of the journal
	written uint64
	rows    map[uint64]rowState
	live    map[uint64]*LiveCall
	spent   float64  // summed total_cost of every attempt's outcome
	account *Account // the latest run's view of the account
	skipped int      // torn last lines dropped when loading
	summed  bool     // a line with a checksum was read: every later line must have one
	keys    string   // how the journal's contacts are keyed (see KeyScheme); "" when unsaid
	byPhone int      // intents keyed by their number, and by something else: how an older
	byOther int      // journal, which does not say, keyed its contacts
	records int      // records other than the campaign's own line
	torn    map[uint64]*LiveCall
	notes   map[uint64]string // why a row's latest attempt was given back (a call stopped before it rang)
	header  *record           // the campaign's first line, written with the first record (see OpenState)
	created bool              // this open created the file

	syncMu sync.Mutex
	synced uint64

	now func() time.Time // the clock of the records' times; the run's (Config.Now)
}

// rowState is what State keeps in memory per contact, packed in 8 bytes so that a million
// contacts cost a few tens of megabytes: the offset of the latest final record in the journal
// (40 bits, plus one; 0 for none), the attempts (8 bits, saturating) and the code of the
// latest final status (8 bits).
type rowState uint64

func (r rowState) finalOff() int64 { return int64(r&(1<<40-1)) - 1 }
func (r rowState) attempts() int   { return int(r >> 40 & 0xff) }
func (r rowState) status() uint8   { return uint8(r >> 48) }
func (r rowState) result() uint8   { return uint8(r >> 56 & 0x3) }

// withFinal records the latest final outcome: its offset, its status's code, and (2 bits) what
// a completed call was (see completedResults).
func (r rowState) withFinal(off int64, status, result uint8) rowState {
	return r&^(1<<40-1)&^(0xff<<48)&^(0x3<<56) | rowState(off+1) | rowState(status)<<48 | rowState(result&0x3)<<56
}

func (r rowState) withAttempts(n int) rowState {
	return r&^(0xff<<40) | rowState(min(max(n, 0), 255))<<40
}

// LiveCall is a call that was dialled and has no final outcome yet: in flight, timed out, or
// placed with a lost reply (ExecutionID empty).
type LiveCall struct {
	Key         string
	Phone       string
	Attempt     int
	Ref         string
	ExecutionID string
	DialedAt    time.Time
	From        string // the caller id it went out on ("" for Bolna's default)
	// Zone is the contact's zone for the calling window (nil when none applies): a call
	// still queued when the window closes is stopped. Not kept in the journal.
	Zone *time.Location
}

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
	From        string    `json:"from,omitempty"`
	Reason      string    `json:"reason,omitempty"` // why an attempt was given back (void)
	Ref         string    `json:"ref,omitempty"`
	ExecutionID string    `json:"execution_id,omitempty"`
	At          time.Time `json:"at,omitzero"`
	Outcome     *Outcome  `json:"outcome,omitempty"`
	Account     *Account  `json:"account,omitempty"`
}

// Account is the account as a run found it, kept so that a dry run can show it without
// calling Bolna.
type Account struct {
	Wallet      float64   `json:"wallet"` // as Bolna reports it (cents)
	Concurrency int       `json:"concurrency"`
	InUse       int       `json:"in_use"`
	At          time.Time `json:"at"`
}

// statusCode packs a final status into the 8 bits rowState keeps: its place in the status
// table, plus one (0 is none).
func statusCode(s Status) uint8 {
	if !s.Known() {
		s = StatusInvalid // anything else reads back as invalid
	}
	return uint8(s.order() + 1)
}

func statusOfCode(code uint8) Status {
	if code == 0 || int(code) > len(statuses) {
		return ""
	}
	return statuses[code-1].status
}

// StatePath is where the journal of the campaign whose results file is results lives.
func StatePath(results string) string { return results + ".state" }

// StopPath is where bolna-campaign stop asks the run holding the campaign's lock to stop.
func StopPath(results string) string { return results + ".stop" }

// LockPath is the lock file of the campaign whose results file is results.
func LockPath(results string) string { return results + ".lock" }

// KeyHash is the 64-bit FNV-1a hash by which contacts are indexed (and sharded).
func KeyHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// Owner is what a campaign dials through: its agent and API. A journal belongs to one owner,
// so that a results file made against the sandbox (or another agent) never passes for the real
// campaign's, which would skip rows that were never really called.
type Owner struct {
	Agent string
	API   string
}

// OwnerError says a journal belongs to another agent or API.
type OwnerError struct {
	Path       string
	Have, Want Owner
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("%s belongs to agent %s on %s, not agent %s on %s: use another --results file",
		e.Path, e.Have.Agent, e.Have.API, e.Want.Agent, e.Want.API)
}

// OpenState opens (or creates, mode 0600) the journal at path for appending, replaying what it
// holds. A torn last line, left by a crash in the middle of a write, is cut off (an intent to
// dial among it is kept, see [State.Torn]); damage anywhere else is a *JournalError. The journal
// must belong to owner (see [Owner]). A symbolic link at path is refused.
//
// A new journal gets its first line with its first record: a run that never reached Bolna (a
// refused key, a wrong --base-url) leaves no journal binding the campaign to that owner.
func OpenState(path string, owner Owner) (*State, error) {
	_, statErr := os.Lstat(path)
	f, err := openNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s, torn, err := loadState(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.created = errors.Is(statErr, os.ErrNotExist)
	if s.campaign != "" && s.owner != owner && s.records > 0 {
		f.Close()
		return nil, &OwnerError{Path: path, Have: s.owner, Want: owner}
	}
	s.f = f
	if s.campaign != "" && s.owner != owner {
		s.size, s.campaign = 0, "" // only a first line: nothing was ever done under that owner
	}
	if err := f.Truncate(s.size); err != nil {
		f.Close()
		return nil, fmt.Errorf("state: %w", err)
	}
	if _, err := f.Seek(s.size, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("state: %w", err)
	}
	if s.campaign == "" {
		s.campaign, s.owner = randomHex(6), owner
		s.header = &record{Ev: evCampaign, V: journalVersion, Campaign: s.campaign, Agent: owner.Agent, API: owner.API, At: s.clock().UTC()}
	}
	if torn != nil { // kept whole, now that the cut line is gone
		rec := *torn
		rec.Ev = evTorn
		if err := s.append(rec, true); err != nil {
			f.Close()
			return nil, err
		}
	}
	return s, nil
}

// ReadState replays the journal at path without taking it for writing (for --dry-run). A
// missing file is an empty state.
func ReadState(path string) (*State, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &State{path: path, rows: map[uint64]rowState{}, live: map[uint64]*LiveCall{}, torn: map[uint64]*LiveCall{}, run: "dryrun"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	defer f.Close()
	s, torn, err := loadState(path, f)
	if err != nil {
		return nil, err
	}
	if torn != nil {
		s.apply(record{Ev: evTorn, Key: torn.Key, Phone: torn.Phone, Attempt: torn.Attempt, Ref: torn.Ref, At: torn.At}, -1)
	}
	return s, nil
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

// journalVersion is the version of the journal's format this build writes, in its first
// line. A journal of a later version is refused: its records may mean what this build cannot
// read, and a record misread could be a contact dialled twice.
const journalVersion = 1

// VersionError is a journal written by a later version of bolna-campaign.
type VersionError struct {
	Path    string
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("state: %s was written by a newer bolna-campaign (journal version %d; this one reads up to %d). Nothing was dialled: run the campaign with the version that wrote it, or a later one",
		e.Path, e.Version, journalVersion)
}

func loadState(path string, f *os.File) (*State, *record, error) {
	s := &State{path: path, rows: map[uint64]rowState{}, live: map[uint64]*LiveCall{}, torn: map[uint64]*LiveCall{}, run: randomHex(3)}
	br := bufio.NewReaderSize(f, 256<<10)
	var (
		off    int64
		torn   *record
		lastAt time.Time // the latest time a record gives: a torn intent is no older
	)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
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
			lastAt = later(lastAt, rec.At)
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

// tornDial matches the start of a dial record as json.Marshal writes it (fields in the order of
// record), up to a complete attempt number.
var tornDial = regexp.MustCompile(`^\{"ev":"dial","key":("(?:[^"\\]|\\.)*"),"phone":("(?:[^"\\]|\\.)*"),"attempt":([0-9]+)[,}]`)

// tornIntent reads what a cut dial record still says: the contact and the attempt are enough to
// look for its call (its reference is known up to the run's suffix, see [State.Ref]).
func tornIntent(line []byte) *record {
	m := tornDial.FindSubmatch(line)
	if m == nil {
		return nil
	}
	rec := record{Ev: evDial}
	if json.Unmarshal(m[1], &rec.Key) != nil || json.Unmarshal(m[2], &rec.Phone) != nil || rec.Key == "" {
		return nil
	}
	n, err := strconv.Atoi(string(m[3]))
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
	if rec.Ev == evAccount {
		if rec.Account != nil {
			a := *rec.Account
			s.account = &a
		}
		return nil
	}
	if rec.Ev == evCampaign {
		if s.campaign != "" && s.campaign != rec.Campaign {
			return errors.New("two campaigns in one journal")
		}
		if rec.V > journalVersion {
			return &VersionError{Path: s.path, Version: rec.V}
		}
		s.campaign, s.owner = rec.Campaign, Owner{Agent: rec.Agent, API: rec.API}
		s.keys = cmp.Or(rec.Keys, s.keys)
		return nil
	}
	if rec.Ev == evKeys {
		s.keys = rec.Keys
		return nil
	}
	h := KeyHash(rec.Key)
	switch rec.Ev {
	case evTorn:
		s.torn[h] = &LiveCall{Key: rec.Key, Phone: rec.Phone, Attempt: rec.Attempt, Ref: rec.Ref, DialedAt: rec.At}
		return nil
	case evSettled:
		if tc := s.torn[h]; tc != nil && tc.Attempt == rec.Attempt {
			delete(s.torn, h)
		}
		return nil
	}
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
		s.live[h] = &LiveCall{Key: rec.Key, Phone: rec.Phone, Attempt: rec.Attempt, Ref: rec.Ref, DialedAt: rec.At, From: rec.From}
	case evPlaced:
		if lc := s.live[h]; lc != nil && lc.Attempt == rec.Attempt {
			lc.ExecutionID = rec.ExecutionID
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
		if rec.Outcome == nil {
			return errors.New("final record without an outcome")
		}
		if off >= 1<<40-1 {
			return errors.New("journal larger than 1 TiB")
		}
		row = row.withFinal(off, statusCode(rec.Outcome.Status), resultCode(rec.Outcome.Result()))
		s.spent += rec.Outcome.Cost
		if lc := s.live[h]; lc != nil && lc.Attempt == rec.Attempt {
			if rec.Outcome.Status == StatusTimeout {
				lc.ExecutionID = rec.Outcome.ExecutionID // still followed by the next run
			} else {
				delete(s.live, h)
			}
		}
	default:
		return fmt.Errorf("unknown record %q", rec.Ev)
	}
	s.rows[h] = row
	return nil
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
func (s *State) unseal(line []byte) ([]byte, error) {
	m := crcSuffix.FindSubmatchIndex(line)
	if m == nil {
		if s.summed {
			return nil, errors.New("the line has no checksum, unlike the lines before it")
		}
		return line, nil
	}
	js := append(line[:m[0]:m[0]], '}')
	want, _ := strconv.ParseUint(string(line[m[2]:m[3]]), 16, 32)
	if crc32.Checksum(js, crcTable) != uint32(want) {
		return nil, errors.New("the line's checksum does not match: a value in it was changed")
	}
	s.summed = true
	return js, nil
}

// append writes rec; when durable, it returns only once rec is on disk. Concurrent durable
// appends share one fsync (group commit).
func (s *State) append(rec record, durable bool) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	line = append(seal(line), '\n')
	s.mu.Lock()
	if s.f == nil {
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
		if _, err := s.f.Write(append(head, '\n')); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("state: writing %s: %w", s.path, err)
		}
		s.size += int64(len(head)) + 1
		s.header = nil
	}
	off := s.size
	if _, err := s.f.Write(line); err != nil {
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
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("state: syncing %s: %w", s.path, err)
	}
	s.synced = upto
	return nil
}

// SetClock sets the clock of the times the journal records (default time.Now).
func (s *State) SetClock(now func() time.Time) { s.now = now }

func (s *State) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// Campaign returns the campaign's id (random, made when the journal was created).
func (s *State) Campaign() string { return s.campaign }

// Ref returns the correlation reference of a contact's attempt in this run, carried in
// user_data: campaign, contact, attempt and run, so that no two intents share one.
func (s *State) Ref(key string, attempt int) string {
	return s.RefPrefix(key, attempt) + s.run
}

// Dial records, durably, the intent to dial key for the attempt-th time.
func (s *State) Dial(key, phone string, attempt int, ref string, at time.Time) error {
	return s.DialFrom(key, phone, "", attempt, ref, at)
}

// DialFrom is Dial on the caller id from: a resumed run counts its calls per number.
func (s *State) DialFrom(key, phone, from string, attempt int, ref string, at time.Time) error {
	return s.append(record{Ev: evDial, Key: key, Phone: phone, Attempt: attempt, Ref: ref, From: from, At: at.UTC()}, true)
}

// Placed records, durably, the execution id of an attempt.
func (s *State) Placed(key string, attempt int, executionID string, at time.Time) error {
	return s.append(record{Ev: evPlaced, Key: key, Attempt: attempt, ExecutionID: executionID, At: at.UTC()}, true)
}

// GiveBack records that an attempt's call was stopped before it rang (POST /call/{id}/stop):
// the attempt is not counted, the row is pending again, and reason says why.
func (s *State) GiveBack(key string, attempt int, reason string, at time.Time) error {
	return s.append(record{Ev: evVoid, Key: key, Attempt: attempt, Reason: reason, At: at.UTC()}, true)
}

// Void records that an attempt's POST was refused: no call exists and the attempt is not
// counted.
func (s *State) Void(key string, attempt int, at time.Time) error {
	return s.append(record{Ev: evVoid, Key: key, Attempt: attempt, At: at.UTC()}, true)
}

// Final records an attempt's outcome (a timeout too: the next run follows the call again).
// It is written at once but not synced on its own: a process killed right after still leaves
// it in the file, and should the machine go down before the next sync, the call is merely
// followed again (by id) by the next run. Only the intent and the execution id must be on
// disk before the run goes on.
func (s *State) Final(key string, attempt int, o Outcome) error {
	o.Attempts = attempt
	o.Duration, o.Cost = finite(o.Duration), finite(o.Cost) // JSON has no NaN: one odd payload must not stop the run
	return s.append(record{Ev: evFinal, Key: key, Attempt: attempt, At: s.clock().UTC(), Outcome: &o}, false)
}

// Adopt records what a results file says of a contact, for a journal rebuilt from the results
// when the journal itself was lost: a call in flight or timed out is followed again by the
// next run, a final outcome stands, and the attempts count. Rows never dialled need nothing.
// The records are synced by Close.
func (s *State) Adopt(key, phone string, o Outcome) error {
	if o.Attempts < 1 {
		return nil
	}
	at := o.DialedAt
	if at.IsZero() {
		at = s.clock().UTC()
	}
	rec := record{Ev: evDial, Key: key, Phone: phone, Attempt: o.Attempts, Ref: "imported", At: at}
	if err := s.append(rec, false); err != nil {
		return err
	}
	if o.ExecutionID != "" {
		if err := s.append(record{Ev: evPlaced, Key: key, Attempt: o.Attempts, ExecutionID: o.ExecutionID, At: at}, false); err != nil {
			return err
		}
	}
	switch {
	case o.Status == StatusInFlight && o.ExecutionID == "":
		// Its POST /call was answered by nothing the lost journal kept: the call may exist,
		// and without the journal its reference is unknown, so it cannot be looked for.
		o.Status = StatusUnknown
		o.Error = "the journal was lost while this row's call was being placed, so the call cannot be identified; not dialled again unless --retry unknown"
	case o.Status == StatusInFlight, o.Status == StatusPending, o.Status == "":
		if o.ExecutionID == "" { // never placed after all
			return s.append(record{Ev: evVoid, Key: key, Attempt: o.Attempts, At: at}, false)
		}
		return nil
	}
	return s.append(record{Ev: evFinal, Key: key, Attempt: o.Attempts, At: at, Outcome: &o}, false)
}

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
	e := Entry{Attempts: row.attempts(), Status: statusOfCode(row.status()), Note: s.notes[h]}
	if code := row.result(); code != 0 {
		e.Result = completedResults[code]
	} else if e.Status.Final() && e.Status.Retryable() {
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
	f := s.f
	if f == nil {
		if f, err = os.Open(s.path); err != nil {
			return Outcome{}, false, fmt.Errorf("state: %w", err)
		}
		defer f.Close()
	}
	buf, err := readLine(f, off)
	if err != nil {
		return Outcome{}, false, fmt.Errorf("state: reading %s: %w", s.path, err)
	}
	var rec record
	if err := json.Unmarshal(bytes.TrimSpace(buf), &rec); err != nil || rec.Outcome == nil {
		return Outcome{}, false, fmt.Errorf("state: %s: record at byte %d is unreadable", s.path, off)
	}
	return *rec.Outcome, true, nil
}

// NoteAccount records the account as this run found it.
func (s *State) NoteAccount(a Account) error {
	return s.append(record{Ev: evAccount, At: a.At, Account: &a}, false)
}

// LastAccount is the account as the latest run found it; nil before any run.
func (s *State) LastAccount() *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account
}

// Spent is the summed total_cost of every outcome recorded, across runs: what the campaign has
// cost so far.
func (s *State) Spent() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spent
}

// readLine reads the journal line that starts at off.
func readLine(f *os.File, off int64) ([]byte, error) {
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
		if len(buf) > 64<<20 {
			return nil, fmt.Errorf("record at byte %d has no end", off)
		}
	}
}

// Skipped is the number of undecodable lines passed over when the journal was loaded.
func (s *State) Skipped() int { return s.skipped }

// Close syncs and closes the journal; calling it again does nothing. A journal this open
// created and never wrote to is removed: nothing happened that it must remember.
func (s *State) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("state: closing %s: %w", s.path, err)
	}
	if s.created && s.size == 0 {
		os.Remove(s.path)
	}
	return nil
}

// Torn returns the intents to dial that a crash cut mid-record (see [State.Settle]): the call
// may exist, and its contact is dialled only once a search has shown it does not.
func (s *State) Torn() []LiveCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedCopy(s.torn)
}

// placing reports whether ref is the reference of an intent to dial that is live and has no
// execution id yet: its POST /call is on its way (or its reply was lost).
func (s *State) placing(ref string) bool {
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
	Dialled  int            `json:"dialled"`   // contacts dialled at least once
	Attempts int            `json:"attempts"`  // calls placed, all attempts
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
		if row.attempts() > 0 {
			st.Dialled++
			st.Attempts += row.attempts()
		}
		if code := row.status(); code != 0 {
			st.ByStatus[statusOfCode(code)]++
		}
	}
	return st
}

// KeyScheme names how a list's rows are keyed: "phone" (the normalised number), or
// "column:NAME" for --id-column NAME (the name as matched: trimmed, lower case).
func KeyScheme(idColumn string) string {
	if name := strings.ToLower(strings.TrimSpace(idColumn)); name != "" {
		return "column:" + name
	}
	return "phone"
}

// KeyingError says a run keys the list's rows otherwise than the runs that wrote the journal:
// every contact would be taken for a new one and dialled again.
type KeyingError struct {
	Path       string
	Have, Want string // key schemes (see KeyScheme); Have "column:" when an older journal did not say which
}

func (e *KeyingError) Error() string {
	return fmt.Sprintf("%s keys contacts by %s, but this run keys them by %s: every contact would be taken for a new one and dialled again. "+
		"Nothing was dialled. Run as before (%s), or use another --results file for a new campaign",
		e.Path, schemeText(e.Have), schemeText(e.Want), schemeFlag(e.Have))
}

func schemeText(scheme string) string {
	switch name, ok := strings.CutPrefix(scheme, "column:"); {
	case !ok:
		return "the phone number"
	case name == "":
		return "an id column"
	default:
		return "the id column " + strconv.Quote(name)
	}
}

func schemeFlag(scheme string) string {
	switch name, ok := strings.CutPrefix(scheme, "column:"); {
	case !ok:
		return "without --id-column"
	case name == "":
		return "with the --id-column of the earlier runs"
	default:
		return "--id-column " + name
	}
}

// BindKeys checks that the journal's contacts are keyed by scheme (see [KeyScheme]), and
// records the scheme in a journal that does not say yet. An older journal that does not say is
// judged by its intents: keyed by number when each intent's key is its number.
func (s *State) BindKeys(scheme string) error {
	s.mu.Lock()
	have := s.keys
	if have == "" && s.byOther > 0 {
		have = "column:"
	} else if have == "" && s.byPhone > 0 {
		have = "phone"
	}
	switch {
	case have == scheme:
	case have == "column:" && strings.HasPrefix(scheme, "column:"):
		// An older journal keyed by some column: this run's is taken for it.
	case have != "":
		s.mu.Unlock()
		return &KeyingError{Path: s.path, Have: have, Want: scheme}
	}
	if s.keys == scheme {
		s.mu.Unlock()
		return nil
	}
	if s.header != nil {
		s.header.Keys, s.keys = scheme, scheme
		s.mu.Unlock()
		return nil
	}
	ro := s.f == nil
	s.mu.Unlock()
	if ro {
		return nil
	}
	return s.append(record{Ev: evKeys, Keys: scheme, At: s.clock().UTC()}, false)
}

// Settle closes a torn intent: its call was looked for and not found.
func (s *State) Settle(key string, attempt int, at time.Time) error {
	return s.append(record{Ev: evSettled, Key: key, Attempt: attempt, At: at.UTC()}, true)
}

// AttemptOfRef is the attempt a reference was made for (see State.Ref), 0 if ref is not one.
func AttemptOfRef(ref string) int {
	parts := strings.Split(ref, "-")
	if len(parts) != 4 {
		return 0
	}
	n, _ := strconv.Atoi(parts[2])
	return n
}

// RefPrefix is the part of every reference of a contact's attempt that does not depend on the
// run: a torn intent's call is found by it.
func (s *State) RefPrefix(key string, attempt int) string {
	id := s.campaign
	if id == "" {
		id = "new" // a dry run before the first real run
	}
	return fmt.Sprintf("%s-%016x-%d-", id, KeyHash(key), attempt)
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sortLive(calls []LiveCall) {
	slices.SortFunc(calls, func(a, b LiveCall) int { return a.DialedAt.Compare(b.DialedAt) })
}
