package campaign

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// startGate is the run's dialer for all but its placements (what else the dialer can do, it
// passes on: stopping a call, Bolna's clock). Until the pool starts, it sends
// every request under the run's send gate (dialer.SendGate): a stop (a signal) ends the run at
// once, whatever a read waits for (a 429 storm's Retry-After, say), since nothing this run
// placed is in flight yet. Once open, it adds nothing: the calls in flight are followed to
// their end whatever a stop says. Placements carry the gate themselves (see place).
type startGate struct {
	d      Dialer
	gate   <-chan struct{}
	opened atomic.Bool
}

var (
	_ Dialer        = (*startGate)(nil)
	_ callStopper   = (*startGate)(nil)
	_ serverClocker = (*startGate)(nil)
)

// open lets requests through a stop from now on: the pool has started.
func (g *startGate) open() { g.opened.Store(true) }

func (g *startGate) with(opts []dialer.RequestOption) []dialer.RequestOption {
	if g.opened.Load() {
		return opts
	}
	return append(opts, dialer.SendGate(g.gate))
}

func (g *startGate) Account(ctx context.Context, opts ...dialer.RequestOption) (*dialer.Account, error) {
	return g.d.Account(ctx, g.with(opts)...)
}

func (g *startGate) PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error) {
	return g.d.PlaceCall(ctx, req, g.with(opts)...)
}

func (g *startGate) Execution(ctx context.Context, id string, opts ...dialer.RequestOption) (*dialer.Execution, error) {
	return g.d.Execution(ctx, id, g.with(opts)...)
}

func (g *startGate) ListExecutions(ctx context.Context, agentID string, opts dialer.ListOptions, send ...dialer.RequestOption) (*dialer.ExecutionPage, error) {
	return g.d.ListExecutions(ctx, agentID, opts, g.with(send)...)
}

// errCannotStop is the error of a stop asked of a client that cannot stop calls.
var errCannotStop = errors.New("this client cannot stop calls")

// StopCall stops the call through the dialer, when it can (see callStopper).
func (g *startGate) StopCall(ctx context.Context, id string, opts ...dialer.RequestOption) error {
	s, ok := g.d.(callStopper)
	if !ok {
		return errCannotStop
	}
	return s.StopCall(ctx, id, g.with(opts)...)
}

// ServerClock is the dialer's reading of Bolna's clock, when it has one (see serverClocker).
func (g *startGate) ServerClock() (lo, hi time.Duration, ok bool) {
	if sc, is := g.d.(serverClocker); is {
		return sc.ServerClock()
	}
	return 0, 0, false
}
