package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDialect is SQLite through modernc.org/sqlite (pure Go).
type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) forUpdate() string { return "" }

func (sqliteDialect) classify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return ErrConflict
	}
	return nil
}

func (sqliteDialect) lockKey(context.Context, *sql.Tx, string) error { return nil }
func (sqliteDialect) retryable(error) bool                           { return false }

// lockMigrations: the write transaction (BEGIN IMMEDIATE) already holds the
// database lock.
func (sqliteDialect) lockMigrations(context.Context, *sql.Tx) error { return nil }

// openSQLite opens one writer connection, whose transactions start with
// BEGIN IMMEDIATE so that writers queue on the lock instead of failing on
// upgrade, and a pool of readers. WAL lets readers run beside the writer.
func openSQLite(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: sqlite: %w", err)
		}
	}
	if err := privateFiles(path); err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	// busy_timeout first: the other pragmas may need the lock. No mmap:
	// with one writer committing hundreds of times a second, every reader
	// rebuilds its view after each commit, and a 256 MB map cost 40 MB of
	// RSS for the same bookings per second (bench/booking).
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=cache_size(-16000)"
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	write := sql.OpenDB(&cachingConnector{dsn: dsn + "&_txlock=immediate", drv: &sqlite.Driver{}})
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	read := sql.OpenDB(&cachingConnector{dsn: dsn + "&_pragma=query_only(1)", drv: &sqlite.Driver{}})
	read.SetMaxOpenConns(opts.MaxConns)
	read.SetMaxIdleConns(opts.MaxConns)
	return &DB{
		d:     sqliteDialect{},
		write: write,
		read:  read,
		group: &txGroup{},
		close: func() error {
			return errors.Join(read.Close(), write.Close())
		},
	}, nil
}

// privateFiles makes the database readable by its owner only, whatever the
// umask: it creates the file with mode 0600 before SQLite opens it (SQLite
// gives its WAL, shared-memory and journal files the mode of the database
// file), and tightens a database, WAL, shared-memory or journal file an
// earlier version left group- or world-readable.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return err
		}
	case !errors.Is(err, os.ErrExist):
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		fi, err := os.Stat(path + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path+suffix, 0o600); err != nil {
				return fmt.Errorf("make %s private: %w", path+suffix, err)
			}
		}
	}
	return nil
}
