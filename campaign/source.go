package campaign

import (
	"io"
	"os"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
)

// ContactSource is the contact list a run reads. The runner reads it whole more than once,
// each time from the start (a pass plans, one dials, the last writes the results), so it opens
// it afresh for each; it must read the same rows every time.
type ContactSource interface {
	// Name names the list in messages and in the account's history: its path, for a file.
	Name() string
	// Open starts one pass over the list.
	Open() (io.ReadCloser, error)
}

// ContactFile is the contact list in the file at path.
func ContactFile(path string) ContactSource { return contactFile(path) }

type contactFile string

func (f contactFile) Name() string { return string(f) }

func (f contactFile) Open() (io.ReadCloser, error) {
	r, err := os.Open(string(f))
	if err != nil {
		return nil, &contacts.InputError{File: string(f), Err: unwrapPath(err)}
	}
	return r, nil
}
