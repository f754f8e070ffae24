package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// A command returns nil when it did all it was asked, or an error saying why not; it never
// prints its own final error. Main turns the error into the exit code and the message on
// stderr, here and nowhere else (exit). The code is carried by the error's type: a usageError
// (2), a workLeftError (3), a haltedError (4), a fatalError (1); the outermost of them in the
// chain decides. Errors of other packages map as exitCode says (unreadable input 2, an
// interruption 130, anything else 1). An error wrapped by said is one the command has written
// already, as its verdict (status's "work left", check's "not ready", run's summary): only its
// code is left to give.

// Exit codes (see the package comment and the README).
const (
	exitOK          = 0
	exitFatal       = 1
	exitUsage       = 2
	exitUnfinished  = 3
	exitHalted      = 4 // status: work is left, but no run will do it as things are
	exitInterrupted = 130
)

// coded is an error that carries its exit code.
type coded interface {
	error
	exitCode() int
}

// usageError is a problem with the command line, or input that cannot be used: nothing was
// done (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
func (e *usageError) exitCode() int { return exitUsage }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// workLeftError is a command that did its work when rows still have some, for a later run
// (exit 3): run's summary, or status's verdict, says which.
type workLeftError struct{ reason string }

func (e *workLeftError) Error() string { return e.reason }
func (e *workLeftError) exitCode() int { return exitUnfinished }

// haltedError is status's verdict on a campaign with work left that no run will do as things
// are: the wallet ran out, or the campaign is paused (exit 4).
type haltedError struct{ reason string }

func (e *haltedError) Error() string { return e.reason }
func (e *haltedError) exitCode() int { return exitHalted }

// fatalError is exit 1 whatever it wraps: a stop interrupted by a signal still leaves calls
// that may ring, not an interruption to shrug off.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }
func (e *fatalError) exitCode() int { return exitFatal }

// saidError is an error its command has written already: Main gives its code, and no message.
type saidError struct{ err error }

func (e *saidError) Error() string { return e.err.Error() }
func (e *saidError) Unwrap() error { return e.err }

// said marks err as written by its command.
func said(err error) error { return &saidError{err} }

// commandError is an error of a command that names itself as its flag mistakes do
// ("bolna-campaign dnc add: ..."), rather than after the tool's name ("bolna-campaign: ...").
type commandError struct {
	command string
	err     error
}

func (e *commandError) Error() string { return e.command + ": " + e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

var errInterrupted = errors.New("interrupted")

// exitCode is the process's exit code for a command's error.
func exitCode(err error) int {
	var (
		code     coded
		inputErr *contacts.InputError
		keyErr   *journal.KeyingError
		verErr   *journal.VersionError
		phoneErr *history.PhoneError
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &code):
		return code.exitCode()
	case errors.As(err, &inputErr), errors.As(err, &keyErr), errors.As(err, &verErr), errors.As(err, &phoneErr):
		return exitUsage
	case errors.Is(err, campaign.ErrStopped), errors.Is(err, context.Canceled), errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	return exitFatal
}

// exit writes what ended a command on env's stderr, unless it is said already, and returns the
// exit code: each error joined with others is a message of its own. Under --log-format json
// stderr is a jsonLines, so every message becomes an ERROR record.
func exit(env Env, err error) int {
	var each []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		each = joined.Unwrap()
	} else if err != nil {
		each = []error{err}
	}
	for _, e := range each {
		var saidErr *saidError
		if e == nil || errors.Is(e, flag.ErrHelp) || errors.As(e, &saidErr) {
			continue
		}
		fmt.Fprint(env.Stderr, errorText(e))
	}
	return exitCode(err)
}

// errorText is the message of an error as stderr shows it: after the tool's name, or the
// command's, each line made printable (server text may be quoted in it).
func errorText(err error) string {
	prefix := "bolna-campaign: "
	if _, ok := err.(*commandError); ok {
		prefix = "bolna-campaign "
	}
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = dialer.Printable(l)
	}
	return prefix + strings.Join(lines, "\n") + "\n"
}
