package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// stopCommand is the emergency brake from another terminal. While a run holds the campaign,
// it asks that run (through a request file beside the journal, which the run watches) to place
// nothing more and to stop every call that has not rung; with no run going, it stops those
// calls itself, from the journal. Calls already ringing or talking are followed to their end by
// the run, or by the next one.
func stopCommand(args []string, env Env) int {
	fs := newCommand("stop", env, helpText{synopsis: "Usage: bolna-campaign stop RESULTS.csv\n\nStops a campaign: the run going on places no more calls and stops every call that has not\nrung (with no run going, the calls the journal has in flight are stopped from here).\n"})
	if code, ok := parseArgs(fs, args, "stop"); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(env.Stderr, "bolna-campaign: stop: name one results file, e.g. %s stop contacts.results.csv\n", prog)
		return exitUsage
	}
	results := fs.Arg(0)
	lock, err := journal.AcquireLock(journal.LockPath(results))
	var locked *journal.LockedError
	switch {
	case errors.As(err, &locked):
		if err := journal.RequestStop(results); err != nil {
			fmt.Fprintf(env.Stderr, "bolna-campaign: stop: %v\n", err)
			return exitFatal
		}
		fmt.Fprintf(env.Stdout, "asked the run holding %s (%s) to stop: it places no more calls and stops every call that has not rung\n", results, locked.Holder)
		return exitOK
	case err != nil:
		fmt.Fprintf(env.Stderr, "bolna-campaign: stop: %v\n", err)
		return exitFatal
	}
	defer lock.Release()
	os.Remove(journal.StopPath(results)) // nothing is left to ask
	return stopFromJournal(results, env)
}

// stopFromJournal stops, with no run going, every call the journal has in flight that has not
// rung.
func stopFromJournal(results string, env Env) int {
	st, err := journal.ReadState(journal.StatePath(results))
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: stop: %v\n", err)
		return exitFatal
	}
	owner := st.Standing()
	var live []journal.LiveCall
	for _, lc := range st.Live() {
		if lc.ExecutionID != "" {
			live = append(live, lc)
		}
	}
	if len(live) == 0 {
		fmt.Fprintf(env.Stdout, "no run is going and no call of %s is in flight: nothing to stop\n", results)
		return exitOK
	}
	if owner.API == "sandbox" {
		fmt.Fprintf(env.Stdout, "%d calls of %s are in flight in the sandbox, which lives only while a run does: nothing to stop\n", len(live), results)
		return exitOK
	}
	key := strings.TrimSpace(env.Getenv("BOLNA_API_KEY"))
	if key == "" {
		fmt.Fprintln(env.Stderr, "bolna-campaign: stop: set BOLNA_API_KEY to stop the calls in flight")
		return exitUsage
	}
	client, err := dialer.New(key, dialer.WithBaseURL(owner.API), dialer.WithUserAgent("bolna-campaign/"+version()))
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: stop: %v\n", err)
		return exitUsage
	}
	journal, err := journal.OpenState(journal.StatePath(results), journal.Owner{Agent: owner.Agent, API: owner.API})
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: stop: %v\n", err)
		return exitFatal
	}
	defer journal.Close()
	stopped, started := 0, 0
	for _, lc := range live {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := client.StopCall(ctx, lc.ExecutionID)
		cancel()
		var apiErr *dialer.APIError
		switch {
		case err == nil:
			if err := journal.GiveBack(lc.Key, lc.Attempt, "stopped before it rang (bolna-campaign stop); the attempt is given back", time.Now()); err != nil {
				fmt.Fprintf(env.Stderr, "bolna-campaign: stop: %v\n", err)
				return exitFatal
			}
			stopped++
		case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !apiErr.Unauthorized():
			started++ // it has rung: the next run follows it
		default:
			fmt.Fprintf(env.Stderr, "bolna-campaign: stop: call %s: %v\n", lc.ExecutionID, err)
			return exitFatal
		}
	}
	fmt.Fprintf(env.Stdout, "no run is going: stopped %d %s that had not rung; %d had started (the next run follows them)\n",
		stopped, plural(stopped, "call", "calls"), started)
	return exitOK
}
