package dialer

import (
	"net/http"
	"sync"
	"time"
)

// serverClock keeps what the latest reply's Date header says of the server's clock. Bolna
// filters its executions list on created_at, by its own clock; a runner that knows how far
// that clock is from its own can look for a call where Bolna put it, however far off.
type serverClock struct {
	mu     sync.Mutex
	lo, hi time.Duration
	ok     bool
}

// note takes the Date header of a reply to a request sent at sent and answered at answered
// (our clock). The server wrote Date, to the second, somewhere in between: its clock minus
// ours lies in [date-answered, date+1s-sent]. Only the latest reply counts, so a clock that
// jumps is followed at once.
func (c *serverClock) note(header string, sent, answered time.Time) {
	date, err := http.ParseTime(header)
	if err != nil || answered.Before(sent) {
		return
	}
	c.mu.Lock()
	c.lo, c.hi, c.ok = date.Sub(answered), date.Add(time.Second).Sub(sent), true
	c.mu.Unlock()
}

// ServerClock bounds the API server's clock minus ours, from the Date header of the latest
// reply; ok is false before any reply carried one.
func (c *Client) ServerClock() (lo, hi time.Duration, ok bool) {
	c.clock.mu.Lock()
	defer c.clock.mu.Unlock()
	return c.clock.lo, c.clock.hi, c.clock.ok
}
