package campaign

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// How a look reads the executions list: the plan (unfiltered, by status, or by id) and the
// sweep that carries it out.

// sweepPlan is how a sweep reads the list: every call created since the oldest due one
// (statuses nil), or only the calls in each of statuses, in that order; pages is what it is
// expected to cost, 0 when reading the due calls by id is cheaper.
type sweepPlan struct {
	statuses []dialer.Status
	pages    int
}

// sweepOrder is the order in which a sweep by status reads the statuses: the lifecycle's, so
// that a call moving on between two reads is met in the later one rather than missed by both.
// (A call waiting on Bolna's guardrails, scheduled or rescheduled, queues when its hours come.)
var sweepOrder = dialer.Lifecycle()

// plan picks the cheapest way to bring the due calls up to date. An unfiltered sweep pages
// through every call created since the oldest due one (newest first, so it stops once every
// due call was seen): at concurrency 500, calls of a few minutes and hundreds placed a
// minute, that is mostly calls long finished. A sweep by status reads, with the list's status
// filter, only the calls in the statuses the due calls may be in now (a call seen ringing is
// ringing, talking or gone): the pages where calls may have changed. A due call it does not
// meet has moved on, and is read by id. (The list's limit is half that of GETs, but each
// class has its own budget.)
func (t *tracker) plan(due []*attempt, now time.Time) sweepPlan {
	if len(due) < 2 || t.lists.noList {
		return sweepPlan{}
	}
	oldest := due[0].DialedAt
	for _, c := range due {
		oldest = earlier(oldest, c.DialedAt)
	}
	if now.Sub(oldest) > maxListWindow {
		return sweepPlan{}
	}
	// Each agent's list is read on its own (an experiment's arms): its last page half-empty
	// at worst, one page more a list than the calls need in all.
	lists := len(agentsOf(due, t.cfg))
	// Unfiltered: every call of ours created since the oldest due one (other traffic comes on
	// top of that), 50 a page.
	best := sweepPlan{pages: pagesFor(t.created.since(oldest)) + lists - 1}
	// By status: the calls of this run in each status a due call may be in now, by where
	// each was last seen (at worst, a status read for one due call alone costs a page).
	if statuses := possibleStatuses(due); statuses != nil && !t.lists.noStatusList {
		in := map[dialer.Status]int{}
		for _, c := range t.book.calls {
			in[cmp.Or(c.status, dialer.StatusPlaced)]++
		}
		pages := 0
		for _, st := range statuses {
			pages += pagesFor(in[st]) + lists - 1
		}
		if pages < best.pages {
			best = sweepPlan{statuses: statuses, pages: pages}
		}
	}
	if best.pages >= len(due) {
		return sweepPlan{}
	}
	return best
}

// possibleStatuses are the statuses, in sweepOrder, that the calls may be in now but for those
// that ended. A call last seen in a status Bolna has not documented is met in none: it is read
// by id.
func possibleStatuses(calls []*attempt) []dialer.Status {
	from := len(sweepOrder)
	var post dialer.Status // the status of post-processing, when a call is in it
	for _, c := range calls {
		switch i := slices.Index(sweepOrder, cmp.Or(c.status, dialer.StatusPlaced)); {
		case i < 0:
			continue
		case sweepOrder[i].Dropped():
			post = sweepOrder[i]
		default:
			from = min(from, i)
		}
	}
	var out []dialer.Status
	for _, s := range sweepOrder[from:] {
		if !s.Dropped() {
			out = append(out, s)
		}
	}
	if post != "" {
		out = append(out, post)
	}
	return out
}

func pagesFor(n int) int {
	return max(1, (n+dialer.MaxListPageSize-1)/dialer.MaxListPageSize)
}

// listPages is what a sweep for the calls is expected to cost.
func (t *tracker) listPages(calls []*attempt) int {
	if plan := t.plan(calls, t.cfg.Now()); plan.pages > 0 {
		return plan.pages
	}
	return 1
}

// created keeps when the run's recent calls were placed, in order, to tell how many calls an
// unfiltered sweep pages through. It forgets calls older than any it may still follow.
type created struct{ at []time.Time }

func (c *created) add(at, forget time.Time) {
	i, _ := slices.BinarySearchFunc(c.at, at, time.Time.Compare)
	c.at = slices.Insert(c.at, i, at)
	n, _ := slices.BinarySearchFunc(c.at, forget, time.Time.Compare)
	if n > len(c.at)/2 { // copied down now and then, so memory stays that of the calls kept
		c.at = append(c.at[:0], c.at[n:]...)
	}
}

// since is how many calls were placed at or after from.
func (c *created) since(from time.Time) int {
	i, _ := slices.BinarySearchFunc(c.at, from, time.Time.Compare)
	return len(c.at) - i
}

// listSweep reads the executions list: unfiltered, page after page until every due call was
// seen, or (statuses) every page of each status in turn. It updates every tracked call it
// meets and returns the due calls it did not see and the calls that became final (their list
// items may be trimmed: they are read again by id). Items shift between two pages as calls are
// created or change status, so a call may be met twice (the second is skipped) or missed (a
// due call missed is read by id, as are those of a list that does not page).
func (t *tracker) listSweep(ctx context.Context, due []*attempt, statuses []dialer.Status, now time.Time) (unseen, finals []*attempt, err error) {
	oldest := due[0].DialedAt
	sw := sweeping{want: make(map[string]*attempt, len(due)), seen: map[*attempt]bool{}}
	for _, c := range due {
		sw.want[c.ExecutionID] = c
		oldest = earlier(oldest, c.DialedAt)
	}
	filters := statuses
	if filters == nil {
		filters = []dialer.Status{""}
	}
	for _, agent := range agentsOf(due, t.cfg) { // each agent's list: an experiment's arms
		for _, status := range filters {
			opts := dialer.ListOptions{PageSize: dialer.MaxListPageSize, Status: status}
			opts.From, opts.To, _ = t.lists.wide(oldest, now)
			for page, err := range t.lists.pages(ctx, agent, opts) {
				if errors.Is(err, errListLoops) {
					break // the due calls it did not show are read by id
				}
				if err != nil {
					return nil, nil, err
				}
				if err := t.meet(&sw, page, now); err != nil {
					return nil, nil, err
				}
				if statuses == nil && !sw.wants(agent, t.cfg) {
					break // every due call of the agent was seen
				}
			}
		}
	}
	for _, c := range sw.want {
		unseen = append(unseen, c)
	}
	return unseen, sw.finals, nil
}

// sweeping is what a list sweep has met so far: the due calls it wants still, the calls it
// saw, and those it found final.
type sweeping struct {
	want   map[string]*attempt
	seen   map[*attempt]bool
	finals []*attempt
}

// agentsOf are the agents of calls, in the order first met.
func agentsOf(calls []*attempt, cfg *Config) []string {
	var out []string
	for _, c := range calls {
		if a := c.agent(cfg); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// wants reports whether a due call of agent is still unseen.
func (sw *sweeping) wants(agent string, cfg *Config) bool {
	for _, c := range sw.want {
		if c.agent(cfg) == agent {
			return true
		}
	}
	return false
}

// meet applies what a page of the list shows of the calls followed (see listSweep).
func (t *tracker) meet(sw *sweeping, page *dialer.ExecutionPage, now time.Time) error {
	for i := range page.Data {
		item := &page.Data[i]
		c := t.book.calls[string(item.ID)]
		if c == nil || sw.seen[c] {
			continue // not ours, or met on an earlier page (new calls push items down)
		}
		sw.seen[c] = true
		delete(sw.want, c.ExecutionID)
		// The list may serve trimmed items or whole ones (Bolna's sources disagree).
		fetch, err := t.apply(c, item, seenInList, now)
		if err != nil {
			return err
		}
		if fetch {
			sw.finals = append(sw.finals, c)
		}
	}
	return nil
}
