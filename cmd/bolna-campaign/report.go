package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/bolna-campaign/bolna-campaign/results"
)

// reportCommand summarises one or more results files (the shards of one campaign, say): a
// table in the terminal, JSON with --json, a self-contained HTML page with --html.
func reportCommand(args []string, env Env) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	jsonOut := fs.Bool("json", false, "print the report as one JSON object on stdout")
	htmlOut := fs.String("html", "", "also write the report as a self-contained HTML page to this file")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: bolna-campaign report [flags] RESULTS.csv...\n\nSummarises results files; several files (shards) merge.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err, nil)
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "bolna-campaign: report: name one or more results files")
		return exitUsage
	}
	r, err := results.ReadReport(fs.Args()...)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bolna-campaign: report: %v\n", err)
		return exitUsage
	}
	if *htmlOut != "" {
		if err := writeHTML(*htmlOut, r); err != nil {
			fmt.Fprintf(env.Stderr, "bolna-campaign: report: %v\n", err)
			return exitFatal
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return exitFatal
		}
		return exitOK
	}
	r.WriteText(env.Stdout)
	if *htmlOut != "" {
		fmt.Fprintf(env.Stdout, "\nHTML report: %s\n", *htmlOut)
	}
	return exitOK
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
