// Package jobs runs Convene's side effects (create the video meeting, write
// calendar events, send invitations) as durable jobs with retries, on River
// (riverqueue.com) over the same database as the store: SQLite through
// River's riversqlite driver, PostgreSQL through riverdatabasesql with a pgx
// LISTEN connection. A job is inserted in the same transaction as the data
// it acts on, so a committed booking always has its jobs and a rolled-back
// one has none.
//
// River stays behind this small package: the rest of Convene sees Queue,
// Register, Enqueue and the aliases below.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/convene/convene/internal/store"
)

// Args are a job's arguments: a struct with a Kind method, stored as JSON.
type Args = river.JobArgs

// Job is a job being worked.
type Job[T Args] = river.Job[T]

// InsertOpts tune one insert (unique keys, schedule, priority).
type InsertOpts = river.InsertOpts

// UniqueOpts make an insert a no-op when a like job exists. By default a
// like job that completed still counts (until River's cleaner removes it,
// a day later); set ByState to PendingStates for a job that must be able to
// run again.
type UniqueOpts = river.UniqueOpts

// PendingStates are the states of a job that has not finished: with
// UniqueOpts.ByState, an insert is a no-op only while a like job waits or
// runs.
var PendingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// Permanent marks a job's error as final: no retry.
func Permanent(err error) error { return river.JobCancel(err) }

// Snooze puts a job off for d without counting an attempt (a provider's
// rate limit).
func Snooze(d time.Duration) error {
	if d < time.Second {
		d = time.Second
	}
	return river.JobSnooze(d)
}

// Options configure the queue.
type Options struct {
	Log *slog.Logger
	// Workers is the number of jobs worked at once (default 16).
	Workers int
	// Timeout bounds one attempt (default 60 s).
	Timeout time.Duration
	// RescueAfter is when a job still marked running is taken to belong to
	// a dead node and run again (default 2 minutes; more than Timeout).
	RescueAfter time.Duration
	// MaxAttempts before a job is discarded (default 12, about a day with
	// River's backoff).
	MaxAttempts int
	// NodeID names this node stably across restarts (default: random per
	// start). A restarted node takes back at once the jobs its previous
	// run left running, instead of waiting RescueAfter: no other process
	// can be working them.
	NodeID string
}

// Queue is the job queue of one Convene process.
type Queue struct {
	db       *store.DB
	opts     Options
	workers  *river.Workers
	periodic []*river.PeriodicJob
	client   *river.Client[*sql.Tx]

	// base is the context claimed attempts run under (Start's, without its
	// cancellation); claims counts those still running, for Stop.
	base   context.Context
	claims sync.WaitGroup
}

// New returns a queue; register workers, then Start it.
func New(db *store.DB, opts Options) *Queue {
	if opts.Workers == 0 {
		opts.Workers = 16
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.RescueAfter == 0 {
		opts.RescueAfter = 2 * time.Minute
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 12
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Queue{db: db, opts: opts, workers: river.NewWorkers()}
}

// Register adds the worker of one kind of job. Call it before Start.
func Register[T Args](q *Queue, work func(ctx context.Context, job *Job[T]) error) {
	river.AddWorker(q.workers, river.WorkFunc(work))
}

// Every inserts args every interval (on one node of several: River's
// leader). Call it before Start.
func (q *Queue) Every(interval time.Duration, args Args) {
	q.periodic = append(q.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil }, nil))
}

func driver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Engine() == "sqlite" {
		return riversqlite.New(db.SQL())
	}
	return riverdatabasesql.NewWithPgxListener(db.SQL(), db.PgxPool())
}

// Migrate creates or upgrades River's tables beside the store's. On
// PostgreSQL an advisory lock keeps nodes starting at once from racing.
func Migrate(ctx context.Context, db *store.DB) error {
	var drv riverdriver.Driver[*sql.Tx]
	if db.Engine() == "sqlite" {
		drv = riversqlite.New(db.SQL())
	} else {
		drv = riverdatabasesql.New(db.SQL())
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7432002)`); err != nil {
			return fmt.Errorf("jobs: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7432002)`)
	}
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// Start starts working jobs. Jobs a crash left running run again at once:
// on SQLite, which one process owns, all of them, and those waiting for a
// retry are tried now; on PostgreSQL those this node (NodeID) was running.
func (q *Queue) Start(ctx context.Context) error {
	var res sql.Result
	var err error
	switch {
	case q.db.Engine() == "sqlite":
		res, err = q.db.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = CURRENT_TIMESTAMP
			WHERE state IN ('running', 'retryable')`)
	case q.opts.NodeID != "":
		res, err = q.db.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
			WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`, q.opts.NodeID)
	}
	if err != nil {
		return fmt.Errorf("jobs: rescue: %w", err)
	}
	if res != nil {
		if n, _ := res.RowsAffected(); n > 0 {
			q.opts.Log.Info("jobs left by a previous run of this node run again now", "jobs", n)
		}
	}
	c, err := river.NewClient(driver(q.db), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.opts.Workers}},
		Workers:              q.workers,
		PeriodicJobs:         q.periodic,
		JobTimeout:           q.opts.Timeout,
		RescueStuckJobsAfter: q.opts.RescueAfter,
		MaxAttempts:          q.opts.MaxAttempts,
		FetchCooldown:        10 * time.Millisecond,
		FetchPollInterval:    50 * time.Millisecond,
		Logger:               q.opts.Log,
		ID:                   q.opts.NodeID,
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	q.client = c
	q.base = context.WithoutCancel(ctx)
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching and waits for running jobs, claimed attempts
// included (until ctx ends).
func (q *Queue) Stop(ctx context.Context) error {
	if q.client == nil {
		return nil
	}
	err := q.client.Stop(ctx)
	claimed := make(chan struct{})
	go func() { q.claims.Wait(); close(claimed) }()
	select {
	case <-claimed:
	case <-ctx.Done():
		return errors.Join(err, fmt.Errorf("jobs: stop: claimed attempts still running: %w", ctx.Err()))
	}
	return err
}

// ErrNotStarted: Enqueue before Start.
var ErrNotStarted = errors.New("jobs: queue not started")

// Enqueue inserts a job, in tx's transaction when tx is inside one (the
// job commits or rolls back with it).
func (q *Queue) Enqueue(ctx context.Context, tx *store.DB, args Args, opts *InsertOpts) error {
	if q.client == nil {
		return ErrNotStarted
	}
	var err error
	if sqlTx := tx.SQLTx(); sqlTx != nil {
		_, err = q.client.InsertTx(ctx, sqlTx, args, opts)
	} else {
		_, err = q.client.Insert(ctx, args, opts)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}
