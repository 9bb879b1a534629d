// Package storetest gives tests real databases: a fresh SQLite file per test,
// and a fresh database per test on a throwaway PostgreSQL cluster that is
// started once per test binary from the installed server binaries
// (`pg_config --bindir`) and removed when the binary exits.
//
// Without PostgreSQL binaries the PostgreSQL half of a test skips with a clear
// message, unless SAIFU_REQUIRE_POSTGRES=1, which turns the skip into a
// failure. Packages that use PostgreSQL must call storetest.Main from their
// TestMain so that the cluster is stopped when the tests end.
package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	Dir  string
	Port int
	cmd  *exec.Cmd
	cred *syscall.Credential
	mu   sync.Mutex
	n    int
}

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Main runs the tests of a package and stops the shared cluster afterwards.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	os.Exit(code)
}

// PostgresURL returns the URL of a new, empty database on the shared
// throwaway cluster, starting the cluster on first use. It skips the test
// (or fails it, with SAIFU_REQUIRE_POSTGRES=1) when PostgreSQL is missing.
func PostgresURL(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = StartCluster() })
	if sharedErr != nil {
		if os.Getenv("SAIFU_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL required (SAIFU_REQUIRE_POSTGRES=1) but unavailable: %v", sharedErr)
		}
		t.Skipf("PostgreSQL unavailable, skipping the PostgreSQL half (install the postgresql package; set SAIFU_REQUIRE_POSTGRES=1 to fail instead): %v", sharedErr)
	}
	url, err := shared.CreateDB(fmt.Sprintf("t_%s", sanitize(t.Name())))
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	return url
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[:40]
	}
	return out
}

// BinDir finds the PostgreSQL server binaries.
func BinDir() (string, error) {
	if d := os.Getenv("SAIFU_PG_BINDIR"); d != "" {
		return d, nil
	}
	out, err := exec.Command("pg_config", "--bindir").Output()
	if err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	// Debian's libpq-dev pg_config may name /usr/bin; the server lives here.
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", errors.New("no initdb found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
}

// StartCluster initialises and starts a new cluster on a free loopback port.
// PostgreSQL refuses to run as root, so as root the server runs as the
// unprivileged "postgres" user (or "nobody").
func StartCluster() (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "saifu-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir}
	if os.Geteuid() == 0 {
		cred, err := unprivileged()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.cred = cred
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := c.command(filepath.Join(bin, "initdb"), "-D", data, "-U", "saifu", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	for attempt := 0; attempt < 5; attempt++ {
		c.Port, err = freePort()
		if err != nil {
			break
		}
		if err = c.start(bin, data); err == nil {
			return c, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func (c *Cluster) start(bin, data string) error {
	var logBuf bytes.Buffer
	c.cmd = c.command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(c.Port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+c.Dir,
		"-c", "max_connections=300", "-c", "shared_buffers=128MB",
		// A test cluster is thrown away: skip fsync for speed. Durability of
		// saifu's own acknowledgements is tested by killing saifu, not the server.
		"-c", "fsync=off", "-c", "full_page_writes=off")
	c.cmd.Stdout, c.cmd.Stderr = &logBuf, &logBuf
	c.cmd.SysProcAttr.Setpgid = true
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("postgres exited: %v: %s", err, logBuf.String())
		case <-deadline:
			c.cmd.Process.Kill()
			return fmt.Errorf("postgres did not start in 30s: %s", logBuf.String())
		case <-time.After(50 * time.Millisecond):
		}
		db, err := sql.Open("pgx", c.url("postgres"))
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			go func() { <-done }()
			return nil
		}
	}
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	cmd.Dir = c.Dir
	return cmd
}

func (c *Cluster) url(db string) string {
	return fmt.Sprintf("postgres://saifu@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// CreateDB creates a new database named after prefix and returns its URL.
func (c *Cluster) CreateDB(prefix string) (string, error) {
	c.mu.Lock()
	c.n++
	name := fmt.Sprintf("%s_%d", prefix, c.n)
	c.mu.Unlock()
	admin, err := sql.Open("pgx", c.url("postgres"))
	if err != nil {
		return "", err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.url(name), nil
}

// Stop stops the server and removes its files.
func (c *Cluster) Stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		for i := 0; i < 100; i++ {
			if c.cmd.Process.Signal(syscall.Signal(0)) != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.cmd.Process.Kill()
	}
	os.RemoveAll(c.Dir)
}

// URL returns the connection URL of database db on this cluster.
func (c *Cluster) URL(db string) string { return c.url(db) }

func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
