package main

import (
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestBaseURLWithPath: a base URL with a path gets the hint that Bolna's has none. On Bolna's
// own host it is refused before any request (exit 2), from the flag or BOLNA_BASE_URL, by run
// and check alike; on another host (a proxy under a prefix) the run says so and goes on.
func TestBaseURLWithPath(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 2)
	key := map[string]string{"BOLNA_API_KEY": bolnatest.DefaultAPIKey, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	fromEnv := map[string]string{"BOLNA_BASE_URL": "https://api.bolna.ai/v2/"}
	for k, v := range key {
		fromEnv[k] = v
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"run --base-url", key, []string{"run", "--base-url", "https://api.bolna.ai/v2", input}},
		{"run, BOLNA_BASE_URL", fromEnv, []string{"run", input}},
		{"check --base-url", key, []string{"check", "--base-url", "https://api.bolna.ai/v2", input}},
	}
	for _, c := range cases {
		inv := newInvocation(c.env)
		code := inv.run(c.args...)
		if out := inv.stderr.String(); code != exitUsage || !strings.Contains(out, "the base URL has no path") || !strings.Contains(out, "https://api.bolna.ai ") {
			t.Errorf("%s: exit %d, want 2 with the hint that the base URL has no path (https://api.bolna.ai):\n%s", c.name, code, out)
		}
	}
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	inv := newInvocation(key)
	inv.run("run", "--base-url", srv.URL+"/v2", "--poll-interval", "20ms", input)
	if out := inv.stderr.String(); !strings.Contains(out, "has a path (/v2)") {
		t.Errorf("a stand-in under /v2: no hint that the base URL has a path:\n%s", out)
	}
}
