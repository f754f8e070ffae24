package main

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// TestCheckPlansArms: check --detect says the finished rows each arm needs, by --arms'
// weights (2:1: the arms take 2·t and t rows, t = (1/2 + 1/1)/2 of PlanRows' equal arm), and
// whether the list has them: a list too short is a warning, one long enough says so; without
// --base-rate or earlier results, or --arms without --detect, it is a usage error.
func TestCheckPlansArms(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 90)
	agents := []string{"check", "--sandbox", "--agent-id", bolnasim.DefaultAgentID, "--agent-id", bolnasim.SecondAgentID}
	pl, err := experiment.PlanRows(0.3, 0.1, 2, experiment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, second := int(math.Ceil(2*0.75*float64(pl.SequentialPerArm))), int(math.Ceil(0.75*float64(pl.SequentialPerArm)))
	wide, err := experiment.PlanRows(0.3, 0.5, 2, experiment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"too short", []string{"--arms", bolnasim.DefaultAgentID + "=2", "--detect", "10pp", "--base-rate", "30%"}, exitOK, []string{
			fmt.Sprintf("%s %s, %s %s; %s finished rows in all", bolnasim.DefaultAgentID, thousands(first), bolnasim.SecondAgentID, thousands(second), thousands(first+second)),
			"2 arms at 2:1", "✗ " + input + ": 90 rows can be dialled, the experiment needs", "ready, with 1 warning"}},
		{"enough", []string{"--detect", "50pp", "--base-rate", "0.3"}, exitOK, []string{
			fmt.Sprintf("%s finished rows in all", thousands(2*wide.SequentialPerArm)), "✓ " + input + ": 90 rows can be dialled, enough for", "\nready\n"}},
		{"no rate", []string{"--detect", "10pp"}, exitUsage, []string{"give --base-rate"}},
		{"arms alone", []string{"--arms", bolnasim.DefaultAgentID + "=2"}, exitUsage, []string{"give --detect too"}},
	} {
		inv := newInvocation(map[string]string{})
		code := inv.run(append(append(append([]string{}, agents...), c.args...), input)...)
		out := inv.stdout.String() + inv.stderr.String()
		if code != c.code {
			t.Errorf("%s: exit %d, want %d:\n%s", c.name, code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
	}
}
