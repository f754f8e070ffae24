package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// commands are the tool's commands, for "did you mean".
var commands = []string{"run", "check", "status", "stop", "report", "sim", "version", "help"}

// parseArgs parses args into fs. On a mistake its error says in one line what was wrong (the
// flag as typed, "did you mean" a close one, a duration's missing unit) and where the help is,
// rather than the whole help, which would scroll the mistake away. After -h it prints the help
// and returns flag.ErrHelp (exit 0).
func parseArgs(fs *flag.FlagSet, args []string, command string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return flag.ErrHelp
	}
	return &commandError{command, usageErrorf("%s\nRun '%s help %s' for its flags.", explainFlagError(fs, err), prog, command)}
}

var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	invalidValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for flag -+([^:]*): (.*)$`)
	missingValue  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// explainFlagError says what the flag package refused, in the tool's words.
func explainFlagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		s := fmt.Sprintf("flag --%s is not defined", m[1])
		if near := nearest(m[1], names); near != "" {
			s += fmt.Sprintf("; did you mean --%s?", near)
		}
		return s
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		if f := fs.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				if _, isDuration := g.Get().(time.Duration); isDuration {
					if _, err := strconv.ParseFloat(value, 64); err == nil {
						return fmt.Sprintf("invalid value %s for --%s: a duration needs its unit, e.g. %ss (or 500ms, 2m, 1h)", value, name, value)
					}
					return fmt.Sprintf("invalid value %q for --%s: not a duration; write e.g. 3s, 500ms, 2m or 1h", value, name)
				}
			}
		}
		return fmt.Sprintf("invalid value %q for --%s: %s", value, name, m[3])
	}
	if m := missingValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	return msg
}

// nearest is the name among names closest to typed, within two edits (or a prefix of it), or
// "" when none is.
func nearest(typed string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(strings.ToLower(typed), n)
		if strings.HasPrefix(n, typed) && len(typed) >= 3 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
