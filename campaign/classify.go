package campaign

import (
	"cmp"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// kind is what a row needs.
type kind int

const (
	kindOtherShard kind = iota // another shard's row: not this run's business
	kindInvalid                // not a dialable row
	kindDuplicate              // the same contact earlier in the list
	kindSuppressed             // on the do-not-call list
	kindDone                   // has its final outcome, no retry due
	kindLive                   // dialled and not final: followed, never re-dialled
	kindWait                   // a retry is due later (--retry-after)
	kindOutside                // to dial, but outside calling hours now
	kindDial                   // dial now
	kindLimited                // to dial, but past --limit new rows this run
	kindStopped                // to dial, but placing had stopped (a halt, a signal, an error)
)

// decision is what the dispatching pass decided for a row, whole and once: what the row
// needs, and why it is not dialled (the line of the row it duplicates, its zone and calling
// window, its problem, … in words). Nothing later changes it: what came of a row dialled is the
// journal's (a placement that placing stopped before its POST left is given back there, with
// why: see evUnsent).
type decision struct {
	kind   kind
	reason string
	agent  string // the agent a row to dial goes through ("" without an experiment)
}

// decisions keeps each row's decision, by ordinal, a byte and an index a row (the reasons are
// kept once each: a million rows outside their calling hours share a few), so that the results
// report the decision the run acted on rather than one taken again later, when the journal and
// the clock have moved.
type decisions struct {
	mu      sync.Mutex
	kinds   []byte
	reasons []uint32          // index in texts, plus one (0: none)
	texts   []string          // each reason once
	ids     map[string]uint32 // a reason's index in texts
	agents  []uint32          // per row, the agent's index in texts plus one (nil without an experiment)
}

// set records the decision for the row at ord, and reports whether it did: a row is decided
// once, and a second decision is refused (the first stands).
func (d *decisions) set(ord int, dc decision) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.kinds) <= ord {
		d.kinds, d.reasons = append(d.kinds, 0), append(d.reasons, 0)
	}
	if d.kinds[ord] != 0 {
		return false
	}
	d.kinds[ord] = byte(dc.kind) + 1
	if dc.agent != "" {
		for len(d.agents) <= ord {
			d.agents = append(d.agents, 0)
		}
		d.agents[ord] = d.intern(dc.agent)
	}
	if dc.reason != "" {
		d.reasons[ord] = d.intern(dc.reason)
	}
	return true
}

// intern is the index of text in texts, plus one, adding it the first time.
func (d *decisions) intern(text string) uint32 {
	id, ok := d.ids[text]
	if !ok {
		if d.ids == nil {
			d.ids = map[string]uint32{}
		}
		d.texts = append(d.texts, text)
		id = uint32(len(d.texts))
		d.ids[text] = id
	}
	return id
}

// get is the decision for the row at ord; false for a row the pass never met.
func (d *decisions) get(ord int) (decision, bool) {
	if d == nil {
		return decision{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ord >= len(d.kinds) || d.kinds[ord] == 0 {
		return decision{}, false
	}
	dc := decision{kind: kind(d.kinds[ord] - 1)}
	if id := d.reasons[ord]; id > 0 {
		dc.reason = d.texts[id-1]
	}
	if ord < len(d.agents) && d.agents[ord] > 0 {
		dc.agent = d.texts[d.agents[ord]-1]
	}
	return dc, true
}

type classification struct {
	kind    kind
	reason  string         // why the row is not dialled (see decision)
	ord     int            // the row's ordinal in the list
	attempt int            // for kindDial
	agent   string         // for kindDial in an experiment: the agent of the row's arm
	dupOf   int            // for kindDuplicate: the line of the first occurrence
	zone    *time.Location // the contact's zone, when a calling window applies
	entry   journal.Entry
}

// classifier decides what each row needs, identically in every pass over the list.
type classifier struct {
	cfg         *Config
	st          *journal.State
	retry       map[journal.Status]bool
	retryResult map[journal.Result]bool
	dups        *duplicates
	arms        *armBook // the experiment, nil for none
	row         int      // ordinal of the row being classified
	fresh       int      // rows never dialled that this pass found to dial (for --limit)
	stopped     bool     // placing has stopped: rows to dial are kindStopped
}

func newClassifier(cfg *Config, st *journal.State, dups *duplicates) *classifier {
	retry := map[journal.Status]bool{}
	for _, s := range cfg.Retry {
		retry[s] = true
	}
	retryResult := map[journal.Result]bool{}
	for _, r := range cfg.RetryResults {
		retryResult[r] = true
	}
	if dups == nil {
		dups = &duplicates{}
	}
	return &classifier{cfg: cfg, st: st, retry: retry, retryResult: retryResult, dups: dups}
}

// duplicates finds the rows whose contact came earlier in the list. The first pass over the
// list fills a hash table of every number and id it meets, then keeps only what later passes
// need, a bit per row and the first line of each duplicate, and lets the table go: the
// dialling pass, whose journal grows a row at a time, does not hold both.
type duplicates struct {
	seen   map[uint64]int32 // first pass: hash of number or id → line of its first row
	dup    []uint64         // bit per row ordinal: a duplicate
	first  map[int32]int32  // row ordinal of a duplicate → line of the first row
	check  []uint16         // per row ordinal: a fingerprint of its contact, to notice a list that changed between passes
	frozen bool
}

// ListChangedError says the contact list changed while the run was reading it.
type ListChangedError struct{ Line int }

func (e *ListChangedError) Error() string {
	return fmt.Sprintf("line %d changed while the run was reading the list: do not edit a list while it runs", e.Line)
}

// of reports whether the row at ordinal i is a duplicate, and the line of the first row.
func (d *duplicates) of(i int, row contacts.Row) (dupOf int, err error) {
	fp := uint16(journal.KeyHash(row.Phone + "\x00" + row.Key))
	if d.frozen {
		if i >= len(d.check) || d.check[i] != fp {
			return 0, &ListChangedError{Line: row.Line}
		}
		if d.dup[i/64]&(1<<(i%64)) != 0 {
			return int(d.first[int32(i)]), nil
		}
		return 0, nil
	}
	if d.seen == nil {
		d.seen, d.first = map[uint64]int32{}, map[int32]int32{}
	}
	for len(d.check) <= i {
		d.check = append(d.check, 0)
	}
	for len(d.dup) <= i/64 {
		d.dup = append(d.dup, 0)
	}
	d.check[i] = fp
	// One person is one number: a number appears once per run whatever the ids say, and an
	// id appears once whatever the numbers say.
	hp := journal.KeyHash(row.Phone)
	line, dup := d.seen[hp]
	if !dup && row.Key != row.Phone {
		hk := journal.KeyHash("id\x00" + row.Key)
		if line, dup = d.seen[hk]; !dup {
			d.seen[hk] = int32(row.Line)
		}
	}
	if dup {
		d.dup[i/64] |= 1 << (i % 64)
		d.first[int32(i)] = line
		return int(line), nil
	}
	d.seen[hp] = int32(row.Line)
	return 0, nil
}

// freeze ends the first pass: later passes read the bits.
func (d *duplicates) freeze() {
	d.seen, d.frozen = nil, true
}

// classify decides what row needs now (see classifyRow), then holds back the rows never
// dialled beyond Config.Limit in this pass, and every row to dial once placing has stopped.
// Its error is a problem of the whole run (a contact whose time zone cannot be told),
// reported before anything is dialled.
func (c *classifier) classify(row contacts.Row) (classification, error) {
	cl, err := c.classifyRow(row)
	cl.ord = c.row
	switch {
	case err != nil || cl.kind != kindDial:
	case c.stopped:
		cl.kind = kindStopped
	case cl.attempt == 1 && c.cfg.Limit > 0 && c.fresh >= c.cfg.Limit:
		cl.kind = kindLimited
	case cl.attempt == 1 && c.cfg.Limit > 0:
		c.fresh++
	}
	if cl.reason == "" {
		cl.reason = c.reasonFor(cl.kind, cl)
	}
	return cl, err
}

// reasonFor says why a row classified cl is not dialled, when it is decided k ("" when its
// kind says it all, or the row is dialled).
func (c *classifier) reasonFor(k kind, cl classification) string {
	switch k {
	case kindDuplicate:
		return fmt.Sprintf("same contact as line %d", cl.dupOf)
	case kindSuppressed:
		return "on the do-not-call list"
	case kindOutside:
		return fmt.Sprintf("outside calling hours %s (%s)", c.cfg.Window, cl.zone)
	case kindLimited:
		return fmt.Sprintf("left for a later run: --limit %d new rows a run", c.cfg.Limit)
	case kindStopped:
		return stoppedReason
	}
	return ""
}

// stoppedReason is why a row to dial was not: placing stopped first.
const stoppedReason = "not dialled: the run stopped placing calls before this row; the next run dials it"

// retryDue reports whether a row whose latest outcome is e will be dialled again, now or
// later: it is final, --retry names its status or result, and attempts are left.
// A row whose latest call may exist unfound (unresolved) is never due: a search settles it first.
func (c *classifier) retryDue(e journal.Entry) bool {
	return e.Status != "" && !e.Unsettled && (c.retry[e.Status] || c.retryResult[e.Result]) && e.Attempts < c.cfg.MaxAttempts
}

func (c *classifier) classifyRow(row contacts.Row) (classification, error) {
	if !c.cfg.Shard.Has(row.Key, row.Line) {
		return classification{kind: kindOtherShard}, nil
	}
	if row.Problem != "" {
		return classification{kind: kindInvalid, reason: row.Problem}, nil
	}
	if dupOf, err := c.dups.of(c.row, row); err != nil || dupOf > 0 {
		return classification{kind: kindDuplicate, dupOf: dupOf}, err
	}

	e := c.st.Lookup(row.Key)
	switch {
	case e.Live != nil:
		return classification{kind: kindLive, entry: e}, nil
	case e.Unsettled: // its call may exist: never dialled until a search settles it (see tracker.settle)
		return classification{kind: kindDone, entry: e}, nil
	case c.cfg.Suppress.Contains(row.Phone) && e.Status == "":
		return classification{kind: kindSuppressed, entry: e}, nil
	case c.cfg.Suppress.Contains(row.Phone):
		return classification{kind: kindDone, entry: e}, nil // its outcome stands; never dialled again
	case e.Status != "" && !c.retryDue(e):
		return classification{kind: kindDone, entry: e}, nil
	}
	if e.Status != "" && c.cfg.RetryAfter > 0 {
		if o, ok, _ := c.st.Outcome(row.Key); ok && c.cfg.Now().Before(o.FinishedAt.Add(c.cfg.RetryAfter)) {
			return classification{kind: kindWait, entry: e}, nil
		}
	}
	cl := classification{kind: kindDial, attempt: e.Attempts + 1, entry: e}
	if c.arms != nil {
		cl.agent = c.agentOf(row.Key, e)
	}
	if c.cfg.Window != nil {
		zone, err := c.cfg.Zones.For(row.Phone, row.Zone)
		var zerr *contacts.ZoneError
		switch {
		case errors.As(err, &zerr):
			return cl, &contacts.InputError{File: "", Line: row.Line, Err: err}
		case err != nil: // a bad zone name in the row's zone column
			return classification{kind: kindInvalid, reason: err.Error()}, nil
		}
		cl.zone = zone
		if !c.cfg.Window.Contains(c.cfg.Now().In(zone)) {
			cl.kind = kindOutside
		}
	}
	return cl, nil
}

// agentOf is the agent of a row to dial in an experiment: a row dialled before keeps the
// agent the journal records for its latest attempt, whatever the arms are now; a row never
// dialled takes its arm's.
func (c *classifier) agentOf(key string, e journal.Entry) string {
	if e.Attempts > 0 {
		if o, ok, _ := c.st.Outcome(key); ok && o.AgentID != "" {
			return o.AgentID
		}
	}
	return c.arms.assign(key, c.row)
}

// outcome is the results row's state for row, as the dispatching pass decided it (d) and as
// the journal has it now; retryDue reports a row whose last outcome is final but that a later
// run will dial again (--retry).
func (c *classifier) outcome(row contacts.Row, ord int, d decision) (o journal.Outcome, retryDue bool, err error) {
	switch d.kind {
	case kindInvalid:
		return journal.Outcome{Status: journal.StatusInvalid, Error: d.reason}, false, nil
	case kindDuplicate:
		_, err := c.dups.of(ord, row) // (the list must be the one the pass decided on)
		return journal.Outcome{Status: journal.StatusDuplicate, Error: d.reason}, false, err
	case kindSuppressed:
		return journal.Outcome{Status: journal.StatusSuppressed, Error: d.reason}, false, nil
	}
	e := c.st.Lookup(row.Key)
	o, ok, err := c.st.Outcome(row.Key)
	if err != nil {
		return journal.Outcome{}, false, err
	}
	if lc := e.Live; lc != nil && (!ok || o.Status != journal.StatusTimeout || o.Attempts != lc.Attempt) {
		return journal.Outcome{Status: journal.StatusInFlight, ExecutionID: lc.ExecutionID, Attempts: lc.Attempt, DialedAt: lc.DialedAt, AgentID: lc.Agent}, false, nil
	}
	if !ok {
		// Its call stopped before it rang, or its placement given back when placing stopped: the
		// journal says why. Otherwise the pass's decision does.
		return journal.Outcome{Status: journal.StatusPending, Attempts: e.Attempts, Error: cmp.Or(e.Note, d.reason)}, false, nil
	}
	return o, c.retryDue(e) && !c.cfg.Suppress.Contains(row.Phone), nil
}
