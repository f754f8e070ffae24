//go:build !unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Lock is an exclusive lock on a results file, held for a whole run. Where flock is not
// available it is a file created exclusively and removed on Release; a run that crashed leaves
// it behind, and the error says so.
type Lock struct{ path string }

// LockedError says another run holds the lock (or a crashed one left it).
type LockedError struct {
	Path   string
	Holder string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is held by another run (%s); if no run is going, a crashed one left it: delete it", e.Path, e.Holder)
}

// AcquireLock takes the lock at path without waiting.
func AcquireLock(path string) (*Lock, error) {
	f, err := OpenNoFollow(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		holder, _ := os.ReadFile(path)
		return nil, &LockedError{Path: path, Holder: strings.TrimSpace(string(holder))}
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(f, "pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	f.Close()
	return &Lock{path: path}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return os.Remove(l.path)
}

// Locked reports whether a run holds the lock at path now (or a crashed one left it).
func Locked(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
