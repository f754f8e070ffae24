package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// State is where an attempt stands in the history.
type State string

// The states of an attempt. Every state but StateVoid counts as a call for the guard.
const (
	StateReserved State = "reserved" // the guard let it go; its POST /call may have left
	StatePlaced   State = "placed"   // Bolna answered with its execution id
	StateSettled  State = "settled"  // its end is known (status, cost, talk time)
	StateVoid     State = "void"     // no call was made: it counts for nothing
)

// Outcome is how an attempt ended, for Settle.
type Outcome struct {
	ExecutionID string    `json:"execution_id,omitempty"` // when known ("" keeps the one recorded by Placed)
	Status      string    `json:"status,omitempty"`       // Bolna's final status, or the tool's (timeout, unknown, …)
	Result      string    `json:"outcome,omitempty"`      // what happened to the person: answered, voicemail, no-answer, …
	Cost        float64   `json:"total_cost"`             // total_cost, in Bolna's unit (cents)
	Talk        float64   `json:"conversation_duration"`  // conversation seconds
	Ended       time.Time `json:"ended_at,omitzero"`      // when it ended
}

// Entry is one attempt as the history holds it.
type Entry struct {
	Attempt           // At is when it was reserved
	State   State     `json:"state"`
	Placed  time.Time `json:"placed_at,omitzero"` // when Bolna answered its POST /call (zero: not known)
	Outcome           // zero until settled, but for the execution id
}

// PhoneError is a number the history does not take: not in E.164.
type PhoneError struct{ Phone string }

func (e *PhoneError) Error() string {
	return fmt.Sprintf("history: %q is not an E.164 number (+ then 7 to 15 digits)", e.Phone)
}

// isE164 reports whether s is shaped like an E.164 number.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Placed records the execution id Bolna gave the attempt ref, and when.
func (s *Store) Placed(ctx context.Context, ref, executionID string, at time.Time) error {
	if executionID == "" {
		return &RefError{Op: "placed", Ref: ref, Problem: "no execution id"}
	}
	return s.change(ctx, "placed", ref, []State{StateReserved, StatePlaced},
		"UPDATE attempts SET execution_id = ?, placed_at = ?, state = 'placed' WHERE ref = ?",
		executionID, millis(at), ref)
}

// Settle records how the attempt ref ended. Settling again replaces the outcome (a later look
// may know more); a voided attempt cannot be settled.
func (s *Store) Settle(ctx context.Context, ref string, o Outcome) error {
	return s.change(ctx, "settle", ref, []State{StateReserved, StatePlaced, StateSettled},
		`UPDATE attempts SET execution_id = CASE WHEN ? <> '' THEN ? ELSE execution_id END,
			status = ?, outcome = ?, cost_cents = ?, talk_seconds = ?, ended_at = ?, state = 'settled'
		WHERE ref = ?`,
		o.ExecutionID, o.ExecutionID, o.Status, o.Result, o.Cost, o.Talk, millis(o.Ended), ref)
}

// Void says that no call was made for the reserved attempt ref (its POST /call was refused, or
// a search proved Bolna never created it): it no longer counts. An attempt with an execution id
// was a call and cannot be voided; voiding twice is not an error.
func (s *Store) Void(ctx context.Context, ref string) error {
	return s.change(ctx, "void", ref, []State{StateReserved, StateVoid},
		"UPDATE attempts SET state = 'void' WHERE ref = ?", ref)
}

// change runs update on the attempt ref when it is in one of the states from, in a
// transaction that holds its person's lock.
func (s *Store) change(ctx context.Context, op, ref string, from []State, update string, args ...any) error {
	var phone string
	err := s.queryRow(ctx, s.db, "SELECT phone FROM attempts WHERE ref = ?", ref).Scan(&phone)
	if errors.Is(err, sql.ErrNoRows) {
		return &RefError{Op: op, Ref: ref, Problem: "no such attempt in the history"}
	}
	if err == nil {
		err = s.inTx(ctx, phone, func(tx *sql.Tx) error {
			var state string
			if err := s.queryRow(ctx, tx, "SELECT state FROM attempts WHERE ref = ?", ref).Scan(&state); err != nil {
				return err
			}
			if !slices.Contains(from, State(state)) {
				return &RefError{Op: op, Ref: ref, Problem: "the attempt is " + state}
			}
			_, err := s.exec(ctx, tx, update, args...)
			return err
		})
	}
	var refErr *RefError
	switch {
	case errors.As(err, &refErr):
		return refErr
	case err != nil:
		return fmt.Errorf("history %s: %s %s: %w", s.where, op, ref, err)
	}
	return nil
}

// entryColumns are the columns scanEntry reads, in its order.
const entryColumns = `ref, campaign, list_path, results_path, agent_id, phone, from_number, attempt,
	execution_id, state, reserved_at, placed_at, ended_at, status, outcome, cost_cents, talk_seconds`

// scanEntry reads one row of entryColumns.
func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	var state string
	var reserved, placed, ended int64
	err := rows.Scan(&e.Ref, &e.Campaign, &e.List, &e.Results, &e.Agent, &e.Phone, &e.From, &e.Number,
		&e.ExecutionID, &state, &reserved, &placed, &ended, &e.Status, &e.Result, &e.Cost, &e.Talk)
	e.State, e.At, e.Placed, e.Ended = State(state), fromMillis(reserved), fromMillis(placed), fromMillis(ended)
	return e, err
}

// PersonHistory is every attempt to call phone on the account, every campaign's, oldest first
// (voided ones included, with their state).
func (s *Store) PersonHistory(ctx context.Context, phone string) ([]Entry, error) {
	if !isE164(phone) {
		return nil, &PhoneError{Phone: phone}
	}
	rows, err := s.query(ctx, s.db, "SELECT "+entryColumns+" FROM attempts WHERE phone = ? ORDER BY reserved_at, attempt, ref", phone)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("history %s: %w", s.where, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history %s: %w", s.where, err)
	}
	return out, nil
}
