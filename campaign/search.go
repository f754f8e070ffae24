package campaign

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Reading the executions list, and the search in it for a call whose placement reply was lost
// (see tracker.search): the outage rule, the page guard and the clock windows.

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
	if t.lists.noList {
		return t.unresolved(c, now, conclusive, "the executions list refuses to be read")
	}
	// While the offset of Bolna's clock is known, the call is looked for among the calls
	// created while its POST was in flight; the search that would conclude it was never
	// created reads a proof window, so a wrong offset costs pages, never a result.
	w := windowWide
	if t.lists.offset.known() {
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
		if t.lists.refusedList(err) || errors.Is(err, errListLoops) {
			return t.unresolved(c, now, conclusive, err.Error())
		}
		t.cfg.warnWith(t.cfg.about(c).err(err), "looking for the call to %s: %v; trying again", maskPhone(c.Phone), err)
		if oerr := t.lists.noteReads([]error{err}, now); oerr != nil {
			return oerr
		}
		c.nextCheck = t.sched.align(now.Add(max(t.cfg.PollInterval, time.Second)))
		return nil
	}
	t.lists.noteReads([]error{nil}, now)
	switch {
	case found != nil:
		if _, err := t.ledger.apply(c, event{kind: evFound, id: string(found.ID)}); err != nil {
			return err
		}
		t.cfg.logCall(c, "found the call to %s whose reply was lost: %s", maskPhone(c.Phone), c.ExecutionID)
		return t.applyOrRead(c, found, seenInList, now)
	case !searched || conclusive && proof:
		o := journal.Outcome{Status: journal.StatusUnknown, Attempts: c.Attempt, DialedAt: c.DialedAt,
			Error: "the reply to POST /call was lost and no call carrying its reference was found; not dialled again unless --retry unknown"}
		_, err := t.ledger.apply(c, event{kind: evUnfound, outcome: &o})
		return err
	case conclusive:
		return t.unresolved(c, now, true, "no window of Bolna's list could be shown to cover it")
	}
	c.nextCheck = t.sched.align(now.Add(max(t.cfg.PollInterval, time.Second)))
	return nil
}

// unresolved ends, once conclusive, the search for a call whose placement reply was lost and
// that cannot be looked for (why): waiting teaches nothing, so its row ends unknown and
// unresolved (dialled by no run until a later search settles it) and its slot is given back.
// Until then it is looked at again when conclusive.
func (t *tracker) unresolved(c *attempt, now time.Time, conclusive bool, why string) error {
	if !conclusive {
		c.nextCheck = t.sched.align(later(now.Add(time.Second), c.lostAt.Add(t.cfg.ListLag)))
		return nil
	}
	t.cfg.warnCall(c, "the call to %s whose reply was lost cannot be looked for (%s): its row ends unknown, and no run dials it until a search finds the call or shows it absent", maskPhone(c.Phone), why)
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

// find looks for the call of c in its agent's executions list, in window w (see
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
		opts.From, opts.To, proof = t.lists.proofWindow(c.DialedAt, now)
	case w == windowNarrow && !c.lostAt.IsZero() && t.lists.offset.known():
		opts.From, opts.To = t.lists.offset.window(c.DialedAt, c.lostAt)
	default:
		opts.From, opts.To, proof = t.lists.wide(c.DialedAt, now)
	}
	var candidates []string
	var loops error // the list does not page: what it showed is searched, a miss proves nothing
	for page, err := range t.lists.pages(ctx, c.agent(t.cfg), opts) {
		if errors.Is(err, errListLoops) {
			loops = err
			break
		}
		if err != nil {
			return nil, false, proof, err
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
	}
	if t.lists.noFutureTo && opts.To.After(t.lists.cutoff(now)) {
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
