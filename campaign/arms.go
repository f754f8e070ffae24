package campaign

import (
	"cmp"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// An experiment: the rows split at random between agents (the arms), each row's arm read with
// the rest of its decision, and the arms compared as calls finish (see package experiment).

// Arm is one arm of an experiment: an agent and its weight, the share of the rows it takes
// against the others' (a weight of 0 or less counts as 1).
type Arm struct {
	AgentID string
	Weight  int
}

// armBook holds a run's experiment: the arms, which are still placing calls, what each row
// counts for (its latest outcome, so a retried row counts once), and the monitor read after
// every outcome. Safe for concurrent use.
type armBook struct {
	cfg      *Config
	campaign string
	names    []string
	weights  []int

	mu      sync.Mutex
	active  []bool
	strata  *strata // the stratified deal (Config.Stratify), nil for none
	rows    map[uint64]armRow
	counts  []experiment.Arm
	monitor *experiment.Monitor
	verdict experiment.Result
	read    bool // the monitor was read at least once
}

// armRow is what one row counts for in its arm.
type armRow struct {
	arm                     int
	finished, reached, goal bool
	cost                    float64
	before                  *armRow // for an intent: what the row counted for until it (its earlier call's outcome)
}

// newArmBook is the experiment of cfg.Arms, nil without two arms or more. Its rows are
// assigned once it knows its campaign (see of).
func newArmBook(cfg *Config) *armBook {
	if len(cfg.Arms) < 2 {
		return nil
	}
	b := &armBook{cfg: cfg, rows: map[uint64]armRow{}, monitor: experiment.NewMonitor(experiment.Options{})}
	for _, a := range cfg.Arms {
		b.names = append(b.names, a.AgentID)
		b.weights = append(b.weights, max(a.Weight, 1))
		b.active = append(b.active, true)
		b.counts = append(b.counts, experiment.Arm{Name: a.AgentID})
	}
	return b
}

// assign is the agent of a row never dialled, at ordinal ord of the list: its arm by the hash
// of the campaign and its key among the arms still placing calls (see
// experiment.AssignActive); in a stratified experiment, the arm dealt to it (see strata), and
// when that arm has stopped, the redraw AssignActive makes among the active arms.
func (b *armBook) assign(key string, ord int) string {
	b.mu.Lock()
	active, dealt := slices.Clone(b.active), b.strata.of(ord)
	b.mu.Unlock()
	if dealt >= 0 {
		if active[dealt] {
			return b.names[dealt]
		}
		if i := experiment.Redraw(b.campaign, key, b.weights, active); i >= 0 {
			return b.names[i]
		}
	} else if i := experiment.AssignActive(b.campaign, key, b.weights, active); i >= 0 {
		return b.names[i]
	}
	return b.names[experiment.Assign(b.campaign, key, b.weights)]
}

// goal reports whether o counts as a success: Config.Goal's, or a person reached.
func (b *armBook) goal(o journal.Outcome) bool {
	if b.cfg.Goal != nil {
		return b.cfg.Goal(o)
	}
	return o.Result().Reached()
}

// note counts a row's latest attempt for its agent's arm (an agent that is no arm counts for
// none): its intent (o nil) or its outcome. An outcome with no call (the account's guard kept
// the person off) counts for nothing: the row counts again for what its earlier call came to,
// or for no arm when it had none. It returns the arms newly stopped.
func (b *armBook) note(key, agent string, o *journal.Outcome) []string {
	arm := slices.Index(b.names, agent)
	if arm < 0 {
		return nil
	}
	row := armRow{arm: arm}
	if o != nil {
		row = armRow{arm: arm, finished: o.Settled(), reached: o.Result().Reached(), goal: o.Settled() && b.goal(*o), cost: o.Cost}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h := journal.KeyHash(key)
	old, had := b.rows[h]
	if had {
		b.add(old, -1)
		delete(b.rows, h)
	}
	switch {
	case o == nil && had && old.before == nil && old.finished:
		row.before = &old // a retry: the earlier call's outcome, should this attempt place none
	case o == nil && had:
		row.before = old.before
	case o != nil && o.Status.NoCall():
		if had && old.before != nil {
			b.rows[h] = *old.before
			b.add(*old.before, 1)
		}
		return nil
	}
	b.rows[h] = row
	b.add(row, 1)
	if o == nil || !row.finished {
		return nil
	}
	return b.readLocked()
}

// add adds (sign 1) or takes away (-1) a row's part of its arm's counts.
func (b *armBook) add(r armRow, sign int) {
	c := &b.counts[r.arm]
	c.Dialled += sign
	c.Finished += sign * count(r.finished)
	c.Reached += sign * count(r.reached)
	c.Goals += sign * count(r.goal)
	c.Cost += float64(sign) * r.cost
}

// readLocked reads the monitor at the counts now; with Config.StopLosers, the arms it finds
// behind beyond chance stop taking rows, so long as one arm goes on.
func (b *armBook) readLocked() []string {
	b.verdict, b.read = b.monitor.Read(slices.Clone(b.counts)), true
	if !b.cfg.StopLosers {
		return nil
	}
	var stopped []string
	for _, loser := range b.verdict.Losers {
		i := slices.Index(b.names, loser)
		if i < 0 || !b.active[i] || b.activeArms() < 2 {
			continue
		}
		b.active[i] = false
		stopped = append(stopped, loser)
		b.cfg.Logger.Warn(fmt.Sprintf("--stop-losers: agent %s is behind beyond chance (%s); its remaining rows go to the other arms", loser, b.verdict.Text),
			slog.String("arm", loser))
	}
	return stopped
}

func (b *armBook) activeArms() int {
	n := 0
	for _, a := range b.active {
		n += count(a)
	}
	return n
}

// Verdict is the experiment's comparison as the monitor read it last (at the counts now when
// it was never read), with the arms stopped; nil for a run of one agent.
func (b *armBook) Verdict() *Experiment {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.read {
		b.verdict, b.read = b.monitor.Read(slices.Clone(b.counts)), true
	}
	v := &Experiment{Result: b.verdict}
	for i, a := range b.active {
		if !a {
			v.Stopped = append(v.Stopped, b.names[i])
		}
	}
	return v
}

// Experiment is an experiment's comparison of its arms during a run (see package
// experiment), and the arms --stop-losers stopped.
type Experiment struct {
	experiment.Result
	Stopped []string `json:"stopped_arms,omitempty"`
}

// of takes the experiment whose rows the arms are drawn for: Config.Experiment, else the
// contact list's file name. Not the journal's id: each shard of a list keeps a journal of its
// own, and the shards must draw every row's arm alike.
func (b *armBook) of(input string) {
	if b != nil {
		b.campaign = cmp.Or(b.cfg.Experiment, "list:"+filepath.Base(input))
	}
}

// seed takes the experiment of the list input (see of) and counts what earlier runs' attempts
// came to, each row's latest, before this run dials.
func (b *armBook) seed(input string, st *journal.State) error {
	if b == nil {
		return nil
	}
	b.of(input)
	for a, err := range st.Attempts() {
		if err != nil {
			return err
		}
		o := a.Outcome
		b.note(a.Key, cmp.Or(o.AgentID, st.Owner().Agent), &o)
	}
	for _, lc := range st.Live() {
		b.note(lc.Key, lc.Agent, nil)
	}
	return nil
}

// noteArm counts an outcome for its arm (see ledgerDeps.onOutcome), and records in st the
// arms it stops (see journal.State.StopArm).
func (r *Runner) noteArm(st *journal.State, key string, o journal.Outcome) {
	if r.arms != nil {
		r.journalStops(st, r.arms.note(key, cmp.Or(o.AgentID, r.cfg.AgentID), &o))
	}
}

// journalStops records the arms stopped in st, for status; a journal that cannot take the
// record fails the next outcome's too, which says so: here it is only logged.
func (r *Runner) journalStops(st *journal.State, stopped []string) {
	for _, agent := range stopped {
		if err := st.StopArm(agent, "--stop-losers: behind beyond chance"); err != nil {
			r.cfg.Logger.Warn("recording the arm stopped: "+err.Error(), slog.String("arm", agent))
		}
	}
}

// Experiment is the run's experiment as the monitor read it last: nil for a run of one agent,
// or before the run started.
func (r *Runner) Experiment() *Experiment {
	return r.arms.Verdict()
}

// ReadExperiment replays a campaign's journal through a monitor as its runs read it, outcome
// after outcome: the arms are the agents its attempts went through, in the order first met
// (nil with fewer than two), compared on goal (nil: a person reached). For status, which
// reads a campaign without its run's flags: the arms stopped are those the journal says the
// latest run stopped (--stop-losers, see journal.State.StopArm).
func ReadExperiment(st *journal.State, goal func(journal.Outcome) bool) (*Experiment, error) {
	owner := st.Owner().Agent
	var agents []string
	for a, err := range st.Attempts() {
		if err != nil {
			return nil, err
		}
		if id := cmp.Or(a.AgentID, owner); !slices.Contains(agents, id) {
			agents = append(agents, id)
		}
	}
	for _, lc := range st.Live() {
		if !slices.Contains(agents, lc.Agent) {
			agents = append(agents, lc.Agent)
		}
	}
	cfg := &Config{Goal: goal, Logger: slog.New(slog.DiscardHandler)}
	for _, id := range agents {
		cfg.Arms = append(cfg.Arms, Arm{AgentID: id, Weight: 1})
	}
	b := newArmBook(cfg)
	if b == nil {
		return nil, nil
	}
	if err := b.seed("", st); err != nil {
		return nil, err
	}
	v := b.Verdict()
	v.Stopped = st.StoppedArms()
	return v, nil
}
