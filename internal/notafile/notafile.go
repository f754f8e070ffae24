// Package notafile puts at a path something that is not a regular file, for the tests that
// hold every file of a campaign (the journal, the lock, the stop request, the record of
// requests, the results) to being one: a FIFO would hang a run that read it, a link would have
// it read or write elsewhere, a directory would read as something there.
package notafile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Kinds are the things [Plant] puts.
var Kinds = []string{"fifo", "directory", "link to /dev/zero", "link to a file"}

// Plant puts kind (one of [Kinds]) at path, skipping the test where that cannot be made. For a
// link to a file it returns the file, to check it was left alone ("" for the other kinds).
func Plant(t testing.TB, kind, path string) (victim string) {
	t.Helper()
	var err error
	switch kind {
	case "fifo":
		err = syscall.Mkfifo(path, 0o600)
	case "directory":
		if err = os.Mkdir(path, 0o700); err == nil {
			err = os.WriteFile(filepath.Join(path, "inside"), nil, 0o600) // not removed as an empty one
		}
	case "link to /dev/zero":
		err = os.Symlink("/dev/zero", path)
	case "link to a file":
		victim = filepath.Join(t.TempDir(), "precious.txt")
		if err = os.WriteFile(victim, []byte("precious\n"), 0o600); err == nil {
			err = os.Symlink(victim, path)
		}
	default:
		t.Fatalf("notafile: no kind %q", kind)
	}
	if err != nil {
		t.Skipf("cannot make a %s here: %v", kind, err)
	}
	return victim
}
