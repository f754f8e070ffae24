package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
	"github.com/bolna-campaign/bolna-campaign/human"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// What a run says when it ends: the summary (text, JSON on stdout, or a log record).

// summaryDocOf is the summary with the report rep, as --json prints it (and --notify sends it,
// the report masked).
func (o *runOptions) summaryDocOf(s *campaign.Summary, rep *results.Report) any {
	return struct {
		*campaign.Summary
		ElapsedSeconds  float64         `json:"elapsed_s"`
		RequestsPerCall float64         `json:"requests_per_call,omitempty"`
		Webhook         *webhook.Stats  `json:"webhook,omitempty"`
		Results         string          `json:"results"`
		Report          *results.Report `json:"report,omitempty"`
	}{s, math.Round(s.Elapsed.Seconds()*1000) / 1000, perCall(s), o.webhookStats, o.resultsPath, rep}
}

// readReport reads the report of the results file, with the run's goal: once a run, for the
// summary, the log and the notice alike.
func (o *runOptions) readReport() (*results.Report, error) {
	var goal *results.Goal
	if o.goal != "" {
		goal, _ = results.ParseGoal(o.goal) // checked with the flags
	}
	return results.ReadReportWith("", goal, o.resultsPath)
}

// report prints the final summary, with the numbers of `report` for the results file (rep,
// read by readReport; nil when it could not be: readErr says why): text on stderr, JSON on
// stdout with --json, or one log record with --log-format json.
func (o *runOptions) report(env Env, out *console, s *campaign.Summary, rep *results.Report, readErr, runErr error) {
	if readErr != nil {
		out.errorf("reading the results back: %v", readErr)
	}
	switch {
	case o.jsonOut:
		json.NewEncoder(env.Stdout).Encode(o.summaryDocOf(s, rep))
		return
	case out.json: // the summary as one log record, for the same pipeline
		out.log.Info(fmt.Sprintf("run ended: %d dialled, %d rows with work left; results: %s", s.Dialled, s.Unfinished(), o.resultsPath),
			"summary", o.summaryDocOf(s, maskedReport(rep)), "exit", exitCode(runOutcome(s, runErr)))
		return
	}
	fmt.Fprintf(env.Stderr, "\n%d dialled this run at concurrency %d, in %s\n", s.Dialled, s.Concurrency, human.ShortDuration(s.Elapsed.Round(100*time.Millisecond)))
	if s.Requests > 0 {
		fmt.Fprintf(env.Stderr, "API requests: %d (%.2f a call placed)\n", s.Requests, perCall(s))
	}
	if p, l := s.PeakPerMinute, s.Limits; p != nil && l != nil {
		share := fmt.Sprintf("--api-share %g", o.apiShare)
		if n := o.parsedShard.N; n > 1 {
			share += fmt.Sprintf(" (1/%d of it for each of %d shards)", n, n)
		}
		fmt.Fprintf(env.Stderr, "the most in a minute: %d placements, %d list reads, %d other requests, of the %d / %d / %d %s allows\n",
			p.Call, p.List, p.Other, l.Call, l.List, l.Other, share)
	}
	if p, w := s.Pushes, o.webhookStats; p != nil && w != nil {
		fmt.Fprintf(env.Stderr, "pushes from Bolna: %d received, %d about this run's calls, %d late (the call had ended), %d about others (ignored), %d malformed, %d refused\n",
			w.Received, p.Matched, p.Late, p.Ignored, w.Malformed, w.NotFound+w.TooLarge)
		if n := p.DropsPushed + p.DropsLooked; n > 0 {
			fmt.Fprintf(env.Stderr, "outcomes: %d by push, %d by a look; dropped lines told first by a push %d, by a look %d (%.0f%% of pushes missing or late)\n",
				p.OutcomesPushed, p.OutcomesLooked, p.DropsPushed, p.DropsLooked, 100*p.MissingShare())
		}
		if p.Foreign > 0 || p.Contradicted > 0 || w.Looped > 0 {
			fmt.Fprintf(env.Stderr, "pushes not believed: %d naming another agent or number for a call of this run, %d line drops a look contradicted, %d relayed back (a forward loop)\n",
				p.Foreign, p.Contradicted, w.Looped)
		}
	}
	if rep != nil {
		rep.Command = prog
		rep.WriteText(env.Stderr)
	}
	for _, line := range verdictLines(s.Experiment, o.goal) { // the monitor's, read after every call
		fmt.Fprintln(env.Stderr, line)
	}
	if s.Halted != "" {
		fmt.Fprintf(env.Stderr, "halted: %s; in the end, its calls in flight followed to their end, the campaign has spent %s (%s cents)\n",
			s.Halted, human.Dollars(s.Spent), human.Grouped(s.Spent))
	}
	if s.Stopped > 0 {
		fmt.Fprintf(env.Stderr, "%d %s stopped before %s rang: %s pending again, the attempt given back\n",
			s.Stopped, human.Plural(s.Stopped, "call", "calls"), human.Plural(s.Stopped, "it", "they"), human.Plural(s.Stopped, "its row is", "their rows are"))
	}
	if n := s.ByStatus[journal.StatusUnknown]; n > 0 {
		fmt.Fprintf(env.Stderr, "%d %s unknown: the reply to POST /call was lost and no call was found, so the person may or may not have been called; check, then re-dial with --retry unknown if they were not\n",
			n, human.Plural(n, "row is", "rows are"))
	}
	if n := s.Unfinished(); n > 0 && s.Paused {
		fmt.Fprintf(env.Stderr, "%d %s work to do: paused, no run places a call until it is resumed (%s resume %s, or resume --all for a pause of every campaign)",
			n, human.Plural(n, "row still has", "rows still have"), prog, o.resultsPath)
	} else if n > 0 {
		fmt.Fprintf(env.Stderr, "%d %s work to do: run the same command again later", n, human.Plural(n, "row still has", "rows still have"))
	}
	if n := s.Unfinished(); n > 0 {
		if exitCode(runOutcome(s, runErr)) == exitUnfinished {
			fmt.Fprint(env.Stderr, " (exit 3)")
		}
		fmt.Fprintln(env.Stderr)
	}
	fmt.Fprintf(env.Stderr, "results: %s\n", o.resultsPath)
}

// perCall is the API requests a run made per call it placed.
func perCall(s *campaign.Summary) float64 {
	if s.Dialled == 0 {
		return 0
	}
	return float64(s.Requests) / float64(s.Dialled)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// maskedReport is rep as a log or a --notify notice carries it: its rows to chase name their
// line and their number masked (as every log event does), not the person, and the values of
// extracted data fewer than minShared rows share are counted under "(other)", not named (a
// value of one row — a name, an address the agent wrote down — may say whose it is); nil for
// nil. The results file and 'report' have everything.
func maskedReport(rep *results.Report) *results.Report {
	if rep == nil {
		return nil
	}
	r := *rep
	r.Chase = make([]results.Chase, len(rep.Chase))
	for i, c := range rep.Chase {
		c.Phone, c.Name = campaign.MaskPhone(c.Phone), ""
		r.Chase[i] = c
	}
	r.Extracted = make(map[string]map[string]int, len(rep.Extracted))
	for key, values := range rep.Extracted {
		shared := map[string]int{}
		for v, n := range values {
			if n < minShared {
				v = "(other)"
			}
			shared[v] += n
		}
		r.Extracted[key] = shared
	}
	return &r
}

// minShared is how many rows a value of extracted data must be shared by for a log or a notice
// to name it (see maskedReport).
const minShared = 3
