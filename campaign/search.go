package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Reading the executions list, and the search in it for a call whose placement reply was lost
// (see tracker.search): the outage rule, the page guard and the clock windows.

// list reads one page of the agent's executions. The window reaches a little into the future
// (Bolna's clock may run ahead of ours); should Bolna refuse a future "to" (400), the window ends
// at Bolna's now from then on (see cutoff).
func (t *tracker) list(ctx context.Context, opts dialer.ListOptions) (*dialer.ExecutionPage, error) {
	now := t.cfg.Now()
	if t.noFutureTo && opts.To.After(t.cutoff(now)) {
		opts.To = t.cutoff(now)
	}
	t.pace.pages.take(1, now)
	// One try: a failed read is tried again at the next look, not in a retry loop that holds
	// pushes, slot releases and the outage rule meanwhile.
	ctx, cancel := t.readCtx(dialer.WithOneTry(ctx), now)
	defer cancel()
	page, err := t.dialer.ListExecutions(ctx, t.cfg.AgentID, opts)
	var apiErr *dialer.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == 400 && !t.noFutureTo && opts.To.After(now) && opts.Status == "" {
		// (A 400 on a list filtered by status is taken for a refusal of the filter: see check.)
		t.noFutureTo = true
		t.cfg.warnf("the executions list refused a window ending in the future (%v); windows end now from here on", err)
		opts.To = t.cutoff(now)
		t.pace.pages.take(1, now)
		return t.dialer.ListExecutions(ctx, t.cfg.AgentID, opts)
	}
	return page, err
}

// cutoff is where a window ends once Bolna refuses a "to" in the future: its now by the earliest
// measure of created_at's clock (ours until one is measured).
func (t *tracker) cutoff(now time.Time) time.Time {
	if t.offset.measured() {
		return now.Add(min(t.offset.lo, 0))
	}
	return now
}

// readCtx bounds a read while every read is failing: it ends when the outage rule would give
// up the run (see noteReads), so the rule holds to the second whatever the read's retries.
func (t *tracker) readCtx(ctx context.Context, now time.Time) (context.Context, context.CancelFunc) {
	if t.failingSince.IsZero() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t.failingSince.Add(t.cfg.Outage+time.Second).Sub(now))
}

// refusedList reports whether err is the list refusing a plain request (400): not an outage,
// and not worth asking again. From then on calls are read by id, said once.
func (t *tracker) refusedList(err error) bool {
	var apiErr *dialer.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		return false
	}
	if !t.noList {
		t.noList = true
		t.cfg.warnf("the executions list refused a request (%v): calls are read by id from here on, and a call whose placement reply was lost cannot be looked for (its row ends unknown after --list-lag, dialled by no run until a search settles it; the next run looks again)", err)
	}
	return true
}

// pageGuard ends a read of the list that would never end: a list that ignores page_number
// (the same page again) or has more for ever.
type pageGuard struct {
	last  []dialer.ID
	pages int
}

// errListLoops is a read of the list given up by a pageGuard.
var errListLoops = errors.New("the executions list does not page (the same page again, or more than 1,000 pages)")

func (g *pageGuard) check(page *dialer.ExecutionPage) error {
	g.pages++
	ids := make([]dialer.ID, len(page.Data))
	for i := range page.Data {
		ids[i] = page.Data[i].ID
	}
	if g.pages > maxListPages || g.pages > 1 && len(ids) > 0 && slices.Equal(ids, g.last) {
		return errListLoops
	}
	g.last = ids
	return nil
}

// noteReads gives up the run when every read has failed for longer than Config.Outage: Bolna
// is down or unreachable, and following calls blindly until --max-wait would only hold the
// lock. The calls stay live in the journal; the next run follows them.
func (t *tracker) noteReads(errs []error, now time.Time) error {
	for _, err := range errs {
		if err == nil {
			t.failingSince = time.Time{}
			return nil
		}
	}
	if t.failingSince.IsZero() {
		t.failingSince = now
		return nil
	}
	if d := now.Sub(t.failingSince); d > t.cfg.Outage {
		return &FatalError{fmt.Errorf("no read of Bolna has succeeded for %s (%v); the calls in flight are recorded and the next run follows them",
			d.Round(time.Second), errs[0])}
	}
	return nil
}

// search looks for a call whose placement reply was lost: among the agent's executions
// created since it was dialled, the one whose user_data carries its reference. Found, it is
// followed like any other. Its row ends unknown (not dialled again unless --retry unknown) only
// once a search of a proof window (see proofWindow) did not find it, Config.ListLag after the
// reply was lost. A search that cannot run (the list refuses to be read, or does not page) or
// cannot prove anything (no window fits) is not waited on: after ListLag the row ends unknown
// and unresolved, its slot given back, and no run dials it until a search settles it (see
// journal.Outcome.Unresolved). A search that failed otherwise counts as a failed read (see
// noteReads) and is tried again.
func (t *tracker) search(ctx context.Context, c *attempt, now time.Time) error {
	conclusive := !now.Before(c.lostAt.Add(t.cfg.ListLag))
	if t.noList {
		return t.unresolved(c, now, conclusive, "the executions list refuses to be read")
	}
	// While the offset of Bolna's clock is known, the call is looked for among the calls
	// created while its POST was in flight; the search that would conclude it was never
	// created reads a proof window, so a wrong offset costs pages, never a result.
	w := windowWide
	if t.offset.known() {
		w = windowNarrow
	}
	found, searched, proof, err := t.find(ctx, c, now, w)
	if err == nil && found == nil && searched && conclusive && !proof {
		found, searched, proof, err = t.find(ctx, c, now, windowProof)
	}
	if err != nil {
		if fatal := t.fatal(err); fatal != nil {
			return fatal
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if t.refusedList(err) || errors.Is(err, errListLoops) {
			return t.unresolved(c, now, conclusive, err.Error())
		}
		t.cfg.warnf("looking for the call to %s: %v; trying again", maskPhone(c.Phone), err)
		if oerr := t.noteReads([]error{err}, now); oerr != nil {
			return oerr
		}
		c.nextCheck = t.align(now.Add(max(t.cfg.PollInterval, time.Second)))
		return nil
	}
	t.noteReads([]error{nil}, now)
	switch {
	case found != nil:
		if _, err := t.ledger.apply(c, event{kind: evFound, id: string(found.ID)}); err != nil {
			return err
		}
		t.cfg.logf("found the call to %s whose reply was lost: %s", maskPhone(c.Phone), c.ExecutionID)
		return t.applyOrRead(c, found, seenInList, now)
	case !searched || conclusive && proof:
		o := journal.Outcome{Status: journal.StatusUnknown, Attempts: c.Attempt, DialedAt: c.DialedAt,
			Error: "the reply to POST /call was lost and no call carrying its reference was found; not dialled again unless --retry unknown"}
		_, err := t.ledger.apply(c, event{kind: evUnfound, outcome: &o})
		return err
	case conclusive:
		return t.unresolved(c, now, true, "no window of Bolna's list could be shown to cover it")
	}
	c.nextCheck = t.align(now.Add(max(t.cfg.PollInterval, time.Second)))
	return nil
}

// unresolved ends, once conclusive, the search for a call whose placement reply was lost and
// that cannot be looked for (why): waiting teaches nothing, so its row ends unknown and
// unresolved (dialled by no run until a later search settles it) and its slot is given back.
// Until then it is looked at again when conclusive.
func (t *tracker) unresolved(c *attempt, now time.Time, conclusive bool, why string) error {
	if !conclusive {
		c.nextCheck = t.align(later(now.Add(time.Second), c.lostAt.Add(t.cfg.ListLag)))
		return nil
	}
	t.cfg.warnf("the call to %s whose reply was lost cannot be looked for (%s): its row ends unknown, and no run dials it until a search finds the call or shows it absent", maskPhone(c.Phone), why)
	o := unresolvedOutcome(c.LiveCall, why)
	_, err := t.ledger.apply(c, event{kind: evUnresolved, outcome: &o})
	return err
}

// unresolvedOutcome is the outcome of an attempt whose call may exist and could not be looked
// for (why).
func unresolvedOutcome(lc journal.LiveCall, why string) journal.Outcome {
	return journal.Outcome{Status: journal.StatusUnknown, Attempts: lc.Attempt, DialedAt: lc.DialedAt, Unresolved: true,
		Error: "the reply to POST /call was lost and the call could not be looked for (" + why + "); no run dials this row until a search finds the call or shows it absent"}
}

// searchWindow is where find looks for a call.
type searchWindow uint8

const (
	windowWide   searchWindow = iota // every call created since the call's intent, where any estimate of Bolna's clock puts them
	windowNarrow                     // the calls created while its POST was in flight, by the measured offset (a miss proves nothing)
	windowProof                      // a window a miss in proves the call absent (see proofWindow)
)

// find looks for the call of c in the agent's executions list, in window w (see
// searchWindow). searched is false when it could not look: the call is older than the list's
// window. proof is true when a miss there shows the call was never created.
func (t *tracker) find(ctx context.Context, c *attempt, now time.Time, w searchWindow) (ex *dialer.Execution, searched, proof bool, err error) {
	if now.Sub(c.DialedAt) > maxListWindow {
		return nil, false, true, nil
	}
	ours := func(ref string) bool { return ref == c.Ref || c.torn && strings.HasPrefix(ref, c.Ref) }
	opts := dialer.ListOptions{PageSize: dialer.MaxListPageSize}
	switch {
	case w == windowProof:
		opts.From, opts.To, proof = t.proofWindow(c.DialedAt, now)
	case w == windowNarrow && !c.lostAt.IsZero() && t.offset.known():
		opts.From, opts.To = t.offset.window(c.DialedAt, c.lostAt)
	default:
		opts.From, opts.To, proof = t.wide(c.DialedAt, now)
	}
	var (
		candidates []string
		guard      pageGuard
	)
	var loops error // the list does not page: what it showed is searched, a miss proves nothing
	for opts.Page = 1; loops == nil; opts.Page++ {
		page, err := t.list(ctx, opts)
		if err != nil {
			return nil, false, proof, err
		}
		if loops = guard.check(page); loops != nil {
			break
		}
		for i := range page.Data {
			item := &page.Data[i]
			if _, tracked := t.book.calls[string(item.ID)]; tracked || t.known[string(item.ID)] || !dialer.ValidID(string(item.ID)) {
				continue
			}
			if ref := item.ContextDetails.RecipientValue(contacts.RefKey); ref != "" {
				if ours(ref) {
					return item, true, proof, nil
				}
				continue
			}
			if to := item.RecipientNumber(); to == "" || to == c.Phone {
				candidates = append(candidates, string(item.ID))
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
	}
	if t.noFutureTo && opts.To.After(t.cutoff(now)) {
		proof = false // the window was cut at Bolna's now: a call created later by its clock was not read
	}
	sort.Strings(candidates)
	for _, id := range candidates {
		ex, err := t.dialer.Execution(ctx, id)
		if err != nil {
			return nil, false, proof, err
		}
		if ours(ex.ContextDetails.RecipientValue(contacts.RefKey)) {
			return ex, true, proof, nil
		}
	}
	if loops != nil {
		return nil, false, proof, loops
	}
	return nil, true, proof, nil
}

// maskPhone keeps log lines free of whole phone numbers.
func maskPhone(p string) string {
	if len(p) <= 6 {
		return "…"
	}
	return p[:len(p)-6] + "••••" + p[len(p)-2:]
}
