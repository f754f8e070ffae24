package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/history/historytest"
	"github.com/bolna-campaign/bolna-campaign/internal/testmain"
)

// The tests' histories: never the user's. TestMain points XDG_STATE_HOME (the default
// history's folder) at a folder of its own, for the binaries the tests build and run too, and
// every invocation whose env names no history gets a folder of its own under it (see
// privateHistory), so that two tests dialling the same made-up numbers never meet in one.

var stateRoot string

func TestMain(m *testing.M) {
	useWaitingParallelism()
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
		code := m.Run()
		pgCluster.Stop()
		return code
	}()
	testmain.Exit(code) // without the race detector's second of sleep at exit
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

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// testBinary is the command built once for the tests that run it as a process (and kill it).
func testBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		built = filepath.Join(stateRoot, "bin", "bolna-campaign") // (not stateRoot/bolna-campaign: the default histories' folder)
		if out, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// pgCluster is the throwaway PostgreSQL of the tests that run campaigns on it (historytest).
var pgCluster historytest.Cluster

// standInHistory is Env.OpenHistory for an invocation with env: when env names no history (no
// BOLNA_HISTORY), a run or stop whose history is the default one, in the invocation's own state
// folder, gets allowAll, and one given --history opens it; nil (the history itself) otherwise.
func standInHistory(env map[string]string) func(ctx context.Context, dsn string) (accountHistory, error) {
	state := env["XDG_STATE_HOME"]
	if env["BOLNA_HISTORY"] != "" || !filepath.IsAbs(state) {
		return nil
	}
	return func(ctx context.Context, dsn string) (accountHistory, error) {
		if strings.HasPrefix(dsn, state+string(filepath.Separator)) {
			return allowAll{}, nil
		}
		return openRunHistory(ctx, dsn)
	}
}

// allowAll is the history of the runs whose tests name none (see standInHistory): it lets
// every call go and records nothing.
type allowAll struct{}

func (allowAll) CampaignKnown(context.Context, string) (bool, error)  { return true, nil }
func (allowAll) Import(context.Context, []history.Entry) (int, error) { return 0, nil }
func (allowAll) Pause(context.Context, history.Pause) error           { return nil }
func (allowAll) Where() string                                        { return "(the tests' stand-in, which records nothing)" }
func (allowAll) Close() error                                         { return nil }

func (allowAll) Reserve(context.Context, campaign.GuardAttempt, campaign.Rules) (campaign.Verdict, error) {
	return campaign.Verdict{Allowed: true}, nil
}
func (allowAll) Placed(context.Context, string, string, time.Time) error   { return nil }
func (allowAll) Settle(context.Context, string, campaign.Settlement) error { return nil }
func (allowAll) Void(context.Context, string) error                        { return nil }
func (allowAll) Unsettled(context.Context, string) ([]string, error)       { return nil, nil }
func (allowAll) DailySpend(context.Context, time.Time) (float64, error)    { return 0, nil }
