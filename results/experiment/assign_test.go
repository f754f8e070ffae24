package experiment_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// TestAssignSplit: 10,000 rows over arms weighted 2:1 (A=2,B=1) split within four standard
// deviations of 2/3 (sd = sqrt(2/3·1/3/10,000) = 0.0047); the same campaign and key always give
// the same arm; another campaign redraws about half of the rows of two equal arms.
func TestAssignSplit(t *testing.T) {
	t.Parallel()
	const n = 10000
	var counts [2]int
	moved := 0
	for i := range n {
		key := fmt.Sprintf("+9198%08d", i)
		arm := experiment.Assign("c-1", key, []int{2, 1})
		if arm != experiment.Assign("c-1", key, []int{2, 1}) {
			t.Fatalf("row %s: two arms for one key", key)
		}
		counts[arm]++
		if experiment.Assign("c-1", key, []int{1, 1}) != experiment.Assign("c-2", key, []int{1, 1}) {
			moved++
		}
	}
	share, sd := float64(counts[0])/n, math.Sqrt(2.0/3*1.0/3/n)
	t.Logf("2:1 split: %d and %d (%.4f); another campaign moved %d of %d", counts[0], counts[1], share, moved, n)
	if math.Abs(share-2.0/3) > 4*sd {
		t.Errorf("2:1 split %d and %d: share %.4f, want 2/3 ± %.4f", counts[0], counts[1], share, 4*sd)
	}
	if math.Abs(float64(moved)/n-0.5) > 4*0.005 {
		t.Errorf("another campaign moved %d of %d rows, want about half", moved, n)
	}
	if experiment.Assign("c", "k", []int{0, 0}) != -1 || experiment.Assign("c", "k", []int{0, 3}) != 1 {
		t.Error("weights of 0 take rows")
	}
}

// TestAssignActive: once arm C of three equal arms stops, every row of A and B keeps its arm,
// and C's rows spread over A and B about evenly (within four standard deviations), stably.
func TestAssignActive(t *testing.T) {
	t.Parallel()
	weights, active := []int{1, 1, 1}, []bool{true, true, false}
	var fromC [3]int
	for i := range 9000 {
		key := fmt.Sprintf("row-%d", i)
		was, now := experiment.Assign("c-1", key, weights), experiment.AssignActive("c-1", key, weights, active)
		switch {
		case now != experiment.AssignActive("c-1", key, weights, active):
			t.Fatalf("row %s: two arms for one key", key)
		case was != 2 && now != was:
			t.Fatalf("row %s of arm %d moved to %d, though its arm is active", key, was, now)
		case was == 2:
			fromC[now]++
		}
	}
	total := fromC[0] + fromC[1]
	if fromC[2] != 0 || math.Abs(float64(fromC[0])/float64(total)-0.5) > 4*math.Sqrt(0.25/float64(total)) {
		t.Errorf("C's rows went %v, want none to C and about half to each of A and B", fromC)
	}
	if experiment.AssignActive("c", "k", weights, []bool{false, false, false}) != -1 {
		t.Error("a row was given an arm though none is active")
	}
}

// TestDeal: positions go to the arms by their weights in turn (A=2,B=1: A, A, B, A, A, B…), so
// every prefix of a stratum is split to within one cycle; Rank is stable and tells keys apart.
func TestDeal(t *testing.T) {
	t.Parallel()
	want := []int{0, 0, 1, 0, 0, 1, 0}
	for p, arm := range want {
		if got := experiment.Deal(p, []int{2, 1}); got != arm {
			t.Errorf("Deal(%d, 2:1) = %d, want %d", p, got, arm)
		}
	}
	if experiment.Deal(4, []int{0, 1}) != 0 || experiment.Deal(3, nil) != -1 {
		t.Error("a weight of 0 does not count as 1, or no arms deal a row")
	}
	if r, again := experiment.Rank("c", "k"), experiment.Rank("c", "k"); r != again || r == experiment.Rank("c", "k2") {
		t.Error("Rank is not a stable hash of campaign and key")
	}
	if experiment.Redraw("c", "k", []int{1, 1}, []bool{false, true}) != 1 {
		t.Error("Redraw picks a stopped arm")
	}
}
