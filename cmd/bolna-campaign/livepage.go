package main

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// The live page (/) and what it reads every two seconds (/status.json): the run's progress,
// its outcomes so far, spend, rate, and the slots in use over time, in the look of the HTML
// report (results/report.html.tmpl; the few rules it needs are copied, not shared).

//go:embed live.html.tmpl
var livePageText string

var livePage = template.Must(template.New("live").Parse(livePageText))

const (
	historySize = 360             // points of the slots' history kept; older ones are thinned
	sampleEvery = 2 * time.Second // how often the history is sampled at first
)

// point is one sample of the run's history.
type point struct {
	At     int64 `json:"t"` // Unix milliseconds
	Busy   int   `json:"busy"`
	Slots  int   `json:"slots"`
	Placed int   `json:"placed"`
	Done   int   `json:"done"`
}

// slotHistory keeps at most max points: when full, every other one goes and samples are kept half
// as often, so a run of hours is seen whole in bounded memory.
type slotHistory struct {
	mu     sync.Mutex
	every  time.Duration
	points []point
	max    int
}

func newSlotHistory(size int) *slotHistory { return &slotHistory{every: sampleEvery, max: size} }

func (h *slotHistory) add(p point) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.points); n > 0 && time.Duration(p.At-h.points[n-1].At)*time.Millisecond < h.every-sampleEvery/2 {
		return
	}
	if len(h.points) >= h.max {
		kept := h.points[:0]
		for i := 0; i < len(h.points); i += 2 {
			kept = append(kept, h.points[i])
		}
		h.points, h.every = kept, 2*h.every
	}
	h.points = append(h.points, p)
}

func (h *slotHistory) copy() []point {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]point(nil), h.points...)
}

// sample adds a point to the history every sampleEvery until the live status closes.
func (ls *liveStatus) sample() {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		ls.history.add(pointOf(ls.src.snapshot().progress, time.Now()))
		select {
		case <-ls.done:
			return
		case <-t.C:
		}
	}
}

func pointOf(p campaign.Progress, at time.Time) point {
	return point{At: at.UnixMilli(), Busy: p.SlotsBusy, Slots: p.Slots, Placed: p.Placed, Done: p.Done}
}

// liveJSON is /status.json: what the page shows.
type liveJSON struct {
	Health      string             `json:"health"`
	Halted      string             `json:"halted,omitempty"`
	Stopped     bool               `json:"stopped"`
	Elapsed     string             `json:"elapsed"`
	ToDial      int                `json:"to_dial"`
	Resumed     int                `json:"resumed"`
	Placed      int                `json:"placed"`
	Done        int                `json:"done"`
	InFlight    int                `json:"in_flight"`
	Open        int                `json:"open"`
	Slots       int                `json:"slots"`
	SlotsBusy   int                `json:"slots_busy"`
	RowsLeft    int                `json:"rows_left"`
	Outcomes    []outcomeCount     `json:"outcomes"`
	SpentCents  float64            `json:"spent_cents"`
	Spent       string             `json:"spent"`
	Requests    float64            `json:"requests"`
	MinuteShare map[string]float64 `json:"minute_share,omitempty"`
	Pushes      *pushCounts        `json:"pushes,omitempty"`
	History     []point            `json:"history"`
}

type outcomeCount struct {
	Outcome string `json:"outcome"`
	N       int    `json:"n"`
}

type pushCounts struct {
	Received int `json:"received"`
	Missed   int `json:"missed"`
}

func (ls *liveStatus) serveJSON(w http.ResponseWriter, _ *http.Request) {
	s := ls.src.snapshot()
	p := s.progress
	doc := liveJSON{Health: s.health(), Halted: p.Halted, Stopped: p.Stopped, Elapsed: human.ShortDuration(s.elapsed.Round(time.Second)),
		ToDial: p.ToDial, Resumed: p.Resumed, Placed: p.Placed, Done: p.Done, InFlight: p.InFlight, Open: p.Open,
		Slots: p.Slots, SlotsBusy: p.SlotsBusy, RowsLeft: s.rowsLeft(), SpentCents: p.Spent, Spent: human.Dollars(p.Spent),
		History: ls.history.copy()}
	for status, n := range p.ByStatus {
		doc.Outcomes = append(doc.Outcomes, outcomeCount{string(status), n})
	}
	sort.Slice(doc.Outcomes, func(i, j int) bool {
		a, b := doc.Outcomes[i], doc.Outcomes[j]
		return a.N > b.N || a.N == b.N && a.Outcome < b.Outcome
	})
	for _, n := range s.api {
		doc.Requests += n
	}
	if l := ls.src.limits; l.Call > 0 || l.List > 0 || l.Other > 0 {
		doc.MinuteShare = map[string]float64{}
		for name, pair := range map[string][2]int{"call": {s.lastMin.Call, l.Call}, "list": {s.lastMin.List, l.List}, "other": {s.lastMin.Other, l.Other}} {
			if pair[1] > 0 {
				doc.MinuteShare[name] = float64(pair[0]) / float64(pair[1])
			}
		}
	}
	if s.pushes != nil {
		doc.Pushes = &pushCounts{Received: s.pushes.Received, Missed: s.observed.DropsLooked}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(doc)
}

func (ls *liveStatus) servePage(w http.ResponseWriter, campaignName string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'")
	livePage.Execute(w, struct{ Campaign string }{campaignName})
}
