package dialer

import (
	"context"
	"math"
	"net/http"
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
// shared by every key and integration of the account (docs/bolna-api.md §9).
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

// classNames are the classes as [Recent], [Client.OnSend] and [ClassOf] name them.
var classNames = [classes]string{"call", "list", "other"}

// classKey is the context key of a request's class, for [ClassOf].
type classKey struct{}

// ClassOf is the class of Bolna's limits ("call", "list" or "other") of a request the client
// sends, for a transport set with [WithTransportWrap]; "" for a request the client did not make.
func ClassOf(r *http.Request) string {
	if c, ok := r.Context().Value(classKey{}).(class); ok && c >= 0 && c < classes {
		return classNames[c]
	}
	return ""
}

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

// Recent are the requests of each class a client sent in the last minute, by the instant
// each was counted against its limit: what a process that takes over from this one (a rerun
// after a crash, a cron run after the last) must honour, since Bolna counts per account, not
// per process.
type Recent struct {
	Call  []time.Time `json:"call,omitempty"`
	List  []time.Time `json:"list,omitempty"`
	Other []time.Time `json:"other,omitempty"`
}

// Recent returns the requests of each paced class sent in the last minute.
func (c *Client) Recent() Recent {
	return Recent{Call: c.limiters[classCall].Starts(), List: c.limiters[classList].Starts(), Other: c.limiters[classOther].Starts()}
}

// Preload counts the requests an earlier process sent in the last minute against this
// client's limits. Call it before the first request.
func (c *Client) Preload(r Recent) {
	c.limiters[classCall].Preload(r.Call)
	c.limiters[classList].Preload(r.List)
	c.limiters[classOther].Preload(r.Other)
}

// OnSend has record called with the class ("call", "list" or "other", as [Recent] names
// them) and the instant of every request of a paced class, as the request is counted against
// its limit and before it is sent: a process that keeps them (see Preload) leaves no request
// its successor does not know of, however it dies. Call it before the first request.
func (c *Client) OnSend(record func(class string, at time.Time)) {
	for i, name := range classNames {
		if l := c.limiters[i]; l != nil {
			l.mu.Lock()
			l.onStart = func(at time.Time) { record(name, at) }
			l.mu.Unlock()
		}
	}
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
	onStart func(time.Time) // each start, as it is counted (see Client.OnSend)
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

// Wait blocks until a start is allowed, and counts it. It gives up when ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	_, err := l.waitAt(ctx, nil)
	return err
}

// waitAt is Wait, and the instant the start was counted at (now, for a nil limiter): the
// instant a count of starts per window must use to agree with the limiter. It gives up, too,
// when gate closes (a request's [SendGate]; nil never closes).
func (l *Limiter) waitAt(ctx context.Context, gate <-chan struct{}) (time.Time, error) {
	if l == nil {
		if (sendOptions{gate: gate}).gateClosed() {
			return time.Time{}, ErrGateClosed
		}
		return time.Now(), ctx.Err()
	}
	for {
		at, wait := l.reserve()
		if wait <= 0 {
			return at, nil
		}
		if err := sleep(ctx, wait, gate); err != nil {
			return time.Time{}, err
		}
	}
}

// Starts are the starts of the limiter's widest window that are still within it, oldest
// first: what a process that takes over from this one must honour (see Preload).
func (l *Limiter) Starts() []time.Time {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var widest *ring
	for _, w := range l.windows {
		if widest == nil || w.Span > widest.Span {
			widest = w
		}
	}
	now := l.now()
	var out []time.Time
	for i := range widest.starts {
		at := widest.starts[(widest.next+i)%len(widest.starts)]
		if now.Sub(at) < widest.Span {
			out = append(out, at)
		}
	}
	return out
}

// Preload counts starts made before this limiter existed (by an earlier process on the same
// account, say), oldest first, as if it had let them through. Call it before the first Wait.
func (l *Limiter) Preload(starts []time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, at := range starts {
		for _, w := range l.windows {
			if now.Sub(at) >= w.Span || at.After(now) {
				continue
			}
			if len(w.starts) < w.N {
				w.starts = append(w.starts, at)
			} else {
				w.starts[w.next] = at
				w.next = (w.next + 1) % w.N
			}
		}
	}
}

// reserve counts a start now and returns the instant and 0 if every window allows one, else
// how long until they might.
func (l *Limiter) reserve() (time.Time, time.Duration) {
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
		return now, wait
	}
	for _, w := range l.windows {
		if len(w.starts) < w.N {
			w.starts = append(w.starts, now)
		} else {
			w.starts[w.next] = now
			w.next = (w.next + 1) % w.N
		}
	}
	if l.onStart != nil {
		l.onStart(now)
	}
	return now, 0
}
