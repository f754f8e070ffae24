package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// simAgents are the agents sim serves and their outcome mixes: the --agent-id, the built-in
// second agent, and each agent of an --agent-mix ID=SHARE (the share of its conversations in
// which the person confirms, as 30% or 0.3).
func simAgents(agent string, mixes []string) ([]string, map[string]bolnasim.Mix, error) {
	agents := []string{agent, bolnasim.SecondAgentID}
	out := map[string]bolnasim.Mix{}
	for id, m := range bolnasim.DefaultMixes {
		out[id] = m
	}
	for _, m := range mixes {
		id, share, ok := strings.Cut(m, "=")
		id, share = strings.TrimSpace(id), strings.TrimSpace(share)
		f, err := strconv.ParseFloat(strings.TrimSuffix(share, "%"), 64)
		if strings.HasSuffix(share, "%") {
			f /= 100
		}
		if !ok || id == "" || err != nil || f < 0 || f > 1 {
			return nil, nil, usageErrorf("sim: --agent-mix %q: write AGENT_ID=SHARE, the share of the agent's conversations that confirm, e.g. %s=30%%", m, bolnasim.SecondAgentID)
		}
		out[id] = bolnasim.Mix{Confirm: f}
		if !slices.Contains(agents, id) {
			agents = append(agents, id)
		}
	}
	return slices.Compact(agents), out, nil
}

// describeAgents says which agents sim serves, with their shares of conversations confirmed.
func describeAgents(agents []string, mixes map[string]bolnasim.Mix) string {
	parts := make([]string, len(agents))
	for i, a := range agents {
		share := "2 in 3"
		if m, ok := mixes[a]; ok {
			share = fmt.Sprintf("%.0f%%", 100*m.Confirm)
		}
		parts[i] = fmt.Sprintf("%s (confirms %s of its conversations)", a, share)
	}
	return strings.Join(parts, ", ")
}
