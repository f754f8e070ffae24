package campaign

import (
	"maps"
	"sync"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// What the run has done so far, for progress bars, log lines, and the live status (metrics,
// the live page): everything here is read from any goroutine, at any time.

// progress counts what the run has done, for progress bars and log lines.
type progress struct {
	mu       sync.Mutex
	toDial   int
	resumed  int
	placed   int
	done     int
	byStatus map[journal.Status]int
	pool     *pool // the run's slots, once sized (see sized); nil before
}

// Progress is a snapshot of a running campaign.
type Progress struct {
	ToDial   int                    // rows this run set out to dial
	Resumed  int                    // calls from earlier runs being followed
	Placed   int                    // calls placed so far
	Done     int                    // calls (placed or resumed) that reached an outcome
	ByStatus map[journal.Status]int // outcomes so far

	// InFlight is how many calls hold one of the run's slots (about to be placed, queued,
	// ringing or talking); Open how many have no outcome yet, those in post-processing too.
	InFlight, Open int
	// Slots is the pool's size (0 until it is sized), SlotsBusy how many of them are held
	// (calls of earlier runs beyond the size included).
	Slots, SlotsBusy int
	// Spent is the campaign's summed total_cost so far (cents, across runs).
	Spent float64
	// Halted says why placing stopped early ("" while it has not); Stopped is true once no
	// new call is placed (a halt, a signal, bolna-campaign stop, or nothing left to dial).
	Halted  string
	Stopped bool
}

func (p *progress) set(toDial, resumed int) {
	p.mu.Lock()
	p.toDial, p.resumed, p.byStatus = toDial, resumed, map[journal.Status]int{}
	p.mu.Unlock()
}

// sized gives the progress the run's pool, once it is sized.
func (p *progress) sized(pl *pool) {
	p.mu.Lock()
	p.pool = pl
	p.mu.Unlock()
}

func (p *progress) placing() {
	p.mu.Lock()
	p.placed++
	p.mu.Unlock()
}

// unplaced counts a row set out to dial whose POST never left (or was refused with 429 to the
// end): it stays pending.
func (p *progress) unplaced() {
	p.mu.Lock()
	p.toDial--
	p.mu.Unlock()
}

func (p *progress) finished(status journal.Status) {
	p.mu.Lock()
	p.done++
	if p.byStatus == nil {
		p.byStatus = map[journal.Status]int{}
	}
	p.byStatus[status]++
	p.mu.Unlock()
}

// Progress returns a snapshot of the run so far; it is safe to call from any goroutine.
func (r *Runner) Progress() Progress {
	p := &r.progress
	p.mu.Lock()
	snap := Progress{ToDial: p.toDial, Resumed: p.resumed, Placed: p.placed, Done: p.done, ByStatus: maps.Clone(p.byStatus)}
	pl := p.pool
	p.mu.Unlock()
	if pl != nil {
		snap.Slots = pl.slots()
		snap.SlotsBusy, _ = pl.outstanding()
	}
	if t := r.tracker.Load(); t != nil {
		// The ledger and its journal are the tracker's from its start; the counts are atomic.
		snap.InFlight = max(0, int(t.ledger.holders.Load()))
		snap.Open = max(0, int(t.ledger.open.Load()))
		snap.Spent = t.ledger.st.Spent()
	}
	snap.Halted, snap.Stopped = r.haltReason(), r.isStopped()
	return snap
}
