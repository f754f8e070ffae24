package campaign

import "time"

// scheduler decides when the tracker looks at each call: the calls holding a slot together,
// when the pacer says (as often as the poll interval and the list's budget allow, once lines
// are likely to have dropped, and seldom while pushes report them); the others on a grid of
// the poll interval, every few intervals for those that free no slot soon.
type scheduler struct {
	cfg   *Config
	pace  *pacer
	book  *book                // the calls followed
	in    *intake              // what the pushes are worth
	pages func([]*attempt) int // what a look at some calls is expected to cost (see tracker.listPages)

	slotCheck time.Time // when the calls holding a slot are due; zero while none is
	draining  bool      // nothing is left to dial: a freed slot is no longer urgent
}

// interval is how often the calls that are not paced with those holding a slot are checked:
// the poll interval, and more once nothing is left to dial. It changes seldom, so that checks
// stay on one grid.
func (s *scheduler) interval() time.Duration {
	if s.draining {
		return s.pace.drainInterval(s.cfg.PollInterval)
	}
	return s.cfg.PollInterval
}

// nextWake is when the earliest call is due (for a check or its --max-wait), at most one
// interval away.
func (s *scheduler) nextWake() time.Time {
	wake := s.cfg.Now().Add(s.interval())
	for _, c := range s.book.calls {
		wake = earlier(wake, earlier(s.due(c), c.deadline))
	}
	return wake
}

// due is when a call is due for a check: with the other calls holding a slot while those
// are paced, else at its own time.
func (s *scheduler) due(c *attempt) time.Time {
	if s.paced(c) && !s.slotCheck.IsZero() {
		return earlier(s.slotCheck, c.nextCheck)
	}
	return c.nextCheck
}

// paced reports whether a call is looked at with the calls holding a slot, when the pacer
// says: it holds one, something is left to dial, its execution id is known, and it is not
// waiting on Bolna's guardrails (which hold it for hours).
func (s *scheduler) paced(c *attempt) bool {
	return c.phase.holdsSlot() && c.phase != phaseSearching && !s.draining && !c.status.Held()
}

// schedule sets when the calls holding a slot are looked at next, the last look being now.
func (s *scheduler) schedule(now time.Time) {
	var (
		hs    []holder
		paced []*attempt
	)
	for _, c := range s.book.calls {
		if s.paced(c) {
			hs = append(hs, holder{placed: c.placedAt, seen: c.seenAt})
			paced = append(paced, c)
		}
	}
	s.slotCheck = time.Time{}
	if len(hs) == 0 {
		return
	}
	if !s.in.pushing() {
		s.slotCheck = s.pace.nextLook(now, hs, s.pages(paced))
		return
	}
	// Pushes report most dropped lines: look as polling would for the share they do not
	// report (from nearly never while every push arrives, to polling as usual once they stop),
	// and at once for a call silent longer than most calls last (its push may be lost), but
	// never sooner than the poll interval.
	next := s.pace.nextLookFor(now, hs, s.pages(paced), s.in.reports.unseen())
	expect := s.cfg.SafetySweep
	if s.pace.measured() {
		expect = s.pace.quantile(0.9)
	}
	for _, c := range s.book.calls {
		if s.paced(c) {
			next = earlier(next, later(c.heardAt, c.placedAt).Add(expect))
		}
	}
	s.slotCheck = later(next, now.Add(s.cfg.PollInterval))
}

// align puts a check time on the grid of the check interval, so that calls placed at
// different moments come due together and one list request serves them all.
func (s *scheduler) align(now time.Time) time.Time {
	iv := s.interval()
	return now.Truncate(iv).Add(iv)
}

// scheduleOwn sets when a call is next due for a look of its own, after an observation at now.
func (s *scheduler) scheduleOwn(c *attempt, now time.Time) {
	switch {
	case s.paced(c):
		c.nextCheck = s.align(now.Add(maxCheckInterval)) // looked at with the others holding a slot
	case s.draining:
		c.nextCheck = s.align(now.Add(s.interval())) // with nothing left to dial, a slot is not urgent
	case c.phase == phaseDropped, c.phase == phaseQueued:
		// Post-processing takes seconds to minutes and a queued call frees no slot. While
		// calls hold slots, the looks at them see these calls too (the list is newest
		// first), so they seldom need a look of their own.
		c.nextCheck = s.align(now.Add(ownLooks * s.interval()))
	default:
		c.nextCheck = s.align(now)
	}
	if s.in.pushing() { // the pushes say what changes; looks are the safety net
		c.nextCheck = later(c.nextCheck, now.Add(s.cfg.SafetySweep))
	}
	if c.unconfirmed {
		// A look confirms a slot freed on a push's word: the calls freed within a few seconds
		// come due together, so one list page confirms them all.
		every := max(s.interval(), confirmEvery)
		c.nextCheck = earlier(c.nextCheck, now.Truncate(every).Add(every))
	}
}
