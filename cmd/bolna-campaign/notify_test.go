package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// TestEndNotice: the notice of a run's end says what happened — finished, stopped on purpose
// (a stop is not a failure), or failed — and its text, Slack's field, names the campaign and the
// host and gives the rows dialled, the people reached, the goal's rate where there is one, and
// the spend in dollars.
func TestEndNotice(t *testing.T) {
	t.Parallel()
	s := &campaign.Summary{Dialled: 9, Spent: 4123, Halted: "the spend cap of 4000 is reached (spent 4123.00)"}
	rep := &results.Report{Rows: 12, Dialled: 9, Answered: 6, AnswerRate: 6.0 / 9}
	goal := &results.Report{Rows: 12, Dialled: 9, Answered: 6, AnswerRate: 6.0 / 9, Goal: &results.Goal{Key: "confirmed", Value: "yes", Reached: 3, Rate: 3.0 / 9}}
	tests := []struct {
		name      string
		rep       *results.Report
		err       error
		event     string
		want, not []string
	}{
		{"finished, halted by the spend cap", rep, nil, "finished",
			[]string{"finished a run of c.results.csv on host-1", "9 calls dialled", "6 people reached (67%)", "spent $41.23", "It halted: the spend cap"}, []string{"error"}},
		{"stopped on purpose", rep, campaign.ErrStopped, "stopped",
			[]string{"stopped a run of c.results.csv on host-1", "stopped on purpose", "spent $41.23"}, []string{"error", "failed"}},
		{"with a goal", goal, nil, "finished", []string{"goal confirmed=yes 3 (33% of those dialled)"}, nil},
		{"failed", rep, errors.New("the API key was refused"), "failed", []string{"failed a run", "It stopped on an error: the API key was refused"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := endNotice("c.results.csv", "host-1", s, tt.rep, tt.err)
			if doc.Event != tt.event {
				t.Errorf("event %q, want %q", doc.Event, tt.event)
			}
			for _, w := range tt.want {
				if !strings.Contains(doc.Text, w) {
					t.Errorf("text %q lacks %q", doc.Text, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(doc.Text, w) {
					t.Errorf("text %q says %q", doc.Text, w)
				}
			}
		})
	}
}
