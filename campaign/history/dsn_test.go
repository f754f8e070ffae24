package history_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
)

// TestParseDSN: paths and sqlite: DSNs are SQLite files, postgres:// and postgresql:// URLs
// are PostgreSQL, anything else is refused; a password is never in the shown form.
func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn     string
		backend history.Backend
		shown   string // "" when refused
	}{
		{"history.db", history.SQLite, "history.db"},
		{"/var/lib/bolna/h.db", history.SQLite, "/var/lib/bolna/h.db"},
		{"sqlite:/tmp/h.db", history.SQLite, "/tmp/h.db"},
		{"sqlite:///tmp/h.db", history.SQLite, "/tmp/h.db"},
		{"postgres://ops:s3cret@db.internal:5432/bolna?sslmode=require", history.Postgres, "postgres://ops:xxxxx@db.internal:5432/bolna?sslmode=require"},
		{"postgresql://ops@db/bolna?password=s3cret", history.Postgres, "postgresql://ops@db/bolna?password=xxxxx"},
		{"postgres://ops@/bolna?host=/run/postgresql", history.Postgres, "postgres://ops@/bolna?host=/run/postgresql"},
		{"postgres:///bolna", history.Postgres, "postgres:///bolna"}, // libpq's defaults (PGHOST, the socket)
		{"postgres://ops:s3cret@db/%zz", "", ""},
		{"mysql://ops:s3cret@db/bolna", "", ""},
		// libpq's keyword/value form, as psql takes it: refused, not a SQLite file of that name
		// (made in the working folder, the password shown in every log line, and no shared guard)
		{"host=db.internal user=ops password=s3cret dbname=bolna", "", ""},
		{"dbname=bolna", "", ""},
		{" user=ops password=s3cret", "", ""},
		{"sqlite:", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		d, err := history.ParseDSN(tt.dsn)
		if tt.shown == "" {
			if err == nil {
				t.Errorf("ParseDSN(%q) = %+v, want an error", tt.dsn, d)
			} else if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("ParseDSN(%q): the error shows the password: %v", tt.dsn, err)
			}
			continue
		}
		if err != nil || d.Backend != tt.backend || d.Redacted() != tt.shown {
			t.Errorf("ParseDSN(%q) = %+v shown %q, %v; want %s shown %q", tt.dsn, d, d.Redacted(), err, tt.backend, tt.shown)
		}
	}
}

// TestDefaultPath: the default history lives under $XDG_STATE_HOME, else under
// ~/.local/state; the sandbox's beside it. (No t.Parallel: it sets the environment.)
func TestDefaultPath(t *testing.T) {
	tests := []struct {
		xdg, home, want, sandbox string
	}{
		{"/state", "/home/u", "/state/bolna-campaign/history.db", "/state/bolna-campaign/sandbox-history.db"},
		{"", "/home/u", "/home/u/.local/state/bolna-campaign/history.db", "/home/u/.local/state/bolna-campaign/sandbox-history.db"},
		{"relative", "/home/u", "/home/u/.local/state/bolna-campaign/history.db", "/home/u/.local/state/bolna-campaign/sandbox-history.db"},
	}
	for _, tt := range tests {
		t.Setenv("XDG_STATE_HOME", tt.xdg)
		t.Setenv("HOME", tt.home)
		got, err := history.DefaultPath()
		sandbox, serr := history.SandboxPath()
		if err != nil || serr != nil || got != filepath.FromSlash(tt.want) || sandbox != filepath.FromSlash(tt.sandbox) {
			t.Errorf("XDG_STATE_HOME=%q: %q %q (%v %v), want %q %q", tt.xdg, got, sandbox, err, serr, tt.want, tt.sandbox)
		}
	}
}
