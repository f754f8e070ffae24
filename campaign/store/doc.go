// Package store is a campaign on disk: the files beside its results, named by the results
// path, and everything done to them. Package campaign runs a campaign from a contact source
// into a results sink and a journal, and never opens a file itself; this package owns the
// files and hands the runner what it reads and writes (as vegeta's library leaves files to its
// command, and etcd's raft keeps its storage apart from the state machine).
//
// [At] names a campaign by its results file. Beside the results live:
//
//   - the journal, RESULTS.state ([Campaign.StatePath]): every call, as it happens;
//   - the lock, RESULTS.lock ([Campaign.Lock], [Campaign.Holder]): an flock the kernel drops
//     when the run holding it dies, so that two runs never work on one campaign at once;
//   - the stop request, RESULTS.stop ([Campaign.RequestStop], [Campaign.StopRequested],
//     [Campaign.ClearStop]): how 'bolna-campaign stop' asks the run holding the lock to stop;
//   - the record of requests, RESULTS.requests ([Session.KeepRequests]): every request to Bolna,
//     recorded before it is sent, so that the next run honours the last minute's;
//   - the attempts log, RESULTS.attempts.csv (the results' .csv left off first;
//     [Campaign.AttemptsPath]): every attempt of every row, written whole from the journal;
//   - a sandbox run's calls, RESULTS.bolna.json ([Campaign.SandboxPath]).
//
// Every one of them must be a regular file, or missing ([Campaign.CheckFiles]).
//
// # A run
//
// [Campaign.Open] takes the campaign for a run: it locks it, checks the results file, opens
// the journal (rebuilding a lost one from the results, refusing one that knows less than the
// results show: [ShortJournalError]). [Session.Run] runs a campaign.Runner over the contact
// list and writes the results whole; [Session.Close] syncs the journal and unlocks.
// [Campaign.Inspect] opens one read-only for a dry run. The command, the tests and the
// benchmarks all take this one path.
package store
