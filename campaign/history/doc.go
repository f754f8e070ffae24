// Package history is the account's memory across campaigns: every attempt of every campaign
// (reserved before its POST /call, placed, settled), the do-not-call list and the lasting
// pauses, in one database that every run on the account consults.
//
// The database is SQLite (a file, through the pure-Go driver modernc.org/sqlite, in WAL mode)
// by default, or PostgreSQL when several machines share an account. Both hold one schema,
// created and upgraded by versioned migrations embedded in the binary; a history written by a
// newer version of the tool is refused with a [*SchemaError].
//
// The guard is [Store.Reserve]: before every POST /call a runner asks it, in one transaction,
// whether the account's rules let the person be dialled (pause, do-not-call, the minimum gap
// between campaigns, the cap on calls per period) and, when they do, records the reservation in
// that same transaction. Reservations of one person are serialised (SQLite: the database's
// single writer; PostgreSQL: a transaction-scoped advisory lock on the phone), so two processes,
// on one machine or many, never both pass the guard for one person. A reservation counts as a
// call from the moment it is made, also when its process dies, until [Store.Settle] records its
// end or [Store.Void] says no call was made.
//
// The history holds personal data: its file is created 0600 in a folder created 0700, and the
// password of a PostgreSQL DSN is never part of a message ([Store.Where]).
package history
