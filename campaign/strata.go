package campaign

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// A stratified experiment (Config.Stratify): the arms are dealt within each value of a column,
// so that in every stratum (a region, a list source) they take their weights' shares to within
// one cycle of the weights, where a draw per row would leave a small stratum lopsided.
//
// The deal is made before the first pass over the list, by a pass of its own over the whole
// list (every shard's rows, whatever the journal holds): each valid row's stratum and its rank
// (experiment.Rank: a hash of the experiment's name and the row's key), then, stratum by
// stratum, the rows in the order of their ranks dealt to the arms by weight (experiment.Deal).
// Nothing but the list's valid rows and the experiment's name decides, so a rerun, a retry and
// every shard deal alike. A row dialled before keeps the agent the journal recorded for it
// (see classifier.agentOf), so rows added to the list later move only rows never dialled.
//
// Memory: during the deal, 16 bytes a row (rank, stratum, ordinal) and one string per distinct
// value of the column; kept for the run, one byte a row (its arm).

// strata is the stratified deal of a list: the arm of each row by its ordinal.
type strata struct {
	arm []uint8 // per row ordinal: its arm + 1; 0 for an invalid row
}

// of is the arm dealt to the row at ordinal ord, -1 when none was.
func (s *strata) of(ord int) int {
	if s == nil || ord < 0 || ord >= len(s.arm) {
		return -1
	}
	return int(s.arm[ord]) - 1
}

// stratify deals the arms of the list within each value of Config.Stratify (see strata); it
// does nothing without an experiment or without the option. Call it once the experiment is
// named (armBook.of).
func (r *Runner) stratify(input string) error {
	b := r.arms
	if b == nil || r.cfg.Stratify == "" {
		return nil
	}
	if len(b.names) > 255 {
		return fmt.Errorf("--stratify deals at most 255 arms, not %d", len(b.names))
	}
	f, l, err := r.openList(input)
	if err != nil {
		return err
	}
	defer f.Close()
	col := slices.IndexFunc(l.Header(), func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(r.cfg.Stratify)) })
	if col < 0 {
		return &contacts.InputError{File: input, Err: fmt.Errorf("--stratify %q: the list has no such column (its columns: %s)", r.cfg.Stratify, strings.Join(l.Header(), ", "))}
	}
	type ranked struct {
		rank    uint64
		stratum uint32
		ord     uint32
	}
	var rows []ranked
	ids := map[string]uint32{}
	ord := 0
	for row, err := range l.All() {
		if err != nil {
			return err
		}
		if row.Problem == "" {
			v := strings.TrimSpace(row.Record[col])
			id, ok := ids[v]
			if !ok {
				id = uint32(len(ids))
				ids[v] = id
			}
			rows = append(rows, ranked{rank: experiment.Rank(b.campaign, row.Key), stratum: id, ord: uint32(ord)})
		}
		ord++
	}
	slices.SortFunc(rows, func(x, y ranked) int {
		return cmp.Or(cmp.Compare(x.stratum, y.stratum), cmp.Compare(x.rank, y.rank), cmp.Compare(x.ord, y.ord))
	})
	s := &strata{arm: make([]uint8, ord)}
	pos := 0
	for i, x := range rows {
		if i > 0 && rows[i-1].stratum != x.stratum {
			pos = 0
		}
		s.arm[x.ord] = uint8(experiment.Deal(pos, b.weights) + 1)
		pos++
	}
	b.mu.Lock()
	b.strata = s
	b.mu.Unlock()
	return nil
}
