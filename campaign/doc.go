// Package campaign runs an outbound call campaign: it passes over a contact list (read by
// package contacts), decides what each row needs (invalid, duplicate, suppressed, outside its
// calling hours, done, in flight, to dial), places the calls under one rate limiter and a pool
// sized from the account's concurrency (Runner), follows every call to its final status (never
// stopping at call-disconnected, freeing the slot as soon as the line drops), and records
// everything in the campaign's journal (package journal), from which the results are written
// and a killed run resumes.
//
// # A run
//
// A [Runner] reads the contact list from a [ContactSource] and writes the results to a
// [ResultWriter], recording every call in a journal it is handed (a journal.State): the package
// opens, creates, renames and removes no file. Package store owns a campaign's files — the
// journal and the files beside the results, the lock, the stop request, the record of
// requests — and opens a campaign for a run (store.Campaign.Open: the lock taken, the results
// checked, a lost journal rebuilt), runs a Runner over it, and writes the results whole; the
// command, the tests and the benchmarks all take that one path.
//
// A run passes over the list three times: a first pass plans (and fails fast on a list that
// cannot be read), the dispatching pass decides what each row needs and dials (keeping each
// row's decision, a byte a row), and the last pass writes the results from those decisions and
// the journal (plan.go, place.go).
//
// # The attempt
//
// Each dial of a row is an attempt (attempt.go), always in one phase: reserved (a slot taken
// for it), intent, searching (its POST's reply was lost), unknown, queued, ringing, talking,
// dropped (the line dropped; post-processing runs), final, or void (no call was made, or it was
// stopped before it rang). What happens to it is a typed event, and attempt.step (step.go) says,
// purely, the phase it leads to and the effects that means: the journal record (dial, placed,
// void, final), the history told, the concurrency slot and caller ID given back or taken back,
// the call indexed or forgotten by the tracker. The ledger (ledger.go) is the one executor of
// effects, so each happens exactly once per attempt; an event a phase does not allow is an
// internal error, and a run checks when it ends that the slots held are those of the calls
// still followed.
//
// # Never dial twice, never lose a result
//
// Before each POST /call the intent to dial is synced to the journal; right after, the
// execution id. A placement whose reply was lost is never sent again: the call carries a
// reference in user_data (contacts.RefKey) that Bolna echoes back, and the runner finds it by
// listing the agent's executions (search.go). After a crash, the next run looks for the calls
// the dead run may have placed, follows those in flight, keeps the finished outcomes and dials
// the rest (recovery.go); contacts are keyed by --id-column or the normalised number, not by
// line, so an edited list still resumes. Each invariant has one owner: the ledger owns the
// slots and the records of attempts, the dialer's placement policy owns the retries of a
// refused POST, the journal owns what was dialled.
//
// # Call events
//
// Everything the runner learns about a call is an observation of its execution payload, and
// every observation takes one path, the tracker's apply (observe.go): a final status with a
// whole payload is recorded, a final one that is not is read by id, any other moves the attempt
// to the phase of its status (see dialer.Status for Bolna's lifecycle), and the next look is
// scheduled. The tracker's own looks (list sweeps, GETs, the search for a call whose placement
// reply was lost) feed it from inside its loop (tracker.go). A new source of events — Bolna's
// webhook pushes are the first — plugs in from outside with [Runner.Observe]: it hands over a
// payload, which joins the tracker's loop and is matched to a call by execution id, or by the
// reference in user_data when it arrives before the POST's reply (push.go). Pushes about other
// calls are counted and ignored ([Runner.Observations]); polling stays the safety net for lost
// ones.
//
// # Bolna's limits
//
// Bolna limits requests per minute and per account, not per call. Every limit a run keeps to
// is built in one place (limit.go): its share of each of Bolna's limits ([ShareOfLimits], for
// the client and Config.Limits alike, a shard's part split as the concurrency is), the
// placements' limiter, and the looks' page budget (the pacer), which spends the list's share
// evenly, as often as the poll interval allows and only when a line is likely to have dropped.
// A look reads the list the cheapest way: newest first until every due call was met, or with
// the status filter only the pages where due calls may be (sweep.go). The client holds every
// request to the same share, so a run never causes a 429 itself.
//
// # The account's guard
//
// A journal keeps one campaign from dialling a person twice; Config.Guard (the account's
// history, campaign/history's Guard) keeps every campaign of the account from it. Once an
// attempt's intent is synced, [Guard.Reserve] checks the account's rules and reserves the
// attempt in one transaction; a person it skips ends with a status of their own (recent,
// capped, do-not-call), a pause halts placing, and a guard that cannot answer stops the run
// (guard.go). Every later move of an attempt it holds is told to it by the ledger's effects, and a
// run's start settles it from the journal (reconcile). The package never imports the history:
// the command wires it in.
//
// The package needs from Bolna only what the Dialer interface declares; *dialer.Client
// satisfies it, and dialer/bolnasim serves it (dialer/bolnatest on loopback, in tests).
package campaign
