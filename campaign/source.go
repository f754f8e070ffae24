package campaign

import "io"

// ContactSource is the contact list a run reads. The runner reads it whole more than once,
// each time from the start (a pass plans, one dials, the last writes the results), so it opens
// it afresh for each; it must read the same rows every time.
type ContactSource interface {
	// Name names the list in messages and in the account's history: its path, for a file.
	Name() string
	// Open starts one pass over the list.
	Open() (io.ReadCloser, error)
}
