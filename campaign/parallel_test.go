package campaign_test

import (
	"flag"
	"strconv"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/internal/testmain"
)

// TestMain runs this package's parallel tests several at a time, not GOMAXPROCS at a time: many
// of them wait on the simulator's clock rather than on the CPU, so on a 2-core machine two at a
// time left the cores idle (94 s for the package; 56 s four at a time, the same CPU). The tests
// that measure utilisation run among the others: they measure in a synctest bubble's virtual
// time, which a crowd does not stretch. Ten at a time: 34 s for the package alone under -race
// (six: 45–50 s, twelve: 31–37 s, sixteen: 44 s with more CPU). An explicit -parallel wins.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.parallel"); f != nil && !flagSet("test.parallel") {
		f.Value.Set(strconv.Itoa(waitingParallelism))
	}
	testmain.Exit(m.Run()) // without the race detector's second of sleep at exit
}

// waitingParallelism is how many of this package's tests run at once.
const waitingParallelism = 10

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
