package jobs_test

import (
	"context"
	"errors"
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
		<-got
		select {
		case n := <-got:
			t.Fatalf("unexpected job %d", n)
		case <-time.After(500 * time.Millisecond):
		}
		// A permanent failure is not retried.
		if err := q.Enqueue(ctx, db, fail{}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if n := failures.Load(); n != 1 {
			t.Fatalf("permanent failure tried %d times", n)
		}
	})
}
