//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// OpenNoFollow opens a campaign file (journal, lock) without following a symbolic link: a link
// planted at that path would otherwise have the run overwrite, cut or append to whatever it
// points at.
func OpenNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW, perm)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("refusing to open %s: it is a symbolic link", path)
	}
	return f, err
}
