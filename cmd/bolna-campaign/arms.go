package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// An experiment: --agent-id given twice or more splits the rows between the agents (the arms),
// --arms weighs them, --stop-losers stops an arm found behind.

// agentsFlag is --agent-id, once or more: the first names the campaign (its journal's owner),
// the others are the experiment's further arms.
type agentsFlag struct {
	c   *connOptions
	set bool // given on the command line: the environment's default is replaced
}

func (f *agentsFlag) String() string {
	if f == nil || f.c == nil {
		return ""
	}
	return strings.Join(f.c.agents(), ",")
}

func (f *agentsFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return errors.New("an agent id cannot be empty")
	case !f.set:
		f.c.agentID, f.c.moreAgents, f.set = v, nil, true
		return nil
	case slices.Contains(f.c.agents(), v):
		return fmt.Errorf("agent %s is named twice", v)
	}
	f.c.moreAgents = append(f.c.moreAgents, v)
	return nil
}

// agents are the agents the calls go through: --agent-id's, the first the campaign's.
func (c *connOptions) agents() []string {
	if c.agentID == "" {
		return nil
	}
	return append([]string{c.agentID}, c.moreAgents...)
}

// armOptions are run's flags of an experiment.
type armOptions struct {
	armsText   string // --arms A=2,B=1
	stopLosers bool
	stratify   string         // --stratify COLUMN
	arms       []campaign.Arm // parsed: every agent, with its weight
}

func (a *armOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&a.armsText, "arms", "", "the arms' weights, `AGENT=W,…` (e.g. A=2,B=1: A takes two rows in three); with --agent-id given twice or more (default: equal)")
	fs.BoolVar(&a.stopLosers, "stop-losers", false, "stop dialling through an agent once the experiment finds it behind beyond chance; its rows not dialled yet go to the other agents")
	fs.StringVar(&a.stratify, "stratify", "", "deal the agents within each value of the list's `COLUMN` (region, source): each value's rows split by the weights to within one round of them")
}

// parse reads the arms of the agents: each with weight 1 unless --arms says otherwise.
func (a *armOptions) parse(cmd string, agents []string) error {
	if len(agents) < 2 {
		if a.armsText != "" || a.stopLosers || a.stratify != "" {
			return usageErrorf("%s: --arms, --stop-losers and --stratify compare agents: give --agent-id twice or more", cmd)
		}
		return nil
	}
	weights := map[string]int{}
	for part := range strings.SplitSeq(a.armsText, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(w))
		name = strings.TrimSpace(name)
		switch {
		case !ok || err != nil || n < 1 || n > 1000:
			return usageErrorf("%s: --arms %q: write AGENT=WEIGHT, a whole weight from 1 to 1000, e.g. %s=2", cmd, part, agents[0])
		case !slices.Contains(agents, name):
			return usageErrorf("%s: --arms names %s, which no --agent-id gives: the arms are the agents %s", cmd, name, strings.Join(agents, ", "))
		}
		weights[name] = n
	}
	a.arms = nil
	for _, id := range agents {
		a.arms = append(a.arms, campaign.Arm{AgentID: id, Weight: max(weights[id], 1)})
	}
	return nil
}

// armsConfig is what the experiment means for the campaign: the arms, the goal they are
// compared on (--goal; a person reached without), and --stop-losers.
func (o *runOptions) armsConfig(cfg *campaign.Config) {
	cfg.Arms, cfg.StopLosers, cfg.Stratify = o.arms, o.stopLosers, o.stratify
	if g, err := results.ParseGoal(o.goal); err == nil && o.goal != "" {
		cfg.Goal = g.Met
	}
}

// verdictLines is the experiment's verdict in words: one line an arm, then the verdict, the
// method, and the arms stopped.
func verdictLines(e *campaign.Experiment, goal string) []string {
	if e == nil {
		return nil
	}
	metric := "answer rate"
	if goal != "" {
		metric = "goal rate (" + goal + ")"
	}
	lines := []string{"experiment as the run read it after every call, on the " + metric + ":"}
	for _, a := range e.Arms {
		lines = append(lines, fmt.Sprintf("  %s: %d dialled, %d finished, %d reached, %d %s, %s (95%%: %s to %s)",
			a.Name, a.Dialled, a.Finished, a.Reached, a.Goals, human.Plural(a.Goals, "goal", "goals"),
			human.Percent(a.Rate), human.Percent(a.CI.Low), human.Percent(a.CI.High)))
	}
	lines = append(lines, "  verdict: "+e.Text)
	if len(e.Stopped) > 0 {
		lines = append(lines, "  stopped by --stop-losers: "+strings.Join(e.Stopped, ", "))
	}
	return append(lines, "  method: "+e.Method)
}
