// Package bolnatest provides a faithful fake of the Bolna Voice AI API for tests, demos and the
// command's --sandbox mode, in the spirit of net/http/httptest.
//
// The fake follows docs/bolna-api.md §13: bearer-key auth (401 or 403), the call lifecycle
// queued → initiated → ringing → in-progress → call-disconnected → completed (or straight to
// no-answer, busy, failed, error, balance-low) with configurable, scalable timings, the
// half-filled call-disconnected payload, the full completed payload echoing user_data in
// context_details.recipient_data, the account's concurrency (excess calls wait in queued,
// never rejected), the executions list with its envelope, window and trimmed items, stops,
// per-minute request limits, and injectable 429s, 5xx, HTML error pages and lost replies (the
// call is created, the reply is lost).
//
// Time is simulated lazily from a clock: every request first advances the account to now, so
// tests can compress a campaign into milliseconds with [Options.TimeScale] or drive the clock by
// hand with [Options.Now]. What the fake saw is recorded for assertions: [API.Placements],
// [API.Calls] and [API.Stats].
package bolnatest

import (
	"net/http/httptest"
	"time"

	"golang.org/x/time/rate"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Server is a fake Bolna API listening on a loopback address.
type Server struct {
	*API
	URL string // base URL of the form http://127.0.0.1:port
	srv *httptest.Server
}

// NewServer starts a fake Bolna API on loopback. Close it when done.
func NewServer(opts Options) *Server {
	api := NewAPI(opts)
	srv := httptest.NewServer(api)
	api.SetBaseURL(srv.URL)
	return &Server{API: api, URL: srv.URL, srv: srv}
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Client returns a dialer.Client for this server with its key, without request pacing, with
// fast retries; opts are applied after those.
func (s *Server) Client(opts ...dialer.Option) *dialer.Client {
	all := append([]dialer.Option{
		dialer.WithBaseURL(s.URL),
		dialer.WithHTTPClient(s.srv.Client()),
		dialer.WithLimits(dialer.Limits{Call: rate.Inf, List: rate.Inf, Other: rate.Inf}),
		dialer.WithBackoff(dialer.Backoff{Attempts: 6, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}),
		dialer.WithPlaceBackoff(dialer.Backoff{Attempts: 12, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}),
	}, opts...)
	c, err := dialer.New(s.API.opts.APIKey, all...)
	if err != nil {
		panic("bolnatest: " + err.Error()) // the options above are always valid
	}
	return c
}
