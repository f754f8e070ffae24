package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"golang.org/x/sync/errgroup"
)

// The tracker's looks and what they mean: one path from an observation of a call (a list item,
// a GET, a push) to the call's next phase (see tracker.apply).

// seenBy is where an observation of a call comes from.
type seenBy int

const (
	seenInList seenBy = iota // an item of the executions list (maybe trimmed)
	seenByID                 // GET /executions/{id}: the whole payload
	seenPushed               // a push from Bolna (see Runner.Observe): believed only so far
)

func orNone(s dialer.Status) string {
	if s == "" {
		return "none"
	}
	return string(s)
}

// check brings the due calls up to date as planned (see plan): through the list when it is
// cheaper, by id otherwise, then by id for the full payload of those that became final.
func (t *tracker) check(ctx context.Context, due []*attempt, plan sweepPlan, now time.Time) error {
	var byID []*attempt
	if plan.pages > 0 {
		unseen, finals, err := t.listSweep(ctx, due, plan.statuses, now)
		if err != nil {
			if fatal := t.fatal(err); fatal != nil {
				return fatal
			}
			if plan.statuses != nil && dialer.IsBadRequest(err) && !t.lists.noStatusList {
				t.lists.noStatusList = true
				t.cfg.warnWith(facts{}.err(err), "the executions list refused its status filter (%v); sweeps page through every call from here on", err)
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if plan.statuses == nil && t.lists.refusedList(err) {
				return t.fetch(ctx, due, now) // not an outage: the calls are read by id
			}
			if len(due) > maxFallbackReads {
				// A GET for each of hundreds of calls would spend minutes of the share of
				// other requests, and hold the tracker while the client waits for it: the
				// calls wait for the next look, and the failure counts for the outage rule.
				t.cfg.warnWith(facts{}.err(err), "listing executions failed (%v); looking again at the next look", err)
				for _, c := range due {
					c.nextCheck = later(c.nextCheck, t.sched.align(now))
				}
				return t.lists.noteReads([]error{err}, now)
			}
			t.cfg.warnWith(facts{}.err(err), "listing executions failed (%v); checking calls one by one", err)
			byID = due
		} else {
			byID = append(unseen, finals...)
		}
	} else {
		byID = due
	}
	return t.fetch(ctx, byID, now)
}

// apply is the one path from an observation of a call to what it means, whatever saw it (a
// list sweep, a GET, a search that found the call, a push from Bolna): an outcome recorded when
// the status is final and the payload holds everything the results need (read by id, or
// complete: see dialer.Execution.Complete), a GET asked for (fetch) when it is final but a
// trimmed list item or a half-filled push, and otherwise the slot released if the line has
// dropped and the next look scheduled (see observe).
func (t *tracker) apply(c *attempt, ex *dialer.Execution, how seenBy, now time.Time) (fetch bool, err error) {
	c.heardAt = now
	if gone, err := t.stopSeen(c, ex.Status); gone {
		return false, err
	}
	if !c.adopted && !c.placedAt.IsZero() && how != seenPushed {
		t.lists.offset.note(ex.CreatedAt.Time, c.DialedAt, c.placedAt)
	}
	if t.cfg.Pushes && c.phase.holdsSlot() && !c.reported && (ex.Status.Dropped() || ex.Status.Terminal()) {
		c.reported = true // who told of the dropped line first: a push, or a look
		t.in.reports.note(how == seenPushed)
		t.in.count(func(s *ObservationStats) {
			if how == seenPushed {
				s.DropsPushed++
			} else {
				s.DropsLooked++
			}
		})
	}
	whole := how == seenByID || ex.Complete() || !ex.Status.PostCallData()
	if ex.Status.Terminal() && whole && t.cfg.Pushes {
		t.in.count(func(s *ObservationStats) {
			if how == seenPushed {
				s.OutcomesPushed++
			} else {
				s.OutcomesLooked++
			}
		})
	}
	switch {
	case ex.Status.Terminal() && whole:
		// Nothing more to read: the call never connected, or the payload is whole.
		o := t.outcome(c, ex, now)
		_, err := t.ledger.apply(c, event{kind: evFinal, outcome: &o, status: ex.Status})
		return false, err
	case ex.Status.Terminal():
		return true, nil
	}
	return false, t.observe(c, ex, how, now)
}

// outcome reads the outcome of a call from its final payload, and keeps what Bolna sent that
// cannot be taken as it is out of the record, saying so: a total_cost below zero is no money
// earned (three calls at −1,000,000 would otherwise lift --max-cost for every other row), so
// it counts as 0; a call Bolna says went out on another caller id than the one asked is
// recorded on Bolna's; the fields of a payload too large or too deep to keep whole were left
// out by the client (dialer.Execution.Dropped): the row's error names them.
func (t *tracker) outcome(c *attempt, ex *dialer.Execution, now time.Time) journal.Outcome {
	o := outcomeOf(ex, c.Attempt, c.DialedAt, now)
	if o.Cost < 0 {
		t.cfg.warnWith(t.cfg.about(c).status(ex.Status).outcome(o), "call %s to %s: Bolna reported a total_cost of %g, below zero; a cost is never money earned, so it counts as 0 (for --max-cost too)",
			c.ExecutionID, maskPhone(c.Phone), o.Cost)
		o.Cost = 0
	}
	if said := callerID(ex.CallerNumber()); c.From != "" && said != "" && said != c.From {
		t.cfg.warnCall(c, "call %s to %s went out on %s, Bolna says, not on %s as asked: the results record Bolna's",
			c.ExecutionID, maskPhone(c.Phone), maskPhone(said), maskPhone(c.From))
		o.From = said
	}
	if len(ex.Dropped) > 0 {
		left := make([]string, len(ex.Dropped))
		for i, d := range ex.Dropped {
			left[i] = d.String()
		}
		note := "Bolna's payload was too large or too deep to keep whole; left out: " + strings.Join(left, "; ")
		t.cfg.warnCall(c, "call %s to %s: %s", c.ExecutionID, maskPhone(c.Phone), note)
		o.Error = strings.TrimPrefix(o.Error+"; "+note, "; ")
	}
	return o
}

// callerID is a caller id as Bolna reports it, in E.164 ("" when it is no phone number):
// payloads spell it with or without the +.
func callerID(s string) string {
	digits := strings.TrimPrefix(strings.TrimSpace(s), "+")
	if len(digits) < 6 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return ""
	}
	return "+" + digits
}

// applyOrRead applies a payload seen outside the tracker's looks (a push, a search's list
// item); one that is final but not whole has its call read by id at once.
func (t *tracker) applyOrRead(c *attempt, ex *dialer.Execution, how seenBy, now time.Time) error {
	fetch, err := t.apply(c, ex, how, now)
	if fetch {
		c.nextCheck = now
	}
	return err
}

// fetch reads calls by id, a few at a time, and applies what it read.
func (t *tracker) fetch(ctx context.Context, calls []*attempt, now time.Time) error {
	if len(calls) == 0 {
		return nil
	}
	results := make([]*dialer.Execution, len(calls))
	errs := make([]error, len(calls))
	rctx, cancel := t.lists.readCtx(ctx, now)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(fetchers)
	for i, c := range calls {
		g.Go(func() error {
			results[i], errs[i] = t.dialer.Execution(rctx, c.ExecutionID)
			return nil
		})
	}
	g.Wait()
	if err := t.lists.noteReads(errs, now); err != nil {
		return err
	}
	for i, c := range calls {
		if err := errs[i]; err != nil {
			if fatal := t.fatal(err); fatal != nil {
				return fatal
			}
			if dialer.IsNotFound(err) {
				o := journal.Outcome{Status: journal.StatusUnknown, ExecutionID: c.ExecutionID, Attempts: c.Attempt, DialedAt: c.DialedAt,
					Error: "Bolna no longer knows this execution (404)"}
				if _, err := t.ledger.apply(c, event{kind: evNotFound, outcome: &o}); err != nil {
					return err
				}
				continue
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			t.cfg.warnWith(t.cfg.about(c).err(err), "checking call %s: %v; trying again later", c.ExecutionID, err)
			c.nextCheck = t.sched.align(now)
			continue
		}
		if _, err := t.apply(c, results[i], seenByID, now); err != nil {
			return err
		}
	}
	return nil
}

// observe applies a non-final status: the slot goes back when the line has dropped, and the
// next check is sooner for calls about to change than for queued or post-processing ones.
func (t *tracker) observe(c *attempt, ex *dialer.Execution, how seenBy, now time.Time) error {
	if c.status != ex.Status && !ex.Status.Known() {
		t.cfg.warnWith(t.cfg.about(c).status(ex.Status), "call %s: unknown status %q; still following it", c.ExecutionID, ex.Status)
	}
	if ex.Status.Held() && !t.warnedRescheduled {
		t.warnedRescheduled = true
		t.cfg.logWith(t.cfg.about(c).status(ex.Status), "call %s was %s by Bolna to the agent's calling hours: it holds its slot until it dials or --max-wait ends; match --window to the agent's hours", c.ExecutionID, ex.Status)
	}
	ev := event{kind: evSeen, status: ex.Status}
	if how == seenPushed {
		ev = event{kind: evPushed, status: ex.Status, mayFree: t.book.unconfirmed < t.maxUnconfirmed()}
	}
	effs, err := t.ledger.apply(c, ev)
	switch {
	case err != nil:
		return err
	case has(effs, effContradicted):
		t.in.count(func(s *ObservationStats) { s.Contradicted++ })
		c.seenAt = t.cfg.Now()
		c.nextCheck = t.sched.align(c.seenAt)
		t.cfg.warnCall(c, "call %s: a push said its line had dropped, but Bolna says %s: its slot is taken back (are pushes forged? check who knows the webhook URL)", c.ExecutionID, ex.Status)
		return nil
	case has(effs, effLookSoon):
		c.nextCheck = t.sched.align(now) // a push alone did not free the slot: a look says first
		return nil
	case !has(effs, effNoteStatus):
		return nil // an older observation, delivered late: the line has dropped already
	}
	if c.phase.holdsSlot() {
		c.seenAt = now
	}
	t.sched.scheduleOwn(c, now)
	return nil
}

// has reports whether effs holds an effect of kind k.
func has(effs []effect, k effectKind) bool {
	for _, e := range effs {
		if e.kind == k {
			return true
		}
	}
	return false
}

// fatal turns errors that make following pointless into a *FatalError.
func (t *tracker) fatal(err error) error {
	if dialer.IsUnauthorized(err) {
		return &FatalError{fmt.Errorf("the API key was refused while following calls: %w", err)}
	}
	var fe *FatalError
	if errors.As(err, &fe) {
		return err
	}
	return nil
}
