package store

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// layout checks the results path: absent, or a results file of this tool (of any version).
// Anything else must not be overwritten: --results pointing at the contact list, or at some
// other CSV.
func (s *Session) layout() (func([]string) (journal.Outcome, error), error) {
	results := s.c.Results()
	f, err := journal.OpenNoFollow(results, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var header []string
	cr, _, err := contacts.NewCSVReader(journal.BoundLines(f, results, journal.MaxLine), "", 0) // in whatever dialect it was written
	if err == nil {
		header, err = cr.Read()
	}
	var layout func([]string) (journal.Outcome, error)
	if err == nil {
		layout, err = s.format.Layout(header)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &contacts.InputError{File: results, Err: fmt.Errorf("exists and is not a results file of bolna-campaign: refusing to overwrite it (choose another --results)")}
	}
	return layout, nil
}

// importResults rebuilds a lost journal st from the results file, so that the rows it shows
// as dialled are followed or kept, never dialled again. It returns how many rows it took.
func (s *Session) importResults(st *journal.State) (int, error) {
	st.SetClock(s.cfg.Now)
	taken := 0
	err := s.resultRows(func(row contacts.Row, out journal.Outcome) error {
		if out.Attempts == 0 {
			return nil // not dialled: nothing to keep
		}
		taken++
		return st.Adopt(row.Key, row.Phone, out)
	})
	return taken, err
}

// checkWhole refuses a journal that knows less than the results file shows (see
// [journal.State.Covers]), reading the results one row at a time.
func (s *Session) checkWhole() error {
	short := &ShortJournalError{Journal: s.c.StatePath(), Results: s.c.Results()}
	err := s.resultRows(func(row contacts.Row, out journal.Outcome) error {
		if !s.st.Covers(row.Key, out) {
			if short.Rows++; short.Line == 0 {
				short.Line = row.Line
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking the journal %s against %s: %w", short.Journal, short.Results, err)
	}
	if short.Rows > 0 {
		return short
	}
	return nil
}

// resultRows hands fn each row of the results file that has a key and an outcome (none when
// there is no results file), one at a time.
func (s *Session) resultRows(fn func(contacts.Row, journal.Outcome) error) error {
	layout, err := s.layout()
	if err != nil || layout == nil {
		return err
	}
	results := s.c.Results()
	f, err := journal.OpenNoFollow(results, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := s.cfg.Load
	opts.TimezoneColumn = ""
	opts.Encoding, opts.Delimiter = "", 0 // the results' own dialect, found
	l, err := contacts.NewLoader(journal.BoundLines(f, results, journal.MaxLine), results, opts)
	if err != nil {
		return err
	}
	for row, err := range l.All() {
		if err != nil {
			return err
		}
		out, err := layout(row.Record)
		if err != nil || row.Problem != "" {
			continue // not dialled, or not readable: nothing to keep
		}
		if err := fn(row, out); err != nil {
			return err
		}
	}
	return nil
}

// ShortJournalError says the journal knows less than the results file shows: rows the
// results show dialled that it does not know, or final that it does not have final. It was
// cut, emptied or replaced; a run on it would dial those people again and write their final
// results back as pending, so none is made.
type ShortJournalError struct {
	Journal, Results string
	Rows             int // rows of the results the journal falls short of
	Line             int // the first of them
}

func (e *ShortJournalError) Error() string {
	return fmt.Sprintf("the journal %s knows less than %s shows: %d %s dialled there (the first at line %d) %s missing from it or "+
		"not final in it, so it was cut, emptied or replaced. Nothing was dialled: on it, those people would be dialled again and "+
		"their results lost. Restore the journal from a backup; or, if it is lost for good, move it aside (mv %s %s.damaged) "+
		"and run again: a missing journal is rebuilt from %s (only calls placed after the results were last written are not in them)",
		e.Journal, e.Results, e.Rows, human.Plural(e.Rows, "row", "rows"), e.Line, human.Plural(e.Rows, "is", "are"), e.Journal, e.Journal, e.Results)
}
