//go:build unix

package journal

import (
	"errors"
	"os"
	"syscall"
)

// OpenNoFollow opens a campaign file (journal, lock, stop request, record of requests, results)
// that must be a regular file: a symbolic link planted at its path is refused (the run would
// otherwise overwrite, cut or append to whatever it points at, /dev/zero included), and so is
// a FIFO, a socket, a device or a directory ([NotRegularError]). The open never blocks: a FIFO
// is opened without waiting for its other end, then seen for what it is.
func OpenNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return nil, &NotRegularError{Path: path, Kind: "a symbolic link"}
	case errors.Is(err, syscall.ENXIO): // a FIFO with no reader, or a socket, opened to write
		return nil, &NotRegularError{Path: path, Kind: "a named pipe or a socket"}
	case errors.Is(err, syscall.EISDIR):
		return nil, &NotRegularError{Path: path, Kind: "a directory"}
	case err != nil:
		return nil, err
	}
	return regular(f)
}
