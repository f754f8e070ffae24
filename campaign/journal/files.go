package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// NotRegularError says a campaign file's path holds something other than a regular file: a
// symbolic link, a FIFO, a socket, a device or a directory. Nothing is read from it or written
// through it: a FIFO would hang the run, a link to /dev/zero would feed it without end, a link
// elsewhere would have the run write over another file.
type NotRegularError struct {
	Path string
	Kind string // what it is, in words: "a directory", "a symbolic link", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("refusing to open %s: it is %s, not a regular file (bolna-campaign never makes one there). "+
		"Nothing was done: move it out of the way (mv %s %s.moved) and run again", e.Path, e.Kind, e.Path, e.Path)
}

// regular returns f if it is a regular file; else it closes it and says what it is.
func regular(f *os.File) (*os.File, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: f.Name(), Kind: kindOf(fi.Mode())}
	}
	return f, nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// CheckFiles reports the first of paths that exists and is not a regular file (a symbolic link
// included): a run refuses to start on a campaign one of whose files is not a file, before it
// touches any.
func CheckFiles(paths ...string) error {
	for _, p := range paths {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case !fi.Mode().IsRegular():
			return &NotRegularError{Path: p, Kind: kindOf(fi.Mode())}
		}
	}
	return nil
}

// MaxLine bounds a line of a campaign file as it is read: longer than any record or results
// row bolna-campaign writes, a line is read no further.
const MaxLine = maxLine

// LongLineError is a line of a campaign file longer than [MaxLine]: no line bolna-campaign
// wrote, and not read whole.
type LongLineError struct {
	Path string
	Line int
}

func (e *LongLineError) Error() string {
	return fmt.Sprintf("%s: line %d is longer than %d MiB, longer than any line bolna-campaign writes: it is not read", e.Path, e.Line, MaxLine>>20)
}

// BoundLines returns a reader of r (the file at path) that fails with a *LongLineError at the
// first line longer than limit bytes, having read no more of it than that.
func BoundLines(r io.Reader, path string, limit int) io.Reader {
	return &boundLines{r: r, path: path, limit: limit, line: 1}
}

type boundLines struct {
	r     io.Reader
	path  string
	limit int
	run   int // bytes of the current line so far
	line  int
}

func (b *boundLines) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for rest, done := p[:n], 0; ; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if b.run += len(rest); b.run > b.limit {
				return done, &LongLineError{Path: b.path, Line: b.line}
			}
			return n, err
		}
		if b.run+i > b.limit {
			return done, &LongLineError{Path: b.path, Line: b.line}
		}
		b.run, b.line = 0, b.line+1
		done += i + 1
		rest = rest[i+1:]
	}
}
