package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// What the client logs (through [WithLogger]) is a sentence and its facts as slog attributes:
// the event ("retry"), the request's class of Bolna's limits (class), the status code Bolna answered (code, none when
// no answer came), the wait before the next try (retry_after_s: Bolna's Retry-After when it
// gave one), that try's number (try) and the error (error, the key redacted), after the
// attributes its context carries (see [WithLogAttrs]).

type logAttrsKey struct{}

// WithLogAttrs returns a context whose requests the client logs with attrs too (after those
// ctx carries already): the row a placement is for, say, so that its retries name it.
func WithLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	return context.WithValue(ctx, logAttrsKey{}, slices.Concat(logAttrsOf(ctx), attrs))
}

// logAttrsOf is the attributes ctx carries for the client's log (see WithLogAttrs).
func logAttrsOf(ctx context.Context) []slog.Attr {
	attrs, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	return attrs
}

// logRetry says that req failed with err and is tried again (try) after wait, with its facts.
func (c *Client) logRetry(ctx context.Context, req request, err error, wait time.Duration, try, tries int) {
	attrs := append(slices.Clip(logAttrsOf(ctx)), slog.String("event", "retry"), slog.String("class", classNames[req.class]))
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, slog.Int("code", apiErr.StatusCode))
	}
	text := c.redact(err.Error())
	attrs = append(attrs, slog.Float64("retry_after_s", wait.Seconds()), slog.Int("try", try), slog.String("error", text))
	c.logger.LogAttrs(ctx, slog.LevelWarn, fmt.Sprintf("%s; trying again in %s (try %d of %d)", text, wait.Round(time.Millisecond), try, tries), attrs...)
}
