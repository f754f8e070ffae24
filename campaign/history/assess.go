package history

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Assessment is what the guard would answer for a list's rows, were they dialled at one time:
// how many it would skip, by kind, without reserving anything.
type Assessment struct {
	Rows    int          // the phones assessed
	Skipped map[Kind]int // by KindDoNotCall, KindRecent, KindCapped; absent: none
}

// Assess says how many of phones (E.164; one per row, so a number may come twice) the guard
// would skip were campaign to dial them all at at under rules, in the guard's order: the
// do-not-call list, then another campaign within rules.MinGap, then rules.MaxCalls within
// rules.Period. It is one query, whatever the number of phones (each one three walks of the
// indexes the guard uses), and it reserves nothing: a reservation made meanwhile may change the
// answer. A pause is not part of it (see Paused).
func (s *Store) Assess(ctx context.Context, campaign string, phones []string, rules Rules, at time.Time) (Assessment, error) {
	out := Assessment{Rows: len(phones), Skipped: map[Kind]int{}}
	if len(phones) == 0 {
		return out, nil
	}
	list, err := json.Marshal(phones)
	if err != nil {
		return out, err
	}
	args := []any{string(list)}
	kind := "CASE WHEN EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = p.phone) THEN '" + string(KindDoNotCall) + "'"
	if rules.MinGap > 0 {
		kind += ` WHEN EXISTS (SELECT 1 FROM attempts a WHERE a.phone = p.phone AND a.reserved_at > ? AND a.campaign <> ?
			AND a.state <> 'void') THEN '` + string(KindRecent) + "'"
		args = append(args, millis(at.Add(-rules.MinGap)), campaign)
	}
	if rules.MaxCalls > 0 {
		// (the offset is a literal: PostgreSQL cannot type a parameter there)
		kind += ` WHEN EXISTS (SELECT 1 FROM attempts a WHERE a.phone = p.phone AND a.reserved_at > ? AND a.state <> 'void'
			ORDER BY a.reserved_at DESC LIMIT 1 OFFSET ` + strconv.Itoa(rules.MaxCalls-1) + `) THEN '` + string(KindCapped) + "'"
		args = append(args, millis(at.Add(-rules.Period)))
	}
	kind += " ELSE '' END"
	rows, err := s.query(ctx, s.db, "WITH p (phone) AS ("+s.be.phoneList()+") SELECT "+kind+" AS k, COUNT(*) FROM p GROUP BY k", args...)
	if err != nil {
		return out, fmt.Errorf("history %s: assess: %w", s.where, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return out, fmt.Errorf("history %s: assess: %w", s.where, err)
		}
		if k != "" {
			out.Skipped[Kind(k)] = n
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("history %s: assess: %w", s.where, err)
	}
	return out, nil
}

// campaignKnownQuery counts 1 when the history holds an attempt of a campaign (a search of the
// index attempts_campaign: TestGuardUsesIndex).
const campaignKnownQuery = "SELECT COUNT(*) FROM (SELECT 1 FROM attempts WHERE campaign = ? LIMIT 1) x"

// CampaignKnown reports whether the history holds any attempt of campaign.
func (s *Store) CampaignKnown(ctx context.Context, campaign string) (bool, error) {
	var n int
	err := s.queryRow(ctx, s.db, campaignKnownQuery, campaign).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("history %s: %w", s.where, err)
	}
	return n > 0, nil
}
