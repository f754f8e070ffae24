package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// simCommand serves the fake Bolna API on loopback until interrupted, for trying the tool by
// hand (BOLNA_BASE_URL=http://127.0.0.1:8787) and for other tools' tests.
func simCommand(args []string, env Env) error {
	fs := newCommand("sim", env, helpText{synopsis: "Usage: bolna-campaign sim [flags]\n\nServes a fake Bolna API on loopback.\n"})
	var (
		addr        = fs.String("addr", "127.0.0.1:8787", "loopback address to listen on")
		key         = fs.String("key", bolnasim.DefaultAPIKey, "the API key the fake accepts")
		agent       = fs.String("agent-id", bolnasim.DefaultAgentID, "the agent the fake knows")
		concurrency = fs.Int("concurrency", 10, "the account's concurrency.max")
		scale       = fs.Float64("time-scale", 0.05, "multiplies every call timing (1 is real time)")
		seed        = fs.Uint64("seed", 1, "seed of the random timings")
		limits      = fs.Bool("limits", true, "enforce Bolna's request limits (500/min on /call and the list, 1000/min elsewhere)")
		placeLost   = fs.Float64("lose-replies", 0, "share of POST /call whose reply is lost after the call is created")
		place429    = fs.Float64("place-429", 0, "share of POST /call refused with 429")
		read503     = fs.Float64("read-503", 0, "share of GETs answered 503")
		authDocs    = fs.Bool("auth-docs", false, "answer a bad key with the documented 401 instead of the observed 403")
		wholeItems  = fs.Bool("whole-list-items", false, "serve whole executions in the list (Bolna's OpenAPI) instead of trimmed items (its newer docs)")
		hookURL     = fs.String("webhook-url", "", "push every status change of a call here, as Bolna does to an agent's webhook_url")
		hookDrop    = fs.Float64("webhook-drop", 0, "share of pushes never sent")
		hookDup     = fs.Float64("webhook-duplicate", 0, "share of pushes sent twice")
		hookReorder = fs.Float64("webhook-reorder", 0, "share of pushes held back up to a second, so later ones overtake them")
		hookDelay   = fs.Duration("webhook-delay", 0, "every push waits up to this long")
		mixFlags    stringList
	)
	fs.Var(&mixFlags, "agent-mix", "`AGENT_ID=SHARE`: the agent confirms this share of its conversations (extracted confirmed=yes), e.g. 30%; repeat for each agent (served too). Default: --agent-id two in three, the built-in second agent "+bolnasim.SecondAgentID+" 30%")
	if err := parseArgs(fs, args, "sim"); err != nil {
		return err
	}
	if !dialer.IsLoopbackListen(*addr) {
		return usageErrorf("sim: --addr %q must be a loopback address", *addr)
	}
	agents, mixes, err := simAgents(*agent, mixFlags)
	if err != nil {
		return &usageError{err}
	}
	opts := bolnasim.Options{
		APIKey: *key, AgentIDs: agents, Mixes: mixes, Concurrency: *concurrency, TimeScale: *scale, Seed: *seed,
		Style:  bolnasim.Style{AuthDocs: *authDocs, FullListItems: *wholeItems},
		Faults: bolnasim.Faults{PlaceLost: *placeLost, PlaceTooMany: *place429, ReadUnavailable: *read503},
	}
	if *limits {
		opts.Limits = bolnasim.BolnaLimits
	}
	if *hookURL != "" {
		opts.Webhook = &bolnasim.Webhook{URL: *hookURL, Drop: *hookDrop, Duplicate: *hookDup, Reorder: *hookReorder,
			Delay: bolnasim.Range{Max: *hookDelay}}
	}
	api := bolnasim.NewAPI(opts)
	defer api.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &fatalError{fmt.Errorf("sim: %w", err)}
	}
	api.SetBaseURL("http://" + ln.Addr().String())
	out := newConsole(env, "text")
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	out.logf("fake Bolna API on http://%s (key %s, agents %s); interrupt to stop", ln.Addr(), *key, describeAgents(agents, mixes))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-env.Signals:
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return &fatalError{fmt.Errorf("sim: %w", err)}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	logSimStats(out, api.Stats(), *concurrency)
	return nil
}

// logSimStats logs what the fake served, at its end.
func logSimStats(out *console, st bolnasim.Stats, concurrency int) {
	out.logf("sim: %d requests, %d calls placed, at most %d active at once", st.Requests, st.Placed, st.MaxActive)
	out.logf("sim: the most in a minute: %d POST /call, %d list and agent reads, %d other; %d refused with 429",
		st.PeakPerMinute["call"], st.PeakPerMinute["list"], st.PeakPerMinute["other"], st.TooMany)
	if st.Placed > 0 {
		out.logf("sim: utilisation %.3f (the makespan the concurrency allows over the makespan), slot share %.3f, %.2f requests per call",
			st.BoundUtilisation(), st.Utilisation(concurrency), float64(st.Requests)/float64(st.Placed))
	}
}
