package history_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
)

// TestAssess: what the guard would skip of a list, in its order (do-not-call, then recent,
// then capped), without reserving: a person another campaign dialled within the gap is
// recent, the campaign's own attempts are not, a voided one counts for nothing, a person
// called to the cap is capped, and a number listed twice counts twice.
func TestAssess(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := t.Context()
		other, own, dnc, capped, fresh, voided := "+14155550101", "+14155550102", "+14155550103", "+14155550104", "+14155550105", "+14155550106"
		at := func(c, ref, phone string, after time.Duration) history.Attempt {
			return history.Attempt{Campaign: c, Phone: phone, Number: 1, Ref: ref, At: t0.Add(after)}
		}
		reserve(t, s, at("other", "o1", other, -time.Hour))
		reserve(t, s, at("mine", "m1", own, -time.Hour))
		reserve(t, s, at("other", "o2", dnc, -time.Hour))
		for i, after := range []time.Duration{-100 * time.Hour, -90 * time.Hour} {
			reserve(t, s, at("mine", "c"+string(rune('0'+i)), capped, after))
		}
		reserve(t, s, at("other", "v1", voided, -time.Hour))
		must(t, s.Void(ctx, "v1"))
		if _, err := s.AddDoNotCall(ctx, "asked", t0, dnc); err != nil {
			t.Fatal(err)
		}
		phones := []string{other, own, dnc, capped, fresh, voided, other}
		rules := history.Rules{MinGap: day, MaxCalls: 2, Period: 7 * day}
		got, err := s.Assess(ctx, "mine", phones, rules, t0)
		want := map[history.Kind]int{history.KindRecent: 2, history.KindDoNotCall: 1, history.KindCapped: 1}
		if err != nil || got.Rows != len(phones) || len(got.Skipped) != len(want) {
			t.Fatalf("assess: %+v, %v; want %v of %d", got, err, want, len(phones))
		}
		for k, n := range want {
			if got.Skipped[k] != n {
				t.Errorf("%s: %d, want %d (%+v)", k, got.Skipped[k], n, got)
			}
		}
		if got, err := s.Assess(ctx, "mine", phones, history.Rules{}, t0); err != nil || len(got.Skipped) != 1 || got.Skipped[history.KindDoNotCall] != 1 {
			t.Errorf("no rules: %+v, %v; want the do-not-call row only", got, err)
		}
		if entries, _ := s.PersonHistory(ctx, fresh); len(entries) != 0 {
			t.Errorf("assess reserved %+v", entries)
		}
	})
}

// TestOpenExisting: reading a history as it is creates nothing (no file where there was none)
// and migrates nothing (an older schema stays older, and says so); a newer one is refused.
func TestOpenExisting(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "none", "history.db")
	if _, err := history.OpenExisting(t.Context(), missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a history that does not exist: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenExisting made %s", filepath.Dir(missing))
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		open(t, dsn).Close()
		db := rawDB(t, dsn)
		for _, q := range []string{"DROP INDEX attempts_open", "DELETE FROM schema_version WHERE version > 1"} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		s, err := history.OpenExisting(t.Context(), dsn)
		if err != nil || s.Schema() != 1 {
			t.Fatalf("an older history: schema %v, %v; want 1", s, err)
		}
		if _, err := s.Paused(t.Context(), "c"); err != nil {
			t.Errorf("reading an older history: %v", err)
		}
		s.Close()
		var v int
		if err := db.QueryRow("SELECT MAX(version) FROM schema_version").Scan(&v); err != nil || v != 1 {
			t.Errorf("after OpenExisting the schema is %d (%v), want 1: it migrated", v, err)
		}
		if _, err := db.Exec("INSERT INTO schema_version (version) VALUES (999)"); err != nil {
			t.Fatal(err)
		}
		var schemaErr *history.SchemaError
		if _, err := history.OpenExisting(t.Context(), dsn); !errors.As(err, &schemaErr) {
			t.Errorf("a newer history: %v, want a SchemaError", err)
		}
	})
}

// rawDB is the database of dsn, without the history's code, for the test to change by hand.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
