// Package historytest serves the tests of the account's history, in every package that has
// them: a throwaway PostgreSQL cluster, started on first use when PostgreSQL is installed
// (initdb on the PATH or in /usr/lib/postgresql/*/bin), whose tests are skipped, saying why,
// when it is not.
package historytest

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Cluster is a throwaway PostgreSQL cluster, started by the first test that needs it (initdb
// into a temporary folder, as the postgres user when the tests run as root, since initdb
// refuses root), listening on a unix socket in that folder only (no TCP port). fsync is off:
// the cluster dies with the tests. A package's TestMain calls Stop once its tests are done.
type Cluster struct {
	once  sync.Once
	skip  string   // why PostgreSQL tests are skipped ("" when they run)
	err   error    // why the cluster could not start
	bin   string   // the folder of initdb and pg_ctl
	dir   string   // the cluster's folder (data, socket, log)
	runAs []string // the command prefix that runs as the cluster's owner
	admin *sql.DB
	n     atomic.Int64
}

// Database creates a database of its own for the test and returns its DSN; it skips the test
// when PostgreSQL is not installed, and fails it when the cluster could not start.
func (c *Cluster) Database(t testing.TB) string {
	t.Helper()
	c.once.Do(c.start)
	if c.skip != "" {
		t.Skip(c.skip)
	}
	if c.err != nil {
		t.Fatalf("PostgreSQL test cluster: %v", c.err)
	}
	name := "h" + strconv.FormatInt(c.n.Add(1), 10)
	if _, err := c.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	return c.dsn(name)
}

// Installed reports whether PostgreSQL is installed here (a test that can run without it asks
// first, rather than be skipped by Database).
func (c *Cluster) Installed() bool {
	c.once.Do(c.start)
	return c.skip == ""
}

func (c *Cluster) dsn(db string) string {
	return "postgres://postgres@/" + db + "?host=" + url.QueryEscape(c.dir) + "&port=5432&sslmode=disable"
}

// pgBin is the folder holding initdb: on the PATH, or the newest /usr/lib/postgresql/*/bin.
func pgBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return ""
	}
	slices.SortFunc(found, func(a, b string) int { return pgVersion(a) - pgVersion(b) })
	return filepath.Dir(found[len(found)-1])
}

func pgVersion(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func (c *Cluster) start() {
	if c.bin = pgBin(); c.bin == "" {
		c.skip = "PostgreSQL tests skipped: no initdb on the PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql; .ci/run does)"
		return
	}
	c.err = c.boot()
}

func (c *Cluster) boot() error {
	dir, err := os.MkdirTemp("", "hpg")
	if err != nil {
		return err
	}
	c.dir = dir
	if os.Geteuid() == 0 { // initdb refuses root: the cluster belongs to postgres (or nobody)
		u, err := user.Lookup("postgres")
		if err != nil {
			if u, err = user.Lookup("nobody"); err != nil {
				return err
			}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
		c.runAs = []string{"runuser", "-u", u.Username, "--"}
	}
	data := filepath.Join(dir, "data")
	if err := c.run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -p 5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", dir)
	if err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-o", opts, "start"); err != nil {
		return err
	}
	c.admin, err = sql.Open("pgx", c.dsn("postgres"))
	if err != nil {
		return err
	}
	return c.admin.Ping()
}

// run runs a PostgreSQL program as the cluster's owner.
func (c *Cluster) run(prog string, args ...string) error {
	argv := append(slices.Clone(c.runAs), append([]string{filepath.Join(c.bin, prog)}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", prog, err, out)
	}
	return nil
}

// Stop stops the cluster, if a test started it, and removes its folder.
func (c *Cluster) Stop() {
	if c.dir == "" {
		return
	}
	if c.admin != nil {
		c.admin.Close()
	}
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}
