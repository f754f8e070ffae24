package campaign_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestArmsInTheHistory: the account's history records each call of an experiment under the
// agent it went through, so that its report by agent_id counts each arm's calls as its own.
func TestArmsInTheHistory(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, armsOptions(nil), 40)
	s := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	cfg := armsConfig(1, 1)
	cfg.Guard = history.Guard{Store: s}
	if _, _, err := tc.run(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	placed := map[string]int{}
	for _, p := range tc.srv.Placements() {
		placed[p.AgentID]++
	}
	rows, err := s.Report(t.Context(), time.Time{}, history.ByAgent)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.Key] = r.Attempts
	}
	if placed[bolnatest.DefaultAgentID] == 0 || placed[secondAgent] == 0 {
		t.Fatalf("placements by agent %v: the test needs both arms", placed)
	}
	for agent, n := range placed {
		if got[agent] != n {
			t.Errorf("the history has %d attempts through %s, %d were placed through it (report by agent_id: %v)", got[agent], agent, n, got)
		}
	}
}
