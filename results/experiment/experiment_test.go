package experiment_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

func near(got, want float64) bool { return math.Abs(got-want) < 1e-4 }

// TestWilson: 60 of 100 by hand. p = 0.6, z² = 3.841459; the centre (0.6 + 3.841459/200) /
// (1 + 3.841459/100) = 0.619207/1.038415 = 0.596301; the half width 1.959964 ·
// sqrt(0.24/100 + 3.841459/40000) / 1.038415 = 1.959964 · 0.0499603 / 1.038415 = 0.094299:
// [0.502003, 0.690599]. No trials is [0, 1]; every success stays under 1.
func TestWilson(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		x, n      int
		low, high float64
	}{{60, 100, 0.5020026, 0.6905987}, {0, 0, 0, 1}, {10, 10, 0.7224672, 1}} {
		if got := experiment.Wilson(tt.x, tt.n); !near(got.Low, tt.low) || !near(got.High, tt.high) {
			t.Errorf("Wilson(%d, %d) = %+v, want [%.6f, %.6f]", tt.x, tt.n, got, tt.low, tt.high)
		}
	}
}

// TestCompareByHand checks the mSPRT against numbers worked out by hand, τ = 0.1 (τ² = 0.01),
// α = 0.05.
//
// 120/200 against 80/200: p̃ = 121/202 = 0.599010 and 81/202 = 0.400990, each p̃(1−p̃)/200 =
// 0.00120099, V = 0.00240197; V+τ² = 0.01240197. log Λ = ½·ln(0.00240197/0.01240197) +
// 0.01·0.2²/(2·0.00240197·0.01240197) = ½·(−1.641549) + 0.0004/0.0000595786 = −0.820775 +
// 6.713842 = 5.893067; Λ = 362.52, p = 1/Λ = 0.002759: ahead. The boundary h = sqrt(2V(V+τ²)/τ²
// · (ln 20 + ½·ln(V+τ²)/V)) = sqrt(0.00595786 · (2.995732 + 0.820775)) = 0.150792: the
// difference is within 0.2 ± 0.1508 = [0.0492, 0.3508]. Among three arms (3 pairs) p is
// 3/Λ = 0.008276 and h grows to sqrt(0.00595786 · (ln 60 + 0.820775)) = 0.171124.
//
// 60/100 against 40/100, the same rates: V = 0.00480777, log Λ = ½·ln(0.00480777/0.01480777)
// + 0.0004/(2·0.00480777·0.01480777) = −0.562451 + 2.809285 = 2.246834; p = 1/9.4577 =
// 0.105733, too early: the difference could be up to 0.2 + 0.225085 = 42.5 points. (The
// fixed z-test, read once, says p = 0.0047: the price of being free to read at every call.)
//
// 2050/5000 against 2000/5000: V = 0.0000963829, d = 0.01, h = 0.0322182: within
// [−0.0222, 0.0422], no difference larger than 4.2 points is likely.
func TestCompareByHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		arms       []experiment.Arm
		state      string
		p, lo, hi  float64
		losers     int
		text       string
		leader     string
		pairsCount int
	}{
		{"ahead", []experiment.Arm{{Name: "A", Finished: 200, Goals: 120}, {Name: "B", Finished: 200, Goals: 80}},
			experiment.Ahead, 0.0027585, 0.0492082, 0.3507918, 1, "A ahead of B (60.0% against 40.0%, p = 0.003, by 4.9 to 35.1 points)", "A", 1},
		{"ahead of two", []experiment.Arm{{Name: "B", Finished: 200, Goals: 80}, {Name: "A", Finished: 200, Goals: 120}, {Name: "C", Finished: 200, Goals: 80}},
			experiment.Ahead, 0.0082755, 0.0288757, 0.3711243, 2, "A ahead of B (60.0% against 40.0%, p = 0.008, by 2.9 to 37.1 points); A ahead of C", "A", 2},
		{"too early", []experiment.Arm{{Name: "A", Finished: 100, Goals: 60}, {Name: "B", Finished: 100, Goals: 40}},
			experiment.TooEarly, 0.1057335, -0.0250848, 0.4250848, 0, "too early to tell (the difference could still be up to 42.5 points)", "A", 1},
		{"no difference", []experiment.Arm{{Name: "A", Finished: 5000, Goals: 2000}, {Name: "B", Finished: 5000, Goals: 2050}},
			experiment.NoDifference, 1, -0.0221822, 0.0421822, 0, "no difference larger than 4.2 points is likely", "B", 1},
		{"too few", []experiment.Arm{{Name: "A", Finished: 10, Goals: 6}, {Name: "B", Finished: 10, Goals: 1}},
			experiment.TooEarly, 1, -1, 1, 0, "too early to tell (each arm needs 5 goals and 5 misses expected)", "A", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := experiment.Compare(tt.arms, experiment.Options{})
			if r.State != tt.state || r.Leader != tt.leader || len(r.Pairs) != tt.pairsCount || len(r.Losers) != tt.losers || !strings.Contains(r.Text, tt.text) {
				t.Fatalf("Compare() = %+v\nwant state %q, leader %s, %d pairs, %d losers, text %q", r, tt.state, tt.leader, tt.pairsCount, tt.losers, tt.text)
			}
			p := r.Pairs[0]
			if !near(p.P, tt.p) || !near(p.CS.Low, tt.lo) || !near(p.CS.High, tt.hi) {
				t.Errorf("pair %+v: want p %.6f, difference within [%.6f, %.6f]", p, tt.p, tt.lo, tt.hi)
			}
			if !strings.Contains(r.Method, "mSPRT") {
				t.Errorf("method %q does not name the test", r.Method)
			}
		})
	}
}

// TestArmStats: per arm, the rate with its Wilson interval and the cost per goal, its range
// the cost per finished row over the rate's bounds: 60 goals of 100 rows costing 3,000 cents
// are 50 cents a goal, 30 a row, 30/0.6905987 = 43.44 to 30/0.5020026 = 59.76.
func TestArmStats(t *testing.T) {
	t.Parallel()
	r := experiment.Compare([]experiment.Arm{{Name: "A", Dialled: 110, Finished: 100, Reached: 70, Goals: 60, Cost: 3000},
		{Name: "B", Dialled: 5}}, experiment.Options{})
	a := r.Arms[0]
	if !near(a.Rate, 0.6) || !near(a.CI.Low, 0.5020026) || !near(a.CostPerGoal, 50) || a.CostPerGoalCI == nil || !near(a.CostPerGoalCI.Low, 43.4406) || !near(a.CostPerGoalCI.High, 59.7606) || r.Arms[1].CostPerGoalCI != nil {
		t.Errorf("arm %+v: want 60%% (50.2–69.1), 50 cents a goal (43.44–59.76)", a)
	}
	if r.State != experiment.TooEarly || len(r.Pairs) != 0 || len(r.Arms) != 2 {
		t.Errorf("with one arm finished: %+v, want too early and no pairs", r)
	}
}

// TestMonitorKeepsTheLeast: a monitor's p-value is the least of its reads: once ahead, an arm
// stays ahead when a later read is less clear.
func TestMonitorKeepsTheLeast(t *testing.T) {
	t.Parallel()
	m := experiment.NewMonitor(experiment.Options{})
	first := m.Read([]experiment.Arm{{Name: "A", Finished: 200, Goals: 120}, {Name: "B", Finished: 200, Goals: 80}})
	later := m.Read([]experiment.Arm{{Name: "A", Finished: 220, Goals: 122}, {Name: "B", Finished: 220, Goals: 100}})
	once := experiment.Compare([]experiment.Arm{{Name: "A", Finished: 220, Goals: 122}, {Name: "B", Finished: 220, Goals: 100}}, experiment.Options{})
	if first.State != experiment.Ahead || later.State != experiment.Ahead || later.Pairs[0].P != first.Pairs[0].P || once.State == experiment.Ahead {
		t.Errorf("reads %s (p %g), then %s (p %g); the second alone %s (p %g): want ahead throughout with the first p, the second alone not ahead",
			first.State, first.Pairs[0].P, later.State, later.Pairs[0].P, once.State, once.Pairs[0].P)
	}
}

// TestMonitorIntersectsSequences: a monitor's confidence sequence of a pair is the
// intersection of its reads' (each holds at every read at once, so all of them do), in the
// leader's orientation whichever arm led; a read whose sequence misses the kept one (a chance
// below α) gives its own. Before, a later read's wider sequence replaced an earlier, narrower
// one.
func TestMonitorIntersectsSequences(t *testing.T) {
	t.Parallel()
	reads := [][]experiment.Arm{
		{{Name: "A", Finished: 200, Goals: 120}, {Name: "B", Finished: 200, Goals: 80}},     // A leads by 20 points
		{{Name: "A", Finished: 220, Goals: 122}, {Name: "B", Finished: 220, Goals: 100}},    // by 10
		{{Name: "A", Finished: 400, Goals: 170}, {Name: "B", Finished: 400, Goals: 174}},    // B leads by 1
		{{Name: "A", Finished: 5000, Goals: 500}, {Name: "B", Finished: 5000, Goals: 4500}}, // B by 80: misses
	}
	m := experiment.NewMonitor(experiment.Options{})
	want := experiment.Interval{Low: -1, High: 1} // of A's rate less B's
	var third experiment.Interval
	for i, arms := range reads {
		got := m.Read(arms).Pairs[0]
		alone := experiment.Compare(arms, experiment.Options{}).Pairs[0].CS
		if got.Leader == "B" {
			alone = experiment.Interval{Low: -alone.High, High: -alone.Low}
		}
		both := experiment.Interval{Low: max(want.Low, alone.Low), High: min(want.High, alone.High)}
		if both.Low > both.High {
			both = alone
		}
		want = both
		if got.Leader == "B" {
			both = experiment.Interval{Low: -want.High, High: -want.Low}
		}
		if !near(got.CS.Low, both.Low) || !near(got.CS.High, both.High) {
			t.Errorf("read %d (%s leads): sequence %+v, want %+v", i+1, got.Leader, got.CS, both)
		}
		if i == 2 {
			third = want
		}
	}
	if third.Low <= 0 || third.High >= 0.2 {
		t.Errorf("after three reads, A less B kept within %+v: want it within (0, 0.2), as the first two reads bound it", third)
	}
}

// TestVerdictEachPairItsOwnBound: with three arms, each pair's words carry its own confidence
// sequence, not the widest of all. A 2050/5000, B 2000/5000, C 40/100, each pair at α/3: A
// against B, d = 0.01, h = sqrt(2V(V+τ²)/τ² · (ln 60 + ½·ln((V+τ²)/V))) = 0.035348 with V =
// 0.0000963824: within 4.5 points, no difference larger is likely; A against C, V =
// 0.00242753, h = 0.173110: up to 18.3 points, too early. Before, A against B read "too early
// to tell (the difference could still be up to 18.3 points)": C's bound, said of B.
func TestVerdictEachPairItsOwnBound(t *testing.T) {
	t.Parallel()
	r := experiment.Compare([]experiment.Arm{{Name: "A", Finished: 5000, Goals: 2050}, {Name: "B", Finished: 5000, Goals: 2000},
		{Name: "C", Finished: 100, Goals: 40}}, experiment.Options{})
	for _, want := range []string{"A against B: no difference larger than 4.5 points is likely", "A against C: too early to tell (the difference could still be up to 18.3 points)"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("verdict %q, want %q", r.Text, want)
		}
	}
	if r.State != experiment.TooEarly || !near(r.Within, 0.1831098) {
		t.Errorf("state %s, within %g; want too early, within 0.183110 (the widest pair's)", r.State, r.Within)
	}
}
