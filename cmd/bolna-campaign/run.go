package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// runOptions are the flags of `run`: where the calls go, the list, and run's own.
type runOptions struct {
	connOptions
	listOptions
	guardOptions
	liveOptions
	armOptions

	from                           string
	fromList                       stringList
	fromFile, fromColumn           string
	fromPool                       []string // the caller ids, E.164, when there is a pool
	perNumber                      int
	callerIDFallback               string // wait or any
	rate                           float64
	apiShare                       float64 // --api-share
	pollInterval, maxWait, listLag time.Duration
	webhookListen, webhookForward  string
	resultsFormat, goal, notify    string
	logFormat                      string
	safeCells, dryRun, jsonOut     bool
	haltAfter                      int
	maxCost                        float64
	unpaced                        bool           // no request budget (the sandbox)
	webhookStats                   *webhook.Stats // what the receiver saw, for the summary
	explicit                       map[string]bool
}

func (o *runOptions) flags(fs *flag.FlagSet, getenv func(string) string) {
	o.connOptions.flags(fs, getenv)
	o.listOptions.flags(fs)
	o.guardOptions.flags(fs)
	o.liveOptions.flags(fs, getenv)
	o.armOptions.flags(fs)
	fs.StringVar(&o.notify, "notify", "", "POST a JSON notice to `URL` when the run ends, and at once when it halts (a Slack or Teams incoming webhook shows its text); https, or http to loopback")
	fs.StringVar(&o.goal, "goal", "", "the campaign's conversion `KEY=VALUE` (e.g. confirmed=yes): the summary gives its rate of the rows dialled and its cost per goal")
	fs.StringVar(&o.resultsFormat, "results-format", "list", "how the results file is written: `list` (the list's delimiter, byte order mark and encoding; UTF-8 with a mark for a Windows-1252 list) or csv (UTF-8, commas)")
	fs.StringVar(&o.logFormat, "log-format", "text", "how messages are written on stderr: `text` (a line an event) or json (an object an event, for log pipelines)")
	fs.Var(&o.fromList, "from-number", "caller id in `E164` (default: Bolna's); give it several times for a pool, each call on the most local number below --per-number-concurrency")
	fs.StringVar(&o.fromFile, "from-numbers", "", "a pool of caller ids, one E.164 a line, in `FILE`")
	fs.StringVar(&o.fromColumn, "from-number-column", "", "`NAME` of a column with each row's own caller id (an empty cell: the pool's, or Bolna's)")
	fs.IntVar(&o.perNumber, "per-number-concurrency", 0, "at most `N` live calls on one caller id, the pool's or a row's own (0: no limit; carriers cap and flag numbers that dial too much); with --shard, the campaign's, split between the shards (one too small to split is refused)")
	o.callerIDFlags(fs)
	fs.Float64Var(&o.rate, "rate", campaign.DefaultRate, "placements in any second at most, for the whole run (0: only --api-share of Bolna's 500 a minute)")
	fs.Float64Var(&o.apiShare, "api-share", dialer.DefaultShare, "share `F` (0 < F <= 1) of Bolna's per-minute request limits this run uses (500 placements, 500 list reads, 1000 other requests a minute per account); lower it when other integrations use the account")
	fs.DurationVar(&o.pollInterval, "poll-interval", campaign.DefaultPollInterval, "least time between two looks at the calls in flight: they are looked at this often while a line is likely to have dropped and --api-share of Bolna's list limit allows")
	fs.DurationVar(&o.listLag, "list-lag", campaign.DefaultListLag, "longest Bolna's executions list may take to show a new call: a call whose placement reply was lost is looked for this long before its row is unknown (or, after a crash, dialled)")
	fs.BoolVar(&o.safeCells, "safe-cells", false, "neutralise input cells that a spreadsheet would run as a formula too (server-supplied cells always are)")
	fs.DurationVar(&o.maxWait, "max-wait", campaign.DefaultMaxWait, "follow one call at most this long, then its row is timeout")
	fs.IntVar(&o.haltAfter, "halt-after", campaign.DefaultHaltAfter, "stop placing calls after this many failed/error outcomes in a row (0: never)")
	fs.Float64Var(&o.maxCost, "max-cost", 0, "stop placing calls once the campaign's summed total_cost (Bolna's unit, cents) reaches this")
	fs.StringVar(&o.webhookListen, "webhook-listen", "", "receive Bolna's pushes at POST /webhook/TOKEN on `ADDR` (e.g. :8080; TOKEN from BOLNA_WEBHOOK_TOKEN); polling becomes a safety net")
	fs.StringVar(&o.webhookForward, "webhook-forward", "", "relay every push, unchanged, to `URL` (the integration that used to receive the agent's webhooks)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "no network: print each POST /call body as a JSON line, a summary on stderr")
	fs.BoolVar(&o.jsonOut, "json", false, "print the final summary as one JSON object on stdout")
}

// validate checks the command line of run: the list's options, run's own, and an agent.
func (o *runOptions) validate(fs *flag.FlagSet) error {
	if err := o.listOptions.validate("run", fs.Args(), o.sandbox); err != nil {
		return err
	}
	if err := o.loadCallerIDs(); err != nil {
		return err
	}
	if err := o.guardOptions.validate(); err != nil {
		return err
	}
	if err := o.liveOptions.validate(); err != nil {
		return err
	}
	switch {
	case o.rate < 0 || o.haltAfter < 0 || o.maxCost < 0:
		return usageErrorf("run: --rate, --halt-after and --max-cost cannot be negative")
	case !(o.apiShare > 0 && o.apiShare <= 1):
		return usageErrorf("run: --api-share %v: want a share above 0 and at most 1 (e.g. 0.25)", o.apiShare)
	case o.pollInterval < 10*time.Millisecond || o.maxWait <= 0:
		return usageErrorf("run: --poll-interval must be at least 10ms and --max-wait positive")
	case o.listLag <= 0:
		return usageErrorf("run: --list-lag must be positive")
	case o.resultsFormat != "list" && o.resultsFormat != "csv":
		return usageErrorf("run: --results-format %q: want list or csv", o.resultsFormat)
	case !slices.Contains(logFormats, o.logFormat):
		return usageErrorf("run: --log-format %q: want text or json", o.logFormat)
	case !o.sandbox && o.agentID == "":
		return usageErrorf("run: --agent-id (or BOLNA_AGENT_ID) is required unless --sandbox")
	}
	if o.notify != "" {
		if err := checkNotifyURL(o.notify); err != nil {
			return usageErrorf("run: %v", err)
		}
	}
	if o.goal != "" {
		if _, err := results.ParseGoal(o.goal); err != nil {
			return usageErrorf("run: %v", err)
		}
	}
	return o.armOptions.parse("run", o.agents())
}

// loadCallerIDs reads --from-number (once or more) and --from-numbers FILE: one caller id is
// o.from, as before; several are a pool (o.fromPool). An invalid number stops the run before
// any call (exit 2).
func (o *runOptions) loadCallerIDs() error {
	raw := slices.Clone([]string(o.fromList))
	if o.fromFile != "" {
		b, err := os.ReadFile(o.fromFile)
		if err != nil {
			return usageErrorf("run: --from-numbers: %v", err)
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				raw = append(raw, line)
			}
		}
	}
	var pool []string
	for _, n := range raw {
		e164, problem := (contacts.PhoneNormalizer{}).Normalize(n)
		if problem != "" {
			return usageErrorf("run: caller id %q: %s", n, problem)
		}
		if !slices.Contains(pool, e164) {
			pool = append(pool, e164)
		}
	}
	if o.perNumber < 0 {
		return usageErrorf("run: --per-number-concurrency cannot be negative")
	}
	switch {
	case len(pool) == 1 && o.perNumber == 0:
		o.from = pool[0]
	case len(pool) > 0:
		o.fromPool = pool
	}
	return o.checkPerNumber()
}

func runCommand(args []string, env Env) error {
	fs := newCommand("run", env, helpText{synopsis: "Usage: bolna-campaign run [flags] CONTACTS.csv\n\n" +
		"Places one call per row, follows every call to its final status, writes CONTACTS.results.csv.\n" +
		"The API key comes from BOLNA_API_KEY only. Flags come before the file.\n", groups: runGroups, examples: runExamples})
	var o runOptions
	o.flags(fs, env.Getenv)
	if err := parseArgs(fs, args, "run"); err != nil {
		return err
	}
	o.explicit = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.explicit[f.Name] = true })
	format := o.logFormat
	if !slices.Contains(logFormats, format) {
		format = "text" // (validate says so)
	}
	if err := o.validate(fs); err != nil {
		return err
	}
	return runOutcome(o.run(env, newConsole(env, format)))
}

// config is what run's options mean for the campaign.
func (o *runOptions) config(out *console) campaign.Config {
	cfg := o.listOptions.config()
	cfg.AgentID, cfg.FromNumber, cfg.FromNumbers, cfg.PerNumber = o.agentID, o.from, o.fromPool, o.perNumber
	cfg.Load.FromColumn, cfg.AnyCallerID = o.fromColumn, o.callerIDFallback == "any"
	cfg.Rate, cfg.Limits, cfg.PollInterval, cfg.MaxWait, cfg.ListLag = o.rate, o.limits(), o.pollInterval, o.maxWait, o.listLag
	cfg.HaltAfter, cfg.MaxCost = o.haltAfter, o.maxCost
	cfg.Pushes = o.webhookListen != ""
	cfg.Logger = out.log
	o.armsConfig(&cfg)
	return cfg
}

// limits is the share of Bolna's request limits the run uses (none in the sandbox): see
// campaign.ShareOfLimits.
func (o *runOptions) limits() dialer.Limits {
	if o.unpaced {
		return dialer.Limits{Call: -1, List: -1, Other: -1}
	}
	return campaign.ShareOfLimits(o.apiShare, o.parsedShard)
}

// format is how the run writes its results and attempts log.
func (o *runOptions) format() store.ResultsFormat {
	dialect := contacts.Dialect{Delimiter: ',', Encoding: "utf-8"}
	if o.resultsFormat != "csv" { // the list's, so the Excel that made the list opens the results
		dialect = results.ResultsDialect(contacts.ListDialect(o.input, o.load()))
	}
	return store.FormatOf(results.Format{SafeInput: o.safeCells, Dialect: dialect})
}

// sandboxDefaults sets what the sandbox changes: its agent, and the pace of calls that last
// seconds, not minutes, on a fake that sets no request limits.
func (o *runOptions) sandboxDefaults() {
	if !o.sandbox {
		return
	}
	if o.agentID == "" {
		o.agentID = bolnasim.DefaultAgentID
	}
	if !o.explicit["poll-interval"] {
		o.pollInterval = 250 * time.Millisecond
	}
	if !o.explicit["list-lag"] {
		o.listLag = time.Second // the fake lists a call the moment it exists
	}
	o.unpaced = true
}

func (o *runOptions) owner() journal.Owner {
	if o.sandbox {
		return journal.Owner{Agent: o.agentID, API: "sandbox"}
	}
	return journal.Owner{Agent: o.agentID, API: o.baseURL}
}

// webhookToken is the secret of the receiver's path (a fresh one for the sandbox).
func (o *runOptions) webhookToken(env Env) (string, error) {
	if o.webhookListen == "" {
		return "", nil
	}
	token := strings.TrimSpace(env.Getenv("BOLNA_WEBHOOK_TOKEN"))
	if token == "" && o.sandbox {
		token = webhook.NewToken()
	}
	if len(token) < webhook.MinTokenLength {
		return "", usageErrorf("run: --webhook-listen: set BOLNA_WEBHOOK_TOKEN to a secret of at least %d characters (the agent's webhook_url ends in /webhook/TOKEN)", webhook.MinTokenLength)
	}
	return token, nil
}

// run runs the campaign: everything it opens is closed by the one deferred call that opened
// it, the session last.
func (o *runOptions) run(env Env, out *console) (summary *campaign.Summary, err error) {
	out.withRun(campaignLabel(o.input), shardLabel(o.parsedShard))
	if o.dryRun {
		return nil, o.dryRunList(env, out)
	}
	o.sandboxDefaults()
	token, err := o.webhookToken(env)
	if err != nil {
		return nil, err
	}
	if !o.sandbox && strings.TrimSpace(env.Getenv("BOLNA_API_KEY")) == "" {
		return nil, usageErrorf("run: set BOLNA_API_KEY to your Bolna API key (or try --sandbox)")
	}
	cfg := o.config(out)
	var notice *notifier
	if o.notify != "" {
		notice = newNotifier(o.notify, out.logf)
		cfg.OnHalt = func(reason string) { notice.halted(o.resultsPath, reason) }
	}
	guard, err := o.openGuard(context.Background(), env, out)
	if err != nil {
		return nil, err
	}
	defer guard.Close()
	cfg.Guard, cfg.Rules, cfg.MaxCostPerDay = guard, o.rules, o.maxCostPerDay
	sess, err := o.files().Open(store.ContactFile(o.input), o.format(), o.owner(), cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := sess.Close(); cerr != nil {
			err = errors.Join(err, &campaign.FatalError{Err: cerr})
		}
	}()
	o.sayRecovered(sess, out)
	o.recordHistory(env, out)
	if n, err := importJournal(context.Background(), guard, sess.State(), o.input, o.resultsPath); err != nil {
		return nil, &campaign.FatalError{Err: fmt.Errorf("the account's history could not take in the campaign's journal, so no call is placed: %w", err)}
	} else if n > 0 {
		out.logf("the account's history had no call of this campaign: took in the %d %s of its journal, which every campaign's guard now counts", n, human.Plural(n, "attempt", "attempts"))
	}
	var ln net.Listener
	if o.webhookListen != "" {
		if ln, err = net.Listen("tcp", o.webhookListen); err != nil {
			return nil, fmt.Errorf("--webhook-listen: %w", err)
		}
		defer ln.Close()
	}
	copts := clientOptions{limits: o.limits(), resume: o.files().SandboxPath(), log: out, wrap: o.wrap()}
	if ln != nil {
		copts.pushTo = "http://" + ln.Addr().String() + "/webhook/" + token
	}
	client, end, err := env.client(o.connOptions, copts)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	defer end()
	defer sess.KeepRequests(client)() // before the agent is checked: every request is recorded
	summary, err = o.follow(env, out, sess, client, cfg, ln, token)
	var rep *results.Report // the results file's report, read once
	if summary != nil {
		summary.Requests = client.Requests()
		if !o.unpaced {
			peak, limits := client.PeakPerMinute(), o.limits()
			summary.PeakPerMinute, summary.Limits = &peak, &limits
		}
		var readErr error
		rep, readErr = o.readReport()
		o.report(env, out, summary, rep, readErr, err)
	}
	if notice != nil {
		var doc any
		masked := maskedReport(rep) // a chat or a script's webhook is no place for the people called
		if summary != nil {
			doc = o.summaryDocOf(summary, masked)
		}
		notice.finished(o.resultsPath, summary, doc, masked, err)
	}
	return summary, err
}

// sayRecovered says what opening the campaign had to mend.
func (o *runOptions) sayRecovered(sess *store.Session, out *console) {
	if sess.Rebuilt > 0 {
		out.logf("the journal %s was missing: rebuilt it from the %d dialled rows of %s, so none of them is dialled again",
			sess.Campaign().StatePath(), sess.Rebuilt, o.resultsPath)
	}
	if sess.State().Skipped() > 0 {
		out.logf("the last line of %s was cut by a crash mid-write and is dropped (it held no intent to dial)", sess.Campaign().StatePath())
	}
}

// follow runs the campaign through client, with the receiver of pushes on ln (if any), the
// signals and stop requests watched, and the progress shown.
func (o *runOptions) follow(env Env, out *console, sess *store.Session, client *dialer.Client, cfg campaign.Config, ln net.Listener, token string) (*campaign.Summary, error) {
	runner := campaign.NewRunner(client, cfg)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var receiver *webhook.Receiver
	if ln != nil {
		var err error
		receiver, err = webhook.New(webhook.Config{Token: token, Forward: o.webhookForward, Listen: ln.Addr(), Clean: client.RedactJSON, Logger: out.log,
			Handle: func(ex *dialer.Execution) { runner.Observe(ex) }})
		if err != nil {
			return nil, usageErrorf("run: %v", err)
		}
		defer func() {
			receiver.Close()
			st := receiver.Stats()
			o.webhookStats = &st
		}()
		srv := receiver.Server()
		go srv.Serve(ln)
		defer srv.Close()
		out.logf("receiving Bolna's pushes at http://%s/webhook/%s (the token hidden); calls are also looked at as often as pushes go missing (as polling does, once they stop)",
			ln.Addr(), webhook.MaskToken(token))
	}
	defer o.watchSignals(env, out, runner, cancel)()
	defer watchStopRequests(o.resultsPath, runner, out)()
	endLive, err := o.startLiveStatus(out, runner, client, receiver)
	if err != nil {
		return nil, err
	}
	defer endLive()
	if err := o.checkAgent(ctx, client, runner, receiver, out); err != nil {
		return nil, err // nothing was recorded: the journal binds no agent
	}
	stopProgress := out.follow(runner)
	defer stopProgress()
	return sess.Run(ctx, runner)
}
