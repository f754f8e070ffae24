package results_test

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// group is one group of a breakdown: answered of dialled rows.
type group struct {
	name              string
	dialled, answered int
}

// groupsReport writes one results file whose clinic column holds the groups, and reads it
// back broken down by clinic.
func groupsReport(t *testing.T, groups []group) *results.Report {
	t.Helper()
	path := filepath.Join(t.TempDir(), "groups.results.csv")
	w, err := results.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteHeader([]string{"phone", "clinic"})
	row := 0
	for _, g := range groups {
		for i := range g.dialled {
			o := journal.Outcome{Status: "no-answer", ExecutionID: "e", Attempts: 1}
			if i < g.answered {
				o.Status, o.Duration = "completed", 30
			}
			w.WriteRow([]string{fmt.Sprintf("+91981%07d", row), g.name}, o)
			row++
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := results.ReadReportWith("clinic", nil, path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCompareBonferroni: the highest answer rate against the lowest is one of the pairs that
// could have been picked, so its p-value is multiplied by their number (Bonferroni): a
// difference that a test of two groups would call (p = 0.034 for 60/100 against 45/100) is
// within chance among three groups (p = 0.101), and among four (60/100 against 44/100: p =
// 0.024, six pairs: 0.141). A large one stays a difference, its p-value corrected. The
// p-values are worked out by hand from the pooled two-proportion z-test.
func TestCompareBonferroni(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		groups  []group
		high    string
		low     string
		z, p    float64 // p corrected for the pairs
		differs bool
		text    string
	}{
		{"three groups, within chance", []group{{"A", 100, 60}, {"B", 100, 50}, {"C", 100, 45}},
			"A", "C", 2.1239770, 3 * 0.0336721, false, "no difference beyond chance between A (60.0%) and C (45.0%) (p = 0.101)"},
		{"four groups, within chance", []group{{"A", 100, 60}, {"B", 100, 55}, {"C", 100, 50}, {"D", 100, 44}},
			"A", "D", 2.2645541, 6 * 0.0235401, false, "no difference beyond chance between A (60.0%) and D (44.0%) (p = 0.141)"},
		{"three groups, beyond chance", []group{{"A", 100, 60}, {"B", 100, 50}, {"C", 100, 40}},
			"A", "C", 2.8284271, 3 * 0.0046777, true, "A (60.0%) and C (40.0%) differ beyond chance (p = 0.014)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := groupsReport(t, tt.groups)
			if len(r.Verdicts) != 1 {
				t.Fatalf("verdicts %+v, want the answer rate's", r.Verdicts)
			}
			v := r.Verdicts[0]
			near := func(got, want float64) bool { return math.Abs(got-want) < 1e-4 }
			if v.High != tt.high || v.Low != tt.low || v.TooSmall || !near(v.Z, tt.z) || !near(v.P, tt.p) || v.Differs != tt.differs {
				t.Errorf("verdict %+v: want %s over %s, z %.4f, p %.4f (corrected for %d groups), differs %t",
					v, tt.high, tt.low, tt.z, tt.p, len(tt.groups), tt.differs)
			}
			var text bytes.Buffer
			r.WriteText(&text)
			if !strings.Contains(text.String(), tt.text) {
				t.Errorf("the text report lacks %q:\n%s", tt.text, text.String())
			}
		})
	}
}

// TestCompareTooSmall: the z-test's normal approximation needs five or more expected on
// either side, successes and failures, in each group. Rates near 1 (100/100 against 92/100:
// 4 failures expected in each group) are too small to tell, as are rates near 0 (8/100
// against 0/100: 4 successes expected), though either gap would be "beyond chance" by the
// test; one more expected failure (99/100 against 90/100: 5.5) is enough.
func TestCompareTooSmall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		groups   []group
		tooSmall bool
	}{
		{"rates near 1", []group{{"A", 100, 100}, {"B", 100, 92}}, true},
		{"rates near 0", []group{{"A", 100, 8}, {"B", 100, 0}}, true},
		{"enough failures expected", []group{{"A", 100, 99}, {"B", 100, 90}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := groupsReport(t, tt.groups)
			if len(r.Verdicts) != 1 {
				t.Fatalf("verdicts %+v, want the answer rate's", r.Verdicts)
			}
			v := r.Verdicts[0]
			if v.TooSmall != tt.tooSmall || v.TooSmall && (v.Differs || v.P != 0) || !v.TooSmall && !v.Differs {
				t.Errorf("verdict %+v: want too small %t (and a difference when not)", v, tt.tooSmall)
			}
			var text bytes.Buffer
			r.WriteText(&text)
			if said := strings.Contains(text.String(), "too small to tell"); said != tt.tooSmall {
				t.Errorf("the text report says too small to tell: %t, want %t:\n%s", said, tt.tooSmall, text.String())
			}
		})
	}
}
