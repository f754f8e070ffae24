package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// stopCommand is the emergency brake from another terminal. While a run holds the campaign,
// it asks that run (through a request file beside the journal, which the run watches) to place
// nothing more and to stop every call that has not rung; with no run going, it stops those
// calls itself, from the journal, as the run would (campaign.StopCalls). Calls already ringing
// or talking are followed to their end by the run, or by the next one.
func stopCommand(args []string, env Env) error {
	fs := newCommand("stop", env, helpText{synopsis: "Usage: bolna-campaign stop RESULTS.csv\n\nStops a campaign: the run going on places no more calls and stops every call that has not\nrung. With no run going, the calls the journal has in flight are stopped from here, those\nwhose placement reply was lost found first as a run finds them; it exits 1 when a call may\nstill ring (a search that could not conclude, a stop Bolna did not confirm). It also pauses\nthe campaign in the history: no run of it, cron's included, places a call until 'resume'.\n"})
	dsn := historyFlag(fs)
	if err := parseArgs(fs, args, "stop"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("stop: name one results file, e.g. %s stop contacts.results.csv", prog)
	}
	results := fs.Arg(0)
	return stopCalls(env, results, func() error { return pauseStopped(env, *dsn, results) })
}

// stopCalls stops the campaign's calls that have not rung: through the run going on (then
// pauses it), or from the journal when there is none (paused first, while the lock keeps any
// other run out). A pause that failed is an error (exit 1) after the stop's own, whose code
// comes first.
func stopCalls(env Env, results string, pause func() error) error {
	c := store.At(results)
	lock, err := c.Lock()
	var locked *journal.LockedError
	switch {
	case errors.As(err, &locked):
		if err := c.RequestStop(); err != nil {
			return errors.Join(&fatalError{fmt.Errorf("stop: %w", err)}, pause())
		}
		fmt.Fprintf(env.Stdout, "asked the run holding %s (%s) to stop: it places no more calls and stops every call that has not rung\n", results, locked.Holder)
		return pause()
	case err != nil:
		return errors.Join(&fatalError{fmt.Errorf("stop: %w", err)}, pause())
	}
	defer lock.Release()
	c.ClearStop() // nothing is left to ask
	pauseErr := pause()
	return errors.Join(stopFromJournal(results, env), pauseErr)
}

// stopFromJournal stops, with no run going, every call of the campaign that has not rung: those
// the journal has in flight, and those whose placement reply was lost, looked for as a run
// would (see campaign.StopCalls). It fails when a call may still ring: a search that could not
// conclude, a stop Bolna did not confirm or that could not be sent.
func stopFromJournal(results string, env Env) error {
	st, err := journal.ReadState(store.At(results).StatePath())
	if err != nil {
		return &fatalError{fmt.Errorf("stop: %w", err)}
	}
	owner := st.Standing()
	inFlight := len(st.Live()) + len(st.Torn())
	if inFlight == 0 {
		fmt.Fprintf(env.Stdout, "no run is going and no call of %s is in flight: nothing to stop\n", results)
		return nil
	}
	if owner.API == "sandbox" {
		fmt.Fprintf(env.Stdout, "%d calls of %s are in flight in the sandbox, which lives only while a run does: nothing to stop\n", inFlight, results)
		return nil
	}
	if strings.TrimSpace(env.Getenv("BOLNA_API_KEY")) == "" {
		return usageErrorf("stop: set BOLNA_API_KEY to stop the calls in flight")
	}
	out := newConsole(env, "text")
	conn := connOptions{baseURL: owner.API, agentID: owner.Agent}
	client, end, err := env.client(conn, clientOptions{limits: dialer.DefaultLimits, log: out})
	if err != nil {
		return &usageError{fmt.Errorf("stop: %w", err)}
	}
	defer end()
	state, err := journal.OpenState(store.At(results).StatePath(), journal.Owner{Agent: owner.Agent, API: owner.API})
	if err != nil {
		return &fatalError{fmt.Errorf("stop: %w", err)}
	}
	defer state.Close()
	ctx, cancel := commandContext(env)
	defer cancel()
	rep, err := campaign.StopCalls(ctx, client, state, campaign.Config{AgentID: owner.Agent, Logger: out.log})
	if rep != nil {
		printStopReport(env, rep, err == nil)
	}
	switch {
	case err != nil:
		return &fatalError{fmt.Errorf("stop: %w\nthe calls not settled stay in flight in the journal: the next run (or stop) looks at them again, and dials none of them first", err)}
	case rep.Unsettled():
		return &fatalError{errors.New("stop: some calls may still ring, or could not be looked for (above): they stay in the journal, for the next run to follow or look for; run stop again to try once more")}
	}
	return nil
}

// printStopReport says what a stop with no run going did.
func printStopReport(env Env, rep *campaign.StopReport, searched bool) {
	if rep.Searched > 0 {
		how := "found"
		if !searched {
			how = "before the search failed, found"
		}
		fmt.Fprintf(env.Stdout, "looked for %d %s whose placement reply was lost: %s %d (their execution ids are recorded)\n",
			rep.Searched, human.Plural(rep.Searched, "call", "calls"), how, rep.Found)
	}
	fmt.Fprintf(env.Stdout, "no run is going: stopped %d %s that had not rung; %d had started (the next run follows them)\n",
		rep.Stopped, human.Plural(rep.Stopped, "call", "calls"), rep.Started)
	if rep.Unresolved > 0 {
		fmt.Fprintf(env.Stdout, "%d %s could not be looked for (see above): %s unknown, never taken for not dialled\n",
			rep.Unresolved, human.Plural(rep.Unresolved, "call", "calls"), human.Plural(rep.Unresolved, "its row stays", "their rows stay"))
	}
	if rep.Unconfirmed > 0 {
		fmt.Fprintf(env.Stdout, "%d %s acknowledged by Bolna, not confirmed: Bolna does not report %s stopped, so %s may ring yet\n",
			rep.Unconfirmed, human.Plural(rep.Unconfirmed, "stop", "stops"), human.Plural(rep.Unconfirmed, "the call", "the calls"), human.Plural(rep.Unconfirmed, "it", "they"))
	}
	if rep.Failed > 0 {
		fmt.Fprintf(env.Stdout, "%d %s could not be sent (see above)\n", rep.Failed, human.Plural(rep.Failed, "stop", "stops"))
	}
}

// pauseStopped pauses the stopped campaign in the history (the sandbox's for a sandbox
// campaign), so that the stop lasts: the next run, cron's included, places nothing and says
// who stopped it and when, until 'resume'. A campaign with no journal has never run: there is
// nothing to pause. Its error says why the stop does not last (exit 1).
func pauseStopped(env Env, dsnFlag, results string) error {
	path := store.At(results).StatePath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	st, err := journal.ReadState(path)
	if err == nil && st.Campaign() == "" {
		return nil
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	var hist accountHistory
	if err == nil {
		err = checkRunsHistoryOf(env, dsnFlag, results, st.Owner().API == "sandbox")
	}
	if err == nil {
		hist, err = openAccountHistory(ctx, env, dsnFlag, st.Owner().API == "sandbox")
	}
	if err == nil {
		defer hist.Close()
		err = hist.Pause(ctx, history.Pause{Campaign: st.Campaign(), By: whoAmI(env), Reason: "stopped by '" + prog + " stop'"})
	}
	if err != nil {
		return &fatalError{fmt.Errorf("stop: the campaign could not be paused in the account's history, so its next run would dial again: %w", err)}
	}
	fmt.Fprintf(env.Stdout, "paused campaign %s in the history %s: no run of it places a call until '%s resume %s'\n", st.Campaign(), hist.Where(), prog, results)
	return nil
}
