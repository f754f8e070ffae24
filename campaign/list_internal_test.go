package campaign

import (
	"io"
	"os"
)

// listFile is the contact list in the file at path, for the package's own tests: the command's
// (store.ContactFile) is in package store, which imports this one.
type listFile string

func (f listFile) Name() string { return string(f) }

func (f listFile) Open() (io.ReadCloser, error) { return os.Open(string(f)) }
