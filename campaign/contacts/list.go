package contacts

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// PhoneColumns are the column names tried, in order and ignoring case, when no phone column is
// named.
var PhoneColumns = []string{"contact_number", "phone", "phone_number", "recipient_phone_number", "mobile"}

// MaxUserData bounds what one call carries in user_data (names and values, in bytes): a list
// with a 100 MB cell or ten thousand columns gets a clear per-row answer rather than a
// rejected request or a runaway upload.
const MaxUserData = 64 << 10

// RefKey is the user_data key under which each call carries its correlation reference, so that a
// call whose placement reply was lost can be found again (it comes back in
// context_details.recipient_data).
const RefKey = "bolna_campaign_ref"

// InputError is a problem with the contact list as a whole: the file cannot be read, has no
// header or no phone column, or is not valid CSV. Nothing is dialled when it occurs.
type InputError struct {
	File   string
	Line   int // 0 when the problem is not on one line
	Column int // 1-based; 0 when not on one column
	Err    error
}

func (e *InputError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// LoadOptions say how to read a contact list.
type LoadOptions struct {
	PhoneColumn string // default: the first of PhoneColumns present
	IDColumn    string // identifies a contact across runs; default: the normalised phone
	Region      string // for national numbers; see PhoneNormalizer
	// TimezoneColumn names a column holding each contact's IANA time zone (for the calling
	// window); optional.
	TimezoneColumn string
	// Delimiter separates the cells; 0 finds it from the header line: a comma, or the
	// semicolon of a European Excel export, or the tab of Excel's "Unicode text".
	Delimiter rune
	// FromColumn names a column holding each row's caller id (E.164); optional: an empty cell
	// leaves the caller id to the run's.
	FromColumn string
	// Encoding names the file's encoding (see Encodings); "" finds it: a byte order mark says
	// UTF-8 or UTF-16, else UTF-8 unless the first 64 KB are not, when Windows-1252 (Excel's
	// "ANSI" CSV) is taken, and said (Loader.Encoding).
	Encoding string
}

// Encodings are the names LoadOptions.Encoding takes, and what each reads.
var Encodings = map[string]string{
	"utf-8": "utf-8", "utf8": "utf-8",
	"utf-16": "utf-16", "utf16": "utf-16",
	"windows-1252": "windows-1252", "cp1252": "windows-1252", "ansi": "windows-1252",
	"latin-1": "iso-8859-1", "latin1": "iso-8859-1", "iso-8859-1": "iso-8859-1",
	"iso-8859-15": "iso-8859-15", "latin-9": "iso-8859-15",
}

// sniffSize is how much of a list is looked at to tell its encoding and delimiter.
const sniffSize = 64 << 10

// decoderFor returns the transformer that reads a list in enc ("" to find it from head, the
// start of the file) and the encoding it reads.
func decoderFor(enc string, head []byte) (transform.Transformer, string, error) {
	name := enc
	if enc != "" {
		var ok bool
		if name, ok = Encodings[strings.ToLower(strings.TrimSpace(enc))]; !ok {
			return nil, "", fmt.Errorf("unknown --encoding %q (known: utf-8, utf-16, windows-1252, latin-1, iso-8859-15)", enc)
		}
	}
	switch {
	case name == "windows-1252":
		return charmap.Windows1252.NewDecoder(), name, nil
	case name == "iso-8859-1":
		return charmap.ISO8859_1.NewDecoder(), name, nil
	case name == "iso-8859-15":
		return charmap.ISO8859_15.NewDecoder(), name, nil
	case name == "utf-16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder(), name, nil
	case name == "" && (bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff})):
		return unicode.BOMOverride(encoding.UTF8Validator), "utf-16", nil
	case name == "" && !bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) && !utf8.Valid(completeRunes(head)):
		return charmap.Windows1252.NewDecoder(), "windows-1252", nil
	}
	// UTF-8, with or without its mark (Excel's CSV UTF-8, whose mark would stick to the first
	// column's name); invalid bytes are an error, never replaced.
	return unicode.BOMOverride(encoding.UTF8Validator), "utf-8", nil
}

// completeRunes cuts b before a rune that its end splits.
func completeRunes(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// Row is one contact of the list.
type Row struct {
	Line    int      // line of the file where the row starts (the header is line 1)
	Record  []string // the row's cells, exactly one per header column
	Phone   string   // E.164; "" when the number is invalid
	Key     string   // identity across runs: the id column's value, else Phone
	Zone    string   // the time zone column's value ("" without one)
	From    string   // the row's own caller id, E.164 ("" for the run's)
	Problem string   // why the row cannot be dialled; "" when it can
}

// Loader streams the rows of a contact list. It reads one row at a time, so lists of any
// length use the same memory.
//
// It uses encoding/csv rather than gocsv: gocsv drops unknown columns (they are user_data
// here), keeps global state, leaks its producer goroutine when a consumer stops early, and is
// 3-4x slower (measured when the loader was written).
type Loader struct {
	file     string
	encoding string // the encoding read (see LoadOptions.Encoding)
	dialect  Dialect
	lastLine int // of the latest row read
	r        *csv.Reader
	header   []string
	phoneCol int
	idCol    int
	zoneCol  int
	fromCol  int
	norm     PhoneNormalizer
}

// Dialect is how a CSV file is written: its delimiter, its encoding (one of the values of
// Encodings) and whether it starts with a byte order mark. Results are written in the list's
// (see results.Format), so that the Excel that made the list opens them.
type Dialect struct {
	Delimiter rune
	Encoding  string
	BOM       bool
}

// NewCSVReader reads CSV from r in whatever dialect it is written (see LoadOptions: a byte
// order mark, UTF-8 or else Windows-1252, the delimiter from the header line), unless enc or
// delim name it. Ragged rows are returned as they are.
func NewCSVReader(r io.Reader, enc string, delim rune) (*csv.Reader, Dialect, error) {
	raw := bufio.NewReaderSize(r, sniffSize)
	head, _ := raw.Peek(sniffSize)
	dec, name, err := decoderFor(enc, head)
	if err != nil {
		return nil, Dialect{}, err
	}
	d := Dialect{Encoding: name, BOM: bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) || name == "utf-16"}
	br := bufio.NewReaderSize(transform.NewReader(raw, dec), 64<<10)
	cr := csv.NewReader(br)
	cr.Comma = delim
	if cr.Comma == 0 {
		cr.Comma = sniffDelimiter(br)
	}
	d.Delimiter = cr.Comma
	cr.FieldsPerRecord = -1
	return cr, d, nil
}

// ListDialect reads how the contact list at path is written (see NewCSVReader); a list that
// cannot be read is plain CSV (the run says what is wrong with it).
func ListDialect(path string, opts LoadOptions) Dialect {
	f, err := os.Open(path)
	if err != nil {
		return Dialect{Delimiter: ',', Encoding: "utf-8"}
	}
	defer f.Close()
	_, d, err := NewCSVReader(f, opts.Encoding, opts.Delimiter)
	if err != nil {
		return Dialect{Delimiter: ',', Encoding: "utf-8"}
	}
	return d
}

// NewLoader reads the header of a contact list from r; file names it in errors.
func NewLoader(r io.Reader, file string, opts LoadOptions) (*Loader, error) {
	cr, dialect, err := NewCSVReader(r, opts.Encoding, opts.Delimiter)
	if err != nil {
		return nil, &InputError{File: file, Err: err}
	}
	cr.ReuseRecord = true // ragged rows are judged per row, not fatal to the file
	l := &Loader{file: file, encoding: dialect.Encoding, dialect: dialect, r: cr, idCol: -1, zoneCol: -1, fromCol: -1, norm: PhoneNormalizer{Region: strings.ToUpper(opts.Region)}}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &InputError{File: file, Err: errors.New("the file is empty: expected a header row naming the columns")}
	}
	if err != nil {
		return nil, l.csvError(err)
	}
	l.header = make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		l.header[i] = h
		if h == "" {
			continue
		}
		if j, dup := seen[strings.ToLower(h)]; dup {
			return nil, &InputError{File: file, Line: 1, Column: i + 1, Err: fmt.Errorf("column %q appears twice (also column %d)", h, j+1)}
		}
		seen[strings.ToLower(h)] = i
		if strings.EqualFold(h, RefKey) {
			return nil, &InputError{File: file, Line: 1, Column: i + 1, Err: fmt.Errorf("column %q is reserved for the runner's call reference", h)}
		}
	}

	l.phoneCol = -1
	if opts.PhoneColumn != "" {
		if i, ok := seen[strings.ToLower(strings.TrimSpace(opts.PhoneColumn))]; ok {
			l.phoneCol = i
		} else {
			return nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("no column named %q (columns: %s)", opts.PhoneColumn, l.columnList())}
		}
	} else {
		for _, name := range PhoneColumns {
			if i, ok := seen[name]; ok {
				l.phoneCol = i
				break
			}
		}
	}
	if l.phoneCol < 0 {
		for _, h := range header {
			if _, problem := (PhoneNormalizer{}).Normalize(h); problem == "" {
				return nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("the first line holds a phone number (%s), not column names: add a header row", clip(h))}
			}
		}
		return nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("no phone column: expected one of %s, or name it with --phone-column (columns: %s)",
			strings.Join(PhoneColumns, ", "), l.columnList())}
	}
	if opts.IDColumn != "" {
		i, ok := seen[strings.ToLower(strings.TrimSpace(opts.IDColumn))]
		if !ok {
			return nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("no id column named %q (columns: %s)", opts.IDColumn, l.columnList())}
		}
		l.idCol = i
	}
	if opts.TimezoneColumn != "" {
		i, ok := seen[strings.ToLower(strings.TrimSpace(opts.TimezoneColumn))]
		if !ok {
			return nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("no time zone column named %q (columns: %s)", opts.TimezoneColumn, l.columnList())}
		}
		l.zoneCol = i
	}
	if opts.FromColumn != "" {
		i, ok := seen[strings.ToLower(strings.TrimSpace(opts.FromColumn))]
		if !ok {
			return nil, &InputError{File: file, Line: 1, Err: fmt.Errorf("no caller id column named %q (columns: %s)", opts.FromColumn, l.columnList())}
		}
		l.fromCol = i
	}
	return l, nil
}

// sniffDelimiter finds the delimiter of a list from its first line: the most frequent of comma,
// semicolon and tab outside quotes; a comma when none is there.
func sniffDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(head) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

func (l *Loader) columnList() string {
	names := make([]string, 0, len(l.header))
	for _, h := range l.header {
		names = append(names, fmt.Sprintf("%q", clip(h)))
	}
	return strings.Join(names, ", ")
}

func (l *Loader) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: l.file, Line: pe.Line, Column: pe.Column, Err: pe.Err}
	}
	if errors.Is(err, encoding.ErrInvalidUTF8) {
		return &InputError{File: l.file, Line: l.lastLine + 1, Err: errors.New("bytes that are not UTF-8 (the line or one soon after): " +
			"the file is in another encoding. Pass --encoding windows-1252 (Excel's \"ANSI\" CSV) or latin-1, or save it as \"CSV UTF-8\"")}
	}
	return &InputError{File: l.file, Err: err}
}

// Dialect is how the list is written.
func (l *Loader) Dialect() Dialect { return l.dialect }

// Encoding is the encoding the list is read in: utf-8, utf-16, windows-1252, iso-8859-1 or
// iso-8859-15 (named, or found: see LoadOptions.Encoding).
func (l *Loader) Encoding() string { return l.encoding }

// Header returns the column names as written (spaces trimmed, byte order mark removed).
func (l *Loader) Header() []string { return l.header }

// PhoneColumn returns the index of the phone column.
func (l *Loader) PhoneColumn() int { return l.phoneCol }

// All is the rows still to read, in order, for a range loop; a problem with the file ends it,
// yielded with a zero Row.
func (l *Loader) All() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for {
			row, err := l.Next()
			if errors.Is(err, io.EOF) || err == nil && !yield(row, nil) {
				return
			}
			if err != nil {
				yield(Row{}, err)
				return
			}
		}
	}
}

// Next returns the next row, or io.EOF after the last. A row that cannot be dialled comes back
// with its Problem set; only a file that is not CSV any more gives an *InputError.
func (l *Loader) Next() (Row, error) {
	rec, err := l.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		return Row{}, l.csvError(err)
	}
	line, _ := l.r.FieldPos(0)
	l.lastLine = line
	row := Row{Line: line, Record: make([]string, len(l.header))}
	copy(row.Record, rec)
	if len(rec) > len(l.header) {
		for _, extra := range rec[len(l.header):] {
			if strings.TrimSpace(extra) != "" {
				row.Problem = fmt.Sprintf("row has %d cells, the header has %d", len(rec), len(l.header))
				return row, nil
			}
		}
	}
	if len(rec) < len(l.header) && !(len(rec) == 1 && rec[0] == "") {
		// Its variables would be sent empty and spoken as nothing: say so instead.
		row.Problem = fmt.Sprintf("row has %d cells, the header has %d: cells are missing (a stray delimiter or quote in the row above?)", len(rec), len(l.header))
		return row, nil
	}
	size := 0
	for i, cell := range row.Record {
		if i != l.phoneCol {
			size += len(cell) + len(l.header[i])
		}
	}
	if size > MaxUserData {
		row.Problem = fmt.Sprintf("the row's columns hold %d bytes, more than the %d a call carries", size, MaxUserData)
		return row, nil
	}
	row.Phone, row.Problem = l.norm.Normalize(row.Record[l.phoneCol])
	if l.zoneCol >= 0 {
		row.Zone = row.Record[l.zoneCol]
	}
	if l.fromCol >= 0 && strings.TrimSpace(row.Record[l.fromCol]) != "" && row.Problem == "" {
		from, problem := (PhoneNormalizer{}).Normalize(row.Record[l.fromCol])
		if problem != "" {
			row.Problem = "its caller id: " + problem
		}
		row.From = from
	}
	row.Key = row.Phone
	if l.idCol >= 0 {
		row.Key = strings.TrimSpace(row.Record[l.idCol])
		if row.Key == "" && row.Problem == "" {
			row.Problem = "empty " + l.header[l.idCol]
		}
	}
	return row, nil
}

// UserData returns the row's cells other than the phone number, keyed by column name: they
// fill the {variables} of the agent's prompt. Columns without a name are left out.
func (l *Loader) UserData(row Row) map[string]string {
	m := make(map[string]string, len(l.header))
	for i, h := range l.header {
		if i == l.phoneCol || h == "" {
			continue
		}
		m[h] = row.Record[i]
	}
	return m
}
