package journal

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/lifecycle"
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
	store    Store // nil when read-only
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
	stopped []string // the agents the latest run stopped dialling through (StopArm)
	skipped int      // torn last lines dropped when loading
	summed  bool     // a line with a checksum was read: every later line must have one
	keys    string   // how the journal's contacts are keyed (see KeyScheme); "" when unsaid
	byPhone int      // intents keyed by their number, and by something else: how an older
	byOther int      // journal, which does not say, keyed its contacts
	records int      // records other than the campaign's own line
	torn    map[uint64]*LiveCall
	notes   map[uint64]string // why a row's latest attempt was given back (a call stopped before it rang)
	header  *record           // the campaign's first line, written with the first record (see OpenState)
	arms    bool              // the journal is marked of armsVersion (see there)
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
	PlacedAt    time.Time // when POST /call answered with its execution id (zero while unknown)
	Line        int       // the list's line it was dialled from (0: not recorded; see State.DialRow)
	From        string    // the caller id it went out on ("" for Bolna's default)
	// Agent is the agent it was dialled through: an experiment's arm ("" in an older
	// journal, whose every call went through its owner's agent).
	Agent string
	// Zone is the contact's zone for the calling window (nil when none applies): a call
	// still queued when the window closes is stopped. Not kept in the journal.
	Zone *time.Location
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
	r, ok := lifecycle.ResultAt(int(code) - 1)
	if !ok {
		return ""
	}
	return Status(r.Status)
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
	f, err := OpenNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s, err := openStore(path, &fileStore{f}, owner)
	if err != nil {
		return nil, err
	}
	s.created = errors.Is(statErr, os.ErrNotExist)
	return s, nil
}

// OpenStore opens the journal kept in store as OpenState opens a file's: name says which it is
// in errors. A [MemoryStore] keeps one in memory, for tests.
func OpenStore(name string, store Store, owner Owner) (*State, error) {
	return openStore(name, store, owner)
}

// openStore replays store and takes it for appending; it closes store when it fails.
func openStore(path string, store Store, owner Owner) (*State, error) {
	s, torn, err := loadState(path, io.NewSectionReader(store, 0, math.MaxInt64))
	if err != nil {
		store.Close()
		return nil, err
	}
	if s.campaign != "" && s.owner != owner && s.records > 0 {
		store.Close()
		return nil, &OwnerError{Path: path, Have: s.owner, Want: owner}
	}
	s.store = store
	if s.campaign != "" && s.owner != owner {
		s.size, s.campaign = 0, "" // only a first line: nothing was ever done under that owner
	}
	if err := store.Truncate(s.size); err != nil {
		store.Close()
		return nil, fmt.Errorf("state: %w", err)
	}
	if s.campaign == "" {
		s.campaign, s.owner = randomHex(6), owner
		s.header = &record{Ev: evCampaign, V: baseVersion, Campaign: s.campaign, Agent: owner.Agent, API: owner.API, At: s.clock().UTC()}
	}
	if torn != nil { // kept whole, now that the cut line is gone
		rec := *torn
		rec.Ev = evTorn
		if err := s.append(rec, true); err != nil {
			store.Close()
			return nil, err
		}
	}
	return s, nil
}

// ReadState replays the journal at path without taking it for writing (for --dry-run). A
// missing file is an empty state.
func ReadState(path string) (*State, error) {
	f, err := OpenNoFollow(path, os.O_RDONLY, 0)
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
		s.apply(record{Ev: evTorn, Key: torn.Key, Phone: torn.Phone, Agent: torn.Agent, Attempt: torn.Attempt, Ref: torn.Ref, At: torn.At}, -1)
	}
	return s, nil
}

// Campaign returns the campaign's id (random, made when the journal was created).
func (s *State) Campaign() string { return s.campaign }

// Owner is the agent and API the campaign was started with.
func (s *State) Owner() Owner { return s.owner }

// Close syncs and closes the journal; calling it again does nothing. A journal this open
// created and never wrote to is removed: nothing happened that it must remember.
func (s *State) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	err := s.store.Sync()
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	s.store = nil
	if err != nil {
		return fmt.Errorf("state: closing %s: %w", s.path, err)
	}
	if s.created && s.size == 0 {
		os.Remove(s.path)
	}
	return nil
}
