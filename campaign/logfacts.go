package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// Log events: every message of a run is a sentence for a person and, as slog attributes, its
// facts for a log pipeline (the README's "Logs" table names every key). An event about one call
// carries the call's facts (see callFacts): its row's line, its number masked, its attempt, and
// once known its execution id, caller id (masked), agent and Bolna's status, so that a JSON log
// filtered by execution id holds every event of that call. A whole phone number is never an
// attribute: only maskPhone's form is.
//
// The steps of a call's life (its placement, each status Bolna reports, its end) are logged at
// level Debug (see ledger.logStep): one line a step is too many for a person, who reads the
// progress line, but what a pipeline follows a call by.

// Keys of the facts of a log event.
const (
	keyEvent       = "event"
	keyLine        = "line"
	keyPhone       = "phone"
	keyAttempt     = "attempt"
	keyExecutionID = "execution_id"
	keyFrom        = "from"
	keyArm         = "arm"
	keyStatus      = "status"
	keyOutcome     = "outcome"
	keyCost        = "cost_cents"
	keyCode        = "code"
	keyError       = "error"
)

// facts are the attributes of one log event.
type facts []slog.Attr

// callFacts are the facts of an attempt at a call: its row's line (when known), its number
// masked, its attempt, and those known so far of its execution id, caller id (masked), agent
// (arm: its own, else the run's agent arm) and the latest status Bolna gave.
func callFacts(a *attempt, arm string) facts {
	f := make(facts, 0, 8)
	if a.Line > 0 {
		f = append(f, slog.Int(keyLine, a.Line))
	}
	f = append(f, slog.String(keyPhone, maskPhone(a.Phone)))
	if a.Attempt > 0 {
		f = append(f, slog.Int(keyAttempt, a.Attempt))
	}
	if a.ExecutionID != "" {
		f = append(f, slog.String(keyExecutionID, a.ExecutionID))
	}
	if a.From != "" {
		f = append(f, slog.String(keyFrom, maskPhone(a.From)))
	}
	if arm := cmp.Or(a.Agent, arm); arm != "" { // its own agent, an experiment's arm; else the run's
		f = append(f, slog.String(keyArm, arm))
	}
	if a.status != "" {
		f = append(f, slog.String(keyStatus, string(a.status)))
	}
	return f
}

// MaskPhone is a phone number as logs show it, never whole: all but its last six characters,
// four dots, and its last two digits.
func MaskPhone(p string) string { return maskPhone(p) }

// phoneFacts are the facts of an event about a number before any attempt at it: the number,
// masked.
func phoneFacts(phone string) facts { return facts{slog.String(keyPhone, maskPhone(phone))} }

// from adds a caller id, masked.
func (f facts) from(number string) facts { return append(f, slog.String(keyFrom, maskPhone(number))) }

// status adds Bolna's status s (in place of the attempt's last one).
func (f facts) status(s dialer.Status) facts {
	if s == "" {
		return f
	}
	for i, a := range f {
		if a.Key == keyStatus {
			f[i] = slog.String(keyStatus, string(s))
			return f
		}
	}
	return append(f, slog.String(keyStatus, string(s)))
}

// outcome adds an outcome's facts: the results file's status, and the call's cost when Bolna
// gave one.
func (f facts) outcome(o journal.Outcome) facts {
	f = append(f, slog.String(keyOutcome, string(o.Status)))
	if o.Cost != 0 {
		f = append(f, slog.Float64(keyCost, o.Cost))
	}
	return f
}

// err adds an error's text, and the status code of Bolna's answer when it is one (nil adds
// nothing).
func (f facts) err(err error) facts {
	if err == nil {
		return f
	}
	var apiErr *dialer.APIError
	if errors.As(err, &apiErr) {
		f = append(f, slog.Int(keyCode, apiErr.StatusCode))
	}
	return append(f, slog.String(keyError, err.Error()))
}

// logEvent logs one event at level, its sentence made of format and args, with its facts.
func logEvent(logger *slog.Logger, level slog.Level, f facts, format string, args ...any) {
	ctx := context.Background()
	if !logger.Enabled(ctx, level) {
		return
	}
	logger.LogAttrs(ctx, level, fmt.Sprintf(format, args...), f...)
}

// about is the facts of a, its agent the run's.
func (c *Config) about(a *attempt) facts { return callFacts(a, c.AgentID) }

// logWith logs a notable event with its facts.
func (c *Config) logWith(f facts, format string, args ...any) {
	logEvent(c.Logger, slog.LevelInfo, f, format, args...)
}

// warnWith logs something that went wrong, or that stops the run placing calls, with its facts.
func (c *Config) warnWith(f facts, format string, args ...any) {
	logEvent(c.Logger, slog.LevelWarn, f, format, args...)
}

// WarnErr logs something that went wrong outside any call (a campaign's file not written, say),
// with err as its fact, as the run's own warnings are logged.
func (c *Config) WarnErr(err error, format string, args ...any) {
	c.warnWith(facts{}.err(err), format, args...)
}

// logCall logs a notable event about the call of a, with its facts.
func (c *Config) logCall(a *attempt, format string, args ...any) {
	c.logWith(c.about(a), format, args...)
}

// warnCall logs something that went wrong with the call of a, with its facts.
func (c *Config) warnCall(a *attempt, format string, args ...any) {
	c.warnWith(c.about(a), format, args...)
}

// logStep logs, at level Debug, a step of a call's life that a pipeline follows it by, named
// by its event key: its placement (placed), the call found whose placement's reply was lost
// (found), an earlier run's call taken over (followed), each new status Bolna reports
// (status), its end with its outcome and cost (ended), or no call made after all (void: never
// placed, or stopped before it rang). prev is its status before the step.
func (l *ledger) logStep(a *attempt, ev event, effs []effect, prev dialer.Status) {
	if !l.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	f, to := callFacts(a, l.arm), maskPhone(a.Phone)
	switch {
	case ev.kind == evPlaced:
		l.debug("placed", f, "placed call %s to %s (line %d, attempt %d)", a.ExecutionID, to, a.Line, a.Attempt)
	case ev.kind == evFound:
		l.debug("found", f, "found call %s to %s (line %d, attempt %d), placed when its reply was lost", a.ExecutionID, to, a.Line, a.Attempt)
	case ev.kind == evAdopted:
		l.debug("followed", f, "following call %s to %s (line %d), placed by an earlier run", a.ExecutionID, to, a.Line)
	case has(effs, effRecordFinal) && a.ExecutionID != "":
		f = f.status(ev.status).outcome(*ev.outcome)
		l.debug("ended", f, "call %s to %s (line %d) ended: %s", a.ExecutionID, to, a.Line, ev.outcome.Status)
	case has(effs, effRecordFinal): // refused, skipped, or a call that could not be found
		l.debug("ended", f.outcome(*ev.outcome), "the attempt at %s (line %d) ended with no call to follow: %s", to, a.Line, ev.outcome.Status)
	case has(effs, effRecordGiveBack) && a.ExecutionID != "":
		l.debug("void", f, "call %s to %s (line %d) was stopped before it rang: the attempt does not count", a.ExecutionID, to, a.Line)
	case has(effs, effRecordVoid) || has(effs, effRecordGiveBack) || has(effs, effRecordSettled):
		l.debug("void", f, "no call was made to %s (line %d, attempt %d): the attempt does not count", to, a.Line, a.Attempt)
	case has(effs, effNoteStatus) && a.status != prev && a.ExecutionID != "":
		l.debug("status", f, "call %s to %s (line %d): %s", a.ExecutionID, to, a.Line, a.status)
	}
}

// debug logs a step of a call's life, event naming it (see logStep).
func (l *ledger) debug(event string, f facts, format string, args ...any) {
	logEvent(l.log, slog.LevelDebug, append(facts{slog.String(keyEvent, event)}, f...), format, args...)
}

// warn logs what the ledger could not record, with its facts.
func (l *ledger) warn(f facts, format string, args ...any) {
	logEvent(l.log, slog.LevelWarn, f, format, args...)
}
