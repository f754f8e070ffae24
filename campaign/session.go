package campaign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// ResultsFormat is what a campaign needs of its results file's format; the results package
// implements it (results.Format).
type ResultsFormat interface {
	// Layout reads a results file's header and returns how to read the outcome of a row (the
	// whole record, input cells first). It fails for a file that is not a results file.
	Layout(header []string) (func(record []string) (journal.Outcome, error), error)
	// Create starts a results file that replaces path when committed.
	Create(path string) (ResultFile, error)
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
	_, statErr := os.Lstat(statePath)
	if s.st, err = journal.OpenState(statePath, s.owner); err != nil {
		return err
	}
	s.st.SetClock(s.cfg.Now)
	if err := s.st.BindKeys(journal.KeyScheme(s.cfg.Load.IDColumn)); err != nil {
		s.st.Close()
		return err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if s.Rebuilt, err = s.importResults(); err != nil {
			s.st.Close()
			os.Remove(statePath) // a half-rebuilt journal would pass for a whole one next time
			return fmt.Errorf("rebuilding the missing journal %s from %s: %w", statePath, s.files.Results, err)
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
	st, err := journal.ReadState(journal.StatePath(files.Results))
	if err != nil {
		return nil, err
	}
	if err := st.BindKeys(journal.KeyScheme(cfg.Load.IDColumn)); err != nil {
		return nil, err
	}
	s.st = st
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
	stop := keepRequests(r.dialer, RequestsPath(s.files.Results), time.Second)
	summary, err := r.Run(ctx, s.files.Input, s.st, w)
	stop()
	if summary == nil {
		w.Abort()
		return nil, err
	}
	if cerr := w.Commit(); cerr != nil {
		return nil, errors.Join(err, cerr)
	}
	return summary, err
}

// DryRun scans the list and hands emit the POST /call body of every row a run would dial now
// (see [Runner.DryRun]).
func (s *Session) DryRun(emit func(dialer.CallRequest) error) (Plan, error) {
	return NewRunner(nil, s.cfg).DryRun(s.files.Input, s.st, emit)
}

// Concurrency is the pool a run would have on acct (as the latest run recorded it, for a dry
// run): the same sizing a run uses.
func (s *Session) Concurrency(acct journal.Account) int {
	return poolSize(s.cfg, acct.Concurrency, acct.InUse, 0)
}

// Close syncs and closes the journal and gives the lock up. Its error is the journal's: the
// final records are on disk only once it returns nil.
func (s *Session) Close() error {
	err := s.st.Close()
	if s.lock != nil {
		s.lock.Release()
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
	cr, _, err := contacts.NewCSVReader(f, "", 0) // in whatever dialect it was written
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

// importResults rebuilds a lost journal from the results file, so that the rows it shows as
// dialled are followed or kept, never dialled again. It returns how many rows it took.
func (s *Session) importResults() (int, error) {
	layout, err := s.layout()
	if err != nil || layout == nil {
		return 0, err
	}
	f, err := journal.OpenNoFollow(s.files.Results, os.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	opts := s.cfg.Load
	opts.TimezoneColumn = ""
	opts.Encoding, opts.Delimiter = "", 0 // the results' own dialect, found
	l, err := contacts.NewLoader(f, s.files.Results, opts)
	if err != nil {
		return 0, err
	}
	taken := 0
	for row, err := range l.All() {
		if err != nil {
			return taken, err
		}
		out, err := layout(row.Record)
		if err != nil || row.Problem != "" || out.Attempts == 0 {
			continue // not dialled, or not readable: nothing to keep
		}
		if err := s.st.Adopt(row.Key, row.Phone, out); err != nil {
			return taken, err
		}
		taken++
	}
	return taken, nil
}
