package results

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign"
)

// MaxChase bounds the rows to chase a report lists; the results files have them all.
const MaxChase = 1000

// Report is what a campaign's results add up to. Build it with [NewReport] and [Report.Add],
// or [ReadReport].
type Report struct {
	Files    []string                `json:"files"`
	Rows     int                     `json:"rows"`
	ByStatus map[campaign.Status]int `json:"by_status"`

	Dialled    int     `json:"dialled"`     // rows with a call placed
	Answered   int     `json:"answered"`    // completed with a conversation (duration > 0)
	AnswerRate float64 `json:"answer_rate"` // Answered / Dialled

	Attempts     int                             `json:"attempts"` // calls placed, retries included
	MeanAttempts float64                         `json:"mean_attempts"`
	ByAttempt    map[int]map[campaign.Status]int `json:"by_attempt"` // attempts → status → rows

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
	CostUnit     string                      `json:"cost_unit"`
	TotalCost    float64                     `json:"total_cost"`
	MeanCost     float64                     `json:"mean_cost"` // per dialled row
	CostByStatus map[campaign.Status]float64 `json:"cost_by_status"`

	// Extracted counts the values of each extracted_data key (top values only, see Top).
	Extracted map[string]map[string]int `json:"extracted"`

	Chase      []Chase `json:"chase"`       // rows to chase, at most MaxChase
	ChaseTotal int     `json:"chase_total"` // all of them

	// By is the input column Groups break the rows down by (report --by), "" for none.
	By     string            `json:"by,omitempty"`
	Groups map[string]*Group `json:"groups,omitempty"`

	// Command is how the tool is invoked, for the hints the report prints ("" for
	// bolna-campaign; go run ./cmd/bolna-campaign when run so).
	Command string `json:"-"`

	durations []float64
}

// DurationBucketLabels name Report.DurationBuckets.
var DurationBucketLabels = []string{"<15s", "15-30s", "30-60s", "1-2m", "2-5m", "5m+"}

var bucketEdges = []float64{15, 30, 60, 120, 300}

// Chase is a row worth another try: not answered, busy or failed.
type Chase struct {
	File     string          `json:"file"`
	Line     int             `json:"line"`
	Phone    string          `json:"phone"`
	Name     string          `json:"name,omitempty"`
	Status   campaign.Status `json:"status"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error,omitempty"`
}

// Group is the rows that share one value of the column a report is broken down by.
type Group struct {
	Rows       int                     `json:"rows"`
	Dialled    int                     `json:"dialled"`
	Answered   int                     `json:"answered"`
	AnswerRate float64                 `json:"answer_rate"`
	ByStatus   map[campaign.Status]int `json:"by_status"`
}

// MaxGroups bounds the groups of a breakdown; the rows of other values count under "(other)".
const MaxGroups = 200

// GroupKeys returns the groups' values, most rows first.
func (r *Report) GroupKeys() []string {
	keys := slices.Collect(maps.Keys(r.Groups))
	slices.SortFunc(keys, func(a, b string) int {
		if d := r.Groups[b].Rows - r.Groups[a].Rows; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

// NewReport returns an empty report.
func NewReport() *Report {
	return &Report{
		ByStatus: map[campaign.Status]int{}, ByAttempt: map[int]map[campaign.Status]int{}, CostByStatus: map[campaign.Status]float64{},
		Extracted: map[string]map[string]int{}, DurationBuckets: make([]int, len(DurationBucketLabels)),
		DurationBounds: []int{0, 15, 30, 60, 120, 300}, CostUnit: "cents",
	}
}

// ReadReport reads and merges results files (the shards of one campaign, say).
func ReadReport(paths ...string) (*Report, error) { return ReadReportBy("", paths...) }

// ReadReportBy is ReadReport with the rows also broken down by the input column by (no
// breakdown for ""); a file without that column is an error.
func ReadReportBy(by string, paths ...string) (*Report, error) {
	r := NewReport()
	r.By = by
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		err = r.AddFile(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	r.Finish()
	return r, nil
}

// AddFile adds every row of one results file.
func (r *Report) AddFile(rd io.Reader, name string) error {
	r.Files = append(r.Files, name)
	return Read(rd, name, func(row Row) error {
		if _, ok := inputColumn(row.Input, r.By); r.By != "" && !ok {
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
	r.Rows++
	r.ByStatus[o.Status]++
	if r.By != "" {
		r.group(row).count(o)
	}
	if o.ExecutionID != "" || o.Attempts > 0 {
		r.Dialled++
		r.Attempts += o.Attempts
		if r.ByAttempt[o.Attempts] == nil {
			r.ByAttempt[o.Attempts] = map[campaign.Status]int{}
		}
		r.ByAttempt[o.Attempts][o.Status]++
	}
	r.TotalCost += o.Cost
	r.CostByStatus[o.Status] += o.Cost
	if o.Status == campaign.StatusCompleted && o.Duration > 0 {
		r.Answered++
		r.TotalDuration += o.Duration
		r.durations = append(r.durations, o.Duration)
		r.DurationBuckets[sort.SearchFloat64s(bucketEdges, math.Nextafter(o.Duration, math.Inf(1)))]++
	}
	if len(o.Extracted) > 0 {
		var m map[string]any
		if json.Unmarshal(o.Extracted, &m) == nil {
			for k, v := range m {
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
	}
	if o.Status.Chase() {
		r.ChaseTotal++
		if len(r.Chase) < MaxChase {
			r.Chase = append(r.Chase, Chase{File: file, Line: row.Line, Phone: phoneOf(row.Input), Name: nameOf(row.Input),
				Status: o.Status, Attempts: o.Attempts, Error: o.Error})
		}
	}
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

func (r *Report) group(row Row) *Group {
	value, _ := inputColumn(row.Input, r.By)
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
		g = &Group{ByStatus: map[campaign.Status]int{}}
		r.Groups[value] = g
	}
	return g
}

func (g *Group) count(o campaign.Outcome) {
	g.Rows++
	g.ByStatus[o.Status]++
	if o.ExecutionID != "" || o.Attempts > 0 {
		g.Dialled++
	}
	if o.Status == campaign.StatusCompleted && o.Duration > 0 {
		g.Answered++
	}
}

// Finish computes the means and percentiles once every row is added.
func (r *Report) Finish() {
	for _, g := range r.Groups {
		if g.Dialled > 0 {
			g.AnswerRate = float64(g.Answered) / float64(g.Dialled)
		}
	}
	if r.Dialled > 0 {
		r.AnswerRate = float64(r.Answered) / float64(r.Dialled)
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
func (r *Report) Statuses() []campaign.Status { return campaign.SortedStatuses(r.ByStatus) }

// ValueCount is one value of an extracted_data key and how often it came.
type ValueCount struct {
	Value string
	Count int
	Share float64 // of the rows that had the key
}

// Top returns the n most frequent values of an extracted_data key.
func (r *Report) Top(key string, n int) []ValueCount {
	vals := r.Extracted[key]
	total := 0
	for _, c := range vals {
		total += c
	}
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
		for _, name := range campaign.PhoneColumns {
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
