// Package webhook receives Bolna's webhook pushes for the length of a run: Bolna POSTs the
// execution object (the same JSON as GET /executions/{id}) to an agent's webhook_url at every
// status change of a call. A [Receiver] accepts them at POST /webhook/TOKEN only, answers at
// once, and hands each well-formed payload to its handler (the campaign's call-event path);
// it can relay every push, unchanged, to the integration that used to receive them.
//
// A push is only as trusted as its secret URL: Bolna signs nothing. The token is a secret like
// the API key (never printed whole, never written); HTTPS comes from the reverse proxy or tunnel
// in front, since Bolna requires a public HTTPS URL. Hostile input is bounded: bodies over 1 MiB
// are refused (413), malformed JSON is answered 400 and counted, slow clients time out, and the
// handler and the relay never queue without bound.
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Limits of a receiver.
const (
	MaxBody        = 1 << 20 // bytes of one push
	MinTokenLength = 16
	forwardQueue   = 1024 // pushes waiting to be relayed
	forwardTries   = 4
	// DefaultMaxQueueBytes bounds the bytes of the pushes waiting to be relayed: a forward
	// target that hangs cannot grow memory by more.
	DefaultMaxQueueBytes = 32 << 20
	// DefaultDrain is how long Close relays what is still queued before it gives up on it.
	DefaultDrain = 10 * time.Second
	// ForwardedHeader marks a relayed push: a receiver drops a push that carries it, so a
	// forward that comes back to a receiver (directly or through a proxy) cannot loop.
	ForwardedHeader = "X-Bolna-Campaign-Forwarded"
)

// Config is a receiver's setup.
type Config struct {
	// Token is the secret path segment: pushes are accepted at POST /webhook/TOKEN only.
	Token string
	// Handle is given every well-formed push (its execution payload); it must not block.
	Handle func(ex *dialer.Execution)
	// Forward, when set, receives every push unchanged (an https URL, or http to loopback),
	// asynchronously, with bounded retries and a bounded queue; failures are logged, never
	// fatal.
	Forward string
	// Listen, when set, is the address the receiver is served on: a Forward that points back
	// at it is refused, since every push would come back for ever.
	Listen net.Addr
	// MaxQueueBytes bounds the pushes waiting to be relayed, in bytes; default
	// DefaultMaxQueueBytes. Drain is how long Close relays what is queued; default
	// DefaultDrain.
	MaxQueueBytes int64
	Drain         time.Duration
	// Clean, when set, is applied to every push before it is decoded (the client's
	// RedactJSON: a push that carries the API key must not bring it into the results).
	Clean func([]byte) []byte
	// Logger is told what happened (relay failures, at level Warn); nil discards.
	Logger *slog.Logger
}

// Stats count what a receiver saw.
type Stats struct {
	Received       int `json:"received"`        // well-formed pushes handed on
	Malformed      int `json:"malformed"`       // not JSON (400)
	TooLarge       int `json:"too_large"`       // over MaxBody (413)
	NotFound       int `json:"not_found"`       // any other path or method, a wrong token (404)
	Forwarded      int `json:"forwarded"`       // relayed (2xx)
	ForwardFailed  int `json:"forward_failed"`  // given up after the retries
	ForwardDropped int `json:"forward_dropped"` // the relay queue was full, or still held pushes when the run ended
	Looped         int `json:"looped"`          // a push that had been relayed already (a forward loop): dropped
}

// Receiver is an http.Handler for Bolna's pushes. Create it with [New].
type Receiver struct {
	cfg  Config
	path string
	received, malformed, tooLarge, notFound,
	forwarded, forwardFailed, forwardDropped, looped atomic.Int64

	queue       chan []byte
	queuedBytes atomic.Int64 // of the pushes in queue
	closeOnce   sync.Once
	draining    chan struct{} // closed by Close: the relay empties the queue, then stops
	wg          sync.WaitGroup
	ctx         context.Context
	cancel      context.CancelFunc
	client      *http.Client
}

// NewToken returns a random token, for a receiver that nobody configures by hand (the sandbox).
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// CheckToken says what is wrong with a secret path token: too short to guess, or with a
// character a URL's path cannot carry as is. The live status (run --status-listen-public)
// takes its token by the same rule.
func CheckToken(token string) error {
	if len(token) < MinTokenLength || strings.ContainsAny(token, "/?# \t\r\n") {
		return fmt.Errorf("the token must be at least %d characters, with no spaces or /?#", MinTokenLength)
	}
	return nil
}

// New returns a receiver; it starts relaying at once when cfg.Forward is set. Close it when
// done.
func New(cfg Config) (*Receiver, error) {
	if err := CheckToken(cfg.Token); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if cfg.Handle == nil {
		return nil, errors.New("webhook: no handler")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Forward != "" {
		if err := checkForward(cfg.Forward); err != nil {
			return nil, err
		}
		if cfg.Listen != nil && pointsAt(cfg.Forward, cfg.Listen) {
			return nil, fmt.Errorf("webhook: --webhook-forward points at this run's own listener %s: every push would come back for ever", cfg.Listen)
		}
	}
	if cfg.MaxQueueBytes <= 0 {
		cfg.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if cfg.Drain <= 0 {
		cfg.Drain = DefaultDrain
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Receiver{cfg: cfg, path: "/webhook/" + cfg.Token, ctx: ctx, cancel: cancel, draining: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if cfg.Forward != "" {
		r.queue = make(chan []byte, forwardQueue)
		r.wg.Add(1)
		go r.relay()
	}
	return r, nil
}

// checkForward accepts https, and plain http only to loopback: pushes carry personal data.
func checkForward(raw string) error {
	if err := dialer.CheckOutboundURL("--webhook-forward", raw); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// pointsAt reports whether the URL raw reaches the listener at addr: the same port, on a host
// that is the listener's own address, or any address of this machine when it listens on all.
func pointsAt(raw string, addr net.Addr) bool {
	u, err := url.Parse(raw)
	tcp, ok := addr.(*net.TCPAddr)
	if err != nil || !ok {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port != fmt.Sprint(tcp.Port) {
		return false
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return false
	}
	local := map[string]bool{}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				local[n.IP.String()] = true
			}
		}
	}
	for _, ip := range ips {
		if ip.Equal(tcp.IP) || tcp.IP.IsUnspecified() && (ip.IsLoopback() || local[ip.String()]) {
			return true
		}
	}
	return false
}

// Path is the path pushes are accepted at (it holds the token: never print it).
func (r *Receiver) Path() string { return r.path }

// ServeHTTP accepts a push at POST /webhook/TOKEN and answers 200 at once (Bolna retries on a
// non-2xx or no answer); anything else is 404.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || subtle.ConstantTimeCompare([]byte(req.URL.Path), []byte(r.path)) != 1 {
		r.notFound.Add(1)
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		r.tooLarge.Add(1)
		http.Error(w, "push too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		r.malformed.Add(1)
		http.Error(w, "unreadable push", http.StatusBadRequest)
		return
	}
	if req.Header.Get(ForwardedHeader) != "" { // relayed by a receiver already: a loop
		if r.looped.Add(1) == 1 {
			r.logf("webhook: a push that a receiver had relayed came back (--webhook-forward loops through a proxy?); such pushes are dropped")
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	var ex dialer.Execution
	clean := body
	if r.cfg.Clean != nil {
		clean = r.cfg.Clean(body)
	}
	if err := json.Unmarshal(clean, &ex); err != nil || ex.ID == "" {
		r.malformed.Add(1)
		http.Error(w, "not an execution payload", http.StatusBadRequest)
		return
	}
	r.received.Add(1)
	r.cfg.Handle(&ex)
	if r.queue != nil {
		r.enqueue(body)
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

// enqueue queues a push for the relay, unless the queue is full (by count or by bytes) or the
// receiver is closing: then it is dropped, counted, and said every hundredth time.
func (r *Receiver) enqueue(body []byte) {
	size := int64(len(body))
	if r.queuedBytes.Add(size) <= r.cfg.MaxQueueBytes {
		select {
		case <-r.draining:
		default:
			select {
			case r.queue <- body:
				return
			default:
			}
		}
	}
	r.queuedBytes.Add(-size)
	if r.forwardDropped.Add(1)%100 == 1 {
		r.logf("webhook: the relay to --webhook-forward is behind; %d pushes not relayed so far", r.forwardDropped.Load())
	}
}

// relay sends every queued push to cfg.Forward, unchanged, a few times at most; once Close
// was called it empties the queue and stops.
func (r *Receiver) relay() {
	defer r.wg.Done()
	for {
		select {
		case body := <-r.queue:
			r.forward(body)
			r.queuedBytes.Add(-int64(len(body)))
		case <-r.draining:
			for {
				select {
				case body := <-r.queue:
					r.forward(body)
					r.queuedBytes.Add(-int64(len(body)))
				default:
					return
				}
			}
		case <-r.ctx.Done():
			return
		}
	}
}

// forwardWait is the wait before a relay's second try; it doubles at each try after (1 s, 2 s,
// 4 s). This package's tests shorten it (export_test.go): a relay that always fails took 7 s.
var forwardWait = time.Second

func (r *Receiver) forward(body []byte) {
	var last error
tries:
	for try := range forwardTries {
		if try > 0 {
			t := time.NewTimer(time.Duration(1<<(try-1)) * forwardWait)
			select {
			case <-t.C:
			case <-r.ctx.Done():
				t.Stop()
				break tries
			}
		}
		req, err := http.NewRequestWithContext(r.ctx, http.MethodPost, r.cfg.Forward, bytes.NewReader(body))
		if err != nil {
			last = err
			break
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(ForwardedHeader, "1")
		resp, err := r.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
				r.forwarded.Add(1)
				return
			}
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		last = err
	}
	if r.ctx.Err() != nil {
		r.forwardDropped.Add(1) // the drain's time ran out while it was on its way
		return
	}
	cause := redactURL(last)
	r.cfg.Logger.Warn(fmt.Sprintf("webhook: relaying a push to --webhook-forward failed after %d tries: %v", forwardTries, cause),
		slog.String("event", "relay-failed"), slog.Int("try", forwardTries), slog.String("error", fmt.Sprint(cause)))
	r.forwardFailed.Add(1) // counted once said: whoever reads the count can read the warning
}

// redactURL keeps a relay error from repeating the forward URL (which may carry a secret).
func redactURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// Stats counts what the receiver saw so far.
func (r *Receiver) Stats() Stats {
	return Stats{
		Received: int(r.received.Load()), Malformed: int(r.malformed.Load()), TooLarge: int(r.tooLarge.Load()),
		NotFound: int(r.notFound.Load()), Forwarded: int(r.forwarded.Load()), ForwardFailed: int(r.forwardFailed.Load()),
		ForwardDropped: int(r.forwardDropped.Load()), Looped: int(r.looped.Load()),
	}
}

// Server returns an http.Server for the receiver, with the timeouts that keep slow clients from
// pinning it: 5 s for the headers, 15 s for the whole request, 15 s for the answer.
func (r *Receiver) Server() *http.Server {
	return &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// Close stops taking pushes for the relay, relays what is queued for up to cfg.Drain, and
// counts what it could not relay in time as dropped (and says so). Calling it again does
// nothing.
func (r *Receiver) Close() {
	r.closeOnce.Do(func() {
		close(r.draining)
		done := make(chan struct{})
		go func() { r.wg.Wait(); close(done) }()
		t := time.NewTimer(r.cfg.Drain)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			r.cancel()
			<-done
		}
		r.cancel()
		left := 0
		for len(r.queue) > 0 {
			<-r.queue
			left++
		}
		if left > 0 {
			r.forwardDropped.Add(int64(left))
		}
		if st := r.Stats(); st.ForwardDropped > 0 && r.queue != nil {
			r.logf("webhook: %d pushes were not relayed to --webhook-forward (the relay was behind, or the run ended first); %d relayed, %d failed",
				st.ForwardDropped, st.Forwarded, st.ForwardFailed)
		}
	})
}

// Redact replaces the token in text, for anything that might print a URL that holds it.
func (r *Receiver) Redact(text string) string {
	return strings.ReplaceAll(text, r.cfg.Token, MaskToken(r.cfg.Token))
}

// MaskToken shows a token as its first four characters and an ellipsis.
func MaskToken(token string) string {
	if len(token) <= 4 {
		return "…"
	}
	return token[:4] + "…"
}

// logf says one thing that went wrong, as a sentence.
func (r *Receiver) logf(format string, args ...any) { r.cfg.Logger.Warn(fmt.Sprintf(format, args...)) }
