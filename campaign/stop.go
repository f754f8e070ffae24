package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Stopping calls that have not rung: past --max-wait, outside their calling hours, or on
// bolna-campaign stop (see tracker.stopWaiting).

// callStopper is what a Dialer may do to a call that has not rung: *dialer.Client stops it
// (POST /call/{id}/stop).
type callStopper interface {
	StopCall(ctx context.Context, id string) error
}

// stopReason says why a call still waiting at Bolna (queued, scheduled, rescheduled) should
// be stopped now, or "" when it should not: its --max-wait is over, its contact's calling
// window has closed (Bolna would ring it later, outside the hours), or the campaign was told
// to stop.
func (t *tracker) stopReason(c *attempt, now time.Time) string {
	if c.phase != phaseQueued || c.stopRefused {
		return ""
	}
	switch {
	case t.stopAll.Load():
		return "stopped before it rang (bolna-campaign stop); the attempt is given back"
	case !now.Before(c.deadline):
		return fmt.Sprintf("still queued at Bolna after --max-wait %s: stopped before it rang; the attempt is given back", ShortDuration(t.cfg.MaxWait))
	case c.Zone != nil && t.cfg.Window != nil && !t.cfg.Window.Contains(now.In(c.Zone)):
		return fmt.Sprintf("still queued at Bolna when its calling hours %s (%s) ended: stopped before it rang; the attempt is given back", t.cfg.Window, c.Zone)
	}
	return ""
}

// stopWaiting stops a call that has not rung: its slot and number are free again, its
// attempt is given back and its row is pending with reason. A stop Bolna refuses because the
// call has started is no error: the call is followed to its end as any other.
func (t *tracker) stopWaiting(ctx context.Context, c *attempt, reason string) (bool, error) {
	stopper, ok := t.dialer.(callStopper)
	if !ok {
		return false, nil
	}
	err := stopper.StopCall(ctx, c.ExecutionID)
	var apiErr *dialer.APIError
	switch {
	case err == nil:
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !apiErr.Unauthorized() && apiErr.StatusCode != 429:
		c.stopRefused = true // it has started: followed to its end
		t.cfg.logf("call %s could not be stopped (%v): it has started, and is followed to its end", c.ExecutionID, err)
		return false, nil
	default:
		if fatal := t.fatal(err); fatal != nil {
			return false, fatal
		}
		t.cfg.warnf("stopping call %s: %v; trying again", c.ExecutionID, err)
		return false, nil
	}
	if err := t.move(c, phaseVoid, step{reason: reason}); err != nil {
		return false, err
	}
	t.stoppedCalls++
	t.cfg.logf("stopped call %s to %s: %s", c.ExecutionID, maskPhone(c.Phone), reason)
	return true, nil
}
