// Command bolna-campaign runs outbound AI phone-call campaigns on the Bolna Voice AI API: a CSV
// of contacts goes in, each row becomes one call, every call is followed to its final status,
// and a results CSV comes out with one row per contact.
//
// Usage:
//
//	bolna-campaign run [flags] CONTACTS.csv     place calls, follow them, write results
//	bolna-campaign report [flags] RESULTS.csv…  summarise one or more results files
//	bolna-campaign sim [flags]                  serve the fake Bolna API on loopback
//	bolna-campaign version
//
// Exit codes: 0 every row has a final outcome; 3 the run ended cleanly but rows are still
// pending (run again later); 1 fatal (bad key, agent not found, results not writable, another
// run holds the lock); 2 usage or unreadable input; 130 interrupted.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/term"
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		// A campaign streams its list: its live heap is a few fixed-size entries per contact.
		// A soft limit makes the collector return garbage before the heap doubles, so memory
		// stays flat on million-row lists; GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(softMemoryLimit)
	}
	prog = commandName(os.Args[0])
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	os.Exit(Main(os.Args[1:], Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Signals:    signals,
		IsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Width: func() int {
			w, _, err := term.GetSize(int(os.Stderr.Fd()))
			if err != nil {
				return 0
			}
			return w
		},
	}))
}

// prog is how the user invoked the tool, for the commands its hints name: after `go run`
// there is no bolna-campaign on the PATH.
var prog = "bolna-campaign"

// commandName is prog for a binary at path: `go run` builds into a go-build folder.
func commandName(path string) string {
	if strings.Contains(filepath.ToSlash(path), "/go-build") {
		return "go run ./cmd/bolna-campaign"
	}
	return "bolna-campaign"
}

// softMemoryLimit is the default soft memory limit (see runtime/debug.SetMemoryLimit).
const softMemoryLimit = 64 << 20

// Env is everything the command takes from its process, so tests can run it in-process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Signals        <-chan os.Signal // SIGINT/SIGTERM; nil never signals
	IsTerminal     bool             // stderr is a terminal: show a live progress bar
	Width          func() int       // the terminal's width in columns; nil or 0 when unknown
	// OpenHistory opens run's history at dsn (from --history, BOLNA_HISTORY or the default);
	// nil: the history itself (openRunHistory). Tests give a stand-in to the runs that name
	// none: pure-Go SQLite under the race detector costs far more CPU than it tests.
	OpenHistory func(ctx context.Context, dsn string) (accountHistory, error)
	// NewClient makes the Bolna client of every command that talks to Bolna (run, check, stop);
	// nil: newClient, Bolna's with the key from BOLNA_API_KEY, or the sandbox's. Tests give
	// one that looks at what a command asks for.
	NewClient clientFactory
}
