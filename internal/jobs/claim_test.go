package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

type claimed struct {
	N int `json:"n"`
}

func (claimed) Kind() string { return "test.claimed" }

// attempt is one run of a claimed job by the queue's worker.
type attempt struct {
	n, attempt int
}

// claimQueue starts a queue over db whose worker of test.claimed reports
// every attempt on the returned channel.
func claimQueue(t *testing.T, db *store.DB, opts jobs.Options) (*jobs.Queue, chan attempt) {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q := jobs.New(db, opts)
	worked := make(chan attempt, 10)
	jobs.Register(q, func(ctx context.Context, j *jobs.Job[claimed]) error {
		worked <- attempt{n: j.Args.N, attempt: j.Attempt}
		return nil
	})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return q, worked
}

func claim(t *testing.T, db *store.DB, q *jobs.Queue, n int) *jobs.Claim {
	t.Helper()
	var c *jobs.Claim
	err := db.InTx(context.Background(), func(tx *store.DB) error {
		var err error
		c, err = q.EnqueueClaimed(context.Background(), tx, claimed{N: n})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Attempt() != 1 || c.MaxAttempts() != 12 {
		t.Fatalf("claimed attempt %d of %d", c.Attempt(), c.MaxAttempts())
	}
	return c
}

// TestClaimedJobDone: a claimed attempt that records its outcome with Done
// leaves nothing for the queue, which never works the job: one attempt,
// ever.
func TestClaimedJobDone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, worked := claimQueue(t, db, jobs.Options{})
		defer q.Stop(ctx)

		// Outside a transaction there is nothing to claim in.
		if _, err := q.EnqueueClaimed(ctx, db, claimed{N: 0}); err == nil {
			t.Fatal("claimed outside a transaction")
		}
		// Rolled back: no job.
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.DB) error {
			if _, err := q.EnqueueClaimed(ctx, tx, claimed{N: 1}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		c := claim(t, db, q, 2)
		if st := states(t, db, "test.claimed"); len(st) != 1 || st[0] != "running" {
			t.Fatalf("claimed job: %v, want one running", st)
		}
		<-c.Work(func(ctx context.Context) error {
			return db.InTx(ctx, func(tx *store.DB) error { return c.Done(ctx, tx) })
		})
		waitStates(t, db, "test.claimed")
		// A done claim cannot be done again (its job is gone).
		if err := db.InTx(ctx, func(tx *store.DB) error { return c.Done(ctx, tx) }); !errors.Is(err, jobs.ErrClaimLost) {
			t.Fatalf("second Done: %v", err)
		}
		// Nothing to record: the job completes.
		c = claim(t, db, q, 3)
		<-c.Work(func(context.Context) error { return nil })
		waitStates(t, db, "test.claimed", "completed")
		select {
		case a := <-worked:
			t.Fatalf("the queue worked claimed job %d", a.n)
		case <-time.After(300 * time.Millisecond): // several fetch intervals
		}
	})
}

// TestClaimedJobBackToQueue: a claimed attempt that fails hands its job to
// the queue as River treats a worker's error.
func TestClaimedJobBackToQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, worked := claimQueue(t, db, jobs.Options{})
		defer q.Stop(ctx)

		// An error: retried by the queue as its second attempt.
		c := claim(t, db, q, 1)
		<-c.Work(func(context.Context) error { return errors.New("provider down") })
		if a := nextAttempt(t, worked); a != (attempt{n: 1, attempt: 2}) {
			t.Fatalf("after an error: %+v, want job 1's attempt 2", a)
		}
		// A panic is an error too.
		c = claim(t, db, q, 2)
		<-c.Work(func(context.Context) error { panic("bug") })
		if a := nextAttempt(t, worked); a != (attempt{n: 2, attempt: 2}) {
			t.Fatalf("after a panic: %+v, want job 2's attempt 2", a)
		}
		// Snoozed: not counted as an attempt.
		c = claim(t, db, q, 3)
		<-c.Work(func(context.Context) error { return jobs.Snooze(time.Second) })
		if a := nextAttempt(t, worked); a != (attempt{n: 3, attempt: 1}) {
			t.Fatalf("after a snooze: %+v, want job 3's attempt 1", a)
		}
		// Permanent: cancelled, never worked again.
		c = claim(t, db, q, 4)
		<-c.Work(func(context.Context) error { return jobs.Permanent(errors.New("refused")) })
		waitStates(t, db, "test.claimed", "completed", "completed", "completed", "cancelled")
		select {
		case a := <-worked:
			t.Fatalf("cancelled claim worked: %+v", a)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

// TestClaimedJobOfADeadProcess: a claim whose process died before its
// attempt ended (here: never worked) is taken back when the node starts
// again, like any job it was running.
func TestClaimedJobOfADeadProcess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, _ := claimQueue(t, db, jobs.Options{NodeID: "node-a"})
		claim(t, db, q, 7) // the process "dies" before working it
		if err := q.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		q, worked := claimQueue(t, db, jobs.Options{NodeID: "node-a"})
		defer q.Stop(ctx)
		if a := nextAttempt(t, worked); a != (attempt{n: 7, attempt: 2}) {
			t.Fatalf("after a restart: %+v, want job 7's attempt 2", a)
		}
	})
}

// TestStopWaitsForClaims: Stop returns once claimed attempts have ended.
func TestStopWaitsForClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, _ := claimQueue(t, db, jobs.Options{})
		c := claim(t, db, q, 1)
		started, release := make(chan struct{}), make(chan struct{})
		ended := c.Work(func(ctx context.Context) error {
			close(started)
			<-release
			return db.InTx(ctx, func(tx *store.DB) error { return c.Done(ctx, tx) })
		})
		<-started
		stopped := make(chan error, 1)
		go func() { stopped <- q.Stop(ctx) }()
		select {
		case <-stopped:
			t.Fatal("Stop returned while a claimed attempt ran")
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		<-ended
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		waitStates(t, db, "test.claimed")
	})
}

func nextAttempt(t *testing.T, worked <-chan attempt) attempt {
	t.Helper()
	select {
	case a := <-worked:
		return a
	case <-time.After(15 * time.Second):
		t.Fatal("no attempt within 15 s")
		return attempt{}
	}
}
