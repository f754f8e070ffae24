//go:build !unix

package journal

import (
	"fmt"
	"os"
)

// OpenNoFollow opens a campaign file (journal, lock) unless it is a symbolic link: a link
// planted at that path would otherwise have the run overwrite, cut or append to whatever it
// points at. (Without O_NOFOLLOW the check and the open are two steps.)
func OpenNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("refusing to open %s: it is a symbolic link", path)
	}
	return os.OpenFile(path, flag, perm)
}
