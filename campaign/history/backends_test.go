package history_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/history"
	"github.com/bolna-campaign/bolna-campaign/campaign/history/historytest"
	"github.com/bolna-campaign/bolna-campaign/internal/testmain"
)

// TestMain stops the PostgreSQL cluster the tests started, if they started one.
func TestMain(m *testing.M) {
	code := m.Run()
	cluster.Stop()
	testmain.Exit(code) // without the race detector's second of sleep at exit
}

// backends are the databases every history test runs against: each returns the DSN of a fresh,
// empty history of its own.
var backends = []struct {
	name  string
	fresh func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "history.db") }},
	{"postgres", func(t testing.TB) string { return cluster.Database(t) }},
}

// eachBackend runs fn as a subtest for each backend, with a fresh history's DSN.
func eachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.fresh(t))
		})
	}
}

// open opens the history at dsn for the test's length.
func open(t testing.TB, dsn string) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// cluster is the throwaway PostgreSQL cluster of the package's tests (see historytest).
var cluster historytest.Cluster
