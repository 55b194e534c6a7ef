package jobs_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

type ping struct {
	N int `json:"n"`
}

func (ping) Kind() string { return "test.ping" }

type fail struct{}

func (fail) Kind() string { return "test.fail" }

func TestJobsCommitWithTheTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Migrate(ctx, db); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		q := jobs.New(db, jobs.Options{})
		got := make(chan int, 10)
		var failures atomic.Int32
		jobs.Register(q, func(ctx context.Context, j *jobs.Job[ping]) error { got <- j.Args.N; return nil })
		jobs.Register(q, func(ctx context.Context, j *jobs.Job[fail]) error {
			failures.Add(1)
			return jobs.Permanent(errors.New("no use trying again"))
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)

		// Rolled back: the job never runs.
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.DB) error {
			if err := q.Enqueue(ctx, tx, ping{N: 1}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		// Committed: it runs, once.
		if err := db.InTx(ctx, func(tx *store.DB) error { return q.Enqueue(ctx, tx, ping{N: 2}, nil) }); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n != 2 {
				t.Fatalf("worked job %d, want 2", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("committed job not worked")
		}
		// Unique jobs: a second insert of the same args is a no-op.
		uniq := &jobs.InsertOpts{UniqueOpts: jobs.UniqueOpts{ByArgs: true}}
		for i := 0; i < 2; i++ {
			if err := q.Enqueue(ctx, db, ping{N: 3}, uniq); err != nil {
				t.Fatal(err)
			}
		}
		if n := next(t, got); n != 3 {
			t.Fatalf("worked job %d, want 3", n)
		}
		waitStates(t, db, "test.ping", "completed", "completed")
		// By default it stays a no-op after the job completed…
		if err := q.Enqueue(ctx, db, ping{N: 3}, uniq); err != nil {
			t.Fatal(err)
		}
		if st := states(t, db, "test.ping"); len(st) != 2 {
			t.Fatalf("jobs %v: the completed job did not keep its twin out", st)
		}
		// …but only while pending with PendingStates.
		pending := &jobs.InsertOpts{UniqueOpts: jobs.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}}
		for round := range 2 {
			for i := 0; i < 2; i++ {
				if err := q.Enqueue(ctx, db, ping{N: 4}, pending); err != nil {
					t.Fatal(err)
				}
			}
			if n := next(t, got); n != 4 {
				t.Fatalf("round %d: worked job %d, want 4", round, n)
			}
			want := []string{"completed", "completed", "completed"}
			if round == 1 {
				want = append(want, "completed")
			}
			waitStates(t, db, "test.ping", want...)
		}
		select {
		case n := <-got:
			t.Fatalf("unexpected job %d", n)
		default:
		}
		// A permanent failure is not retried: the job ends cancelled
		// after one attempt.
		if err := q.Enqueue(ctx, db, fail{}, nil); err != nil {
			t.Fatal(err)
		}
		waitStates(t, db, "test.fail", "cancelled")
		if n := failures.Load(); n != 1 {
			t.Fatalf("permanent failure tried %d times", n)
		}
	})
}

// next returns the next job worked, failing after 10 s.
func next(t *testing.T, got <-chan int) int {
	t.Helper()
	select {
	case n := <-got:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no job worked within 10 s")
		return 0
	}
}

// states lists the states of the jobs of a kind, oldest first.
func states(t *testing.T, db *store.DB, kind string) []string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT state FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// waitStates waits until the jobs of a kind are in exactly these states
// (River records a finished job shortly after its worker returns).
func waitStates(t *testing.T, db *store.DB, kind string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := states(t, db, kind)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s jobs: %v, want %v", kind, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
