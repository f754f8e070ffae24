package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
)

// Watching a run from outside: the agent before the first call, bolna-campaign stop, signals.

// checkAgent reads every agent of the run (each arm of an experiment) before the first call
// (see checkOneAgent): one that does not exist stops the run before anything is dialled.
func (o *runOptions) checkAgent(ctx context.Context, client *dialer.Client, runner *campaign.Runner, r *webhook.Receiver, out *console) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a check: never worth holding the run up for
	defer cancel()
	for _, id := range o.agents() {
		if err := o.checkOneAgent(ctx, id, client, runner, r, out); err != nil {
			return err
		}
	}
	return nil
}

// checkOneAgent reads the agent id: an agent that does not exist (404) stops the run before
// anything is dialled or recorded; it warns of {variables} of its prompt that the list does
// not supply (Bolna would speak them as written) and, with a receiver, says whether its
// webhook_url points at it (without one, the run polls from the start). It never changes the
// agent.
func (o *runOptions) checkOneAgent(ctx context.Context, id string, client *dialer.Client, runner *campaign.Runner, r *webhook.Receiver, out *console) error {
	agent, err := client.Agent(ctx, id, dialer.SendGate(runner.Stopped())) // nothing leaves after a stop
	switch {
	case dialer.IsNotFound(err):
		return &campaign.FatalError{Err: fmt.Errorf("the agent %s was not found on this account (404): check --agent-id; nothing was dialled", id)}
	case dialer.IsUnauthorized(err):
		return &campaign.FatalError{Err: fmt.Errorf("the API key was refused: %w", err)}
	case err != nil:
		out.logf("could not read the agent to check its prompt's variables (%v)", err)
		return nil
	}
	if header, err := listHeader(o.input, o.load()); err == nil {
		if missing := missingVariables(agent.Variables(), header); len(missing) > 0 {
			if !o.allowMissingVariables {
				return usageErrorf("the agent's prompt uses {%s}, which no column of %s supplies: Bolna would speak it as written on every call. "+
					"Add the column (named exactly as the variable: names are case-sensitive), fix the prompt, or pass --allow-missing-variables; nothing was dialled",
					someNames(missing, "}, {"), o.input)
			}
			out.warnf("warning: the agent's prompt uses {%s}, which no column of %s supplies: Bolna will speak it as written (--allow-missing-variables)",
				someNames(missing, "}, {"), o.input)
		}
	}
	if r == nil {
		return nil
	}
	switch {
	case agent.WebhookURL == "":
		runner.PollOnly()
		out.logf("the agent has no webhook_url, so no push can come: polling from the start (every --poll-interval %s). To receive pushes, set it to https://YOUR-PUBLIC-HOST/webhook/<BOLNA_WEBHOOK_TOKEN> (a tunnel or reverse proxy to %s)",
			o.pollInterval, o.webhookListen)
	default:
		u, perr := url.Parse(agent.WebhookURL)
		if perr == nil && strings.HasSuffix(u.Path, r.Path()) {
			out.logf("the agent's webhook_url (%s://%s/webhook/%s) points at this receiver", u.Scheme, u.Host, webhook.MaskToken(strings.TrimPrefix(r.Path(), "/webhook/")))
			return nil
		}
		out.logf("the agent's webhook_url points at %s, not at this receiver: its pushes will not come here (polling does the work); --webhook-forward can keep that integration fed once the agent points here", hostOf(agent.WebhookURL))
	}
	return nil
}

// watchStopRequests watches for bolna-campaign stop's request beside the journal: the run
// then places no more calls and stops every call that has not rung (Runner.StopQueued). A
// request left from before this run is dropped.
func watchStopRequests(results string, runner *campaign.Runner, out *console) func() {
	c := store.At(results)
	c.ClearStop()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if c.StopRequested() {
					c.ClearStop()
					out.logf("stopping (bolna-campaign stop): no new calls; the calls that have not rung are stopped, the others followed to their end")
					runner.StopQueued()
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// watchSignals: the first SIGINT/SIGTERM stops placing calls and lets the calls in flight
// finish; the second abandons them at once (the next run follows them).
func (o *runOptions) watchSignals(env Env, out *console, runner *campaign.Runner, cancel context.CancelCauseFunc) func() {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		first := true
		for {
			select {
			case <-env.Signals:
				if first {
					first = false
					runner.Stop()
					out.logf("stopping: no new calls; following the calls in flight to the end (interrupt again to quit now)")
					continue
				}
				out.logf("quitting now: calls in flight are recorded and the next run follows them")
				cancel(errInterrupted)
				return
			case <-done:
				return
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}
