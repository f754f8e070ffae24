package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
)

// asksHistory reports whether report's arguments ask for the account's history (--history, or
// --history=DSN) rather than results files.
func asksHistory(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "history" {
			return true
		}
	}
	return false
}

// historyChoice is report's --history: alone, the history BOLNA_HISTORY or the default names;
// --history=DSN names one.
type historyChoice struct {
	on  bool
	dsn string
}

func (h *historyChoice) String() string   { return "" }
func (h *historyChoice) IsBoolFlag() bool { return true }
func (h *historyChoice) Set(v string) error {
	h.on = true
	if v != "true" {
		h.dsn = v
	}
	return nil
}

// historyReport is report --history's answer, as --json prints it.
type historyReport struct {
	History string              `json:"history"`
	Since   time.Time           `json:"since"`
	By      history.By          `json:"by"`
	Groups  []history.ReportRow `json:"groups"`
	Total   history.ReportRow   `json:"total"`
}

// reportHistoryCommand aggregates the account's attempts since a time, by campaign, agent,
// caller id or hour of the day, in SQL: every campaign of the account, whatever machine ran it,
// without reading a results file. It reads the history as it is (nothing created or upgraded).
func reportHistoryCommand(args []string, env Env) error {
	fs := newCommand("report", env, helpText{synopsis: "Usage: bolna-campaign report --history[=DSN] [--since 7d] [--by campaign|agent_id|from_number|hour] [--json]\n\n" +
		"The account's calls since a time, from the history (every campaign's, every machine's), grouped.\n"})
	var h historyChoice
	fs.Var(&h, "history", "report from the account's history (BOLNA_HISTORY, else the default one; --history=DSN names one)")
	since := fs.String("since", "7d", "the attempts reserved within this `PERIOD` before now (a duration such as 36h, or days such as 7d)")
	by := fs.String("by", string(history.ByCampaign), "group by `KEY`: campaign, agent_id, from_number or hour (UTC, of the placement)")
	jsonOut := fs.Bool("json", false, "print the report as one JSON object on stdout")
	format := fs.String("format", "text", "`text` or json (the same as --json)")
	if err := parseArgs(fs, args, "report"); err != nil {
		return err
	}
	period, err := parsePeriod(*since)
	key := history.By(*by)
	if strings.EqualFold(*by, "agent") {
		key = history.ByAgent
	}
	switch {
	case fs.NArg() > 0:
		err = usageErrorf("report --history reads no results file (%s); --history=DSN names a history", fs.Arg(0))
	case err != nil:
		err = usageErrorf("--since: %v", err)
	case *format != "text" && *format != "json":
		err = usageErrorf("--format %q: want text or json", *format)
	case key != history.ByCampaign && key != history.ByAgent && key != history.ByFromNumber && key != history.ByHour:
		err = usageErrorf("--by %q: want campaign, agent_id, from_number or hour", *by)
	}
	if err != nil {
		return failHistory("report", err)
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	rep := historyReport{Since: time.Now().Add(-period).UTC().Truncate(time.Second), By: key}
	store, err := openHistory(ctx, env, h.dsn, false, historyRead)
	if err == nil {
		defer store.Close()
		rep.History = store.Where()
		rep.Groups, err = store.Report(ctx, rep.Since, key)
	} else if errors.Is(err, errNoHistory) {
		rep.History, err = "none yet", nil
	}
	if err != nil {
		return failHistory("report", err)
	}
	for _, g := range rep.Groups {
		rep.Total.Attempts, rep.Total.Reached, rep.Total.Answered, rep.Total.Cost =
			rep.Total.Attempts+g.Attempts, rep.Total.Reached+g.Reached, rep.Total.Answered+g.Answered, rep.Total.Cost+g.Cost
	}
	rep.Total.Key = "total"
	if *jsonOut || *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return failHistory("report", err)
		}
		return nil
	}
	writeHistoryReport(env, rep)
	return nil
}

// writeHistoryReport writes the report as a table.
func writeHistoryReport(env Env, rep historyReport) {
	fmt.Fprintf(env.Stdout, "the account's history %s: calls since %s, by %s\n", rep.History, rep.Since.Format(time.RFC3339), rep.By)
	if len(rep.Groups) == 0 {
		fmt.Fprintln(env.Stdout, "no call in that time")
		return
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "%s\tattempts\treached\tanswered\tanswer rate\tcost\t\n", rep.By)
	for _, g := range append(rep.Groups, rep.Total) {
		rate := "-"
		if g.Attempts > 0 {
			rate = fmt.Sprintf("%.1f%%", 100*float64(g.Answered)/float64(g.Attempts))
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\t\n", dash(g.Key), g.Attempts, g.Reached, g.Answered, rate, dollarsOf(g.Cost))
	}
	w.Flush()
	fmt.Fprintln(env.Stdout, "attempts: every reserved call but those that never left (voided); reached: answered by a person or a voicemail; cost in dollars (Bolna's cents / 100)")
}
