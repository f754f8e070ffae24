package campaign

import (
	"context"
	"time"
)

// A lasting pause (bolna-campaign pause, kept in the account's history) stops a campaign's
// placements. The guard refuses the next placement (VerdictPaused); a run that places no call
// for a while (its rows wait for a slot, for room to spend, for the rate) would notice it only
// then. A Guard that is also a PauseChecker is asked every pauseCheck while the run places
// calls, so that a pause stops it within two seconds, whatever it waits for.

// PauseChecker is a Guard that can say, between placements, whether the campaign is paused.
type PauseChecker interface {
	// PausedBy says who paused the campaign (or every campaign), when and why, as the guard's
	// VerdictPaused says it; "" when it is not paused.
	PausedBy(ctx context.Context, campaign string) (string, error)
}

// pauseCheck is how often a run placing calls asks whether it is paused: a pause is noticed
// within twice that.
const pauseCheck = time.Second

// watchPause halts placing as soon as the guard says the campaign is paused, until ctx ends or
// the run stops. A check that fails is not an error here: the next placement asks the guard
// itself, and stops the run if it cannot be reached (see guarded).
func (r *Runner) watchPause(ctx context.Context, campaign string) {
	pc, ok := r.cfg.Guard.(PauseChecker)
	if !ok {
		return
	}
	tick := time.NewTicker(pauseCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.stopped:
			return
		case <-tick.C:
		}
		check, cancel := context.WithTimeout(ctx, pauseCheck)
		reason, err := pc.PausedBy(check, campaign)
		cancel()
		if err == nil && reason != "" {
			r.pausedBy(reason)
			return
		}
	}
}
