package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// The options of run and check are built from two parts they share — where the calls go
// (connOptions) and which list, read how, and what a run would dial now (listOptions) — and
// run's own (runOptions). Each part registers its flags, checks them, and says what it means
// for campaign.Config.

// connOptions say where the calls go: an agent of a Bolna account, or the sandbox.
type connOptions struct {
	agentID, baseURL string
	moreAgents       []string // --agent-id given again: an experiment's further arms
	sandbox          bool
}

func (c *connOptions) flags(fs *flag.FlagSet, getenv func(string) string) {
	c.agentID = getenv("BOLNA_AGENT_ID")
	fs.Var(&agentsFlag{c: c}, "agent-id", "`ID` of the agent that places the calls (env BOLNA_AGENT_ID; required unless --sandbox); run: give it twice or more for an experiment, each row dialled through one agent drawn at random (see --arms)")
	fs.StringVar(&c.baseURL, "base-url", cmp(getenv("BOLNA_BASE_URL"), dialer.DefaultBaseURL), "Bolna API address `URL` (env BOLNA_BASE_URL); plain http only to loopback")
	fs.BoolVar(&c.sandbox, "sandbox", false, "run against an in-process fake Bolna (no key needed)")
}

// listOptions say which list, how to read it, and what a run would dial now.
type listOptions struct {
	input, resultsPath                                 string
	phoneColumn, idColumn, region, delimiter, encoding string
	suppress, shard                                    string
	window, timezone, timezoneColumn                   string
	retry                                              string
	maxAttempts, limit                                 int
	retryAfter                                         time.Duration
	concurrency, reserve                               int
	allowMissingVariables                              bool // --allow-missing-variables

	// parsed from the flags above
	parsedWindow *campaign.Window
	zone         *time.Location
	parsedShard  campaign.Shard
	suppression  *campaign.Suppression
}

func (l *listOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&l.resultsPath, "results", "", "results CSV `PATH` (default: CONTACTS.results.csv beside the input)")
	fs.StringVar(&l.phoneColumn, "phone-column", "", "`NAME` of the column with the phone number (default: first of "+strings.Join(contacts.PhoneColumns, ", ")+")")
	fs.StringVar(&l.delimiter, "delimiter", "", "the cells' separator `D`: , ; | or tab (default: found from the header line)")
	fs.StringVar(&l.encoding, "encoding", "", "the list's encoding `NAME`: utf-8, utf-16, windows-1252, latin-1 (default: found; a list that is not UTF-8 in its first 64 KB is read as windows-1252, and said)")
	fs.StringVar(&l.idColumn, "id-column", "", "`NAME` of the column that identifies a contact across runs (default: the normalised phone)")
	fs.StringVar(&l.region, "region", "", "two-letter region `CC` to turn national numbers into E.164 (without it they are invalid)")
	fs.IntVar(&l.concurrency, "concurrency", 0, "`N` calls in flight at most (default: the account's free concurrency; never above its max)")
	fs.IntVar(&l.reserve, "reserve", 0, "`N` concurrency slots left free for other traffic")
	fs.StringVar(&l.retry, "retry", "", "re-dial rows whose last attempt ended in these `STATUSES`, e.g. no-answer,busy")
	fs.IntVar(&l.maxAttempts, "max-attempts", 0, "attempts per row including the first (default 1; 3 with --retry)")
	fs.DurationVar(&l.retryAfter, "retry-after", 0, "wait at least this long after an attempt before re-dialling its row")
	fs.IntVar(&l.limit, "limit", 0, "dial at most `N` rows never dialled before, this run (a pilot); the rest stay pending")
	fs.StringVar(&l.window, "window", "", "calling hours `HH:MM-HH:MM` in the contact's local time; rows outside stay pending")
	fs.StringVar(&l.timezone, "timezone", "", "IANA `ZONE` for --window (default: from the number, where it has one zone)")
	fs.StringVar(&l.timezoneColumn, "timezone-column", "", "`NAME` of a column with each contact's IANA zone for --window")
	fs.StringVar(&l.suppress, "suppress", "", "do-not-call list `FILE`: one number a line, or a CSV with a phone column")
	fs.StringVar(&l.shard, "shard", "", "take only shard `K/N` (K from 0 to N-1, e.g. 0/4); the concurrency is split N ways")
	fs.BoolVar(&l.allowMissingVariables, "allow-missing-variables", false, "go on although the agent's prompt has {variables} that no column fills (Bolna speaks them as written on every call); without it run refuses and check is not ready")
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// validate checks the list's options for command (run or check), the list being the one
// argument left, and sets the fields parsed from them; sandbox names the results apart.
func (l *listOptions) validate(command string, args []string, sandbox bool) error {
	if err := l.takeInput(command, args, sandbox); err != nil {
		return err
	}
	if l.region != "" && !contacts.ValidRegion(l.region) {
		return usageErrorf("%s: --region %q is not a two-letter region code (e.g. IN, US, GB)", command, l.region)
	}
	if l.concurrency < 0 || l.reserve < 0 || l.maxAttempts < 0 || l.limit < 0 || l.retryAfter < 0 {
		return usageErrorf("%s: --concurrency, --reserve, --max-attempts, --limit and --retry-after cannot be negative", command)
	}
	if _, ok := contacts.Encodings[strings.ToLower(strings.TrimSpace(l.encoding))]; l.encoding != "" && !ok {
		return usageErrorf("%s: --encoding %q: want utf-8, utf-16, windows-1252, latin-1 or iso-8859-15", command, l.encoding)
	}
	switch l.delimiter {
	case "", ",", ";", "tab", `\t`, "\t", "|":
	default:
		return usageErrorf("%s: --delimiter %q: want , ; | or tab", command, l.delimiter)
	}
	for _, s := range l.retryList() {
		if !s.Retryable() {
			var names []string
			for _, r := range journal.RetryableStatuses() {
				names = append(names, string(r))
			}
			return usageErrorf("%s: --retry %q: not a status or outcome that can be retried (%s; or the outcomes voicemail, rejected)", command, s, strings.Join(names, ", "))
		}
	}
	if err := l.parseHours(command); err != nil {
		return err
	}
	if l.suppress != "" {
		s, err := store.LoadSuppression(l.suppress, contacts.PhoneNormalizer{Region: l.region})
		if err != nil {
			return err // an *InputError naming the file and line: exit 2
		}
		l.suppression = s
	}
	if header, err := listHeader(l.input, l.load()); err == nil && isResultsHeader(header) {
		return usageErrorf("%s: %s is a results file of bolna-campaign, not a contact list: run as one, it would dial its people again and send its status, summary and recording as user_data. "+
			"Run its campaign's own list again instead (with --retry STATUSES to re-dial some outcomes)", command, l.input)
	}
	return nil
}

// isResultsHeader reports whether header is a results file's: input columns, then status and
// at least two more of the outcome columns (a list whose last column is a CRM's "status" is a
// list).
func isResultsHeader(header []string) bool {
	layout, err := results.ParseHeader(header)
	return err == nil && len(header)-layout.Inputs >= 3
}

// takeInput takes the list from args, the shard, and the results' path (by default beside the
// list, named apart for the sandbox and for each shard).
func (l *listOptions) takeInput(command string, args []string, sandbox bool) error {
	switch {
	case len(args) == 0:
		return usageErrorf("%s: name the contacts CSV, e.g. %s run --sandbox samples/contacts.csv", command, prog)
	case len(args) > 1:
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				return usageErrorf("%s: flags go before the file (%s came after %s)", command, a, args[0])
			}
		}
		return usageErrorf("%s: one contacts file at a time (got %d)", command, len(args))
	}
	l.input = args[0]
	if fi, err := os.Stat(l.input); err != nil {
		return &contacts.InputError{File: l.input, Err: errors.Unwrap(err)}
	} else if fi.IsDir() {
		return &contacts.InputError{File: l.input, Err: errors.New("is a directory, not a contact list")}
	}
	if l.shard != "" {
		shard, err := campaign.ParseShard(l.shard)
		if err != nil {
			return usageErrorf("%s: --shard: %v", command, err)
		}
		l.parsedShard = shard
	}
	if l.resultsPath == "" {
		base := strings.TrimSuffix(l.input, filepath.Ext(l.input))
		if sandbox {
			base += ".sandbox" // never mixed up with a real campaign's results
		}
		if l.parsedShard.N > 1 {
			base += fmt.Sprintf(".shard-%d-of-%d", l.parsedShard.K, l.parsedShard.N)
		}
		l.resultsPath = base + ".results.csv"
	}
	if filepath.Clean(l.resultsPath) == filepath.Clean(l.input) {
		return usageErrorf("%s: --results must not be the contacts file itself", command)
	}
	return nil
}

// parseHours reads --window, --timezone and --timezone-column.
func (l *listOptions) parseHours(command string) error {
	if l.window != "" {
		w, err := campaign.ParseWindow(l.window)
		if err != nil {
			return usageErrorf("%s: --window: %v", command, err)
		}
		l.parsedWindow = &w
	}
	if l.timezone != "" {
		zone, err := contacts.LoadZone(l.timezone)
		if err != nil {
			return usageErrorf("%s: --timezone: %v", command, err)
		}
		l.zone = zone
	}
	if (l.timezone != "" || l.timezoneColumn != "") && l.window == "" {
		return usageErrorf("%s: --timezone and --timezone-column only apply with --window", command)
	}
	return nil
}

func (l *listOptions) delimiterRune() rune {
	switch l.delimiter {
	case "":
		return 0
	case "tab", `\t`:
		return '\t'
	}
	return []rune(l.delimiter)[0]
}

// files is the campaign's files, beside the results.
func (l *listOptions) files() store.Campaign { return store.At(l.resultsPath) }

// load is how the list is read.
func (l *listOptions) load() contacts.LoadOptions {
	return contacts.LoadOptions{PhoneColumn: l.phoneColumn, IDColumn: l.idColumn, Region: l.region, TimezoneColumn: l.timezoneColumn,
		Delimiter: l.delimiterRune(), Encoding: l.encoding}
}

// config is what the list's options mean for a run: what each row needs, and the pool's size.
func (l *listOptions) config() campaign.Config {
	return campaign.Config{
		Load:         l.load(),
		Concurrency:  l.concurrency,
		Reserve:      l.reserve,
		Retry:        l.retryList(),
		RetryResults: l.retryResults(),
		MaxAttempts:  l.maxAttempts,
		RetryAfter:   l.retryAfter,
		Limit:        l.limit,
		Window:       l.parsedWindow,
		Zones:        &contacts.Zones{Default: l.zone},
		Suppress:     l.suppression,
		Shard:        l.parsedShard,
	}
}

// retryList is the statuses --retry names; retryResults the outcomes (voicemail, rejected,
// answered), which are not statuses (see journal.Result).
func (l *listOptions) retryList() []journal.Status {
	var out []journal.Status
	for s := range strings.SplitSeq(l.retry, ",") {
		if s := journal.ParseStatus(s); s != "" && !isResultName(journal.Result(s)) {
			out = append(out, s)
		}
	}
	return out
}

func (l *listOptions) retryResults() []journal.Result {
	var out []journal.Result
	for s := range strings.SplitSeq(l.retry, ",") {
		if r := journal.ParseResult(s); isResultName(r) {
			out = append(out, r)
		}
	}
	return out
}

func isResultName(r journal.Result) bool {
	return r == journal.ResultAnswered || r == journal.ResultVoicemail || r == journal.ResultRejected
}

// stringList is a flag given several times.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// callerIDFlags are run's flags of the caller ids' policy.
func (o *runOptions) callerIDFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.callerIDFallback, "caller-id-fallback", "wait", "with --per-number-concurrency, what a call does while its country's numbers of the pool are all busy: `POLICY` wait (for one of them) or any (take another country's; each such call is logged)")
}

// checkPerNumber checks run's caller id options: --caller-id-fallback, and a
// --per-number-concurrency that this shard cannot keep (see campaign.Config.CheckCallerIDs):
// a limit below the shards leaves some of them no part of some numbers.
func (o *runOptions) checkPerNumber() error {
	if o.callerIDFallback != "wait" && o.callerIDFallback != "any" {
		return usageErrorf("run: --caller-id-fallback %q: want wait or any", o.callerIDFallback)
	}
	cfg := campaign.Config{FromNumbers: o.fromPool, PerNumber: o.perNumber, Shard: o.parsedShard}
	cfg.Load.FromColumn = o.fromColumn
	if err := cfg.CheckCallerIDs(); err != nil {
		return usageErrorf("run: %v", err)
	}
	return nil
}
