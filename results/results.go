// Package results writes and reads the results CSV: every input column unchanged, in input
// order, then the outcome columns ([Columns]), one row per input row.
//
// A results file is written whole, to a temporary file beside the final one that is synced and
// renamed over it, so a reader (or a crash) never sees half a file. It is created with mode
// 0600: it holds personal data.
package results

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// column is one outcome column: its name, how an outcome is written into it, and how it is
// read back. Adding a column is adding a row to [columns]: files written before it still read
// (the cell is simply absent) and are upgraded by the next run, which writes every column.
type column struct {
	name   string
	render func(journal.Outcome) string
	parse  func(cell string, o *journal.Outcome) error
}

// columns are the outcome columns, in the order they are written after the input columns.
// Every cell that comes from the server is neutralised (see [Neutralise]); parse undoes it.
var columns = []column{
	{"status", func(o journal.Outcome) string { return Neutralise(string(o.Status)) },
		func(c string, o *journal.Outcome) error {
			o.Status = journal.ParseStatus(unneutralise(c))
			return nil
		}},
	{"execution_id", func(o journal.Outcome) string { return Neutralise(o.ExecutionID) },
		func(c string, o *journal.Outcome) error { o.ExecutionID = unneutralise(c); return nil }},
	{"attempts", func(o journal.Outcome) string { return count(o.Attempts) },
		func(c string, o *journal.Outcome) (err error) {
			o.Attempts, err = parseCount(c, "attempts")
			return err
		}},
	{"conversation_duration", func(o journal.Outcome) string { return number(o.Duration, answered(o)) },
		func(c string, o *journal.Outcome) (err error) {
			o.Duration, err = parseNumber(c, "conversation_duration")
			return err
		}},
	{"total_cost", func(o journal.Outcome) string { return number(o.Cost, answered(o)) },
		func(c string, o *journal.Outcome) (err error) {
			o.Cost, err = parseNumber(c, "total_cost")
			return err
		}},
	{"recording_url", func(o journal.Outcome) string { return Neutralise(o.RecordingURL) },
		func(c string, o *journal.Outcome) error { o.RecordingURL = unneutralise(c); return nil }},
	{"hangup_reason", func(o journal.Outcome) string { return Neutralise(o.HangupReason) },
		func(c string, o *journal.Outcome) error { o.HangupReason = unneutralise(c); return nil }},
	{"summary", func(o journal.Outcome) string { return Neutralise(o.Summary) },
		func(c string, o *journal.Outcome) error { o.Summary = unneutralise(c); return nil }},
	{"extracted_data", func(o journal.Outcome) string { return Neutralise(string(o.Extracted)) }, parseExtracted},
	{"error", func(o journal.Outcome) string { return Neutralise(o.Error) },
		func(c string, o *journal.Outcome) error { o.Error = unneutralise(c); return nil }},
	{"dialed_at", func(o journal.Outcome) string { return stamp(o.DialedAt) },
		func(c string, o *journal.Outcome) (err error) {
			o.DialedAt, err = parseStamp(c, "dialed_at")
			return err
		}},
	{"finished_at", func(o journal.Outcome) string { return stamp(o.FinishedAt) },
		func(c string, o *journal.Outcome) (err error) {
			o.FinishedAt, err = parseStamp(c, "finished_at")
			return err
		}},
	// What happened to the person (see journal.Result); an older file without it reads its
	// result from the status and the duration (a voicemail then reads as answered).
	{"outcome", func(o journal.Outcome) string { return string(o.Result()) },
		func(c string, o *journal.Outcome) error {
			o.Voicemail = journal.ParseResult(c) == journal.ResultVoicemail
			return nil
		}},
	// The agent the row was dialled through: merged campaigns of two agents are an A/B test
	// (report --by agent_id).
	{"agent_id", func(o journal.Outcome) string { return Neutralise(o.AgentID) },
		func(c string, o *journal.Outcome) error { o.AgentID = unneutralise(c); return nil }},
	// The caller id the latest call went out on (report --by from_number compares them).
	{"from_number", func(o journal.Outcome) string { return o.From },
		func(c string, o *journal.Outcome) error { o.From = unneutralise(c); return nil }},
}

// Columns are the names of the outcome columns appended after the input columns.
var Columns = func() []string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return names
}()

// Layout is where a results file keeps what: its input columns first, then outcome columns,
// read by name (an earlier version may have written fewer, or in another order). The outcome
// block starts at the last "status" column after which every name is an outcome column's.
type Layout struct {
	Inputs int       // the number of input columns
	cols   []*column // the outcome column of each cell after the inputs
	names  []string  // the header
}

// ParseHeader finds the layout of a results file from its header; it fails for a file that
// is not a results file of this tool.
func ParseHeader(header []string) (Layout, error) {
	h := slices.Clone(header)
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\ufeff")
	}
	byName := map[string]*column{}
	for i := range columns {
		byName[columns[i].name] = &columns[i]
	}
	for start := len(h) - 1; start >= 0; start-- {
		if norm(h[start]) != "status" {
			continue
		}
		l := Layout{Inputs: start, names: h}
		seen := map[string]bool{}
		for _, name := range h[start:] {
			c := byName[norm(name)]
			if c == nil || seen[c.name] {
				l.cols = nil
				break
			}
			seen[c.name] = true
			l.cols = append(l.cols, c)
		}
		if l.cols != nil {
			return l, nil
		}
		break // a later "status" would have to be followed by outcome columns only
	}
	return Layout{}, fmt.Errorf("not a results file of this tool (no outcome columns after the input columns: %s)", strings.Join(Columns, ","))
}

func norm(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Header is the header as read (a byte-order mark removed).
func (l Layout) Header() []string { return l.names }

// Outcome reads the outcome cells of a record (the whole row, input cells first).
func (l Layout) Outcome(record []string) (journal.Outcome, error) {
	var o journal.Outcome
	if len(record) != l.Inputs+len(l.cols) {
		return o, fmt.Errorf("row has %d cells, the header has %d", len(record), l.Inputs+len(l.cols))
	}
	for i, c := range l.cols {
		if err := c.parse(record[l.Inputs+i], &o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// Format is the results file format, as a campaign session needs it: a
// store.TypedFormat[*Writer, *AttemptLog], wired in by the command.
type Format struct {
	// SafeInput neutralises input cells too (see [Writer.SafeInput]).
	SafeInput bool
	// Dialect is how the file is written (see [Writer.Dialect]); the zero value is UTF-8,
	// comma-separated, without a byte order mark.
	Dialect contacts.Dialect
}

// ResultsDialect is the dialect results are written in for a list written in list: the list's
// delimiter and byte order mark, and its encoding where every character fits it (UTF-8,
// UTF-16). A list in a one-byte legacy encoding (Windows-1252) gets UTF-8 with a byte order
// mark instead: Bolna's text (a summary, a transcript) may hold characters it cannot write,
// and every Excel that wrote the list opens that as written.
func ResultsDialect(list contacts.Dialect) contacts.Dialect {
	d := list
	if d.Delimiter == 0 {
		d.Delimiter = ','
	}
	switch d.Encoding {
	case "utf-16":
		d.BOM = true
	case "utf-8", "":
		d.Encoding = "utf-8"
	default:
		d.Encoding, d.BOM = "utf-8", true
	}
	return d
}

// Layout reads a results file's header (see [ParseHeader]).
func (Format) Layout(header []string) (func([]string) (journal.Outcome, error), error) {
	l, err := ParseHeader(header)
	if err != nil {
		return nil, err
	}
	return l.Outcome, nil
}

// Create starts a results file (see [Create]).
func (f Format) Create(path string) (*Writer, error) {
	w, err := CreateIn(path, f.Dialect)
	if err != nil {
		return nil, err
	}
	w.SafeInput = f.SafeInput
	return w, nil
}

// Writer writes a results file: a store.ResultFile.
type Writer struct {
	// SafeInput neutralises input cells that a spreadsheet would run as a formula too (see
	// [NeutraliseInput]); by default they are written exactly as read. Outcome cells, which
	// come from the server, are always neutralised.
	SafeInput bool

	path  string
	tmp   *os.File
	enc   io.WriteCloser // the encoder before tmp, for UTF-16; nil for UTF-8
	w     *csv.Writer
	ncols int
	cells []string
}

// Create starts a results file that replaces path when [Writer.Commit] is called. Temporary
// files left by a run that was killed are removed first, so call it only while holding the
// campaign's lock.
func Create(path string) (*Writer, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
	for _, f := range stale {
		os.Remove(f)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("results: %w", err)
	}
	return &Writer{path: path, tmp: tmp, w: csv.NewWriter(tmp)}, nil
}

// CreateIn is Create for a file in dialect d (UTF-8 or UTF-16, its delimiter, a byte order
// mark or none).
func CreateIn(path string, d contacts.Dialect) (*Writer, error) {
	w, err := Create(path)
	if err != nil {
		return nil, err
	}
	var out io.Writer = w.tmp
	switch d.Encoding {
	case "", "utf-8":
		if d.BOM {
			if _, err := w.tmp.Write([]byte("\xef\xbb\xbf")); err != nil {
				w.Abort()
				return nil, fmt.Errorf("results: writing %s: %w", path, err)
			}
		}
	case "utf-16":
		w.enc = transform.NewWriter(w.tmp, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder())
		out = w.enc
	default:
		w.Abort()
		return nil, fmt.Errorf("results: cannot write %s in %s", path, d.Encoding)
	}
	w.w = csv.NewWriter(out)
	if d.Delimiter != 0 {
		w.w.Comma = d.Delimiter
	}
	return w, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

// WriteHeader writes the input's column names followed by [Columns].
func (w *Writer) WriteHeader(input []string) error {
	w.ncols = len(input)
	w.cells = make([]string, 0, len(input)+len(Columns))
	return w.write(append(append(w.cells[:0], input...), Columns...))
}

// Name is the path of the results file being written.
func (w *Writer) Name() string { return w.path }

// WriteRow writes one input row (unchanged) and its outcome.
func (w *Writer) WriteRow(record []string, o journal.Outcome) error {
	cells := append(w.cells[:0], record...)
	if w.SafeInput {
		for i, c := range cells {
			cells[i] = NeutraliseInput(c)
		}
	}
	for len(cells) < w.ncols {
		cells = append(cells, "")
	}
	cells = append(cells[:w.ncols], OutcomeCells(o)...)
	return w.write(cells)
}

func (w *Writer) write(cells []string) error {
	if err := w.w.Write(cells); err != nil {
		return fmt.Errorf("results: writing %s: %w", w.path, err)
	}
	return nil
}

// Commit flushes, syncs and renames the file into place.
func (w *Writer) Commit() error {
	w.w.Flush()
	err := w.w.Error()
	if err == nil && w.enc != nil {
		err = w.enc.Close() // flushes the encoder, not the file
	}
	if err == nil {
		err = w.tmp.Sync()
	}
	if cerr := w.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp.Name(), w.path)
	}
	if err != nil {
		w.drop()
		return fmt.Errorf("results: writing %s: %w", w.path, err)
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		d.Sync() // the rename itself survives a crash
		d.Close()
	}
	return nil
}

// Abort drops the file being written; the previous results file, if any, stays.
func (w *Writer) Abort() {
	w.tmp.Close()
	w.drop()
}

// drop removes the temporary file, emptied first: in a directory made read-only it cannot be
// removed, and it must not keep personal data until the next run clears it.
func (w *Writer) drop() {
	os.Truncate(w.tmp.Name(), 0)
	os.Remove(w.tmp.Name())
}

// OutcomeCells renders an outcome as the cells of [Columns].
func OutcomeCells(o journal.Outcome) []string {
	cells := make([]string, len(columns))
	for i, c := range columns {
		cells[i] = c.render(o)
	}
	return cells
}

// answered: duration and cost are written even when 0 for a completed call.
func answered(o journal.Outcome) bool {
	return o.ExecutionID != "" && o.Status == journal.StatusCompleted
}

func count(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func number(f float64, always bool) string {
	if f == 0 && !always {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Neutralise defuses a free-text cell that a spreadsheet would run as a formula (leading =, +,
// -, @, tab or carriage return) by prefixing an apostrophe, as OWASP advises.
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// NeutraliseInput defuses an input cell like [Neutralise], except a number as written: a
// phone number (one leading +, then digits and the separators space ( ) - . /, such as
// +919876543210 or +1 (555) 123-4567) or a signed number (-5, -2.5). A cell of digits that a
// spreadsheet would compute (+1+2, -2-3, -1+2) is a formula, and defused.
func NeutraliseInput(s string) string {
	if s == "" || !strings.ContainsRune("+-", rune(s[0])) {
		return Neutralise(s)
	}
	rest := s[1:]
	switch {
	case s[0] == '+' && rest != "" && strings.Trim(rest, "0123456789 -()./") == "":
		return s // a phone number
	case s[0] == '-' && rest != "" && strings.Trim(rest, "0123456789") == "",
		s[0] == '-' && strings.Count(rest, ".") == 1 && strings.Trim(rest, "0123456789.") == "":
		return s // a negative number
	}
	return Neutralise(s)
}

// Row is one row read back from a results file.
type Row struct {
	Line    int
	Input   map[string]string // input column → value
	Outcome journal.Outcome
}

// Read streams the rows of a results file to fn. The outcome columns are found by name (see
// [ParseHeader]), so input columns may share their names.
func Read(r io.Reader, name string, fn func(Row) error) error {
	cr, _, err := contacts.NewCSVReader(r, "", 0) // written in the list's dialect: found again
	if err != nil {
		return fmt.Errorf("results: %s: %w", name, err)
	}
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("results: %s: empty file", name)
		}
		return fmt.Errorf("results: %s: %w", name, err)
	}
	layout, err := ParseHeader(header)
	if err != nil {
		return fmt.Errorf("results: %s: %w", name, err)
	}
	header = layout.Header()
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("results: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row := Row{Line: line, Input: make(map[string]string, layout.Inputs)}
		if row.Outcome, err = layout.Outcome(rec); err != nil {
			return fmt.Errorf("results: %s:%d: %w", name, line, err)
		}
		for i := range layout.Inputs {
			row.Input[header[i]] = rec[i]
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// ReadFile reads every row of a results file into memory (for tests and small files; Read
// streams).
func ReadFile(path string) ([]Row, error) {
	f, err := journal.OpenNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	var rows []Row
	err = Read(f, path, func(r Row) error { rows = append(rows, r); return nil })
	return rows, err
}

func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// IsResults reports whether a header is that of a results file of this tool, of any version.
func IsResults(header []string) bool {
	_, err := ParseHeader(header)
	return err == nil
}

func parseCount(s, col string) (int, error) {
	f, err := parseNumber(s, col)
	return int(f), err
}

func parseNumber(s, col string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number", col, s)
	}
	return f, nil
}

func parseStamp(s, col string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", col, s)
	}
	return t, nil
}

func parseExtracted(c string, o *journal.Outcome) error {
	if x := unneutralise(c); x != "" {
		if !json.Valid([]byte(x)) {
			return fmt.Errorf("extracted_data is not JSON")
		}
		o.Extracted = json.RawMessage(x)
	}
	return nil
}
