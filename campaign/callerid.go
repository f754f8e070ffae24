package campaign

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// callerIDs is a pool of caller ids (Bolna's from_phone_number) that a campaign spreads its
// calls over, as Bolna's own Batches do with from_phone_numbers. A call goes out on the number
// that best fits its contact — local presence: the same country calling code, then the longest
// shared prefix (an area code) — among those below the per-number limit, the least busy first:
// carriers cap a number's concurrent calls and flag numbers that dial too much. A number is
// busy from placement until its call's line drops, like a concurrency slot.
//
// The limit is one count per number, whatever chose it: a row's own caller id (its list's
// caller id column) waits for its number like the pool's calls do. It holds across the shards
// of a campaign run at once as the concurrency does: each shard takes its part of each
// number's limit (see capOf).
type callerIDs struct {
	numbers []string
	limit   int            // live calls per number, across the campaign's shards; 0 for none
	shard   Shard          // the shard this run is, for its part of each number's limit
	rank    map[string]int // each pool number's place in sorted order (see capOf)
	// anyCountry: a call whose country's numbers are all at their limit takes another
	// country's (--caller-id-fallback any) rather than waiting for one of its own.
	anyCountry bool
	logf       func(f facts, format string, args ...any) // told of each call on another country's number

	mu      sync.Mutex
	live    map[string]int
	changed chan struct{} // closed and replaced when a number is released
}

// newCallerIDs is the pool of a run that is the whole campaign (no shards), taking another
// country's number when its contact's are all busy (--caller-id-fallback any).
func newCallerIDs(numbers []string, perNumber int) *callerIDs {
	return callerIDsOf(&Config{FromNumbers: numbers, PerNumber: perNumber, AnyCallerID: true})
}

// callerIDsOf is the caller ids of a run of cfg: nil when it has no pool and caps no number.
func callerIDsOf(cfg *Config) *callerIDs {
	if len(cfg.FromNumbers) == 0 && cfg.PerNumber <= 0 {
		return nil
	}
	p := &callerIDs{numbers: cfg.FromNumbers, limit: cfg.PerNumber, shard: cfg.Shard, rank: map[string]int{},
		anyCountry: cfg.AnyCallerID, logf: func(facts, string, ...any) {}, live: map[string]int{}, changed: make(chan struct{})}
	if cfg.Logger != nil {
		p.logf = cfg.logWith
	}
	sorted := slices.Clone(cfg.FromNumbers)
	slices.Sort(sorted)
	for i, n := range slices.Compact(sorted) {
		p.rank[n] = i
	}
	return p
}

// capOf is the most live calls this run may hold on number (-1: no limit): its shard's part of
// the limit, split one number at a time from an offset of its own (see Shard.SplitAt) so that
// the pool's numbers, taken in sorted order (the same in every shard), give the shards their
// remainders in turn: a limit of 1 on a pool of 2 over 2 shards is one number each. A number
// outside the pool (a row's own) is placed by a hash of it.
func (p *callerIDs) capOf(number string) int {
	if p.limit <= 0 {
		return -1
	}
	i, ok := p.rank[number]
	if !ok {
		h := fnv.New32a()
		h.Write([]byte(number))
		i = int(h.Sum32() % (1 << 16))
	}
	return p.shard.SplitAt(p.limit, i*(p.limit%max(p.shard.N, 1)))
}

// full reports whether number is at its limit. Call it with p.mu held.
func (p *callerIDs) full(number string) bool {
	c := p.capOf(number)
	return c >= 0 && p.live[number] >= c
}

// acquire picks the number for a call to phone, own (the row's own caller id) when it has one,
// else the pool's that best fits, and counts the call on it, waiting while that number (for
// the pool's, every number it may take: see best) is at its limit; with neither a pool nor a
// number of its own the call goes out on the run's default ("" at once). It fails only when
// ctx ends.
func (p *callerIDs) acquire(ctx context.Context, phone, own string) (string, error) {
	if own == "" && len(p.numbers) == 0 {
		return "", nil
	}
	for {
		p.mu.Lock()
		pick, fallback := own, false
		if own == "" {
			pick, fallback = p.best(phone)
		} else if p.full(own) {
			pick = ""
		}
		if pick != "" {
			p.live[pick]++
			p.mu.Unlock()
			if why := "are all busy (--caller-id-fallback any)"; fallback {
				if !p.anyCountry {
					why = "have no part of --per-number-concurrency in this shard"
				}
				p.logf(phoneFacts(phone).from(pick), "the call to %s goes out on %s: the pool's numbers of its country (%s) %s", maskPhone(phone), maskPhone(pick), countryCode(phone), why)
			}
			return pick, nil
		}
		wait := p.changed
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}
}

// localScore is the presence of a number of the contact's own country (see presence).
const localScore = 100

// best is the pool's number for a call to phone: the most local of those below their limit,
// then the least busy ("" when there is none to take now), and whether it is a fallback: a
// number of another country while the pool has the contact's. Unless anyCountry, a call takes
// only its own country's numbers while this run has a part of any of them (a shard may have
// none: see capOf), waiting for one. Call it with p.mu held.
func (p *callerIDs) best(phone string) (best string, fallback bool) {
	local, localHere := false, false
	for _, n := range p.numbers {
		if presence(n, phone) >= localScore {
			local, localHere = true, localHere || p.capOf(n) != 0
		}
	}
	bestScore := -1
	for _, n := range p.numbers {
		if p.full(n) || localHere && !p.anyCountry && presence(n, phone) < localScore {
			continue
		}
		score := presence(n, phone)*1_000_000 - p.live[n] // local first, then the least busy
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	return best, best != "" && local && presence(best, phone) < localScore
}

// preview is the caller id a dry run shows for a call to phone: own (the row's own) when it
// has one, else the one the pool would take (with no call live, on a pool a dry run never
// takes from), else def (--from-number).
func (p *callerIDs) preview(phone, own, def string) string {
	switch {
	case own != "":
		return own
	case p == nil || len(p.numbers) == 0:
		return def
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pick, _ := p.best(phone)
	return pick
}

// hold counts a live call on number without waiting: a call an earlier run left, or one whose
// line was taken for dropped too soon (see ledger.takeBack). It lives already.
func (p *callerIDs) hold(number string) {
	if p == nil || number == "" {
		return
	}
	p.mu.Lock()
	p.live[number]++
	p.mu.Unlock()
}

// release gives a number's call back: its line dropped, or it was never placed.
func (p *callerIDs) release(number string) {
	if p == nil || number == "" {
		return
	}
	p.mu.Lock()
	if p.live[number] > 0 {
		p.live[number]--
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// presence scores how local a caller id looks to the contact: the digits the two numbers
// share from the start, and a bonus for the same country calling code.
func presence(from, to string) int {
	n := 0
	for n < len(from) && n < len(to) && from[n] == to[n] {
		n++
	}
	score := n
	if cc := countryCode(to); cc != "" && strings.HasPrefix(from, cc) {
		score += 100
	}
	return score
}

// countryCode is the "+CC" of an E.164 number ("" if none is known).
func countryCode(e164 string) string {
	for n := 1; n <= 3 && n < len(e164)-1; n++ {
		if cc, err := strconv.Atoi(e164[1 : 1+n]); err == nil && phonenumbers.GetRegionCodeForCountryCode(cc) != phonenumbers.UNKNOWN_REGION {
			return e164[:1+n]
		}
	}
	return ""
}
