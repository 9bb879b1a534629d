package store

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrations is one package's set of numbered migrations: files named
// NNN_description.sql in FS, applied in order, each in its own transaction,
// and recorded in schema_migrations under Set. Where the dialects need
// different SQL, NNN_description.sqlite.sql and NNN_description.postgres.sql
// stand side by side and each database runs its own.
type Migrations struct {
	Set string
	FS  fs.FS
}

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies every migration of every set that the database has not yet
// recorded. On PostgreSQL an advisory lock keeps concurrent nodes from
// migrating at once.
func (db *DB) Migrate(ctx context.Context, sets ...Migrations) error {
	// The table is created under the migrations' lock too: two nodes
	// starting at once on a new PostgreSQL database would otherwise race
	// in CREATE TABLE IF NOT EXISTS (a unique violation on pg_type).
	err := db.Write(ctx, func(tx *Tx) error {
		if err := tx.Serialise(ctx, lockMigrations); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		set_name TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		PRIMARY KEY (set_name, version))`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, set := range sets {
		ms, err := db.load(set)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := db.apply(ctx, set.Set, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockMigrations keeps concurrent nodes from migrating at once.
const lockMigrations = 7311

func (db *DB) apply(ctx context.Context, set string, m migration) error {
	return db.Write(ctx, func(tx *Tx) error {
		if err := tx.Serialise(ctx, lockMigrations); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE set_name = ? AND version = ?`, set, m.version).Scan(&n); err != nil {
			return fmt.Errorf("store: read schema_migrations: %w", err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %s/%s: %w", set, m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (set_name, version, name) VALUES (?, ?, ?)`, set, m.version, m.name); err != nil {
			return fmt.Errorf("store: record migration %s/%s: %w", set, m.name, err)
		}
		return nil
	})
}

func (db *DB) load(set Migrations) ([]migration, error) {
	entries, err := fs.ReadDir(set.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations of %s: %w", set.Set, err)
	}
	other := Postgres
	if db.Dialect == Postgres {
		other = SQLite
	}
	byVersion := map[int]migration{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") || strings.HasSuffix(name, "."+string(other)+".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s/%s: name must start with a positive number and _", set.Set, name)
		}
		body, err := fs.ReadFile(set.FS, name)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s/%s: %w", set.Set, name, err)
		}
		if prev, dup := byVersion[v]; dup {
			return nil, fmt.Errorf("store: migrations %s/%s and %s share version %d", set.Set, prev.name, name, v)
		}
		byVersion[v] = migration{version: v, name: name, sql: string(body)}
	}
	ms := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// EmbeddedMigrations returns the migration set named set from the
// directory dir of an embedded file system (a package's
// `//go:embed migrations/*.sql`). A wrong dir is a programming error and
// panics at start.
func EmbeddedMigrations(set string, files fs.FS, dir string) Migrations {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(fmt.Sprintf("store: migrations of %s: %v", set, err))
	}
	return Migrations{Set: set, FS: sub}
}
