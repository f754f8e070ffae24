package store

import (
	"errors"
	"io"
	"os"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
)

// ContactFile is the contact list in the file at path, as the runner reads it (a
// campaign.ContactSource): opened afresh for each pass.
func ContactFile(path string) campaign.ContactSource { return contactFile(path) }

type contactFile string

func (f contactFile) Name() string { return string(f) }

func (f contactFile) Open() (io.ReadCloser, error) {
	r, err := os.Open(string(f))
	if err != nil {
		return nil, &contacts.InputError{File: string(f), Err: unwrapPath(err)}
	}
	return r, nil
}

// LoadSuppression reads the do-not-call list in the file at path (see
// campaign.LoadSuppression); its errors name the file, and the line.
func LoadSuppression(path string, norm contacts.PhoneNormalizer) (*campaign.Suppression, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &contacts.InputError{File: path, Err: unwrapPath(err)}
	}
	defer f.Close()
	return campaign.LoadSuppression(f, path, norm)
}

// unwrapPath is err without the *os.PathError around it, whose path the message names
// already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
