package main

import (
	"context"
	"path/filepath"
	"strconv"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// importJournal loads a campaign's journal into the history the first time a run of it meets
// the history (one that holds no attempt of the campaign): a campaign run before the history
// existed has its calls counted by every other campaign's guard from then on. The calls it
// still follows keep their references (the run's reconciliation finds them open); the others
// are settled under references the journal answers for (its own, the run's part "import"). An attempt that was no call (a row skipped, a
// POST refused) is not imported; one that may have been (unknown, timed out) is. It returns
// how many attempts it added.
func importJournal(ctx context.Context, h accountHistory, st *journal.State, list, results string) (int, error) {
	if st.Campaign() == "" {
		return 0, nil
	}
	if known, err := h.CampaignKnown(ctx, st.Campaign()); err != nil || known {
		return 0, err
	}
	agent := st.Owner().Agent
	list, _ = filepath.Abs(list)
	results, _ = filepath.Abs(results)
	base := history.Attempt{Campaign: st.Campaign(), List: list, Results: results, Agent: agent}
	var entries []history.Entry
	open := map[string]bool{}                            // phone and attempt number of the calls still followed
	for _, lc := range append(st.Live(), st.Torn()...) { // first: an execution id is imported once
		e := history.Entry{Attempt: base, State: history.StateReserved, Outcome: history.Outcome{ExecutionID: lc.ExecutionID}}
		e.Phone, e.From, e.Number, e.Ref, e.At, e.Placed = lc.Phone, lc.From, max(lc.Attempt, 1), lc.Ref, lc.DialedAt, lc.PlacedAt
		if lc.ExecutionID != "" {
			e.State = history.StatePlaced
		}
		open[attemptOf(e.Phone, e.Number)] = true
		entries = append(entries, e)
	}
	for a, err := range st.Attempts() {
		if err != nil {
			return 0, err
		}
		o := a.Outcome
		if o.ExecutionID == "" && o.Status != journal.StatusUnknown && o.Status != journal.StatusTimeout {
			continue // no call: skipped, refused, stopped before its POST
		}
		if open[attemptOf(a.Phone, max(o.Attempts, 1))] {
			continue // timed out, still followed: imported above under its own reference
		}
		state := history.StateSettled
		if o.Unresolved || o.Status == journal.StatusTimeout {
			state = history.StatePlaced // still followed, or looked for, by a later run
		}
		e := history.Entry{Attempt: base, State: state, Outcome: history.Outcome{ExecutionID: o.ExecutionID,
			Status: string(o.Status), Result: string(o.Result()), Cost: o.Cost, Talk: o.Duration, Ended: o.FinishedAt}}
		e.Phone, e.From, e.Number, e.At = a.Phone, o.From, max(o.Attempts, 1), o.DialedAt
		// A reference the journal answers for (FateOf), so that a run settles the attempt
		// should it still be open; without the phone number, which references carry into
		// warnings and errors.
		e.Ref = st.RefPrefix(a.Key, e.Number) + "import"
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return 0, nil
	}
	return h.Import(ctx, entries)
}

// attemptOf names a person's n-th attempt.
func attemptOf(phone string, n int) string { return phone + "#" + strconv.Itoa(n) }
