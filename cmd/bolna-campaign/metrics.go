package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
)

// The run's metrics, in Prometheus's text format: collected when they are scraped (or written
// by --metrics-file) from the snapshots the run keeps anyway (campaign.Runner.Progress, the
// client's and the receiver's counters), so that a run nobody scrapes pays nothing for them.
// Every series is labelled by campaign (the list's file name) and shard; no label holds a
// phone number, a name or any other cell of the list.

// liveSources are where the live status reads the run from; any of them may be nil.
type liveSources struct {
	runner   *campaign.Runner
	api      *apiCounts
	client   *dialer.Client
	limits   dialer.Limits     // the run's share of Bolna's limits; zero: unpaced
	receiver *webhook.Receiver // nil without --webhook-listen
	start    time.Time
}

// snapshot is everything the live status shows, read at one moment.
type snapshot struct {
	progress  campaign.Progress
	api       map[apiKey]float64
	outage    bool
	lastMin   dialer.Limits // requests of each class in the last minute (paced classes only)
	pushes    *webhook.Stats
	observed  campaign.ObservationStats
	elapsed   time.Duration
	startedAt time.Time
}

func (s *liveSources) snapshot() snapshot {
	snap := snapshot{startedAt: s.start, elapsed: time.Since(s.start)}
	if s.runner != nil {
		snap.progress = s.runner.Progress()
		snap.observed = s.runner.Observations()
	}
	if s.api != nil {
		snap.api, snap.outage = s.api.snapshot()
	}
	if s.client != nil && s.limits != (dialer.Limits{}) {
		r := s.client.Recent()
		snap.lastMin = dialer.Limits{Call: len(r.Call), List: len(r.List), Other: len(r.Other)}
	}
	if s.receiver != nil {
		st := s.receiver.Stats()
		snap.pushes = &st
	}
	return snap
}

// health is "ok", "halted" or "outage": what /healthz says.
func (s snapshot) health() string {
	switch {
	case s.progress.Halted != "":
		return "halted"
	case s.outage:
		return "outage"
	}
	return "ok"
}

// rowsLeft is how many rows this run set out to dial and has not placed yet.
func (s snapshot) rowsLeft() int { return max(0, s.progress.ToDial-s.progress.Placed) }

// metricsCollector is a prometheus.Collector of a run's live status.
type metricsCollector struct {
	src   *liveSources
	descs map[string]*prometheus.Desc
}

// metricHelp names every metric of the run, with its help text and its variable labels.
var metricHelp = []struct {
	name, help string
	labels     []string
}{
	{"calls_placed_total", "Calls this run placed (POST /call answered, a refusal included).", nil},
	{"calls_in_flight", "Calls holding one of the run's slots: being placed, queued, ringing or talking.", nil},
	{"calls_open", "Calls with no outcome yet, those in post-processing included.", nil},
	{"outcomes_total", "Outcomes recorded by this run, by outcome (the results file's status).", []string{"outcome"}},
	{"rows_to_dial", "Rows this run set out to dial.", nil},
	{"rows_left", "Rows this run set out to dial and has not placed yet.", nil},
	{"api_requests_total", "Requests sent to Bolna's API (retries included), by class of its limits and by answer (a status code, error or canceled).", []string{"class", "code"}},
	{"api_minute_share_used", "Requests of each class in the last minute, as a share of the run's per-minute limit (--api-share of Bolna's).", []string{"class"}},
	{"spend_cents_total", "The campaign's summed total_cost so far, in Bolna's cents (across runs).", nil},
	{"slots", "The run's concurrency slots, busy or free.", []string{"state"}},
	{"pushes_received_total", "Well-formed webhook pushes received.", nil},
	{"pushes_missed_total", "Dropped lines a look found before any push told of them (a push missing or late).", nil},
	{"pushes_refused_total", "Requests to the webhook receiver refused (malformed, too large, wrong path or token).", nil},
	{"halted", "1 once placing stopped early (spend cap, failures in a row, wallet), else 0.", nil},
	{"api_outage", "1 while every request to Bolna has failed for 30 s or more, else 0.", nil},
	{"start_time_seconds", "When the run started, in seconds since the Unix epoch.", nil},
}

func newMetricsCollector(src *liveSources, campaignName, shard string) *metricsCollector {
	constLabels := prometheus.Labels{"campaign": campaignName, "shard": shard}
	c := &metricsCollector{src: src, descs: map[string]*prometheus.Desc{}}
	for _, m := range metricHelp {
		c.descs[m.name] = prometheus.NewDesc("bolna_campaign_"+m.name, m.help, m.labels, constLabels)
	}
	return c
}

func (c *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.snapshot()
	p := s.progress
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v, labels...)
	}
	counter := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.CounterValue, v, labels...)
	}
	counter("calls_placed_total", float64(p.Placed))
	gauge("calls_in_flight", float64(p.InFlight))
	gauge("calls_open", float64(p.Open))
	for status, n := range p.ByStatus {
		counter("outcomes_total", float64(n), string(status))
	}
	gauge("rows_to_dial", float64(p.ToDial))
	gauge("rows_left", float64(s.rowsLeft()))
	for k, n := range s.api {
		counter("api_requests_total", n, k.class, k.code)
	}
	if l := c.src.limits; l != (dialer.Limits{}) {
		for _, cl := range []struct {
			name        string
			used, limit int
		}{{"call", s.lastMin.Call, l.Call}, {"list", s.lastMin.List, l.List}, {"other", s.lastMin.Other, l.Other}} {
			if cl.limit > 0 {
				gauge("api_minute_share_used", float64(cl.used)/float64(cl.limit), cl.name)
			}
		}
	}
	counter("spend_cents_total", p.Spent)
	gauge("slots", float64(p.SlotsBusy), "busy")
	gauge("slots", float64(max(0, p.Slots-p.SlotsBusy)), "free")
	if w := s.pushes; w != nil {
		counter("pushes_received_total", float64(w.Received))
		counter("pushes_missed_total", float64(s.observed.DropsLooked))
		counter("pushes_refused_total", float64(w.Malformed+w.TooLarge+w.NotFound))
	}
	gauge("halted", boolValue(p.Halted != ""))
	gauge("api_outage", boolValue(s.outage))
	gauge("start_time_seconds", float64(s.startedAt.UnixNano())/1e9)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// newMetricsRegistry is a registry holding the run's metrics only (no Go runtime metrics: a
// node exporter's textfile collector refuses names it serves itself).
func newMetricsRegistry(src *liveSources, campaignName, shard string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newMetricsCollector(src, campaignName, shard))
	return reg
}

// writeMetricsFile writes the registry's metrics to path in the node exporter's textfile
// format, atomically (a temporary file beside it, then a rename), mode 0644 so that the
// exporter's user can read it.
func writeMetricsFile(path string, reg prometheus.Gatherer) error {
	return prometheus.WriteToTextfile(path, reg)
}
