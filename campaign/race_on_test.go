//go:build race

package campaign_test

// raceDetector is true when the tests run with -race: the slower cases of long tables run in
// a short form (see TestSlotUtilisation).
const raceDetector = true
