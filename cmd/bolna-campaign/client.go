package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// The one place a command gets its Bolna client: Bolna's, with the key from the environment,
// or the sandbox's fake account served in process. Both are *dialer.Client, so what a command
// asks of one (the runner's Dialer, the agent, the requests it counted) it asks of the other.
// Every command that talks to Bolna (run, check, stop) asks env.client, which makes it with
// Env.NewClient, a clientFactory: newClient unless a test gives its own.

// clientFactory makes a command's client for the calls of conn (an agent of a Bolna account,
// or the sandbox), as opts say, and the function that ends it.
type clientFactory func(env Env, conn connOptions, opts clientOptions) (client *dialer.Client, end func(), err error)

// client is the command's client, from env.NewClient (newClient when nil).
func (env Env) client(conn connOptions, opts clientOptions) (*dialer.Client, func(), error) {
	factory := env.NewClient
	if factory == nil {
		factory = newClient
	}
	return factory(env, conn, opts)
}

// clientOptions say how a command's client is made.
type clientOptions struct {
	limits dialer.Limits                             // the share of Bolna's request limits to keep to (none for the sandbox)
	pushTo string                                    // the sandbox pushes every status change here ("" for none)
	resume string                                    // the sandbox resumes the calls a stopped sandbox run saved here, and saves its own
	log    *console                                  // retries, and what the sandbox does; nil says nothing
	wrap   func(http.RoundTripper) http.RoundTripper // every request goes through it (the live status counts them); nil for none
}

// newClient is the clientFactory of the tool: Bolna's client at c's base URL, with the key
// from BOLNA_API_KEY and every request held to opts.limits, or the sandbox's, and the function
// that ends it (the sandbox saves its calls in flight then).
func newClient(env Env, c connOptions, opts clientOptions) (*dialer.Client, func(), error) {
	var logOpts []dialer.Option
	if opts.log != nil {
		logOpts = append(logOpts, dialer.WithLogger(opts.log.log))
	}
	if opts.wrap != nil {
		logOpts = append(logOpts, dialer.WithTransportWrap(opts.wrap))
	}
	if !c.sandbox {
		key := strings.TrimSpace(env.Getenv("BOLNA_API_KEY"))
		if key == "" {
			return nil, nil, usageErrorf("set BOLNA_API_KEY to your Bolna API key (or try --sandbox)")
		}
		if err := c.checkBasePath(opts.log); err != nil {
			return nil, nil, err
		}
		// The runner paces its requests to the share; the client holds every request to it,
		// retries included.
		client, err := dialer.New(key, append(logOpts, dialer.WithBaseURL(c.baseURL), dialer.WithUserAgent("bolna-campaign/"+version()),
			dialer.WithLimits(opts.limits))...)
		if err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		return client, func() {}, nil
	}
	simOpts, err := sandboxOptions(c.agents(), env.Getenv)
	if err != nil {
		return nil, nil, err
	}
	if opts.pushTo != "" { // the fake pushes every status change to the receiver, as Bolna would
		simOpts.Webhook = &bolnasim.Webhook{URL: opts.pushTo}
	}
	api := bolnasim.NewAPI(simOpts)
	if opts.resume != "" {
		if err := resumeSandbox(api, opts.resume); err != nil {
			api.Close()
			return nil, nil, err
		}
	}
	if opts.log != nil {
		opts.log.logf("sandbox: a fake Bolna account served in process (calls run about 30x faster than real ones)")
	}
	end := func() {
		if opts.resume != "" {
			if err := saveSandbox(api, opts.resume); err != nil && opts.log != nil {
				opts.log.logf("sandbox: saving its calls in flight: %v", err)
			}
		}
		api.Close()
	}
	return api.InProcessClient(logOpts...), end, nil
}

// checkBasePath gives the hint a base URL with a path needs: Bolna's API has none (the tool adds
// /call, /v2/agent/ID and the rest itself), so --base-url https://api.bolna.ai/v2 sends every
// request where nothing answers. A path on Bolna's own host is refused (exit 2) before any
// request; on another host (a proxy, a stand-in under a prefix) it is said, through log.
func (c *connOptions) checkBasePath(log *console) error {
	u, err := url.Parse(strings.TrimSpace(c.baseURL))
	if err != nil {
		return nil // dialer.CheckBaseURL says what is wrong with it
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path == "" {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "bolna.ai" || strings.HasSuffix(host, ".bolna.ai") {
		return usageErrorf("--base-url %s: the base URL has no path: Bolna's is %s (the tool adds /call, /v2/agent/… itself)", u.Redacted(), dialer.DefaultBaseURL)
	}
	if log != nil {
		log.log.Warn(fmt.Sprintf("--base-url %s has a path (%s): every request goes under it (%s/call, …); Bolna's own base URL has none (%s)",
			u.Redacted(), path, strings.TrimRight(u.Redacted(), "/"), dialer.DefaultBaseURL))
	}
	return nil
}

// resumeSandbox gives the sandbox's fake Bolna the calls a stopped sandbox run left in flight
// (saved at path by saveSandbox), as a real account would still have them.
func resumeSandbox(api *bolnasim.API, path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var calls []bolnasim.SavedCall
	if err := json.Unmarshal(b, &calls); err != nil {
		return fmt.Errorf("sandbox: %s is not the sandbox's saved calls (%v): delete it", path, err)
	}
	api.Resume(calls)
	return nil
}

// saveSandbox keeps the sandbox's calls that are not final for the next sandbox run (mode
// 0600: they hold the contacts' numbers); with none, the file goes.
func saveSandbox(api *bolnasim.API, path string) error {
	calls := api.Unfinished()
	if len(calls) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(calls)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// sandboxOptions is the fake account of --sandbox: concurrency 10, calls 30 times faster than
// real ones. BOLNA_SANDBOX_CONCURRENCY and BOLNA_SANDBOX_TIME_SCALE change both, for
// benchmarks (scripts/bench-memory.sh runs a million near-instant calls).
func sandboxOptions(agents []string, getenv func(string) string) (bolnasim.Options, error) {
	// A seed of its own each process, unless BOLNA_SANDBOX_SEED fixes one: execution ids never
	// repeat across runs, and a retry of a number does not end the way its last call did.
	seed := rand.Uint64()
	if v := getenv("BOLNA_SANDBOX_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return bolnasim.Options{}, usageErrorf("BOLNA_SANDBOX_SEED=%q: want a whole number", v)
		}
		seed = n
	}
	salt := "#" + strconv.FormatUint(seed, 36)
	// Each attempt is decided anew, as with real people: a retry of a no-answer may be answered.
	opts := bolnasim.Options{Concurrency: 10, TimeScale: 0.03, Seed: seed, MaxRetained: 2000, Wallet: 1e9,
		OutcomeFor: func(phone string, userData map[string]string) bolnasim.Outcome {
			return bolnasim.DefaultOutcome(fmt.Sprintf("%s%s#%d", phone, salt, journal.AttemptOfRef(userData[contacts.RefKey])))
		}}
	if len(agents) > 0 { // and the built-in two, whose outcome mixes differ (an experiment to try)
		opts.AgentIDs = append(slices.Clone(agents), bolnasim.DefaultAgentID, bolnasim.SecondAgentID)
	}
	if v := getenv("BOLNA_SANDBOX_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return opts, usageErrorf("BOLNA_SANDBOX_CONCURRENCY=%q: want a positive whole number", v)
		}
		opts.Concurrency = n
	}
	if v := getenv("BOLNA_SANDBOX_TIME_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return opts, usageErrorf("BOLNA_SANDBOX_TIME_SCALE=%q: want a positive number", v)
		}
		opts.TimeScale = f
	}
	return opts, nil
}
