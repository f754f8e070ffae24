package campaign

import "time"

// Bolna's executions list filters on created_at, by Bolna's clock; ours may differ by any
// amount (a server's clock off by twenty minutes, created_at written in another zone). Windows
// are placed where Bolna's clock puts a call: by the offset measured from the calls seen (exact
// to a second or two), by the Date header of Bolna's replies, and, for safety, by our own clock
// too; each is widened by clockSkew.
//
// Only a window placed by created_at itself is proof: a search there that misses a call shows
// that Bolna never created it. The Date header is the web server's clock, which need not be
// created_at's (a database clock apart from it, naive timestamps written in India's +5:30 and
// read as UTC), so it widens windows but proves nothing. With no call measured, the proof is the
// zone-wide window (see zoneSkew).
const (
	// offsetSlack widens a window measured from the offset: timestamps rounded to the second,
	// and the offset's own drift.
	offsetSlack = 2 * time.Second
	// minOffsetSamples is how many calls must have been seen before the offset is trusted.
	minOffsetSamples = 3
	// zoneSkew bounds created_at minus our clock when no call has measured it: a timestamp
	// written in any zone (UTC-12 to UTC+14) and read as UTC, on a clock off by up to clockSkew.
	// A window that reaches this far on both sides of a call's POST covers the call.
	zoneSkew = 14*time.Hour + clockSkew
)

// clockOffset bounds Bolna's clock (as created_at gives it) minus ours. A call is created while
// its POST /call is in flight: after the intent was recorded (sent) and before the reply came
// (answered), by our clock, so its created_at, by Bolna's, gives
// created-answered <= offset <= created-sent. The bounds of every call seen are intersected;
// a call whose bounds do not meet the others' (the clock jumped) starts the measure again.
type clockOffset struct {
	lo, hi time.Duration
	n      int
}

// note adds a call created at created (Bolna's clock) whose POST was sent after sent and
// answered at answered (ours).
func (o *clockOffset) note(created, sent, answered time.Time) {
	if created.IsZero() || sent.IsZero() || answered.Before(sent) {
		return
	}
	lo, hi := created.Sub(answered), created.Sub(sent)
	if o.n > 0 && max(o.lo, lo) <= min(o.hi, hi)+offsetSlack {
		o.lo, o.hi = max(o.lo, lo), min(o.hi, hi)
		o.n++
		return
	}
	o.lo, o.hi, o.n = lo, hi, 1 // the first call, or a jump: measured anew
}

// known reports whether windows may be narrowed by the offset.
func (o *clockOffset) known() bool { return o.n >= minOffsetSamples }

// measured reports whether a call's created_at has bounded the offset: a window placed by it,
// widened by clockSkew, covers a call, so a miss there is proof.
func (o *clockOffset) measured() bool { return o.n > 0 }

// window is the narrow list window, by Bolna's clock, of a call created between from and to by
// ours; before the offset is known it is the wide one by our clock.
func (o *clockOffset) window(from, to time.Time) (time.Time, time.Time) {
	if !o.known() {
		return from.Add(-clockSkew), to.Add(clockSkew)
	}
	return from.Add(o.lo - offsetSlack), to.Add(o.hi + offsetSlack)
}

// serverClocker is what a Dialer may say of Bolna's clock: *dialer.Client bounds it from the
// Date header of its latest reply.
type serverClocker interface {
	ServerClock() (lo, hi time.Duration, ok bool)
}
