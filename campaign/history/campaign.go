package history

import (
	"context"
	"fmt"

	"github.com/bolna-campaign/bolna-campaign/campaign"
)

// Unsettled lists the references of campaign's attempts the history holds as reserved or
// placed (through the partial index attempts_open: the campaign's settled attempts are not
// read): what a run reconciles with its journal before it places anything.
func (s *Store) Unsettled(ctx context.Context, campaign string) ([]string, error) {
	rows, err := s.query(ctx, s.db, "SELECT ref FROM attempts WHERE campaign = ? AND state IN ('reserved', 'placed') ORDER BY ref", campaign)
	if err != nil {
		return nil, fmt.Errorf("history %s: unsettled: %w", s.where, err)
	}
	defer rows.Close()
	var refs []string
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, fmt.Errorf("history %s: unsettled: %w", s.where, err)
		}
		refs = append(refs, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history %s: unsettled: %w", s.where, err)
	}
	return refs, nil
}

// Guard is the store as a campaign's runner consults it ([campaign.Guard]): the runner keeps
// types of its own so that it never depends on the history, and this adapter translates.
type Guard struct{ *Store }

var (
	_ campaign.Guard        = Guard{}
	_ campaign.PauseChecker = Guard{}
)

// PausedBy says who paused the campaign (or every campaign of the account), when and why, as
// Reserve's refusal does; "" when it is not paused. A run asks it every second while it places
// calls, so a pause stops it within two seconds even while it waits for a slot.
func (g Guard) PausedBy(ctx context.Context, campaign string) (string, error) {
	p, err := g.Store.Paused(ctx, campaign)
	if p == nil || err != nil {
		return "", err
	}
	return p.String(), nil
}

// Reserve is [Store.Reserve] in the runner's terms: a refusal's kind becomes the row's status
// (recent, capped, do-not-call) or campaign.VerdictPaused.
func (g Guard) Reserve(ctx context.Context, a campaign.GuardAttempt, r campaign.Rules) (campaign.Verdict, error) {
	d, err := g.Store.Reserve(ctx, Attempt{Campaign: a.Campaign, List: a.List, Results: a.Results, Agent: a.Agent,
		Phone: a.Phone, From: a.From, Number: a.Number, Ref: a.Ref, At: a.At}, Rules(r))
	if err != nil {
		return campaign.Verdict{}, err
	}
	kind := string(d.Kind)
	if d.Kind == KindPaused {
		kind = campaign.VerdictPaused
	}
	return campaign.Verdict{Allowed: d.Allowed, Repeat: d.Repeat, Kind: kind, Reason: d.Reason}, nil
}

// Settle is [Store.Settle] in the runner's terms.
func (g Guard) Settle(ctx context.Context, ref string, o campaign.Settlement) error {
	return g.Store.Settle(ctx, ref, Outcome{ExecutionID: o.ExecutionID, Status: o.Status, Result: o.Result,
		Cost: o.Cost, Talk: o.Talk, Ended: o.Ended})
}
