package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// pauseCommand pauses a campaign (by its results file), or every campaign of the account
// (--all), in the history: the pause lasts until resume, for every run, cron's included.
func pauseCommand(args []string, env Env) error {
	return pauseOrResume("pause", args, env)
}

// resumeCommand lifts a pause made by pauseCommand.
func resumeCommand(args []string, env Env) error {
	return pauseOrResume("resume", args, env)
}

func pauseOrResume(command string, args []string, env Env) error {
	synopsis := "Usage: bolna-campaign pause [flags] RESULTS.csv | --all\n\nA lasting pause, kept in the history: no run of the campaign (or, with --all, of any campaign\nof the account) places a call until 'resume'.\n"
	if command == "resume" {
		synopsis = "Usage: bolna-campaign resume [flags] RESULTS.csv | --all\n\nLifts a pause made by 'pause' (a campaign's resume leaves a pause of --all in place).\n"
	}
	fs := newCommand(command, env, helpText{synopsis: synopsis})
	dsn := historyFlag(fs)
	all := fs.Bool("all", false, "every campaign of the account")
	var reason *string
	if command == "pause" {
		reason = fs.String("reason", "", "why (shown to every run it stops)")
	}
	if err := parseArgs(fs, args, command); err != nil {
		return err
	}
	if *all == (fs.NArg() == 1) || fs.NArg() > 1 {
		return failHistory(command, usageErrorf("name one results file, or --all, e.g. %s %s contacts.results.csv", prog, command))
	}
	campaign, what, sandbox := history.All, "every campaign of the account", false
	if !*all {
		id, inSandbox, err := campaignOf(fs.Arg(0))
		if err != nil {
			return failHistory(command, err)
		}
		campaign, what, sandbox = id, fmt.Sprintf("campaign %s (%s)", id, fs.Arg(0)), inSandbox
		if err := checkRunsHistoryOf(env, *dsn, fs.Arg(0), sandbox); err != nil {
			return failHistory(command, err)
		}
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	store, err := openHistory(ctx, env, *dsn, sandbox, historyWrite) // a sandbox campaign's runs read the sandbox's
	if err != nil {
		return failHistory(command, err)
	}
	defer store.Close()
	if command == "pause" {
		p := history.Pause{Campaign: campaign, By: whoAmI(env), Reason: *reason}
		if err := store.Pause(ctx, p); err != nil {
			return failHistory(command, err)
		}
		fmt.Fprintf(env.Stdout, "paused %s in the history %s; '%s resume %s' lifts it\n", what, store.Where(), prog, resumeArg(fs.Args()))
		return nil
	}
	lifted, err := store.Resume(ctx, campaign)
	if err != nil {
		return failHistory(command, err)
	}
	if !lifted {
		fmt.Fprintf(env.Stdout, "%s was not paused\n", what)
	} else {
		fmt.Fprintf(env.Stdout, "resumed %s\n", what)
	}
	if p, err := store.Paused(ctx, campaign); err == nil && p != nil {
		fmt.Fprintf(env.Stdout, "still paused: %s\n", dialer.Printable(p.String()))
	}
	return nil
}

func resumeArg(args []string) string {
	if len(args) == 0 {
		return "--all"
	}
	return args[0]
}

// campaignOf is the campaign id of a results file, from its journal, and whether it runs in
// the sandbox (whose runs consult the sandbox's history: its pause must be kept there).
func campaignOf(results string) (id string, sandbox bool, err error) {
	path := store.At(results).StatePath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", false, usageErrorf("%s: no journal (%s): the campaign has not run, so there is nothing to pause; --all pauses every campaign", results, path)
	}
	st, err := journal.ReadState(path)
	if err != nil {
		return "", false, err
	}
	if st.Campaign() == "" {
		return "", false, usageErrorf("%s: the journal names no campaign yet", results)
	}
	return st.Campaign(), st.Owner().API == "sandbox", nil
}

// whoAmI names who pauses: user@host.
func whoAmI(env Env) string {
	name := env.Getenv("USER")
	if u, err := user.Current(); name == "" && err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s", name, host)
}
