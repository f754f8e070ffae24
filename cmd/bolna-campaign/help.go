package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/human"
)

// flagGroup is a heading of a command's help and the flags under it, in order.
type flagGroup struct {
	title string
	names []string
}

// runGroups are the groups of run's flags.
var runGroups = []flagGroup{
	{"Connection", []string{"agent-id", "base-url", "from-number", "from-numbers", "from-number-column", "per-number-concurrency", "caller-id-fallback", "sandbox", "webhook-listen", "webhook-forward"}},
	{"Input", []string{"phone-column", "id-column", "delimiter", "encoding", "region", "suppress", "shard"}},
	{"Pacing", []string{"concurrency", "reserve", "rate", "api-share", "poll-interval", "max-wait", "list-lag"}},
	{"Safety", []string{"limit", "retry", "max-attempts", "retry-after", "window", "timezone", "timezone-column", "max-cost", "halt-after"}},
	{"The account's history", []string{"history", "min-gap", "max-calls", "max-cost-per-day"}},
	{"Output", []string{"results", "results-format", "goal", "notify", "safe-cells", "dry-run", "json", "log-format"}},
	{"Experiment", []string{"arms", "stop-losers", "stratify"}},
	{"Live status", []string{"status-listen", "status-listen-public", "metrics-file"}},
}

// checkGroups are the groups of check's flags: the part of run's that says what a run would
// dial and how long it would take.
var checkGroups = []flagGroup{
	{"Connection", []string{"agent-id", "base-url", "sandbox"}},
	runGroups[1],
	{"What a run would dial now", []string{"results", "limit", "retry", "max-attempts", "retry-after", "window", "timezone", "timezone-column"}},
	{"Estimate", []string{"concurrency", "reserve"}},
	{"Experiment plan", []string{"arms", "detect", "base-rate", "goal"}},
}

const runExamples = `Examples:
  # try it with no account: a built-in fake Bolna
  bolna-campaign run --sandbox samples/contacts.csv

  # look first: what would be dialled, with every bad row and its line (no network)
  bolna-campaign run --dry-run --agent-id $AGENT contacts.csv > bodies.jsonl

  # a pilot on the first 20 rows, then the rest
  bolna-campaign run --agent-id $AGENT --limit 20 contacts.csv
  bolna-campaign run --agent-id $AGENT contacts.csv

  # from cron: calling hours, do-not-call, retries of the unanswered
  bolna-campaign run --agent-id $AGENT --window 09:00-21:00 --suppress dnc.txt \
      --retry no-answer,busy --max-attempts 3 --retry-after 2h contacts.csv
`

// helpWidth is the widest line of a command's help.
const helpWidth = 100

// helpText is what a command's -h prints: its synopsis, its flags (in groups, if any) and
// examples.
type helpText struct {
	synopsis string
	groups   []flagGroup
	examples string
}

// newCommand is the flag set of a subcommand: errors and help on stderr, help as given.
func newCommand(name string, env Env, help helpText) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { printUsage(fs.Output(), fs, help) }
	return fs
}

// printUsage writes a command's help: the synopsis, the flags by group as --name VALUE, and
// examples. Flags in no group come last, under "Other" (or "Flags" when there are no groups).
func printUsage(w io.Writer, fs *flag.FlagSet, help helpText) {
	synopsis, groups, examples := help.synopsis, help.groups, help.examples
	fmt.Fprint(w, synopsis)
	seen := map[string]bool{}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, name := range g.names {
			if f := fs.Lookup(name); f != nil {
				printFlag(w, f)
				seen[name] = true
			}
		}
	}
	var other []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !seen[f.Name] {
			other = append(other, f)
		}
	})
	if len(other) > 0 {
		if len(groups) > 0 {
			fmt.Fprint(w, "\nOther:\n")
		} else {
			fmt.Fprint(w, "\nFlags:\n")
		}
		slices.SortFunc(other, func(a, b *flag.Flag) int { return strings.Compare(a.Name, b.Name) })
		for _, f := range other {
			printFlag(w, f)
		}
	}
	if examples != "" {
		fmt.Fprint(w, "\n"+examples)
	}
}

// printFlag writes one flag as --name VALUE, its usage and its default, wrapped to helpWidth
// under a hanging indent. Values are named alike across commands: N for numbers, DURATION,
// FILE, NAME.
func printFlag(w io.Writer, f *flag.Flag) {
	name, usage := flag.UnquoteUsage(f)
	switch name {
	case "int", "uint", "float":
		name = "N"
	}
	left := "  --" + f.Name
	if name != "" {
		left += " " + strings.ToUpper(name)
	}
	text := usage
	if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
		text += fmt.Sprintf(" (default %s)", shortDuration(f.DefValue))
	}
	const indent = 26
	line := fmt.Sprintf("%-*s", indent, left)
	if len(left) > indent-2 {
		fmt.Fprintln(w, left)
		line = strings.Repeat(" ", indent)
	}
	for _, word := range strings.Fields(text) {
		if len(line) > indent && len(line)+1+len(word) > helpWidth {
			fmt.Fprintln(w, line)
			line = strings.Repeat(" ", indent)
		}
		if len(line) > indent {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}

// shortDuration writes a duration flag's default as people write it (30m, not 30m0s); a
// default that is not a duration is left as it is.
func shortDuration(s string) string {
	if d, err := time.ParseDuration(s); err == nil {
		return human.ShortDuration(d)
	}
	return s
}
