package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Session is one campaign, opened for a run: its results file and journal, locked against any
// other run for as long as it is open. It owns the whole lifecycle — the lock, the checks of the
// results file, the journal (rebuilt from the results when it was lost), the run, the atomic
// write of the results — so that the command, the tests and the benchmarks take one path.
// Open one with [Campaign.Open]; [Campaign.Inspect] opens one read-only for a dry run.
type Session struct {
	c      Campaign
	list   campaign.ContactSource
	format ResultsFormat
	owner  journal.Owner
	cfg    campaign.Config
	lock   *journal.Lock
	st     *journal.State
	kept   bool   // KeepRequests was called: Run leaves the requests to it
	aside  string // a dry run's rebuild of a missing journal: a temporary directory, removed by Close

	// Rebuilt is the number of dialled rows taken from the results file into a journal that
	// was missing (0 when the journal was there).
	Rebuilt int
}

// Open takes the campaign for a run of list through owner (its agent and API), its results
// written in format: it locks it, refuses a results path that holds something other than this
// tool's results, and opens the journal, rebuilding a missing one from the results file so
// that no row it shows as dialled is dialled again. Close it when done.
func (c Campaign) Open(list campaign.ContactSource, format ResultsFormat, owner journal.Owner, cfg campaign.Config) (*Session, error) {
	if format == nil {
		return nil, errors.New("store: Open without a ResultsFormat")
	}
	cfg = cfg.WithDefaults()
	if err := c.CheckFiles(); err != nil {
		return nil, err
	}
	lock, err := c.Lock()
	if err != nil {
		return nil, err
	}
	s := &Session{c: c, list: list, format: format, owner: owner, cfg: cfg, lock: lock}
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
	statePath := s.c.StatePath()
	if _, statErr := os.Lstat(statePath); errors.Is(statErr, os.ErrNotExist) {
		s.Rebuilt, err = journal.Rebuild(statePath, s.owner, journal.KeyScheme(s.cfg.Load.IDColumn), s.importResults)
		if err != nil {
			return fmt.Errorf("rebuilding the missing journal %s from %s: %w", statePath, s.c.Results(), err)
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

// Inspect opens the campaign read-only, for a dry run of list (format reads its results): no
// lock, nothing written, no network. The journal is read as the latest run left it.
//
// It reports what a real run would stop at before dialling: a results path that holds
// something other than this tool's results, or one that cannot be written.
func (c Campaign) Inspect(list campaign.ContactSource, format ResultsFormat, cfg campaign.Config) (*Session, error) {
	s := &Session{c: c, list: list, format: format, cfg: cfg.WithDefaults()}
	if err := c.CheckFiles(); err != nil {
		return nil, err
	}
	if _, err := s.layout(); err != nil {
		return nil, err
	}
	if err := probeWritable(c.Results()); err != nil {
		return nil, err
	}
	statePath := c.StatePath()
	if _, err := os.Lstat(statePath); errors.Is(err, os.ErrNotExist) {
		// A run would rebuild it from the results: the dry run reads such a rebuild, made in a
		// temporary directory beside them (mode 0700: the rows hold personal data; on the disk
		// the run would write it to) and removed by Close.
		if s.aside, err = os.MkdirTemp(filepath.Dir(c.Results()), ".bolna-campaign-dry-run-"); err != nil {
			return nil, err
		}
		statePath = filepath.Join(s.aside, "journal")
		if _, err := journal.Rebuild(statePath, journal.Owner{}, journal.KeyScheme(s.cfg.Load.IDColumn), s.importResults); err != nil {
			os.RemoveAll(s.aside)
			return nil, err
		}
	}
	st, err := journal.ReadState(statePath)
	if err == nil {
		err = st.BindKeys(journal.KeyScheme(s.cfg.Load.IDColumn))
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

// Campaign is the campaign the session holds.
func (s *Session) Campaign() Campaign { return s.c }

// State is the campaign's journal.
func (s *Session) State() *journal.State { return s.st }

// Run runs the campaign once with r (see campaign.Runner.Run) and writes the results file
// whole: it replaces the previous one only once every row is written, whatever ended the run.
func (s *Session) Run(ctx context.Context, r *campaign.Runner) (*campaign.Summary, error) {
	if s.lock == nil {
		return nil, errors.New("store: Run on a session opened by Inspect")
	}
	w, err := s.format.Create(s.c.Results())
	if err != nil {
		return nil, err
	}
	stop := func() {}
	if !s.kept {
		stop = s.KeepRequests(r.Dialer())
	}
	summary, err := r.Run(ctx, s.list, s.st, w)
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
		s.cfg.WarnErr(aerr, "the attempts log %s was not written (the results are): %v", s.c.AttemptsPath(), aerr)
	}
	return summary, err
}

// writeAttempts writes the attempts log whole from the journal, as the results are.
func (s *Session) writeAttempts() error {
	f, err := s.format.CreateAttempts(s.c.AttemptsPath())
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
func (s *Session) KeepRequests(d campaign.Dialer) (stop func()) {
	s.kept = true
	return keepRequests(d, s.c.RequestsPath(), requestsCompaction)
}

// requestsCompaction is how often the record of requests is cut back to the last minute's.
// Every request is appended before it is sent, so the record is whole whenever a run dies;
// compacting only bounds its size (to a little over a minute of requests).
const requestsCompaction = 10 * time.Second

// DryRun scans the list and hands emit the POST /call body of every row a run would dial now
// (see campaign.Runner.DryRun).
func (s *Session) DryRun(emit func(dialer.CallRequest) error) (campaign.Plan, error) {
	return campaign.NewRunner(nil, s.cfg).DryRun(s.list, s.st, emit)
}

// Concurrency is the pool a run would have on acct (as the latest run recorded it, for a dry
// run): the same sizing a run uses (see campaign.Config.PoolOn).
func (s *Session) Concurrency(acct journal.Account) int { return s.cfg.PoolOn(acct) }

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
