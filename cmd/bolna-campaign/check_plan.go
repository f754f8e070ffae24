package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// check's experiment planner: with two agents or more and --detect, the finished rows each
// arm needs to detect the difference (experiment.PlanRows), by the arms' weights, and whether
// the list has them.

// checkPlanFlags are check's flags of the planner.
type checkPlanFlags struct {
	arms     armOptions // --arms, as run's
	detect   string
	baseRate string
	goal     string
}

func (p *checkPlanFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&p.arms.armsText, "arms", "", "the arms' weights, `AGENT=W,…`, as run's; with --detect, the rows each arm needs follow them")
	fs.StringVar(&p.detect, "detect", "", "plan an experiment of the agents (--agent-id twice or more): the finished rows each needs to detect a difference of `POINTS` in the goal rate (5pp), at 80% power, 5% two-sided, and whether the list has them")
	fs.StringVar(&p.baseRate, "base-rate", "", "with --detect, the rate to plan from, as `RATE` (30% or 0.3); default: the goal rate (--goal) or the answer rate of the list's earlier results")
	fs.StringVar(&p.goal, "goal", "", "with --detect and no --base-rate, the goal `KEY=VALUE` whose rate in the earlier results to plan from")
}

// armPlan is what an experiment needs: each arm's finished rows (sequential test, as status
// and report read it) and those of a test read once at the end, by arm.
type armPlan struct {
	plan       experiment.Plan
	from       string
	arms       []campaign.Arm
	sequential []int
	fixed      []int
}

// planArms plans the experiment of agents by --arms and --detect, from --base-rate or the
// earlier results at resultsPath. PlanRows plans equal arms of n rows; arms of weights w take
// w·t rows, and the pair of the two smallest weights a, b is as precise as two arms of n when
// 1/(a·t) + 1/(b·t) = 2/n, so t = (1/a + 1/b)·n/2.
func (p *checkPlanFlags) planArms(agents []string, resultsPath string) (*armPlan, error) {
	if len(agents) < 2 {
		return nil, usageErrorf("check: --detect plans an experiment: give --agent-id twice or more")
	}
	if err := p.arms.parse("check", agents); err != nil {
		return nil, err
	}
	detect, err := parsePoints(p.detect)
	if err != nil {
		return nil, usageErrorf("check: --detect %q: %v", p.detect, err)
	}
	var files []string
	if _, err := os.Stat(resultsPath); err == nil && p.baseRate == "" {
		files = []string{resultsPath}
	}
	base, from, _, err := planBase(&planFlags{baseRate: p.baseRate, arms: len(agents)}, files, p.goal)
	if err != nil {
		if files == nil {
			err = fmt.Errorf("no earlier results to take the rate from (%s): give --base-rate", resultsPath)
		}
		return nil, usageErrorf("check: --detect: %v", err)
	}
	pl, err := experiment.PlanRows(base, detect, len(agents), experiment.Options{})
	if err != nil {
		return nil, usageErrorf("check: --detect: %v", err)
	}
	ap := &armPlan{plan: pl, from: from, arms: p.arms.arms}
	weights := make([]float64, len(ap.arms))
	for i, a := range ap.arms {
		weights[i] = float64(a.Weight)
	}
	small := slices.Sorted(slices.Values(weights))
	scale := (1/small[0] + 1/small[1]) / 2
	for _, w := range weights {
		ap.sequential = append(ap.sequential, int(math.Ceil(w*scale*float64(pl.SequentialPerArm))))
		ap.fixed = append(ap.fixed, int(math.Ceil(w*scale*float64(pl.FixedPerArm))))
	}
	return ap, nil
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

// print writes the plan, and with a list (dialable ≥ 0 rows that can be dialled), whether
// it has the rows: false when it is too short.
func (ap *armPlan) print(w io.Writer, input string, dialable int) (enough bool) {
	var weights, seq, fixed []string
	for i, a := range ap.arms {
		weights = append(weights, fmt.Sprint(a.Weight))
		seq = append(seq, fmt.Sprintf("%s %s", a.AgentID, thousands(ap.sequential[i])))
		fixed = append(fixed, thousands(ap.fixed[i]))
	}
	fmt.Fprintf(w, "  experiment plan: to detect %.1f points from a rate of %.1f%% (%s), %d arms at %s, 80%% power, 5%% two-sided:\n",
		100*ap.plan.Detect, 100*ap.plan.Base, ap.from, len(ap.arms), strings.Join(weights, ":"))
	fmt.Fprintf(w, "    read at will (sequential, mSPRT, as run, status and report read it): %s; %s finished rows in all\n", strings.Join(seq, ", "), thousands(sum(ap.sequential)))
	fmt.Fprintf(w, "    read once, at the end (two-proportion z-test): %s; %s in all\n", strings.Join(fixed, ", "), thousands(sum(ap.fixed)))
	if dialable < 0 {
		return true
	}
	need := sum(ap.sequential)
	if dialable >= need {
		fmt.Fprintf(w, "%s %s: %s %s can be dialled, enough for %s\n", mark(true), input, thousands(dialable), human.Plural(dialable, "row", "rows"), thousands(need))
		return true
	}
	fmt.Fprintf(w, "%s %s: %s %s can be dialled, the experiment needs %s finished (%s read once at the end): it would likely end too early to tell a difference of %.1f points\n",
		mark(false), input, thousands(dialable), human.Plural(dialable, "row", "rows"), thousands(need), thousands(sum(ap.fixed)), 100*ap.plan.Detect)
	return false
}

// checkExperiment plans the experiment with --detect (see planArms), against the list's rows
// when one was checked: a list too short for it is a warning.
func (o *checkOptions) checkExperiment(w io.Writer, listed bool, found *listFindings) error {
	if o.plan.detect == "" {
		return nil
	}
	ap, err := o.plan.planArms(o.agents(), o.resultsPath)
	if err != nil {
		return err
	}
	dialable := -1
	if listed {
		dialable = found.dialable
	}
	if !ap.print(w, o.input, dialable) {
		found.warnings++
	}
	return nil
}
