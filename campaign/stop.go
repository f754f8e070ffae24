package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// Stopping calls that have not rung: past --max-wait, outside their calling hours, or on
// bolna-campaign stop, by a run (see tracker.stopWaiting) or with none going (see StopCalls).
// One implementation for both: a stop is sent, then Bolna's own status is read, and only a
// call Bolna reports stopped is given back as "no call was made". A stop Bolna acknowledges
// and does not carry out (the call rings in its turn) leaves the call followed as any other.

// callStopper is what a Dialer may do to a call that has not rung: *dialer.Client stops it
// (POST /call/{id}/stop).
type callStopper interface {
	StopCall(ctx context.Context, id string, opts ...dialer.RequestOption) error
}

// stopCommandReason is why a call stopped by bolna-campaign stop is given back.
const stopCommandReason = "stopped before it rang (bolna-campaign stop); the attempt is given back"

// stopVerdict is what came of asking Bolna to stop a call.
type stopVerdict int

const (
	stopConfirmed stopVerdict = iota + 1 // Bolna reports the call stopped: it never rang
	stopAsked                            // acknowledged, but Bolna does not report it stopped: it may ring yet
	stopRefused                          // refused (4xx): the call has started, or ended
	stopFailed                           // not carried (429, 5xx, the network): try again later
)

// stoppedStatus reports whether Bolna's status s is the end of a stop: stopped, or canceled (the
// sources disagree on which a stop ends in, docs/bolna-api.md §4).
func stoppedStatus(s dialer.Status) bool {
	return s == dialer.StatusStopped || s == dialer.StatusCanceled
}

// refusedStop reports whether err is Bolna refusing a stop because of the call's state (only
// calls still waiting can be stopped): a 4xx other than a refused key or its request limits.
func refusedStop(err error) bool {
	var apiErr *dialer.APIError
	return errors.As(err, &apiErr) && apiErr.ClientError() && !apiErr.Unauthorized() && !apiErr.RateLimited()
}

// stopCall asks Bolna to stop call id, then reads the call: a 200 to the stop is not enough
// to say no call will be made. The error says why a stop was not confirmed.
func stopCall(ctx context.Context, d Dialer, id string) (stopVerdict, error) {
	stopper, ok := d.(callStopper)
	if !ok {
		return stopFailed, errCannotStop
	}
	if err := stopper.StopCall(ctx, id); err != nil {
		if refusedStop(err) {
			return stopRefused, err
		}
		return stopFailed, err
	}
	ex, err := d.Execution(ctx, id)
	switch {
	case err != nil:
		return stopAsked, fmt.Errorf("reading it after the stop: %w", err)
	case !stoppedStatus(ex.Status):
		return stopAsked, fmt.Errorf("the stop was acknowledged, and Bolna still reports the call %s", orNone(ex.Status))
	}
	return stopConfirmed, nil
}

// stopReason says why a call still waiting at Bolna (queued, scheduled, rescheduled) should
// be stopped now, or "" when it should not: its --max-wait is over, its contact's calling
// window has closed (Bolna would ring it later, outside the hours), or the campaign was told
// to stop. A call already asked to stop is not asked again: its next look says what came of it.
func (t *tracker) stopReason(c *attempt, now time.Time) string {
	if c.phase != phaseQueued || c.stopRefused || c.stopping != "" {
		return ""
	}
	switch {
	case t.stopAll.Load():
		return stopCommandReason
	case !now.Before(c.deadline):
		return fmt.Sprintf("still queued at Bolna after --max-wait %s: stopped before it rang; the attempt is given back", human.ShortDuration(t.cfg.MaxWait))
	case c.Zone != nil && t.cfg.Window != nil && !t.cfg.Window.Contains(now.In(c.Zone)):
		return fmt.Sprintf("still queued at Bolna when its calling hours %s (%s) ended: stopped before it rang; the attempt is given back", t.cfg.Window, c.Zone)
	}
	return ""
}

// stopWaiting stops a call that has not rung (see stop): it reports whether the call was
// given back; the error is one that ends the run.
func (t *tracker) stopWaiting(ctx context.Context, c *attempt, reason string) (bool, error) {
	v, _, err := t.stop(ctx, c, reason)
	return v == stopConfirmed, err
}

// stop asks Bolna to stop a call that has not rung. Once Bolna confirms it, its slot and
// number are free again, its attempt is given back and its row is pending with reason. A stop
// Bolna acknowledges without confirming it leaves the call followed, and given back only when a
// look sees it stopped (see stopSeen): until then it may ring. A stop Bolna refuses because
// the call has started is no error: the call is followed to its end as any other. A stop that
// failed (a 429, say) is tried again at the next look; cause says why. fatal ends the run.
func (t *tracker) stop(ctx context.Context, c *attempt, reason string) (v stopVerdict, cause, fatal error) {
	v, cause = stopCall(ctx, t.dialer, c.ExecutionID)
	if v != stopConfirmed && v != stopRefused {
		if fatal := t.fatal(cause); fatal != nil {
			return v, cause, fatal
		}
	}
	switch v {
	case stopConfirmed:
		return v, nil, t.stoppedBeforeRinging(c, reason)
	case stopRefused:
		c.stopRefused = true // it has started: followed to its end
		t.cfg.logWith(t.cfg.about(c).err(cause), "call %s could not be stopped (%v): it has started, and is followed to its end", c.ExecutionID, cause)
	case stopAsked:
		c.stopping = reason
		c.nextCheck = t.sched.align(t.cfg.Now())
		t.cfg.warnWith(t.cfg.about(c).err(cause), "call %s to %s: %v; it may ring yet, and is not given back before Bolna says it stopped", c.ExecutionID, maskPhone(c.Phone), cause)
	default:
		t.cfg.warnWith(t.cfg.about(c).err(cause), "stopping call %s: %v; trying again", c.ExecutionID, cause)
	}
	return v, cause, nil
}

// stopSeen gives back a call asked to stop once a look (a GET, the list, a push) sees Bolna
// report it stopped: it reports whether it did.
func (t *tracker) stopSeen(c *attempt, s dialer.Status) (bool, error) {
	if c.stopping == "" || c.phase != phaseQueued || !stoppedStatus(s) {
		return false, nil
	}
	return true, t.stoppedBeforeRinging(c, c.stopping)
}

// stoppedBeforeRinging gives back the attempt of a call Bolna reports stopped before it rang.
func (t *tracker) stoppedBeforeRinging(c *attempt, reason string) error {
	if _, err := t.ledger.apply(c, event{kind: evStopAccepted, reason: reason}); err != nil {
		return err
	}
	t.stoppedCalls++
	t.cfg.logCall(c, "stopped call %s to %s: %s", c.ExecutionID, maskPhone(c.Phone), reason)
	return nil
}
