package results

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// MaxChase bounds the rows to chase a report lists; the results files have them all.
const MaxChase = 1000

// Report is what a campaign's results add up to. Build it with [NewReport] and [Report.Add],
// or [ReadReport].
type Report struct {
	Files    []string               `json:"files"`
	Rows     int                    `json:"rows"`
	ByStatus map[journal.Status]int `json:"by_status"`

	Dialled    int     `json:"dialled"`     // rows with a call placed
	Finished   int     `json:"finished"`    // dialled rows whose latest call has a final status
	Answered   int     `json:"answered"`    // people reached: completed with a conversation, not a voicemail
	AnswerRate float64 `json:"answer_rate"` // Answered / Finished: a call still in progress is not yet answered or not
	Voicemail  int     `json:"voicemail"`   // completed, answered by a voicemail
	Rejected   int     `json:"rejected"`    // completed with no conversation (rejected at once)
	// ByOutcome counts the dialled rows by what happened to the person (see journal.Result).
	ByOutcome map[journal.Result]int `json:"by_outcome"`
	// Goal is the campaign's conversion, when one is set (report --goal KEY=VALUE).
	Goal *Goal `json:"goal,omitempty"`
	// Verdicts say whether the groups of a breakdown differ beyond chance.
	Verdicts []Verdict `json:"verdicts,omitempty"`
	// ByHour and ByWeekday are the answer rate by the contact's local hour of the day and day
	// of the week, when the latest call was placed (the zone the calling window uses: the
	// number's).
	ByHour    []Slot `json:"by_local_hour"`
	ByWeekday []Slot `json:"by_local_weekday"`

	Attempts     int                            `json:"attempts"` // calls placed, retries included
	MeanAttempts float64                        `json:"mean_attempts"`
	ByAttempt    map[int]map[journal.Status]int `json:"by_attempt"` // attempts → status → rows

	TotalDuration float64 `json:"total_duration_s"`
	MeanDuration  float64 `json:"mean_duration_s"` // over answered calls
	P50Duration   float64 `json:"p50_duration_s"`
	P95Duration   float64 `json:"p95_duration_s"`
	// DurationBuckets counts answered calls by duration: [0,15), [15,30), [30,60), [60,120),
	// [120,300), [300,∞) seconds.
	DurationBuckets []int `json:"duration_buckets"`
	// DurationBounds are the buckets' lower bounds, in seconds (the last is open).
	DurationBounds []int `json:"duration_bucket_starts_s"`

	// Costs are in Bolna's unit, cents (CostUnit says so in the JSON).
	CostUnit     string                     `json:"cost_unit"`
	TotalCost    float64                    `json:"total_cost"`
	MeanCost     float64                    `json:"mean_cost"` // per dialled row
	CostByStatus map[journal.Status]float64 `json:"cost_by_status"`

	// Extracted counts the values of each extracted_data key (top values only, see Top).
	Extracted map[string]map[string]int `json:"extracted"`

	Chase      []Chase `json:"chase"`       // rows to chase, at most MaxChase
	ChaseTotal int     `json:"chase_total"` // all of them

	// By is the input column Groups break the rows down by (report --by), "" for none.
	By     string            `json:"by,omitempty"`
	Groups map[string]*Group `json:"groups,omitempty"`
	// Experiment compares the agents the rows were dialled through, when there are two or
	// more (see Experiment).
	Experiment *Experiment `json:"experiment,omitempty"`

	// Notes say what the reader must know of the files merged: two different campaigns (other
	// columns, or journals of other campaigns that are not shards of one list), or one
	// campaign given twice.
	Notes []string `json:"notes,omitempty"`

	// Command is how the tool is invoked, for the hints the report prints ("" for
	// bolna-campaign; go run ./cmd/bolna-campaign when run so).
	Command string `json:"-"`

	durations []float64
	zones     *contacts.Zones // the contacts' zones, as the calling window finds them
	// people counts the rows by what happened to the person: a dialled row's outcome, else its
	// status (the HTML's outcomes chart).
	people map[string]int
	// columns are each file's input columns, sorted (ReadReport's notes).
	columns map[string][]string
	arms    map[string]*experiment.Arm // by agent id
}

// DurationBucketLabels name Report.DurationBuckets.
var DurationBucketLabels = []string{"<15s", "15-30s", "30-60s", "1-2m", "2-5m", "5m+"}

var bucketEdges = []float64{15, 30, 60, 120, 300}

// Chase is a row worth another try: not answered, busy or failed.
type Chase struct {
	File     string         `json:"file"`
	Line     int            `json:"line"`
	Phone    string         `json:"phone"`
	Name     string         `json:"name,omitempty"`
	Status   journal.Status `json:"status"`
	Outcome  journal.Result `json:"outcome,omitempty"`
	Attempts int            `json:"attempts"`
	Error    string         `json:"error,omitempty"`
}

// Group is the rows that share one value of the column a report is broken down by.
type Group struct {
	Rows       int                    `json:"rows"`
	Dialled    int                    `json:"dialled"`
	Finished   int                    `json:"finished"` // rates are of these (see Report.Finished)
	Answered   int                    `json:"answered"`
	AnswerRate float64                `json:"answer_rate"`
	AnswerCI   Interval               `json:"answer_rate_95"` // Wilson
	Goal       int                    `json:"goal,omitempty"`
	GoalRate   float64                `json:"goal_rate,omitempty"`
	GoalCI     *Interval              `json:"goal_rate_95,omitempty"`
	ByStatus   map[journal.Status]int `json:"by_status"`
}

// Goal is the campaign's conversion: the rows whose extracted KEY is VALUE, of the rows
// dialled, and what each cost.
type Goal struct {
	Key      string   `json:"key"`
	Value    string   `json:"value"`
	Reached  int      `json:"reached"`
	Rate     float64  `json:"rate"` // of the rows dialled whose calls have finished
	CI       Interval `json:"rate_95"`
	CostEach float64  `json:"cost_per_goal"` // total cost / reached, cents; 0 when none reached
}

// Slot is the answer rate of the calls placed in one local hour (or weekday).
type Slot struct {
	Label    string  `json:"label"`
	Dialled  int     `json:"dialled"`
	Answered int     `json:"answered"`
	Rate     float64 `json:"rate"`
}

// ParseGoal reads --goal KEY=VALUE.
func ParseGoal(text string) (*Goal, error) {
	k, v, ok := strings.Cut(text, "=")
	if k, v = strings.TrimSpace(k), strings.TrimSpace(v); !ok || k == "" || v == "" {
		return nil, fmt.Errorf("--goal %q: write KEY=VALUE, an extracted_data key and the value that counts, e.g. confirmed=yes", text)
	}
	return &Goal{Key: k, Value: v}, nil
}

// Met reports whether an outcome reached the goal: its extracted_data holds the goal's
// value under its key (a runner's experiment counts its arms' goals so).
func (g *Goal) Met(o journal.Outcome) bool {
	var extracted map[string]any
	if len(o.Extracted) == 0 || json.Unmarshal(o.Extracted, &extracted) != nil {
		return false
	}
	return g.reached(extracted)
}

// reached reports whether a row's extraction holds the goal's value under its key (without
// regard to case).
func (g *Goal) reached(extracted map[string]any) bool {
	v, ok := extracted[g.Key]
	return ok && v != nil && strings.EqualFold(valueText(v), g.Value)
}

func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// MaxGroups bounds the groups of a breakdown; the rows of other values count under "(other)".
const MaxGroups = 200

// GroupKeys returns the groups' values, most rows first, in natural order among equals
// ("clinic 2" before "clinic 10").
func (r *Report) GroupKeys() []string {
	keys := slices.Collect(maps.Keys(r.Groups))
	slices.SortFunc(keys, func(a, b string) int {
		if d := r.Groups[b].Rows - r.Groups[a].Rows; d != 0 {
			return d
		}
		return naturalLess(a, b)
	})
	return keys
}

// NewReport returns an empty report.
func NewReport() *Report {
	return &Report{
		ByStatus: map[journal.Status]int{}, ByAttempt: map[int]map[journal.Status]int{}, CostByStatus: map[journal.Status]float64{},
		Extracted: map[string]map[string]int{}, DurationBuckets: make([]int, len(DurationBucketLabels)),
		DurationBounds: []int{0, 15, 30, 60, 120, 300}, CostUnit: "cents", ByOutcome: map[journal.Result]int{},
		ByHour: make([]Slot, 24), ByWeekday: make([]Slot, 7), zones: &contacts.Zones{},
	}
}

// SetGoal makes g the report's conversion; call it before adding rows.
func (r *Report) SetGoal(g *Goal) { r.Goal = g }

// ReadReport reads and merges results files (the shards of one campaign, say).
func ReadReport(paths ...string) (*Report, error) { return ReadReportBy("", paths...) }

// ReadReportBy is ReadReport with the rows also broken down by the input column by (no
// breakdown for ""); a file without that column is an error.
func ReadReportBy(by string, paths ...string) (*Report, error) {
	return ReadReportWith(by, nil, paths...)
}

// ReadReportWith is ReadReportBy with a goal (nil for none; see Goal). It reads no journal: files
// of two campaigns, or one given twice, are told apart by their columns only (ReadCampaigns
// tells them apart by their campaigns).
func ReadReportWith(by string, goal *Goal, paths ...string) (*Report, error) {
	return ReadCampaigns(by, goal, nil, paths...)
}

// ReadCampaigns is ReadReportWith that also tells the files' campaigns apart by their journals
// (see Report.Notes): campaignOf is the id of the campaign whose journal is beside the results
// file at a path ("" when it has none, or it cannot be read). The package knows no journal's
// path: the command gives it (nil: the files are told apart by their columns only).
func ReadCampaigns(by string, goal *Goal, campaignOf func(results string) string, paths ...string) (*Report, error) {
	r := NewReport()
	r.By = by
	if goal != nil {
		g := *goal
		r.Goal = &g
	}
	for _, p := range paths {
		f, err := journal.OpenNoFollow(p, os.O_RDONLY, 0) // a FIFO would hang status and report
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		err = r.AddFile(journal.BoundLines(f, p, journal.MaxLine), p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	r.Notes = campaignNotes(paths, r.columns, campaignOf)
	r.Finish()
	return r, nil
}

// campaignNotes says when results files merged into one report are not one campaign: their
// input columns differ (two lists), or their journals are of two campaigns and the files are
// not shards of one list (each shard has a journal of its own); or when one campaign is given
// twice (its rows would count twice).
func campaignNotes(paths []string, columns map[string][]string, campaignOf func(string) string) []string {
	if len(paths) < 2 {
		return nil
	}
	ids := make([]string, len(paths))
	for i, p := range paths {
		if campaignOf != nil {
			ids[i] = campaignOf(p)
		}
	}
	var notes []string
	seen := map[string]string{} // campaign id → the first file of it
	for i, p := range paths {
		if first, ok := seen[ids[i]]; ok && ids[i] != "" {
			notes = append(notes, fmt.Sprintf("%s and %s are one campaign (journal %s) given twice: its rows are counted twice", first, p, ids[i]))
			continue
		}
		seen[ids[i]] = p
		first := paths[0]
		switch {
		case i == 0:
		case columns[p] != nil && columns[first] != nil && !slices.Equal(columns[p], columns[first]):
			notes = append(notes, fmt.Sprintf("%s and %s are two different campaigns: their lists have other columns (%s; %s), and their rows are counted together here",
				first, p, strings.Join(columns[first], ", "), strings.Join(columns[p], ", ")))
		case ids[i] != "" && ids[0] != "" && !sameShards(first, p):
			notes = append(notes, fmt.Sprintf("%s and %s are two different campaigns (journals %s and %s), not shards of one list: their rows are counted together here (report --by agent_id compares two agents)",
				first, p, ids[0], ids[i]))
		}
	}
	return notes
}

// shardName matches the results file of a shard: CONTACTS.shard-K-of-N.results.csv.
var shardName = regexp.MustCompile(`^(.*)\.shard-\d+-of-(\d+)(\.results\.csv)$`)

// sameShards reports whether a and b are results files of two shards of one list.
func sameShards(a, b string) bool {
	ma, mb := shardName.FindStringSubmatch(a), shardName.FindStringSubmatch(b)
	return ma != nil && mb != nil && ma[1] == mb[1] && ma[2] == mb[2]
}

// AddFile adds every row of one results file.
func (r *Report) AddFile(rd io.Reader, name string) error {
	r.Files = append(r.Files, name)
	return Read(rd, name, func(row Row) error {
		if r.columns == nil {
			r.columns = map[string][]string{}
		}
		if _, ok := r.columns[name]; !ok {
			r.columns[name] = slices.Sorted(maps.Keys(row.Input))
		}
		if _, ok := r.byValue(row); r.By != "" && !ok {
			cols := slices.Sorted(maps.Keys(row.Input))
			return fmt.Errorf("results: %s has no column %q to break the report down by (columns: %s)", name, r.By, strings.Join(cols, ", "))
		}
		r.Add(name, row)
		return nil
	})
}

// Add counts one row.
func (r *Report) Add(file string, row Row) {
	o := row.Outcome
	result := o.Result()
	var extracted map[string]any
	if len(o.Extracted) > 0 {
		json.Unmarshal(o.Extracted, &extracted)
	}
	goal := r.Goal != nil && r.Goal.reached(extracted)
	r.Rows++
	r.ByStatus[o.Status]++
	calls := o.Status.Calls(o.Attempts) // a skip of the account's guard is an attempt with no call
	dialled := o.ExecutionID != "" || calls > 0
	finished := dialled && o.Status.Settled()
	if r.people == nil {
		r.people = map[string]int{}
	}
	if dialled && result != "" {
		r.people[string(result)]++
	} else {
		r.people[string(o.Status)]++
	}
	if r.By != "" {
		r.group(row).count(o, dialled, finished, goal)
	}
	if dialled {
		r.countArm(row, finished, goal)
	}
	if finished {
		r.Finished++
	}
	if dialled {
		r.Dialled++
		r.Attempts += calls
		if r.ByAttempt[o.Attempts] == nil {
			r.ByAttempt[o.Attempts] = map[journal.Status]int{}
		}
		r.ByAttempt[o.Attempts][o.Status]++
		if result != "" {
			r.ByOutcome[result]++
		}
		if goal {
			r.Goal.Reached++
		}
		if finished {
			r.countTime(row, result)
		}
	}
	r.TotalCost += o.Cost
	r.CostByStatus[o.Status] += o.Cost
	switch result {
	case journal.ResultAnswered:
		r.Answered++
		r.TotalDuration += o.Duration
		r.durations = append(r.durations, o.Duration)
		r.DurationBuckets[sort.SearchFloat64s(bucketEdges, math.Nextafter(o.Duration, math.Inf(1)))]++
	case journal.ResultVoicemail:
		r.Voicemail++
	case journal.ResultRejected:
		r.Rejected++
	}
	r.countExtracted(extracted)
	if chase(o) {
		r.ChaseTotal++
		if len(r.Chase) < MaxChase {
			r.Chase = append(r.Chase, Chase{File: file, Line: row.Line, Phone: phoneOf(row.Input), Name: nameOf(row.Input),
				Status: o.Status, Outcome: result, Attempts: o.Attempts, Error: o.Error})
		}
	}
}

// countExtracted counts the values of a row's extracted data, in a bounded report: the first
// 50 keys, 1,000 values a key (the rest under "(other)").
func (r *Report) countExtracted(extracted map[string]any) {
	for k, v := range extracted {
		if v == nil {
			continue
		}
		vals := r.Extracted[k]
		if vals == nil {
			if len(r.Extracted) >= 50 {
				continue // a bounded report: the first 50 keys
			}
			vals = map[string]int{}
			r.Extracted[k] = vals
		}
		text := fmt.Sprint(v)
		if s, ok := v.(string); ok {
			text = s
		} else if b, err := json.Marshal(v); err == nil {
			text = string(b)
		}
		if len(vals) < 1000 || vals[text] > 0 {
			vals[text]++
		} else {
			vals["(other)"]++
		}
	}
}

// chase reports whether a row is one to follow up: nobody was reached (no answer, busy,
// failed, a voicemail, rejected at once) or the call could not be identified (unknown).
func chase(o journal.Outcome) bool { return o.Status.Chase() || o.Result().Chase() }

// countTime counts a dialled row by the contact's local hour and weekday of its latest call.
func (r *Report) countTime(row Row, result journal.Result) {
	at := row.Outcome.DialedAt
	if at.IsZero() {
		return
	}
	if e164, problem := (contacts.PhoneNormalizer{}).Normalize(phoneOf(row.Input)); problem == "" {
		if loc, err := r.zones.For(e164, ""); err == nil {
			at = at.In(loc)
		}
	}
	answered := 0
	if result.Reached() {
		answered = 1
	}
	h, d := &r.ByHour[at.Hour()], &r.ByWeekday[at.Weekday()]
	h.Dialled, h.Answered = h.Dialled+1, h.Answered+answered
	d.Dialled, d.Answered = d.Dialled+1, d.Answered+answered
}

// inputColumn is the value of the input column name, matched without regard to case (report --by
// Clinic finds clinic, and merged files may spell it differently).
func inputColumn(input map[string]string, name string) (string, bool) {
	if v, ok := input[name]; ok {
		return v, true
	}
	for k, v := range input {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// byValue is the row's value of the column the report is broken down by: an input column, or
// the results' own agent_id (two campaigns with two agents, merged, are an A/B test).
func (r *Report) byValue(row Row) (string, bool) {
	if v, ok := inputColumn(row.Input, r.By); ok {
		return v, true
	}
	if strings.EqualFold(r.By, "agent_id") {
		return row.Outcome.AgentID, true
	}
	if strings.EqualFold(r.By, "from_number") {
		return row.Outcome.From, true
	}
	return "", false
}

func (r *Report) group(row Row) *Group {
	value, _ := r.byValue(row)
	if r.Groups == nil {
		r.Groups = map[string]*Group{}
	}
	g := r.Groups[value]
	if g == nil {
		if len(r.Groups) >= MaxGroups {
			value = "(other)"
			if g = r.Groups[value]; g != nil {
				return g
			}
		}
		g = &Group{ByStatus: map[journal.Status]int{}}
		r.Groups[value] = g
	}
	return g
}

func (g *Group) count(o journal.Outcome, dialled, finished, goal bool) {
	g.Rows++
	g.ByStatus[o.Status]++
	if dialled {
		g.Dialled++
		if goal {
			g.Goal++
		}
	}
	if finished {
		g.Finished++
	}
	if o.Result().Reached() {
		g.Answered++
	}
}

// Finish computes the means, percentiles, intervals and verdicts once every row is added.
func (r *Report) Finish() {
	for _, g := range r.Groups {
		g.AnswerCI = wilson(g.Answered, g.Finished)
		if g.Finished > 0 {
			g.AnswerRate = float64(g.Answered) / float64(g.Finished)
		}
		if r.Goal != nil {
			ci := wilson(g.Goal, g.Finished)
			g.GoalCI = &ci
			if g.Finished > 0 {
				g.GoalRate = float64(g.Goal) / float64(g.Finished)
			}
		}
	}
	if len(r.Groups) > 1 {
		keys := r.GroupKeys()
		n := func(k string) int { return r.Groups[k].Finished }
		r.Verdicts = nil
		if v := compare("answer rate", keys, func(k string) int { return r.Groups[k].Answered }, n); v != nil {
			r.Verdicts = append(r.Verdicts, *v)
		}
		if r.Goal != nil {
			if v := compare("goal rate", keys, func(k string) int { return r.Groups[k].Goal }, n); v != nil {
				r.Verdicts = append(r.Verdicts, *v)
			}
		}
	}
	r.finishExperiment()
	if r.Goal != nil {
		r.Goal.CI = wilson(r.Goal.Reached, r.Finished)
		if r.Finished > 0 {
			r.Goal.Rate = float64(r.Goal.Reached) / float64(r.Finished)
		}
		if r.Goal.Reached > 0 {
			r.Goal.CostEach = r.TotalCost / float64(r.Goal.Reached)
		}
	}
	for _, slots := range [][]Slot{r.ByHour, r.ByWeekday} {
		for i := range slots {
			if slots[i].Dialled > 0 {
				slots[i].Rate = float64(slots[i].Answered) / float64(slots[i].Dialled)
			}
		}
	}
	for i := range r.ByHour {
		r.ByHour[i].Label = fmt.Sprintf("%02d", i)
	}
	for i := range r.ByWeekday {
		r.ByWeekday[i].Label = time.Weekday(i).String()[:3]
	}
	if r.Finished > 0 {
		r.AnswerRate = float64(r.Answered) / float64(r.Finished)
	}
	if r.Dialled > 0 {
		r.MeanAttempts = float64(r.Attempts) / float64(r.Dialled)
		r.MeanCost = r.TotalCost / float64(r.Dialled)
	}
	if r.Answered > 0 {
		r.MeanDuration = r.TotalDuration / float64(r.Answered)
		slices.Sort(r.durations)
		r.P50Duration = percentile(r.durations, 0.50)
		r.P95Duration = percentile(r.durations, 0.95)
	}
}

// MarshalJSON writes the report with its numbers rounded (cents and seconds to 2 places, rates
// to 4): no 164.05000000000004 for a machine to choke on.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report // no methods: no recursion
	c := plain(*r)
	c.CostByStatus = maps.Clone(r.CostByStatus)
	groups := make(map[string]*Group, len(r.Groups))
	for k, g := range r.Groups {
		gc := *g
		groups[k] = &gc
	}
	if r.Groups != nil {
		c.Groups = groups
	}
	rc := Report(c)
	rc.round()
	return json.Marshal(plain(rc))
}

func (r *Report) round() {
	r2 := func(f float64) float64 { return math.Round(f*100) / 100 }
	r.AnswerRate = math.Round(r.AnswerRate*1e4) / 1e4
	r.MeanAttempts = r2(r.MeanAttempts)
	r.TotalDuration, r.MeanDuration, r.P50Duration, r.P95Duration = r2(r.TotalDuration), r2(r.MeanDuration), r2(r.P50Duration), r2(r.P95Duration)
	r.TotalCost, r.MeanCost = r2(r.TotalCost), r2(r.MeanCost)
	for s, c := range r.CostByStatus {
		r.CostByStatus[s] = r2(c)
	}
	for _, g := range r.Groups {
		g.AnswerRate = math.Round(g.AnswerRate*1e4) / 1e4
	}
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Statuses returns the statuses present, in the order summaries show them.
func (r *Report) Statuses() []journal.Status { return journal.SortedStatuses(r.ByStatus) }

// ValueCount is one value of an extracted_data key and how often it came.
type ValueCount struct {
	Value string
	Count int
	Share float64 // of the rows dialled: rows without the key count too (see NoValue)
}

// NoValue is how many dialled rows have no value for an extracted_data key: not answered,
// or the agent extracted nothing for it.
func (r *Report) NoValue(key string) int {
	total := 0
	for _, c := range r.Extracted[key] {
		total += c
	}
	return max(0, r.Dialled-total)
}

// Top returns the n most frequent values of an extracted_data key, with their shares of the
// rows dialled (not of the rows that have a value: "yes 100%" of two answers would hide the
// eighteen who said nothing).
func (r *Report) Top(key string, n int) []ValueCount {
	vals := r.Extracted[key]
	total := max(r.Dialled, 1)
	out := make([]ValueCount, 0, len(vals))
	for v, c := range vals {
		out = append(out, ValueCount{Value: v, Count: c, Share: float64(c) / float64(total)})
	}
	slices.SortFunc(out, func(a, b ValueCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out[:min(n, len(out))]
}

// ExtractedKeys returns the extracted_data keys, sorted.
func (r *Report) ExtractedKeys() []string {
	return slices.Sorted(maps.Keys(r.Extracted))
}

func phoneOf(input map[string]string) string {
	for k, v := range input {
		for _, name := range contacts.PhoneColumns {
			if strings.EqualFold(k, name) {
				return v
			}
		}
	}
	return ""
}

func nameOf(input map[string]string) string {
	for _, name := range []string{"name", "full_name", "customer_name", "first_name"} {
		for k, v := range input {
			if strings.EqualFold(k, name) {
				return v
			}
		}
	}
	return ""
}
