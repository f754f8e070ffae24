package results

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// ExportColumns are appended to the input columns of an export (see WriteToFix).
var ExportColumns = []string{"bolna_status", "bolna_reason"}

// WriteToFix writes, as CSV, the rows of the results files at paths that need a person: the
// rows to chase (no-answer, busy, failed, unknown) and the invalid ones, each with its input
// columns unchanged and then its status and the reason. Fix the numbers, drop the two last
// columns, and the file is a contact list again. Every file must have the same input
// columns (the shards of one campaign). It returns how many rows it wrote.
func WriteToFix(w io.Writer, paths []string) (int, error) {
	cw := csv.NewWriter(w)
	var inputs []string
	n := 0
	for _, path := range paths {
		f, err := journal.OpenNoFollow(path, os.O_RDONLY, 0)
		if err != nil {
			return n, fmt.Errorf("results: %w", err)
		}
		m, err := exportFile(cw, f, path, &inputs)
		f.Close()
		n += m
		if err != nil {
			return n, err
		}
	}
	cw.Flush()
	return n, cw.Error()
}

func exportFile(cw *csv.Writer, r io.Reader, name string, inputs *[]string) (int, error) {
	cr, _, err := contacts.NewCSVReader(r, "", 0)
	if err != nil {
		return 0, fmt.Errorf("results: %s: %w", name, err)
	}
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("results: %s: %w", name, err)
	}
	layout, err := ParseHeader(header)
	if err != nil {
		return 0, fmt.Errorf("results: %s: %w", name, err)
	}
	in := layout.Header()[:layout.Inputs]
	switch {
	case *inputs == nil:
		*inputs = slices.Clone(in)
		if err := cw.Write(append(slices.Clone(in), ExportColumns...)); err != nil {
			return 0, err
		}
	case !slices.Equal(*inputs, in):
		return 0, fmt.Errorf("results: %s has other input columns than %v: export the files one at a time", name, *inputs)
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("results: %s: %w", name, err)
		}
		o, err := layout.Outcome(rec)
		if err != nil {
			line, _ := cr.FieldPos(0)
			return n, fmt.Errorf("results: %s:%d: %w", name, line, err)
		}
		if !chase(o) && o.Status != journal.StatusInvalid {
			continue
		}
		reason := o.Error
		switch r := o.Result(); {
		case reason != "":
		case r == journal.ResultVoicemail:
			reason = "voicemail: a voicemail answered"
		case r == journal.ResultRejected:
			reason = "rejected: completed with no conversation"
		}
		row := append(slices.Clone(rec[:layout.Inputs]), string(o.Status), Neutralise(reason))
		if err := cw.Write(row); err != nil {
			return n, err
		}
		n++
	}
}
