package campaign

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Dollars shows an amount in Bolna's unit (cents: total_cost and the wallet are reported so)
// as dollars with thousands separators: 1000000 is $10,000.00.
func Dollars(cents float64) string {
	s := fmt.Sprintf("%.2f", math.Abs(cents)/100)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if cents < 0 {
		b.WriteByte('-')
	}
	b.WriteByte('$')
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + frac
}

// Grouped writes a whole number with thousands separators: 1234567 is 1,234,567.
func Grouped(n float64) string {
	s := Dollars(n * 100)
	s = strings.Replace(s, "$", "", 1)
	return strings.TrimSuffix(s, ".00")
}

// ShortDuration writes d as people write it: 30m, not 30m0s; 1h, not 1h0m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
