package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"strings"
	"time"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dialect holds what differs between SQLite and PostgreSQL.
type dialect interface {
	name() string
	// classify maps a driver error to ErrConflict or ErrOverlap, or returns
	// nil when it is neither.
	classify(err error) error
	// lockMigrations serializes migrations across processes, inside tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// forUpdate is the suffix that locks selected rows ("" on SQLite,
	// whose write transactions already hold the database lock).
	forUpdate() string
	// lockKey takes a transaction-scoped lock named by key (nothing on
	// SQLite, whose write transactions are already exclusive).
	lockKey(ctx context.Context, tx *sql.Tx, key string) error
	// retryable reports whether a transaction failed only because of
	// another one (a deadlock, a serialization failure) and may run again.
	retryable(err error) bool
}

// DB is the SQL implementation of Store.
type DB struct {
	d     dialect
	write *sql.DB // SQLite: the one writer connection
	read  *sql.DB // SQLite: a read-only pool; PostgreSQL: the same pool
	tx    *sql.Tx // set inside Tx
	close func() error
	pool  *pgxpool.Pool // PostgreSQL only
	group *txGroup      // SQLite only: write transactions grouped (group.go)
	nest  *nestGuard    // Options.CheckNesting (nesting.go)
}

var _ Store = (*DB)(nil)

// Options configure Open.
type Options struct {
	// MaxConns bounds the PostgreSQL pool and the SQLite read pool
	// (default 8).
	MaxConns int
	// SkipMigrations opens without migrating, for callers that run
	// MigrateReport themselves.
	SkipMigrations bool
	// CheckNesting records the queries that code running inside a
	// transaction sends outside it (NestedQueries): each needs a second
	// connection while the transaction holds one, which can deadlock
	// the pool (nesting.go). For tests: it costs a stack read per query.
	CheckNesting bool
}

// Open opens the database named by url ("sqlite:PATH" or "postgres://…")
// and applies the pending migrations.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.MaxConns <= 0 {
		opts.MaxConns = 8
	}
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		db, err = openSQLite(ctx, strings.TrimPrefix(url, "sqlite:"), opts)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(ctx, url, opts)
	default:
		return nil, fmt.Errorf("store: unknown database URL scheme in %q", redactURL(url))
	}
	if err != nil {
		return nil, err
	}
	if opts.CheckNesting {
		db.nest = &nestGuard{running: map[uint64]int{}}
	}
	if opts.SkipMigrations {
		return db, nil
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Engine implements Store.
func (db *DB) Engine() string { return db.d.name() }

// Close implements Store.
func (db *DB) Close() error {
	if db.tx != nil {
		return errors.New("store: Close inside a transaction")
	}
	return db.close()
}

// PgxPool returns the PostgreSQL pool (nil on SQLite): the job queue takes
// dedicated LISTEN connections from it.
func (db *DB) PgxPool() *pgxpool.Pool { return db.pool }

// SQL returns the underlying writer pool, for the job queue that must share
// transactions with the store.
func (db *DB) SQL() *sql.DB { return db.write }

// r is the querier for reads: the transaction inside Tx, else the read pool.
func (db *DB) r() querier {
	if db.tx != nil {
		return db.tx
	}
	db.nest.check()
	return db.read
}

// w is the querier for writes.
func (db *DB) w() querier {
	if db.tx != nil {
		return db.tx
	}
	db.nest.check()
	return db.write
}

// Tx implements Store.
func (db *DB) Tx(ctx context.Context, fn func(Store) error) error {
	return db.InTx(ctx, func(tx *DB) error { return fn(tx) })
}

// InTx is Tx with the concrete type, for packages that add queries of
// their own to the same transaction.
//
// A transaction that fails only because of a concurrent one (PostgreSQL's
// deadlock detection between conflicting inserts, a serialization failure)
// runs again, up to three times: fn must touch nothing but the database.
func (db *DB) InTx(ctx context.Context, fn func(*DB) error) error {
	if db.tx != nil {
		return fn(db)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = db.inTx(ctx, fn)
		if err == nil || !db.d.retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

// LockKey takes a lock named by key until the transaction ends, so that
// transactions about one thing (an organizer's bookings) run one after the
// other. Outside a transaction it does nothing.
func (db *DB) LockKey(ctx context.Context, key string) error {
	if db.tx == nil {
		return nil
	}
	if err := db.d.lockKey(ctx, db.tx, key); err != nil {
		return fmt.Errorf("store: lock %s: %w", key, err)
	}
	return nil
}

func (db *DB) inTx(ctx context.Context, fn func(*DB) error) error {
	if db.group != nil {
		return db.inGroup(ctx, fn)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback() // not left open, holding its connection
			panic(p)
		}
	}()
	child := *db
	child.tx = tx
	err = func() error {
		defer db.nest.enter()()
		return fn(&child)
	}()
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		if c := db.d.classify(err); c != nil {
			return fmt.Errorf("store: commit: %w", c)
		}
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// SQLTx returns the transaction when db is inside one, else nil.
func (db *DB) SQLTx() *sql.Tx { return db.tx }

// wrap adds context to a driver error and maps constraint errors and
// sql.ErrNoRows to the package's errors.
func (db *DB) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	if c := db.d.classify(err); c != nil {
		return fmt.Errorf("store: %s: %w", what, c)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// mustAffect returns ErrNotFound when an update or delete touched no row.
func (db *DB) mustAffect(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return db.wrap(err, format, args...)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return db.wrap(err, format, args...)
	}
	if n == 0 {
		return db.wrap(sql.ErrNoRows, format, args...)
	}
	return nil
}

// ms converts a time to the Unix milliseconds stored in the database.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored Unix milliseconds to a UTC time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// redactURL hides the password of a database URL for messages.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	cred := u[scheme+3 : at]
	if user, _, ok := strings.Cut(cred, ":"); ok {
		return u[:scheme+3] + user + ":xxxxx" + u[at:]
	}
	return u
}
