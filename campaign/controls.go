package campaign

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// Window is a daily calling window in the contact's local time, such as 09:00-21:00. An end
// before the start crosses midnight: 21:00-08:00 is the night.
type Window struct {
	Start, End int // minutes after midnight; End is exclusive
}

// ParseWindow reads HH:MM-HH:MM.
func ParseWindow(s string) (Window, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("calling window %q: want HH:MM-HH:MM", s)
	}
	start, err1 := parseClock(from)
	end, err2 := parseClock(to)
	if err := errors.Join(err1, err2); err != nil {
		return Window{}, fmt.Errorf("calling window %q: %w", s, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("calling window %q is empty", s)
	}
	return Window{Start: start, End: end}, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return hh*60 + mm, nil
}

func (w Window) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60)
}

// Contains reports whether t, read in its own location, falls inside the window.
func (w Window) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if w.Start < w.End {
		return m >= w.Start && m < w.End
	}
	return m >= w.Start || m < w.End
}

// Suppression is a do-not-call list: numbers never to dial, normalised like the contacts.
type Suppression struct {
	numbers map[uint64]struct{}
}

// Len is the number of distinct numbers on the list.
func (s *Suppression) Len() int { return len(s.numbers) }

// Contains reports whether an E.164 number is on the list.
func (s *Suppression) Contains(e164 string) bool {
	if s == nil {
		return false
	}
	_, ok := s.numbers[journal.KeyHash(e164)]
	return ok
}

// LoadSuppression reads a do-not-call list from r (the file path, which errors name, line by
// line): one number a line (blank lines and lines starting with # are skipped), or a CSV whose
// header names a phone column as a contact list does. A line that is not a number is an
// error: a do-not-call entry silently skipped would be a person called against their wish.
func LoadSuppression(r io.Reader, path string, norm contacts.PhoneNormalizer) (*Suppression, error) {
	s := &Suppression{numbers: map[uint64]struct{}{}}
	br := bufio.NewReader(r)
	first, _ := br.Peek(4096)
	firstLine, _, _ := strings.Cut(strings.TrimPrefix(string(first), "\ufeff"), "\n")
	firstLine = strings.TrimSpace(firstLine)
	_, notNumber := norm.Normalize(firstLine)
	if !strings.HasPrefix(firstLine, "#") && (isHeader(firstLine) || (notNumber != "" && strings.Contains(firstLine, ","))) {
		l, err := contacts.NewLoader(br, path, contacts.LoadOptions{Region: norm.Region})
		if err != nil {
			return nil, err
		}
		for row, err := range l.All() {
			if err != nil {
				return nil, err
			}
			if row.Problem != "" {
				return nil, &contacts.InputError{File: path, Line: row.Line, Err: errors.New(row.Problem)}
			}
			s.numbers[journal.KeyHash(row.Phone)] = struct{}{}
		}
		return s, nil
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		e164, problem := norm.Normalize(text)
		if problem != "" {
			return nil, &contacts.InputError{File: path, Line: line, Err: errors.New(problem)}
		}
		s.numbers[journal.KeyHash(e164)] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, &contacts.InputError{File: path, Err: err}
	}
	return s, nil
}

// isHeader reports whether a line names a phone column, as a contact list's header does.
func isHeader(line string) bool {
	for _, cell := range strings.Split(line, ",") {
		for _, name := range contacts.PhoneColumns {
			if strings.EqualFold(strings.Trim(strings.TrimSpace(cell), `"`), name) {
				return true
			}
		}
	}
	return false
}

// Shard is one of N slices of a list, for running a campaign on several machines: a row
// belongs to shard K when the stable hash of its key, modulo N, is K.
type Shard struct {
	K, N int // 0 <= K < N; N == 0 means no sharding
}

// ParseShard reads K/N, with K from 0 to N-1 (a Kubernetes Indexed Job's completion index).
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	kk, err1 := strconv.Atoi(strings.TrimSpace(k))
	nn, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || nn < 1 || kk < 0 || kk >= nn {
		return Shard{}, fmt.Errorf("shard %q: want K/N with 0 <= K < N, e.g. 0/4", s)
	}
	return Shard{K: kk, N: nn}, nil
}

// Has reports whether the row keyed key (or, for a row without a key, at line) is in the
// shard.
func (s Shard) Has(key string, line int) bool {
	if s.N <= 1 {
		return true
	}
	if key == "" {
		return line%s.N == s.K
	}
	return journal.KeyHash(key)%uint64(s.N) == uint64(s.K)
}

func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}
