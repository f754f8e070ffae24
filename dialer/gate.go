package dialer

import (
	"errors"
)

// ErrGateClosed is the error of a request that was not sent because its send gate had closed
// (see [SendGate]).
var ErrGateClosed = errors.New("dialer: request not sent: stopping")

// A RequestOption changes how the client sends the one request it is passed with.
type RequestOption func(*sendOptions)

// sendOptions is how one request is sent: the zero value sends it as the client is set up to.
type sendOptions struct {
	gate   <-chan struct{} // nil: never closed
	oneTry bool
}

func sendOptionsOf(opts []RequestOption) sendOptions {
	var o sendOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// SendGate has the request sent only while gate is open: once it is closed, a request waiting
// for its turn under the rate limits, or for its next try after a 429 or a 5xx, ends at once
// with an error wrapping [ErrGateClosed], and no further try is made. A request already on the
// wire is not cut short (its reply is still read), so a placement in flight when a run is told
// to stop still learns its execution id. The context keeps its usual meaning: when it ends,
// everything ends at once.
func SendGate(gate <-chan struct{}) RequestOption {
	return func(o *sendOptions) { o.gate = gate }
}

// OneTry has the request sent once and never tried again, for a caller that tries again on a
// schedule of its own (the tracker's next look) and must not sit inside a retry loop meanwhile.
func OneTry() RequestOption {
	return func(o *sendOptions) { o.oneTry = true }
}

func (o sendOptions) gateClosed() bool {
	select {
	case <-o.gate:
		return true
	default:
		return false
	}
}
