// Package bolnasim is a faithful simulation of the Bolna Voice AI API: product code, behind the
// command's `run --sandbox` (served in process) and `sim` (served on loopback), and the Bolna
// that every test runs against (dialer/bolnatest serves it on loopback).
//
// The fake follows docs/bolna-api.md §13: bearer-key auth (401 or 403), the call lifecycle
// queued → initiated → ringing → in-progress → call-disconnected → completed (or straight to
// no-answer, busy, failed, error, balance-low) with configurable, scalable timings, the
// half-filled call-disconnected payload, the full completed payload echoing user_data in
// context_details.recipient_data, the account's concurrency (excess calls wait in queued,
// never rejected), the executions list with its envelope, window and trimmed items, stops,
// per-minute request limits, and injectable 429s, 5xx, HTML error pages and lost replies (the
// call is created, the reply is lost).
//
// Time is simulated lazily from a clock: every request first advances the account to now, so
// tests can compress a campaign into milliseconds with [Options.TimeScale] or drive the clock by
// hand with [Options.Now]. What the fake saw is recorded for assertions: [API.Placements],
// [API.Calls] and [API.Stats].
//
// It links no test server: what it needs of net/http/httptest it has in miniature.
package bolnasim
