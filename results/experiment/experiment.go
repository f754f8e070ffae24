package experiment

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/human"
)

// Z95 is the 95% two-sided normal quantile: intervals are 95%.
const Z95 = 1.959963984540054

// MinExpected is the fewest successes and failures each arm must be expected to have, at the
// arms' pooled rate, before the test is read: below it the normal approximation of the
// difference does not hold.
const MinExpected = 5

// Method names the test in reports.
const Method = "mixture sequential probability ratio test (mSPRT, Johari, Pekelis & Walsh 2022) on the difference of the arms' rates, normal mixture τ = %g; always-valid p-values, Bonferroni over %d %s"

// Interval is a 95% interval of a proportion (or of a difference of two).
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Wilson is the Wilson score interval of x successes in n trials (95%): unlike the plain
// p ± 1.96·se it stays within [0, 1] and is honest for small n and rates near 0 or 1.
func Wilson(x, n int) Interval {
	if n == 0 {
		return Interval{0, 1}
	}
	p, nf, z2 := float64(x)/float64(n), float64(n), Z95*Z95
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := Z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / (1 + z2/nf)
	return Interval{max(0, centre-half), min(1, centre+half)}
}

// Arm is what one arm of a campaign has done so far.
type Arm struct {
	Name     string  `json:"name"`
	Dialled  int     `json:"dialled"`  // rows with a call placed
	Finished int     `json:"finished"` // dialled rows whose calls have finished: the trials
	Reached  int     `json:"reached"`  // people reached (a conversation)
	Goals    int     `json:"goals"`    // finished rows that reached the goal: the successes
	Cost     float64 `json:"cost"`     // of the arm's calls, in cents
}

// ArmStats is an arm with its rate, interval and cost per goal.
type ArmStats struct {
	Arm
	Rate float64  `json:"rate"`    // Goals / Finished
	CI   Interval `json:"rate_95"` // Wilson
	// CostPerGoal is Cost / Goals (0 with no goal), and CostPerGoalCI its range at the rate's
	// interval: the cost per finished row over the rate's bounds (nil when the interval
	// reaches 0: no bound).
	CostPerGoal   float64   `json:"cost_per_goal"`
	CostPerGoalCI *Interval `json:"cost_per_goal_95,omitempty"`
}

// Options tune the comparison; the zero value is the default.
type Options struct {
	Alpha float64 // the error rate the test keeps to, over every read; default 0.05
	Tau   float64 // the mixture's scale, in rate (0.1 is ten points); default 0.1
	// Margin is the largest difference, in rate, that "no difference larger than X is likely"
	// is said for; a confidence sequence still wider than it is "too early to tell". Default
	// 0.1.
	Margin float64
}

func (o Options) withDefaults() Options {
	o.Alpha = cmp.Or(o.Alpha, 0.05)
	o.Tau = cmp.Or(o.Tau, 0.1)
	o.Margin = cmp.Or(o.Margin, 0.1)
	return o
}

// Pair is the leader against one other arm.
type Pair struct {
	Leader string  `json:"leader"`
	Other  string  `json:"other"`
	Diff   float64 `json:"diff"` // the leader's rate − the other's
	// P is the always-valid p-value 1/Λ(0), multiplied by the pairs (Bonferroni), at most 1;
	// a Monitor keeps the least of every read.
	P float64 `json:"p"`
	// CS is the confidence sequence of the difference at level 1 − α/pairs; a Monitor keeps
	// the intersection of every read's.
	CS      Interval `json:"diff_cs"`
	Ahead   bool     `json:"ahead"` // P < α: the leader is ahead beyond chance
	TooSoon bool     `json:"too_soon"`
}

// The states of a verdict.
const (
	TooEarly     = "too early to tell"
	Ahead        = "ahead"
	NoDifference = "no difference"
)

// Result is the comparison of a campaign's arms.
type Result struct {
	Method string     `json:"method"`
	Alpha  float64    `json:"alpha"`
	Arms   []ArmStats `json:"arms"`   // in the order given
	Leader string     `json:"leader"` // the highest rate ("" with fewer than two arms)
	Pairs  []Pair     `json:"pairs"`  // the leader against each other arm, in the arms' order
	State  string     `json:"state"`  // TooEarly, Ahead or NoDifference
	// Within is, for NoDifference and TooEarly, the largest difference the confidence
	// sequences still allow (the X of "no difference larger than X is likely"); 0 when no pair
	// could be read.
	Within float64 `json:"within"`
	// Losers are the arms the leader is ahead of beyond chance.
	Losers []string `json:"losers,omitempty"`
	Text   string   `json:"text"`
}

// Compare compares the arms once, at their counts now (see Monitor for a campaign read again
// and again). Arms with no finished row take no part in the test but are listed.
func Compare(arms []Arm, o Options) Result {
	return compare(arms, o.withDefaults(), nil)
}

func compare(arms []Arm, o Options, seen *seen) Result {
	var with []ArmStats
	res := Result{Alpha: o.Alpha}
	for _, a := range arms {
		s := stats(a)
		res.Arms = append(res.Arms, s)
		if a.Finished > 0 {
			with = append(with, s)
		}
	}
	m := len(with) * (len(with) - 1) / 2
	res.Method = fmt.Sprintf(Method, o.Tau, max(m, 1), human.Plural(max(m, 1), "pair", "pairs"))
	if len(with) < 2 {
		res.State, res.Text = TooEarly, TooEarly+": fewer than two arms have finished calls"
		return res
	}
	leader := with[0]
	for _, a := range with[1:] {
		if a.Rate > leader.Rate {
			leader = a
		}
	}
	res.Leader = leader.Name
	for _, a := range with {
		if a.Name == leader.Name {
			continue
		}
		p := pair(leader.Arm, a.Arm, m, o)
		if seen != nil && !p.TooSoon {
			seen.keep(&p)
			p.Ahead = p.P < o.Alpha
		}
		res.Pairs = append(res.Pairs, p)
		if p.Ahead {
			res.Losers = append(res.Losers, a.Name)
		}
	}
	res.State, res.Within, res.Text = verdict(res, o)
	return res
}

func stats(a Arm) ArmStats {
	s := ArmStats{Arm: a, CI: Wilson(a.Goals, a.Finished)}
	if a.Finished > 0 {
		s.Rate = float64(a.Goals) / float64(a.Finished)
		if perRow := a.Cost / float64(a.Finished); s.CI.Low > 0 {
			s.CostPerGoalCI = &Interval{perRow / s.CI.High, perRow / s.CI.Low}
		}
	}
	if a.Goals > 0 {
		s.CostPerGoal = a.Cost / float64(a.Goals)
	}
	return s
}

// pair tests leader against other at α/m.
func pair(leader, other Arm, m int, o Options) Pair {
	d := rate(leader) - rate(other)
	p := Pair{Leader: leader.Name, Other: other.Name, Diff: d, P: 1, CS: Interval{-1, 1}}
	if !enough(leader, other) {
		p.TooSoon = true
		return p
	}
	v, tau2 := variance(leader, other), o.Tau*o.Tau
	p.P = min(1, float64(m)*math.Exp(-logLR(d, 0, v, tau2)))
	half := math.Sqrt(2 * v * (v + tau2) / tau2 * (math.Log(float64(m)/o.Alpha) + 0.5*math.Log((v+tau2)/v)))
	p.CS = Interval{max(-1, d-half), min(1, d+half)}
	p.Ahead = p.P < o.Alpha
	return p
}

func rate(a Arm) float64 { return float64(a.Goals) / float64(a.Finished) }

// enough reports whether both arms are expected to have MinExpected successes and failures
// at their pooled rate.
func enough(a, b Arm) bool {
	pooled := float64(a.Goals+b.Goals) / float64(a.Finished+b.Finished)
	for _, n := range []int{a.Finished, b.Finished} {
		if float64(n)*pooled < MinExpected || float64(n)*(1-pooled) < MinExpected {
			return false
		}
	}
	return true
}

// variance is V of the difference of the two arms' rates, each shrunk by one success and one
// failure (Agresti–Caffo).
func variance(a, b Arm) float64 {
	v := 0.0
	for _, arm := range []Arm{a, b} {
		p := float64(arm.Goals+1) / float64(arm.Finished+2)
		v += p * (1 - p) / float64(arm.Finished)
	}
	return v
}

// logLR is log Λ(θ₀): the normal mixture N(θ₀, τ²) over the difference against θ₀, for a
// difference d estimated with variance v.
func logLR(d, theta0, v, tau2 float64) float64 {
	return 0.5*math.Log(v/(v+tau2)) + tau2*(d-theta0)*(d-theta0)/(2*v*(v+tau2))
}

// verdict words the result: per pair, the leader ahead of the other, no difference larger
// than the confidence sequence allows, or too early to tell; with two arms, without naming the
// pair again ("A ahead of B (…)", "no difference larger than 4.2 points is likely").
func verdict(res Result, o Options) (state string, within float64, text string) {
	for _, p := range res.Pairs {
		if !p.Ahead && !p.TooSoon {
			within = max(within, -p.CS.Low, p.CS.High)
		}
	}
	var parts []string
	for _, p := range res.Pairs {
		var s, part string
		bound := max(-p.CS.Low, p.CS.High) // this pair's, not the widest of all
		switch {
		case p.Ahead:
			s, part = Ahead, fmt.Sprintf("%s ahead of %s (%s against %s, p %s, by %.1f to %.1f points)", p.Leader, p.Other,
				human.Percent(rateOf(res, p.Leader)), human.Percent(rateOf(res, p.Other)), FormatP(p.P), 100*max(0, p.CS.Low), 100*p.CS.High)
		case p.TooSoon:
			s, part = TooEarly, fmt.Sprintf("%s (each arm needs %d goals and %d misses expected)", TooEarly, MinExpected, MinExpected)
		case bound <= o.Margin:
			s, part = NoDifference, fmt.Sprintf("no difference larger than %.1f points is likely", 100*bound)
		default:
			s, part = TooEarly, fmt.Sprintf("%s (the difference could still be up to %.1f points)", TooEarly, 100*bound)
		}
		if len(res.Pairs) > 1 && !p.Ahead {
			part = fmt.Sprintf("%s against %s: %s", p.Leader, p.Other, part)
		}
		parts = append(parts, part)
		state = strongest(state, s)
	}
	return state, within, strings.Join(parts, "; ")
}

// strongest is the state of a result from its pairs': ahead if the leader is ahead of any arm,
// else too early if any pair is, else no difference.
func strongest(a, b string) string {
	rank := map[string]int{"": 0, NoDifference: 1, TooEarly: 2, Ahead: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func rateOf(res Result, name string) float64 {
	i := slices.IndexFunc(res.Arms, func(a ArmStats) bool { return a.Name == name })
	return res.Arms[i].Rate
}

// FormatP writes a p-value after a "p": "= 0.012", "< 0.001".
func FormatP(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return "= " + strconv.FormatFloat(p, 'f', 3, 64)
}

// Monitor reads a campaign's arms again and again (after every call, say) and keeps, for each
// pair, the least p-value any read has seen and the intersection of the confidence sequences
// all reads have given: the always-valid p-value of Johari et al. is the running minimum, its
// confidence sequence the running intersection (each holds at every read at once), and an arm
// once behind beyond chance stays so. Not safe for concurrent use.
type Monitor struct {
	opts Options
	seen seen
}

// NewMonitor returns a monitor that compares with o.
func NewMonitor(o Options) *Monitor {
	return &Monitor{opts: o.withDefaults(), seen: seen{least: map[[2]string]float64{}, cs: map[[2]string]Interval{}}}
}

// Read compares the arms at their counts now.
func (m *Monitor) Read(arms []Arm) Result { return compare(arms, m.opts, &m.seen) }

// seen is what a Monitor keeps of each pair of arms.
type seen struct {
	// least is the least p-value of the pair with its leader first: a p-value says there is a
	// difference, the leader which way (one arm's past lead lends the other nothing).
	least map[[2]string]float64
	// cs is the intersection of the confidence sequences of the first's rate less the
	// second's, the names in order: whichever led, a read's sequence bounds the same difference.
	cs map[[2]string]Interval
}

// keep folds a read of p into what was seen of its pair, and what was seen into p: the least
// p-value, and the intersection of the sequences (this read's alone should the two not meet,
// which happens with a chance below α).
func (s *seen) keep(p *Pair) {
	led := [2]string{p.Leader, p.Other}
	if prev, ok := s.least[led]; ok {
		p.P = min(p.P, prev)
	}
	s.least[led] = p.P
	key, cs, flip := led, p.CS, p.Other < p.Leader
	if flip {
		key, cs = [2]string{p.Other, p.Leader}, Interval{-cs.High, -cs.Low}
	}
	if prev, ok := s.cs[key]; ok {
		if both := (Interval{max(cs.Low, prev.Low), min(cs.High, prev.High)}); both.Low <= both.High {
			cs = both
		}
	}
	s.cs[key] = cs
	if flip {
		cs = Interval{-cs.High, -cs.Low}
	}
	p.CS = cs
}
