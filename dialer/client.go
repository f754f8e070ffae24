package dialer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of a [Client].
const (
	DefaultBaseURL = "https://api.bolna.ai"
	DefaultTimeout = 30 * time.Second
	// MaxBodySize bounds a success body: a page of 50 full executions with transcripts fits
	// many times over.
	MaxBodySize = 16 << 20
	// MaxErrorBodySize bounds an error body; only its message is kept.
	MaxErrorBodySize = 64 << 10
	// MaxListPageSize is the largest page the executions list serves.
	MaxListPageSize = 50
)

// Backoff is the retry policy for requests that may be retried.
type Backoff struct {
	Attempts int           // tries in all, the first included
	Base     time.Duration // wait before the second try; doubles each time
	Max      time.Duration // cap of one wait (a Retry-After may exceed it, up to MaxRetryAfter)
}

// DefaultBackoff gives a read about a minute and a half of retries.
var DefaultBackoff = Backoff{Attempts: 8, Base: 500 * time.Millisecond, Max: 20 * time.Second}

// DefaultPlaceBackoff is the retry policy of POST /call, which is tried again only after a 429
// (the call was refused): two to four minutes of tries, so a burst of rate limiting costs a row
// nothing, and a bounded number of requests per contact, so a limit that never lifts leaves the
// row pending rather than retrying it for ever.
var DefaultPlaceBackoff = Backoff{Attempts: 10, Base: time.Second, Max: time.Minute}

// Client talks to the Bolna API. Create it with [New]; it is safe for concurrent use.
type Client struct {
	base      *url.URL
	key       string
	http      *http.Client
	userAgent string
	backoff   Backoff           // reads (and stops)
	placeBack Backoff           // POST /call
	limiters  [classes]*Limiter // per class of endpoint; nil: unpaced
	peaks     peaks
	logger    *slog.Logger // retries, when set
	requests  atomic.Int64 // requests sent, retries included
	clock     serverClock
	reached   atomic.Bool // the server has answered at least once
	sizes     sizes       // how much of a reply is read
}

// sizes bound how much of a reply a client reads: whole (body) and field by field (scan).
// MaxBodySize and MaxScanSize unless [WithReplyLimits] lowered them.
type sizes struct {
	body int
	scan int64
}

// Requests is how many requests the client has sent so far, retries included.
func (c *Client) Requests() int { return int(c.requests.Load()) }

// Option configures a [Client].
type Option func(*Client) error

// WithBaseURL sets the API's address. Plain http is accepted only for loopback addresses, so a
// key is never sent in the clear over a network.
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := CheckBaseURL(raw)
		if err != nil {
			return err
		}
		c.base = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client (its Timeout bounds each request).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error { c.http = hc; return nil }
}

// WithTransportWrap has every request go through wrap(t), t the transport of the HTTP client
// set by the options before it (http.DefaultTransport when it has none): a hook that counts
// requests and their answers (see [ClassOf]). The HTTP client given to WithHTTPClient is not
// changed: the client wraps a copy.
func WithTransportWrap(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(c *Client) error {
		hc := *c.http
		if hc.Transport == nil {
			hc.Transport = http.DefaultTransport
		}
		hc.Transport = wrap(hc.Transport)
		c.http = &hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.userAgent = ua; return nil }
}

// WithLogger has the client say, through logger (at level Warn), each time it tries a request
// again and why, its facts as attributes (see [WithLogAttrs]).
// The key never appears in what it says.
func WithLogger(logger *slog.Logger) Option {
	return func(c *Client) error { c.logger = logger; return nil }
}

// WithBackoff sets the retry policy of every request, placements included.
func WithBackoff(b Backoff) Option {
	return func(c *Client) error {
		if err := b.check(); err != nil {
			return err
		}
		c.backoff, c.placeBack = b, b
		return nil
	}
}

// WithPlaceBackoff sets the retry policy of POST /call alone (after [WithBackoff], if both).
func WithPlaceBackoff(b Backoff) Option {
	return func(c *Client) error {
		if err := b.check(); err != nil {
			return err
		}
		c.placeBack = b
		return nil
	}
}

func (b Backoff) check() error {
	if b.Attempts < 1 || b.Base <= 0 || b.Max < b.Base {
		return fmt.Errorf("dialer: invalid backoff %+v", b)
	}
	return nil
}

// WithLimits sets the requests the client may send in any minute, per class of endpoint
// (default [DefaultLimits]); retries count like any request, so the client never passes them.
// A class of 0 or less is not paced: the zero Limits paces nothing.
func WithLimits(l Limits) Option {
	return func(c *Client) error {
		c.limiters = [classes]*Limiter{NewLimiter(nil, PerMinute(l.Call)), NewLimiter(nil, PerMinute(l.List)), NewLimiter(nil, PerMinute(l.Other))}
		return nil
	}
}

// WithReplyLimits lowers how much of a reply the client reads: whole, body bytes (default
// [MaxBodySize]), and, for a call's payload too large to read whole, field by field, scan
// bytes (default [MaxScanSize]). A reply over them is handled as one over the defaults is (see
// [BodyTooLargeError]). For a client that must hold less memory, and for tests whose replies
// "too large" need not be tens of megabytes. The limits can only be lowered: 0 < body <=
// MaxBodySize, body <= scan <= MaxScanSize.
func WithReplyLimits(body int, scan int64) Option {
	return func(c *Client) error {
		if body <= 0 || body > MaxBodySize || scan < int64(body) || scan > MaxScanSize {
			return fmt.Errorf("dialer: reply limits %d and %d: want 0 < body <= %d and body <= scan <= %d", body, scan, MaxBodySize, MaxScanSize)
		}
		c.sizes = sizes{body: body, scan: scan}
		return nil
	}
}

// New returns a client that authenticates with apiKey.
func New(apiKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("dialer: empty API key")
	}
	if strings.ContainsFunc(apiKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// It could never be sent as a header: say so now instead of retrying a request that
		// cannot be made. The key itself is never shown.
		return nil, errors.New("dialer: the API key contains spaces, line breaks or control characters")
	}
	c := &Client{
		key:       apiKey,
		http:      &http.Client{Timeout: DefaultTimeout},
		userAgent: "bolna-campaign",
		backoff:   DefaultBackoff,
		placeBack: DefaultPlaceBackoff,
		sizes:     sizes{body: MaxBodySize, scan: MaxScanSize},
	}
	c.base, _ = url.Parse(DefaultBaseURL)
	if err := WithLimits(DefaultLimits)(c); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	// Never follow a redirect: Go's client would re-send the Authorization header to the same
	// host on another port or scheme (an https base URL redirected to http sends the key in the
	// clear), and a 307 on POST /call would place the call through a server the runner does not
	// follow. A redirect comes back as an *APIError naming where it pointed.
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
	return c, nil
}

// CheckBaseURL parses an API address and refuses plain http to anything but loopback.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("dialer: base URL %q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("dialer: base URL %q: plain http is allowed only to loopback (use https)", raw)
		}
	default:
		return nil, fmt.Errorf("dialer: base URL %q: scheme must be https", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("dialer: base URL %q must not carry credentials, a query or a fragment", u.Redacted())
	}
	return u, nil
}

// IsLoopback reports whether host (a name or an address, no port) is this machine's loopback:
// "localhost", or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackListen reports whether a listen address (host:port) takes connections from this
// machine only; one with no host (":8080") listens on every interface, so is not.
func IsLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && IsLoopback(host)
}

// Account returns the account behind the key (GET /user/me).
func (c *Client) Account(ctx context.Context, opts ...RequestOption) (*Account, error) {
	var a Account
	if err := c.do(ctx, request{method: http.MethodGet, path: "/user/me", class: classOther, retry: retryAll, send: sendOptionsOf(opts)}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// PlaceCall places one outbound call (POST /call). It is re-sent only after a 429. When it
// fails, [MaybePlaced] tells whether a call may have been created anyway.
func (c *Client) PlaceCall(ctx context.Context, req CallRequest, opts ...RequestOption) (*PlacedCall, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, &notSentError{err: fmt.Errorf("dialer: POST /call: %w", err)}
	}
	var raw struct {
		PlacedCall
		ID ID `json:"id"`
	}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/call", body: body, class: classCall, retry: retryRefused, backoff: &c.placeBack, send: sendOptionsOf(opts)}, &raw); err != nil {
		return nil, err
	}
	placed := raw.PlacedCall
	if placed.ExecutionID == "" {
		placed.ExecutionID = string(raw.ID)
	}
	if placed.ExecutionID == "" {
		// A 200 without an id: the call was probably created, but cannot be followed by id.
		return nil, fmt.Errorf("dialer: POST /call: reply has no execution_id")
	}
	if !ValidID(placed.ExecutionID) {
		// Written to the journal and the results, and put in URLs: only an id-like token.
		return nil, fmt.Errorf("dialer: POST /call: reply has an execution_id that is not an id (%d characters)", len(placed.ExecutionID))
	}
	return &placed, nil
}

// Execution returns one execution (GET /executions/{id}).
func (c *Client) Execution(ctx context.Context, id string, opts ...RequestOption) (*Execution, error) {
	var e Execution
	path := "/executions/" + url.PathEscape(id)
	if err := c.do(ctx, request{method: http.MethodGet, path: path, class: classOther, retry: retryAll, send: sendOptionsOf(opts)}, &e); err != nil {
		return nil, err
	}
	if e.ID == "" {
		e.ID = ID(id)
	}
	return &e, nil
}

// ListOptions selects executions for [Client.ListExecutions]. From and To are required by
// Bolna, filter on created_at and may span at most seven days.
type ListOptions struct {
	From, To time.Time
	Page     int    // 1-based; 0 means 1
	PageSize int    // at most MaxListPageSize; 0 means MaxListPageSize
	Status   Status // optional filter
}

// ListExecutions returns one page of an agent's executions, newest first
// (GET /v2/agent/{id}/executions). Items may be trimmed to id, status, duration, created_at and
// a short telephony_data; read one by id for the whole payload.
func (c *Client) ListExecutions(ctx context.Context, agentID string, opts ListOptions, send ...RequestOption) (*ExecutionPage, error) {
	q := url.Values{}
	q.Set("from", opts.From.UTC().Format("2006-01-02T15:04:05.000Z"))
	q.Set("to", opts.To.UTC().Format("2006-01-02T15:04:05.000Z"))
	q.Set("page_number", strconv.Itoa(max(opts.Page, 1)))
	size := opts.PageSize
	if size <= 0 || size > MaxListPageSize {
		size = MaxListPageSize
	}
	q.Set("page_size", strconv.Itoa(size))
	if opts.Status != "" {
		q.Set("status", string(opts.Status))
	}
	var page ExecutionPage
	path := "/v2/agent/" + url.PathEscape(agentID) + "/executions"
	if err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, class: classList, retry: retryAll, send: sendOptionsOf(send)}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// StopCall stops a call that is still queued or scheduled (POST /call/{id}/stop). Bolna cannot
// stop a call that is ringing or talking.
func (c *Client) StopCall(ctx context.Context, id string, opts ...RequestOption) error {
	path := "/call/" + url.PathEscape(id) + "/stop"
	return c.do(ctx, request{method: http.MethodPost, path: path, class: classOther, retry: retryRefused, send: sendOptionsOf(opts)}, nil)
}

type retryPolicy int

const (
	retryAll     retryPolicy = iota // 429, 5xx and transport errors: safe for reads
	retryRefused                    // 429 only: the request was refused, so nothing happened
)

type request struct {
	method  string
	path    string
	query   url.Values
	body    []byte
	class   class // of Bolna's limits
	retry   retryPolicy
	backoff *Backoff // nil: the client's for reads
	send    sendOptions
}

// do sends req, retrying as its policy allows, and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, req request, out any) error {
	b := &c.backoff
	if req.backoff != nil {
		b = req.backoff
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = c.once(ctx, req, out)
		if err == nil || attempt >= b.Attempts || req.send.oneTry || !c.shouldRetry(req, err) {
			return err
		}
		wait := b.wait(attempt, err)
		var apiErr *APIError
		if c.logger != nil && (req.retry == retryRefused || !errors.As(err, &apiErr)) {
			// Placements, and a network that fails: each retry is worth a line.
			c.logRetry(ctx, req, err, wait, attempt+1, b.Attempts)
		}
		if werr := sleep(ctx, wait, req.send.gate); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

func (c *Client) shouldRetry(req request, err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if req.retry == retryRefused {
			return apiErr.RateLimited()
		}
		return apiErr.Retryable()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) ||
		errors.Is(err, ErrGateClosed) {
		return false // the caller's context ended, or it sends nothing more
	}
	var notSent *notSentError
	if errors.As(err, &notSent) {
		// Nothing reached the server, so trying again is safe for any request, unless it
		// can never succeed (an untrusted certificate), or the server has never answered and
		// refuses connections or has no address (a wrong --base-url: say so at once; a
		// network that drops mid-run is tried again).
		return !notSent.permanent && (c.reached.Load() || !neverSent(err))
	}
	if req.retry == retryRefused {
		return false
	}
	var transient *transientError
	return errors.As(err, &transient)
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// wait is the pause before attempt+1: the server's Retry-After when it gave one, else full
// jitter over an exponential bound.
func (b *Backoff) wait(attempt int, err error) time.Duration {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		return apiErr.RetryAfter
	}
	bound := b.Base << min(attempt-1, 20)
	if bound > b.Max || bound <= 0 {
		bound = b.Max
	}
	return bound/2 + rand.N(bound/2+1)
}

// sleep waits d, less if ctx ends or gate closes (see [SendGate]).
func sleep(ctx context.Context, d time.Duration, gate <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-gate:
		return ErrGateClosed
	}
}

// transientError is a failure in transport (a reset, a timeout, a truncated body) after the
// request was sent: a read may be retried, a placement may have happened.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// once sends req one time.
func (c *Client) once(ctx context.Context, req request, out any) error {
	label := req.method + " " + req.path
	if err := ctx.Err(); err != nil {
		return &notSentError{err: fmt.Errorf("dialer: %s: %w", label, context.Cause(ctx))}
	}
	counted, err := c.limiters[req.class].waitAt(ctx, req.send.gate)
	if err != nil {
		return &notSentError{err: fmt.Errorf("dialer: %s: %w", label, err)}
	}
	if req.send.gateClosed() { // the last moment before the request leaves
		return &notSentError{err: fmt.Errorf("dialer: %s: %w", label, ErrGateClosed)}
	}
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + req.path
	u.RawQuery = req.query.Encode()
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(context.WithValue(ctx, classKey{}, req.class), req.method, u.String(), body)
	if err != nil {
		return &notSentError{err: fmt.Errorf("dialer: %s: %w", label, err)}
	}
	hreq.Header.Set("Authorization", "Bearer "+c.key)
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.userAgent)
	if req.body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	c.requests.Add(1)
	sent := time.Now()
	c.peaks.count(req.class, counted) // when the limiter counted it, so the two agree on every minute
	resp, err := c.http.Do(hreq)
	if err != nil {
		err = fmt.Errorf("dialer: %s: %w", label, stripURL(err))
		if untrusted(err) {
			return &notSentError{err: err, permanent: true}
		}
		if neverSent(err) {
			return &notSentError{err: err}
		}
		return ctxErr(ctx, &transientError{err})
	}
	defer resp.Body.Close()
	c.reached.Store(true)
	c.clock.note(resp.Header.Get("Date"), sent, time.Now())

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBodySize))
		msg := errorMessage([]byte(c.redact(string(b)))) // a server may echo the key back
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			msg = c.redactHost(redirectMessage(resp.Header.Get("Location"), c.base))
		}
		return &APIError{
			Method:     req.method,
			Path:       req.path,
			StatusCode: resp.StatusCode,
			Message:    msg,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	return c.decode(ctx, req, resp.Body, out)
}

// decode reads a 2xx reply's body into out (nil: the body is read and dropped).
func (c *Client) decode(ctx context.Context, req request, body io.Reader, out any) error {
	b, err := io.ReadAll(io.LimitReader(body, int64(c.sizes.body)+1))
	if err != nil {
		return ctxErr(ctx, &transientError{fmt.Errorf("dialer: %s %s: reading reply: %w", req.method, req.path, stripURL(err))})
	}
	if len(b) > c.sizes.body {
		// Never read whole, and never tried again: the reply would be as large again. A
		// call's payload is read field by field instead, its fields that fit kept.
		return c.decodePartial(ctx, req, io.MultiReader(bytes.NewReader(b), body), out, nil)
	}
	if out == nil {
		return nil
	}
	b = c.redactJSON(b) // whatever the server does with the key it was sent, it goes no further
	if err := unmarshal(b, out); err != nil {
		// Nested too deep for encoding/json, say: a call's payload is read field by field.
		// Cut short or mangled on the way, it is read again (a bounded number of times); a
		// placement is not, and may have happened (see MaybePlaced).
		return c.decodePartial(ctx, req, bytes.NewReader(b), out, err)
	}
	return nil
}

// unmarshal decodes a reply whole: a page of calls in one pass (see decodePage).
func unmarshal(b []byte, out any) error {
	if page, ok := out.(*ExecutionPage); ok {
		return decodePage(b, page)
	}
	return json.Unmarshal(b, out)
}

// decodePartial reads into out, field by field (see readPartial), a reply that could not be
// decoded whole: too large (failed nil), or failing to decode. An execution or a page of them
// gets the fields that fit (a call's payload too large even to scan is a *BodyTooLargeError,
// never tried again); any other reply, or one that is not JSON, gets a transient error (a
// *BodyTooLargeError inside for one too large), tried again a bounded number of times.
func (c *Client) decodePartial(ctx context.Context, req request, r io.Reader, out any, failed error) error {
	label := req.method + " " + req.path
	tooLarge := &BodyTooLargeError{Method: req.method, Path: req.path, Limit: int64(c.sizes.body)}
	ok, err := false, failed
	if out != nil {
		ok, err = readPartial(r, out, c.redactJSON, c.sizes)
	}
	switch {
	case ok && err == nil:
		return nil
	case failed == nil && !ok:
		// Not a call's payload (an account, an agent): a damaged reply, tried again a bounded
		// number of times like any other.
		return ctxErr(ctx, &transientError{tooLarge})
	case failed == nil && errors.Is(err, errScanLimit):
		tooLarge.Limit = c.sizes.scan
		return tooLarge
	case failed == nil:
		return ctxErr(ctx, &transientError{fmt.Errorf("dialer: %s: reading a reply of over %d bytes: %w", label, c.sizes.body, stripURL(err))})
	}
	return &transientError{fmt.Errorf("dialer: %s: decoding reply: %w", label, failed)}
}

// stripURL drops the URL from a *url.Error: its text would repeat the address (and query) in
// every message, and the label already says which request failed.
func stripURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
