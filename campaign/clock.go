package campaign

import "time"

// Bolna's executions list filters on created_at, by Bolna's clock; ours may differ. Until the
// difference is known, every window is widened by clockSkew on both sides, which at hundreds of
// calls a minute makes a search for one call read every call of the last quarter hour.
const (
	// offsetSlack widens a window measured from the offset: timestamps rounded to the second,
	// and the offset's own drift.
	offsetSlack = 2 * time.Second
	// minOffsetSamples is how many calls must have been seen before the offset is trusted.
	minOffsetSamples = 3
)

// clockOffset bounds Bolna's clock minus ours. A call is created while its POST /call is in
// flight: after the intent was recorded (sent) and before the reply came (answered), by our
// clock, so its created_at, by Bolna's, gives created-answered <= offset <= created-sent. The
// bounds of every call seen are intersected. Bounds that cross, or an offset beyond clockSkew
// (created_at in another time zone, say), turn it off for good: windows are the wide ones.
type clockOffset struct {
	lo, hi time.Duration
	n      int
	broken bool
}

// note adds a call created at created (Bolna's clock) whose POST was sent after sent and
// answered at answered (ours).
func (o *clockOffset) note(created, sent, answered time.Time) {
	if o.broken || created.IsZero() || sent.IsZero() || answered.Before(sent) {
		return
	}
	lo, hi := created.Sub(answered), created.Sub(sent)
	if o.n == 0 {
		o.lo, o.hi = lo, hi
	} else {
		o.lo, o.hi = max(o.lo, lo), min(o.hi, hi)
	}
	o.n++
	if o.lo > o.hi+offsetSlack || o.lo.Abs() > clockSkew || o.hi.Abs() > clockSkew {
		o.broken = true
	}
}

// known reports whether windows may be narrowed by the offset.
func (o *clockOffset) known() bool { return !o.broken && o.n >= minOffsetSamples }

// window is the list window, by Bolna's clock, of a call created between from and to by ours.
func (o *clockOffset) window(from, to time.Time) (time.Time, time.Time) {
	if !o.known() {
		return from.Add(-clockSkew), to.Add(clockSkew)
	}
	return from.Add(o.lo - offsetSlack), to.Add(o.hi + offsetSlack)
}
