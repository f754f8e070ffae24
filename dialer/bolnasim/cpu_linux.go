package bolnasim

import (
	"runtime"
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling thread has used, and true; the goroutine must be
// locked to its thread between two readings for their difference to be its own.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// measureCPU runs f on a thread of its own and returns the CPU time it used (0 where the
// platform cannot tell).
func measureCPU(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, ok := threadCPU()
	f()
	after, _ := threadCPU()
	if !ok {
		return 0
	}
	return after - before
}
