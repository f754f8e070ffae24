package experiment

import (
	"fmt"
	"math"
)

// Power is the chance of finding a true difference that the planner plans for.
const Power = 0.8

// Plan is how many finished rows each arm needs to find a difference of Detect in the goal
// rate, from a base rate, with k arms.
//
// FixedPerArm is for the fixed-horizon two-sided two-proportion z-test (pooled variance, no
// continuity correction), read once at the end, at level α/m with m = k(k−1)/2 pairs (as
// Compare corrects):
//
//	n = (z(1−α/2m)·sqrt(2·p̄(1−p̄)) + z(Power)·sqrt(p₁(1−p₁) + p₂(1−p₂)))² / D²
//
// with p₁ the base rate, p₂ = p₁ + D (p₁ − D when that passes 1) and p̄ = (p₁+p₂)/2 (Fleiss,
// Statistical Methods for Rates and Proportions, ch. 4).
//
// SequentialPerArm is for the test of this package, which may be read after every call: the
// fewest rows at which the difference D would cross the confidence sequence's boundary
// h(n) = sqrt(2V(V+τ²)/τ² · (log(m/α) + ½·log((V+τ²)/V))) with chance Power at that one
// read, V = (p₁(1−p₁) + p₂(1−p₂))/n:
//
//	(D − h(n)) / sqrt(V) ≥ z(Power)
//
// Reads before n only add to the chance, so by n at least Power of such campaigns have said
// "ahead" (the package's simulation measures it); it is the price of reading at will, often
// 1.5 to 2.5 times FixedPerArm.
type Plan struct {
	Base             float64 `json:"base_rate"`
	Detect           float64 `json:"detect"` // in rate: 0.05 is five points
	Arms             int     `json:"arms"`
	Alpha            float64 `json:"alpha"`
	Power            float64 `json:"power"`
	Tau              float64 `json:"tau"`
	FixedPerArm      int     `json:"fixed_per_arm"`
	SequentialPerArm int     `json:"sequential_per_arm"`
}

// PlanRows plans an experiment of arms arms (2 or more) that should find a difference of
// detect (in rate, 0 < detect < 1) from the base rate (0 < base < 1).
func PlanRows(base, detect float64, arms int, o Options) (Plan, error) {
	o = o.withDefaults()
	switch {
	case !(base > 0 && base < 1):
		return Plan{}, fmt.Errorf("experiment: a base rate of %g: want a rate between 0 and 1 (exclusive)", base)
	case !(detect > 0 && detect < 1):
		return Plan{}, fmt.Errorf("experiment: a difference of %g to detect: want one between 0 and 1 (0.05 is five points)", detect)
	case arms < 2:
		return Plan{}, fmt.Errorf("experiment: %d arms: an experiment has two or more", arms)
	}
	p1, p2 := base, base+detect
	if p2 >= 1 {
		p2 = base - detect
	}
	if p2 <= 0 {
		return Plan{}, fmt.Errorf("experiment: a difference of %.1f points from a base rate of %.1f%% leaves the rates between 0 and 1", 100*detect, 100*base)
	}
	m := float64(arms * (arms - 1) / 2)
	pl := Plan{Base: base, Detect: detect, Arms: arms, Alpha: o.Alpha, Power: Power, Tau: o.Tau}
	fixed := math.Ceil(fixedRows(p1, p2, o.Alpha/m, Power))
	seq, ok := sequentialRows(p1, p2, m, o)
	if !ok || fixed > MaxPlanRows {
		return Plan{}, fmt.Errorf("experiment: a difference of %g points from a base rate of %.1f%% needs more than %d rows an arm: plan for a larger one", 100*detect, 100*base, MaxPlanRows)
	}
	pl.FixedPerArm, pl.SequentialPerArm = int(fixed), seq
	return pl, nil
}

// MaxPlanRows bounds the rows an arm PlanRows plans for: a difference that needs more is
// refused (no list is that long, and the search for the sequential test's rows must end).
const MaxPlanRows = 1_000_000_000

// quantile is the standard normal quantile z(p).
func quantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// fixedRows is n of the fixed-horizon test at two-sided level alpha, unrounded.
func fixedRows(p1, p2, alpha, power float64) float64 {
	bar := (p1 + p2) / 2
	d := p2 - p1
	s := quantile(1-alpha/2)*math.Sqrt(2*bar*(1-bar)) + quantile(power)*math.Sqrt(p1*(1-p1)+p2*(1-p2))
	return s * s / (d * d)
}

// sequentialRows is the least n per arm with (D − h(n))/sqrt(V) ≥ z(Power), found by
// doubling and then halving: the left side grows with n. ok is false when no n up to
// MaxPlanRows will do.
func sequentialRows(p1, p2, m float64, o Options) (n int, ok bool) {
	d, s2, tau2, zb := math.Abs(p2-p1), p1*(1-p1)+p2*(1-p2), o.Tau*o.Tau, quantile(Power)
	enough := func(n int) bool {
		v := s2 / float64(n)
		h := math.Sqrt(2 * v * (v + tau2) / tau2 * (math.Log(m/o.Alpha) + 0.5*math.Log((v+tau2)/v)))
		return (d-h)/math.Sqrt(v) >= zb
	}
	if !enough(MaxPlanRows) {
		return 0, false
	}
	hi := 1
	for !enough(hi) {
		hi = min(2*hi, MaxPlanRows)
	}
	lo := hi / 2 // !enough(lo), or lo = 0
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if enough(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}
