package bolnasim

import (
	"errors"
	"net/http"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// inProcessURL is the nominal address of an API served in process; nothing listens there.
const inProcessURL = "http://127.0.0.1:1"

// InProcessClient returns a dialer.Client that calls the API directly, without a network:
// each request is served in the goroutine that sends it. With it a whole campaign can run
// inside a testing/synctest bubble, on the bubble's clock, in no real time. The client has
// the fake's key, no request pacing and fast retries; opts are applied after those. There is
// no connection to drop, so a ResetReply fault answers 502 as LoseReply does.
func (a *API) InProcessClient(opts ...dialer.Option) *dialer.Client {
	all := append([]dialer.Option{
		dialer.WithBaseURL(inProcessURL),
		dialer.WithHTTPClient(&http.Client{Transport: handlerTransport{a}}),
	}, append(FastClientOptions(), opts...)...)
	c, err := dialer.New(a.opts.APIKey, all...)
	if err != nil {
		panic("bolnasim: " + err.Error()) // the options above are always valid
	}
	return c
}

// FastClientOptions are the options of a client to the simulation: no request pacing (the
// simulation sets its own limits), and retries in milliseconds.
func FastClientOptions() []dialer.Option {
	return []dialer.Option{
		dialer.WithLimits(dialer.Limits{}),
		dialer.WithBackoff(dialer.Backoff{Attempts: 6, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}),
		dialer.WithPlaceBackoff(dialer.Backoff{Attempts: 12, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}),
	}
}

// handlerTransport serves each request by calling the handler and recording its reply.
type handlerTransport struct{ h *API }

func (t handlerTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				resp, err = nil, errors.New("bolnasim: connection closed before the reply")
				return
			}
			panic(v)
		}
	}()
	if req.Body != nil {
		defer req.Body.Close()
	}
	rec := newRecorder()
	cpu := measureCPU(func() { t.h.ServeHTTP(rec, req) })
	t.h.mu.Lock()
	t.h.stats.ServeCPU += cpu
	t.h.mu.Unlock()
	return rec.result(req), nil
}
