package bolnatest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// Log keeps the messages of a logger, for tests that check what a run said: [NewLog] returns
// it with the *slog.Logger to hand the code under test.
type Log struct {
	mu   sync.Mutex
	msgs []string
}

// NewLog returns an empty Log and a logger that writes to it (every level).
func NewLog() (*Log, *slog.Logger) {
	l := &Log{}
	return l, slog.New(logHandler{l})
}

// Messages returns the messages logged so far, in order.
func (l *Log) Messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// Count is how many messages were logged that contain s ("" counts them all).
func (l *Log) Count(s string) int {
	n := 0
	for _, m := range l.Messages() {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}

type logHandler struct{ l *Log }

func (logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h logHandler) Handle(_ context.Context, r slog.Record) error {
	h.l.mu.Lock()
	h.l.msgs = append(h.l.msgs, r.Message)
	h.l.mu.Unlock()
	return nil
}

func (h logHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logHandler) WithGroup(string) slog.Handler      { return h }
