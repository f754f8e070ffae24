package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// benchLive is a live status with the series of a busy run: a runner, a client at Bolna's
// limits, and requests of every class with a few answers each.
func benchLive(b *testing.B) *liveStatus {
	api := bolnasim.NewAPI(bolnasim.Options{Concurrency: 500})
	b.Cleanup(api.Close)
	counts := newAPICounts()
	for _, class := range []string{"call", "list", "other"} {
		for _, code := range []int{200, 429, 503, 0} {
			counts.note(class, code, false)
		}
	}
	client := api.InProcessClient()
	l := &liveOptions{statusListen: "127.0.0.1:0", api: counts}
	src := &liveSources{runner: campaign.NewRunner(client, campaign.Config{}), client: client, limits: dialer.DefaultLimits, start: time.Now()}
	ls, err := l.startLive(newConsole(Env{Stderr: discard{}}, "text"), src, "bench", "0/4")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ls.close(nil) })
	return ls
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkScrape is the CPU of one scrape of /metrics, and of one read of the page's
// status.json, served in process (no socket): what scraping every second costs a run, a
// second at a time (see scripts/bench-metrics.sh for a whole run).
//
//	go test ./cmd/bolna-campaign -run '^$' -bench 'Scrape|CountRequest' -benchmem
func BenchmarkScrape(b *testing.B) {
	ls := benchLive(b)
	h := ls.handler("bench")
	for _, path := range []string{"/metrics", "/status.json"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", path, w.Code)
				}
			}
		})
	}
}

// BenchmarkCountRequest is what counting one API request costs (the transport wrapper's
// part, on the request's path).
func BenchmarkCountRequest(b *testing.B) {
	counts := newAPICounts()
	for b.Loop() {
		counts.note("list", 200, false)
	}
}
