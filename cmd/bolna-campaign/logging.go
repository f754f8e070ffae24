package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Every message of a run goes through log/slog, to one of two handlers on stderr: text, one
// line an event as "bolna-campaign: " and the sentence (the default, for people and cron
// mail), or, with --log-format json, one JSON object an event (time, level, msg, and the
// event's attributes) for log pipelines such as Kubernetes'. Either clears the live progress
// line first, and keeps the message printable (server text may be quoted in it).

// logFormats are the values of --log-format.
var logFormats = []string{"text", "json"}

// consoleHandler writes log records to the console's stderr.
type consoleHandler struct {
	c    *console
	json slog.Handler // nil for text
}

func newConsoleHandler(c *console, format string) slog.Handler {
	h := consoleHandler{c: c}
	if format == "json" {
		h.json = slog.NewJSONHandler(c.env.Stderr, nil)
	}
	return h
}

func (h consoleHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}

func (h consoleHandler) Handle(ctx context.Context, r slog.Record) error {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.clearLine()
	r.Message = dialer.Printable(r.Message)
	if h.json != nil {
		return h.json.Handle(ctx, r)
	}
	// The sentence says it all for a person; attributes are for log pipelines.
	_, err := fmt.Fprintln(h.c.env.Stderr, "bolna-campaign: "+r.Message)
	return err
}

func (h consoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if h.json != nil {
		h.json = h.json.WithAttrs(attrs)
	}
	return h
}

func (h consoleHandler) WithGroup(name string) slog.Handler {
	if h.json != nil {
		h.json = h.json.WithGroup(name)
	}
	return h
}
