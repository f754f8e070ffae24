package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DNCEntry is one number on the account's do-not-call list.
type DNCEntry struct {
	Phone  string    `json:"phone"`
	Added  time.Time `json:"added_at"`
	Reason string    `json:"reason,omitempty"`
}

// AddDoNotCall puts phones (E.164) on the account's do-not-call list, in one transaction (an
// import is one call), and returns how many were not on it before. A number already on it
// keeps its date and reason.
func (s *Store) AddDoNotCall(ctx context.Context, reason string, at time.Time, phones ...string) (int, error) {
	for _, p := range phones {
		if !isE164(p) {
			return 0, &PhoneError{Phone: p}
		}
	}
	if at.IsZero() {
		at = time.Now()
	}
	added := 0
	err := s.inTx(ctx, "do-not-call", func(tx *sql.Tx) error {
		for _, p := range phones {
			n, err := s.execCount(ctx, tx, "INSERT INTO do_not_call (phone, added_at, reason) VALUES (?, ?, ?) ON CONFLICT (phone) DO NOTHING", p, millis(at), reason)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("history %s: do-not-call: %w", s.where, err)
	}
	return added, nil
}

// RemoveDoNotCall takes phones off the do-not-call list and returns how many were on it.
func (s *Store) RemoveDoNotCall(ctx context.Context, phones ...string) (int, error) {
	removed := 0
	err := s.inTx(ctx, "do-not-call", func(tx *sql.Tx) error {
		for _, p := range phones {
			n, err := s.execCount(ctx, tx, "DELETE FROM do_not_call WHERE phone = ?", p)
			if err != nil {
				return err
			}
			removed += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("history %s: do-not-call: %w", s.where, err)
	}
	return removed, nil
}

// DoNotCall is the account's do-not-call list, by number.
func (s *Store) DoNotCall(ctx context.Context) ([]DNCEntry, error) {
	rows, err := s.query(ctx, s.db, "SELECT phone, added_at, reason FROM do_not_call ORDER BY phone")
	if err != nil {
		return nil, fmt.Errorf("history %s: do-not-call: %w", s.where, err)
	}
	defer rows.Close()
	var out []DNCEntry
	for rows.Next() {
		var e DNCEntry
		var at int64
		if err := rows.Scan(&e.Phone, &at, &e.Reason); err != nil {
			return nil, fmt.Errorf("history %s: do-not-call: %w", s.where, err)
		}
		e.Added = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// All is the campaign that stands for every campaign of the account, in Pause and Resume.
const All = "*"

// Pause is a lasting pause of a campaign, or of every campaign (All).
type Pause struct {
	Campaign string    // a campaign's id, or All
	By       string    // who paused it (user@host)
	At       time.Time // when
	Reason   string
}

// String says who paused what, when and why.
func (p *Pause) String() string {
	what := "campaign " + p.Campaign
	if p.Campaign == All {
		what = "every campaign of the account"
	}
	s := fmt.Sprintf("%s paused by %s at %s", what, p.By, p.At.Format(time.RFC3339))
	if p.Reason != "" {
		s += ": " + p.Reason
	}
	return s
}

// Pause pauses a campaign (or All) until Resume: every run checks it before each placement. A
// pause already there is replaced (who, when and why are the latest).
func (s *Store) Pause(ctx context.Context, p Pause) error {
	if p.Campaign == "" {
		return errors.New("history: pause: which campaign (or All)?")
	}
	if p.At.IsZero() {
		p.At = time.Now()
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO pauses (campaign, paused_by, paused_at, reason) VALUES (?, ?, ?, ?)
		ON CONFLICT (campaign) DO UPDATE SET paused_by = excluded.paused_by, paused_at = excluded.paused_at, reason = excluded.reason`,
		p.Campaign, p.By, millis(p.At), p.Reason)
	if err != nil {
		return fmt.Errorf("history %s: pause: %w", s.where, err)
	}
	return nil
}

// Resume lifts the pause of a campaign (or of All) and reports whether there was one. A
// campaign's resume leaves a pause of All in place.
func (s *Store) Resume(ctx context.Context, campaign string) (bool, error) {
	n, err := s.execCount(ctx, s.db, "DELETE FROM pauses WHERE campaign = ?", campaign)
	if err != nil {
		return false, fmt.Errorf("history %s: resume: %w", s.where, err)
	}
	return n > 0, nil
}

// Paused is the pause that keeps campaign from placing calls (a pause of All first), or nil.
func (s *Store) Paused(ctx context.Context, campaign string) (*Pause, error) {
	p, err := s.paused(ctx, s.db, campaign)
	if err != nil {
		return nil, fmt.Errorf("history %s: pause: %w", s.where, err)
	}
	return p, nil
}

func (s *Store) paused(ctx context.Context, q querier, campaign string) (*Pause, error) {
	var p Pause
	var at int64
	err := s.queryRow(ctx, q, `SELECT campaign, paused_by, paused_at, reason FROM pauses
		WHERE campaign IN (?, ?) ORDER BY CASE WHEN campaign = ? THEN 0 ELSE 1 END LIMIT 1`,
		All, campaign, All).Scan(&p.Campaign, &p.By, &at, &p.Reason)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	p.At = fromMillis(at)
	return &p, nil
}
