package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// The history's commands join "did you mean" here rather than in flags.go's list.
func init() { commands = append(commands, "history", "dnc", "pause", "resume") }

// historyFlag adds --history to fs. Its default is resolved after parsing (see historyDSN):
// never shown in the help, since BOLNA_HISTORY may hold a PostgreSQL password.
func historyFlag(fs *flag.FlagSet) *string {
	return fs.String("history", "", "the account's history: a file, sqlite:PATH or postgres://… (env BOLNA_HISTORY; default\n$XDG_STATE_HOME/bolna-campaign/history.db, else ~/.local/state/bolna-campaign/history.db)")
}

// commandContext is cancelled by the first SIGINT/SIGTERM.
func commandContext(env Env) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-env.Signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// failHistory is a history command's error, said after the command's name; its exit code is
// exitCode's, as for any command (130 interrupted, 2 a usage mistake, a number, file or journal
// that cannot be used, the wrong history; else 1). It decided codes of its own, and made a
// newer journal exit 1 where the README says 2.
func failHistory(command string, err error) error { return &commandError{command, err} }

// historyCommand shows every call to a person across the account's campaigns, or (history
// import) loads results files of campaigns run before the history existed.
func historyCommand(args []string, env Env) error {
	if len(args) > 0 && args[0] == "import" {
		return historyImportCommand(args[1:], env)
	}
	fs := newCommand("history", env, helpText{synopsis: "Usage: bolna-campaign history [flags] PHONE\n       bolna-campaign history import [flags] RESULTS.csv…\n\nEvery call to a person across the account's campaigns, with execution ids; import loads the\nresults files of campaigns run before the history existed.\n"})
	dsn := historyFlag(fs)
	region := fs.String("region", "", "two-letter region for a national number")
	jsonOut := fs.Bool("json", false, "print the calls as JSON on stdout")
	if err := parseArgs(fs, args, "history"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return failHistory("history", usageErrorf("name one phone number, e.g. %s history +919876543210", prog))
	}
	phone, problem := contacts.PhoneNormalizer{Region: *region}.Normalize(fs.Arg(0))
	if problem != "" {
		return failHistory("history", usageErrorf("%s", problem))
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	store, err := openHistory(ctx, env, *dsn, false, historyWrite)
	if err != nil {
		return failHistory("history", err)
	}
	defer store.Close()
	entries, err := store.PersonHistory(ctx, phone)
	if err != nil {
		return failHistory("history", err)
	}
	if *jsonOut {
		json.NewEncoder(env.Stdout).Encode(entries)
		return nil
	}
	printPersonHistory(env, phone, entries)
	return nil
}

// printPersonHistory writes a person's calls as a table.
func printPersonHistory(env Env, phone string, entries []history.Entry) {
	if len(entries) == 0 {
		fmt.Fprintf(env.Stdout, "%s: no call on the account\n", phone)
		return
	}
	fmt.Fprintf(env.Stdout, "%s: %d %s on the account\n", phone, len(entries), human.Plural(len(entries), "attempt", "attempts"))
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "reserved\tcampaign\tattempt\tstate\tstatus\toutcome\texecution_id\tcost\ttalk\tfrom\tagent\tresults")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%.2f\t%.0fs\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Campaign, e.Number,
			e.State, dash(e.Status), dash(e.Result), dash(e.ExecutionID), e.Cost, e.Talk, dash(e.From), dash(e.Agent), dash(e.Results))
	}
	w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return dialer.Printable(s)
}

// historyImportCommand loads results files into the history: one call a dialled row (its
// latest attempt: a results file keeps no other), under the campaign id of the journal beside
// the file (or one made from the file's path when it has none). Importing twice adds nothing.
func historyImportCommand(args []string, env Env) error {
	fs := newCommand("history import", env, helpText{synopsis: "Usage: bolna-campaign history import [flags] RESULTS.csv…\n\nLoads results files of campaigns run before the history existed (each dialled row's latest\ncall). Importing a file again adds nothing.\n"})
	dsn := historyFlag(fs)
	region := fs.String("region", "", "two-letter region for national numbers in the files")
	phoneColumn := fs.String("phone-column", "", "the phone column (default: the first of "+strings.Join(contacts.PhoneColumns, ", ")+")")
	if err := parseArgs(fs, args, "history import"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return failHistory("history import", usageErrorf("name results files, e.g. %s history import contacts.results.csv", prog))
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	store, err := openHistory(ctx, env, *dsn, false, historyWrite)
	if err != nil {
		return failHistory("history import", err)
	}
	defer store.Close()
	norm := contacts.PhoneNormalizer{Region: *region}
	for _, path := range fs.Args() {
		entries, campaignID, skipped, err := importEntries(path, *phoneColumn, norm)
		if err != nil {
			return failHistory("history import", err)
		}
		added, err := store.Import(ctx, entries)
		if err != nil {
			return failHistory("history import", err)
		}
		fmt.Fprintf(env.Stdout, "%s: %d %s added to the history as campaign %s (%d already there)", path, added,
			human.Plural(added, "call", "calls"), campaignID, len(entries)-added)
		if skipped > 0 {
			fmt.Fprintf(env.Stdout, "; %d %s with no usable phone number skipped", skipped, human.Plural(skipped, "row", "rows"))
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

// importEntries reads a results file's dialled rows as history entries.
func importEntries(path, phoneColumn string, norm contacts.PhoneNormalizer) (entries []history.Entry, campaignID string, skipped int, err error) {
	rows, err := results.ReadFile(path)
	if err != nil {
		return nil, "", 0, &contacts.InputError{File: path, Err: err}
	}
	abs, _ := filepath.Abs(path)
	campaignID, agent, err := importCampaign(abs)
	if err != nil {
		return nil, "", 0, err
	}
	for _, row := range rows {
		o := row.Outcome
		if o.Attempts == 0 && o.ExecutionID == "" {
			continue // never dialled
		}
		phone, problem := norm.Normalize(rowPhone(row.Input, phoneColumn))
		if problem != "" {
			skipped++
			continue
		}
		state := history.StatePlaced
		if o.Settled() {
			state = history.StateSettled
		}
		if o.AgentID == "" {
			o.AgentID = agent
		}
		e := history.Entry{State: state,
			Attempt: history.Attempt{Campaign: campaignID, Results: abs, Agent: o.AgentID, Phone: phone,
				From: o.From, Number: max(o.Attempts, 1), At: o.DialedAt},
			Outcome: history.Outcome{ExecutionID: o.ExecutionID, Status: string(o.Status), Result: string(o.Result()),
				Cost: o.Cost, Talk: o.Duration, Ended: o.FinishedAt}}
		entries = append(entries, e)
	}
	return entries, campaignID, skipped, nil
}

// importCampaign is the campaign id of a results file: its journal's, else one made from its
// path when it has none (so a second import of the file finds the same id). A journal that
// cannot be read is an error: the campaign's runs record under its id.
func importCampaign(abs string) (id, agent string, err error) {
	path := store.At(abs).StatePath()
	if _, err := os.Stat(path); err == nil {
		st, err := journal.ReadState(path)
		if err != nil {
			return "", "", err
		}
		if st.Campaign() != "" {
			return st.Campaign(), st.Owner().Agent, nil
		}
	}
	sum := sha256.Sum256([]byte(abs))
	return "import-" + hex.EncodeToString(sum[:6]), "", nil
}

// rowPhone is the phone cell of a results row: the named column, else the first of the
// usual names (any case).
func rowPhone(input map[string]string, column string) string {
	names := contacts.PhoneColumns
	if column != "" {
		names = []string{column}
	}
	for _, name := range names {
		for k, v := range input {
			if strings.EqualFold(strings.TrimSpace(k), name) {
				return v
			}
		}
	}
	return ""
}
