package dialer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter bounds a server's Retry-After: a hostile or confused server cannot park the
// client for longer than this.
const MaxRetryAfter = 2 * time.Minute

// APIError is a reply outside 2xx.
type APIError struct {
	Method     string
	Path       string // the path without query, safe to print
	StatusCode int
	// Message is Bolna's text from the body's "message", "detail" or "error", or the start of
	// the body when it is not JSON (an HTML error page, say).
	Message string
	// RetryAfter is the server's Retry-After, bounded by [MaxRetryAfter]; 0 when absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dialer: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// BodyTooLargeError is a reply larger than the client reads: over [MaxBodySize] (for a call's
// payload, read field by field, over [MaxScanSize]). It is never tried again: the same request
// would get as large a reply.
type BodyTooLargeError struct {
	Method string
	Path   string // the path without query, safe to print
	Limit  int64  // the bytes the reply was read to
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("dialer: %s %s: reply exceeds %d bytes", e.Method, e.Path, e.Limit)
}

// The predicates below say what a reply means, so that callers never compare status codes.

// Retryable reports whether the same request may succeed later: 429 and 5xx.
func (e *APIError) Retryable() bool { return e.RateLimited() || e.ServerError() }

// ServerError reports whether Bolna failed on its side (5xx, or a code above that no server
// should send): the request may have had its effect (a POST /call may have created the call)
// or not.
func (e *APIError) ServerError() bool { return e.StatusCode >= 500 }

// ClientError reports whether Bolna refused the request itself (4xx): it had no effect. See
// the predicates below for the refusals a caller tells apart (the key, the request limits, a
// resource not found, a request it does not take).
func (e *APIError) ClientError() bool { return e.StatusCode >= 400 && e.StatusCode <= 499 }

// RateLimited reports whether the request was refused for Bolna's request limits (429): it did
// nothing, and may be sent again after RetryAfter (when the server gave one).
func (e *APIError) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }

// BadRequest reports whether Bolna refused the request as malformed (400): a parameter or a
// filter it does not take. The same request would be refused again.
func (e *APIError) BadRequest() bool { return e.StatusCode == http.StatusBadRequest }

// Unauthorized reports whether the key was refused (401) or lacks permission (403). Bolna has
// been seen answering both for an invalid key, so they are treated alike.
func (e *APIError) Unauthorized() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// NotFound reports whether the resource does not exist or belongs to another account.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// IsUnauthorized reports whether err is an [*APIError] for a refused key.
func IsUnauthorized(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Unauthorized()
}

// IsNotFound reports whether err is an [*APIError] with status 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.NotFound()
}

// IsRateLimited reports whether err is an [*APIError] for a request refused by Bolna's request
// limits (429).
func IsRateLimited(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.RateLimited()
}

// IsClientError reports whether err is an [*APIError] for a request Bolna refused (4xx).
func IsClientError(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.ClientError()
}

// IsBadRequest reports whether err is an [*APIError] for a request Bolna refused as malformed
// (400).
func IsBadRequest(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.BadRequest()
}

// MaybePlaced reports whether a failed [Client.PlaceCall] may nevertheless have created a call.
// Only a 4xx reply (the call was refused) or a failure to connect at all proves it did not; a
// timeout, a reset, a 5xx or an unreadable 200 may hide a call that Bolna created. Such a call
// must be found, never placed again.
func MaybePlaced(err error) bool {
	if err == nil {
		return true
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.ServerError()
	}
	var notSent *notSentError
	return !errors.As(err, &notSent)
}

// notSentError wraps a failure that happened before any byte of the request left the client.
// A permanent one can never succeed as configured (an untrusted certificate): it is not tried
// again.
type notSentError struct {
	err       error
	permanent bool
}

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// neverSent reports whether err proves the request was not sent: the context ended before the
// attempt, or the connection could not be made.
func neverSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// untrusted reports whether err is a TLS failure to trust the server: trying again cannot help.
func untrusted(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// Redirect reports whether the server answered with a redirect, which the client never
// follows (see [New]).
func (e *APIError) Redirect() bool { return e.StatusCode >= 300 && e.StatusCode <= 399 }

// redirectMessage says where a redirect pointed (scheme and host only: a query could carry
// anything) and why it was not followed.
func redirectMessage(location string, base *url.URL) string {
	where := "elsewhere"
	if u, err := base.Parse(location); err == nil && u.Host != "" {
		where = u.Scheme + "://" + u.Host
	}
	return "redirected to " + where + "; not followed: the API key is sent only to the base URL " +
		base.Scheme + "://" + base.Host + " (check --base-url)"
}

// redact removes the key from text a server sent back (some echo the Authorization header in
// their error messages).
func (c *Client) redact(text string) string {
	if len(c.key) < 8 { // no real key is this short; redacting it would mangle ordinary words
		return text
	}
	return strings.ReplaceAll(text, c.key, "[redacted]")
}

// redactHost removes the key from a message naming a host, and any part of the key that a
// host name could hold (the key cut at a character a host cannot have).
func (c *Client) redactHost(text string) string {
	text = c.redact(text)
	if len(c.key) < 8 {
		return text
	}
	for _, part := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(" /:.;()", r) }) {
		if len(part) >= 6 && strings.Contains(c.key, part) {
			text = strings.ReplaceAll(text, part, "[redacted]")
		}
	}
	return text
}

// RedactJSON removes the key from JSON that came from the server by another way (a webhook
// push), as the client does with its own replies.
func (c *Client) RedactJSON(b []byte) []byte { return c.redactJSON(b) }

// redactJSON removes the key from a JSON reply, however the JSON spells it: as it is, or with
// escapes (\u0062n-…, \/), which are undone by decoding the reply and encoding it again.
func (c *Client) redactJSON(b []byte) []byte {
	if len(c.key) < 8 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte(c.key), []byte("[redacted]"))
	if !bytes.Contains(b, []byte(`\u`)) && !bytes.Contains(b, []byte(`\/`)) {
		return b // every other escape stands for a character no key has
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return b
	}
	found := false
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			if strings.Contains(v, c.key) {
				found = true
				return strings.ReplaceAll(v, c.key, "[redacted]")
			}
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x)
			}
		}
		return v
	}
	v = walk(v)
	if !found {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

// validID matches what Bolna's ids look like: UUIDs, or the integers of old examples.
var validID = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$`)

// ValidID reports whether id looks like an execution id: a token of letters, digits, - and _,
// safe to write to the journal and the results and to put in a URL.
func ValidID(id string) bool { return validID.MatchString(id) }

// errorMessage extracts Bolna's text from an error body: JSON under "message", "detail" or
// "error" (a string, or FastAPI's list of {msg}), else the start of the body as text.
func errorMessage(body []byte) string { return Printable(rawErrorMessage(body)) }

func rawErrorMessage(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		for _, key := range []string{"message", "detail", "error"} {
			if text := rawText(m[key]); text != "" {
				return truncate(text, 300)
			}
		}
	}
	text := strings.TrimSpace(string(body))
	if strings.HasPrefix(text, "<") {
		return "non-JSON reply (" + truncate(stripTags(text), 120) + ")"
	}
	return truncate(strings.Join(strings.Fields(text), " "), 300)
}

func rawText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []struct {
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			if item.Msg != "" {
				parts = append(parts, item.Msg)
			}
		}
		return strings.Join(parts, "; ")
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return "" // a bare numeric code says nothing; keep looking
	}
	return strings.TrimSpace(string(raw))
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date), bounded by
// [MaxRetryAfter]. It returns 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		if secs > MaxRetryAfter.Seconds() {
			return MaxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// ctxErr returns the context's error when it ended, else err: a cancelled request should say
// so, not report the transport's less useful error.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	return err
}
