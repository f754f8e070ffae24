package history

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The schema's migrations, NNNN_name.sql, applied in order. A migration is never edited once
// released: a change is a new file.
//
// Why not pressly/goose: its Provider brings its own version table and no lock for SQLite, and
// the two things the history needs of migrations, that concurrent first opens (two cron runs,
// two machines) apply them once and that a history ahead of the binary is refused with a typed
// error, would still be ours to write. With those written, applying a list of SQL files in the
// same transaction is a dozen lines.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migration is one step of the schema.
type migration struct {
	version    int
	name       string
	statements []string
}

// loadMigrations reads the embedded migrations, in order of version.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		prefix, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("history: migration %s: no version number", base)
		}
		text, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, statements: statements(string(text))})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	return ms, nil
}

// statements splits a migration into its statements: each ends with a ; at the end of a line
// (comments are dropped), so a driver never has to run several in one call.
func statements(text string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(text, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimRight(line, " \t\r")
		cur.WriteString(line + "\n")
		if strings.HasSuffix(line, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

// SchemaVersion is the newest schema this binary knows.
var SchemaVersion = func() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		panic(fmt.Sprintf("history: embedded migrations: %v", err))
	}
	return ms[len(ms)-1].version
}()

// SchemaError is the refusal of a history whose schema is newer than this binary knows: a
// newer version of the tool wrote it, and this one might break what it relies on.
type SchemaError struct {
	Where string // the history (without a password)
	Found int    // the history's schema version
	Known int    // the newest this binary knows
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("history %s: schema version %d is newer than this bolna-campaign knows (%d): upgrade bolna-campaign", e.Where, e.Found, e.Known)
}

// schemaKey is the lock the migrations of a PostgreSQL history hold (see backend.begin).
const schemaKey = "bolna-campaign schema"

// migrate brings the schema up to date in one transaction: every process opening the history
// at once waits for the first, then finds nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	err = s.inTx(ctx, schemaKey, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); err != nil {
			return err
		}
		var found int
		if err := s.queryRow(ctx, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&found); err != nil {
			return err
		}
		if known := ms[len(ms)-1].version; found > known {
			return &SchemaError{Where: s.where, Found: found, Known: known}
		}
		for _, m := range ms {
			if m.version <= found {
				continue
			}
			for _, st := range m.statements {
				if _, err := s.exec(ctx, tx, st); err != nil {
					return fmt.Errorf("migration %s: %w", m.name, err)
				}
			}
			if _, err := s.exec(ctx, tx, "INSERT INTO schema_version (version) VALUES (?)", m.version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if schemaErr := (*SchemaError)(nil); errors.As(err, &schemaErr) {
			return schemaErr
		}
		return fmt.Errorf("history %s: %w", s.where, err)
	}
	return nil
}
