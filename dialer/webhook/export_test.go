package webhook

import "time"

// A relay's waits between tries, in this package's tests: hundredths of what they are in use
// (TestReceiverForward's failing relay waited 7 s for its four tries).
func init() { forwardWait = 10 * time.Millisecond }
