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
	"strconv"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
)

// Columns are the outcome columns appended after the input columns.
var Columns = []string{
	"status", "execution_id", "attempts", "conversation_duration", "total_cost", "recording_url",
	"hangup_reason", "summary", "extracted_data", "error", "dialed_at", "finished_at",
}

// Writer writes a results file. It implements campaign.ResultWriter.
type Writer struct {
	// SafeInput neutralises input cells that a spreadsheet would run as a formula too (see
	// [NeutraliseInput]); by default they are written exactly as read. Outcome cells, which
	// come from the server, are always neutralised.
	SafeInput bool

	path  string
	tmp   *os.File
	w     *csv.Writer
	ncols int
	cells []string
}

var _ campaign.ResultWriter = (*Writer)(nil)

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

// WriteRow writes one input row (unchanged) and its outcome.
func (w *Writer) WriteRow(record []string, o campaign.Outcome) error {
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
func OutcomeCells(o campaign.Outcome) []string {
	attempts := ""
	if o.Attempts > 0 {
		attempts = strconv.Itoa(o.Attempts)
	}
	return []string{
		Neutralise(string(o.Status)),
		Neutralise(o.ExecutionID), // the server's: anything at all in a hostile reply
		attempts,
		number(o.Duration, o.ExecutionID != "" && o.Status == campaign.StatusCompleted),
		number(o.Cost, o.ExecutionID != "" && o.Status == campaign.StatusCompleted),
		Neutralise(o.RecordingURL),
		Neutralise(o.HangupReason),
		Neutralise(o.Summary),
		Neutralise(string(o.Extracted)),
		Neutralise(o.Error),
		stamp(o.DialedAt),
		stamp(o.FinishedAt),
	}
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

// NeutraliseInput defuses an input cell like [Neutralise], except a cell that holds only a
// number's characters (digits, spaces, + - ( ) . /): a phone number such as +919876543210 or
// -5 runs nothing and is kept as it is.
func NeutraliseInput(s string) string {
	if strings.Trim(s, "0123456789 +-()./") == "" {
		return s
	}
	return Neutralise(s)
}

// Row is one row read back from a results file.
type Row struct {
	Line    int
	Input   map[string]string // input column → value
	Outcome campaign.Outcome
}

// Read streams the rows of a results file to fn. The outcome columns are the last
// len(Columns) columns, so input columns may share their names.
func Read(r io.Reader, name string, fn func(Row) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("results: %s: empty file", name)
		}
		return fmt.Errorf("results: %s: %w", name, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	n := len(header) - len(Columns)
	if n < 0 || !equal(header[n:], Columns) {
		return fmt.Errorf("results: %s: not a results file of this tool (its last columns are not %s)", name, strings.Join(Columns, ","))
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("results: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return fmt.Errorf("results: %s:%d: row has %d cells, the header has %d", name, line, len(rec), len(header))
		}
		row := Row{Line: line, Input: make(map[string]string, n)}
		for i := range n {
			row.Input[header[i]] = rec[i]
		}
		row.Outcome, err = parseOutcome(rec[n:])
		if err != nil {
			return fmt.Errorf("results: %s:%d: %w", name, line, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// ReadFile reads every row of a results file into memory (for tests and small files; Read
// streams).
func ReadFile(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	var rows []Row
	err = Read(f, path, func(r Row) error { rows = append(rows, r); return nil })
	return rows, err
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(strings.TrimSpace(a[i]), b[i]) {
			return false
		}
	}
	return true
}

func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// IsResults reports whether a header is that of a results file of this tool: its last columns
// are Columns.
func IsResults(header []string) bool {
	n := len(header) - len(Columns)
	if n < 0 {
		return false
	}
	h := header[n:]
	if n == 0 && len(h) > 0 {
		h = append([]string{strings.TrimPrefix(h[0], "\ufeff")}, h[1:]...)
	}
	return equal(h, Columns)
}

// ParseOutcome reads the outcome columns (the last len(Columns) cells of a results row).
func ParseOutcome(cells []string) (campaign.Outcome, error) {
	if len(cells) != len(Columns) {
		return campaign.Outcome{}, fmt.Errorf("want %d outcome cells, got %d", len(Columns), len(cells))
	}
	return parseOutcome(cells)
}

func parseOutcome(c []string) (campaign.Outcome, error) {
	o := campaign.Outcome{
		Status: campaign.ParseStatus(unneutralise(c[0])), ExecutionID: unneutralise(c[1]), RecordingURL: unneutralise(c[5]), HangupReason: unneutralise(c[6]),
		Summary: unneutralise(c[7]), Error: unneutralise(c[9]),
	}
	var err error
	parseNum := func(s, col string) float64 {
		if s == "" || err != nil {
			return 0
		}
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			err = fmt.Errorf("%s %q is not a number", col, s)
		}
		return f
	}
	o.Attempts = int(parseNum(c[2], "attempts"))
	o.Duration = parseNum(c[3], "conversation_duration")
	o.Cost = parseNum(c[4], "total_cost")
	if x := unneutralise(c[8]); x != "" {
		if !json.Valid([]byte(x)) {
			return o, fmt.Errorf("extracted_data is not JSON")
		}
		o.Extracted = json.RawMessage(x)
	}
	parseTime := func(s, col string) time.Time {
		if s == "" || err != nil {
			return time.Time{}
		}
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			err = fmt.Errorf("%s %q is not an RFC 3339 time", col, s)
		}
		return t
	}
	o.DialedAt = parseTime(c[10], "dialed_at")
	o.FinishedAt = parseTime(c[11], "finished_at")
	return o, err
}
