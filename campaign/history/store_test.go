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

// TestNewerSchemaRefused: a history a newer version wrote (its schema version above this
// binary's) is refused with a SchemaError, on both backends; reopening a current one is not.
func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		open(t, dsn).Close()
		open(t, dsn).Close() // a second open finds nothing to do
		driver, source := "pgx", dsn
		if !strings.HasPrefix(dsn, "postgres") {
			driver, source = "sqlite", dsn
		}
		db, err := sql.Open(driver, source)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("INSERT INTO schema_version (version) VALUES (999)"); err != nil {
			t.Fatal(err)
		}
		_, err = history.Open(t.Context(), dsn)
		var schemaErr *history.SchemaError
		if !errors.As(err, &schemaErr) || schemaErr.Found != 999 || schemaErr.Known != history.SchemaVersion {
			t.Fatalf("open of a newer history: %v, want a SchemaError 999 > %d", err, history.SchemaVersion)
		}
	})
}

// TestSettledAndAsked: what the history answers once calls are placed and settled: a person's
// history with execution ids, the account's spend since a time, and the report by each
// grouping, in SQL.
func TestSettledAndAsked(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := t.Context()
		calls := []struct {
			campaign, ref, exec, result string
			after                       time.Duration
			cost                        float64
		}{
			{"a", "a1", "e1", "answered", -2 * time.Hour, 12.5},
			{"b", "b1", "e2", "voicemail", -time.Hour, 3},
			{"b", "b2", "", "", 0, 0}, // reserved, never settled: counts, costs nothing yet
		}
		for _, c := range calls {
			a := attempt(c.campaign, c.ref, c.after)
			a.From = "+14155550100"
			reserve(t, s, a)
			if c.exec != "" {
				must(t, s.Placed(ctx, c.ref, c.exec, a.At.Add(time.Second)))
				must(t, s.Settle(ctx, c.ref, history.Outcome{Status: "completed", Result: c.result, Cost: c.cost, Talk: 30, Ended: a.At.Add(time.Minute)}))
			}
		}
		reserve(t, s, attempt("b", "void", time.Minute))
		must(t, s.Void(ctx, "void"))
		entries, err := s.PersonHistory(ctx, person)
		if err != nil || len(entries) != 4 || entries[0].ExecutionID != "e1" || entries[0].Result != "answered" || entries[0].Cost != 12.5 || entries[0].Placed.IsZero() {
			t.Fatalf("person history %+v, %v", entries, err)
		}
		if spent, err := s.DailySpend(ctx, t0.Add(-90*time.Minute)); spent != 3 || err != nil {
			t.Errorf("spend since 90 minutes ago: %v, %v; want 3", spent, err)
		}
		want := map[history.By][]history.ReportRow{
			history.ByCampaign:   {{Key: "a", Attempts: 1, Reached: 1, Answered: 1, Cost: 12.5}, {Key: "b", Attempts: 2, Reached: 1, Cost: 3}},
			history.ByAgent:      {{Key: "agent-a", Attempts: 1, Reached: 1, Answered: 1, Cost: 12.5}, {Key: "agent-b", Attempts: 2, Reached: 1, Cost: 3}},
			history.ByFromNumber: {{Key: "+14155550100", Attempts: 3, Reached: 2, Answered: 1, Cost: 15.5}},
			history.ByHour:       {{Key: "10", Attempts: 1, Reached: 1, Answered: 1, Cost: 12.5}, {Key: "11", Attempts: 1, Reached: 1, Cost: 3}, {Key: "12", Attempts: 1}},
		}
		for by, rows := range want {
			got, err := s.Report(ctx, t0.Add(-day), by)
			if err != nil || !equalRows(got, rows) {
				t.Errorf("report by %s: %+v, %v; want %+v", by, got, err, rows)
			}
		}
		if _, err := s.Report(ctx, t0, "phone; DROP TABLE attempts"); err == nil {
			t.Error("a report by an unknown grouping was not refused")
		}
	})
}

func equalRows(a, b []history.ReportRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestImport: attempts made before the history existed are loaded once (a second import of the
// same rows adds nothing) and count for the guard like any other call.
func TestImport(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := t.Context()
		old := []history.Entry{
			{Attempt: history.Attempt{Campaign: "old", Phone: person, Number: 1, At: t0.Add(-time.Hour)},
				Outcome: history.Outcome{ExecutionID: "e-old", Status: "completed", Result: "answered", Cost: 9}},
			{Attempt: history.Attempt{Campaign: "old", Phone: "+919876543211", Number: 2},
				Outcome: history.Outcome{ExecutionID: "e-old2", Status: "no-answer", Ended: t0.Add(-time.Hour)}},
		}
		if n, err := s.Import(ctx, old); n != 2 || err != nil {
			t.Fatalf("imported %d, %v", n, err)
		}
		if n, err := s.Import(ctx, old); n != 0 || err != nil {
			t.Errorf("a second import added %d, %v", n, err)
		}
		entries, _ := s.PersonHistory(ctx, "+919876543211")
		if len(entries) != 1 || !entries[0].At.Equal(t0.Add(-time.Hour)) || entries[0].State != history.StateSettled {
			t.Errorf("an imported row without a dial time: %+v", entries)
		}
		if len(entries) == 1 && (entries[0].Ref == "" || strings.Contains(entries[0].Ref, "9876543211")) {
			t.Errorf("an imported row's reference %q: want one, without the phone number (references reach warnings)", entries[0].Ref)
		}
		d, err := s.Reserve(ctx, attempt("new", "n1", 0), history.Rules{MinGap: day})
		if err != nil || d.Kind != history.KindRecent || d.Campaign != "old" {
			t.Errorf("after an import: %+v, %v; want recent (old)", d, err)
		}
		var phoneErr *history.PhoneError
		if _, err := s.Import(ctx, []history.Entry{{Attempt: history.Attempt{Campaign: "x", Phone: "98765"}}}); !errors.As(err, &phoneErr) {
			t.Errorf("a number not in E.164: %v, want a PhoneError", err)
		}
	})
}

// TestDoNotCallList: numbers are added once (with their reason), listed, removed; a number not
// in E.164 is refused.
func TestDoNotCallList(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := t.Context()
		if n, err := s.AddDoNotCall(ctx, "complaint", t0, "+14155550101", "+14155550100"); n != 2 || err != nil {
			t.Fatalf("added %d, %v", n, err)
		}
		if n, err := s.AddDoNotCall(ctx, "again", t0.Add(time.Hour), "+14155550100"); n != 0 || err != nil {
			t.Errorf("added again %d, %v", n, err)
		}
		list, err := s.DoNotCall(ctx)
		if err != nil || len(list) != 2 || list[0].Phone != "+14155550100" || list[0].Reason != "complaint" || !list[0].Added.Equal(t0) {
			t.Errorf("list %+v, %v", list, err)
		}
		var phoneErr *history.PhoneError
		if _, err := s.AddDoNotCall(ctx, "", t0, "0415 555 0100"); !errors.As(err, &phoneErr) {
			t.Errorf("a national number: %v, want a PhoneError", err)
		}
		if n, err := s.RemoveDoNotCall(ctx, "+14155550100", "+10000000000"); n != 1 || err != nil {
			t.Errorf("removed %d, %v", n, err)
		}
	})
}

// TestFileModes: a SQLite history holds personal data: its folder is created 0700, the file
// and SQLite's -wal beside it 0600.
func TestFileModes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", "bolna-campaign", "history.db")
	s := open(t, "sqlite:"+path)
	reserve(t, s, attempt("c", "r1", 0))
	want := map[string]os.FileMode{filepath.Dir(path): 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600}
	for p, mode := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), mode)
		}
	}
}

// TestReportHoursInOrder: the report by hour is in the order of the day on both backends, 02
// before 10 (SQL sorted the hours as text: 10 came first).
func TestReportHoursInOrder(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		reserve(t, s, attempt("a", "late", -2*time.Hour))              // 10:00 UTC
		reserve(t, s, attempt("b", "early", -10*time.Hour))            // 02:00 UTC
		reserve(t, s, attempt("c", "later", -2*time.Hour+time.Minute)) // 10:01 UTC
		got, err := s.Report(t.Context(), t0.Add(-day), history.ByHour)
		want := []history.ReportRow{{Key: "02", Attempts: 1}, {Key: "10", Attempts: 2}}
		if err != nil || !equalRows(got, want) {
			t.Errorf("report by hour: %+v, %v; want %+v", got, err, want)
		}
	})
}
