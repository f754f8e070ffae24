// Package human writes amounts as people read them: money in dollars from Bolna's cents, counts
// with thousands separators, durations without their zero parts. Every package that prints to a
// person (the runner's messages, the results' report, the commands) writes them through it.
package human

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Dollars shows an amount in Bolna's unit (cents: total_cost and the wallet are reported so)
// as dollars with thousands separators: 1000000 is $10,000.00.
func Dollars(cents float64) string {
	if cents < 0 {
		return "-$" + Thousands(-cents/100, 2)
	}
	return "$" + Thousands(cents/100, 2)
}

// Grouped writes a number with thousands separators and its cents only when it has some:
// 1234567 is 1,234,567; 4321.5 is 4,321.50.
func Grouped(n float64) string { return strings.TrimSuffix(Thousands(n, 2), ".00") }

// Thousands writes f with decimals places and a comma between each group of three digits.
func Thousands(f float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(f), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if f < 0 && s != strconv.FormatFloat(0, 'f', decimals, 64) {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
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

// Plural is one when n is 1, else many: "1 row", "2 rows".
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Percent is a share as a percentage to one decimal: 0.123 is "12.3%".
func Percent(share float64) string { return strconv.FormatFloat(100*share, 'f', 1, 64) + "%" }
