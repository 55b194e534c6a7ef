package store

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// Group commit on SQLite. Its one writer connection serializes write
// transactions, and when many wait, handing the connection from one to the
// next (a goroutine woken for each, the writer idle meanwhile) costs as much
// as their work. So the transactions waiting for the writer run as one: the
// first to come leads, running each waiting function in a savepoint of its
// own (SAVEPOINT, then RELEASE, or ROLLBACK TO when it fails), then commits
// them all at once. Each caller gets the outcome of its own function, once
// the commit is durable: a function that fails changes nothing, and the
// others' writes commit. It is the serial order of the functions, so it
// behaves as one transaction after another. PostgreSQL needs none of this:
// its transactions run at once and its commits share their WAL flushes.

// maxGroup bounds the functions of one transaction.
const maxGroup = 64

// txGroup queues the write transactions of a DB for its leader.
type txGroup struct {
	mu      sync.Mutex
	queue   []*groupedTx
	leading bool
}

// groupedTx is one caller's transaction in a group.
type groupedTx struct {
	ctx  context.Context
	fn   func(*DB) error
	done chan groupedResult
}

type groupedResult struct {
	err   error
	panic any // a panic of fn, raised again in its caller
	stack []byte
}

// inGroup runs fn in the next group transaction and returns its outcome.
func (db *DB) inGroup(ctx context.Context, fn func(*DB) error) error {
	g := db.group
	t := &groupedTx{ctx: ctx, fn: fn, done: make(chan groupedResult, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, t)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		db.lead()
	}
	r := <-t.done
	if r.panic != nil {
		panic(fmt.Sprintf("%v\n(in a grouped transaction)\n%s", r.panic, r.stack))
	}
	return r.err
}

// lead runs group transactions until the queue is empty.
func (db *DB) lead() {
	g := db.group
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		db.runGroup(batch)
	}
}

// runGroup runs one group transaction and tells each caller its outcome.
func (db *DB) runGroup(batch []*groupedTx) {
	results := make([]groupedResult, len(batch))
	defer func() {
		for i, t := range batch {
			t.done <- results[i]
		}
	}()
	// lost gives every function not failed already err: their writes are
	// gone with the transaction.
	lost := func(err error) {
		for i := range results {
			if results[i].err == nil && results[i].panic == nil {
				results[i].err = err
			}
		}
	}
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		lost(fmt.Errorf("store: begin: %w", err))
		return
	}
	child := *db
	child.tx = tx
	wrote := false // some function's writes wait for the commit
	for i, t := range batch {
		if err := t.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if _, err := tx.ExecContext(t.ctx, `SAVEPOINT grouped`); err != nil {
			results[i].err = fmt.Errorf("store: savepoint: %w", err)
			continue
		}
		results[i] = runGrouped(t, &child)
		undo := results[i].err != nil || results[i].panic != nil
		if undo {
			if _, err := tx.ExecContext(context.Background(), `ROLLBACK TO grouped`); err != nil {
				tx.Rollback()
				lost(fmt.Errorf("store: rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(context.Background(), `RELEASE grouped`); err != nil {
			tx.Rollback()
			lost(fmt.Errorf("store: release savepoint: %w", err))
			return
		}
		wrote = wrote || !undo
	}
	if !wrote {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		if c := db.d.classify(err); c != nil {
			err = c
		}
		lost(fmt.Errorf("store: commit: %w", err))
	}
}

// runGrouped runs one caller's function, catching its panic for the caller.
func runGrouped(t *groupedTx, tx *DB) (r groupedResult) {
	defer func() {
		if v := recover(); v != nil {
			r = groupedResult{panic: v, stack: debug.Stack()}
		}
	}()
	defer tx.nest.enter()()
	return groupedResult{err: t.fn(tx)}
}
