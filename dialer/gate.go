package dialer

import (
	"context"
	"errors"
)

// ErrGateClosed is the error of a request that was not sent because the send gate of its
// context had closed (see [WithSendGate]).
var ErrGateClosed = errors.New("dialer: request not sent: stopping")

type gateKey struct{}

// WithSendGate returns a context under which the client sends nothing once gate is closed:
// a request waiting for its turn under the rate limits, or for its next try after a 429 or a
// 5xx, ends at once with an error wrapping [ErrGateClosed], and no further try is made. A
// request already on the wire is not cut short (its reply is still read), so a placement in
// flight when a run is told to stop still learns its execution id. The context's own
// cancellation keeps its usual meaning: everything ends at once.
func WithSendGate(ctx context.Context, gate <-chan struct{}) context.Context {
	return context.WithValue(ctx, gateKey{}, gate)
}

// gateOf is the send gate of ctx; nil (never closed) when it has none.
func gateOf(ctx context.Context) <-chan struct{} {
	g, _ := ctx.Value(gateKey{}).(<-chan struct{})
	return g
}

func gateClosed(ctx context.Context) bool {
	select {
	case <-gateOf(ctx):
		return true
	default:
		return false
	}
}

type oneTryKey struct{}

// WithOneTry returns a context under which a request is sent once and never tried again, for a
// caller that tries again on a schedule of its own (the tracker's next look) and must not sit
// inside a retry loop meanwhile.
func WithOneTry(ctx context.Context) context.Context {
	return context.WithValue(ctx, oneTryKey{}, true)
}

func oneTry(ctx context.Context) bool {
	one, _ := ctx.Value(oneTryKey{}).(bool)
	return one
}
