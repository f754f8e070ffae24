package campaign

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkStratify deals a list of a million rows over 50 regions and reports the memory the
// deal keeps for the run (one byte a row) and what it allocated on the way, per row.
func BenchmarkStratify(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "phone,region")
	for i := range n {
		fmt.Fprintf(w, "+9198%08d,R%d\n", i, i%50)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	cfg := Config{AgentID: "a", Arms: []Arm{{AgentID: "a", Weight: 2}, {AgentID: "b", Weight: 1}}, Stratify: "region"}
	var kept int
	for b.Loop() {
		r := &Runner{cfg: cfg, list: listFile(path)}
		r.arms = newArmBook(&r.cfg)
		r.arms.of(path)
		if err := r.stratify(path); err != nil {
			b.Fatal(err)
		}
		kept = len(r.arms.strata.arm)
		runtime.KeepAlive(r)
	}
	b.ReportMetric(float64(kept)/n, "kept-bytes/row")
}
