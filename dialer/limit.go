package dialer

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limits are how many requests a client may send in any minute, per class of endpoint, as
// Bolna counts them; 0 or less leaves a class unpaced.
type Limits struct {
	Call  int `json:"call"`  // POST /call
	List  int `json:"list"`  // GET /v2/agent/{id}/executions and GET /v2/agent/{id}
	Other int `json:"other"` // everything else
}

// BolnaLimits are Bolna's published limits, per account (or organisation) and per minute,
// shared by every key and integration of the account (bolna-api.md §9).
var BolnaLimits = Limits{Call: 500, List: 500, Other: 1000}

// DefaultShare is the share of BolnaLimits a client takes unless told otherwise: the other
// half is left to the dashboard and to other integrations of the same account.
const DefaultShare = 0.5

// DefaultLimits is DefaultShare of BolnaLimits.
var DefaultLimits = BolnaLimits.Share(DefaultShare)

// Share is the share f (0 < f <= 1) of l, at least one request a minute in each limited
// class.
func (l Limits) Share(f float64) Limits {
	part := func(n int) int {
		if n <= 0 {
			return 0
		}
		return max(1, int(math.Floor(float64(n)*f+1e-9)))
	}
	return Limits{Call: part(l.Call), List: part(l.List), Other: part(l.Other)}
}

// class is a class of Bolna's limits.
type class int

const (
	classCall class = iota
	classList
	classOther
	classes
)

// peaks counts the most requests of each class sent in any minute.
type peaks struct {
	mu     sync.Mutex
	recent [classes][]time.Time // sent in the last minute
	most   [classes]int
}

func (p *peaks) count(c class, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	win := p.recent[c]
	cut := 0
	for cut < len(win) && now.Sub(win[cut]) >= time.Minute {
		cut++
	}
	p.recent[c] = append(win[cut:], now) // reallocated as it fills: a minute's requests at most
	p.most[c] = max(p.most[c], len(p.recent[c]))
}

// PeakPerMinute is the most requests of each class of Bolna's limits the client has sent in
// any minute (retries included): how close a run came to its [Limits].
func (c *Client) PeakPerMinute() Limits {
	c.peaks.mu.Lock()
	defer c.peaks.mu.Unlock()
	return Limits{Call: c.peaks.most[classCall], List: c.peaks.most[classList], Other: c.peaks.most[classOther]}
}

// Window is a limit of N starts in any span of Span.
type Window struct {
	N    int
	Span time.Duration
}

// PerMinute is a window of n starts in any minute.
func PerMinute(n int) Window { return Window{N: n, Span: time.Minute} }

// A Limiter lets at most N starts happen in any span of each of its windows. Unlike a token
// bucket, which lets its burst and its rate add up within a window, it never passes a limit in
// any window however its starts bunch, and it lets a burst up to N go at once. It is safe for
// concurrent use; a nil *Limiter never waits.
type Limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	windows []*ring
}

// ring holds the latest N starts of a window, the oldest overwritten first.
type ring struct {
	Window
	starts []time.Time
	next   int // the oldest start, once the ring is full
}

// NewLimiter returns a limiter of the windows with N > 0 on the clock now (time.Now if nil);
// nil when none limits.
func NewLimiter(now func() time.Time, windows ...Window) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now}
	for _, w := range windows {
		if w.N > 0 && w.Span > 0 {
			l.windows = append(l.windows, &ring{Window: w})
		}
	}
	if len(l.windows) == 0 {
		return nil
	}
	return l
}

// Wait blocks until a start is allowed, and counts it. It gives up when ctx ends or its send
// gate closes (see [WithSendGate]).
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		if gateClosed(ctx) {
			return ErrGateClosed
		}
		return ctx.Err()
	}
	for {
		wait := l.reserve()
		if wait <= 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// reserve counts a start now and returns 0 if every window allows one, else how long until
// they might.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, w := range l.windows {
		if len(w.starts) == w.N {
			wait = max(wait, w.starts[w.next].Add(w.Span).Sub(now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, w := range l.windows {
		if len(w.starts) < w.N {
			w.starts = append(w.starts, now)
		} else {
			w.starts[w.next] = now
			w.next = (w.next + 1) % w.N
		}
	}
	return 0
}
