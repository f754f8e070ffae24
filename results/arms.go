package results

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// MaxArms bounds the agents a report compares as the arms of an experiment; a campaign of more
// agents is reported without the comparison.
const MaxArms = 20

// Experiment is the comparison of the agents a campaign's rows were dialled through (its
// arms), on the goal rate (the answer rate when the report has no goal), by a sequential test
// that stays valid however often the report is read (see package experiment).
type Experiment struct {
	Metric string `json:"metric"` // "goal rate" or "answer rate"
	experiment.Result
}

// AboutSequential explains, in a sentence, the experiment's p-values.
const AboutSequential = "The agents' comparison is a sequential test: its p stays valid however often the report is read during the campaign (read after every call, it calls a difference that is not there in at most 5% of campaigns), so it needs more rows than a test read once."

// countArm counts a dialled row for the arm of its agent.
func (r *Report) countArm(row Row, finished, goal bool) {
	agent := row.Outcome.AgentID
	if agent == "" {
		return
	}
	if r.arms == nil {
		r.arms = map[string]*experiment.Arm{}
	}
	a := r.arms[agent]
	if a == nil {
		if len(r.arms) > MaxArms {
			return
		}
		a = &experiment.Arm{Name: agent}
		r.arms[agent] = a
	}
	a.Dialled++
	a.Cost += row.Outcome.Cost
	if row.Outcome.Result().Reached() {
		a.Reached++
	}
	if finished {
		a.Finished++
		if r.Goal == nil && row.Outcome.Result().Reached() || r.Goal != nil && goal {
			a.Goals++
		}
	}
}

// finishExperiment compares the arms, when the rows were dialled through two agents or more
// (and no more than MaxArms).
func (r *Report) finishExperiment() {
	r.Experiment = nil
	if len(r.arms) < 2 || len(r.arms) > MaxArms {
		return
	}
	names := slices.SortedFunc(maps.Keys(r.arms), naturalLess)
	arms := make([]experiment.Arm, len(names))
	for i, n := range names {
		arms[i] = *r.arms[n]
	}
	metric := "answer rate"
	if r.Goal != nil {
		metric = "goal rate"
	}
	r.Experiment = &Experiment{Metric: metric, Result: experiment.Compare(arms, experiment.Options{})}
}

// writeExperiment writes the arms and the verdict as text.
func (r *Report) writeExperiment(w io.Writer) {
	e := r.Experiment
	if e == nil {
		return
	}
	what := "people reached"
	if r.Goal != nil {
		what = fmt.Sprintf("goal %s=%s", oneLine(r.Goal.Key, 30), oneLine(r.Goal.Value, 30))
	}
	fmt.Fprintf(w, "\nexperiment: %d agents compared on the %s (%s):\n", len(e.Arms), e.Metric, what)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  agent\tdialled\treached\tfinished\tgoals\t%s (95%%)\tcost a goal (95%%)\n", e.Metric)
	for _, a := range e.Arms {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%s\t%s\n", oneLine(a.Name, 40), a.Dialled, a.Reached, a.Finished, a.Goals,
			rateCI(a.Rate, a.CI), costPerGoal(a))
	}
	tw.Flush()
	fmt.Fprintf(w, "  verdict: %s\n", oneLine(e.Text, 400))
	fmt.Fprintf(w, "  method: %s\n", e.Method)
}

// costPerGoal writes an arm's cost per goal with its range: $0.50 (0.43–0.60).
func costPerGoal(a experiment.ArmStats) string {
	if a.Goals == 0 {
		return "no goal yet"
	}
	if a.CostPerGoalCI == nil {
		return human.Dollars(a.CostPerGoal)
	}
	return fmt.Sprintf("%s (%s–%s)", human.Dollars(a.CostPerGoal), human.Dollars(a.CostPerGoalCI.Low), human.Dollars(a.CostPerGoalCI.High))
}
