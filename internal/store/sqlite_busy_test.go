package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

// busyError returns a real SQLITE_BUSY: an open that may not wait, of a
// database another connection holds in exclusive locking mode.
func busyError(t *testing.T) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "held.db")
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	holder.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA locking_mode=EXCLUSIVE", "CREATE TABLE t(x)", "INSERT INTO t VALUES(1)"} {
		if _, err := holder.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn, err := (&sqlite.Driver{}).Open("file:" + path + "?_pragma=busy_timeout(0)&_pragma=journal_mode(WAL)")
	if err == nil {
		conn.Close()
		t.Fatal("open of a held database succeeded")
	}
	if !isBusy(err) {
		t.Fatalf("open of a held database: %v, want SQLITE_BUSY", err)
	}
	return err
}

// busyDriver answers busy to its first opens, then opens for real.
type busyDriver struct {
	busy  error
	fails int
	opens int
}

func (d *busyDriver) Open(dsn string) (driver.Conn, error) {
	d.opens++
	if d.opens <= d.fails {
		return nil, d.busy
	}
	return (&sqlite.Driver{}).Open(dsn)
}

func TestOpenWaitsOutBusy(t *testing.T) {
	busy := busyError(t)
	dsn := "file:" + filepath.Join(t.TempDir(), "convene.db") + "?_pragma=journal_mode(WAL)"
	ctx := context.Background()

	t.Run("busy then free", func(t *testing.T) {
		drv := &busyDriver{busy: busy, fails: 3}
		waits := 0
		db := sql.OpenDB(&cachingConnector{dsn: dsn, drv: drv, afterBusy: func() { waits++ }})
		defer db.Close()
		if err := db.PingContext(ctx); err != nil {
			t.Fatalf("open after 3 busy answers: %v", err)
		}
		if drv.opens != 4 || waits != 3 {
			t.Errorf("opens = %d, waits = %d; want 4 and 3", drv.opens, waits)
		}
	})
	t.Run("other errors are not retried", func(t *testing.T) {
		drv := &busyDriver{busy: errors.New("disk on fire"), fails: 1}
		_, err := openBusy(ctx, drv, dsn, nil)
		if err == nil || drv.opens != 1 {
			t.Errorf("err = %v after %d opens; want the error after 1", err, drv.opens)
		}
	})
	t.Run("the context ends the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		drv := &busyDriver{busy: busy, fails: 1 << 30}
		_, err := openBusy(ctx, drv, dsn, cancel)
		if !errors.Is(err, context.Canceled) || !isBusy(err) || drv.opens != 1 {
			t.Errorf("err = %v after %d opens; want busy and canceled after 1", err, drv.opens)
		}
	})
}
