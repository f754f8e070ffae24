package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// dryRunList prints the POST /call bodies a run would send, and a summary.
func (o *runOptions) dryRunList(env Env, out *console) error {
	if o.agentID == "" {
		o.agentID = bolnasim.DefaultAgentID
	}
	sess, err := o.files().Inspect(store.ContactFile(o.input), o.format(), o.config(out))
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
	concurrency := max(o.concurrency, 0)
	if acct != nil {
		concurrency = sess.Concurrency(*acct)
	}
	estimate := o.dryRunEstimate(env, plan.Dial, concurrency)
	if o.jsonOut || out.json {
		return o.dryRunDoc(env, out, plan, concurrency, estimate, acct)
	}
	printPlan(env.Stderr, plan)
	o.printEstimate(env, acct, concurrency, estimate)
	return nil
}

// dryRunEstimate is how long dialling n rows would take at concurrency (0: not known) and
// the run's rate.
func (o *runOptions) dryRunEstimate(env Env, n, concurrency int) time.Duration {
	estimate := time.Duration(0)
	if concurrency > 0 {
		waves := (n + concurrency - 1) / concurrency
		estimate = time.Duration(waves) * o.callTime(env)
	}
	if o.rate > 0 {
		estimate = max(estimate, time.Duration(float64(n)/o.rate*float64(time.Second)))
	}
	return estimate
}

// printPlan writes what the dry run found of the list's rows.
func printPlan(e io.Writer, plan campaign.Plan) {
	fmt.Fprintf(e, "dry run: %d %s read, %d valid\n", plan.Rows, human.Plural(plan.Rows, "row", "rows"), plan.Rows-plan.Invalid)
	for _, reason := range sortedKeys(plan.Reasons) {
		fmt.Fprintf(e, "  invalid        %7d  %s\n", plan.Reasons[reason], reason)
	}
	for _, b := range plan.Bad {
		fmt.Fprintf(e, "    line %d: %s\n", b.Line, b.Problem)
	}
	if more := plan.Invalid - len(plan.Bad); more > 0 {
		fmt.Fprintf(e, "    and %d more invalid %s (the results file of a run lists them all)\n", more, human.Plural(more, "row", "rows"))
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
}

// printEstimate writes the account the estimate rests on, and the estimate.
func (o *runOptions) printEstimate(env Env, acct *journal.Account, concurrency int, estimate time.Duration) {
	e := env.Stderr
	var asRecorded string // how old the account's figures are, when they are not fresh
	if acct != nil && !o.sandbox {
		asRecorded = fmt.Sprintf(" (from the account as a run found it %s ago; a run reads it afresh)", human.ShortDuration(time.Since(acct.At).Round(time.Minute)))
	}
	switch {
	case acct != nil && o.sandbox:
		fmt.Fprintf(e, "account (the sandbox's): wallet %s (Bolna reports %s, in cents), concurrency %d of %d in use\n",
			human.Dollars(acct.Wallet), human.Grouped(acct.Wallet), acct.InUse, acct.Concurrency)
	case acct != nil:
		fmt.Fprintf(e, "account, as the latest run found it %s ago (%s; a dry run calls nothing, a run reads it afresh): wallet %s (Bolna reports %s, in cents), concurrency %d of %d in use\n",
			human.ShortDuration(time.Since(acct.At).Round(time.Minute)), acct.At.Format(time.RFC3339), human.Dollars(acct.Wallet), human.Grouped(acct.Wallet), acct.InUse, acct.Concurrency)
		if acct.Concurrency-acct.InUse-o.reserve < 1 && o.concurrency == 0 {
			fmt.Fprintln(e, "  none was free then: a run started with none free dials one call at a time")
		}
	default:
		fmt.Fprintln(e, "account: not known yet (a dry run makes no network call; the first real run records it)")
	}
	switch {
	case estimate > 0 && concurrency > 0:
		fmt.Fprintf(e, "estimate: about %s at concurrency %d and %.3g calls a second, assuming %s a call%s\n",
			estimate.Round(time.Second), concurrency, o.rate, o.callTime(env).Round(100*time.Millisecond), asRecorded)
	case estimate >= time.Second:
		fmt.Fprintf(e, "estimate: at least %s to place them at %.3g a second (pass --concurrency for more)\n",
			human.ShortDuration(estimate.Round(time.Second)), o.rate)
	case estimate > 0:
		fmt.Fprintf(e, "estimate: under a second to place them at %.3g a second, then the calls' own length\n", o.rate)
	}
}

// dryRunDoc writes the dry run's summary for machines: one log record with the plan under
// --log-format json, else (--json) the plan as one JSON object on stderr.
func (o *runOptions) dryRunDoc(env Env, out *console, plan campaign.Plan, concurrency int, estimate time.Duration, acct *journal.Account) error {
	if out.json {
		out.log.Info(fmt.Sprintf("dry run: %d %s read, %d to dial now", plan.Rows, human.Plural(plan.Rows, "row", "rows"), plan.Dial),
			"plan", plan, "concurrency", concurrency, "estimated_seconds", estimate.Seconds(), "account", acct)
		return nil
	}
	return json.NewEncoder(env.Stderr).Encode(struct {
		campaign.Plan
		Concurrency int              `json:"concurrency,omitempty"`
		EstimateSec float64          `json:"estimated_seconds,omitempty"`
		Account     *journal.Account `json:"account,omitempty"`
	}{plan, concurrency, estimate.Seconds(), acct})
}

// callTime is the length of a call the dry run's estimate assumes: assumedCallTime, or the
// sandbox's compressed one.
func (o *connOptions) callTime(env Env) time.Duration {
	if o.sandbox {
		if opts, err := sandboxOptions(o.agents(), env.Getenv); err == nil {
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
		opts, err := sandboxOptions(o.agents(), env.Getenv)
		if err != nil {
			return nil
		}
		return &journal.Account{Wallet: opts.Wallet, Concurrency: opts.Concurrency, At: time.Now().UTC()}
	}
	return st.LastAccount()
}
