package history

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGuardUsesIndex: SQLite plans the guard's reads of a person's attempts as a search of the
// index attempts_phone, never a scan of the table or a sort, so a guard's cost does not grow
// with the history (BenchmarkReserve measures it with 1,000,000 attempts).
func TestGuardUsesIndex(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"recent", recentQuery, []any{"+919876543210", 0, "c"}},
		{"capped", cappedQuery, []any{"+919876543210", 0, 2}},
	} {
		rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, "SEARCH attempts USING INDEX attempts_phone (phone=? AND reserved_at>?)") || strings.Contains(text, "SCAN") || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want a search of attempts_phone, no scan, no sort", q.name, text)
		}
	}
}
