package campaign

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// The passes over the list: what each row needs (Plan, scan), the dry run, and the results
// written from what each row came to.

// Plan is what a scan of the list found: how many rows of each kind.
type Plan struct {
	Rows       int            `json:"rows"`
	Invalid    int            `json:"invalid"`
	Reasons    map[string]int `json:"invalid_reasons,omitempty"` // invalid rows by reason
	Duplicates int            `json:"duplicates"`
	Suppressed int            `json:"suppressed"`
	Outside    int            `json:"outside_window"` // to dial, but outside calling hours now
	Done       int            `json:"done"`           // final in an earlier run, no retry due
	Live       int            `json:"in_flight"`      // dialled by an earlier run, not final yet
	Waiting    int            `json:"retry_later"`    // a retry is due after --retry-after
	Limited    int            `json:"over_limit"`     // to dial, but past --limit this run
	Dial       int            `json:"to_dial"`        // to dial now
	// Bad are the first invalid rows (at most MaxBadRows), with their line and the fix.
	Bad []BadRow `json:"invalid_rows,omitempty"`
	// Encoding is the encoding the list was read in (see LoadOptions.Encoding).
	Encoding string `json:"encoding,omitempty"`
	// dialledBefore is how many of the list's rows the journal has dialled (see anotherList).
	dialledBefore int
}

// BadRow is an invalid row of the list: its line and what is wrong with it.
type BadRow struct {
	Line    int    `json:"line"`
	Problem string `json:"problem"`
}

// MaxBadRows bounds the invalid rows a Plan lists; the results file has them all.
const MaxBadRows = 20

// count counts a row decided c; an invalid one is listed with the reason of its decision (a
// bad number's, a bad time zone's), as its results row will give it.
func (p *Plan) count(row contacts.Row, c classification) {
	k := c.kind
	if k == kindOtherShard {
		return
	}
	p.Rows++
	switch k {
	case kindInvalid:
		p.Invalid++
		if len(p.Bad) < MaxBadRows {
			p.Bad = append(p.Bad, BadRow{Line: row.Line, Problem: c.reason})
		}
		reason, _, _ := strings.Cut(c.reason, " (")
		if p.Reasons == nil {
			p.Reasons = map[string]int{}
		}
		if len(p.Reasons) < 20 || p.Reasons[reason] > 0 {
			p.Reasons[reason]++
		} else {
			p.Reasons["other"]++
		}
	case kindDuplicate:
		p.Duplicates++
	case kindSuppressed:
		p.Suppressed++
	case kindOutside:
		p.Outside++
	case kindDone:
		p.Done++
	case kindLive:
		p.Live++
	case kindWait:
		p.Waiting++
	case kindDial:
		p.Dial++
	case kindLimited:
		p.Limited++
	}
}

// anotherList is an *InputError when the results (their journal) belong to another list: the
// journal has dialled contacts, and this list has fewer than half of them. A run would write
// the results file over with this list's rows, losing the other list's from it, and mix the two
// campaigns in one journal; so nothing is dialled, and nothing written.
func anotherList(input string, st *journal.State, p Plan) error {
	dialled := st.Standing().Dialled
	if dialled == 0 || 2*p.dialledBefore >= dialled {
		return nil
	}
	return &contacts.InputError{File: input, Err: fmt.Errorf("the results file belongs to another list: its journal has dialled %d %s, of which this list has %d; "+
		"running would write over that list's results. Choose another --results (the default is beside the list), or run that file's own list",
		dialled, human.Plural(dialled, "contact", "contacts"), p.dialledBefore)}
}

// nothingToDial is an *InputError for a list in which no row can ever be dialled: no rows at
// all, or every one invalid. Its reasons say why; nothing was dialled.
func nothingToDial(input string, p Plan) error {
	switch {
	case p.Rows == 0:
		return &contacts.InputError{File: input, Err: errors.New("the list has a header and no rows: nothing to dial")}
	case p.Invalid < p.Rows:
		return nil
	}
	var lines []string
	for _, b := range p.Bad[:min(len(p.Bad), 5)] {
		lines = append(lines, fmt.Sprintf("line %d: %s", b.Line, b.Problem))
	}
	if more := p.Rows - len(lines); more > 0 {
		lines = append(lines, fmt.Sprintf("and %d more (--dry-run lists %d)", more, MaxBadRows))
	}
	return &contacts.InputError{File: input, Err: fmt.Errorf("no row can be dialled: all %d %s invalid; %s",
		p.Rows, human.Plural(p.Rows, "row is", "rows are"), strings.Join(lines, "; "))}
}

// DryRun scans the list and hands emit the POST /call body of every row a run would dial now.
func (r *Runner) DryRun(list ContactSource, st *journal.State, emit func(dialer.CallRequest) error) (Plan, error) {
	r.list, r.input = list, list.Name()
	input := r.input
	r.arms.of(input)
	if err := r.stratify(input); err != nil {
		return Plan{}, err
	}
	// A list that a run would refuse for its results prints no body: it is scanned first.
	p, err := r.scan(input, st, nil)
	if err == nil {
		err = anotherList(input, st, p)
	}
	if err != nil {
		return p, err
	}
	var emitErr error
	callers := callerIDsOf(&r.cfg)
	p, err = r.scan(input, st, func(row contacts.Row, userData map[string]string, c classification) (kind, bool) {
		userData[contacts.RefKey] = st.Ref(row.Key, c.attempt)
		from := callers.preview(row.Phone, row.From, r.cfg.FromNumber)
		emitErr = emit(dialer.CallRequest{AgentID: cmp.Or(c.agent, r.cfg.AgentID), RecipientPhoneNumber: row.Phone, FromPhoneNumber: from, UserData: userData})
		return kindDial, emitErr == nil
	})
	if err == nil && emitErr == nil {
		err = nothingToDial(input, p)
	}
	return p, errors.Join(err, emitErr)
}

// dialFunc is handed each row to dial now, with a fresh user_data map and its classification:
// it returns what was decided for the row (kindDial when it was handed on to be placed,
// kindStopped or kindOutside when placing stopped or its window closed while it waited), and
// false when placing stopped.
type dialFunc func(contacts.Row, map[string]string, classification) (kind, bool)

// scan streams the list and classifies every row, for a plan (the counts), and hands each row
// to dial now to dial (if not nil); placing stopped ends the scan. A list that is not readable
// CSV fails the scan before any call: the dispatching scan only starts after a clean first one.
func (r *Runner) scan(input string, st *journal.State, dial dialFunc) (Plan, error) {
	return r.pass(input, st, dial, nil)
}

// pass is scan, keeping each row's decision in keep when it is not nil, whole and once (see
// decision): then placing stopped does not end the pass, whose later rows to dial are
// kindStopped.
func (r *Runner) pass(input string, st *journal.State, dial dialFunc, keep *decisions) (Plan, error) {
	f, l, err := r.openList(input)
	if err != nil {
		return Plan{}, err
	}
	defer f.Close()
	cl := newClassifier(&r.cfg, st, r.dups)
	cl.arms = r.arms
	p := Plan{Encoding: l.Encoding()}
	for row, err := range l.All() {
		if err != nil {
			return p, err
		}
		c, err := cl.classify(row)
		if err != nil {
			return p, inFile(err, input)
		}
		p.count(row, c)
		if c.entry.Attempts > 0 {
			p.dialledBefore++
		}
		k, more := c.kind, true
		if c.kind == kindDial && dial != nil {
			k, more = dial(row, l.UserData(row), c)
		}
		if keep != nil {
			reason := c.reason
			if k != c.kind {
				reason = cl.reasonFor(k, c)
			}
			keep.set(c.ord, decision{kind: k, reason: reason, agent: c.agent})
		}
		if !more {
			if keep == nil {
				return p, nil
			}
			cl.stopped = true
		}
		cl.row++
	}
	return p, nil
}

// openList opens the contact list (r.list, named input) for one pass and reads its header.
func (r *Runner) openList(input string) (io.ReadCloser, *contacts.Loader, error) {
	f, err := r.list.Open()
	if err != nil {
		return nil, nil, err
	}
	l, err := contacts.NewLoader(f, input, r.cfg.Load)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, l, nil
}

// inFile names the file in an InputError that lacks it.
func inFile(err error, file string) error {
	var ie *contacts.InputError
	if errors.As(err, &ie) && ie.File == "" {
		ie.File = file
	}
	return err
}

// writeResults streams the list a last time and writes each row's latest state: what the
// dispatching pass decided for it (see decisions), and what the journal says came of it.
func (r *Runner) writeResults(input string, st *journal.State, out ResultWriter) (*Summary, error) {
	f, l, err := r.openList(input)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := out.WriteHeader(l.Header()); err != nil {
		return nil, err
	}
	s := &Summary{ByStatus: map[journal.Status]int{}}
	cl := newClassifier(&r.cfg, st, r.dups)
	next := 0 // the ordinal of the next row
	for row, err := range l.All() {
		if err != nil {
			return nil, err
		}
		ord := next
		next++
		d, ok := r.decided.get(ord)
		if !ok {
			return nil, &ListChangedError{Line: row.Line} // more rows than the dispatching pass met
		}
		if d.kind == kindOtherShard {
			continue
		}
		o, retryDue, err := cl.outcome(row, ord, d)
		if err != nil {
			return nil, inFile(err, input)
		}
		if retryDue {
			s.RetryDue++
		}
		if o.Attempts > 0 {
			o.AgentID = cmp.Or(o.AgentID, d.agent, st.Owner().Agent)
		} else {
			o.AgentID = ""
		}
		s.Rows++
		s.ByStatus[o.Status]++
		if err := out.WriteRow(row.Record, o); err != nil {
			return nil, err
		}
	}
	return s, nil
}
