package campaign

import (
	"maps"
	"sync"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
)

// What the run has done so far, for progress bars and log lines.

// progress counts what the run has done, for progress bars and log lines.
type progress struct {
	mu       sync.Mutex
	toDial   int
	resumed  int
	placed   int
	done     int
	byStatus map[journal.Status]int
}

// Progress is a snapshot of a running campaign.
type Progress struct {
	ToDial   int                    // rows this run set out to dial
	Resumed  int                    // calls from earlier runs being followed
	Placed   int                    // calls placed so far
	Done     int                    // calls (placed or resumed) that reached an outcome
	ByStatus map[journal.Status]int // outcomes so far
}

func (p *progress) set(toDial, resumed int) {
	p.mu.Lock()
	p.toDial, p.resumed, p.byStatus = toDial, resumed, map[journal.Status]int{}
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
	defer p.mu.Unlock()
	return Progress{ToDial: p.toDial, Resumed: p.resumed, Placed: p.placed, Done: p.done, ByStatus: maps.Clone(p.byStatus)}
}
