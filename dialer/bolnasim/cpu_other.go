//go:build !linux

package bolnasim

import "time"

// measureCPU runs f; the platform cannot tell the CPU time of one thread, so it returns 0.
func measureCPU(f func()) time.Duration {
	f()
	return 0
}
