package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// reportCommand summarises one or more results files (the shards of one campaign, say): a
// table in the terminal, JSON with --json, a self-contained HTML page with --html.
func reportCommand(args []string, env Env) error {
	if asksHistory(args) {
		return reportHistoryCommand(args, env)
	}
	fs := newCommand("report", env, helpText{synopsis: "Usage: bolna-campaign report [flags] RESULTS.csv...\n" +
		"       bolna-campaign report --history[=DSN] [--since 7d]\n" +
		"                             [--by campaign|agent_id|from_number|hour] [--json]\n\n" +
		"Summarises results files; several files (shards) merge. With --history, the account's calls from\n" +
		"its history instead, every campaign's ('report --history --help' lists its flags).\n"})
	jsonOut := fs.Bool("json", false, "print the report as one JSON object on stdout")
	csvOut := fs.String("csv", "", "also write the rows to chase and the invalid rows, with their reasons, as a CSV to fix and feed back, to this `FILE`")
	byFlag := fs.String("by", "", "break outcomes and the answer rate down by this input `COLUMN` (clinic, city, agent_id), with 95% intervals and whether the groups differ beyond chance")
	goalFlag := fs.String("goal", "", "the campaign's conversion `KEY=VALUE`: rows whose extracted KEY is VALUE (e.g. confirmed=yes), as a rate of the rows dialled and a cost per goal")
	htmlOut := fs.String("html", "", "also write the report as a self-contained HTML page to this .html file (never over anything but an earlier report)")
	plan := addPlanFlags(fs)
	if err := parseArgs(fs, args, "report"); err != nil {
		return err
	}
	if plan.plan {
		return planCommand(plan, fs.Args(), *goalFlag, *jsonOut, env)
	}
	if fs.NArg() == 0 {
		return usageErrorf("report: name one or more results files")
	}
	if *htmlOut != "" {
		if err := checkHTMLPath(*htmlOut, fs.Args()); err != nil {
			return &usageError{fmt.Errorf("report: %w", err)}
		}
	}
	if *csvOut != "" {
		if err := checkCSVPath(*csvOut, fs.Args()); err != nil {
			return &usageError{fmt.Errorf("report: %w", err)}
		}
	}
	var goal *results.Goal
	if *goalFlag != "" {
		g, err := results.ParseGoal(*goalFlag)
		if err != nil {
			return &usageError{fmt.Errorf("report: %w", err)}
		}
		goal = g
	}
	by := *byFlag
	if strings.EqualFold(by, "agent") {
		by = "agent_id"
	}
	r, err := results.ReadCampaigns(by, goal, journalCampaign, fs.Args()...)
	if err != nil {
		return &usageError{fmt.Errorf("report: %w", err)}
	}
	if *htmlOut != "" {
		if err := writeHTML(*htmlOut, r); err != nil {
			return &fatalError{fmt.Errorf("report: %w", err)}
		}
	}
	if *csvOut != "" {
		n, err := writeToFix(*csvOut, fs.Args())
		if err != nil {
			return &fatalError{fmt.Errorf("report: %w", err)}
		}
		newConsole(env, "text").logf("report: %d %s to act on written to %s", n, human.Plural(n, "row", "rows"), *csvOut)
	}
	if *jsonOut {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return &fatalError{fmt.Errorf("report: %w", err)}
		}
		return nil
	}
	r.Command = prog
	r.WriteText(env.Stdout)
	if *htmlOut != "" {
		fmt.Fprintf(env.Stdout, "\nHTML report: %s\n", *htmlOut)
	}
	return nil
}

// journalCampaign is the id of the campaign whose journal is beside the results file at path
// ("" when it has none, or it cannot be read): how a report tells merged files' campaigns
// apart.
func journalCampaign(path string) string {
	st, err := journal.ReadState(store.At(path).StatePath())
	if err != nil {
		return ""
	}
	return st.Standing().Campaign
}

// checkHTMLPath refuses an --html path that would destroy something: a file that is not a
// report this tool wrote (a results file taken for the output, say, as in
// `report --html results/*.results.csv`), one of the inputs, or a name that is not .html.
func checkHTMLPath(path string, inputs []string) error {
	hint := fmt.Sprintf("name the page first, e.g. %s report --html %s %s", prog, results.ReportPath(inputs), strings.Join(inputs, " "))
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".html" {
		return fmt.Errorf("--html %s: the page's name must end in .html (%s)", path, hint)
	}
	return refuseOverwrite("--html", path, inputs, "a report", hint, func(f *os.File) bool {
		head := make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		return bytes.Contains(head[:n], []byte(results.HTMLMarker))
	})
}

// checkCSVPath refuses a --csv path that is one of the inputs or an existing file that is not
// an earlier export (a results file, a contact list).
func checkCSVPath(path string, inputs []string) error {
	return refuseOverwrite("--csv", path, inputs, "an export", "choose a new file", func(f *os.File) bool {
		header, _ := csv.NewReader(f).Read()
		n := len(results.ExportColumns)
		return len(header) >= n && slices.Equal(header[len(header)-n:], results.ExportColumns)
	})
}

// refuseOverwrite is an error when path is one of the inputs, or exists and ours does not say
// it is what the flag writes (what); a path that does not exist is fine.
func refuseOverwrite(flag, path string, inputs []string, what, hint string, ours func(*os.File) bool) error {
	for _, in := range inputs {
		if filepath.Clean(in) == filepath.Clean(path) {
			return fmt.Errorf("%s %s is one of the results files to read", flag, path)
		}
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if !ours(f) {
		return fmt.Errorf("%s %s exists and is not %s of bolna-campaign: refusing to overwrite it (%s)", flag, path, what, hint)
	}
	return nil
}

// writeToFix writes the export with mode 0600: it lists people's numbers.
func writeToFix(path string, inputs []string) (int, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := results.WriteToFix(f, inputs)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// writeHTML writes the page with mode 0600: it lists people's numbers.
func writeHTML(path string, r *results.Report) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := r.WriteHTML(f, time.Now()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
