package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// runOptions are the flags of `run`.
type runOptions struct {
	agentID, baseURL, resultsPath       string
	phoneColumn, idColumn, region, from string
	concurrency, reserve                int
	rate                                float64
	pollInterval, maxWait, retryAfter   time.Duration
	listLag                             time.Duration
	webhookListen, webhookForward       string
	delimiter                           string
	encoding                            string
	resultsFormat                       string
	goal                                string
	notify                              string
	fromList                            stringList
	fromFile, fromColumn                string
	fromPool                            []string // the caller ids, E.164, when there is a pool
	perNumber                           int
	webhookStats                        *webhook.Stats // what the receiver saw, for the summary
	apiShare                            float64        // --api-share
	unpaced                             bool           // no request budget (the sandbox)
	safeCells                           bool
	retry                               string
	maxAttempts, haltAfter, limit       int
	dryRun, sandbox, jsonOut            bool
	input                               string

	window, timezone, timezoneColumn, suppress, shard string
	maxCost                                           float64

	// parsed from the flags above
	parsedWindow *campaign.Window
	zone         *time.Location
	parsedShard  campaign.Shard
	suppression  *campaign.Suppression
}

func (o *runOptions) flags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&o.agentID, "agent-id", getenv("BOLNA_AGENT_ID"), "`ID` of the agent that places the calls (env BOLNA_AGENT_ID; required unless --sandbox)")
	fs.StringVar(&o.baseURL, "base-url", cmp(getenv("BOLNA_BASE_URL"), dialer.DefaultBaseURL), "Bolna API address `URL` (env BOLNA_BASE_URL); plain http only to loopback")
	fs.StringVar(&o.resultsPath, "results", "", "results CSV `PATH` (default: CONTACTS.results.csv beside the input)")
	fs.StringVar(&o.phoneColumn, "phone-column", "", "`NAME` of the column with the phone number (default: first of "+strings.Join(contacts.PhoneColumns, ", ")+")")
	fs.StringVar(&o.delimiter, "delimiter", "", "the cells' separator `D`: , ; | or tab (default: found from the header line)")
	fs.StringVar(&o.notify, "notify", "", "POST a JSON notice to `URL` when the run ends, and at once when it halts (a Slack or Teams incoming webhook shows its text); https, or http to loopback")
	fs.StringVar(&o.goal, "goal", "", "the campaign's conversion `KEY=VALUE` (e.g. confirmed=yes): the summary gives its rate of the rows dialled and its cost per goal")
	fs.StringVar(&o.resultsFormat, "results-format", "list", "how the results file is written: `list` (the list's delimiter, byte order mark and encoding; UTF-8 with a mark for a Windows-1252 list) or csv (UTF-8, commas)")
	fs.StringVar(&o.encoding, "encoding", "", "the list's encoding `NAME`: utf-8, utf-16, windows-1252, latin-1 (default: found; a list that is not UTF-8 in its first 64 KB is read as windows-1252, and said)")
	fs.StringVar(&o.idColumn, "id-column", "", "`NAME` of the column that identifies a contact across runs (default: the normalised phone)")
	fs.StringVar(&o.region, "region", "", "two-letter region `CC` to turn national numbers into E.164 (without it they are invalid)")
	fs.Var(&o.fromList, "from-number", "caller id in `E164` (default: Bolna's); give it several times for a pool, each call on the most local number below --per-number-concurrency")
	fs.StringVar(&o.fromFile, "from-numbers", "", "a pool of caller ids, one E.164 a line, in `FILE`")
	fs.StringVar(&o.fromColumn, "from-number-column", "", "`NAME` of a column with each row's own caller id (an empty cell: the pool's, or Bolna's)")
	fs.IntVar(&o.perNumber, "per-number-concurrency", 0, "at most `N` live calls on one caller id of the pool (0: no limit; carriers cap and flag numbers that dial too much)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "`N` calls in flight at most (default: the account's free concurrency; never above its max)")
	fs.IntVar(&o.reserve, "reserve", 0, "`N` concurrency slots left free for other traffic")
	fs.Float64Var(&o.rate, "rate", campaign.DefaultRate, "placements in any second at most, for the whole run (0: only --api-share of Bolna's 500 a minute)")
	fs.Float64Var(&o.apiShare, "api-share", dialer.DefaultShare, "share `F` (0 < F <= 1) of Bolna's per-minute request limits this run uses (500 placements, 500 list reads, 1000 other requests a minute per account); lower it when other integrations use the account")
	fs.DurationVar(&o.pollInterval, "poll-interval", campaign.DefaultPollInterval, "least time between two looks at the calls in flight: they are looked at this often while a line is likely to have dropped and --api-share of Bolna's list limit allows")
	fs.DurationVar(&o.listLag, "list-lag", campaign.DefaultListLag, "longest Bolna's executions list may take to show a new call: a call whose placement reply was lost is looked for this long before its row is unknown (or, after a crash, dialled)")
	fs.BoolVar(&o.safeCells, "safe-cells", false, "neutralise input cells that a spreadsheet would run as a formula too (server-supplied cells always are)")
	fs.DurationVar(&o.maxWait, "max-wait", campaign.DefaultMaxWait, "follow one call at most this long, then its row is timeout")
	fs.StringVar(&o.retry, "retry", "", "re-dial rows whose last attempt ended in these `STATUSES`, e.g. no-answer,busy")
	fs.IntVar(&o.maxAttempts, "max-attempts", 0, "attempts per row including the first (default 1; 3 with --retry)")
	fs.DurationVar(&o.retryAfter, "retry-after", 0, "wait at least this long after an attempt before re-dialling its row")
	fs.IntVar(&o.limit, "limit", 0, "dial at most `N` rows never dialled before, this run (a pilot); the rest stay pending")
	fs.IntVar(&o.haltAfter, "halt-after", campaign.DefaultHaltAfter, "stop placing calls after this many failed/error outcomes in a row (0: never)")
	fs.StringVar(&o.window, "window", "", "calling hours `HH:MM-HH:MM` in the contact's local time; rows outside stay pending")
	fs.StringVar(&o.timezone, "timezone", "", "IANA `ZONE` for --window (default: from the number, where it has one zone)")
	fs.StringVar(&o.timezoneColumn, "timezone-column", "", "`NAME` of a column with each contact's IANA zone for --window")
	fs.StringVar(&o.suppress, "suppress", "", "do-not-call list `FILE`: one number a line, or a CSV with a phone column")
	fs.Float64Var(&o.maxCost, "max-cost", 0, "stop placing calls once the campaign's summed total_cost (Bolna's unit, cents) reaches this")
	fs.StringVar(&o.shard, "shard", "", "take only shard `K/N` (K from 0 to N-1, e.g. 0/4); the concurrency is split N ways")
	fs.StringVar(&o.webhookListen, "webhook-listen", "", "receive Bolna's pushes at POST /webhook/TOKEN on `ADDR` (e.g. :8080; TOKEN from BOLNA_WEBHOOK_TOKEN); polling becomes a safety net")
	fs.StringVar(&o.webhookForward, "webhook-forward", "", "relay every push, unchanged, to `URL` (the integration that used to receive the agent's webhooks)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "no network: print each POST /call body as a JSON line, a summary on stderr")
	fs.BoolVar(&o.sandbox, "sandbox", false, "run against an in-process fake Bolna (no key needed)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the final summary as one JSON object on stdout")
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// validateList checks the options that say which list and how to read it, and the run's
// numbers; it sets the derived fields.
func (o *runOptions) validateList(fs *flag.FlagSet) error {
	args := fs.Args()
	switch {
	case len(args) == 0:
		return usageErrorf("run: name the contacts CSV, e.g. %s run --sandbox samples/contacts.csv", prog)
	case len(args) > 1:
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				return usageErrorf("run: flags go before the file (%s came after %s)", a, args[0])
			}
		}
		return usageErrorf("run: one contacts file at a time (got %d)", len(args))
	}
	o.input = args[0]
	if fi, err := os.Stat(o.input); err != nil {
		return &contacts.InputError{File: o.input, Err: errors.Unwrap(err)}
	} else if fi.IsDir() {
		return &contacts.InputError{File: o.input, Err: errors.New("is a directory, not a contact list")}
	}
	if o.shard != "" {
		shard, err := campaign.ParseShard(o.shard)
		if err != nil {
			return usageErrorf("run: --shard: %v", err)
		}
		o.parsedShard = shard
	}
	if o.resultsPath == "" {
		base := strings.TrimSuffix(o.input, filepath.Ext(o.input))
		if o.sandbox {
			base += ".sandbox" // never mixed up with a real campaign's results
		}
		if o.parsedShard.N > 1 {
			base += fmt.Sprintf(".shard-%d-of-%d", o.parsedShard.K, o.parsedShard.N)
		}
		o.resultsPath = base + ".results.csv"
	}
	if filepath.Clean(o.resultsPath) == filepath.Clean(o.input) {
		return usageErrorf("run: --results must not be the contacts file itself")
	}
	if o.region != "" && !contacts.ValidRegion(o.region) {
		return usageErrorf("run: --region %q is not a two-letter region code (e.g. IN, US, GB)", o.region)
	}
	if err := o.loadCallerIDs(); err != nil {
		return err
	}
	if o.concurrency < 0 || o.reserve < 0 || o.rate < 0 || o.maxAttempts < 0 || o.haltAfter < 0 || o.limit < 0 {
		return usageErrorf("run: --concurrency, --reserve, --rate, --max-attempts, --halt-after and --limit cannot be negative")
	}
	if !(o.apiShare > 0 && o.apiShare <= 1) {
		return usageErrorf("run: --api-share %v: want a share above 0 and at most 1 (e.g. 0.25)", o.apiShare)
	}
	if o.pollInterval < 10*time.Millisecond || o.maxWait <= 0 || o.retryAfter < 0 {
		return usageErrorf("run: --poll-interval must be at least 10ms and --max-wait positive")
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
	if o.resultsFormat != "list" && o.resultsFormat != "csv" {
		return usageErrorf("run: --results-format %q: want list or csv", o.resultsFormat)
	}
	if _, ok := contacts.Encodings[strings.ToLower(strings.TrimSpace(o.encoding))]; o.encoding != "" && !ok {
		return usageErrorf("run: --encoding %q: want utf-8, utf-16, windows-1252, latin-1 or iso-8859-15", o.encoding)
	}
	switch o.delimiter {
	case "", ",", ";", "tab", `\t`, "\t", "|":
	default:
		return usageErrorf("run: --delimiter %q: want , ; | or tab", o.delimiter)
	}
	if o.listLag <= 0 {
		return usageErrorf("run: --list-lag must be positive")
	}
	for _, s := range o.retryList() {
		if !s.Retryable() {
			var names []string
			for _, r := range journal.RetryableStatuses() {
				names = append(names, string(r))
			}
			return usageErrorf("run: --retry %q: not a status or outcome that can be retried (%s; or the outcomes voicemail, rejected)", s, strings.Join(names, ", "))
		}
	}
	if o.window != "" {
		w, err := campaign.ParseWindow(o.window)
		if err != nil {
			return usageErrorf("run: --window: %v", err)
		}
		o.parsedWindow = &w
	}
	if o.timezone != "" {
		zone, err := campaign.LoadZone(o.timezone)
		if err != nil {
			return usageErrorf("run: --timezone: %v", err)
		}
		o.zone = zone
	}
	if (o.timezone != "" || o.timezoneColumn != "") && o.window == "" {
		return usageErrorf("run: --timezone and --timezone-column only apply with --window")
	}
	if o.maxCost < 0 {
		return usageErrorf("run: --max-cost cannot be negative")
	}
	if o.suppress != "" {
		s, err := campaign.LoadSuppression(o.suppress, contacts.PhoneNormalizer{Region: o.region})
		if err != nil {
			return err // an *InputError naming the file and line: exit 2
		}
		o.suppression = s
	}
	return nil
}

// validate checks the command line of run: the list's options and an agent.
func (o *runOptions) validate(fs *flag.FlagSet) error {
	if err := o.validateList(fs); err != nil {
		return err
	}
	if !o.sandbox && o.agentID == "" {
		return usageErrorf("run: --agent-id (or BOLNA_AGENT_ID) is required unless --sandbox")
	}
	return nil
}

func (o *runOptions) delimiterRune() rune {
	switch o.delimiter {
	case "":
		return 0
	case "tab", `\t`:
		return '\t'
	}
	return []rune(o.delimiter)[0]
}

// stringList is a flag given several times.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
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
	return nil
}

// retryList is the statuses --retry names; retryResults the outcomes (voicemail, rejected,
// answered), which are not statuses (see journal.Result).
func (o *runOptions) retryList() []journal.Status {
	var out []journal.Status
	for s := range strings.SplitSeq(o.retry, ",") {
		if s := journal.ParseStatus(s); s != "" && !isResultName(journal.Result(s)) {
			out = append(out, s)
		}
	}
	return out
}

func (o *runOptions) retryResults() []journal.Result {
	var out []journal.Result
	for s := range strings.SplitSeq(o.retry, ",") {
		if r := journal.ParseResult(s); isResultName(r) {
			out = append(out, r)
		}
	}
	return out
}

func isResultName(r journal.Result) bool {
	return r == journal.ResultAnswered || r == journal.ResultVoicemail || r == journal.ResultRejected
}

func runCommand(args []string, env Env) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var o runOptions
	o.flags(fs, env.Getenv)
	fs.Usage = func() {
		printUsage(fs.Output(), fs, "Usage: bolna-campaign run [flags] CONTACTS.csv\n\n"+
			"Places one call per row, follows every call to its final status, writes CONTACTS.results.csv.\n"+
			"The API key comes from BOLNA_API_KEY only. Flags come before the file.\n", runGroups, runExamples)
	}
	if code, ok := parseArgs(fs, args, "run"); !ok {
		return code
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if err := o.validate(fs); err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: %v\n", err)
		return exitCode(err, nil)
	}
	summary, err := o.run(env, explicit)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: %v\n", err)
	}
	return exitCode(err, summary)
}

func (o *runOptions) config(log func(string, ...any)) campaign.Config {
	return campaign.Config{
		AgentID:      o.agentID,
		FromNumber:   o.from,
		FromNumbers:  o.fromPool,
		PerNumber:    o.perNumber,
		Load:         contacts.LoadOptions{PhoneColumn: o.phoneColumn, IDColumn: o.idColumn, Region: o.region, TimezoneColumn: o.timezoneColumn, Delimiter: o.delimiterRune(), Encoding: o.encoding, FromColumn: o.fromColumn},
		Concurrency:  o.concurrency,
		Reserve:      o.reserve,
		Rate:         o.rate,
		Limits:       o.limits(),
		PollInterval: o.pollInterval,
		MaxWait:      o.maxWait,
		Retry:        o.retryList(),
		RetryResults: o.retryResults(),
		MaxAttempts:  o.maxAttempts,
		RetryAfter:   o.retryAfter,
		HaltAfter:    o.haltAfter,
		Limit:        o.limit,
		Window:       o.parsedWindow,
		Zones:        &campaign.Zones{Default: o.zone},
		Suppress:     o.suppression,
		MaxCost:      o.maxCost,
		Shard:        o.parsedShard,
		ListLag:      o.listLag,
		Log:          log,
	}
}

// limits is the share of Bolna's request limits the run uses (none in the sandbox): see
// campaign.ShareOfLimits.
func (o *runOptions) limits() dialer.Limits {
	if o.unpaced {
		return dialer.Limits{Call: -1, List: -1, Other: -1}
	}
	return campaign.ShareOfLimits(o.apiShare, o.parsedShard)
}

func (o *runOptions) files() campaign.Files {
	dialect := contacts.Dialect{Delimiter: ',', Encoding: "utf-8"}
	if o.resultsFormat != "csv" { // the list's, so the Excel that made the list opens the results
		dialect = results.ResultsDialect(contacts.ListDialect(o.input, o.config(nil).Load))
	}
	return campaign.Files{Input: o.input, Results: o.resultsPath, Format: results.Format{SafeInput: o.safeCells, Dialect: dialect}}
}

func (o *runOptions) run(env Env, explicit map[string]bool) (*campaign.Summary, error) {
	out := newConsole(env)
	if o.dryRun {
		return nil, o.dryRunList(env, out)
	}
	owner := journal.Owner{Agent: o.agentID, API: o.baseURL}
	if o.sandbox {
		if o.agentID == "" {
			o.agentID = bolnasim.DefaultAgentID
		}
		owner = journal.Owner{Agent: o.agentID, API: "sandbox"}
		if !explicit["poll-interval"] {
			o.pollInterval = 250 * time.Millisecond // sandbox calls last seconds, not minutes
		}
		if !explicit["list-lag"] {
			o.listLag = time.Second // the fake lists a call the moment it exists
		}
		o.unpaced = true // the fake sets no request limits, and its minutes are 30x shorter
	}
	token := ""
	if o.webhookListen != "" {
		token = strings.TrimSpace(env.Getenv("BOLNA_WEBHOOK_TOKEN"))
		if token == "" && o.sandbox {
			token = webhook.NewToken()
		}
		if len(token) < webhook.MinTokenLength {
			return nil, usageErrorf("run: --webhook-listen: set BOLNA_WEBHOOK_TOKEN to a secret of at least %d characters (the agent's webhook_url ends in /webhook/TOKEN)", webhook.MinTokenLength)
		}
	}
	key := strings.TrimSpace(env.Getenv("BOLNA_API_KEY"))
	if !o.sandbox && key == "" {
		return nil, usageErrorf("run: set BOLNA_API_KEY to your Bolna API key (or try --sandbox)")
	}

	cfg := o.config(out.logf)
	cfg.Pushes = o.webhookListen != ""
	var notice *notifier
	if o.notify != "" {
		notice = newNotifier(o.notify, out.logf)
		cfg.OnHalt = func(reason string) { notice.halted(o.resultsPath, reason) }
	}
	sess, err := campaign.Open(o.files(), owner, cfg)
	if err != nil {
		return nil, err
	}
	if sess.Rebuilt > 0 {
		out.logf("the journal %s was missing: rebuilt it from the %d dialled rows of %s, so none of them is dialled again",
			journal.StatePath(o.resultsPath), sess.Rebuilt, o.resultsPath)
	}
	if sess.State().Skipped() > 0 {
		out.logf("the last line of %s was cut by a crash mid-write and is dropped (it held no intent to dial)", journal.StatePath(o.resultsPath))
	}

	var ln net.Listener
	if o.webhookListen != "" {
		if ln, err = net.Listen("tcp", o.webhookListen); err != nil {
			sess.Close()
			return nil, fmt.Errorf("--webhook-listen: %w", err)
		}
		defer ln.Close()
	}
	var client campaign.Dialer
	if o.sandbox {
		opts, err := sandboxOptions(o.agentID, env.Getenv)
		if err != nil {
			sess.Close()
			return nil, err
		}
		if ln != nil { // the fake pushes every status change to the receiver, as Bolna would
			opts.Webhook = &bolnasim.Webhook{URL: "http://" + ln.Addr().String() + "/webhook/" + token}
		}
		api := bolnasim.NewAPI(opts)
		defer api.Close()
		saved := o.resultsPath + ".bolna.json"
		if err := resumeSandbox(api, saved); err != nil {
			sess.Close()
			return nil, err
		}
		defer func() {
			if err := saveSandbox(api, saved); err != nil {
				out.logf("sandbox: saving its calls in flight: %v", err)
			}
		}()
		out.logf("sandbox: a fake Bolna account served in process (calls run about 30x faster than real ones)")
		client = api.InProcessClient(dialer.WithLogf(out.logf))
	} else {
		// The runner paces its requests to the share; the client holds every request to it,
		// retries included.
		c, err := dialer.New(key, dialer.WithBaseURL(o.baseURL), dialer.WithUserAgent("bolna-campaign/"+version()),
			dialer.WithLogf(out.logf), dialer.WithLimits(o.limits()))
		if err != nil {
			sess.Close()
			return nil, usageErrorf("run: %v", err)
		}
		client = c
	}

	runner := campaign.NewRunner(client, cfg)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var receiver *webhook.Receiver
	if ln != nil {
		var clean func([]byte) []byte
		if c, ok := client.(*dialer.Client); ok {
			clean = c.RedactJSON
		}
		receiver, err = webhook.New(webhook.Config{Token: token, Forward: o.webhookForward, Listen: ln.Addr(), Clean: clean, Logf: out.logf,
			Handle: func(ex *dialer.Execution) { runner.Observe(ex) }})
		if err != nil {
			sess.Close()
			return nil, usageErrorf("run: %v", err)
		}
		defer receiver.Close()
		srv := receiver.Server()
		go srv.Serve(ln)
		defer srv.Close()
		out.logf("receiving Bolna's pushes at http://%s/webhook/%s (the token hidden); calls are also looked at as often as pushes go missing (as polling does, once they stop)",
			ln.Addr(), webhook.MaskToken(token))
	}
	stopSignals := o.watchSignals(env, out, runner, cancel)
	defer stopSignals()
	stopWatch := watchStopRequests(o.resultsPath, runner, out)
	defer stopWatch()
	if err := o.checkAgent(dialer.WithSendGate(ctx, runner.Stopped()), client, runner, receiver, out); err != nil {
		sess.Close() // nothing was recorded: the journal binds no agent
		return nil, err
	}
	stopProgress := out.follow(runner)
	summary, err := sess.Run(ctx, runner)
	stopProgress()
	if cerr := sess.Close(); cerr != nil {
		err = errors.Join(err, &campaign.FatalError{Err: cerr})
	}
	if summary != nil {
		if counter, ok := client.(interface{ Requests() int }); ok {
			summary.Requests = counter.Requests()
		}
		if counter, ok := client.(interface{ PeakPerMinute() dialer.Limits }); ok && !o.unpaced {
			peak, limits := counter.PeakPerMinute(), o.limits()
			summary.PeakPerMinute, summary.Limits = &peak, &limits
		}
		if receiver != nil {
			st := receiver.Stats()
			o.webhookStats = &st
		}
		o.report(env, summary, err)
	}
	if notice != nil {
		var doc any
		if summary != nil {
			doc = o.summaryDoc(summary)
		}
		notice.finished(o.resultsPath, summary, doc, err)
	}
	return summary, err
}

// summaryDoc is the summary as --json prints it (and --notify sends it).
func (o *runOptions) summaryDoc(s *campaign.Summary) any {
	var goal *results.Goal
	if o.goal != "" {
		goal, _ = results.ParseGoal(o.goal) // checked with the flags
	}
	rep, _ := results.ReadReportWith("", goal, o.resultsPath)
	return struct {
		*campaign.Summary
		ElapsedSeconds  float64         `json:"elapsed_s"`
		RequestsPerCall float64         `json:"requests_per_call,omitempty"`
		Webhook         *webhook.Stats  `json:"webhook,omitempty"`
		Results         string          `json:"results"`
		Report          *results.Report `json:"report,omitempty"`
	}{s, math.Round(s.Elapsed.Seconds()*1000) / 1000, perCall(s), o.webhookStats, o.resultsPath, rep}
}

// checkAgent reads the agent before the first call: an agent that does not exist (404) stops
// the run before anything is dialled or recorded; it warns of {variables} of its prompt that
// the list does not supply (Bolna would speak them as written) and, with a receiver, says
// whether its webhook_url points at it (without one, the run polls from the start). It never
// changes the agent.
func (o *runOptions) checkAgent(ctx context.Context, client campaign.Dialer, runner *campaign.Runner, r *webhook.Receiver, out *console) error {
	reader, ok := client.(interface {
		Agent(context.Context, string) (*dialer.Agent, error)
	})
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a check: never worth holding the run up for
	defer cancel()
	agent, err := reader.Agent(ctx, o.agentID)
	switch {
	case dialer.IsNotFound(err):
		return &campaign.FatalError{Err: fmt.Errorf("the agent %s was not found on this account (404): check --agent-id; nothing was dialled", o.agentID)}
	case dialer.IsUnauthorized(err):
		return &campaign.FatalError{Err: fmt.Errorf("the API key was refused: %w", err)}
	case err != nil:
		out.logf("could not read the agent to check its prompt's variables (%v)", err)
		return nil
	}
	if header, err := listHeader(o.input, o.config(nil).Load); err == nil {
		if missing := missingVariables(agent.Variables(), header); len(missing) > 0 {
			out.logf("warning: the agent's prompt uses {%s}, which no column of %s supplies: Bolna would speak it as written (add the column, or fix the prompt)",
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
	path := journal.StopPath(results)
	os.Remove(path)
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
				if _, err := os.Stat(path); err == nil {
					os.Remove(path)
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
func sandboxOptions(agentID string, getenv func(string) string) (bolnasim.Options, error) {
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
	if agentID != "" {
		opts.AgentIDs = []string{agentID, bolnasim.DefaultAgentID}
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

// dryRunList prints the POST /call bodies a run would send, and a summary.
func (o *runOptions) dryRunList(env Env, out *console) error {
	if o.agentID == "" {
		o.agentID = bolnasim.DefaultAgentID
	}
	sess, err := campaign.Inspect(o.files(), o.config(out.logf))
	if err != nil {
		return err
	}
	defer sess.Close()
	bw := bufio.NewWriterSize(env.Stdout, 64<<10)
	enc := json.NewEncoder(bw)
	plan, err := sess.DryRun(func(req dialer.CallRequest) error { return enc.Encode(req) })
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	acct := o.dryRunAccount(env, sess.State())
	concurrency := 0
	if acct != nil {
		concurrency = sess.Concurrency(*acct)
	} else if o.concurrency > 0 {
		concurrency = o.concurrency
	}
	estimate := time.Duration(0)
	if concurrency > 0 {
		waves := (plan.Dial + concurrency - 1) / concurrency
		estimate = time.Duration(waves) * o.callTime(env)
	}
	if o.rate > 0 {
		estimate = max(estimate, time.Duration(float64(plan.Dial)/o.rate*float64(time.Second)))
	}
	if o.jsonOut {
		return json.NewEncoder(env.Stderr).Encode(struct {
			campaign.Plan
			Concurrency int              `json:"concurrency,omitempty"`
			EstimateSec float64          `json:"estimated_seconds,omitempty"`
			Account     *journal.Account `json:"account,omitempty"`
		}{plan, concurrency, estimate.Seconds(), acct})
	}
	e := env.Stderr
	fmt.Fprintf(e, "dry run: %d %s read, %d valid\n", plan.Rows, plural(plan.Rows, "row", "rows"), plan.Rows-plan.Invalid)
	for _, reason := range sortedKeys(plan.Reasons) {
		fmt.Fprintf(e, "  invalid        %7d  %s\n", plan.Reasons[reason], reason)
	}
	for _, b := range plan.Bad {
		fmt.Fprintf(e, "    line %d: %s\n", b.Line, b.Problem)
	}
	if more := plan.Invalid - len(plan.Bad); more > 0 {
		fmt.Fprintf(e, "    and %d more invalid %s (the results file of a run lists them all)\n", more, plural(more, "row", "rows"))
	}
	for _, line := range []struct {
		name string
		n    int
	}{
		{"duplicates", plan.Duplicates}, {"suppressed", plan.Suppressed}, {"outside window", plan.Outside},
		{"done earlier", plan.Done}, {"in flight", plan.Live}, {"retry later", plan.Waiting}, {"over --limit", plan.Limited},
		{"to dial now", plan.Dial},
	} {
		fmt.Fprintf(e, "  %-14s %7d\n", line.name, line.n)
	}
	if acct != nil {
		fmt.Fprintf(e, "account (as of %s): wallet %s (Bolna reports %s, in cents), concurrency %d of %d in use\n",
			acct.At.Format(time.RFC3339), campaign.Dollars(acct.Wallet), campaign.Grouped(acct.Wallet), acct.InUse, acct.Concurrency)
	} else {
		fmt.Fprintln(e, "account: not known yet (a dry run makes no network call; the first real run records it)")
	}
	switch {
	case estimate > 0 && concurrency > 0:
		fmt.Fprintf(e, "estimate: about %s at concurrency %d and %.3g calls a second, assuming %s a call\n",
			estimate.Round(time.Second), concurrency, o.rate, o.callTime(env).Round(100*time.Millisecond))
	case estimate >= time.Second:
		fmt.Fprintf(e, "estimate: at least %s to place them at %.3g a second (pass --concurrency for more)\n",
			campaign.ShortDuration(estimate.Round(time.Second)), o.rate)
	case estimate > 0:
		fmt.Fprintf(e, "estimate: under a second to place them at %.3g a second, then the calls' own length\n", o.rate)
	}
	return nil
}

// callTime is the length of a call the dry run's estimate assumes: assumedCallTime, or the
// sandbox's compressed one.
func (o *runOptions) callTime(env Env) time.Duration {
	if o.sandbox {
		if opts, err := sandboxOptions(o.agentID, env.Getenv); err == nil {
			return time.Duration(float64(assumedCallTime) * opts.TimeScale)
		}
	}
	return assumedCallTime
}

// assumedCallTime is the length of a call the dry run's estimate assumes: ringing, a short
// conversation and the line dropping.
const assumedCallTime = 2 * time.Minute

// dryRunAccount is the account a dry run shows, without calling Bolna: the sandbox's, or the
// one the latest real run of this campaign recorded in its journal.
func (o *runOptions) dryRunAccount(env Env, st *journal.State) *journal.Account {
	if o.sandbox {
		opts, err := sandboxOptions(o.agentID, env.Getenv)
		if err != nil {
			return nil
		}
		return &journal.Account{Wallet: opts.Wallet, Concurrency: opts.Concurrency, At: time.Now().UTC()}
	}
	return st.LastAccount()
}

// report prints the final summary, with the numbers of `report` for the results file: text
// on stderr, or JSON on stdout with --json.
func (o *runOptions) report(env Env, s *campaign.Summary, runErr error) {
	var goal *results.Goal
	if o.goal != "" {
		goal, _ = results.ParseGoal(o.goal) // checked with the flags
	}
	rep, err := results.ReadReportWith("", goal, o.resultsPath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: reading the results back: %v\n", err)
	}
	if o.jsonOut {
		json.NewEncoder(env.Stdout).Encode(o.summaryDoc(s))
		return
	}
	fmt.Fprintf(env.Stderr, "\n%d dialled this run at concurrency %d, in %s\n", s.Dialled, s.Concurrency, campaign.ShortDuration(s.Elapsed.Round(100*time.Millisecond)))
	if s.Requests > 0 {
		fmt.Fprintf(env.Stderr, "API requests: %d (%.2f a call placed)\n", s.Requests, perCall(s))
	}
	if p, l := s.PeakPerMinute, s.Limits; p != nil && l != nil {
		share := fmt.Sprintf("--api-share %g", o.apiShare)
		if n := o.parsedShard.N; n > 1 {
			share += fmt.Sprintf(" (1/%d of it for each of %d shards)", n, n)
		}
		fmt.Fprintf(env.Stderr, "the most in a minute: %d placements, %d list reads, %d other requests, of the %d / %d / %d %s allows\n",
			p.Call, p.List, p.Other, l.Call, l.List, l.Other, share)
	}
	if p, w := s.Pushes, o.webhookStats; p != nil && w != nil {
		fmt.Fprintf(env.Stderr, "pushes from Bolna: %d received, %d about this run's calls, %d late (the call had ended), %d about others (ignored), %d malformed, %d refused\n",
			w.Received, p.Matched, p.Late, p.Ignored, w.Malformed, w.NotFound+w.TooLarge)
		if n := p.DropsPushed + p.DropsLooked; n > 0 {
			fmt.Fprintf(env.Stderr, "outcomes: %d by push, %d by a look; dropped lines told first by a push %d, by a look %d (%.0f%% of pushes missing or late)\n",
				p.OutcomesPushed, p.OutcomesLooked, p.DropsPushed, p.DropsLooked, 100*p.MissingShare())
		}
		if p.Foreign > 0 || p.Contradicted > 0 || w.Looped > 0 {
			fmt.Fprintf(env.Stderr, "pushes not believed: %d naming another agent or number for a call of this run, %d line drops a look contradicted, %d relayed back (a forward loop)\n",
				p.Foreign, p.Contradicted, w.Looped)
		}
	}
	if rep != nil {
		rep.Command = prog
		rep.WriteText(env.Stderr)
	}
	if s.Halted != "" {
		fmt.Fprintf(env.Stderr, "halted: %s\n", s.Halted)
	}
	if s.Stopped > 0 {
		fmt.Fprintf(env.Stderr, "%d %s stopped before %s rang: %s pending again, the attempt given back\n",
			s.Stopped, plural(s.Stopped, "call", "calls"), plural(s.Stopped, "it", "they"), plural(s.Stopped, "its row is", "their rows are"))
	}
	if n := s.ByStatus[journal.StatusUnknown]; n > 0 {
		fmt.Fprintf(env.Stderr, "%d %s unknown: the reply to POST /call was lost and no call was found, so the person may or may not have been called; check, then re-dial with --retry unknown if they were not\n",
			n, plural(n, "row is", "rows are"))
	}
	if n := s.Unfinished(); n > 0 {
		fmt.Fprintf(env.Stderr, "%d %s work to do: run the same command again later", n, plural(n, "row still has", "rows still have"))
		if exitCode(runErr, s) == exitUnfinished {
			fmt.Fprint(env.Stderr, " (exit 3)")
		}
		fmt.Fprintln(env.Stderr)
	}
	fmt.Fprintf(env.Stderr, "results: %s\n", o.resultsPath)
}

// perCall is the API requests a run made per call it placed.
func perCall(s *campaign.Summary) float64 {
	if s.Dialled == 0 {
		return 0
	}
	return float64(s.Requests) / float64(s.Dialled)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
