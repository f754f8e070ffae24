package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"               // registers the "sqlite" database/sql driver
)

// Store is a history: a database every campaign of the account consults and records into. Its
// methods are safe for concurrent use, also by several processes on one database.
type Store struct {
	db     *sql.DB
	be     backend
	where  string // the DSN without its password, for messages
	schema int    // the schema's version (see Schema)
}

// backend is what differs between the two databases: how a transaction is serialised against
// every other one of the same key, and how a query's parameters are written. Everything else
// is the same SQL.
type backend interface {
	// begin starts a transaction in which no other transaction begun with the same key runs
	// until this one ends, and whose reads see every transaction committed before it began.
	begin(ctx context.Context, db *sql.DB, key string) (*sql.Tx, error)
	// bind rewrites a query's ? placeholders for the database.
	bind(query string) string
	// phoneList is a SELECT of one column, phone: the elements of its one parameter, a JSON
	// array of strings.
	phoneList() string
}

// BusyTimeout is how long a SQLite transaction waits for another process's to end before it
// fails.
const BusyTimeout = 10 * time.Second

// MaxConns is the most connections a Store opens: a run's placements beyond it wait their turn
// in the process (a guard holds its connection for a few milliseconds), not at the database
// (PostgreSQL's connections are few and shared by every machine; SQLite's writers are one at
// a time anyway).
const MaxConns = 8

// Open opens the history dsn names (see [ParseDSN]), creating it when it does not exist, and
// brings its schema up to date. It fails with a [*SchemaError] when a newer version of the tool
// wrote the history.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s, err := connect(ctx, dsn, true)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	s.schema = SchemaVersion
	return s, nil
}

// OpenExisting opens the history dsn names as it is, for reading: it creates nothing (a SQLite
// file that does not exist is an error that wraps [os.ErrNotExist]) and migrates nothing (an
// older schema stays as it is: see [Store.Schema]). It fails with a [*SchemaError] when a newer
// version of the tool wrote the history.
func OpenExisting(ctx context.Context, dsn string) (*Store, error) {
	s, err := connect(ctx, dsn, false)
	if err != nil {
		return nil, err
	}
	err = s.queryRow(ctx, s.db, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&s.schema)
	switch {
	case err != nil:
		err = fmt.Errorf("history %s: not a history of bolna-campaign (no schema version: %w)", s.where, err)
	case s.schema > SchemaVersion:
		err = &SchemaError{Where: s.where, Found: s.schema, Known: SchemaVersion}
	}
	if err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// connect opens the database of dsn; create: a SQLite file that does not exist is made (with
// its folder), and put in WAL mode.
func connect(ctx context.Context, dsn string, create bool) (*Store, error) {
	d, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{where: d.Redacted()}
	switch d.Backend {
	case SQLite:
		s.db, err = openSQLite(d.Path, create)
		s.be = sqliteBackend{}
		if err == nil && create {
			err = setWAL(ctx, s.db)
		}
	default:
		s.db, err = sql.Open("pgx", d.URL)
		s.be = postgresBackend{}
	}
	if err != nil {
		if s.db != nil {
			s.db.Close()
		}
		return nil, fmt.Errorf("history %s: %w", s.where, err)
	}
	s.db.SetMaxOpenConns(MaxConns)
	return s, nil
}

// Schema is the version of the history's schema: [SchemaVersion] once Open brought it up to
// date; what OpenExisting found (perhaps older).
func (s *Store) Schema() int { return s.schema }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Where is the history's DSN as it may be shown: a PostgreSQL URL without its password.
func (s *Store) Where() string { return s.where }

// openSQLite opens the SQLite history at path. With create, its folder is created 0700 and its
// file 0600 (the -wal and -shm files SQLite makes beside it take the file's mode); without, a
// file that does not exist is an error, and SQLite is told not to make one (mode=rw).
func openSQLite(path string, create bool) (*sql.DB, error) {
	flags := os.O_RDWR
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	// _txlock=immediate: database/sql's BeginTx becomes BEGIN IMMEDIATE, which takes the
	// database's write lock at once (see sqliteBackend). The pragmas apply to every connection
	// of the pool. synchronous(FULL): a reservation survives a power cut once Reserve returns.
	// WAL mode is set once, by setWAL: it lasts in the file.
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(BusyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "synchronous(FULL)")
	if !create {
		q.Set("mode", "rw")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	if !filepath.IsAbs(path) {
		u = url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	}
	return sql.Open("sqlite", u.String())
}

// setWAL puts the SQLite database in WAL mode (readers never wait for the writer, and a
// commit is one append). Switching needs the database to itself, and SQLite answers a switch
// that meets another connection with SQLITE_BUSY at once, without its busy timeout (two
// processes opening a new history together): it is tried again until BusyTimeout.
func setWAL(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, BusyTimeout)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		var sqliteErr *sqlite.Error
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("SQLite kept journal mode %s, not WAL", mode)
		case !errors.As(err, &sqliteErr) || sqliteErr.Code()&0xff != sqliteBusy:
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("WAL mode: %w (%w)", err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// sqliteBusy is SQLite's primary result code SQLITE_BUSY.
const sqliteBusy = 5

// sqliteBackend serialises with the database's single writer: every transaction is BEGIN
// IMMEDIATE (the DSN's _txlock), which takes the write lock before the transaction reads
// anything, and waits up to BusyTimeout for it. So the guards of a database run one after
// another, whatever their key, across connections and processes; and in WAL mode a transaction
// that holds the write lock reads the latest committed state (SQLite refuses the lock to a
// reader on an older snapshot), so each guard sees every reservation committed before it.
type sqliteBackend struct{}

func (sqliteBackend) begin(ctx context.Context, db *sql.DB, _ string) (*sql.Tx, error) {
	return db.BeginTx(ctx, nil)
}

func (sqliteBackend) bind(query string) string { return query }

func (sqliteBackend) phoneList() string { return "SELECT value FROM json_each(?)" }

// lockClass namespaces the history's advisory locks among others a shared PostgreSQL may hold
// (the two-key form of pg_advisory_xact_lock).
const lockClass = 0x626f6c6e // "boln"

// postgresBackend serialises the transactions of one key with a transaction-scoped advisory
// lock on it (pg_advisory_xact_lock, released at commit or rollback, also when the client
// dies). The transaction is READ COMMITTED, so each statement after the lock reads a snapshot
// taken after the lock was granted: it sees every transaction that held the lock before
// (REPEATABLE READ would read the snapshot of the lock's own statement, taken before the wait,
// and miss a reservation committed meanwhile). Two keys with the same hash share a lock: more
// waiting, never less safety.
type postgresBackend struct{}

func (postgresBackend) begin(ctx context.Context, db *sql.DB, key string) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", lockClass, key); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

func (postgresBackend) phoneList() string {
	return "SELECT jsonb_array_elements_text(CAST(? AS jsonb))"
}

func (postgresBackend) bind(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inTx runs fn in a transaction serialised against every other of key (see backend), and
// commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, key string, fn func(*sql.Tx) error) error {
	tx, err := s.be.begin(ctx, s.db, key)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

// rollback rolls tx back; a transaction already ended is not an error.
func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// exec, query and queryRow run a query written with ? placeholders, on a transaction or the
// database.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.be.bind(query), args...)
}

// execCount runs a statement and returns how many rows it changed.
func (s *Store) execCount(ctx context.Context, q querier, query string, args ...any) (int, error) {
	res, err := s.exec(ctx, q, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.be.bind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.be.bind(query), args...)
}

// millis is t as stored: Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is a stored time back (UTC), the zero time for 0.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
