package store

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
)

// A query that a transaction's own code sends outside the transaction (a
// read through the store while InTx's function runs) needs a second
// connection while the transaction holds one. On PostgreSQL both come from
// one pool: once every connection is held by such a transaction, each
// waits for another forever (the pool is shared with the job queue too).
// On SQLite the one writer connection deadlocks at once. Code inside a
// transaction therefore reads through the transaction, or reads before it
// begins.
//
// nestGuard finds such queries when Options.CheckNesting is on (tests,
// through storetest): it knows the goroutines running a transaction's
// function and records a query of theirs that goes to a pool. Go has no
// goroutine-local state, so it reads the goroutine's number from
// runtime.Stack: too slow for production, cheap enough for tests.
type nestGuard struct {
	mu         sync.Mutex
	running    map[uint64]int // goroutine → transactions it runs
	violations []string       // stacks of the queries found
}

// goid returns the calling goroutine's number.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

// enter marks the calling goroutine as running a transaction's function;
// the returned function unmarks it.
func (g *nestGuard) enter() func() {
	if g == nil {
		return func() {}
	}
	id := goid()
	g.mu.Lock()
	g.running[id]++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		if g.running[id]--; g.running[id] <= 0 {
			delete(g.running, id)
		}
		g.mu.Unlock()
	}
}

// check records a query to a pool from a goroutine that runs a
// transaction's function.
func (g *nestGuard) check() {
	if g == nil {
		return
	}
	id := goid()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[id] > 0 && len(g.violations) < 10 {
		g.violations = append(g.violations, string(debug.Stack()))
	}
}

// NestedQueries returns the stacks of the queries sent outside a
// transaction by the code running inside it (Options.CheckNesting), at
// most 10; none when the check is off.
func (db *DB) NestedQueries() []string {
	g := db.nest
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.violations...)
}
