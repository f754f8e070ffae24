//go:build unix

package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
)

// Lock is an exclusive lock on a results file, held for a whole run so that two runs (two cron
// ticks, say) never work on the same campaign at once. It is an flock on a lock file: the
// kernel releases it when the holder dies, however it dies, so a stale lock is taken over
// without any cleanup.
type Lock struct{ f *os.File }

// LockedError says another live process holds the lock.
type LockedError struct {
	Path   string
	Holder string // what the holder wrote: pid, host, start time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is held by another run (%s); wait for it to finish", e.Path, e.Holder)
}

// AcquireLock takes the lock at path without waiting.
func AcquireLock(path string) (*Lock, error) {
	f, err := OpenNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 4<<10)) // the file opened, never what replaced it
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Holder: strings.TrimSpace(string(holder))}
		}
		return nil, fmt.Errorf("lock: %s: %w", path, err)
	}
	host, _ := os.Hostname()
	f.Truncate(0)
	fmt.Fprintf(f, "pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	return &Lock{f: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}

// Locked reports whether a run holds the lock at path now, without taking it (a shared lock
// tried for an instant).
func Locked(path string) bool {
	f, err := OpenNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
