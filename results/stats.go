package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/bolna-campaign/bolna-campaign/results/experiment"
)

// minExpected is the fewest successes and failures each group must be expected to have
// (under no difference) for the normal approximation of the test to hold. Intervals are 95%
// and differences are called at p < 0.05 (after Bonferroni's correction for the pairs
// compared).
const minExpected = experiment.MinExpected

// Interval is a 95% confidence interval of a proportion.
type Interval = experiment.Interval

// wilson is the Wilson score interval of x successes in n trials (95%): see experiment.Wilson.
func wilson(x, n int) Interval { return experiment.Wilson(x, n) }

// twoProportion is the two-sided z-test of x1/n1 against x2/n2 with the pooled proportion:
// z and its p-value. ok is false when either group is too small for the test (fewer than
// minExpected successes or failures expected).
func twoProportion(x1, n1, x2, n2 int) (z, p float64, ok bool) {
	if n1 == 0 || n2 == 0 {
		return 0, 1, false
	}
	pooled := float64(x1+x2) / float64(n1+n2)
	for _, n := range []int{n1, n2} {
		if float64(n)*pooled < minExpected || float64(n)*(1-pooled) < minExpected {
			return 0, 1, false
		}
	}
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(n1) + 1/float64(n2)))
	z = (float64(x1)/float64(n1) - float64(x2)/float64(n2)) / se
	return z, math.Erfc(math.Abs(z) / math.Sqrt2), true
}

// Verdict says whether the groups of a breakdown differ in one rate beyond chance: the
// group with the highest rate against the one with the lowest, by a two-proportion z-test,
// the p-value multiplied by the number of pairs that could have been picked (Bonferroni).
type Verdict struct {
	Metric   string  `json:"metric"` // "answer rate" or "goal rate"
	High     string  `json:"high"`
	Low      string  `json:"low"`
	HighRate float64 `json:"high_rate"`
	LowRate  float64 `json:"low_rate"`
	Z        float64 `json:"z"`
	P        float64 `json:"p"` // corrected for the pairs compared
	Differs  bool    `json:"differs"`
	TooSmall bool    `json:"too_small"`
}

// Text says the verdict in a sentence.
func (v Verdict) Text() string {
	switch {
	case v.TooSmall:
		return fmt.Sprintf("%s: the groups are too small to tell (each needs %d or more expected on either side)", v.Metric, minExpected)
	case v.Differs:
		return fmt.Sprintf("%s: %s (%.1f%%) and %s (%.1f%%) differ beyond chance (p %s)", v.Metric, orDash(v.High), 100*v.HighRate, orDash(v.Low), 100*v.LowRate, experiment.FormatP(v.P))
	}
	return fmt.Sprintf("%s: no difference beyond chance between %s (%.1f%%) and %s (%.1f%%) (p %s)", v.Metric, orDash(v.High), 100*v.HighRate, orDash(v.Low), 100*v.LowRate, experiment.FormatP(v.P))
}

// compare is the verdict on one rate across groups: success counts x and trials n by group.
func compare(metric string, keys []string, x, n func(string) int) *Verdict {
	var with []string
	for _, k := range keys {
		if n(k) > 0 {
			with = append(with, k)
		}
	}
	if len(with) < 2 {
		return nil
	}
	rate := func(k string) float64 { return float64(x(k)) / float64(n(k)) }
	hi, lo := with[0], with[0]
	for _, k := range with[1:] {
		if rate(k) > rate(hi) {
			hi = k
		}
		if rate(k) < rate(lo) {
			lo = k
		}
	}
	if hi == lo {
		lo = with[1]
	}
	v := &Verdict{Metric: metric, High: hi, Low: lo, HighRate: rate(hi), LowRate: rate(lo)}
	z, p, ok := twoProportion(x(hi), n(hi), x(lo), n(lo))
	if !ok {
		v.TooSmall = true
		return v
	}
	pairs := float64(len(with) * (len(with) - 1) / 2)
	v.Z, v.P = z, min(1, p*pairs)
	v.Differs = v.P < 0.05
	return v
}

// naturalLess orders strings as people do: "clinic 2" before "clinic 10".
func naturalLess(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			na, _ := strconv.ParseUint(strings.TrimLeft(da, "0")+"0", 10, 64)
			nb, _ := strconv.ParseUint(strings.TrimLeft(db, "0")+"0", 10, 64)
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		ra, rb := []rune(a)[0], []rune(b)[0]
		if la, lb := unicode.ToLower(ra), unicode.ToLower(rb); la != lb {
			if la < lb {
				return -1
			}
			return 1
		}
		a, b = a[len(string(ra)):], b[len(string(rb)):]
	}
	return len(a) - len(b)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
