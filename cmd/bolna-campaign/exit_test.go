package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestExitMapsErrors: the one place an error becomes an exit code and a message. The code is
// the outermost typed error's, else what the error is (unreadable input 2, an interruption
// 130, anything else 1); the message follows the tool's name, or the command's, every line
// printable; each error of a join is a message; an error already said, or -h, prints nothing.
func TestExitMapsErrors(t *testing.T) {
	t.Parallel()
	newer := &journal.VersionError{Path: "j", Version: 99}
	cases := []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"done", nil, exitOK, ""},
		{"help asked for", flag.ErrHelp, exitOK, ""},
		{"a usage mistake", usageErrorf("run: --rate cannot be negative"), exitUsage, "bolna-campaign: run: --rate cannot be negative\n"},
		{"a flag mistake", &commandError{"dnc add", usageErrorf("flag --x is not defined\nRun 'bolna-campaign help dnc add' for its flags.")}, exitUsage,
			"bolna-campaign dnc add: flag --x is not defined\nRun 'bolna-campaign help dnc add' for its flags.\n"},
		{"work left, said", said(&workLeftError{"work left: 2 rows"}), exitUnfinished, ""},
		{"halted, said", said(&haltedError{"halted: the wallet ran out"}), exitHalted, ""},
		{"not ready, said", said(usageErrorf("check: not ready")), exitUsage, ""},
		{"fatal whatever it wraps", &fatalError{fmt.Errorf("stop: %w", context.Canceled)}, exitFatal, "bolna-campaign: stop: context canceled\n"},
		{"the outermost decides", fmt.Errorf("report: %w", &fatalError{usageErrorf("x")}), exitFatal, "bolna-campaign: report: x\n"},
		{"interrupted", fmt.Errorf("run: %w", context.Canceled), exitInterrupted, "bolna-campaign: run: context canceled\n"},
		{"stopped", campaign.ErrStopped, exitInterrupted, "bolna-campaign: " + campaign.ErrStopped.Error() + "\n"},
		{"unreadable input", &contacts.InputError{File: "a.csv", Line: 3, Err: errors.New("bad quote")}, exitUsage, "bolna-campaign: a.csv:3: bad quote\n"},
		{"a newer journal", &journal.VersionError{Path: "j", Version: 99}, exitUsage, ""},
		{"a newer journal, to pause", failHistory("pause", newer), exitUsage, "bolna-campaign pause: " + newer.Error() + "\n"},
		{"a history command's failure", failHistory("dnc list", errors.New("the disk is full")), exitFatal, "bolna-campaign dnc list: the disk is full\n"},
		{"anything else", errors.New("the disk is full"), exitFatal, "bolna-campaign: the disk is full\n"},
		{"server text", errors.New("agent \x1b]0;owned\x07 refused\nsecond \x9b2J line"), exitFatal, "bolna-campaign: agent  ]0;owned  refused\nsecond  2J line\n"},
		{"joined: each a message, the first's code", errors.Join(usageErrorf("stop: set BOLNA_API_KEY"), &fatalError{errors.New("stop: not paused")}), exitUsage,
			"bolna-campaign: stop: set BOLNA_API_KEY\nbolna-campaign: stop: not paused\n"},
		{"joined with one said", errors.Join(said(&workLeftError{"w"}), &fatalError{errors.New("not paused")}), exitUnfinished, "bolna-campaign: not paused\n"},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		code := exit(Env{Stderr: &stderr}, c.err)
		got := stderr.String()
		if c.name == "a newer journal" { // its text is the journal's
			got = strings.TrimPrefix(got, "bolna-campaign: "+c.err.Error()+"\n")
		}
		if code != c.code || got != c.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.name, code, got, c.code, c.stderr)
		}
	}
}

// TestExitJSONRecords: under --log-format json each error is one ERROR record, its message
// without the tool's name; an error said already writes nothing.
func TestExitJSONRecords(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	lines := newJSONLines(&out)
	err := errors.Join(usageErrorf("check: one contacts file at most"), said(&fatalError{errors.New("not ready")}),
		&commandError{"history", &fatalError{errors.New("the history is locked")}})
	if code := exit(Env{Stderr: lines}, err); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	lines.Flush()
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Level != "ERROR" {
			t.Errorf("not an ERROR record: %q", l)
		}
		msgs = append(msgs, rec.Msg)
	}
	if want := []string{"check: one contacts file at most", "bolna-campaign history: the history is locked"}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", msgs, want)
	}
}
