// Package journal is a campaign's durable memory: an append-only file of JSON lines beside the
// results file ([State]), from which every run learns what earlier runs did — who was dialled,
// which calls may still be live, what each attempt came to — and to which it writes, before
// and after each POST /call, what it is doing. It also holds the words of that record: a row's
// [Status], an attempt's [Outcome] and the [Result] it means for the person.
//
// # The format
//
// The first line names the campaign (a random id), its owner (agent and API), how contacts are
// keyed, and the format's version ([VersionError] refuses a later one: version 1, or 2 once a
// record names an agent other than the owner's, an experiment's arm, marked by a second campaign
// line before it, so that older builds refuse what they would misread). Each later line is one
// record — dial (the intent, synced before the POST), placed (the execution id, synced after
// it), void (no call: the attempt given back), final (the outcome), account, torn and settled
// (an intent a crash cut, kept whole, and its closing), stop (an experiment's arm the run
// stopped, --stop-losers: [State.StopArm]) — sealed with a CRC-32C of its own
// bytes. A torn last line is a crash mid-write and is dropped (an intent in it is kept); any
// other damage stops the run before it dials anyone ([JournalError]). Memory is 8 bytes per
// contact: outcomes are read back from the file by offset.
//
// The lines are kept in a [Store]: the file beside the results ([OpenState]), or memory
// ([MemoryStore], opened with [OpenStore]) for tests that need no disk; a MemoryStore knows
// which of its bytes were synced, so a test can crash it and replay what a crash leaves.
//
// A journal proves it is whole: one rebuilt from the results file is written aside and renamed
// into place once complete ([Rebuild]), and one that knows less than the results file shows
// ([State.Covers]) is refused by the run. A line longer than any record is damage, read no
// further than that bound.
//
// # Files beside the results
//
// The journal ([OpenState], [ReadState]), the run's lock ([AcquireLock]: an flock the kernel
// drops when the holder dies) and the other files beside the results are opened without
// following symbolic links and without blocking, and must be regular files ([OpenNoFollow],
// [NotRegularError], [CheckFiles]). The package takes every path from its caller: package
// store names a campaign's files.
//
// A new kind of record is a constant of records.go, a case of State.apply, and a method of
// State that writes it; a new status is a line of the statuses table (status.go).
package journal
