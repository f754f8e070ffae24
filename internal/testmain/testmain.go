// Package testmain ends a package's test binary for its TestMain, without the pause the race
// detector makes at exit.
//
// A binary built with -race that exits 0 first sleeps a second (the race runtime's
// atexit_sleep_ms, so that goroutines still running may report a race), and 'go test -race
// ./...' runs fifteen of them: fifteen seconds of a 2-core machine's test run spent asleep.
// [Exit] skips the pause, and only it: a race found while a test ran has failed that test
// already (the testing package counts the detector's reports around every test), so m.Run
// returned non-zero and the binary exits as usual. Only a race in a goroutine still running
// after the last test, which the pause is for, would go unreported.
//
//	func TestMain(m *testing.M) { testmain.Exit(m.Run()) }
package testmain

import (
	"os"
	"syscall"
)

// Exit ends the test binary with code, as os.Exit does, but for a binary built with -race
// exiting 0, which it ends without the race detector's pause at exit.
func Exit(code int) {
	if code == 0 && raceEnabled {
		syscall.Exit(0) // not os.Exit: its exit hooks end in the race runtime's finish, and its pause
	}
	os.Exit(code)
}
