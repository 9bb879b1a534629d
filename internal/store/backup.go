package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupPostgres: Backup copies SQLite only; a PostgreSQL database is
// backed up with PostgreSQL's own tools (docs/operations.md).
var ErrBackupPostgres = errors.New("store: backup copies an SQLite database only; back up PostgreSQL with pg_basebackup (with WAL archiving) or pg_dump")

// Backup writes a consistent copy of the SQLite database to path while
// the database stays in use: VACUUM INTO on a connection of its own (the
// readers are query_only, which refuses it; the writer would hold up
// every write meanwhile), which reads one snapshot (WAL: writers carry on, the copy holds every commit
// before the snapshot, none after), into a temporary file beside path.
// The copy is synced to disk, checked (PRAGMA quick_check) and only then
// linked to path, so that path never names a partial copy. path must not
// exist. It returns the copy's size in bytes.
func (db *DB) Backup(ctx context.Context, path string) (int64, error) {
	if db.Dialect != SQLite {
		return 0, ErrBackupPostgres
	}
	if _, err := os.Lstat(path); err == nil {
		return 0, fmt.Errorf("store: backup: %s exists; choose a new name", path)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial")
	os.Remove(tmp) // a leftover of an interrupted backup
	src, err := sql.Open("sqlite", "file:"+db.Path+fmt.Sprintf("?_pragma=busy_timeout(%d)", busyTimeoutMillis))
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	src.SetMaxOpenConns(1)
	_, err = src.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	src.Close()
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	size, err := finishBackup(ctx, tmp, path)
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return size, nil
}

// finishBackup syncs the copy at tmp, checks it, and links it to path.
func finishBackup(ctx context.Context, tmp, path string) (int64, error) {
	// VACUUM INTO does not fsync what it wrote.
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("store: backup: sync: %w", err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if err := quickCheck(ctx, tmp); err != nil {
		return 0, err
	}
	// A link, not a rename: it fails if path was made meanwhile.
	if err := os.Link(tmp, path); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	os.Remove(tmp)
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // the rename reaches the disk
		d.Close()
	}
	return fi.Size(), nil
}

// quickCheck opens the copy at path read-only and runs PRAGMA quick_check.
func quickCheck(ctx context.Context, path string) error {
	c, err := sqlOpenReadOnly(path)
	if err != nil {
		return fmt.Errorf("store: backup: open the copy: %w", err)
	}
	defer c.Close()
	var res string
	if err := c.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("store: backup: check the copy: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("store: backup: the copy fails quick_check: %s", res)
	}
	return nil
}

// sqlOpenReadOnly opens one read-only connection to the SQLite file path
// (no WAL switch, nothing written next to it but what SQLite needs to
// read).
func sqlOpenReadOnly(path string) (*sql.DB, error) {
	c, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	c.SetMaxOpenConns(1)
	return c, nil
}
