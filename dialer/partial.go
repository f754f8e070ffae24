package dialer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Reading a payload too large or too deep to decode whole. A call's final payload that holds a
// 50 MB transcript, or extracted_data nested deeper than encoding/json goes, still carries what
// the results need (the status, the cost, the times, the ids): it is read field by field, every
// field that fits kept, each one too large or too deep dropped with the reason (see
// Execution.Dropped), and nothing but the kept fields is held in memory. A reply that cannot be
// read this way either (cut short, not JSON, larger than MaxScanSize) is an error as before.

const (
	// MaxScanSize bounds how far a reply too large to hold whole is read, field by field:
	// past it, the reply is given up.
	MaxScanSize = 256 << 20
	// MaxDepth is the deepest a field's value may be nested (in objects and arrays) and be
	// kept: an agent's extracted_data nested deeper is dropped. encoding/json refuses
	// documents nested past 10,000 levels, and the journal and the results hold the value
	// inside more levels of their own.
	MaxDepth = 64
	// maxKeySize bounds a field's name; a longer one is no field Bolna sends: skipped.
	maxKeySize = 1 << 10
	// maxDropped bounds the fields named in Execution.Dropped; the rest are counted.
	maxDropped = 16
)

// Dropped is a field of a payload that was left out, and why.
type Dropped struct {
	Field  string // the field's name (printable, cut short when long)
	Reason string
}

func (d Dropped) String() string { return d.Field + " (" + d.Reason + ")" }

// errScanLimit: the reply went on past MaxScanSize (the scanner's sizes.scan).
var errScanLimit = errors.New("reply too large to read")

// scanner reads JSON from a stream a byte at a time, holding nothing but what its caller keeps.
type scanner struct {
	r     *bufio.Reader
	n     int64 // bytes read
	sizes sizes // the most it reads (scan), and keeps (body)
}

func newScanner(r io.Reader, limits sizes) *scanner {
	return &scanner{r: bufio.NewReaderSize(r, 64<<10), sizes: limits}
}

func (s *scanner) next() (byte, error) {
	if s.n >= s.sizes.scan {
		return 0, errScanLimit
	}
	c, err := s.r.ReadByte()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		s.n++
	}
	return c, err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// token returns the next byte that is not white space.
func (s *scanner) token() (byte, error) {
	for {
		c, err := s.next()
		if err != nil || !isSpace(c) {
			return c, err
		}
	}
}

func (s *scanner) syntax(want string, got byte) error {
	return fmt.Errorf("invalid JSON at byte %d: want %s, found %q", s.n, want, got)
}

// end checks that nothing but white space follows the value.
func (s *scanner) end() error {
	for {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if s.n++; s.n > s.sizes.scan {
			return errScanLimit
		}
		if !isSpace(c) {
			return s.syntax("the end of the reply", c)
		}
	}
}

// value scans one JSON value, whose first byte first is read already, into dst while it fits
// room bytes and MaxDepth levels (dst nil: into nothing). It returns why the value was not
// kept ("" when it was, whole, in dst; when it was not, dst is as it was). Only the value's
// extent is checked here: what is kept is checked by decoding it.
func (s *scanner) value(first byte, dst *bytes.Buffer, room int) (why string, err error) {
	start, keep := 0, dst != nil
	if keep {
		start = dst.Len()
	}
	var size int64
	put := func(b []byte) {
		size += int64(len(b))
		if keep && dst.Len()-start+len(b) > room {
			keep, why = false, "size"
			dst.Truncate(start)
		}
		if keep {
			dst.Write(b)
		}
	}
	depth := 0
	for c := first; ; {
		put([]byte{c})
		switch c {
		case '"':
			if err := s.restOfString(put); err != nil {
				return "", err
			}
		case '{', '[':
			if depth++; depth > MaxDepth && keep {
				keep, why = false, "depth"
				dst.Truncate(start)
			}
		case '}', ']':
			if depth--; depth < 0 {
				return "", s.syntax("a value", c)
			}
		default:
			if depth == 0 { // a number or a literal: it ends where a delimiter starts
				if err := s.restOfScalar(put); err != nil {
					return "", err
				}
			}
		}
		if depth == 0 {
			break
		}
		if c, err = s.next(); err != nil {
			return "", err
		}
	}
	switch why {
	case "size":
		why = fmt.Sprintf("%d bytes, over the %d bytes a reply may hold", size, s.sizes.body)
	case "depth":
		why = fmt.Sprintf("nested deeper than %d levels", MaxDepth)
	}
	return why, nil
}

// restOfString scans a string after its opening quote, handing its bytes to put a buffer at
// a time.
func (s *scanner) restOfString(put func([]byte)) error {
	for {
		if _, err := s.r.Peek(1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		buf, _ := s.r.Peek(s.r.Buffered())
		end := bytes.IndexAny(buf, `"\`) + 1
		if end == 0 {
			end = len(buf)
		}
		if s.n += int64(end); s.n > s.sizes.scan {
			return errScanLimit
		}
		put(buf[:end])
		s.r.Discard(end)
		switch buf[end-1] {
		case '"':
			return nil
		case '\\':
			c, err := s.next() // the escaped character
			if err != nil {
				return err
			}
			put([]byte{c})
		}
	}
}

func (s *scanner) restOfScalar(put func([]byte)) error {
	for {
		b, err := s.r.Peek(1)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch c := b[0]; {
		case c == ',' || c == '}' || c == ']' || isSpace(c):
			return nil
		}
		c, err := s.next()
		if err != nil {
			return err
		}
		put([]byte{c})
	}
}

// key reads a field's name after its opening quote: its JSON text, quotes included, or nil
// when longer than maxKeySize (the name is read to its end all the same).
func (s *scanner) key() ([]byte, error) {
	k := []byte{'"'}
	err := s.restOfString(func(b []byte) {
		if k != nil && len(k)+len(b) <= maxKeySize {
			k = append(k, b...)
		} else {
			k = nil
		}
	})
	return k, err
}

// object scans the fields of an object whose '{' is read, handing each field's name (see key)
// and the first byte of its value to field, which scans the value.
func (s *scanner) object(field func(key []byte, first byte) error) error {
	c, err := s.token()
	for i := 0; err == nil; i++ {
		if i == 0 && c == '}' {
			return nil
		}
		if c != '"' {
			return s.syntax("a field name", c)
		}
		var key []byte
		if key, err = s.key(); err != nil {
			return err
		}
		if c, err = s.token(); err == nil && c != ':' {
			return s.syntax("':'", c)
		}
		if c, err = s.token(); err != nil {
			return err
		}
		if err = field(key, c); err != nil {
			return err
		}
		if c, err = s.token(); err != nil || c == '}' {
			return err
		}
		if c != ',' {
			return s.syntax("',' or '}'", c)
		}
		c, err = s.token()
	}
	return err
}

// array scans the elements of an array whose '[' is read, handing the first byte of each to
// elem, which scans the element.
func (s *scanner) array(elem func(first byte) error) error {
	c, err := s.token()
	for i := 0; err == nil; i++ {
		if i == 0 && c == ']' {
			return nil
		}
		if err = elem(c); err != nil {
			return err
		}
		if c, err = s.token(); err != nil || c == ']' {
			return err
		}
		if c != ',' {
			return s.syntax("',' or ']'", c)
		}
		c, err = s.token()
	}
	return err
}

// kept gathers the fields of one object that fit: as a JSON object, and the fields dropped.
type kept struct {
	s       *scanner
	buf     bytes.Buffer
	room    *int                // bytes that may still be kept, shared by a page's items
	redact  func([]byte) []byte // the key out of a dropped field's name too
	dropped []Dropped
	more    int // fields dropped past maxDropped
}

// drop notes a field left out.
func (k *kept) drop(d Dropped) {
	if len(k.dropped) < maxDropped {
		k.dropped = append(k.dropped, d)
	} else {
		k.more++
	}
}

// left is the fields left out.
func (k *kept) left() []Dropped {
	if k.more == 0 {
		return k.dropped
	}
	return append(k.dropped, Dropped{Field: fmt.Sprintf("%d more fields", k.more), Reason: "too large or too deep as well"})
}

func newKept(s *scanner, room *int, redact func([]byte) []byte) *kept {
	k := &kept{s: s, room: room, redact: redact}
	k.buf.WriteByte('{')
	return k
}

// field keeps one field, or drops it saying why.
func (k *kept) field(key []byte, first byte) error {
	if key == nil {
		// A name longer than any field of a payload: a field nobody reads, skipped as
		// encoding/json skips the fields it does not know (FuzzPartialMatchesWhole), not
		// named among those dropped.
		_, err := k.s.value(first, nil, 0)
		return err
	}
	mark := k.buf.Len()
	if mark > 1 {
		k.buf.WriteByte(',')
	}
	k.buf.Write(key)
	k.buf.WriteByte(':')
	why, err := k.s.value(first, &k.buf, *k.room-(k.buf.Len()-mark))
	if err != nil {
		return err
	}
	if why != "" {
		k.buf.Truncate(mark)
		k.drop(Dropped{Field: fieldName(key, k.redact), Reason: why})
		return nil
	}
	*k.room -= k.buf.Len() - mark
	return nil
}

// bytes is the kept object's JSON.
func (k *kept) bytes() []byte {
	k.buf.WriteByte('}')
	return k.buf.Bytes()
}

// fieldName is a field's name from its JSON text, without the key (redact), printable and
// short.
func fieldName(key []byte, redact func([]byte) []byte) string {
	name, err := strconv.Unquote(string(key))
	if err != nil {
		var s string
		if json.Unmarshal(key, &s) != nil {
			return "(a field)"
		}
		name = s
	}
	return Printable(truncate(string(redact([]byte(name))), 64))
}

// readPartial decodes a reply into out (an *Execution or an *ExecutionPage) field by field
// from r, keeping every field that fits MaxBodySize in all and MaxDepth levels, and dropping
// the others (see Execution.Dropped). It reports false when out cannot be read so.
func readPartial(r io.Reader, out any, redact func([]byte) []byte, limits sizes) (bool, error) {
	s := newScanner(r, limits)
	room := limits.body
	var err error
	switch out := out.(type) {
	case *Execution:
		*out, err = s.execution(&room, redact)
	case *ExecutionPage:
		*out, err = s.page(&room, redact)
	default:
		return false, nil
	}
	if err == nil {
		err = s.end()
	}
	return true, err
}

// execution reads one execution payload (see readPartial).
func (s *scanner) execution(room *int, redact func([]byte) []byte) (Execution, error) {
	c, err := s.token()
	if err != nil {
		return Execution{}, err
	}
	return s.executionFrom(c, room, redact)
}

func (s *scanner) executionFrom(first byte, room *int, redact func([]byte) []byte) (Execution, error) {
	if first != '{' {
		return Execution{}, s.syntax("an object", first)
	}
	k := newKept(s, room, redact)
	if err := s.object(k.field); err != nil {
		return Execution{}, err
	}
	var e Execution
	if err := json.Unmarshal(redact(k.bytes()), &e); err != nil {
		return Execution{}, err
	}
	e.Dropped = append(k.left(), e.Dropped...)
	return e, nil
}

// page reads one page of the executions list, each item as an execution (see readPartial).
func (s *scanner) page(room *int, redact func([]byte) []byte) (ExecutionPage, error) {
	c, err := s.token()
	if err != nil {
		return ExecutionPage{}, err
	}
	if c != '{' {
		return ExecutionPage{}, s.syntax("an object", c)
	}
	top := newKept(s, room, redact)
	var items []Execution // of the latest data array, as encoding/json keeps the last
	err = s.object(func(key []byte, first byte) error {
		if string(key) != `"data"` || first != '[' {
			if string(key) == `"data"` {
				items = nil // a later data that is no array: its value stands
			}
			return top.field(key, first)
		}
		items = []Execution{}
		return s.array(func(first byte) error {
			e, err := s.item(first, room, redact)
			if err == nil && e != nil {
				items = append(items, *e)
			}
			return err
		})
	})
	if err != nil {
		return ExecutionPage{}, err
	}
	var p ExecutionPage
	if err := json.Unmarshal(redact(top.bytes()), &p); err != nil {
		return ExecutionPage{}, err
	}
	if items != nil {
		p.Data = items
	}
	return p, nil
}

// item reads one item of a page's data: an execution, field by field; anything else whole, as
// encoding/json would (nil when too large or deep to keep).
func (s *scanner) item(first byte, room *int, redact func([]byte) []byte) (*Execution, error) {
	if first == '{' {
		e, err := s.executionFrom(first, room, redact)
		return &e, err
	}
	var buf bytes.Buffer
	why, err := s.value(first, &buf, *room)
	if err != nil || why != "" {
		return nil, err
	}
	*room -= buf.Len()
	var e Execution
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// depth is how deep a JSON value is nested (0 for a scalar).
func depth(v []byte) int {
	most, d, in := 0, 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case in:
		case c == '{' || c == '[':
			d++
			most = max(most, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return most
}
