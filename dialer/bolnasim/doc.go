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
//
// # Where it answers as Bolna does, not as Bolna's document says
//
// dialer/openapi.yml transcribes Bolna's published API; the simulation's answers fit it but
// in these places, on purpose, because real payloads do (dialer's TestContract checks that
// these are the only misfits, and TestDecodeLenient that the client reads both forms):
//   - created_at and updated_at are naive timestamps with microseconds and no zone
//     (2025-08-14T14:05:13.684865), where the document says date-time (Style.ZuluTimestamps
//     answers as the document does);
//   - error_message, summary and transcript are null, and answered_by_voice_mail is null, until
//     the call has them, where the document says string (boolean).

package bolnasim
