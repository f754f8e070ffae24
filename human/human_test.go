package human_test

import (
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/human"
)

func TestMoneyAndDurations(t *testing.T) {
	t.Parallel()
	for cents, want := range map[float64]string{0: "$0.00", 5: "$0.05", 161.88: "$1.62", 1e6: "$10,000.00", 123456789: "$1,234,567.89", -250000: "-$2,500.00"} {
		if got := human.Dollars(cents); got != want {
			t.Errorf("Dollars(%v) = %q, want %q", cents, got, want)
		}
	}
	for d, want := range map[time.Duration]string{30 * time.Minute: "30m", time.Hour: "1h", 4*time.Minute + 5*time.Second: "4m5s", 90 * time.Minute: "1h30m", 3 * time.Second: "3s"} {
		if got := human.ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for share, want := range map[float64]string{0: "0.0%", 0.123: "12.3%", 1: "100.0%", 0.0005: "0.1%"} {
		if got := human.Percent(share); got != want {
			t.Errorf("Percent(%v) = %q, want %q", share, got, want)
		}
	}
}
