package journal

import "testing"

// TestStatusCodes: every status packs to a code and reads back from it, and reading one back
// allocates nothing (it is read once a row on each pass over a list: a copy of the status
// table a call was 448 bytes a row).
func TestStatusCodes(t *testing.T) { // not parallel: testing.AllocsPerRun refuses to be
	for _, s := range Statuses() {
		if got := statusOfCode(statusCode(s)); got != s {
			t.Errorf("%s packs to %d and reads back as %s", s, statusCode(s), got)
		}
	}
	if got := statusOfCode(0); got != "" {
		t.Errorf("code 0 reads as %q, want none", got)
	}
	if got := statusOfCode(255); got != "" {
		t.Errorf("code 255 reads as %q, want none", got)
	}
	if n := testing.AllocsPerRun(100, func() { statusOfCode(statusCode(StatusCompleted)) }); n != 0 {
		t.Errorf("reading a status back allocates %v times, want 0", n)
	}
}
