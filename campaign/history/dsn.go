package history

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Backend is the kind of database a history lives in.
type Backend string

// The backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// DSN says where a history lives: a SQLite file, or a PostgreSQL server.
type DSN struct {
	Backend Backend
	Path    string // SQLite: the database file
	URL     string // PostgreSQL: the connection URL, password included (never print it: see Redacted)
}

// ParseDSN reads a history's DSN: a file path or sqlite:PATH (SQLite), or a postgres:// or
// postgresql:// URL.
func ParseDSN(dsn string) (DSN, error) {
	dsn = strings.TrimSpace(dsn)
	lower := strings.ToLower(dsn)
	switch {
	case dsn == "":
		return DSN{}, errors.New("history: empty DSN")
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return DSN{}, fmt.Errorf("history: a PostgreSQL URL that does not parse (%s)", redactedText(dsn))
		}
		return DSN{Backend: Postgres, URL: dsn}, nil
	case strings.HasPrefix(lower, "sqlite:"):
		path := strings.TrimPrefix(dsn[len("sqlite:"):], "//")
		if path == "" {
			return DSN{}, errors.New("history: sqlite: names no file")
		}
		return DSN{Backend: SQLite, Path: path}, nil
	case strings.Contains(dsn, "://"):
		return DSN{}, fmt.Errorf("history: %s: not a history DSN (a file path, sqlite:PATH or postgres://…)", redactedText(dsn))
	case isKeywordValue(dsn):
		return DSN{}, errors.New("history: a PostgreSQL connection string of keywords (host=… dbname=…) is not taken: give it as a URL, postgres://USER:PASSWORD@HOST:5432/DBNAME")
	}
	return DSN{Backend: SQLite, Path: dsn}, nil
}

// libpqKeywords are the keywords a libpq keyword/value connection string usually starts with.
var libpqKeywords = []string{"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode", "service", "connect_timeout", "application_name", "options", "target_session_attrs"}

// isKeywordValue reports whether dsn looks like libpq's keyword/value form ("host=db
// dbname=x"), which would otherwise be taken for a file name: its first word is KEYWORD=….
func isKeywordValue(dsn string) bool {
	first, _, _ := strings.Cut(dsn, " ")
	key, _, ok := strings.Cut(first, "=")
	return ok && slices.Contains(libpqKeywords, strings.ToLower(strings.TrimSpace(key)))
}

// Redacted is the DSN as it may be shown: a PostgreSQL URL without its password.
func (d DSN) Redacted() string {
	if d.Backend == SQLite {
		return d.Path
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return redactedText(d.URL)
	}
	return redactURL(u)
}

// redactURL is u without the password in its user info or its query.
func redactURL(u *url.URL) string {
	c := *u
	if q := c.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

// redactedText is what may be shown of a DSN that does not parse: its scheme.
func redactedText(dsn string) string {
	scheme, _, _ := strings.Cut(dsn, "://")
	return scheme + "://…"
}

// DefaultPath is the default history: history.db under $XDG_STATE_HOME/bolna-campaign/, else
// under ~/.local/state/bolna-campaign/.
func DefaultPath() (string, error) {
	dir, err := stateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "history.db"), nil
}

// SandboxPath is the history of sandbox runs (sandbox-history.db beside the default one), so
// that trials never touch the real one.
func SandboxPath() (string, error) {
	dir, err := stateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "sandbox-history.db"), nil
}

// stateDir is the tool's folder for state kept across runs.
func stateDir() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "bolna-campaign"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history: no default place (set --history or BOLNA_HISTORY): %w", err)
	}
	return filepath.Join(home, ".local", "state", "bolna-campaign"), nil
}
