package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresDialect is PostgreSQL through a pgx pool.
type postgresDialect struct{}

func (postgresDialect) name() string      { return "postgres" }
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

func (postgresDialect) classify(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "23505": // unique_violation
		return ErrConflict
	case "23P01": // exclusion_violation
		return ErrOverlap
	}
	return nil
}

// lockKey takes a transaction-scoped advisory lock on the key's hash.
func (postgresDialect) lockKey(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7432))`, key)
	return err
}

// retryable: deadlock_detected (40P01) and serialization_failure (40001).
func (postgresDialect) retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// lockMigrations takes a transaction-scoped advisory lock, so that several
// nodes starting at once apply each migration once.
func (postgresDialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7432001)`)
	return err
}

func openPostgres(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: bad URL %s: %w", redactURL(url), err)
	}
	cfg.MaxConns = int32(opts.MaxConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: connect %s: %w", redactURL(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: postgres: connect %s: %w", redactURL(url), err)
	}
	db := stdlib.OpenDBFromPool(pool)
	return &DB{
		d:     postgresDialect{},
		write: db,
		read:  db,
		pool:  pool,
		close: func() error {
			err := db.Close()
			pool.Close()
			return err
		},
	}, nil
}
