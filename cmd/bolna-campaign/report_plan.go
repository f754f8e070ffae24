package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// planFlags are report's flags of the experiment planner (report --plan).
type planFlags struct {
	plan     bool
	detect   string
	arms     int
	baseRate string
}

func addPlanFlags(fs *flag.FlagSet) *planFlags {
	p := &planFlags{}
	fs.BoolVar(&p.plan, "plan", false, "plan an experiment instead: the finished rows each arm (agent) needs to detect --detect in the goal rate, at 80% power, 5% two-sided, from the results' goal rate (--goal; the answer rate without) or --base-rate")
	fs.StringVar(&p.detect, "detect", "5pp", "with --plan, the difference in the rate to detect, in `POINTS` (5pp, 5 or 0.05 are five points)")
	fs.IntVar(&p.arms, "arms", 0, "with --plan, the arms of the experiment (default: the agents in the results, at least 2)")
	fs.StringVar(&p.baseRate, "base-rate", "", "with --plan, the rate to plan from, as `RATE` (30% or 0.3) instead of the results'")
	return p
}

// planCommand prints the rows an experiment needs (report --plan).
func planCommand(p *planFlags, files []string, goalText string, jsonOut bool, env Env) error {
	fail := func(err error) error { return &usageError{fmt.Errorf("report --plan: %w", err)} }
	detect, err := parsePoints(p.detect)
	if err != nil {
		return fail(fmt.Errorf("--detect %q: %w", p.detect, err))
	}
	base, from, arms, err := planBase(p, files, goalText)
	if err != nil {
		return fail(err)
	}
	pl, err := experiment.PlanRows(base, detect, arms, experiment.Options{})
	if err != nil {
		return fail(err)
	}
	if jsonOut {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(pl); err != nil {
			return &fatalError{fmt.Errorf("report --plan: %w", err)}
		}
		return nil
	}
	w := env.Stdout
	fmt.Fprintf(w, "plan: to detect %.1f points from a rate of %.1f%% (%s), %d arms, 80%% power, 5%% two-sided:\n", 100*pl.Detect, 100*pl.Base, from, pl.Arms)
	fmt.Fprintf(w, "  read once, at the end (two-proportion z-test):       %s finished rows an arm, %s in all\n", thousands(pl.FixedPerArm), thousands(pl.FixedPerArm*pl.Arms))
	fmt.Fprintf(w, "  read at will, as report does (sequential, mSPRT):    %s finished rows an arm, %s in all\n", thousands(pl.SequentialPerArm), thousands(pl.SequentialPerArm*pl.Arms))
	if pl.Arms > 2 {
		fmt.Fprintf(w, "  each of the %d pairs of arms is tested at 5%%/%d (Bonferroni)\n", pl.Arms*(pl.Arms-1)/2, pl.Arms*(pl.Arms-1)/2)
	}
	fmt.Fprintln(w, "A finished row is a dialled row whose call has ended; rows that are never dialled (invalid, suppressed) do not count.")
	return nil
}

// planBase is the rate to plan from, what it is, and the arms: --base-rate, else the results'
// goal rate (with goalText) or answer rate, and their agents.
func planBase(p *planFlags, files []string, goalText string) (base float64, from string, arms int, err error) {
	arms = p.arms
	if p.baseRate != "" {
		base, err = parseRate(p.baseRate)
		if err != nil {
			return 0, "", 0, fmt.Errorf("--base-rate %q: %w", p.baseRate, err)
		}
		return base, "--base-rate", max(arms, 2), nil
	}
	if len(files) == 0 {
		return 0, "", 0, fmt.Errorf("name the results files whose rate to plan from, or give --base-rate")
	}
	var goal *results.Goal
	if goalText != "" {
		if goal, err = results.ParseGoal(goalText); err != nil {
			return 0, "", 0, err
		}
	}
	r, err := results.ReadCampaigns("", goal, journalCampaign, files...)
	if err != nil {
		return 0, "", 0, err
	}
	if arms == 0 && r.Experiment != nil {
		arms = len(r.Experiment.Arms)
	}
	if r.Finished == 0 {
		return 0, "", 0, fmt.Errorf("%s: no call has finished yet: give --base-rate", strings.Join(files, ", "))
	}
	base, from = r.AnswerRate, fmt.Sprintf("the answer rate: %d of %d finished rows", r.Answered, r.Finished)
	if goal != nil {
		base, from = r.Goal.Rate, fmt.Sprintf("the goal rate, %s=%s: %d of %d finished rows", goal.Key, goal.Value, r.Goal.Reached, r.Finished)
	}
	return base, from, max(arms, 2), nil
}

// parsePoints reads a difference of rates in points: 5pp, 5, 5% and 0.05 are 0.05.
func parsePoints(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "pp"), "%"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || !(f > 0 && f < 100) {
		return 0, fmt.Errorf("want points between 0 and 100, e.g. 5pp")
	}
	if f >= 1 || t != strings.TrimSpace(s) {
		f /= 100
	}
	return f, nil
}

// parseRate reads a rate: 30% or 0.3.
func parseRate(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if pct {
		f /= 100
	}
	if err != nil || !(f > 0 && f < 1) {
		return 0, fmt.Errorf("want a rate between 0 and 1 (exclusive), e.g. 30%% or 0.3")
	}
	return f, nil
}

func thousands(n int) string { return human.Thousands(float64(n), 0) }
