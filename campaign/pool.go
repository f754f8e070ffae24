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
// Calls left outstanding by an earlier run are held too, when the run starts. Should there be
// more of them than slots (the account has less free concurrency than they use, or
// --concurrency is lower), the excess is a debt: the first slots they give back pay it off and
// free nothing, so no new call is placed until the outstanding ones fit the pool.
type pool struct {
	sem  *semaphore.Weighted
	size int

	mu    sync.Mutex
	debt  int // calls held beyond the size (see above)
	inSem int // slots held of the semaphore's
	extra int // slots given back that were not held: a bug (see outstanding)
}

func newPool(size int) *pool {
	return &pool{sem: semaphore.NewWeighted(int64(size)), size: size}
}

// hold takes slots for n calls that are already outstanding; it never waits.
func (p *pool) hold(n int) {
	fit := min(n, p.size)
	if fit > 0 && !p.sem.TryAcquire(int64(fit)) {
		panic("campaign: pool.hold after the pool was in use")
	}
	p.mu.Lock()
	p.debt += n - fit
	p.inSem += fit
	p.mu.Unlock()
}

// acquire waits for a free slot; it fails only when ctx ends.
func (p *pool) acquire(ctx context.Context) error {
	if err := p.sem.Acquire(ctx, 1); err != nil {
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

// retake takes back the slot of a call whose release turned out wrong (a pushed
// call-disconnected that a look contradicted): a free slot if there is one, else a debt, so
// that the pool is back within its size before the next call is placed.
func (p *pool) retake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sem.TryAcquire(1) {
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
