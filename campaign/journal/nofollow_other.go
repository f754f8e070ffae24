//go:build !unix

package journal

import "os"

// OpenNoFollow opens a campaign file (journal, lock, stop request, record of requests, results)
// that must be a regular file: a symbolic link planted at its path is refused, and so is
// anything else that is not a regular file ([NotRegularError]). (Without O_NOFOLLOW the check
// and the open are two steps.)
func OpenNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Kind: kindOf(fi.Mode())}
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	return regular(f)
}
