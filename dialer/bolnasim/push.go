package bolnasim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Webhook has the simulation push every status change of a call, as Bolna does to an agent's
// webhook_url: a POST whose body is the execution object, the same JSON as GET
// /executions/{id} (docs/bolna-api.md §8). Pushes come in time even when nobody asks the API
// anything: the simulation then runs on a clock of its own (real time, or a testing/synctest
// bubble's), until [API.Close].
type Webhook struct {
	// URL receives the pushes (plain http to loopback in tests and the sandbox).
	URL string
	// Deliver, when set, delivers a push instead of an HTTP POST to URL (an in-process
	// receiver); a non-nil error is a failed delivery, tried again like a non-2xx reply.
	Deliver func(ctx context.Context, body []byte) error

	// Faults: the share of pushes never sent, sent twice, or held back by up to ReorderBy so
	// that later ones overtake them; every push waits Delay first.
	Drop, Duplicate, Reorder float64
	ReorderBy                time.Duration // default 1 s
	Delay                    Range
	// Retries is how many times a push answered non-2xx (or not at all) is sent again, a
	// second apart (Bolna retries; it does not say how often). Default 3.
	Retries int
	// Timeout bounds one delivery; a receiver slower than this counts as not answering.
	// Default 10 s.
	Timeout time.Duration
}

// PushStats count the pushes the simulation made.
type PushStats struct {
	Changes   int // status changes that called for a push
	Sent      int // deliveries tried (duplicates and retries included)
	Delivered int // answered 2xx
	Failed    int // given up after the retries
	Dropped   int // never sent (the Drop fault, or a full queue)
}

// maxPushesInFlight bounds the pushes being delivered (or waiting out their delay) at once;
// beyond it a push is dropped, as a flooded sender would.
const maxPushesInFlight = 4096

// pusher delivers the simulation's pushes.
type pusher struct {
	hook   Webhook
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{} // a call was created: the clock has new events
	slots  chan struct{} // deliveries in flight at most

	mu     sync.Mutex
	stats  PushStats
	closed bool
}

// startPushing runs the simulation's own clock and delivers its pushes.
func (a *API) startPushing(h Webhook) {
	if h.Retries == 0 {
		h.Retries = 3
	}
	if h.Timeout <= 0 {
		h.Timeout = 10 * time.Second
	}
	if h.ReorderBy <= 0 {
		h.ReorderBy = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &pusher{hook: h, client: &http.Client{Timeout: h.Timeout}, ctx: ctx, cancel: cancel,
		kick: make(chan struct{}, 1), slots: make(chan struct{}, maxPushesInFlight)}
	a.push = p
	a.sim.changed = func(ex *execution) {
		p.mu.Lock()
		p.stats.Changes++
		p.mu.Unlock()
		body, err := json.Marshal(a.payload(ex))
		if err != nil {
			return
		}
		a.sendPush(body)
	}
	p.wg.Add(1)
	go a.drive()
}

// drive advances the simulation as its events fall due, so that pushes leave on time.
func (a *API) drive() {
	p := a.push
	defer p.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.mu.Lock()
		now := a.opts.Now()
		a.sim.advance(now)
		next, ok := a.sim.nextAt()
		a.mu.Unlock()
		wait := time.Hour
		if ok {
			wait = max(next.Sub(now), 0)
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-p.kick:
		case <-p.ctx.Done():
			return
		}
	}
}

// kickClock wakes the simulation's own clock: calls were created or resumed, so events are due
// sooner than it planned to look.
func (a *API) kickClock() {
	if a.push == nil {
		return
	}
	select {
	case a.push.kick <- struct{}{}:
	default:
	}
}

// sendPush queues one push, with the faults drawn now (the API's lock is held).
func (a *API) sendPush(body []byte) {
	p, h := a.push, a.push.hook
	r := a.sim.rng
	if r.Float64() < h.Drop {
		p.count(func(s *PushStats) { s.Dropped++ })
		return
	}
	copies := 1
	if r.Float64() < h.Duplicate {
		copies = 2
	}
	for range copies {
		delay := h.Delay.Min
		if h.Delay.Max > h.Delay.Min {
			delay += time.Duration(r.Int64N(int64(h.Delay.Max - h.Delay.Min)))
		}
		if r.Float64() < h.Reorder {
			delay += time.Duration(r.Int64N(int64(h.ReorderBy)))
		}
		select {
		case p.slots <- struct{}{}:
		default:
			p.count(func(s *PushStats) { s.Dropped++ })
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.slots
			return
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			defer func() { <-p.slots }()
			p.deliver(body, delay)
		}()
	}
}

// deliver sends one push after delay, trying again (a second apart) on a failure.
func (p *pusher) deliver(body []byte, delay time.Duration) {
	if !sleepCtx(p.ctx, delay) {
		return
	}
	for try := 0; try <= p.hook.Retries; try++ {
		if try > 0 && !sleepCtx(p.ctx, time.Second) {
			return
		}
		p.count(func(s *PushStats) { s.Sent++ })
		if p.send(body) == nil {
			p.count(func(s *PushStats) { s.Delivered++ })
			return
		}
	}
	p.count(func(s *PushStats) { s.Failed++ })
}

func (p *pusher) send(body []byte) error {
	ctx, cancel := context.WithTimeout(p.ctx, p.hook.Timeout)
	defer cancel()
	if p.hook.Deliver != nil {
		return p.hook.Deliver(ctx, body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.hook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("push answered %d", resp.StatusCode)
	}
	return nil
}

func (p *pusher) count(f func(*PushStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Pushes counts the pushes made so far (zero without a Webhook).
func (a *API) Pushes() PushStats {
	if a.push == nil {
		return PushStats{}
	}
	a.push.mu.Lock()
	defer a.push.mu.Unlock()
	return a.push.stats
}

// Close stops the simulation's own clock and its pushes (those in flight are abandoned). An
// API without a Webhook has nothing to stop.
func (a *API) Close() {
	if a.push != nil {
		a.push.mu.Lock()
		a.push.closed = true
		a.push.mu.Unlock()
		a.push.cancel()
		a.push.wg.Wait()
	}
}
