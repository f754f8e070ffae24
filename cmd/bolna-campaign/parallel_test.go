package main

import (
	"flag"
	"strconv"
)

// useWaitingParallelism runs this package's parallel tests several at a time, not GOMAXPROCS at
// a time (see TestMain): most of them wait on the simulator's clock (calls of seconds, sandbox
// runs), not on the CPU, so on a 2-core machine two at a time left the cores idle for a minute
// (79 s for the package with 27% of two cores busy). Eight at a time: 41 s for the package
// alone with 34 s of CPU (four: 58 s). TestSignals, whose timed assertions do not bear a crowd,
// runs alone before them. An explicit -parallel wins.
func useWaitingParallelism() {
	flag.Parse()
	if f := flag.Lookup("test.parallel"); f != nil && !flagSet("test.parallel") {
		f.Value.Set(strconv.Itoa(waitingParallelism))
	}
}

// waitingParallelism is how many of this package's tests run at once.
const waitingParallelism = 8

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
