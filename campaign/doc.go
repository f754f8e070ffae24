// Package campaign runs an outbound call campaign: it streams a contact list (Loader), decides
// what each row needs (invalid, duplicate, suppressed, outside its calling hours, done, in flight,
// to dial), places the calls under one rate limiter and a pool sized from the account's
// concurrency (Runner), follows every call to its final status (never stopping at
// call-disconnected, freeing the slot as soon as the line drops), and records everything in a
// durable journal (State) from which the results are written and a killed run resumes.
//
// # Never dial twice, never lose a result
//
// Before each POST /call the intent to dial is synced to the journal; right after, the
// execution id. A placement whose reply was lost is never sent again: the call carries a
// reference in user_data (RefKey) that Bolna echoes back, and the runner finds it by listing the
// agent's executions. After a crash, the next run follows the calls in flight, keeps the finished
// outcomes and dials the rest; contacts are keyed by --id-column or the normalised number, not by
// line, so an edited list still resumes.
//
// The package needs from Bolna only what the Dialer interface declares; *dialer.Client
// satisfies it, and dialer/bolnatest serves it in tests.
package campaign
