package experiment

import (
	"math"
	"strings"
	"testing"
)

// TestPlanByHand: 30% against 50% (a difference of 20 points), two arms, α = 0.05, power 0.8.
// p̄ = 0.4; z(0.975)·sqrt(2·0.4·0.6) = 1.959964·0.692820 = 1.357903; z(0.8)·sqrt(0.3·0.7 +
// 0.5·0.5) = 0.841621·0.678233 = 0.570817; (1.928720)²/0.2² = 3.719960/0.04 = 92.999: 93 rows
// an arm. The textbook check: Fleiss' tables (Statistical Methods for Rates and Proportions,
// Table A.4) carry the continuity correction of Fleiss, Tytun & Ury (1980), n/4·(1 +
// sqrt(1 + 4/(n·D)))² = 92.999/4·(1 + sqrt(1.215056))² = 23.24975·4.419676 = 102.76: 103, the
// table's figure for 0.30 against 0.50. 50% against 60%: 387.3, 388 an arm, the figure every
// calculator without the correction gives. Three arms test each pair at 0.05/3: z(1−0.05/6)
// = 2.393980, (2.393980·0.692820 + 0.570817)² / 0.04 = 2.229414² / 0.04 = 124.26: 125.
// 90% and a difference of 20 points plans for 70% against 90% (no rate passes 1): 61.6, 62.
func TestPlanByHand(t *testing.T) {
	t.Parallel()
	if n := fixedRows(0.3, 0.5, 0.05, 0.8); math.Abs(n-92.999) > 0.001 || math.Ceil(n/4*math.Pow(1+math.Sqrt(1+4/(n*0.2)), 2)) != 103 {
		t.Errorf("fixedRows(0.3, 0.5) = %.3f, want 92.999 (103 with Fleiss' continuity correction)", n)
	}
	tests := []struct {
		base, detect float64
		arms         int
		fixed        int
	}{{0.3, 0.2, 2, 93}, {0.5, 0.1, 2, 388}, {0.3, 0.2, 3, 125}, {0.9, 0.2, 2, 62}}
	for _, tt := range tests {
		pl, err := PlanRows(tt.base, tt.detect, tt.arms, Options{})
		if err != nil || pl.FixedPerArm != tt.fixed || pl.SequentialPerArm <= pl.FixedPerArm || pl.SequentialPerArm > 3*pl.FixedPerArm {
			t.Errorf("PlanRows(%g, %g, %d) = %+v, %v: want %d rows an arm for the fixed test, more (under three times) for the sequential", tt.base, tt.detect, tt.arms, pl, err, tt.fixed)
		}
	}
	for _, bad := range [][2]float64{{0, 0.05}, {1, 0.05}, {0.5, 0}, {0.5, 0.6}, {math.NaN(), 0.1}} {
		if _, err := PlanRows(bad[0], bad[1], 2, Options{}); err == nil || !strings.Contains(err.Error(), "experiment:") {
			t.Errorf("PlanRows(%g, %g) = %v, want an error", bad[0], bad[1], err)
		}
	}
	if _, err := PlanRows(0.3, 0.05, 1, Options{}); err == nil {
		t.Error("PlanRows with one arm: no error")
	}
}

// TestPlanTooSmall: a difference so small that no list could show it is refused, not planned:
// before, a billionth of a point made sequentialRows double its rows until the int wrapped to 0
// and loop for ever (report --plan --detect 0.0000001pp hung), and the fixed test's rows
// overflowed an int.
func TestPlanTooSmall(t *testing.T) {
	t.Parallel()
	for _, detect := range []float64{1e-9, 1e-12} {
		if pl, err := PlanRows(0.5, detect, 2, Options{}); err == nil || !strings.Contains(err.Error(), "experiment:") {
			t.Errorf("PlanRows(0.5, %g) = %+v, %v; want an error", detect, pl, err)
		}
	}
	if pl, err := PlanRows(0.5, 0.001, 2, Options{}); err != nil || pl.FixedPerArm < 3_900_000 || pl.SequentialPerArm <= pl.FixedPerArm {
		t.Errorf("PlanRows(0.5, 0.001) = %+v, %v; want a tenth of a point planned (3.9 million rows an arm read once)", pl, err)
	}
}
