package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// statusCommand says where a campaign stands, from its journal and its results file, without
// changing anything: it takes no lock, so it works while a cron run holds it.
func statusCommand(args []string, env Env) error {
	fs := newCommand("status", env, helpText{synopsis: "Usage: bolna-campaign status [flags] RESULTS.csv\n\n" +
		"Where a campaign stands, from its journal (read-only; also while a run holds it). Exit 0: every\n" +
		"row has a final outcome; 3: work is left for a later run; 4: halted (the wallet ran out, or paused).\n"})
	jsonOut := fs.Bool("json", false, "print it as one JSON object on stdout")
	goalFlag := fs.String("goal", "", "an experiment's goal `KEY=VALUE` (e.g. confirmed=yes): its arms are compared on it (default: the answer rate)")
	dsn := historyFlag(fs)
	if err := parseArgs(fs, args, "status"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("status: name one results file, e.g. %s status contacts.results.csv", prog)
	}
	path := fs.Arg(0)
	c := store.At(path)
	statePath := c.StatePath()
	if _, err := os.Stat(statePath); errors.Is(err, os.ErrNotExist) {
		if _, rerr := os.Stat(path); rerr != nil {
			return usageErrorf("status: %s: no such results file, and no journal %s", path, statePath)
		}
	}
	st, err := journal.ReadState(statePath)
	if err != nil {
		return &fatalError{fmt.Errorf("status: %w", err)}
	}
	standing := st.Standing()
	var rep *results.Report
	var written time.Time
	if fi, err := os.Stat(path); err == nil {
		written = fi.ModTime()
		if rep, err = results.ReadReport(path); err != nil {
			return &usageError{fmt.Errorf("status: %w", err)}
		}
	}
	holder := c.Holder()
	code, verdict := standingCode(standing, rep, holder != "")
	paused := ""
	if standing.Campaign != "" {
		paused = pauseOf(env, *dsn, standing.Campaign, standing.API == "sandbox")
		var mismatch *HistoryMismatchError
		if err := checkRunsHistory(path, dsnOf(env, *dsn, standing.API == "sandbox")); errors.As(err, &mismatch) {
			fmt.Fprintf(env.Stderr, "bolna-campaign: status: the runs of %s consult the account's history %s, not %s, which this status read: a pause kept there is not shown (--history names it)\n",
				path, mismatch.Runs, mismatch.This)
		}
	}
	if paused != "" && code == exitUnfinished {
		code, verdict = exitHalted, fmt.Sprintf("halted: work is left, but %s; to go on: %s resume %s", paused, prog, path)
	}
	experiment, err := readExperiment(st, *goalFlag)
	if err != nil {
		return err
	}
	if *jsonOut {
		out := struct {
			Journal      journal.Standing       `json:"journal"`
			Experiment   *campaign.Experiment   `json:"experiment,omitempty"`
			Results      map[journal.Status]int `json:"results_by_status,omitempty"`
			ResultsAt    *time.Time             `json:"results_written_at,omitempty"`
			RunningSince string                 `json:"running,omitempty"`
			Paused       string                 `json:"paused,omitempty"`
			Verdict      string                 `json:"verdict"`
			Exit         int                    `json:"exit"`
		}{Journal: standing, Experiment: experiment, RunningSince: holder, Paused: paused, Verdict: verdict, Exit: code}
		if rep != nil {
			out.Results, out.ResultsAt = rep.ByStatus, &written
		}
		json.NewEncoder(env.Stdout).Encode(out)
		return standingError(code, verdict)
	}
	printStanding(env.Stdout, standing, rep, written, holder)
	for _, line := range verdictLines(experiment, *goalFlag) {
		fmt.Fprintln(env.Stdout, line)
	}
	fmt.Fprintf(env.Stdout, "%s (exit %d)\n", verdict, code)
	return standingError(code, verdict)
}

// readExperiment is the campaign's experiment as its journal has it (nil for one agent).
func readExperiment(st *journal.State, goalText string) (*campaign.Experiment, error) {
	var goal func(journal.Outcome) bool
	if goalText != "" {
		g, err := results.ParseGoal(goalText)
		if err != nil {
			return nil, usageErrorf("status: %v", err)
		}
		goal = g.Met
	}
	e, err := campaign.ReadExperiment(st, goal)
	if err != nil {
		return nil, &fatalError{fmt.Errorf("status: %w", err)}
	}
	return e, nil
}

// standingError is status's verdict, written already, as the error that carries its code.
func standingError(code int, verdict string) error {
	switch code {
	case exitOK:
		return nil
	case exitHalted:
		return said(&haltedError{verdict})
	}
	return said(&workLeftError{verdict})
}

// printStanding writes where the campaign stands, as text.
func printStanding(w io.Writer, standing journal.Standing, rep *results.Report, written time.Time, holder string) {
	if holder != "" {
		fmt.Fprintf(w, "a run is going on now (%s)\n", holder)
	} else {
		fmt.Fprintln(w, "no run is going on now")
	}
	if standing.Campaign != "" {
		fmt.Fprintf(w, "campaign %s, agent %s on %s\n", standing.Campaign, standing.Agent, standing.API)
	}
	fmt.Fprintf(w, "journal: %d %s dialled (%d %s), %d in flight, spent %.2f cents\n", standing.Dialled, human.Plural(standing.Dialled, "contact", "contacts"),
		standing.Attempts, human.Plural(standing.Attempts, "call", "calls"), standing.InFlight, standing.Spent)
	if len(standing.ByStatus) > 0 {
		fmt.Fprintf(w, "  latest outcomes: %s\n", strings.TrimSuffix(strings.TrimPrefix(counts(standing.ByStatus), " ("), ")"))
	}
	if rep != nil {
		fmt.Fprintf(w, "results (written %s): %d %s%s\n", written.UTC().Format(time.RFC3339), rep.Rows, human.Plural(rep.Rows, "row", "rows"), counts(rep.ByStatus))
	}
	if a := standing.Account; a != nil {
		fmt.Fprintf(w, "account (as of %s): wallet %s, concurrency %d of %d in use\n", a.At.Format(time.RFC3339), human.Dollars(a.Wallet), a.InUse, a.Concurrency)
	}
}

// standingCode is status's verdict and exit code: 0 when every row has a final outcome; 3 when
// work is left for a later run (rows pending, in flight, timed out or unknown, as run's exit 3;
// a run going on now; no results file written yet); 4 when work is left but the campaign is
// halted: a call ended balance-low, so every run stops placing the same way until the wallet
// is topped up.
func standingCode(standing journal.Standing, rep *results.Report, running bool) (int, string) {
	left := standing.InFlight
	if rep != nil {
		for _, s := range []journal.Status{journal.StatusPending, journal.StatusInFlight, journal.StatusTimeout, journal.StatusUnknown} {
			left += rep.ByStatus[s]
		}
	}
	broke := standing.ByStatus[journal.StatusBalanceLow] > 0 || rep != nil && rep.ByStatus[journal.StatusBalanceLow] > 0
	switch {
	case running:
		return exitUnfinished, "work left: a run is going on now"
	case rep == nil:
		return exitUnfinished, "work left: no results file written yet (the run that made the journal did not finish): run again"
	case left > 0 && broke:
		return exitHalted, fmt.Sprintf("halted: %d %s work left, but a call ended balance-low (the wallet ran out): top it up, then run again", left, human.Plural(left, "row has", "rows have"))
	case left > 0:
		return exitUnfinished, fmt.Sprintf("work left: %d %s pending, in flight, timed out or unknown: run again later", left, human.Plural(left, "row is", "rows are"))
	}
	return exitOK, "done: every row has a final outcome"
}
