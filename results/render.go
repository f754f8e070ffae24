package results

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// WriteText writes the report as a terminal table.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%d %s from %s\n\n", r.Rows, human.Plural(r.Rows, "row", "rows"), strings.Join(r.Files, ", "))
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n\n", oneLine(n, 1000))
	}
	fmt.Fprintf(w, "  %-12s %8s %7s\n", "status", "rows", "share")
	for _, s := range r.Statuses() {
		fmt.Fprintf(w, "  %-12s %8d %6.1f%%\n", oneLine(string(s), 12), r.ByStatus[s], pct(r.ByStatus[s], r.Rows))
	}
	fmt.Fprintln(w)
	kv := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(kv, "dialled\t%d rows, %d calls (%.2f attempts a row)\n", r.Dialled, r.Attempts, r.MeanAttempts)
	fmt.Fprintf(kv, "answered\t%d (%.1f%% of the %d dialled rows whose calls have finished): people reached, a conversation\n", r.Answered, 100*r.AnswerRate, r.Finished)
	fmt.Fprintf(kv, "voicemail\t%d (%.1f%%): completed, but a voicemail answered\n", r.Voicemail, pct(r.Voicemail, r.Finished))
	fmt.Fprintf(kv, "rejected\t%d (%.1f%%): completed with no conversation (rejected at once)\n", r.Rejected, pct(r.Rejected, r.Finished))
	if g := r.Goal; g != nil {
		each := "no goal reached yet"
		if g.Reached > 0 {
			each = dollars(g.CostEach) + " a goal reached"
		}
		fmt.Fprintf(kv, "goal\t%s=%s: %d of %d finished rows (%.1f%%, 95%% %.1f–%.1f%%), %s\n", oneLine(g.Key, 30), oneLine(g.Value, 30),
			g.Reached, r.Finished, 100*g.Rate, 100*g.CI.Low, 100*g.CI.High, each)
	}
	fmt.Fprintf(kv, "talk time\t%s in all, %s mean, p50 %s, p95 %s\n",
		seconds(r.TotalDuration), seconds(r.MeanDuration), seconds(r.P50Duration), seconds(r.P95Duration))
	fmt.Fprintf(kv, "cost\t%s in all, %s a dialled row\n", dollars(r.TotalCost), dollars(r.MeanCost))
	kv.Flush()
	if keys := r.ExtractedKeys(); len(keys) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "what people said (extracted data, shares of the rows dialled):")
		for _, k := range keys {
			var parts []string
			for _, vc := range r.Top(k, 3) {
				parts = append(parts, fmt.Sprintf("%s %d (%.0f%%)", oneLine(vc.Value, 40), vc.Count, 100*vc.Share))
			}
			parts = append(parts, fmt.Sprintf("none %d of %d", r.NoValue(k), r.Dialled))
			fmt.Fprintf(w, "  %s: %s\n", oneLine(k, 40), strings.Join(parts, " · "))
		}
	}
	if r.By != "" && len(r.Groups) > 0 {
		fmt.Fprintf(w, "\nby %s:\n", oneLine(r.By, 40))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		goalHead := ""
		if r.Goal != nil {
			goalHead = "goal\tgoal rate (95%)\t"
		}
		fmt.Fprintf(tw, "  %s\trows\tdialled\tanswered\tanswer rate (95%%)\t%s\n", oneLine(r.By, 30), goalHead)
		for _, k := range r.GroupKeys() {
			g := r.Groups[k]
			goal := ""
			if g.GoalCI != nil {
				goal = fmt.Sprintf("%d\t%s\t", g.Goal, rateCI(g.GoalRate, *g.GoalCI))
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\n", oneLine(orDash(k), 30), g.Rows, g.Dialled, g.Answered, rateCI(g.AnswerRate, g.AnswerCI), goal)
		}
		tw.Flush()
		for _, v := range r.Verdicts {
			fmt.Fprintf(w, "  %s\n", oneLine(v.Text(), 200))
		}
	}
	r.writeExperiment(w)
	if r.Goal != nil || r.By != "" || r.Experiment != nil {
		fmt.Fprintf(w, "\n%s\n", About95)
	}
	if len(r.Verdicts) > 0 {
		fmt.Fprintln(w, AboutP)
	}
	if r.Experiment != nil {
		fmt.Fprintln(w, AboutSequential)
	}
	if hours := slotText(r.ByHour); hours != "" {
		fmt.Fprintf(w, "\nanswer rate by the contact's local hour (calls placed): %s\n", hours)
		fmt.Fprintf(w, "answer rate by local weekday: %s\n", slotText(r.ByWeekday))
	}
	if r.ChaseTotal > 0 {
		fmt.Fprintf(w, "\n%d %s to chase (no-answer, busy, failed, unknown), with the voicemails and calls rejected at once; to see them:\n  %s report --html %s %s\n",
			r.ChaseTotal, human.Plural(r.ChaseTotal, "row", "rows"), cmp.Or(r.Command, "bolna-campaign"), shellQuote(ReportPath(r.Files)), shellQuoteAll(r.Files))
	}
	return nil
}

// rateCI writes a rate with its 95% interval: 40.0% (29.1–51.9).
func rateCI(rate float64, ci Interval) string {
	return fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*rate, 100*ci.Low, 100*ci.High)
}

// slotText lists the slots that had calls: "09 40% (10) · 10 55% (20)".
func slotText(slots []Slot) string {
	var parts []string
	for _, s := range slots {
		if s.Dialled > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f%% (%d)", s.Label, 100*s.Rate, s.Dialled))
		}
	}
	return strings.Join(parts, " · ")
}

// HTMLMarker is in the head of every page WriteHTML writes: `report --html` overwrites only a
// file that carries it.
const HTMLMarker = `<meta name="generator" content="bolna-campaign report">`

// ReportPath is where the HTML report of files goes by default: beside the first, named after
// it (contacts.results.csv → contacts.report.html).
func ReportPath(files []string) string {
	if len(files) == 0 {
		return "report.html"
	}
	base := strings.TrimSuffix(files[0], ".csv")
	base = strings.TrimSuffix(base, ".results")
	return base + ".report.html"
}

func orDash(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// shellQuote quotes a path for a command line a user copies, when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+,:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellQuoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = shellQuote(s)
	}
	return strings.Join(q, " ")
}

// dollars shows an amount in Bolna's unit (cents, as total_cost and the wallet report it) as
// dollars, with the cents Bolna reported.
func dollars(cents float64) string {
	return fmt.Sprintf("%s (%s cents)", human.Dollars(cents), human.Thousands(cents, 2))
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func seconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

// oneLine keeps a value on one line of a terminal, without control characters.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r >= 0x7f && r <= 0x9f { // C0, DEL and C1: terminal escapes
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

//go:embed report.html.tmpl
var htmlTemplate string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":      pct,
	"seconds":  seconds,
	"percent":  func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"cost":     dollars,
	"rateci":   rateCI,
	"base":     filepath.Base,
	"pct100":   func(f float64) float64 { return 100 * f },
	"deref":    func(i *Interval) Interval { return *i },
	"goalcost": costPerGoal,
}).Parse(htmlTemplate))

// bar is one bar of an SVG bar chart.
type bar struct {
	Label string
	Value string
	Y     int
	Width float64
	Pct   float64 // of the longest bar
	Color string
}

// statusColors colour outcomes alike in every chart.
var statusColors = map[journal.Status]string{
	journal.StatusCompleted: "#2e7d32", journal.StatusNoAnswer: "#f9a825", journal.StatusBusy: "#ef6c00",
	journal.StatusFailed: "#c62828", journal.StatusError: "#8e24aa", journal.StatusCanceled: "#6d4c41",
	journal.StatusStopped: "#6d4c41", journal.StatusBalanceLow: "#ad1457", journal.StatusTimeout: "#546e7a",
	journal.StatusUnknown: "#37474f", journal.StatusInFlight: "#0277bd", journal.StatusPending: "#90a4ae",
	journal.StatusInvalid: "#bdbdbd", journal.StatusDuplicate: "#bdbdbd", journal.StatusSuppressed: "#757575",
}

// outcomeColors colour what happened to the person: green is a conversation only, as the
// answer rate counts it; a voicemail and a call rejected at once (Bolna's completed too) are
// not green.
var outcomeColors = map[journal.Result]string{
	journal.ResultAnswered: "#2e7d32", journal.ResultVoicemail: "#7b1fa2", journal.ResultRejected: "#c2185b",
}

// outcomesChart counts the rows by what happened to the person: a dialled row by its outcome
// (answered, voicemail, rejected, no-answer, …), any other by its status (pending, invalid, …).
// Bolna's completed is no bar of its own: it is a conversation, a voicemail or a rejection.
func (r *Report) outcomesChart() chart {
	var labels []string
	var values []float64
	var colors []string
	add := func(label string, n int, c string) {
		labels, values, colors = append(labels, label), append(values, float64(n)), append(colors, c)
	}
	rest := map[journal.Status]int{}
	for key, n := range r.people {
		if _, ok := outcomeColors[journal.Result(key)]; !ok {
			rest[journal.Status(key)] = n
		}
	}
	for _, res := range []journal.Result{journal.ResultAnswered, journal.ResultVoicemail, journal.ResultRejected} {
		if n := r.people[string(res)]; n > 0 {
			add(string(res), n, outcomeColors[res])
		}
	}
	for _, s := range journal.SortedStatuses(rest) {
		add(string(s), rest[s], color(s))
	}
	c := newChart("Outcomes: what happened to the person", labels, values, func(i int) string {
		return fmt.Sprintf("%d (%.1f%%)", int(values[i]), pct(int(values[i]), r.Rows))
	}, func(i int) string { return colors[i] })
	c.Note = "Bolna's completed is split by what the call was: answered (a conversation, the only green, as the answer rate counts it), a voicemail, or rejected at once."
	return c
}

// About95 and AboutP explain, in a sentence each, the 95% ranges and the p-values a report
// shows.
const (
	About95 = "A 95% range is where the true rate most likely lies: with this many calls, 19 times in 20 it holds the rate a far larger campaign would show."
	AboutP  = "p = is the chance of a gap this wide between the best and the worst group if they truly did equally well (corrected for the pairs that could be compared): below 0.05 counts as a difference beyond chance."
)

func color(status journal.Status) string {
	if c, ok := statusColors[status]; ok {
		return c
	}
	return "#607d8b"
}

const barHeight, barGap, chartWidth = 18, 6, 360.0

// chart is a horizontal bar chart: HTML rows whose labels and values are text at the page's
// own size (an SVG scaled to a phone's width shrank them to 9 px), each bar an inline SVG.
type chart struct {
	Title  string
	Note   string // a sentence under the chart ("" for none)
	Bars   []bar
	Height int
}

func newChart(title string, labels []string, values []float64, text func(int) string, colors func(int) string) chart {
	b := bars(labels, values, text, colors)
	return chart{Title: title, Bars: b, Height: max(len(b)*(barHeight+barGap), barHeight)}
}

func bars(labels []string, values []float64, text func(int) string, colors func(int) string) []bar {
	top := 0.0
	for _, v := range values {
		top = math.Max(top, v)
	}
	out := make([]bar, len(labels))
	for i := range labels {
		w := 0.0
		if top > 0 {
			w = chartWidth * values[i] / top
		}
		out[i] = bar{Label: labels[i], Value: text(i), Y: i * (barHeight + barGap), Width: w, Pct: 100 * w / chartWidth, Color: colors(i)}
	}
	return out
}

// attemptRow is one line of the outcomes-by-attempt table.
type attemptRow struct {
	Attempts int
	Cells    []int
	Total    int
}

// WriteHTML writes the report as one self-contained page: inline CSS and SVG charts, no
// scripts, no external assets. Every value from the results files is escaped.
func (r *Report) WriteHTML(w io.Writer, generated time.Time) error {
	statuses := r.Statuses()
	labels := make([]string, len(statuses))
	for i, s := range statuses {
		labels[i] = string(s)
	}
	// Cost by status: only the statuses that cost something (most cost nothing at all).
	var costLabels []string
	var costs []float64
	var costStatuses []journal.Status
	for _, s := range statuses {
		if c := r.CostByStatus[s]; c > 0 {
			costLabels, costs, costStatuses = append(costLabels, string(s)), append(costs, c), append(costStatuses, s)
		}
	}
	hist := make([]float64, len(r.DurationBuckets))
	for i, n := range r.DurationBuckets {
		hist[i] = float64(n)
	}
	var dialledStatuses []journal.Status
	for _, s := range statuses {
		for _, byStatus := range r.ByAttempt {
			if byStatus[s] > 0 {
				dialledStatuses = append(dialledStatuses, s)
				break
			}
		}
	}
	var attempts []attemptRow
	for a := 0; a <= 20; a++ {
		byStatus, ok := r.ByAttempt[a]
		if !ok {
			continue
		}
		row := attemptRow{Attempts: a}
		for _, s := range dialledStatuses {
			row.Cells = append(row.Cells, byStatus[s])
			row.Total += byStatus[s]
		}
		attempts = append(attempts, row)
	}
	type extracted struct {
		Key    string
		Values []ValueCount
		None   int
	}
	var ex []extracted
	for _, k := range r.ExtractedKeys() {
		ex = append(ex, extracted{Key: k, Values: r.Top(k, 5), None: r.NoValue(k)})
	}
	type groupRow struct {
		Value string
		G     *Group
	}
	var groups []groupRow
	for _, k := range r.GroupKeys() {
		groups = append(groups, groupRow{orDash(k), r.Groups[k]})
	}
	data := map[string]any{
		"R":               r,
		"Generated":       generated.UTC().Format(time.RFC3339),
		"Statuses":        statuses,
		"Outcomes":        r.outcomesChart(),
		"About95":         About95,
		"AboutP":          AboutP,
		"AboutSequential": AboutSequential,
		"Costs": newChart("Cost by status", costLabels, costs, func(i int) string { return dollars(costs[i]) },
			func(i int) string { return color(costStatuses[i]) }),
		"Histogram": newChart("Talk time of answered calls", DurationBucketLabels, hist,
			func(i int) string { return fmt.Sprint(r.DurationBuckets[i]) }, func(int) string { return "#2e7d32" }),
		"AttemptCols": dialledStatuses,
		"Attempts":    attempts,
		"Extracted":   ex,
		"ChaseMore":   r.ChaseTotal - len(r.Chase),
		"Groups":      groups,
		"Hours":       heat(r.ByHour),
		"Weekdays":    heat(r.ByWeekday),
	}
	return reportTemplate.Execute(w, data)
}

// heatCell is one slot of a heat strip: its label, its rate as text and a colour from pale
// (no answers) to deep green (every call answered); grey where no call was placed.
type heatCell struct {
	Label, Text, Color, Ink string
}

func heat(slots []Slot) []heatCell {
	any := false
	out := make([]heatCell, len(slots))
	for i, s := range slots {
		out[i] = heatCell{Label: s.Label, Text: "no calls", Color: "#eceff1", Ink: "#1d2327"}
		if s.Dialled > 0 {
			any = true
			// From #e8f5e9 at 0 to #1b5e20 at 1.
			mix := func(a, b int) int { return a + int(math.Round(s.Rate*float64(b-a))) }
			out[i].Text = fmt.Sprintf("%.0f%% of %d", 100*s.Rate, s.Dialled)
			out[i].Color = fmt.Sprintf("#%02x%02x%02x", mix(0xe8, 0x1b), mix(0xf5, 0x5e), mix(0xe9, 0x20))
			if s.Rate > 0.55 {
				out[i].Ink = "#ffffff" // legible on the darker greens
			}
		}
	}
	if !any {
		return nil
	}
	return out
}
