package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bolna-campaign/bolna-campaign/human"
)

// Attempt is one dial of a person by a campaign, as the guard reserves it.
type Attempt struct {
	Campaign string    `json:"campaign"`              // the campaign's id (its journal's)
	List     string    `json:"list,omitempty"`        // the campaign's contact list (a path, for people reading the history)
	Results  string    `json:"results,omitempty"`     // the campaign's results file
	Agent    string    `json:"agent_id,omitempty"`    // the agent that places the call
	Phone    string    `json:"phone"`                 // the person, in E.164
	From     string    `json:"from_number,omitempty"` // the caller id ("" for the agent's default)
	Number   int       `json:"attempt"`               // the attempt's number for its row, from 1
	Ref      string    `json:"ref"`                   // our reference for the call (put in its user_data); unique in the history
	At       time.Time `json:"reserved_at"`           // when it is reserved; the zero time is now
}

// Rules are the account-wide rules the guard applies before each placement. Zero values turn
// a rule off.
type Rules struct {
	// MinGap: a person any other campaign of the account dialled within MinGap is skipped (a
	// campaign's own earlier attempts do not count: its retries follow --retry-after).
	MinGap time.Duration
	// MaxCalls in Period: a person the account (every campaign, this one included) called
	// MaxCalls times within Period is skipped.
	MaxCalls int
	Period   time.Duration
}

// Kind is why the guard did not let an attempt go.
type Kind string

// The kinds of refusal. The first three skip the person (the row gets the kind as its
// status); KindPaused stops the campaign from placing at all.
const (
	KindDoNotCall Kind = "do-not-call" // on the account's do-not-call list
	KindRecent    Kind = "recent"      // another campaign dialled the person within MinGap
	KindCapped    Kind = "capped"      // MaxCalls in Period already
	KindPaused    Kind = "paused"      // the campaign, or every campaign, is paused
)

// Decision is the guard's answer.
type Decision struct {
	// Allowed: the attempt is reserved (it counts as a call until settled or voided): place it.
	Allowed bool
	// Repeat: the attempt's Ref was already reserved for the same campaign and person (a run
	// asking again after a crash); nothing new was recorded.
	Repeat bool
	Kind   Kind   // when not allowed, why
	Reason string // when not allowed, in words: names the other campaign and when
	// Campaign and At: for KindRecent, the other campaign and when it dialled the person.
	Campaign string
	At       time.Time
	// Until: for KindRecent and KindCapped, when the person may be dialled again under the same
	// rules (if nobody else dials them meanwhile).
	Until time.Time
	Pause *Pause // for KindPaused
}

// RefError is a reference the history cannot act on as asked: unknown, in a state that does
// not allow the change, or reserved for another campaign or person.
type RefError struct {
	Op, Ref string
	Problem string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("history: %s %s: %s", e.Op, e.Ref, e.Problem)
}

// Reserve is the guard before a POST /call: in one transaction it checks the account's rules
// for the attempt's person and, when they allow the call, records the attempt as reserved. The
// transaction holds the person's lock (see backend.begin), so of two processes reserving one
// person at once the second reads after the first committed, and sees its reservation: they
// never both pass. The checks, in order: a pause of the campaign or of all (KindPaused); the
// do-not-call list; another campaign within rules.MinGap (KindRecent); rules.MaxCalls within
// rules.Period (KindCapped). An attempt reserved, placed or settled counts; a voided one does
// not. Asking again for a Ref already reserved for the same campaign and person answers
// Allowed and Repeat.
func (s *Store) Reserve(ctx context.Context, a Attempt, rules Rules) (Decision, error) {
	if err := a.check(rules); err != nil {
		return Decision{}, err
	}
	if a.At.IsZero() {
		a.At = time.Now()
	}
	a.At = a.At.UTC()
	var d Decision
	err := s.inTx(ctx, a.Phone, func(tx *sql.Tx) error {
		var err error
		if d, err = s.decide(ctx, tx, a, rules); err != nil || !d.Allowed || d.Repeat {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO attempts (ref, campaign, list_path, results_path, agent_id, phone,
			from_number, attempt, state, reserved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Ref, a.Campaign, a.List, a.Results, a.Agent, a.Phone, a.From, a.Number, string(StateReserved), millis(a.At))
		return err
	})
	if err != nil {
		var refErr *RefError
		if errors.As(err, &refErr) {
			return Decision{}, refErr
		}
		return Decision{}, fmt.Errorf("history %s: reserve %s: %w", s.where, a.Ref, err)
	}
	return d, nil
}

// check refuses an attempt or rules the guard cannot judge.
func (a Attempt) check(r Rules) error {
	switch {
	case a.Ref == "":
		return errors.New("history: reserve: an attempt needs a Ref")
	case a.Campaign == "":
		return fmt.Errorf("history: reserve %s: an attempt needs its campaign", a.Ref)
	case !isE164(a.Phone):
		return &PhoneError{Phone: a.Phone}
	case a.Number < 1:
		return fmt.Errorf("history: reserve %s: attempt number %d (they count from 1)", a.Ref, a.Number)
	case r.MaxCalls < 0 || r.MinGap < 0 || (r.MaxCalls > 0 && r.Period <= 0):
		return fmt.Errorf("history: reserve %s: rules %+v: a cap needs a period, and nothing may be negative", a.Ref, r)
	}
	return nil
}

// decide reads what the rules need, inside the reservation's transaction.
func (s *Store) decide(ctx context.Context, tx *sql.Tx, a Attempt, r Rules) (Decision, error) {
	if p, err := s.paused(ctx, tx, a.Campaign); err != nil || p != nil {
		if p == nil {
			return Decision{}, err
		}
		return Decision{Kind: KindPaused, Reason: p.String(), Pause: p}, nil
	}
	if repeat, err := s.repeat(ctx, tx, a); err != nil || repeat {
		return Decision{Allowed: repeat, Repeat: repeat}, err
	}
	var since int64
	var why string
	switch err := s.queryRow(ctx, tx, "SELECT added_at, reason FROM do_not_call WHERE phone = ?", a.Phone).Scan(&since, &why); {
	case err == nil:
		return Decision{Kind: KindDoNotCall, Reason: dncReason(fromMillis(since), why)}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Decision{}, err
	}
	if r.MinGap > 0 {
		d, err := s.recent(ctx, tx, a, r)
		if err != nil || d.Kind != "" {
			return d, err
		}
	}
	if r.MaxCalls > 0 {
		d, err := s.capped(ctx, tx, a, r)
		if err != nil || d.Kind != "" {
			return d, err
		}
	}
	return Decision{Allowed: true}, nil
}

// repeat reports whether a's Ref is already reserved for a's campaign and person; a Ref of
// another attempt, or voided, is a RefError.
func (s *Store) repeat(ctx context.Context, tx *sql.Tx, a Attempt) (bool, error) {
	var campaign, phone, state string
	err := s.queryRow(ctx, tx, "SELECT campaign, phone, state FROM attempts WHERE ref = ?", a.Ref).Scan(&campaign, &phone, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	case campaign != a.Campaign || phone != a.Phone:
		return false, &RefError{Op: "reserve", Ref: a.Ref, Problem: "the reference is another attempt's (campaign " + campaign + ")"}
	case State(state) == StateVoid:
		return false, &RefError{Op: "reserve", Ref: a.Ref, Problem: "the reference was voided: a new attempt needs a new reference"}
	}
	return true, nil
}

// The guard's reads of a person's attempts: both walk the index attempts_phone (phone,
// reserved_at) from the person's latest attempt back to the window's start, so their cost
// grows with the person's attempts in the window and the log of the history's size
// (TestGuardUsesIndex).
const (
	recentQuery = `SELECT campaign, reserved_at FROM attempts
		WHERE phone = ? AND reserved_at > ? AND campaign <> ? AND state <> 'void'
		ORDER BY reserved_at DESC LIMIT 1`
	cappedQuery = `SELECT reserved_at FROM attempts
		WHERE phone = ? AND reserved_at > ? AND state <> 'void'
		ORDER BY reserved_at DESC LIMIT 1 OFFSET ?`
)

// recent is KindRecent when another campaign dialled a's person within r.MinGap.
func (s *Store) recent(ctx context.Context, tx *sql.Tx, a Attempt, r Rules) (Decision, error) {
	var other string
	var at int64
	err := s.queryRow(ctx, tx, recentQuery, a.Phone, millis(a.At.Add(-r.MinGap)), a.Campaign).Scan(&other, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Decision{}, nil
	case err != nil:
		return Decision{}, err
	}
	when := fromMillis(at)
	return Decision{Kind: KindRecent, Campaign: other, At: when, Until: when.Add(r.MinGap),
		Reason: fmt.Sprintf("dialled by campaign %s at %s, within the minimum gap of %s between campaigns",
			other, when.Format(time.RFC3339), r.MinGap)}, nil
}

// capped is KindCapped when a's person was called r.MaxCalls times within r.Period: the
// r.MaxCalls-th latest of their attempts in the period exists.
func (s *Store) capped(ctx context.Context, tx *sql.Tx, a Attempt, r Rules) (Decision, error) {
	var at int64
	err := s.queryRow(ctx, tx, cappedQuery, a.Phone, millis(a.At.Add(-r.Period)), r.MaxCalls-1).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Decision{}, nil
	case err != nil:
		return Decision{}, err
	}
	until := fromMillis(at).Add(r.Period)
	return Decision{Kind: KindCapped, Until: until,
		Reason: fmt.Sprintf("called %d %s within %s on the account (the cap); next possible after %s",
			r.MaxCalls, human.Plural(r.MaxCalls, "time", "times"), r.Period, until.Format(time.RFC3339))}, nil
}

func dncReason(since time.Time, why string) string {
	s := "on the account's do-not-call list since " + since.Format(time.RFC3339)
	if why != "" {
		s += " (" + why + ")"
	}
	return s
}
