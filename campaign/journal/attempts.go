package journal

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
)

// Attempt is one attempt of a contact that reached an outcome, as the journal has it: the
// attempts log's row (see [State.Attempts]).
type Attempt struct {
	Key, Phone string
	// Line is the list's line the attempt dialled (0 when the journal does not say: older
	// journals, rows rebuilt from results).
	Line int
	// Outcome is the attempt's outcome; Outcome.Attempts is the attempt's number and
	// Outcome.From the caller id it went out on.
	Outcome
}

// attemptKey names one attempt of one contact.
type attemptKey struct {
	h uint64
	n int
}

// Attempts yields every attempt that reached an outcome, in the order the outcomes were
// recorded, read from the journal's start (one pass over the file; memory is the attempts
// open at once). An attempt recorded as timed out and later followed to its end is given once,
// with its final outcome; one that ended timed out is given last. Retries are attempts of their
// own: the results file keeps a row's latest, the attempts log all of them.
func (s *State) Attempts() iter.Seq2[Attempt, error] {
	return func(yield func(Attempt, error) bool) {
		s.mu.Lock()
		size := s.size
		s.mu.Unlock()
		f, err := OpenNoFollow(s.path, os.O_RDONLY, 0)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			yield(Attempt{}, fmt.Errorf("state: %w", err))
			return
		}
		defer f.Close()
		r := attemptReader{open: map[attemptKey]Attempt{}, timedOut: map[attemptKey]Attempt{}}
		if err := r.read(io.LimitReader(f, size), s.path, yield); err != nil || r.stopped {
			if err != nil {
				yield(Attempt{}, err)
			}
			return
		}
		rest := slices.Collect(func(y func(Attempt) bool) {
			for _, a := range r.timedOut {
				if !y(a) {
					return
				}
			}
		})
		slices.SortFunc(rest, func(a, b Attempt) int { return a.FinishedAt.Compare(b.FinishedAt) })
		for _, a := range rest {
			if !yield(a, nil) {
				return
			}
		}
	}
}

// attemptReader replays a journal's records into attempts.
type attemptReader struct {
	summed   bool
	open     map[attemptKey]Attempt // intents with no outcome yet
	timedOut map[attemptKey]Attempt // outcomes that are timeouts: given unless a later one follows
	stopped  bool
}

// read replays the records of r; yield is told of each attempt as its outcome is read.
func (ar *attemptReader) read(r io.Reader, path string, yield func(Attempt, error) bool) error {
	br := bufio.NewReaderSize(r, 256<<10)
	for n := 1; !ar.stopped; n++ {
		line, err := readBounded(br, maxLine)
		if len(line) > 0 && line[len(line)-1] == '\n' {
			js, uerr := unsealLine(bytes.TrimRight(line, "\r\n"), &ar.summed)
			var rec record
			if uerr != nil || json.Unmarshal(js, &rec) != nil {
				return &JournalError{Path: path, Line: n, Reason: "the line is not a record"}
			}
			ar.apply(rec, yield)
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("state: %s: %w", path, err)
		}
	}
	return nil
}

func (ar *attemptReader) apply(rec record, yield func(Attempt, error) bool) {
	k := attemptKey{KeyHash(rec.Key), rec.Attempt}
	switch rec.Ev {
	case evDial:
		ar.open[k] = Attempt{Key: rec.Key, Phone: rec.Phone, Line: rec.Line, Outcome: Outcome{From: rec.From, DialedAt: rec.At, AgentID: rec.Agent}}
	case evVoid:
		delete(ar.open, k)
	case evFinal:
		if rec.Outcome == nil {
			return
		}
		a, ok := ar.open[k]
		if !ok {
			a, ok = ar.timedOut[k]
		}
		if !ok {
			a = Attempt{Key: rec.Key}
		}
		from, dialed, agent := cmp.Or(rec.Outcome.From, a.From), a.DialedAt, cmp.Or(rec.Agent, a.AgentID)
		a.Outcome = *rec.Outcome
		a.From, a.Attempts, a.AgentID = from, rec.Attempt, agent
		if a.DialedAt.IsZero() {
			a.DialedAt = dialed
		}
		delete(ar.open, k)
		delete(ar.timedOut, k)
		if rec.Outcome.Status == StatusTimeout {
			ar.timedOut[k] = a
			return
		}
		if !yield(a, nil) {
			ar.stopped = true
		}
	}
}
