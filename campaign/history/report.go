package history

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DailySpend is what the account's calls reserved since since cost, every campaign's together
// (cents; calls not yet settled count nothing yet): --max-cost-per-day compares it with its
// cap.
func (s *Store) DailySpend(ctx context.Context, since time.Time) (float64, error) {
	var spent float64
	err := s.queryRow(ctx, s.db, "SELECT COALESCE(SUM(cost_cents), 0) FROM attempts WHERE reserved_at >= ? AND state <> 'void'",
		millis(since)).Scan(&spent)
	if err != nil {
		return 0, fmt.Errorf("history %s: spend: %w", s.where, err)
	}
	return spent, nil
}

// By is what Report groups the attempts by.
type By string

// The groupings of Report.
const (
	ByCampaign   By = "campaign"
	ByAgent      By = "agent_id"
	ByFromNumber By = "from_number"
	ByHour       By = "hour" // the hour of day (UTC) the call was placed, "00" to "23"
)

// groupKeys are the SQL of each grouping (a fixed set: never text from a user).
var groupKeys = map[By]string{
	ByCampaign:   "campaign",
	ByAgent:      "agent_id",
	ByFromNumber: "from_number",
	ByHour:       "CAST(((CASE WHEN placed_at > 0 THEN placed_at ELSE reserved_at END) / 3600000) % 24 AS TEXT)",
}

// ReportRow is one group of Report.
type ReportRow struct {
	Key      string  `json:"key"`      // the campaign, agent, caller id or hour
	Attempts int     `json:"attempts"` // attempts that were (or may have been) calls: every one but the voided
	Reached  int     `json:"reached"`  // picked up: answered by a person or by voicemail
	Answered int     `json:"answered"` // a conversation with a person
	Cost     float64 `json:"cost"`     // cents
}

// Report aggregates the account's attempts reserved since since, grouped by by, in SQL.
func (s *Store) Report(ctx context.Context, since time.Time, by By) ([]ReportRow, error) {
	key, ok := groupKeys[by]
	if !ok {
		return nil, fmt.Errorf("history: report by %q: by campaign, agent_id, from_number or hour", by)
	}
	rows, err := s.query(ctx, s.db, `SELECT `+key+` AS k, COUNT(*),
			SUM(CASE WHEN outcome IN ('answered', 'voicemail') THEN 1 ELSE 0 END),
			SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END),
			COALESCE(SUM(cost_cents), 0)
		FROM attempts WHERE reserved_at >= ? AND state <> 'void' GROUP BY k ORDER BY k`, millis(since))
	if err != nil {
		return nil, fmt.Errorf("history %s: report: %w", s.where, err)
	}
	defer rows.Close()
	var out []ReportRow
	for rows.Next() {
		var r ReportRow
		if err := rows.Scan(&r.Key, &r.Attempts, &r.Reached, &r.Answered, &r.Cost); err != nil {
			return nil, fmt.Errorf("history %s: report: %w", s.where, err)
		}
		if by == ByHour {
			if h, err := strconv.Atoi(r.Key); err == nil {
				r.Key = fmt.Sprintf("%02d", h)
			}
		}
		out = append(out, r)
	}
	if by == ByHour { // in order of the hour, not of its text ("10" sorts before "2")
		slices.SortFunc(out, func(a, b ReportRow) int { return strings.Compare(a.Key, b.Key) })
	}
	return out, rows.Err()
}

// Import adds attempts made before the history existed (read from results files), in one
// transaction, and returns how many it added. An entry whose Ref or execution id the history
// already has is skipped, so importing a file twice adds nothing. An entry without a Ref gets
// one from its campaign, a hash of its phone and its attempt number; without a State, it is settled.
func (s *Store) Import(ctx context.Context, entries []Entry) (int, error) {
	entries = slices.Clone(entries)
	for i := range entries {
		e := &entries[i]
		if !isE164(e.Phone) {
			return 0, &PhoneError{Phone: e.Phone}
		}
		if e.Ref == "" {
			e.Ref = importRef(e.Campaign, e.Phone, e.Number)
		}
		if e.At.IsZero() {
			e.At = firstSet(e.Placed, e.Ended)
		}
		if e.State == "" {
			e.State = StateSettled
		}
	}
	added := 0
	err := s.inTx(ctx, "import", func(tx *sql.Tx) error {
		for _, e := range entries {
			n, err := s.execCount(ctx, tx, `INSERT INTO attempts (`+entryColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				e.Ref, e.Campaign, e.List, e.Results, e.Agent, e.Phone, e.From, e.Number, e.ExecutionID,
				string(e.State), millis(e.At), millis(e.Placed), millis(e.Ended), e.Status, e.Result, e.Cost, e.Talk)
			if err != nil {
				return fmt.Errorf("%s: %w", e.Ref, err)
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("history %s: import: %w", s.where, err)
	}
	return added, nil
}

// importRef is the reference of an imported attempt that has none: its campaign, a hash of its
// phone (references reach warnings and errors, phone numbers must not) and its number.
func importRef(campaign, phone string, n int) string {
	h := sha256.Sum256([]byte(phone))
	return "import:" + campaign + ":" + hex.EncodeToString(h[:8]) + ":" + strconv.Itoa(n)
}

// firstSet is the first of times that is not the zero time.
func firstSet(times ...time.Time) time.Time {
	for _, t := range times {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
