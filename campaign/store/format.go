package store

import (
	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// ResultsFormat is what a campaign needs of its results file's format. The results package
// implements it in its own types, without importing campaign or store (a [TypedFormat]); the
// command wires it in with [FormatOf].
type ResultsFormat interface {
	// Layout reads a results file's header and returns how to read the outcome of a row (the
	// whole record, input cells first). It fails for a file that is not a results file.
	Layout(header []string) (func(record []string) (journal.Outcome, error), error)
	// Create starts a results file that replaces path when committed.
	Create(path string) (ResultFile, error)
	// CreateAttempts starts an attempts log (see [Campaign.AttemptsPath]) that replaces path
	// when committed.
	CreateAttempts(path string) (AttemptFile, error)
}

// TypedFormat is a [ResultsFormat] whose files are of its own types: results.Format is a
// TypedFormat[*results.Writer, *results.AttemptLog].
type TypedFormat[R ResultFile, A AttemptFile] interface {
	Layout(header []string) (func(record []string) (journal.Outcome, error), error)
	Create(path string) (R, error)
	CreateAttempts(path string) (A, error)
}

// FormatOf is f as a [ResultsFormat]: store.FormatOf(results.Format{}).
func FormatOf[R ResultFile, A AttemptFile](f TypedFormat[R, A]) ResultsFormat {
	return typedFormat[R, A]{f}
}

type typedFormat[R ResultFile, A AttemptFile] struct{ f TypedFormat[R, A] }

func (t typedFormat[R, A]) Layout(header []string) (func([]string) (journal.Outcome, error), error) {
	return t.f.Layout(header)
}

func (t typedFormat[R, A]) Create(path string) (ResultFile, error) {
	w, err := t.f.Create(path)
	if err != nil {
		return nil, err // not a nil *Writer in an interface
	}
	return w, nil
}

func (t typedFormat[R, A]) CreateAttempts(path string) (AttemptFile, error) {
	w, err := t.f.CreateAttempts(path)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// AttemptFile is an attempts log being written: every attempt of every row, one line each.
type AttemptFile interface {
	WriteAttempt(journal.Attempt) error
	Commit() error
	Abort()
}

// ResultFile is a results file being written (the runner's campaign.ResultWriter): nothing
// replaces the previous one until Commit.
type ResultFile interface {
	campaign.ResultWriter
	Commit() error
	Abort()
}
