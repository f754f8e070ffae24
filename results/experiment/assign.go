package experiment

import (
	"crypto/sha256"
	"encoding/binary"
)

// Assign is the arm of a row in an experiment whose arms have the given weights (positive; a
// weight of 0 takes no rows): a hash (SHA-256) of the campaign's id and the row's key, mapped
// onto the weights. The same campaign and key give the same arm every time, so a rerun, a retry
// and every shard agree, and nothing of the row but its key decides: across rows, arm i comes
// with the share weights[i]/Σweights, independently of the row's content. Another campaign id
// draws the arms anew. It returns -1 when no weight is positive.
func Assign(campaign, key string, weights []int) int {
	return pick(draw(campaign, key, ""), weights, nil)
}

// AssignActive is Assign once some arms have stopped (active[i] false: the runner's
// --stop-losers): a row whose arm is still active keeps it; a row Assign gives to a stopped arm
// is drawn again, with a second hash of the same campaign and key, among the active arms by
// their weights. The rows of a stopped arm are so spread over the others at random, by nothing
// but their keys, and stably: the randomisation stays honest (no row's arm depends on its
// content or on the order of the list). It returns -1 when no active arm has a positive weight.
func AssignActive(campaign, key string, weights []int, active []bool) int {
	if arm := Assign(campaign, key, weights); arm >= 0 && arm < len(active) && active[arm] {
		return arm
	}
	return pick(draw(campaign, key, "#again"), weights, active)
}

// draw is a uniform number in [0, 1) from the hash of campaign and key: each is prefixed by its
// length, so ("ab", "c") and ("a", "bc") differ.
func draw(campaign, key, salt string) float64 {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{campaign, key, salt} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return float64(binary.BigEndian.Uint64(h.Sum(nil))>>11) / (1 << 53)
}

// pick maps u in [0, 1) onto the weights of the arms that are active (all, for nil).
func pick(u float64, weights []int, active []bool) int {
	total := 0
	for i, w := range weights {
		if w > 0 && (active == nil || i < len(active) && active[i]) {
			total += w
		}
	}
	if total == 0 {
		return -1
	}
	at, last := u*float64(total), -1
	for i, w := range weights {
		if w <= 0 || active != nil && (i >= len(active) || !active[i]) {
			continue
		}
		if at < float64(w) {
			return i
		}
		at -= float64(w)
		last = i
	}
	return last // rounding at the very top
}

// Redraw is the arm among the active ones of a row whose own arm has stopped: the second hash
// of AssignActive, by the active arms' weights. It returns -1 when no active arm has a positive
// weight.
func Redraw(campaign, key string, weights []int, active []bool) int {
	return pick(draw(campaign, key, "#again"), weights, active)
}

// Rank is a row's place in a stratified deal (see Deal): a hash (SHA-256) of the campaign's id
// and the row's key, so the order of a stratum's rows is random, the same every time, and
// owes nothing to the order of the list.
func Rank(campaign, key string) uint64 {
	return uint64(draw(campaign, key, "#rank") * (1 << 53))
}

// Deal is the arm of the row at position (from 0) of a stratum whose rows are ordered by Rank:
// the positions are dealt to the arms by their weights in turn, a cycle of Σweights positions
// giving arm i weights[i] of them (a weight of 0 or less counts as 1). In every stratum the arms'
// counts so differ from their weights' shares by less than one cycle.
func Deal(position int, weights []int) int {
	total := 0
	for _, w := range weights {
		total += max(w, 1)
	}
	if total == 0 {
		return -1
	}
	at := position % total
	for i, w := range weights {
		if at < max(w, 1) {
			return i
		}
		at -= max(w, 1)
	}
	return -1
}
