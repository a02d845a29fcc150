package shoptest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// ErrNoPostgres is returned by StartCluster when no PostgreSQL server is
// installed.
var ErrNoPostgres = errors.New("PostgreSQL is not installed (initdb and postgres not found; .ci/setup.sh installs Debian's postgresql)")

// Cluster is a private PostgreSQL server for one test binary: its own data
// folder in a temporary directory, a free loopback port, trust
// authentication, removed by Stop. Tests get databases from it with
// NewDatabase, each a fresh copy of a migrated template.
type Cluster struct {
	dir      string
	port     int
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *logTail
	template string
	n        atomic.Int64
}

// templateDB is the database every NewDatabase copies: the shop's schema,
// migrated, and nothing else.
const templateDB = "skranke_template"

// postgresBin finds the folder of initdb and postgres: $SKRANKE_PG_BIN,
// then PATH, then the newest of Debian's /usr/lib/postgresql/*/bin.
func postgresBin() (string, error) {
	if d := os.Getenv("SKRANKE_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("%w: SKRANKE_PG_BIN=%s has no initdb", ErrNoPostgres, d)
		}
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))), 64)
		vj, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))), 64)
		return vi > vj
	})
	if len(dirs) == 0 {
		return "", ErrNoPostgres
	}
	return filepath.Dir(dirs[0]), nil
}

// serverUser returns the credentials to run the server with: none when the
// test is not root, else those of the "postgres" system user that Debian's
// package creates, or of a "skranke-pg" system user made for the purpose
// (the server refuses to run as root, and CI runs as root).
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		u, err = user.Lookup("skranke-pg")
	}
	if err != nil {
		if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "skranke-pg").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("running as root, and no postgres user to run PostgreSQL as could be made: %v: %s", err, out)
		}
		if u, err = user.Lookup("skranke-pg"); err != nil {
			return nil, err
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// StartCluster initialises and starts a private PostgreSQL server and
// creates the template database. It returns ErrNoPostgres when PostgreSQL
// is not installed. The caller must Stop it.
func StartCluster(ctx context.Context) (*Cluster, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "skranke-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, exited: make(chan struct{}), log: &logTail{}}
	fail := func(err error) (*Cluster, error) {
		c.Stop()
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "skranke",
		"--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w: %s", err, out))
	}
	// A free port: the kernel picks one for a listener that is closed at
	// once; the server binds it a moment later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	// The server dies with the test binary even when it is killed.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	c.cmd.Dir = dir
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		return fail(err)
	}
	if err := c.cmd.Start(); err != nil {
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	ready := make(chan struct{})
	go c.watch(stderr, ready)
	select {
	case <-ready:
	case <-c.exited:
		return fail(fmt.Errorf("postgres exited: %s", c.log))
	case <-time.After(60 * time.Second):
		return fail(fmt.Errorf("postgres did not get ready in 60 s: %s", c.log))
	}
	if err := c.exec(ctx, "CREATE DATABASE "+templateDB); err != nil {
		return fail(err)
	}
	db, err := shop.OpenPostgres(ctx, c.url(templateDB), shop.PostgresOptions{MaxConns: 2})
	if err != nil {
		return fail(err)
	}
	db.Close()
	c.template = templateDB
	return c, nil
}

// PID is the process id of the server (the postmaster), whose child
// processes serve the connections: benchmarks add their CPU time to the
// client's and shopd's.
func (c *Cluster) PID() int { return c.cmd.Process.Pid }

// watch reads the server's log, says when it accepts connections, and
// notes when it exits.
func (c *Cluster) watch(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	said := false
	for sc.Scan() {
		line := sc.Text()
		c.log.add(line)
		if !said && strings.Contains(line, "database system is ready to accept connections") {
			said = true
			close(ready)
		}
	}
	c.cmd.Wait()
	close(c.exited)
}

// url is the address of database name on the cluster.
func (c *Cluster) url(name string) string {
	return fmt.Sprintf("postgres://skranke@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// AdminURL is the address of the cluster's maintenance database.
func (c *Cluster) AdminURL() string { return c.url("postgres") }

func (c *Cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// NewDatabase creates an empty, migrated database for tb, dropped when tb
// ends, and returns its URL.
func (c *Cluster) NewDatabase(tb testing.TB) string {
	tb.Helper()
	return c.newDatabase(tb, c.template)
}

// NewEmptyDatabase creates a database without the shop's schema for tb,
// dropped when tb ends, and returns its URL: for tests of migrations.
func (c *Cluster) NewEmptyDatabase(tb testing.TB) string {
	tb.Helper()
	return c.newDatabase(tb, "template0")
}

func (c *Cluster) newDatabase(tb testing.TB, template string) string {
	tb.Helper()
	name, err := c.createDatabase(context.Background(), template)
	if err != nil {
		tb.Fatalf("shoptest: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("shoptest: drop database %s: %v", name, err)
		}
	})
	return c.url(name)
}

// CreateDatabase creates an empty, migrated database and returns its URL;
// it lives until the cluster stops.
func (c *Cluster) CreateDatabase(ctx context.Context) (string, error) {
	name, err := c.createDatabase(ctx, c.template)
	if err != nil {
		return "", err
	}
	return c.url(name), nil
}

func (c *Cluster) createDatabase(ctx context.Context, template string) (string, error) {
	name := fmt.Sprintf("shop_%d", c.n.Add(1))
	if err := c.exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// Stop shuts the server down and removes its folder.
func (c *Cluster) Stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		// SIGINT is PostgreSQL's fast shutdown: sessions are ended, no
		// checkpoint is waited for beyond the shutdown one.
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			<-c.exited
			err = errors.New("postgres did not stop in 30 s; killed")
		}
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// logTail keeps the last lines of the server's log for error messages.
type logTail struct {
	mu    sync.Mutex
	lines []string
}

func (l *logTail) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 20 {
		l.lines = l.lines[len(l.lines)-20:]
	}
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// Postgres is the PostgreSQL cluster of one test binary, started when a
// test first asks for it and stopped by Main after the last test: one
// server for all tests, a database per test.
type Postgres struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Cluster returns the cluster, starting it on first use. Without
// PostgreSQL the test is skipped with a message, or failed in CI (CI set
// to anything), where .ci/setup.sh must have installed it.
func (p *Postgres) Cluster(tb testing.TB) *Cluster {
	tb.Helper()
	p.once.Do(func() { p.c, p.err = StartCluster(context.Background()) })
	if p.c != nil {
		return p.c
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("PostgreSQL is required in CI: %v", p.err)
	}
	tb.Skipf("skipping: no PostgreSQL to test against (.ci/setup.sh installs it): %v", p.err)
	return nil
}

// Stop stops the cluster if it was started.
func (p *Postgres) Stop() error {
	p.once.Do(func() { p.err = errors.New("stopped") })
	if p.c == nil {
		return nil
	}
	return p.c.Stop()
}

// Main is TestMain for a package whose tests use p: it runs the tests,
// stops the cluster and exits.
func Main(m *testing.M, p *Postgres) {
	code := m.Run()
	if err := p.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "shoptest: stop PostgreSQL:", err)
		code = 1
	}
	os.Exit(code)
}
