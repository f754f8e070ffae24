package campaign_test

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// dealtByHand is the agent a stratified experiment over the list's city column gives each
// number, computed here from its definition: per city (newCampaign's City i%5), the numbers in
// the order of their ranks, dealt to the arms by weight.
func dealtByHand(tc *testCampaign, weights []int) map[string]string {
	names := []string{bolnatest.DefaultAgentID, secondAgent}
	name := "list:" + filepath.Base(tc.input)
	byCity := map[int][]string{}
	for i, p := range tc.phones {
		byCity[i%5] = append(byCity[i%5], p)
	}
	want := map[string]string{}
	for _, phones := range byCity {
		slices.SortFunc(phones, func(a, b string) int { return cmp.Compare(experiment.Rank(name, a), experiment.Rank(name, b)) })
		for pos, p := range phones {
			want[p] = names[experiment.Deal(pos, weights)]
		}
	}
	return want
}

// checkStrata fails unless every number was dialled through the agent the deal gives it, and
// in each city the arms' counts are their weights' shares to within one cycle of the weights.
func checkStrata(t *testing.T, tc *testCampaign, placed map[string]string, weights []int) {
	t.Helper()
	want := dealtByHand(tc, weights)
	counts := map[int][2]int{}
	for i, p := range tc.phones {
		got, ok := placed[p]
		if !ok {
			continue
		}
		if got != want[p] {
			t.Errorf("%s dialled through %s, the deal gives %s", p, got, want[p])
		}
		c := counts[i%5]
		c[slices.Index([]string{bolnatest.DefaultAgentID, secondAgent}, got)]++
		counts[i%5] = c
	}
	for city, c := range counts {
		// a:b against weights wa:wb: c[0]·wb − c[1]·wa stays within one cycle's worth.
		if d := c[0]*weights[1] - c[1]*weights[0]; d < 0 || d > weights[0]*weights[1] {
			t.Errorf("City %d: %d and %d rows at weights %v: not within one cycle", city, c[0], c[1], weights)
		}
	}
}

// TestStratifiedSplit runs a stratified experiment (--stratify city, 2:1): every row goes
// through the arm dealt to it, each city splits 2:1 to within one cycle; a second run with
// --retry keeps every row's agent, its retries included.
func TestStratifiedSplit(t *testing.T) {
	t.Parallel()
	const n = 103
	weights := []int{2, 1}
	tc := newCampaign(t, armsOptions(nil), n)
	cfg := armsConfig(weights[0], weights[1])
	cfg.Stratify = "City"
	if _, _, err := tc.run(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	first := agentsByPhone(t, tc.srv)
	if len(first) != n {
		t.Fatalf("%d numbers dialled, want %d", len(first), n)
	}
	checkStrata(t, tc, first, weights)
	cfg.Retry, cfg.MaxAttempts = []journal.Status{journal.StatusNoAnswer, journal.StatusBusy, journal.StatusFailed}, 2
	_, rows, err := tc.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, row := range rows {
		phone := row.Input["phone"]
		if row.Outcome.AgentID != first[phone] {
			t.Errorf("%s: agent_id %s after a rerun, first dialled through %s", phone, row.Outcome.AgentID, first[phone])
		}
		if row.Outcome.Attempts == 2 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no row was retried: the test proves nothing")
	}
	agentsByPhone(t, tc.srv) // fails on a number placed through two agents
}

// TestStratifiedShardsAgree runs the two shards of a stratified experiment: each deals the
// whole list, so every row's agent is the deal's, whichever shard dialled it.
func TestStratifiedShardsAgree(t *testing.T) {
	t.Parallel()
	const n = 90
	tc := newCampaign(t, armsOptions(nil), n)
	for k := range 2 {
		cfg := armsConfig(1, 1)
		cfg.Stratify, cfg.Shard = "city", campaign.Shard{K: k, N: 2}
		shard := *tc
		shard.results = strings.Replace(tc.results, ".results", fmt.Sprintf(".shard%d.results", k), 1)
		if _, _, err := shard.run(t, cfg, nil); err != nil {
			t.Fatal(err)
		}
	}
	placed := agentsByPhone(t, tc.srv)
	if len(placed) != n {
		t.Fatalf("%d numbers dialled by the two shards, want %d", len(placed), n)
	}
	checkStrata(t, tc, placed, []int{1, 1})
}

// TestStratifyUnknownColumn: a column the list lacks is refused before any call.
func TestStratifyUnknownColumn(t *testing.T) {
	t.Parallel()
	tc := newCampaign(t, armsOptions(nil), 5)
	cfg := armsConfig(1, 1)
	cfg.Stratify = "region"
	_, _, err := tc.run(t, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), `--stratify "region"`) || len(tc.srv.Placements()) != 0 {
		t.Errorf("err %v, %d calls: want the column refused before any call", err, len(tc.srv.Placements()))
	}
}
