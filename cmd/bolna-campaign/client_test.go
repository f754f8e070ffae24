package main

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestOneClientFactory: run, check and stop get their Bolna client from Env.NewClient, once,
// each held to the share of Bolna's request limits it keeps to (run to --api-share's, check
// and stop to the default share: check had none); a factory that fails fails the command
// with its error, so none of them has a client of its own.
func TestOneClientFactory(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 2)
	stopped := filepath.Join(t.TempDir(), "stopped.results.csv")
	journalOf(t, srv, stopped, phones[:1], false)
	env := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	cases := []struct {
		name   string
		args   []string
		limits dialer.Limits
	}{
		{"check", []string{"check", input}, dialer.DefaultLimits}, // (first: after the run, nothing is left to dial)
		{"run", []string{"run", "--api-share", "0.2", "--poll-interval", "20ms", "--list-lag", "300ms", input}, campaign.ShareOfLimits(0.2, campaign.Shard{})},
		{"stop", []string{"stop", stopped}, dialer.DefaultLimits},
	}
	for _, c := range cases { // the refusal first: the stop that works leaves nothing to stop
		refused := newInvocation(env)
		refused.newClient = func(Env, connOptions, clientOptions) (*dialer.Client, func(), error) {
			return nil, nil, errors.New("no client in this test")
		}
		if code := refused.run(c.args...); code == exitOK || !strings.Contains(refused.stderr.String(), "no client in this test") {
			t.Errorf("%s without a client: exit %d\n%s", c.name, code, refused.stderr.String())
		}
		var (
			mu    sync.Mutex
			asked []dialer.Limits
		)
		inv := newInvocation(env)
		inv.newClient = func(env Env, conn connOptions, opts clientOptions) (*dialer.Client, func(), error) {
			mu.Lock()
			asked = append(asked, opts.limits)
			mu.Unlock()
			return newClient(env, conn, opts)
		}
		if code := inv.run(c.args...); code != exitOK && code != exitUnfinished {
			t.Errorf("%s: exit %d\n%s", c.name, code, inv.stderr.String())
		}
		mu.Lock()
		if len(asked) != 1 || asked[0] != c.limits {
			t.Errorf("%s: asked the factory for %v, want once for %v", c.name, asked, c.limits)
		}
		mu.Unlock()
	}
}
