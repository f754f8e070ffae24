package campaign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// ResultsFormat is what a campaign needs of its results file's format. The results package
// implements it in its own types, without importing campaign (a [TypedFormat]); the command
// wires it in with [FormatOf].
type ResultsFormat interface {
	// Layout reads a results file's header and returns how to read the outcome of a row (the
	// whole record, input cells first). It fails for a file that is not a results file.
	Layout(header []string) (func(record []string) (journal.Outcome, error), error)
	// Create starts a results file that replaces path when committed.
	Create(path string) (ResultFile, error)
	// CreateAttempts starts an attempts log (see AttemptsPath) that replaces path when
	// committed.
	CreateAttempts(path string) (AttemptFile, error)
}

// TypedFormat is a [ResultsFormat] whose files are of its own types: results.Format is a
// TypedFormat[*results.Writer, *results.AttemptLog].
type TypedFormat[R ResultFile, A AttemptFile] interface {
	Layout(header []string) (func(record []string) (journal.Outcome, error), error)
	Create(path string) (R, error)
	CreateAttempts(path string) (A, error)
}

// FormatOf is f as a [ResultsFormat]: campaign.FormatOf(results.Format{}).
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

// AttemptsPath is the attempts log beside results: RESULTS.attempts.csv (a results path's
// .csv left off first), every attempt of every row, where the results file keeps each row's
// latest.
func AttemptsPath(results string) string {
	base := results
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".csv") {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".attempts.csv"
}

// ResultFile is a results file being written: nothing replaces the previous one until Commit.
type ResultFile interface {
	ResultWriter
	Commit() error
	Abort()
}

// Files name a campaign's files: the contact list and the results file (the journal and the
// lock live beside the results, see [journal.StatePath] and [journal.LockPath]).
type Files struct {
	Input   string
	Results string
	Format  ResultsFormat
}

// Session is one campaign, opened for a run: its results file and journal, locked against any
// other run for as long as it is open. It owns the whole lifecycle — the lock, the checks of the
// results file, the journal (rebuilt from the results when it was lost), the run, the atomic
// write of the results — so that the command, the tests and the benchmarks take one path.
// Open one with [Open]; [Inspect] opens one read-only for a dry run.
type Session struct {
	files Files
	owner journal.Owner
	cfg   Config
	lock  *journal.Lock
	st    *journal.State
	kept  bool   // KeepRequests was called: Run leaves the requests to it
	aside string // a dry run's rebuild of a missing journal: a temporary directory, removed by Close

	// Rebuilt is the number of dialled rows taken from the results file into a journal that
	// was missing (0 when the journal was there).
	Rebuilt int
}

// Open takes the campaign of files for a run through owner (its agent and API): it locks it,
// refuses a results path that holds something other than this tool's results, and opens the
// journal, rebuilding a missing one from the results file so that no row it shows as dialled
// is dialled again. Close it when done.
func Open(files Files, owner journal.Owner, cfg Config) (*Session, error) {
	if files.Format == nil {
		return nil, errors.New("campaign: Open without a results format (Files.Format)")
	}
	cfg.setDefaults()
	if err := checkFiles(files.Results); err != nil {
		return nil, err
	}
	lock, err := journal.AcquireLock(journal.LockPath(files.Results))
	if err != nil {
		return nil, err
	}
	s := &Session{files: files, owner: owner, cfg: cfg, lock: lock}
	if err := s.open(); err != nil {
		lock.Release()
		return nil, err
	}
	return s, nil
}

func (s *Session) open() (err error) {
	if _, err := s.layout(); err != nil {
		return err
	}
	statePath := journal.StatePath(s.files.Results)
	if _, statErr := os.Lstat(statePath); errors.Is(statErr, os.ErrNotExist) {
		s.Rebuilt, err = journal.Rebuild(statePath, s.owner, journal.KeyScheme(s.cfg.Load.IDColumn), s.importResults)
		if err != nil {
			return fmt.Errorf("rebuilding the missing journal %s from %s: %w", statePath, s.files.Results, err)
		}
	}
	if s.st, err = journal.OpenState(statePath, s.owner); err != nil {
		return err
	}
	s.st.SetClock(s.cfg.Now)
	if err := s.st.BindKeys(journal.KeyScheme(s.cfg.Load.IDColumn)); err != nil {
		s.st.Close()
		return err
	}
	if s.Rebuilt == 0 {
		if err := s.checkWhole(); err != nil {
			s.st.Close()
			return err
		}
	}
	return nil
}

// Inspect opens the campaign of files read-only, for a dry run: no lock, nothing written, no
// network. The journal is read as the latest run left it.
//
// It reports what a real run would stop at before dialling: a results path that holds
// something other than this tool's results, or one that cannot be written.
func Inspect(files Files, cfg Config) (*Session, error) {
	cfg.setDefaults()
	s := &Session{files: files, cfg: cfg}
	if err := checkFiles(files.Results); err != nil {
		return nil, err
	}
	if _, err := s.layout(); err != nil {
		return nil, err
	}
	if err := probeWritable(files.Results); err != nil {
		return nil, err
	}
	statePath := journal.StatePath(files.Results)
	if _, err := os.Lstat(statePath); errors.Is(err, os.ErrNotExist) {
		// A run would rebuild it from the results: the dry run reads such a rebuild, made in a
		// temporary directory beside them (mode 0700: the rows hold personal data; on the disk
		// the run would write it to) and removed by Close.
		if s.aside, err = os.MkdirTemp(filepath.Dir(files.Results), ".bolna-campaign-dry-run-"); err != nil {
			return nil, err
		}
		statePath = filepath.Join(s.aside, "journal")
		if _, err := journal.Rebuild(statePath, journal.Owner{}, journal.KeyScheme(cfg.Load.IDColumn), s.importResults); err != nil {
			os.RemoveAll(s.aside)
			return nil, err
		}
	}
	st, err := journal.ReadState(statePath)
	if err == nil {
		err = st.BindKeys(journal.KeyScheme(cfg.Load.IDColumn))
	}
	if s.st = st; err == nil && s.aside == "" {
		err = s.checkWhole()
	}
	if err != nil {
		os.RemoveAll(s.aside)
		return nil, err
	}
	return s, nil
}

// checkFiles refuses a campaign one of whose files (the results, the journal, the lock, the
// stop request, the record of requests) is something other than a regular file: a FIFO would
// hang the run, a link would have it read or write elsewhere, a directory at the stop request
// would read as a stop on every run.
func checkFiles(results string) error {
	return journal.CheckFiles(results, journal.StatePath(results), journal.LockPath(results),
		journal.StopPath(results), RequestsPath(results))
}

// probeWritable checks that the results, their journal and lock can be written beside path,
// by creating and removing an empty file there.
func probeWritable(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".bolna-campaign-probe-*")
	if err != nil {
		return fmt.Errorf("the results %s cannot be written: %w", path, unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// State is the campaign's journal.
func (s *Session) State() *journal.State { return s.st }

// Run runs the campaign once with r (see [Runner.Run]) and writes the results file whole:
// it replaces the previous one only once every row is written, whatever ended the run.
func (s *Session) Run(ctx context.Context, r *Runner) (*Summary, error) {
	if s.lock == nil {
		return nil, errors.New("campaign: Run on a session opened by Inspect")
	}
	w, err := s.files.Format.Create(s.files.Results)
	if err != nil {
		return nil, err
	}
	stop := func() {}
	if !s.kept {
		stop = s.KeepRequests(r.dialer)
	}
	summary, err := r.Run(ctx, ContactFile(s.files.Input), s.st, w)
	stop()
	if summary == nil {
		w.Abort()
		return nil, err
	}
	if serr := s.st.Sync(); serr != nil { // the results never show more than the journal holds
		w.Abort()
		return nil, errors.Join(err, serr)
	}
	if cerr := w.Commit(); cerr != nil {
		return nil, errors.Join(err, cerr)
	}
	if aerr := s.writeAttempts(); aerr != nil {
		s.cfg.warnWith(facts{}.err(aerr), "the attempts log %s was not written (the results are): %v", AttemptsPath(s.files.Results), aerr)
	}
	return summary, err
}

// writeAttempts writes the attempts log whole from the journal, as the results are.
func (s *Session) writeAttempts() error {
	f, err := s.files.Format.CreateAttempts(AttemptsPath(s.files.Results))
	if err != nil {
		return err
	}
	for a, err := range s.st.Attempts() {
		if err == nil {
			err = f.WriteAttempt(a)
		}
		if err != nil {
			f.Abort()
			return err
		}
	}
	return f.Commit()
}

// KeepRequests has d honour the requests the campaign's earlier runs sent in the last minute
// (Bolna counts them per account, not per process), and record each of its own beside the
// journal before it is sent, until stop is called. Call it before d sends anything (Run calls
// it when it was not called).
func (s *Session) KeepRequests(d Dialer) (stop func()) {
	s.kept = true
	return keepRequests(d, RequestsPath(s.files.Results), requestsCompaction)
}

// requestsCompaction is how often the record of requests is cut back to the last minute's.
// Every request is appended before it is sent, so the record is whole whenever a run dies;
// compacting only bounds its size (to a little over a minute of requests).
const requestsCompaction = 10 * time.Second

// DryRun scans the list and hands emit the POST /call body of every row a run would dial now
// (see [Runner.DryRun]).
func (s *Session) DryRun(emit func(dialer.CallRequest) error) (Plan, error) {
	return NewRunner(nil, s.cfg).DryRun(ContactFile(s.files.Input), s.st, emit)
}

// Concurrency is the pool a run would have on acct (as the latest run recorded it, for a dry
// run): the same sizing a run uses. Of an account recorded more than a minute ago (acct.At) it
// says nothing as if it were current: the caller tells its age.
func (s *Session) Concurrency(acct journal.Account) int {
	cfg := s.cfg
	if !acct.At.IsZero() && cfg.Now().Sub(acct.At) > time.Minute {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return poolSize(cfg, acct.Concurrency, acct.InUse, 0)
}

// Close syncs and closes the journal and gives the lock up. Its error is the journal's: the
// final records are on disk only once it returns nil.
func (s *Session) Close() error {
	err := s.st.Close()
	if s.lock != nil {
		s.lock.Release()
	}
	if s.aside != "" {
		os.RemoveAll(s.aside)
	}
	return err
}

// layout checks the results path: absent, or a results file of this tool (of any version).
// Anything else must not be overwritten: --results pointing at the contact list, or at some
// other CSV.
func (s *Session) layout() (func([]string) (journal.Outcome, error), error) {
	f, err := journal.OpenNoFollow(s.files.Results, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var header []string
	cr, _, err := contacts.NewCSVReader(journal.BoundLines(f, s.files.Results, journal.MaxLine), "", 0) // in whatever dialect it was written
	if err == nil {
		header, err = cr.Read()
	}
	var layout func([]string) (journal.Outcome, error)
	if err == nil {
		layout, err = s.files.Format.Layout(header)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &contacts.InputError{File: s.files.Results, Err: fmt.Errorf("exists and is not a results file of bolna-campaign: refusing to overwrite it (choose another --results)")}
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
	short := &ShortJournalError{Journal: journal.StatePath(s.files.Results), Results: s.files.Results}
	err := s.resultRows(func(row contacts.Row, out journal.Outcome) error {
		if !s.st.Covers(row.Key, out) {
			if short.Rows++; short.Line == 0 {
				short.Line = row.Line
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking the journal %s against %s: %w", short.Journal, s.files.Results, err)
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
	f, err := journal.OpenNoFollow(s.files.Results, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := s.cfg.Load
	opts.TimezoneColumn = ""
	opts.Encoding, opts.Delimiter = "", 0 // the results' own dialect, found
	l, err := contacts.NewLoader(journal.BoundLines(f, s.files.Results, journal.MaxLine), s.files.Results, opts)
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
