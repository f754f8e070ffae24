package main

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// The API requests of a run as the live status shows them: counted by class of Bolna's limits
// and by answer, on their way through the client's transport (dialer.WithTransportWrap), and
// an outage told from them.

// outageAfter is how long every request must have failed (no answer, or a 5xx) before the run
// is said to be in an outage (/healthz answers 503). The campaign gives up much later (see
// campaign.Config.Outage); this is for the people watching.
const outageAfter = 30 * time.Second

// apiKey is one series of bolna_campaign_api_requests_total.
type apiKey struct{ class, code string }

// apiCounts counts the requests a client sends; safe for concurrent use.
type apiCounts struct {
	now func() time.Time

	mu           sync.Mutex
	counts       map[apiKey]float64
	failingSince time.Time // the first failure since the last answer that was not one; zero while none
}

func newAPICounts() *apiCounts {
	return &apiCounts{now: time.Now, counts: map[apiKey]float64{}}
}

// wrap is the transport wrapper that counts (see dialer.WithTransportWrap).
func (a *apiCounts) wrap(next http.RoundTripper) http.RoundTripper {
	return countingTransport{next: next, counts: a}
}

// note counts one request: its class, and its answer's status code ("error" for none,
// "canceled" for one the run gave up on itself, which says nothing of Bolna).
func (a *apiCounts) note(class string, code int, canceled bool) {
	label := "error"
	switch {
	case code > 0:
		label = strconv.Itoa(code)
	case canceled:
		label = "canceled"
	}
	if class == "" {
		class = "other"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counts[apiKey{class, label}]++
	switch {
	case label == "canceled": // says nothing of Bolna
	case code > 0 && code < 500:
		a.failingSince = time.Time{}
	case a.failingSince.IsZero():
		a.failingSince = a.now()
	}
}

// snapshot returns the counts so far, and whether every request has failed for outageAfter.
func (a *apiCounts) snapshot() (map[apiKey]float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[apiKey]float64, len(a.counts))
	for k, v := range a.counts {
		out[k] = v
	}
	return out, !a.failingSince.IsZero() && a.now().Sub(a.failingSince) >= outageAfter
}

// countingTransport counts every request through it in counts.
type countingTransport struct {
	next   http.RoundTripper
	counts *apiCounts
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	t.counts.note(dialer.ClassOf(req), code, err != nil && req.Context().Err() != nil)
	return resp, err
}
