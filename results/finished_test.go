package results

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// TestRatesOfFinishedCalls: while a campaign runs, its calls in progress are not yet answered
// or not: the answer rate (and the goal's, and a group's) is of the dialled rows whose calls
// have finished. Two answered, one no-answer and two in flight is 67%, not 40% (#31.7: a live
// rate fell from 64% to 45% that way).
func TestRatesOfFinishedCalls(t *testing.T) {
	t.Parallel()
	r := NewReport()
	r.By = "city"
	r.Goal = &Goal{Key: "confirmed", Value: "yes"}
	for i, o := range []journal.Outcome{
		{Status: journal.StatusCompleted, Attempts: 1, ExecutionID: "a", Duration: 40, Extracted: []byte(`{"confirmed":"yes"}`)},
		{Status: journal.StatusCompleted, Attempts: 1, ExecutionID: "b", Duration: 30},
		{Status: journal.StatusNoAnswer, Attempts: 1, ExecutionID: "c"},
		{Status: journal.StatusInFlight, Attempts: 1, ExecutionID: "d"},
		{Status: journal.StatusInFlight, Attempts: 1},
		{Status: journal.StatusPending},
	} {
		r.Add("r.csv", Row{Line: i + 2, Input: map[string]string{"phone": "+91981000000" + string(rune('0'+i)), "city": "Pune"}, Outcome: o})
	}
	r.Finish()
	g := r.Groups["Pune"]
	if r.Dialled != 5 || r.Finished != 3 || r.AnswerRate != 2.0/3 || r.Goal.Rate != 1.0/3 || g == nil || g.AnswerRate != 2.0/3 || g.GoalRate != 1.0/3 {
		t.Errorf("dialled %d, finished %d, answer rate %.3f, goal rate %.3f, group %+v; want 5, 3, 0.667, 0.333 and the group alike",
			r.Dialled, r.Finished, r.AnswerRate, r.Goal.Rate, g)
	}
}

// TestGuardSkipsAreNotDialled: a row the account's guard kept off (recent, capped,
// do-not-call) is an attempt in the journal with no call: the report counts it neither as
// dialled nor among the calls, and the answer rate is of the rows called; a row called once
// and kept off on its retry was dialled, with one call. On the earlier commit a second
// campaign on the same people said "dialled 3 rows, 3 calls" and 0% answered having placed no
// call.
func TestGuardSkipsAreNotDialled(t *testing.T) {
	t.Parallel()
	r := NewReport()
	for i, o := range []journal.Outcome{
		{Status: journal.StatusCompleted, Attempts: 1, ExecutionID: "a", Duration: 40},
		{Status: journal.StatusRecent, Attempts: 1, Error: "another campaign dialled the person 2h ago"},
		{Status: journal.StatusCapped, Attempts: 1},
		{Status: journal.StatusDoNotCall, Attempts: 1},
		{Status: journal.StatusCapped, Attempts: 2}, // no-answer, then kept off on its retry
	} {
		r.Add("r.csv", Row{Line: i + 2, Input: map[string]string{"phone": "+91981000000" + string(rune('0'+i))}, Outcome: o})
	}
	r.Finish()
	if r.Rows != 5 || r.Dialled != 2 || r.Attempts != 2 || r.Finished != 2 || r.AnswerRate != 0.5 || r.ByStatus[journal.StatusRecent] != 1 {
		t.Errorf("rows %d, dialled %d, calls %d, finished %d, answer rate %.2f, recent %d; want 5, 2, 2, 2, 0.50, 1",
			r.Rows, r.Dialled, r.Attempts, r.Finished, r.AnswerRate, r.ByStatus[journal.StatusRecent])
	}
}
