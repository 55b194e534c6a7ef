package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The SQLite driver (modernc.org/sqlite) parses every query it is given,
// and database/sql keeps no prepared statements of its own for
// db.QueryContext: profiles of the booking benchmark showed a quarter of
// the CPU in SQLite's parser. This connector keeps, per connection, the
// statements it has prepared, keyed by their text, for every caller
// (River's queries included). Written here because no library offers a
// statement cache for database/sql with this driver.

// stmtCacheSize bounds the statements kept per connection.
const stmtCacheSize = 512

// cachingConnector opens SQLite connections whose statements are kept.
type cachingConnector struct {
	dsn string
	drv driver.Driver
	// afterBusy is called after each open answered SQLITE_BUSY (tests).
	afterBusy func()
}

func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := openBusy(ctx, c.drv, c.dsn, c.afterBusy)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: inner, stmts: map[string]*cachedStmt{}}, nil
}

// busyOpenWait bounds how long an open waits out SQLITE_BUSY: as long as
// the busy_timeout pragma lets a statement wait for a lock.
const busyOpenWait = 10 * time.Second

// openBusy opens a connection, retrying while SQLite answers SQLITE_BUSY.
// SQLite returns SQLITE_BUSY at once, without calling the busy handler,
// while another connection closing the database's last handle holds the
// exclusive lock to checkpoint and delete the WAL, while one runs WAL
// recovery, or while one holds the database in exclusive locking mode
// (sqlite.org/wal.html, "Sometimes Queries Return SQLITE_BUSY In WAL
// Mode"). The pragmas of the DSN run at open, so the open fails: two
// processes starting and stopping on one file saw it (1 in 80 runs of
// TestConcurrentMigrate). afterBusy, if set, is called after each busy
// answer (tests wait on it).
func openBusy(ctx context.Context, drv driver.Driver, dsn string, afterBusy func()) (driver.Conn, error) {
	deadline := time.Now().Add(busyOpenWait)
	pause := 5 * time.Millisecond
	for {
		conn, err := drv.Open(dsn)
		if err == nil || !isBusy(err) || time.Now().Add(pause).After(deadline) {
			return conn, err
		}
		if afterBusy != nil {
			afterBusy()
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (gave up waiting: %w)", err, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// isBusy reports whether err is SQLITE_BUSY or one of its extended codes.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

func (c *cachingConnector) Driver() driver.Driver { return c.drv }

// cachingConn is one connection with its statements. database/sql uses a
// connection from one goroutine at a time.
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement; busy while its rows are open, when a
// second use of the same text gets a statement of its own.
type cachedStmt struct {
	st   driver.Stmt
	busy bool
}

var (
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Close() error {
	var errs []error
	for _, s := range c.stmts {
		errs = append(errs, s.st.Close())
	}
	c.stmts = nil
	return errors.Join(append(errs, c.inner.Close())...)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// stmt returns the kept statement of query, preparing it on first use;
// nil when it is in use (rows still open).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) >= stmtCacheSize {
		for q, s := range c.stmts {
			if !s.busy {
				s.st.Close()
				delete(c.stmts, q)
			}
		}
	}
	s := &cachedStmt{st: st}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.inner.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	return s.st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.inner.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := s.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	driver.Rows
	s    *cachedStmt
	once sync.Once
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(func() { r.s.busy = false })
	return err
}

// ColumnTypeDatabaseTypeName passes on the driver's column type names.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}
