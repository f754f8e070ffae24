// Package bolnatest serves the simulated Bolna API of dialer/bolnasim on a loopback address
// for tests, in the spirit of net/http/httptest: [NewServer] starts it, [Server.Client] talks to
// it. The simulation's types are re-exported here so that a test needs one import.
package bolnatest

import (
	"net/http/httptest"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// The simulation's types and values (see dialer/bolnasim).
type (
	API       = bolnasim.API
	Options   = bolnasim.Options
	Style     = bolnasim.Style
	Limits    = bolnasim.Limits
	Fault     = bolnasim.Fault
	Faults    = bolnasim.Faults
	Timing    = bolnasim.Timing
	Range     = bolnasim.Range
	Outcome   = bolnasim.Outcome
	Placement = bolnasim.Placement
	Call      = bolnasim.Call
	Stats     = bolnasim.Stats
	Webhook   = bolnasim.Webhook
	PushStats = bolnasim.PushStats
)

// The simulation's defaults and faults (see dialer/bolnasim).
const (
	DefaultAPIKey  = bolnasim.DefaultAPIKey
	DefaultAgentID = bolnasim.DefaultAgentID

	NoFault       = bolnasim.NoFault
	TooMany       = bolnasim.TooMany
	Unavailable   = bolnasim.Unavailable
	LoseReply     = bolnasim.LoseReply
	ResetReply    = bolnasim.ResetReply
	HTMLError     = bolnasim.HTMLError
	TruncatedJSON = bolnasim.TruncatedJSON
	WrongTypes    = bolnasim.WrongTypes
	UnknownStatus = bolnasim.UnknownStatus
	SlowTrickle   = bolnasim.SlowTrickle
	HugeBody      = bolnasim.HugeBody
	Revoked       = bolnasim.Revoked
)

// The simulation's timings, limits and outcome mix (see dialer/bolnasim).
var (
	DefaultTiming = bolnasim.DefaultTiming
	FastTiming    = bolnasim.FastTiming
	// FastClientOptions are the options of a client to the simulation (see bolnasim).
	FastClientOptions = bolnasim.FastClientOptions
	BolnaLimits       = bolnasim.BolnaLimits
	DefaultOutcome    = bolnasim.DefaultOutcome
	NewAPI            = bolnasim.NewAPI
)

// Server is a simulated Bolna API listening on a loopback address.
type Server struct {
	*API
	URL string // base URL of the form http://127.0.0.1:port
	srv *httptest.Server
}

// NewServer starts a simulated Bolna API on loopback. Close it when done.
func NewServer(opts Options) *Server {
	api := bolnasim.NewAPI(opts)
	srv := httptest.NewServer(api)
	api.SetBaseURL(srv.URL)
	return &Server{API: api, URL: srv.URL, srv: srv}
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() {
	s.API.Close()
	s.srv.Close()
}

// Client returns a dialer.Client for this server with its key, without request pacing, with
// fast retries; opts are applied after those.
func (s *Server) Client(opts ...dialer.Option) *dialer.Client {
	all := append([]dialer.Option{
		dialer.WithBaseURL(s.URL),
		dialer.WithHTTPClient(s.srv.Client()),
	}, append(bolnasim.FastClientOptions(), opts...)...)
	c, err := dialer.New(s.API.Key(), all...)
	if err != nil {
		panic("bolnatest: " + err.Error()) // the options above are always valid
	}
	return c
}
