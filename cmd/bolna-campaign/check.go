package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// checkCommand does what Bolna's quickstart does before any credit is spent, and more: the key,
// the wallet and the concurrency, the agent (its name and webhook_url), the {variables} of its
// prompt that the list does not supply (Bolna speaks an unfilled one literally), the list's bad
// rows with their lines, and an estimate of the cost and the time. It places no call. It exits
// 0 when a run would dial (warnings allowed: run handles bad rows), 1 when the key, the account
// or the agent is wrong or the prompt has {variables} no column fills (run refuses those too,
// unless --allow-missing-variables), 2 when no row could be dialled or on a usage error, so that
// `check && run` runs whenever run would do something useful.
func checkCommand(args []string, env Env) error {
	fs := newCommand("check", env, helpText{synopsis: "Usage: bolna-campaign check [flags] [CONTACTS.csv]\n\n" +
		"Checks the key, the wallet, the concurrency, the agent and its prompt's {variables}, and the list,\n" +
		"before anything is spent. It places no call. Exit 0: ready (warnings allowed); 1: the key, the\n" +
		"account or the agent is wrong, or its prompt has {variables} no column fills (unless\n" +
		"--allow-missing-variables); 2: no row could be dialled, or a usage error.\n",
		groups: checkGroups})
	var o checkOptions
	o.connOptions.flags(fs, env.Getenv)
	o.listOptions.flags(fs)
	o.guardOptions.ruleFlags(fs)
	o.plan.flags(fs)
	if err := parseArgs(fs, args, "check"); err != nil {
		return err
	}
	if o.plan.detect == "" && (o.plan.arms.armsText != "" || o.plan.baseRate != "" || o.plan.goal != "") {
		return usageErrorf("check: --arms, --base-rate and --goal plan an experiment: give --detect too")
	}
	if fs.NArg() > 1 {
		return usageErrorf("check: one contacts file at most")
	}
	w := env.Stdout
	if o.sandbox && o.agentID == "" {
		o.agentID = bolnasim.DefaultAgentID
	}
	// check's few requests keep to the share of Bolna's limits a run keeps to by default: a
	// check beside a running campaign must not push the account over them.
	client, end, err := env.client(o.connOptions, clientOptions{limits: dialer.DefaultLimits})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer end()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	acct, fatal := checkAccount(ctx, w, client)
	if acct == nil {
		return said(&fatalError{errors.New("check: the key or the account could not be read")})
	}
	variables, agentFatal := o.checkAgent(ctx, w, client)
	fatal = fatal || agentFatal
	var found listFindings
	if fs.NArg() == 1 {
		err := o.listOptions.validate("check", fs.Args(), o.sandbox)
		if err == nil {
			err = o.guardOptions.validate()
		}
		if err == nil {
			found, err = o.checkList(w, variables, acct, env)
		}
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
	}
	if err := o.checkExperiment(w, fs.NArg() == 1, &found); err != nil {
		return err
	}
	return o.verdict(w, fatal, fs.NArg() == 1 && found.dial == 0, found)
}

// verdict writes check's verdict and returns it: nil when a run would dial, else the not
// ready that says why, with its exit code.
func (o *checkOptions) verdict(w io.Writer, fatal, nothing bool, found listFindings) error {
	warnings, missing := found.warnings, found.missing
	switch {
	case fatal:
		fmt.Fprintln(w, "not ready: the key, the account or the agent must be fixed first")
		return said(&fatalError{errors.New("check: not ready")})
	case nothing:
		fmt.Fprintln(w, "not ready: no row of the list can be dialled now")
		return said(usageErrorf("check: not ready: nothing to dial"))
	case missing > 0 && !o.allowMissingVariables:
		fmt.Fprintf(w, "not ready: the agent's prompt has %d {%s} no column fills; run refuses it (add the %s, fix the prompt, or pass --allow-missing-variables to both)\n",
			missing, human.Plural(missing, "variable", "variables"), human.Plural(missing, "column", "columns"))
		return said(&fatalError{errors.New("check: not ready: variables no column fills")})
	case warnings > 0:
		fmt.Fprintf(w, "ready, with %d %s (run dials the good rows and reports the bad ones)\n", warnings, human.Plural(warnings, "warning", "warnings"))
		return nil
	}
	fmt.Fprintln(w, "ready")
	return nil
}

// checkAccount reports the key, the wallet and the concurrency: nil when the key or the
// account cannot be read, and whether the account cannot place calls (an empty wallet).
func checkAccount(ctx context.Context, w io.Writer, client *dialer.Client) (*dialer.Account, bool) {
	acct, err := client.Account(ctx)
	switch {
	case dialer.IsUnauthorized(err):
		fmt.Fprintf(w, "✗ key: refused (%v)\n", err)
		return nil, true
	case err != nil:
		fmt.Fprintf(w, "✗ account: %v\n", err)
		return nil, true
	}
	fmt.Fprintln(w, "✓ key: accepted")
	fmt.Fprintf(w, "  wallet: %s (Bolna reports %s, in cents)\n", human.Dollars(float64(acct.Wallet)), human.Grouped(float64(acct.Wallet)))
	free := acct.Concurrency.Max - acct.Concurrency.Current
	fmt.Fprintf(w, "  concurrency: %d of %d in use, %d free\n", acct.Concurrency.Current, acct.Concurrency.Max, free)
	if acct.Wallet <= 0 {
		fmt.Fprintln(w, "✗ the wallet is empty: every call would end balance-low")
		return acct, true
	}
	return acct, false
}

// checkAgent reports the agent (its name, webhook_url and the {variables} of its prompt),
// and whether it is wrong (not found, or unreadable).
func (o *checkOptions) checkAgent(ctx context.Context, w io.Writer, client *dialer.Client) (variables []string, fatal bool) {
	if o.agentID == "" {
		fmt.Fprintln(w, "  agent: not checked (--agent-id or BOLNA_AGENT_ID)")
		return nil, false
	}
	seen := map[string]bool{}
	for _, id := range o.agents() { // every arm of an experiment
		vars, bad := checkOneAgent(ctx, w, client, id)
		fatal = fatal || bad
		for _, v := range vars { // in a set: a hostile prompt has hundreds of thousands
			if !seen[v] {
				seen[v] = true
				variables = append(variables, v)
			}
		}
	}
	return variables, fatal
}

// checkOneAgent reports the agent id, as checkAgent.
func checkOneAgent(ctx context.Context, w io.Writer, client *dialer.Client, id string) (variables []string, fatal bool) {
	agent, err := client.Agent(ctx, id)
	switch {
	case dialer.IsNotFound(err):
		fmt.Fprintf(w, "✗ agent %s: not found (or another account's)\n", id)
		return nil, true
	case err != nil:
		fmt.Fprintf(w, "✗ agent %s: %v\n", id, err)
		return nil, true
	}
	fmt.Fprintf(w, "✓ agent: %s (%s)\n", orDash(agent.Name), id)
	if agent.WebhookURL == "" {
		fmt.Fprintln(w, "  webhook_url: none (run --webhook-listen can receive Bolna's pushes: see the README)")
	} else {
		fmt.Fprintf(w, "  webhook_url: %s\n", hostOf(agent.WebhookURL))
	}
	variables = agent.Variables()
	if len(variables) > 0 {
		fmt.Fprintf(w, "  variables of its prompt and welcome message: %s\n", someNames(variables, ", "))
	}
	return variables, false
}

// checkOptions are the flags of check: where the calls would go, and the list.
type checkOptions struct {
	connOptions
	listOptions
	guardOptions // the history and its rules: what a run would skip
	plan         checkPlanFlags
}

// listFindings is what checkList found: the warnings (missing variables, bad rows), the prompt's
// variables no column fills, the rows to dial now, and the rows that can be dialled at all
// (neither invalid, duplicate nor suppressed).
type listFindings struct{ warnings, missing, dial, dialable int }

// checkList reports the list: the variables it does not supply, its bad rows with their
// lines, and an estimate.
func (o *checkOptions) checkList(w io.Writer, variables []string, acct *dialer.Account, env Env) (listFindings, error) {
	var found listFindings
	header, err := listHeader(o.input, o.load())
	if err != nil {
		return found, err
	}
	if missing := missingVariables(variables, header); len(missing) > 0 {
		found.missing = len(missing)
		fmt.Fprintf(w, "✗ %s: no column for %s: Bolna would speak {%s} as written; add %s to the list\n",
			o.input, someNames(missing, ", "), someNames(missing, "}, {"), human.Plural(len(missing), "that column", "those columns"))
		for _, hint := range caseHints(missing, header) {
			fmt.Fprintf(w, "    %s\n", hint)
		}
		found.warnings++
	}
	cfg := o.config()
	cfg.AgentID = o.agentID
	sess, err := o.files().Inspect(store.ContactFile(o.input), store.FormatOf(results.Format{}), cfg)
	if err != nil {
		return found, err
	}
	defer sess.Close()
	var phones []string
	plan, err := sess.DryRun(func(r dialer.CallRequest) error {
		phones = append(phones, r.RecipientPhoneNumber)
		return nil
	})
	if err != nil {
		return found, err
	}
	fmt.Fprintf(w, "%s %s: %d %s, %d to dial now, %d invalid, %d %s, %d done earlier\n", mark(plan.Invalid == 0), o.input,
		plan.Rows, human.Plural(plan.Rows, "row", "rows"), plan.Dial, plan.Invalid, plan.Duplicates, human.Plural(plan.Duplicates, "duplicate", "duplicates"), plan.Done)
	for _, b := range plan.Bad {
		fmt.Fprintf(w, "    line %d: %s\n", b.Line, b.Problem)
	}
	if plan.Invalid > 0 {
		found.warnings++
	}
	skipped := o.checkHistory(w, env, sess.State().Campaign(), phones)
	slots := sess.Concurrency(journal.Account{Concurrency: acct.Concurrency.Max, InUse: acct.Concurrency.Current})
	waves := (plan.Dial + slots - 1) / max(slots, 1)
	fmt.Fprintf(w, "  estimate: about %s at concurrency %d, assuming %s a call", (time.Duration(waves) * o.callTime(env)).Round(time.Second), slots, o.callTime(env))
	if s := sess.State().Standing(); s.Attempts > 0 {
		per := s.Spent / float64(s.Attempts)
		fmt.Fprintf(w, "; about %s, at this campaign's %s a call so far", dollarsOf(per*float64(plan.Dial)), dollarsOf(per))
	}
	fmt.Fprintln(w)
	found.dial = plan.Dial - skipped // none left: run would dial nothing
	found.dialable = plan.Rows - plan.Invalid - plan.Duplicates - plan.Suppressed
	return found, nil
}

// caseHints says, for each missing variable that a column supplies but for its case, that
// Bolna's variables are case-sensitive (a Name column does not fill {name}).
func caseHints(missing, header []string) []string {
	columns := map[string]string{}
	for _, h := range header {
		columns[strings.ToLower(h)] = h
	}
	var out []string
	for _, v := range missing {
		if col, ok := columns[strings.ToLower(v)]; ok {
			out = append(out, fmt.Sprintf("the list has %q, but Bolna's variables are case-sensitive: rename the column to %q (or the variable to {%s})", col, v, col))
		}
		if len(out) == maxNamesShown {
			break
		}
	}
	return out
}

// listHeader reads the column names of a contact list.
func listHeader(path string, opts contacts.LoadOptions) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &contacts.InputError{File: path, Err: err}
	}
	defer f.Close()
	l, err := contacts.NewLoader(f, path, opts)
	if err != nil {
		return nil, err
	}
	return l.Header(), nil
}

// missingVariables are the agent's variables that no column of header supplies (an exact,
// case-sensitive match, as Bolna fills them).
func missingVariables(variables, header []string) []string {
	var missing []string
	columns := map[string]bool{}
	for _, h := range header {
		columns[h] = true
	}
	for _, v := range variables {
		if !columns[v] {
			missing = append(missing, v)
		}
	}
	return missing
}

// maxNamesShown caps a list of names in one line: a prompt may hold thousands of variables.
const maxNamesShown = 20

// someNames joins the first maxNamesShown of names with sep, and says how many more there are.
func someNames(names []string, sep string) string {
	if len(names) <= maxNamesShown {
		return strings.Join(names, sep)
	}
	return fmt.Sprintf("%s … and %d more", strings.Join(names[:maxNamesShown], sep), len(names)-maxNamesShown)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func dollarsOf(cents float64) string { return human.Dollars(cents) }

func orDash(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}

// hostOf shows a URL by its scheme and host only: its path may hold a secret token.
func hostOf(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		return raw[:i+3] + rest + "/…"
	}
	return "(not a URL)"
}
