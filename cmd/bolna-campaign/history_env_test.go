package main

import (
	"fmt"
	"maps"
	"os"
	"testing"
)

// The tests' histories: never the user's. TestMain points XDG_STATE_HOME (the default
// history's folder) at a folder of its own, for the binaries the tests build and run too, and
// every invocation whose env names no history gets a folder of its own under it (see
// privateHistory), so that two tests dialling the same made-up numbers never meet in one.

var stateRoot string

func TestMain(m *testing.M) {
	code := func() int {
		root, err := os.MkdirTemp("", "bolna-campaign-state-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(root)
		stateRoot = root
		os.Setenv("XDG_STATE_HOME", root)
		os.Unsetenv("BOLNA_HISTORY")
		return m.Run()
	}()
	os.Exit(code)
}

// privateHistory is env (a copy) with, when it names no history, a state folder of its own.
// A test whose invocations must share a history names it (BOLNA_HISTORY).
func privateHistory(env map[string]string) map[string]string {
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	if env["XDG_STATE_HOME"] == "" && env["BOLNA_HISTORY"] == "" {
		dir, err := os.MkdirTemp(stateRoot, "inv-")
		if err != nil {
			panic(err)
		}
		env["XDG_STATE_HOME"] = dir
	}
	return env
}
