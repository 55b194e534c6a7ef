package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// queueDB opens the database of a Convene started with env (SQLite in
// dataDir unless env names PostgreSQL), to watch its job queue: tests wait
// for the jobs to be done instead of sleeping.
func queueDB(t *testing.T, dataDir string, env []string) *store.DB {
	t.Helper()
	url := "sqlite:" + filepath.Join(dataDir, "convene.db")
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "CONVENE_DATABASE_URL="); ok && v != "" {
			url = v
		}
	}
	db, err := store.Open(context.Background(), url, store.Options{SkipMigrations: true, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitJobsDone waits until no job is available, running or retrying: every
// side effect that was due has run. Jobs scheduled for later (the sweep of
// late duplicates) may still wait.
func waitJobsDone(t *testing.T, db *store.DB) {
	t.Helper()
	eventually(t, 60*time.Second, "jobs done", func() bool {
		var n int
		err := db.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM river_job
			WHERE state IN ('available', 'pending', 'running', 'retryable')`).Scan(&n)
		return err == nil && n == 0
	})
}
