package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

const dncSynopsis = `Usage: bolna-campaign dnc add [flags] PHONE…
       bolna-campaign dnc remove [flags] PHONE…
       bolna-campaign dnc list [flags]
       bolna-campaign dnc import [flags] FILE…

The account's do-not-call list, kept in the history: no campaign of the account dials a number
on it. import reads files of one number a line (# comments), or CSVs with a phone column.
`

// dncCommand edits and shows the account's do-not-call list.
func dncCommand(args []string, env Env) error {
	verbs := []string{"add", "remove", "list", "import"}
	if len(args) == 0 || !slices.Contains(verbs, args[0]) {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(env.Stderr, dncSynopsis)
			return flag.ErrHelp
		}
		return failHistory("dnc", usageErrorf("say add, remove, list or import, e.g. %s dnc add +919876543210", prog))
	}
	verb := args[0]
	fs := newCommand("dnc "+verb, env, helpText{synopsis: dncSynopsis})
	dsn := historyFlag(fs)
	region := fs.String("region", "", "two-letter region for national numbers")
	reason := fs.String("reason", "", "why the numbers are added (kept with them)")
	jsonOut := fs.Bool("json", false, "list: print the list as JSON on stdout")
	if err := parseArgs(fs, args[1:], "dnc "+verb); err != nil {
		return err
	}
	if (verb == "list") != (fs.NArg() == 0) {
		return failHistory("dnc "+verb, usageErrorf("%s", map[bool]string{true: "takes no arguments", false: "name the numbers or files"}[verb == "list"]))
	}
	norm := contacts.PhoneNormalizer{Region: *region}
	var phones []string
	var err error
	switch verb {
	case "add", "remove":
		phones, err = normalizeAll(fs.Args(), norm)
	case "import":
		phones, err = readNumberFiles(fs.Args(), norm)
	}
	if err != nil {
		return failHistory("dnc "+verb, err)
	}
	ctx, cancel := commandContext(env)
	defer cancel()
	store, err := openHistory(ctx, env, *dsn, false, historyWrite)
	if err != nil {
		return failHistory("dnc "+verb, err)
	}
	defer store.Close()
	switch verb {
	case "add", "import":
		n, err := store.AddDoNotCall(ctx, *reason, time.Now(), phones...)
		if err != nil {
			return failHistory("dnc "+verb, err)
		}
		fmt.Fprintf(env.Stdout, "%d %s added to the do-not-call list (%d already on it)\n", n, human.Plural(n, "number", "numbers"), len(phones)-n)
	case "remove":
		n, err := store.RemoveDoNotCall(ctx, phones...)
		if err != nil {
			return failHistory("dnc "+verb, err)
		}
		fmt.Fprintf(env.Stdout, "%d %s removed from the do-not-call list (%d were not on it)\n", n, human.Plural(n, "number", "numbers"), len(phones)-n)
	default:
		return listDoNotCall(ctx, env, store, *jsonOut)
	}
	return nil
}

// listDoNotCall prints the do-not-call list.
func listDoNotCall(ctx context.Context, env Env, store *history.Store, jsonOut bool) error {
	list, err := store.DoNotCall(ctx)
	if err != nil {
		return failHistory("dnc list", err)
	}
	if jsonOut {
		json.NewEncoder(env.Stdout).Encode(list)
		return nil
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, e := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\n", e.Phone, e.Added.Format(time.RFC3339), dialer.Printable(e.Reason))
	}
	w.Flush()
	fmt.Fprintf(env.Stderr, "%d %s on the do-not-call list\n", len(list), human.Plural(len(list), "number", "numbers"))
	return nil
}

// normalizeAll turns numbers as typed into E.164, refusing the first that is not a number.
func normalizeAll(raw []string, norm contacts.PhoneNormalizer) ([]string, error) {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		e164, problem := norm.Normalize(r)
		if problem != "" {
			return nil, usageErrorf("%s", problem)
		}
		out = append(out, e164)
	}
	return out, nil
}

// readNumberFiles reads do-not-call files: one number a line (blank lines and # comments
// skipped), or a CSV whose header names a phone column. A line that is not a number is an
// error: an entry silently skipped would be a person called against their wish.
func readNumberFiles(paths []string, norm contacts.PhoneNormalizer) ([]string, error) {
	var out []string
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, &contacts.InputError{File: path, Err: err}
		}
		numbers, err := readNumbers(f, path, norm)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, numbers...)
	}
	return out, nil
}

func readNumbers(f *os.File, path string, norm contacts.PhoneNormalizer) ([]string, error) {
	br := bufio.NewReader(f)
	first, _ := br.Peek(4096)
	firstLine, _, _ := strings.Cut(strings.TrimPrefix(string(first), "\ufeff"), "\n")
	if namesPhoneColumn(firstLine) {
		l, err := contacts.NewLoader(br, path, contacts.LoadOptions{Region: norm.Region})
		if err != nil {
			return nil, err
		}
		var out []string
		for row, err := range l.All() {
			if err != nil {
				return nil, err
			}
			if row.Problem != "" {
				return nil, &contacts.InputError{File: path, Line: row.Line, Err: errors.New(row.Problem)}
			}
			out = append(out, row.Phone)
		}
		return out, nil
	}
	var out []string
	sc := bufio.NewScanner(br)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		e164, problem := norm.Normalize(text)
		if problem != "" {
			return nil, &contacts.InputError{File: path, Line: line, Err: errors.New(problem)}
		}
		out = append(out, e164)
	}
	if err := sc.Err(); err != nil {
		return nil, &contacts.InputError{File: path, Err: err}
	}
	return out, nil
}

// namesPhoneColumn reports whether a line is a header naming a phone column.
func namesPhoneColumn(line string) bool {
	for _, cell := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' || r == '\t' || r == '|' }) {
		for _, name := range contacts.PhoneColumns {
			if strings.EqualFold(strings.Trim(strings.TrimSpace(cell), `"`), name) {
				return true
			}
		}
	}
	return false
}
