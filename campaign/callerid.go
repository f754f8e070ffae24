package campaign

import (
	"context"
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
type callerIDs struct {
	numbers []string
	limit   int // live calls per number; 0 for none

	mu      sync.Mutex
	live    map[string]int
	changed chan struct{} // closed and replaced when a number is released
}

func newCallerIDs(numbers []string, perNumber int) *callerIDs {
	if len(numbers) == 0 {
		return nil
	}
	return &callerIDs{numbers: numbers, limit: perNumber, live: map[string]int{}, changed: make(chan struct{})}
}

// acquire picks the number for a call to phone, waiting while every number is at its limit;
// it fails only when ctx ends.
func (p *callerIDs) acquire(ctx context.Context, phone string) (string, error) {
	for {
		p.mu.Lock()
		best, bestScore := "", -1
		for _, n := range p.numbers {
			if p.limit > 0 && p.live[n] >= p.limit {
				continue
			}
			score := presence(n, phone)*1_000_000 - p.live[n] // local first, then the least busy
			if score > bestScore {
				best, bestScore = n, score
			}
		}
		if best != "" {
			p.live[best]++
			p.mu.Unlock()
			return best, nil
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

// hold counts a live call on number (a call an earlier run left, or a row's own caller id).
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
