package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Every message of a run goes through log/slog, to one of two handlers on stderr: text, one
// line an event as "bolna-campaign: " and the sentence (the default, for people and cron
// mail), or, with --log-format json, one JSON object an event (time, level, msg, and the
// event's attributes) for log pipelines such as Kubernetes'. Either clears the live progress
// line first, and keeps the message printable (server text may be quoted in it).
//
// An event's facts are its attributes (the README's "Logs" table names them: a call's line,
// masked number, execution id, …; the run's campaign and shard). The text format shows the
// sentence alone, which names the facts a person needs already; key=value pairs after it
// would double every line for cron mail. The steps of each call's life (placed, each status,
// ended) are level Debug: JSON has them, for a pipeline to follow one call by its execution
// id; text leaves them out, a line a step being too many for a person, who reads the
// progress line instead.

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
		h.json = slog.NewJSONHandler(c.env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return h
}

func (h consoleHandler) Enabled(_ context.Context, level slog.Level) bool {
	if h.json != nil {
		return level >= slog.LevelDebug // the steps of each call's life too
	}
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

// --log-format is a flag of every command: Main takes it off the command line (takeLogFormat)
// before the command parses its own flags, so that every command has it, and the command's
// usage errors, written before its flags are read, are already in the format. With json,
// stderr becomes a jsonLines: what a command writes there as plain text (an error, a usage
// message, a line of a summary) becomes one log record, and the console (newConsole) writes
// records itself.

// takeLogFormat returns args without --log-format and the format it names (text when none).
// Flags come before the command's file, but a flag's value may look like a file, so the whole
// command line is looked at, up to a "--".
func takeLogFormat(args []string) (format string, rest []string, err error) {
	format = "text"
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "log-format" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return "text", nil, usageErrorf("--log-format needs a value: text or json")
			}
			i++
			value = args[i]
		}
		format = value
	}
	if !slices.Contains(logFormats, format) {
		return "text", nil, usageErrorf("--log-format %q: want text or json", format)
	}
	return format, rest, nil
}

// jsonLines is stderr under --log-format json: each message written to it as plain text (the
// lines of one write, once its last line ends) becomes one JSON log record, at level ERROR
// when it starts as the tool's messages do ("bolna-campaign: ..." or "bolna-campaign run: ...",
// written so for errors and usage mistakes only: everything else goes through the console) and
// INFO otherwise; lines that are JSON objects already (the console's records, a --json
// document) pass as they are.
type jsonLines struct {
	mu  sync.Mutex
	w   io.Writer
	log *slog.Logger
	buf []byte
}

func newJSONLines(w io.Writer) *jsonLines {
	return &jsonLines{w: w, log: slog.New(slog.NewJSONHandler(w, nil))}
}

func (j *jsonLines) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(j.buf, p...)
	if len(j.buf) == 0 || j.buf[len(j.buf)-1] != '\n' {
		return len(p), nil // the rest of the line comes in a later write
	}
	return len(p), j.emit()
}

// Flush writes what is left of a line that never ended.
func (j *jsonLines) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.emit()
}

// emit writes the buffered lines as one record (or as they are, when they are JSON already).
func (j *jsonLines) emit() error {
	text := strings.TrimRight(string(j.buf), "\r\n")
	j.buf = j.buf[:0]
	if strings.TrimSpace(text) == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	isJSON := true
	for _, l := range lines {
		isJSON = isJSON && strings.HasPrefix(l, "{") && json.Valid([]byte(l))
	}
	if isJSON {
		_, err := io.WriteString(j.w, text+"\n")
		return err
	}
	first := strings.TrimSpace(lines[0])
	level := slog.LevelInfo
	if first == "bolna-campaign" || strings.HasPrefix(first, "bolna-campaign:") || strings.HasPrefix(first, "bolna-campaign ") {
		level = slog.LevelError
	}
	msg := dialer.Printable(strings.TrimPrefix(first, "bolna-campaign: "))
	var attrs []any
	if more := strings.TrimSpace(strings.Join(lines[1:], "\n")); more != "" {
		attrs = append(attrs, "more", dialer.Printable(more))
	}
	j.log.Log(context.Background(), level, msg, attrs...)
	return nil
}

// withLogFormat is env and args for a command, --log-format (before the command or after it)
// taken into env (see takeLogFormat); flush ends the last record. A bad format is a usage
// error, written as text (env is returned as it came).
func withLogFormat(env Env, args []string) (Env, []string, func(), error) {
	format, rest, err := takeLogFormat(args)
	switch {
	case err != nil:
		return env, args, func() {}, err
	case len(rest) == 0 && len(args) > 0:
		return env, args, func() {}, usageErrorf("name a command; run '%s help' for them", prog)
	case format != "json":
		return env, rest, func() {}, nil
	}
	lines := newJSONLines(env.Stderr)
	env.Stderr = lines
	return env, rest, func() { lines.Flush() }, nil
}
