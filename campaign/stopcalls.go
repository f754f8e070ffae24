package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// stopRounds is how many times, with no run going, a stop that could not be sent (Bolna's
// request limits, an outage) is sent in all, after the client's own retries.
const stopRounds = 3

// StopReport is what [StopCalls] did to a campaign's calls in flight.
type StopReport struct {
	Stopped int // stopped before they rang, as Bolna's status confirms: their attempts are given back
	Started int // had rung or ended: the next run follows them (an outcome already known is recorded)
	// Unconfirmed were acknowledged by Bolna, which does not report them stopped: they may
	// ring yet, and stay in flight for the next run to follow.
	Unconfirmed int
	Failed      int // the stop could not be sent: they stay in flight
	// Searched is how many calls whose placement reply was lost (or whose intent a crash cut)
	// were looked for, as a run looks for them; Found those found (their execution ids are
	// recorded, and they were stopped as the others); Unresolved those that could not be
	// looked for (too old for the list, say): their rows are unknown, never taken for not
	// dialled.
	Searched, Found, Unresolved int
}

// Unsettled reports whether some call may still ring although it was asked to stop, could
// not be asked, or could not be looked for.
func (r *StopReport) Unsettled() bool { return r.Unconfirmed+r.Failed+r.Unresolved > 0 }

// StopCalls stops, with no run going, every call of the campaign in st that has not rung: the
// calls the journal has in flight, and those whose placement reply was lost, looked for first
// as a run would (see tracker.settle: what the search learns is recorded, so the next run does
// not dial them). An attempt is given back only once Bolna's status confirms its stop. A search
// that cannot conclude returns its error (a *FatalError) with what was done so far: its row
// stays in flight, never taken for not dialled. cfg needs AgentID, the campaign's agent.
func StopCalls(ctx context.Context, d Dialer, st *journal.State, cfg Config) (*StopReport, error) {
	cfg.setDefaults()
	if _, ok := d.(callStopper); !ok {
		return nil, errors.New("campaign: this client cannot stop calls")
	}
	// The account first, as a run reads it: the key is checked, and the reply's Date header
	// bounds Bolna's clock for the searches.
	if _, err := d.Account(ctx); err != nil {
		if dialer.IsUnauthorized(err) {
			return nil, &FatalError{fmt.Errorf("the API key was refused: %w", err)}
		}
		return nil, &FatalError{fmt.Errorf("reading the account: %w", err)}
	}
	looks := newLimits(&cfg).looks // one pacer: the ledger gives slots' times to the one the tracker schedules by
	t := newTracker(trackerDeps{cfg: &cfg, dialer: d, st: st, ledger: newLedger(ledgerDeps{st: st, now: cfg.Now, looks: looks, log: cfg.Logger, arm: cfg.AgentID}), looks: looks})
	t.warnedRescheduled = true // (advice for a run: a stop has none to take)
	rep := &StopReport{}
	live := st.Live()
	known := map[string]bool{}
	var calls, orphans []journal.LiveCall
	for _, lc := range live {
		if lc.ExecutionID != "" {
			known[lc.ExecutionID] = true
			calls = append(calls, lc)
		} else {
			orphans = append(orphans, lc)
		}
	}
	if err := t.stopEach(ctx, calls, rep); err != nil { // the brake first: the searches may take a while
		return rep, err
	}
	torn := st.Torn()
	if rep.Searched = len(orphans) + len(torn); rep.Searched == 0 {
		return rep, nil
	}
	// The search is given the calls as they were: those stopped already are ours (never
	// taken for an orphan's), and tell Bolna's clock. The calls found are recorded as found,
	// even those of a search that then failed: all are stopped, and the failure returned after.
	_, _, searchErr := t.settle(ctx, live, torn, cfg.Now())
	var found []journal.LiveCall
	for _, lc := range st.Live() {
		if lc.ExecutionID != "" && !known[lc.ExecutionID] {
			found = append(found, lc)
		}
	}
	rep.Found = len(found)
	for _, lc := range append(orphans, torn...) {
		// Ended unknown, its attempt kept: the search could not look for it (a voided one
		// has its attempt given back).
		if e := st.Lookup(lc.Key); e.Live == nil && e.Attempts == lc.Attempt && e.Status == journal.StatusUnknown {
			rep.Unresolved++
		}
	}
	if err := t.stopEach(ctx, found, rep); err != nil {
		return rep, errors.Join(searchErr, err)
	}
	return rep, searchErr
}

// stopEach stops the calls (each with its execution id) that have not rung, counting in rep
// what came of each; a stop that could not be sent is sent again, stopRounds times in all.
func (t *tracker) stopEach(ctx context.Context, calls []journal.LiveCall, rep *StopReport) error {
	for round := 1; len(calls) > 0; round++ {
		var (
			again []journal.LiveCall
			wait  = time.Second
		)
		for _, lc := range calls {
			v, cause, err := t.stopOne(ctx, lc)
			if err != nil {
				return err
			}
			switch v {
			case stopConfirmed:
				rep.Stopped++
			case stopRefused:
				rep.Started++
			case stopAsked:
				rep.Unconfirmed++
			default:
				again = append(again, lc)
				if apiErr := (*dialer.APIError)(nil); errors.As(cause, &apiErr) {
					wait = max(wait, apiErr.RetryAfter)
				}
			}
		}
		if calls = again; round == stopRounds {
			rep.Failed += len(again)
			return nil
		}
		if len(calls) > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				rep.Failed += len(again)
				return context.Cause(ctx)
			}
		}
	}
	return nil
}

// stopOne reads a call the journal has in flight, as a run takes over one an earlier run left
// (what it learns is recorded: an outcome, say), and stops it if it still waits: stopRefused
// when it has rung or ended. A call that cannot be read is stopFailed, with why.
func (t *tracker) stopOne(ctx context.Context, lc journal.LiveCall) (v stopVerdict, cause, fatal error) {
	a := &attempt{LiveCall: lc, adopted: true}
	if _, err := t.ledger.apply(a, event{kind: evAdopted}); err != nil {
		return 0, nil, err
	}
	now := t.cfg.Now()
	a.deadline = now.Add(t.cfg.MaxWait)
	ex, err := t.dialer.Execution(ctx, lc.ExecutionID)
	if err != nil {
		if fatal := t.fatal(err); fatal != nil {
			return 0, err, fatal
		}
		return stopFailed, err, nil
	}
	if _, err := t.apply(a, ex, seenByID, now); err != nil {
		return 0, nil, err
	}
	if a.phase != phaseQueued {
		return stopRefused, nil, nil
	}
	return t.stop(ctx, a, stopCommandReason)
}
