package bolnasim

import (
	"encoding/json"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// SavedCall is a call the simulation had not finished, saved so that a later process can go
// on with it: a real Bolna account outlives the process that placed its calls, and a run
// stopped with calls in flight follows them in its next run (`run --sandbox` saves them beside
// its results).
type SavedCall struct {
	ID        string                     `json:"id"`
	Agent     string                     `json:"agent_id"`
	Phone     string                     `json:"phone"`
	From      string                     `json:"from,omitempty"`
	UserData  map[string]json.RawMessage `json:"user_data,omitempty"`
	CreatedAt time.Time                  `json:"created_at"`
	Outcome   Outcome                    `json:"outcome"`
}

// Unfinished returns the calls not final yet, oldest first.
func (a *API) Unfinished() []SavedCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sim.advance(a.opts.Now())
	var out []SavedCall
	for _, ex := range a.sim.ordered {
		if !ex.status.Terminal() {
			out = append(out, SavedCall{ID: ex.id, Agent: ex.agentID, Phone: ex.phone, From: ex.from,
				UserData: ex.userData, CreatedAt: ex.createdAt, Outcome: ex.outcome})
		}
	}
	return out
}

// Resume takes calls saved by another process's [API.Unfinished] back, before anything else
// happens: each keeps its id and creation time and waits for a slot again from now (its
// progress while no process ran is not simulated).
func (a *API) Resume(calls []SavedCall) {
	defer a.kickClock() // their transitions are due: pushes must not wait for a request
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opts.Now()
	var resumed []*execution
	for _, c := range calls {
		if _, dup := a.sim.byID[c.ID]; dup || c.ID == "" {
			continue
		}
		a.sim.seq++
		ex := &execution{seq: a.sim.seq, id: c.ID, agentID: c.Agent, phone: c.Phone, from: c.From, userData: c.UserData,
			outcome: c.Outcome, mix: a.sim.mix(c.Agent), status: dialer.StatusQueued, createdAt: c.CreatedAt, updatedAt: now}
		a.sim.byID[ex.id] = ex
		resumed = append(resumed, ex)
		a.sim.outstanding++
		a.sim.unfinished++
		a.sim.queue = append(a.sim.queue, ex)
	}
	a.sim.ordered = append(resumed, a.sim.ordered...) // older than anything created here
	a.sim.maxOutstanding = max(a.sim.maxOutstanding, a.sim.outstanding)
	a.sim.maxUnfinished = max(a.sim.maxUnfinished, a.sim.unfinished)
	a.sim.dispatch(now)
}
