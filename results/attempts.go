package results

import "github.com/bolna-campaign/bolna-campaign/campaign/journal"

// AttemptColumns are the attempts log's columns: one line an attempt, in the order the
// attempts ended, GNU parallel's joblog in spirit. The results file keeps each row's latest
// attempt; a retry does not write over the attempt before it here.
var AttemptColumns = []string{"line", "attempt", "from_number", "to_number", "execution_id", "dialed_at", "finished_at", "status", "outcome", "total_cost", "error"}

// AttemptLog writes an attempts log (see AttemptColumns). It is a store.AttemptFile.
type AttemptLog struct{ w *Writer }

// CreateAttempts starts the attempts log at path, in the format's dialect: it replaces path
// when committed.
func (f Format) CreateAttempts(path string) (*AttemptLog, error) {
	w, err := CreateIn(path, f.Dialect)
	if err != nil {
		return nil, err
	}
	if err := w.write(AttemptColumns); err != nil {
		w.Abort()
		return nil, err
	}
	return &AttemptLog{w: w}, nil
}

// WriteAttempt writes one attempt. Its caller id and number are written as they are; Bolna's
// text (the error) is neutralised, as in the results.
func (l *AttemptLog) WriteAttempt(a journal.Attempt) error {
	line := ""
	if a.Line > 0 {
		line = count(a.Line)
	}
	return l.w.write([]string{line, count(a.Attempts), a.From, a.Phone, a.ExecutionID, stamp(a.DialedAt), stamp(a.FinishedAt),
		string(a.Status), string(a.Result()), number(a.Cost, false), Neutralise(a.Error)})
}

// Commit flushes, syncs and renames the log into place.
func (l *AttemptLog) Commit() error { return l.w.Commit() }

// Abort drops the log; the previous one stays.
func (l *AttemptLog) Abort() { l.w.Abort() }
