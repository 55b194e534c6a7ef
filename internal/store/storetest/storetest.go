// Package storetest opens fresh stores for tests: a SQLite file in a temp
// directory, and, when CONVENE_TEST_DATABASE_URL is set, a PostgreSQL schema
// of its own that is dropped afterwards, so runs cannot interfere.
//
// It is imported only by tests.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/testenv"
)

// Engines are the database engines every store test runs on.
var Engines = []string{"sqlite", "postgres"}

// URL returns the URL of a fresh, empty database of the engine: for
// postgres a new schema (dropped when the test ends) on the server of
// CONVENE_TEST_DATABASE_URL. Without that server the test fails under
// CI=true and is skipped elsewhere.
func URL(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "convene.db")
	case "postgres":
		base := testenv.PostgresURL(t)
		return freshSchema(t, base)
	}
	t.Fatalf("storetest: unknown engine %q", engine)
	return ""
}

// Open opens a fresh, migrated store of the engine, closed when the test
// ends. It checks nesting (store.Options.CheckNesting): the test fails
// when code running inside a transaction sent a query outside it, which
// can deadlock a pool under load.
func Open(t testing.TB, engine string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t, engine), store.Options{CheckNesting: true})
	if err != nil {
		t.Fatalf("storetest: open %s: %v", engine, err)
	}
	// Registered first, so it runs last: after the test's own clean-ups
	// stopped what still used the store.
	t.Cleanup(func() {
		for _, stack := range db.NestedQueries() {
			t.Errorf("a query went outside the transaction its caller runs in (it needs a second connection while the transaction holds one):\n%s", stack)
		}
		db.Close()
	})
	return db
}

// Each runs f as a subtest on a fresh store of every engine.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { f(t, Open(t, e)) })
	}
}

func freshSchema(t testing.TB, base string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: CONVENE_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
