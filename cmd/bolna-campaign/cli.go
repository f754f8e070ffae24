package main

import (
	"fmt"
	"runtime/debug"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/human"
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

// Main runs the command with args (without the program name) and returns its exit code: the
// one place where what ended a command becomes a code and a message (see exit).
func Main(args []string, env Env) int {
	env, rest, flush, err := withLogFormat(env, args) // --log-format, every command's
	defer flush()
	if err == nil {
		err = dispatch(rest, env)
	}
	return exit(env, err)
}

// commandFuncs are the commands: each returns nil when it did all it was asked, or an error
// that says why not and carries the exit code (see exit.go).
var commandFuncs = map[string]func(args []string, env Env) error{
	"run":     runCommand,
	"report":  reportCommand,
	"status":  statusCommand,
	"check":   checkCommand,
	"stop":    stopCommand,
	"sim":     simCommand,
	"history": historyCommand,
	"dnc":     dncCommand,
	"pause":   pauseCommand,
	"resume":  resumeCommand,
}

// dispatch runs the command args name.
func dispatch(args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return said(usageErrorf("no command"))
	}
	if command, ok := commandFuncs[args[0]]; ok {
		return command(args[1:], env)
	}
	switch args[0] {
	case "version", "-version", "--version":
		fmt.Fprintln(env.Stdout, versionLine(debug.ReadBuildInfo()))
		return nil
	case "help", "-h", "-help", "--help":
		return helpCommand(args[1:], env)
	}
	return usageErrorf("unknown command %q%s\nRun '%s help' for the commands.", args[0], didYouMean(args[0]), prog)
}

// helpCommand prints the usage, or a command's help (on stdout: it was asked for).
func helpCommand(args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	if _, ok := commandFuncs[args[0]]; !ok {
		return &commandError{"help", usageErrorf("no command %q%s; the commands are run, check, status, stop, report, sim, pause, resume, dnc and history", args[0], didYouMean(args[0]))}
	}
	env.Stderr = env.Stdout
	return dispatch([]string{args[0], "-h"}, env)
}

// didYouMean suggests the command closest to typed, if one is close.
func didYouMean(typed string) string {
	if near := nearest(typed, commands); near != "" {
		return fmt.Sprintf("; did you mean %s?", near)
	}
	return ""
}

// runOutcome is how a run ended: its error, else work left when rows still have some (unknown
// rows need a decision, --retry unknown or the call found by hand: the campaign is not done).
func runOutcome(summary *campaign.Summary, err error) error {
	if err == nil && summary != nil && (summary.Unfinished() > 0 || summary.ByStatus[journal.StatusUnknown] > 0) {
		return said(&workLeftError{fmt.Sprintf("%d %s work left", summary.Unfinished(), human.Plural(summary.Unfinished(), "row has", "rows have"))})
	}
	return err
}
