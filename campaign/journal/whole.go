package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A journal proves it is whole: one rebuilt from the results file is written aside and put in
// place only once complete ([Rebuild]), and one that knows less than the results file shows
// ([State.Covers]) is refused, since a record missing from it would be a person dialled again
// and a final result lost.

// Rebuild writes the journal at path afresh from what fill adopts into it (see
// [State.Adopt]), keyed by keys: into a file beside it, synced, then renamed into place and
// the directory synced, so that a crash at any instant leaves no journal or a whole one, never
// a part taken for the whole. fill returns how many rows it adopted; with none, no journal is
// made.
func Rebuild(path string, owner Owner, keys string, fill func(*State) (int, error)) (int, error) {
	aside := path + ".rebuild" // one name: what a crashed rebuild left is started over
	if err := os.Remove(aside); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("state: %w", err)
	}
	st, err := OpenState(aside, owner)
	if err != nil {
		return 0, err
	}
	n, err := func() (int, error) {
		if err := st.BindKeys(keys); err != nil {
			return 0, err
		}
		return fill(st)
	}()
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil || n == 0 {
		os.Remove(aside)
		return 0, err
	}
	if err := os.Rename(aside, path); err != nil {
		os.Remove(aside)
		return 0, fmt.Errorf("state: %w", err)
	}
	return n, syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("state: syncing %s: %w", dir, err)
	}
	return nil
}

// Covers reports whether the journal knows at least what a results file shows of the contact
// key (o, its row's outcome there): a row dialled is one the journal knows, and a row final
// at its attempt is final in the journal at that attempt (or the journal knows a later one).
// The results are written from the journal, so a journal whole never knows less.
func (s *State) Covers(key string, o Outcome) bool {
	if o.Attempts < 1 {
		return true // never dialled (what a rebuild takes nothing from): nothing to know
	}
	h := KeyHash(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.rows[h]
	if !ok {
		return false
	}
	if !o.Status.Settled() {
		return true // in flight, timed out or pending: the journal's own view is followed
	}
	k := min(o.Attempts, 255)
	switch lc := s.live[h]; {
	case row.attempts() > k:
		return true
	case row.attempts() < k, lc != nil && lc.Attempt == k:
		return false // the final record of attempt k is missing
	}
	return statusOfCode(row.status()).Settled()
}

// Sync makes every record written so far durable (before the results are written from them).
func (s *State) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	if err := s.store.Sync(); err != nil {
		return fmt.Errorf("state: syncing %s: %w", s.path, err)
	}
	return nil
}
