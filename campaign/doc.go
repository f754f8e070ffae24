// Package campaign runs an outbound call campaign: it streams a contact list (Loader), decides
// what each row needs (invalid, duplicate, suppressed, outside its calling hours, done, in flight,
// to dial), places the calls under one rate limiter and a pool sized from the account's
// concurrency (Runner), follows every call to its final status (never stopping at
// call-disconnected, freeing the slot as soon as the line drops), and records everything in a
// durable journal (State) from which the results are written and a killed run resumes.
//
// # A run
//
// [Open] takes a campaign for a run: it locks it, checks the results file, opens the journal
// (rebuilding a lost one from the results). [Session.Run] runs a [Runner] and writes the results
// whole; [Session.Close] syncs the journal and unlocks. [Inspect] opens one read-only for a dry
// run. The command, the tests and the benchmarks all take this one path.
//
// # Never dial twice, never lose a result
//
// Before each POST /call the intent to dial is synced to the journal; right after, the
// execution id. A placement whose reply was lost is never sent again: the call carries a
// reference in user_data (RefKey) that Bolna echoes back, and the runner finds it by listing the
// agent's executions. After a crash, the next run follows the calls in flight, keeps the finished
// outcomes and dials the rest; contacts are keyed by --id-column or the normalised number, not by
// line, so an edited list still resumes. Each invariant has one owner: the pool owns the
// concurrency slots, the dialer's placement policy owns the retries of a refused POST, the
// journal owns what was dialled.
//
// # Call events
//
// Everything the runner learns about a call is an observation of its execution payload, and
// every observation takes one path, the tracker's apply: a final status with a whole payload is
// recorded, a final one that is not is read by id, a dropped line frees the call's slot, and the
// next look is scheduled. The tracker's own looks (list sweeps, GETs, the search for a call
// whose placement reply was lost) feed it from inside its loop. A new source of events — Bolna's
// webhook pushes are the first — plugs in from outside with [Runner.Observe]: it hands over a
// payload, which joins the tracker's loop and is matched to a call by execution id, or by the
// reference in user_data when it arrives before the POST's reply. Pushes about other calls are
// counted and ignored ([Runner.Observations]); polling stays the safety net for lost ones.
//
// # Bolna's limits
//
// Bolna limits requests per minute and per account, not per call. A run takes a share of each
// limit (Config.Limits): its placements keep to the share of POST /call, and its looks at the
// calls spend the share of the executions list evenly, as often as the poll interval allows and
// only when a line is likely to have dropped (the pacer). A look reads the list the cheapest
// way: newest first until every due call was met, or with the status filter only the pages where
// due calls may be (the tracker's plan). The client holds every request to the same share, so
// a run never causes a 429 itself.
//
// The package needs from Bolna only what the Dialer interface declares; *dialer.Client
// satisfies it, and dialer/bolnasim serves it (dialer/bolnatest on loopback, in tests).
package campaign
