package campaign

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

// pool is the run's dialling slots, one per call that may be outstanding at Bolna at once
// (queued, dialling, ringing or talking): it is the one place that keeps the run within the
// account's free concurrency. A slot is taken before POST /call and given back when the call's
// line drops, it ends, or its placement is refused.
//
// A run makes its pool before it knows its size: the calls left outstanding by an earlier run
// are taken over first (each takes a slot without waiting, see retake), and looked at, and the
// pool is sized then (see size). Should there be more of them than slots (the account has less
// free concurrency than they use, or --concurrency is lower), the excess is a debt: the first
// slots they give back pay it off and free nothing, so no new call is placed until the
// outstanding ones fit the pool.
type pool struct {
	mu    sync.Mutex
	sem   *semaphore.Weighted // nil until the pool is sized
	debt  int                 // calls held beyond the size (all of them, until it is sized)
	inSem int                 // slots held of the semaphore's
	extra int                 // slots given back that were not held: a bug (see outstanding)
	n     int                 // the size, once sized
}

// newPool is a pool not sized yet: every slot taken is a debt until size.
func newPool() *pool { return &pool{} }

// newSizedPool is a pool of n slots.
func newSizedPool(n int) *pool {
	p := newPool()
	p.size(n)
	return p
}

// size gives the pool its n slots, once, holding the slots taken so far.
func (p *pool) size(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sem != nil {
		return // sized once
	}
	p.sem, p.n = semaphore.NewWeighted(int64(n)), n
	fit := min(p.debt, n)
	if fit > 0 {
		p.sem.TryAcquire(int64(fit)) // nothing else holds the semaphore yet
	}
	p.debt -= fit
	p.inSem += fit
}

// slots is the pool's size (0 until it is sized).
func (p *pool) slots() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// acquire waits for a free slot; it fails only when ctx ends. The pool must be sized.
func (p *pool) acquire(ctx context.Context) error {
	p.mu.Lock()
	sem := p.sem
	p.mu.Unlock()
	if err := sem.Acquire(ctx, 1); err != nil {
		return err
	}
	p.mu.Lock()
	p.inSem++
	p.mu.Unlock()
	return nil
}

// release gives one slot back (or pays one off the debt). A slot given back that was not held
// is counted, not passed on (see outstanding).
func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.debt > 0:
		p.debt--
	case p.inSem > 0:
		p.inSem--
		p.sem.Release(1)
	default:
		p.extra++
	}
}

// retake takes a slot without waiting, for a call that is outstanding already: one an
// earlier run left, or one whose release turned out wrong (a pushed call-disconnected that a
// look contradicted). It takes a free slot if there is one, else a debt, so that the pool is
// back within its size before the next call is placed.
func (p *pool) retake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sem != nil && p.sem.TryAcquire(1) {
		p.inSem++
	} else {
		p.debt++
	}
}

// outstanding is how many slots are held, and how many were given back without being held.
func (p *pool) outstanding() (held, extra int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inSem + p.debt, p.extra
}
