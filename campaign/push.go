package campaign

import (
	"strings"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// Bolna's pushes (webhooks): matching a pushed payload to a call of this run, believing it only
// so far, and telling how many dropped lines the pushes miss (see tracker.observed).

// pushReports estimates the share of dropped lines that pushes fail to report: of the recent
// calls whose line dropped while they held a slot, those a look saw first. A new run assumes
// half until it knows.
type pushReports struct{ pushed, looked float64 }

// reportDecay weighs the latest drops most: the estimate follows pushes that stop within
// a score of calls.
const reportDecay = 0.95

func (p *pushReports) note(byPush bool) {
	p.pushed, p.looked = p.pushed*reportDecay, p.looked*reportDecay
	if byPush {
		p.pushed++
	} else {
		p.looked++
	}
}

func (p *pushReports) unseen() float64 { return (p.looked + 0.1) / (p.looked + p.pushed + 0.2) }

// recentIDs remembers the latest maxPendingEvents ids added, in a ring.
type recentIDs struct {
	ring []string
	next int
	has  map[string]bool
}

func (r *recentIDs) add(id string) {
	if r.has == nil {
		r.has = map[string]bool{}
	}
	if len(r.ring) < maxPendingEvents {
		r.ring = append(r.ring, id)
	} else {
		delete(r.has, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
	}
	r.has[id] = true
}

// maxUnconfirmed bounds the slots freed on the word of pushes alone: forged pushes can put at
// most that many calls beyond the pool until a look contradicts them (within confirmEvery).
// Half the pool: genuine pushes free slots faster than looks confirm them (at concurrency 8
// and calls of seconds, a quarter held utilisation to 0.993 at 1.45 requests a call; half
// gives 0.998 at 1.23).
func (t *tracker) maxUnconfirmed() int { return max(1, t.slots/2) }

// intake takes the observations of calls from sources of their own (Bolna's pushes, see
// Runner.Observe) for the tracker's loop, from any goroutine, counts what came of them, and
// keeps what the pushes are worth: how many dropped lines they miss, and whether they come at
// all. The tracker's loop matches each to its call (see tracker.observed).
type intake struct {
	cfg    *Config
	events chan *dialer.Execution       // observations waiting for the tracker's loop
	early  map[string]*dialer.Execution // pushed before the POST's reply named the call, by id (the loop's)
	mu     sync.Mutex                   // guards seen, closed, and sending on events
	seen   ObservationStats             // what came through events
	closed bool                         // the tracker stopped: events are no longer read
	// The loop's: the share of dropped lines pushes miss, and whether pushes were expected
	// and none came (polling as usual).
	reports      pushReports
	pushFallback bool
}

func newIntake(cfg *Config) *intake {
	return &intake{cfg: cfg, events: make(chan *dialer.Execution, maxPendingEvents)}
}

// pushing reports whether Bolna's pushes carry the calls' statuses: polling is only the
// safety net then.
func (in *intake) pushing() bool { return in.cfg.Pushes && !in.pushFallback }

// checkPushes gives up on pushes, once, when none has come a while after the first call ended
// (firstFinal).
func (in *intake) checkPushes(now, firstFinal time.Time) {
	if !in.pushing() || firstFinal.IsZero() || now.Sub(firstFinal) < pushGrace {
		return
	}
	in.mu.Lock()
	none := in.seen.Matched == 0
	in.mu.Unlock()
	if none {
		in.pushFallback = true
		in.cfg.warnf("no push from Bolna has arrived %s after the first call ended: the agent's webhook_url is probably not pointing here; polling as usual (a look every %s while lines may have dropped, as the list's share allows)", human.ShortDuration(pushGrace), human.ShortDuration(in.cfg.PollInterval))
	}
}

// observed applies an observation from a source of its own (see Runner.Observe): about a call
// this run follows, matched by execution id, or by the reference the runner put in user_data
// when the push came before the POST's reply. Anything else (another campaign's call, a test
// call from the dashboard, a pre-call tool webhook) is counted and ignored.
func (t *tracker) observed(ex *dialer.Execution, now time.Time) error {
	if !dialer.ValidID(string(ex.ID)) { // not an id Bolna gives: it never reaches the journal
		t.in.count(func(s *ObservationStats) { s.Ignored++ })
		return nil
	}
	c := t.book.calls[string(ex.ID)]
	if c == nil {
		var err error
		if c, err = t.byRef(ex); err != nil || c == nil {
			return err
		}
	}
	if !t.isOf(c, ex) {
		t.in.count(func(s *ObservationStats) { s.Foreign++ })
		return nil
	}
	t.in.count(func(s *ObservationStats) { s.Matched++ })
	return t.applyOrRead(c, ex, seenPushed, now)
}

// byRef finds the call of a push that names no call this run follows by id: one whose
// placement reply was lost (found without a search), or one whose reply is on its way (the
// push is kept until the call is added). Late pushes and others' are counted.
func (t *tracker) byRef(ex *dialer.Execution) (*attempt, error) {
	if ref := ex.ContextDetails.RecipientValue(contacts.RefKey); ref != "" && strings.HasPrefix(ref, t.st.Campaign()+"-") {
		for _, c := range t.book.calls {
			if c.phase == phaseSearching && c.Ref == ref {
				if !t.isOf(c, ex) { // another agent's or number's: not believed (see observed)
					return c, nil
				}
				_, err := t.ledger.apply(c, event{kind: evFound, id: string(ex.ID)})
				return c, err
			}
		}
		if len(t.in.early) < maxPendingEvents && t.st.Placing(ref) {
			// Ours, and the POST's reply is on its way: kept until the call is added.
			if t.in.early == nil {
				t.in.early = map[string]*dialer.Execution{}
			}
			t.in.early[string(ex.ID)] = ex
			t.in.count(func(s *ObservationStats) { s.Matched++ })
			return nil, nil
		}
	}
	if t.book.ended.has[string(ex.ID)] {
		t.in.count(func(s *ObservationStats) { s.Late++ }) // one of ours, after its outcome was recorded
	} else {
		t.in.count(func(s *ObservationStats) { s.Ignored++ })
	}
	return nil, nil
}

// isOf reports whether a push about c's execution id is believable as c's: its agent, when it
// says, is c's, and its recipient, when it says, is c's number. A push that fails either
// (a forged or misrouted one) must not become the call's outcome, nor count for --max-cost.
func (t *tracker) isOf(c *attempt, ex *dialer.Execution) bool {
	if agent := c.agent(t.cfg); ex.AgentID != "" && agent != "" && ex.AgentID != agent {
		return false
	}
	to := ex.RecipientNumber()
	return to == "" || c.Phone == "" || to == c.Phone
}

// offer hands the tracker an observation from a source of its own (see Runner.Observe), for
// its loop to apply; it never blocks, and reports whether the observation was taken.
func (in *intake) offer(ex *dialer.Execution) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.seen.Received++
	if in.closed { // the run follows no call any more
		in.seen.Ignored++
		return false
	}
	select {
	case in.events <- ex:
		return true
	default:
		in.seen.Dropped++
		return false
	}
}

// observations counts what came through offer so far.
func (in *intake) observations() ObservationStats {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.seen
}

// closeEvents ends the intake of observations once the tracker has stopped: those still
// waiting, and any later, are counted as ignored.
func (in *intake) closeEvents() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	for {
		select {
		case <-in.events:
			in.seen.Ignored++
		default:
			return
		}
	}
}

func (in *intake) count(f func(*ObservationStats)) {
	in.mu.Lock()
	f(&in.seen)
	in.mu.Unlock()
}

// ObservationStats count what came through [Runner.Observe].
type ObservationStats struct {
	Received int `json:"received"` // handed to Observe
	Dropped  int `json:"dropped"`  // not taken: the tracker was not running, or behind
	Matched  int `json:"matched"`  // about a call of this run
	Ignored  int `json:"ignored"`  // about another call (another campaign, a test call, a tool webhook)
	// Late: about a call of this run whose outcome was recorded already.
	Late int `json:"late"`
	// Foreign: about a call of this run by its id, but naming another agent or recipient:
	// not believed.
	Foreign int `json:"foreign"`
	// Contradicted: a pushed call-disconnected that a look then contradicted (the slot was
	// taken back).
	Contradicted int `json:"contradicted"`
	// Where the run learned what it acted on: dropped lines (of calls holding a slot) and
	// outcomes, from a push or from a look of its own. DropsLooked of all drops is the share
	// of pushes that went missing (or came late).
	DropsPushed    int `json:"drops_pushed"`
	DropsLooked    int `json:"drops_looked"`
	OutcomesPushed int `json:"outcomes_pushed"`
	OutcomesLooked int `json:"outcomes_looked"`
}

// MissingShare is the share of dropped lines that no push reported first.
func (s ObservationStats) MissingShare() float64 {
	if n := s.DropsPushed + s.DropsLooked; n > 0 {
		return float64(s.DropsLooked) / float64(n)
	}
	return 0
}
