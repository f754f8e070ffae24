package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// Exit codes (see the package comment and the README).
const (
	exitOK          = 0
	exitFatal       = 1
	exitUsage       = 2
	exitUnfinished  = 3
	exitInterrupted = 130
)

const usage = `bolna-campaign runs outbound AI phone-call campaigns on the Bolna Voice AI API.

Usage:
  bolna-campaign run [flags] CONTACTS.csv     place calls, follow them, write results
  bolna-campaign check [flags] [CONTACTS.csv] key, wallet, concurrency, agent, prompt variables, bad rows
  bolna-campaign status RESULTS.csv           where a campaign stands (read-only, also during a run)
  bolna-campaign stop RESULTS.csv             the brake: no more calls, stop those not rung, pause it
  bolna-campaign report [flags] RESULTS.csv…  summarise one or more results files
  bolna-campaign report --history [--by KEY]  the account's calls from its history, every campaign's
  bolna-campaign pause RESULTS.csv | --all    a lasting pause, kept in the history (resume: the same)
  bolna-campaign dnc add|remove|list|import … the account's do-not-call list (in the history)
  bolna-campaign history PHONE                every call to a person across campaigns (history import: load results)
  bolna-campaign sim [flags]                  serve the fake Bolna API on loopback
  bolna-campaign version

Run 'bolna-campaign help run' for the flags of run, with examples.

Exit codes: 0 every row has a final outcome; 3 rows are still pending (run again later);
1 fatal (bad key, agent not found, results not writable, lock held); 2 usage or unreadable
input; 130 interrupted. status: 0 done, 3 work left, 4 halted (the wallet ran out).

Every command takes --log-format text|json: json writes every message on stderr (errors,
usage mistakes, the dry run's summary) as one JSON object a line.
`

// Main runs the command with args (without the program name) and returns the exit code.
func Main(args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitUsage
	}
	env, args, flush, err := withLogFormat(env, args) // --log-format, every command's
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return exitUsage
	}
	defer flush()
	switch args[0] {
	case "run":
		return runCommand(args[1:], env)
	case "report":
		return reportCommand(args[1:], env)
	case "status":
		return statusCommand(args[1:], env)
	case "check":
		return checkCommand(args[1:], env)
	case "stop":
		return stopCommand(args[1:], env)
	case "sim":
		return simCommand(args[1:], env)
	case "history":
		return historyCommand(args[1:], env)
	case "dnc":
		return dncCommand(args[1:], env)
	case "pause":
		return pauseCommand(args[1:], env)
	case "resume":
		return resumeCommand(args[1:], env)
	case "version", "-version", "--version":
		fmt.Fprintln(env.Stdout, versionLine(debug.ReadBuildInfo()))
		return exitOK
	case "help", "-h", "-help", "--help":
		switch {
		case len(args) > 1 && slices.Contains([]string{"run", "check", "report", "status", "stop", "sim", "history", "dnc", "pause", "resume"}, args[1]):
			env.Stderr = env.Stdout // help asked for goes to stdout
			return Main([]string{args[1], "-h"}, env)
		case len(args) > 1:
			fmt.Fprintf(env.Stderr, "bolna-campaign help: no command %q%s; the commands are run, check, status, stop, report, sim, pause, resume, dnc and history\n", args[1], didYouMean(args[1]))
			return exitUsage
		}
		fmt.Fprint(env.Stdout, usage)
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "bolna-campaign: unknown command %q%s\nRun '%s help' for the commands.\n", args[0], didYouMean(args[0]), prog)
	return exitUsage
}

// didYouMean suggests the command closest to typed, if one is close.
func didYouMean(typed string) string {
	if near := nearest(typed, commands); near != "" {
		return fmt.Sprintf("; did you mean %s?", near)
	}
	return ""
}

// usageError is a problem with the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitCode maps the outcome of a run to the process's exit code.
func exitCode(err error, summary *campaign.Summary) int {
	var (
		usageErr *usageError
		inputErr *contacts.InputError
		keyErr   *journal.KeyingError
		verErr   *journal.VersionError
	)
	switch {
	case err == nil && summary != nil && (summary.Unfinished() > 0 || summary.ByStatus[journal.StatusUnknown] > 0):
		// unknown rows need a decision (--retry unknown, or the call found by hand): the
		// campaign is not done
		return exitUnfinished
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usageErr), errors.As(err, &inputErr), errors.As(err, &keyErr), errors.As(err, &verErr):
		return exitUsage
	case errors.Is(err, campaign.ErrStopped), errors.Is(err, context.Canceled), errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	return exitFatal
}

var errInterrupted = errors.New("interrupted")
