package history_test

import (
	"database/sql"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
)

// BenchmarkReserve is the guard's cost per placement with 1,000,000 attempts in the history
// (100,000 people called 10 times each over 30 days, by 10 campaigns), on each backend: one
// Reserve of a person the history knows, with the default rules (min-gap 24h, max-calls
// 3/7d), allowed or skipped. The indexes make it O(log n): run with -benchtime and compare with
// a smaller history (BENCH_ATTEMPTS). Loading the history is not timed.
//
//	go test -run '^$' -bench BenchmarkReserve -benchtime 2000x ./campaign/history
//
// Measured on 2 cores (the README cites it): sqlite 1.32 ms/op, postgres (loopback) 1.28 ms/op.
func BenchmarkReserve(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ATTEMPTS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			dsn := be.fresh(b)
			s := open(b, dsn)
			fill(b, dsn, n)
			rules := history.Rules{MinGap: 24 * time.Hour, MaxCalls: 3, Period: 7 * 24 * time.Hour}
			people := n / 10
			rng := rand.New(rand.NewPCG(1, 2))
			i := 0
			for b.Loop() {
				i++
				a := history.Attempt{Campaign: "bench", Phone: phoneOf(rng.IntN(people)), Number: 1,
					Ref: "bench-" + strconv.Itoa(i), At: t0}
				if _, err := s.Reserve(b.Context(), a, rules); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// phoneOf is the i-th person of the benchmark's history.
func phoneOf(i int) string { return "+91" + strconv.Itoa(9_000_000_000+i) }

// fill loads n attempts into the history at dsn.
func fill(b *testing.B, dsn string, n int) {
	b.Helper()
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	fillDB(b, db, n)
	if driver == "pgx" { // the bulk load's vacuum and checkpoint would otherwise run during the timing
		for _, q := range []string{"VACUUM attempts", "CHECKPOINT"} {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// fillDB loads n attempts in one statement, the same SQL on both backends.
func fillDB(b testing.TB, db *sql.DB, n int) {
	start := t0.Add(-30 * 24 * time.Hour).UnixMilli()
	people := n / 10
	_, err := db.Exec(`WITH RECURSIVE c(x) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT x + 1 FROM c WHERE x + 1 < ` + strconv.Itoa(n) + `)
		INSERT INTO attempts (ref, campaign, phone, attempt, state, reserved_at, status, outcome, cost_cents)
		SELECT 'b' || CAST(x AS TEXT), 'c' || CAST(x % 10 AS TEXT), '+91' || CAST(9000000000 + x % ` + strconv.Itoa(people) + ` AS TEXT),
			1 + x / ` + strconv.Itoa(people) + `, 'settled', ` + strconv.FormatInt(start, 10) + ` + (x / ` + strconv.Itoa(people) + `) * 259200000 + x % 86400000,
			'completed', 'answered', 3.5 FROM c`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("ANALYZE attempts"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAssess is the history's part of a 100,000-row `check` against a history of
// 1,000,000 attempts (as BenchmarkReserve's), on each backend: one Assess of 100,000 phones,
// half of them people the history knows (each called twice in the last week, so capped), with
// the default gap and a cap (min-gap 24h, max-calls 2/7d). Loading the history is not timed.
//
//	go test -run '^$' -bench BenchmarkAssess -benchtime 5x ./campaign/history
func BenchmarkAssess(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ATTEMPTS")); err == nil && v > 0 {
		n = v
	}
	const rows = 100_000
	people := n / 10
	phones := make([]string, rows)
	for i := range phones {
		phones[i] = phoneOf(n + i) // a person the history does not know
		if i%2 == 0 {
			phones[i] = phoneOf(i / 2 % people) // one it knows: called twice in the last 7 days
		}
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			dsn := be.fresh(b)
			s := open(b, dsn)
			fill(b, dsn, n)
			rules := history.Rules{MinGap: 24 * time.Hour, MaxCalls: 2, Period: 7 * 24 * time.Hour}
			var skipped int
			for b.Loop() {
				a, err := s.Assess(b.Context(), "bench", phones, rules, t0)
				if err != nil {
					b.Fatal(err)
				}
				skipped = a.Skipped[history.KindRecent] + a.Skipped[history.KindCapped]
			}
			b.ReportMetric(float64(skipped), "skipped")
		})
	}
}
