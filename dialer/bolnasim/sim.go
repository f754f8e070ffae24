package bolnasim

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// execution is one call in the simulated account.
type execution struct {
	seq        uint64
	id         string
	agentID    string
	phone      string
	from       string
	userData   map[string]json.RawMessage
	outcome    Outcome
	mix        *Mix // the agent's, nil for none (see answer)
	status     dialer.Status
	createdAt  time.Time
	updatedAt  time.Time
	providerID string

	holdsSlot bool
	left      bool // no longer queued nor holding a slot
	slotAt    time.Time
	freedAt   time.Time     // when it gave its slot back
	talk      time.Duration // conversation length once answered
	ring      time.Duration
	cost      float64
	finalAt   time.Time
}

// event is one scheduled status change.
type event struct {
	at  time.Time
	seq uint64
	ex  *execution
	to  dialer.Status
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// span is the time one call held a slot.
type span struct{ at, freed time.Time }

// sim is the account's call engine: a discrete-event simulation advanced lazily to the clock's
// present whenever anything looks at it. It is not safe for concurrent use; API holds its lock.
type sim struct {
	opts    *Options
	rng     *rand.Rand
	seq     uint64
	events  eventHeap
	queue   []*execution // FIFO of calls waiting for a slot
	byID    map[string]*execution
	ordered []*execution // creation order
	wallet  float64

	slotsUsed      int
	outstanding    int            // queued or holding a slot
	byFrom         map[string]int // outstanding, by caller id
	maxByFrom      map[string]int
	maxSlotsUsed   int
	maxOutstanding int
	unfinished     int // created and not final
	maxUnfinished  int
	slotBusy       time.Duration
	firstSlot      time.Time // when the first call took a slot
	lastRelease    time.Time // when the latest slot was given back
	lastSlot       time.Time // when the latest call took a slot
	spans          []span    // every slot held and given back, in the order given back

	changed func(ex *execution) // called at each status change (webhook pushes); may be nil
}

func (s *sim) notify(ex *execution) {
	if s.changed != nil {
		s.changed(ex)
	}
}

func newSim(opts *Options) *sim {
	return &sim{
		opts:   opts,
		rng:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		byID:   map[string]*execution{},
		wallet: opts.Wallet,
	}
}

func (s *sim) draw(r Range) time.Duration {
	d := r.Min
	if r.Max > r.Min {
		d += time.Duration(s.rng.Int64N(int64(r.Max-r.Min) + 1))
	}
	return time.Duration(float64(d) * s.opts.TimeScale)
}

func (s *sim) newID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// mix is the agent's outcome mix, nil when it has none.
func (s *sim) mix(agentID string) *Mix {
	if m, ok := s.opts.Mixes[agentID]; ok {
		return &m
	}
	return nil
}

// create adds a call at now, queued for a slot.
func (s *sim) create(now time.Time, agentID, phone, from string, userData map[string]json.RawMessage) *execution {
	s.advance(now)
	s.seq++
	var outcome Outcome
	if s.opts.OutcomeFor != nil {
		data := make(map[string]string, len(userData))
		for k, v := range userData {
			var text string
			if json.Unmarshal(v, &text) == nil {
				data[k] = text
			}
		}
		outcome = s.opts.OutcomeFor(phone, data)
	} else {
		outcome = s.opts.Outcome(phone)
	}
	if o, ok := s.opts.Script[phone]; ok {
		outcome = o
	}
	ex := &execution{
		seq: s.seq, id: s.newID(), agentID: agentID, phone: phone, from: from,
		userData: userData, outcome: outcome, mix: s.mix(agentID), status: dialer.StatusQueued, createdAt: now, updatedAt: now,
	}
	s.byID[ex.id] = ex
	s.ordered = append(s.ordered, ex)
	s.evict()
	s.outstanding++
	s.maxOutstanding = max(s.maxOutstanding, s.outstanding)
	if s.byFrom == nil {
		s.byFrom, s.maxByFrom = map[string]int{}, map[string]int{}
	}
	s.byFrom[from]++
	s.maxByFrom[from] = max(s.maxByFrom[from], s.byFrom[from])
	s.unfinished++
	s.maxUnfinished = max(s.maxUnfinished, s.unfinished)
	if g := s.opts.Guardrails; g != nil {
		if at := g(now); !at.IsZero() && at.After(now) {
			ex.status = dialer.StatusRescheduled
			s.schedule(ex, at, dialer.StatusQueued)
			s.notify(ex)
			return ex
		}
	}
	if outcome.StuckAt != dialer.StatusQueued {
		s.queue = append(s.queue, ex)
	}
	s.notify(ex)
	s.dispatch(now)
	return ex
}

// evict forgets the oldest finished calls beyond Options.MaxRetained.
func (s *sim) evict() {
	limit := s.opts.MaxRetained
	for limit > 0 && len(s.ordered) > limit && s.ordered[0].status.Terminal() {
		delete(s.byID, s.ordered[0].id)
		s.ordered[0] = nil
		s.ordered = s.ordered[1:]
	}
}

// dispatch gives free slots to waiting calls, first come first served.
func (s *sim) dispatch(at time.Time) {
	for len(s.queue) > 0 && s.slotsUsed < s.opts.Concurrency {
		ex := s.queue[0]
		s.queue = s.queue[1:]
		if ex.status != dialer.StatusQueued { // stopped while waiting
			continue
		}
		if s.wallet <= 0 || ex.outcome.Status == dialer.StatusBalanceLow {
			s.finish(ex, at, dialer.StatusBalanceLow)
			s.notify(ex)
			continue
		}
		ex.holdsSlot, ex.slotAt = true, at
		if s.firstSlot.IsZero() {
			s.firstSlot = at
		}
		s.lastSlot = at
		s.slotsUsed++
		s.maxSlotsUsed = max(s.maxSlotsUsed, s.slotsUsed)
		s.schedule(ex, at.Add(s.draw(s.opts.Timing.Dequeue)), dialer.StatusInitiated)
	}
}

// nextAt is when the next transition is due; ok is false when none is.
func (s *sim) nextAt() (at time.Time, ok bool) {
	if len(s.events) == 0 {
		return time.Time{}, false
	}
	return s.events[0].at, true
}

func (s *sim) schedule(ex *execution, at time.Time, to dialer.Status) {
	s.seq++
	heap.Push(&s.events, event{at: at, seq: s.seq, ex: ex, to: to})
}

// advance applies every transition due by now, in time order.
func (s *sim) advance(now time.Time) {
	for len(s.events) > 0 && !s.events[0].at.After(now) {
		ev := heap.Pop(&s.events).(event)
		s.apply(ev)
	}
}

func (s *sim) apply(ev event) {
	ex, at, t := ev.ex, ev.at, s.opts.Timing
	if ex.status.Terminal() {
		return
	}
	defer s.notify(ex)
	ex.status, ex.updatedAt = ev.to, at
	switch ev.to {
	case dialer.StatusQueued: // out of the agent's guardrails: now it waits for a slot like any other
		if ex.outcome.StuckAt != dialer.StatusQueued {
			s.queue = append(s.queue, ex)
			s.dispatch(at)
		}
	case dialer.StatusInitiated:
		ex.providerID = s.newID()
		switch ex.outcome.Status {
		case "failed", "error":
			s.schedule(ex, at.Add(s.draw(t.FailAfter)), ex.outcome.Status)
		default:
			s.schedule(ex, at.Add(s.draw(t.Dial)), dialer.StatusRinging)
		}
	case dialer.StatusRinging:
		switch ex.outcome.Status {
		case dialer.StatusNoAnswer:
			ex.ring = s.draw(t.NoAnswerRing)
			s.schedule(ex, at.Add(ex.ring), dialer.StatusNoAnswer)
		case dialer.StatusBusy:
			ex.ring = s.draw(t.BusyAfter)
			s.schedule(ex, at.Add(ex.ring), dialer.StatusBusy)
		default:
			ex.ring = s.draw(t.Ring)
			if ex.outcome.Talk < 0 { // rejected: the line drops without a conversation
				s.schedule(ex, at.Add(ex.ring), dialer.StatusCallDisconnected)
				return
			}
			s.schedule(ex, at.Add(ex.ring), dialer.StatusInProgress)
		}
	case dialer.StatusInProgress:
		ex.talk = ex.outcome.Talk
		if ex.talk == 0 {
			ex.talk = s.draw(t.Talk)
		} else {
			ex.talk = time.Duration(float64(ex.talk) * s.opts.TimeScale)
		}
		s.schedule(ex, at.Add(ex.talk), dialer.StatusCallDisconnected)
	case dialer.StatusCallDisconnected:
		ex.cost = callCost(ex.talk, s.opts.TimeScale)
		if !s.opts.Style.DisconnectHoldsSlot {
			s.release(ex, at)
		}
		if ex.outcome.StuckAt != dialer.StatusCallDisconnected {
			s.schedule(ex, at.Add(s.draw(t.PostProcess)), dialer.StatusCompleted)
		}
	default:
		s.finish(ex, at, ev.to)
	}
}

// finish ends a call in a final status at time at.
func (s *sim) finish(ex *execution, at time.Time, status dialer.Status) {
	ex.status, ex.updatedAt, ex.finalAt = status, at, at
	s.unfinished--
	if status == dialer.StatusCompleted {
		s.wallet -= ex.cost
	}
	if ex.holdsSlot {
		s.release(ex, at)
	}
	s.leave(ex)
}

// release frees the call's concurrency slot and hands it to the next waiting call.
func (s *sim) release(ex *execution, at time.Time) {
	if !ex.holdsSlot {
		return
	}
	ex.holdsSlot = false
	s.slotsUsed--
	s.slotBusy += at.Sub(ex.slotAt)
	s.lastRelease, ex.freedAt = at, at
	s.spans = append(s.spans, span{ex.slotAt, at})
	s.leave(ex)
	s.dispatch(at)
}

// leave takes the call out of the outstanding count (queued or holding a slot), once.
func (s *sim) leave(ex *execution) {
	if !ex.left {
		ex.left = true
		s.outstanding--
		if s.byFrom != nil {
			s.byFrom[ex.from]--
		}
	}
}

// stop ends a waiting call; it reports false for a call that is already dialling or later.
func (s *sim) stop(now time.Time, ex *execution) bool {
	if !s.stoppable(now, ex) {
		return false
	}
	s.finish(ex, now, s.opts.Style.StopStatus)
	s.notify(ex)
	return true
}

// stoppable reports whether a call is still waiting at now (queued, scheduled, rescheduled,
// prepared): the only calls a stop applies to.
func (s *sim) stoppable(now time.Time, ex *execution) bool {
	s.advance(now)
	switch ex.status {
	case dialer.StatusQueued, dialer.StatusScheduled, dialer.StatusRescheduled, dialer.StatusPrepared:
		return true
	}
	return false
}

// callCost is total_cost in cents for a conversation: about 9 cents a minute plus a cent to
// connect, computed on the unscaled length so that costs look real under compressed time.
func callCost(talk time.Duration, scale float64) float64 {
	secs := talk.Seconds() / scale
	return math.Round((1+secs*0.15)*100) / 100
}

// slotSpans are the times calls held a slot, in the order they took it: those given back, and
// those still held, up to now. They outlive MaxRetained's forgetting (a few bytes a call).
func (s *sim) slotSpans(now time.Time) []span {
	spans := slices.Clone(s.spans)
	for _, ex := range s.ordered {
		if ex.holdsSlot {
			spans = append(spans, span{ex.slotAt, now})
		}
	}
	slices.SortStableFunc(spans, func(a, b span) int { return a.at.Compare(b.at) })
	return spans
}

// steadyUtilisation is the share of slot time used from the first call taking a slot to the
// last one doing so: the stretch in which a runner always had calls left to place, so every
// idle slot there is the runner's doing (after it, slots empty as the last calls end, whatever
// the runner).
func (s *sim) steadyUtilisation(now time.Time) float64 {
	window := s.lastSlot.Sub(s.firstSlot)
	if window <= 0 {
		return 0
	}
	var used time.Duration
	for _, sp := range s.slotSpans(now) {
		from, to := slices.MaxFunc([]time.Time{sp.at, s.firstSlot}, time.Time.Compare), slices.MinFunc([]time.Time{sp.freed, s.lastSlot}, time.Time.Compare)
		if to.After(from) {
			used += to.Sub(from)
		}
	}
	return used.Seconds() / (float64(s.opts.Concurrency) * window.Seconds())
}

// bound is the makespan of the calls that took a slot had each been dialled the instant a
// slot freed: list scheduling of their slot times, in the order they took a slot, onto the
// concurrency's slots (calls still holding one count up to now), and with Options.BoundPerMinute
// no more placements in any minute than that.
func (s *sim) bound(now time.Time) time.Duration {
	spans := s.slotSpans(now)
	perMinute := s.opts.BoundPerMinute
	starts := make([]time.Duration, 0, len(spans)) // of the schedule, from the first call's
	free := make(durationHeap, s.opts.Concurrency) // when each slot frees
	end := time.Duration(0)
	for i, sp := range spans {
		start := free[0]
		if perMinute > 0 && i >= perMinute {
			start = max(start, starts[i-perMinute]+time.Minute)
		}
		starts = append(starts, start)
		free[0] = start + sp.freed.Sub(sp.at)
		end = max(end, free[0])
		heap.Fix(&free, 0)
	}
	return end
}

type durationHeap []time.Duration

func (h durationHeap) Len() int           { return len(h) }
func (h durationHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h durationHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *durationHeap) Push(x any)        { *h = append(*h, x.(time.Duration)) }
func (h *durationHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// currentActive is concurrency.current as the contract has it (docs/bolna-api.md §13): the calls
// initiated, ringing or talking. A call given a slot but still queued for its dequeue delay holds
// the slot without counting here, and a call whose line dropped counts only with
// Style.DisconnectHoldsSlot.
func (s *sim) currentActive() int {
	n := 0
	for _, ex := range s.ordered {
		if ex.holdsSlot && (ex.status.Active() || ex.status == dialer.StatusCallDisconnected) {
			n++
		}
	}
	return n
}
