package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/convene/convene/internal/store"
)

// A claimed job is one this process works at once, in the request that
// enqueued it, instead of waiting for the queue to fetch it: the request
// that books a meeting creates its video meeting right after the commit.
//
// It is inserted, in the caller's transaction, as already running on this
// node: its first attempt. The queue never fetches a running job, so the
// claimed attempt runs alone; and should the process die during it, the
// queue's own recovery takes the job back exactly as it takes back any job
// a dead process was running: at once when the node restarts (Start), on
// another node after RescueAfter. A claimed attempt is bounded by Timeout,
// like every attempt, and Stop waits for it.
//
// The attempt ends one of two ways. Its work records its outcome and calls
// Done in the same transaction, which removes the job: nothing is left for
// the queue. Or it returns an error, and the job goes back to the queue as
// River treats a worker's error: Snooze puts it off without counting the
// attempt, Permanent cancels it, any other error retries it after River's
// backoff, or discards it after the last attempt.

// Claim is a job claimed by EnqueueClaimed.
type Claim struct {
	q    *Queue
	row  *rivertype.JobRow
	done atomic.Bool
}

// EnqueueClaimed inserts args in tx's transaction (which it must be inside)
// as a job this process works at once: see Claim. Unique options do not
// apply: the caller knows the job is new.
func (q *Queue) EnqueueClaimed(ctx context.Context, tx *store.DB, args Args) (*Claim, error) {
	if q.client == nil {
		return nil, ErrNotStarted
	}
	sqlTx := tx.SQLTx()
	if sqlTx == nil {
		return nil, fmt.Errorf("jobs: claim %s: not in a transaction", args.Kind())
	}
	encoded, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("jobs: claim %s: %w", args.Kind(), err)
	}
	now := time.Now().UTC()
	row, err := q.client.Driver().UnwrapExecutor(sqlTx).JobInsertFull(ctx, &riverdriver.JobInsertFullParams{
		Attempt: 1, AttemptedAt: &now, AttemptedBy: []string{q.client.ID()},
		CreatedAt: &now, ScheduledAt: &now, EncodedArgs: encoded, Kind: args.Kind(),
		MaxAttempts: q.opts.MaxAttempts, Metadata: []byte("{}"), Priority: 1, Queue: river.QueueDefault,
		State: rivertype.JobStateRunning, Tags: []string{},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: claim %s: %w", args.Kind(), err)
	}
	return &Claim{q: q, row: row}, nil
}

// ID is the job's id.
func (c *Claim) ID() int64 { return c.row.ID }

// Attempt is the claimed attempt's number (1), MaxAttempts the job's limit:
// what Job.Attempt and Job.MaxAttempts are to a worker.
func (c *Claim) Attempt() int { return c.row.Attempt }

// MaxAttempts is the number of attempts before the job is discarded.
func (c *Claim) MaxAttempts() int { return c.row.MaxAttempts }

// Done removes the job in tx, the transaction that records the claimed
// attempt's outcome: the outcome and the end of the job commit together.
func (c *Claim) Done(ctx context.Context, tx *store.DB) error {
	sqlTx := tx.SQLTx()
	if sqlTx == nil {
		return fmt.Errorf("jobs: claimed job %d done: not in a transaction", c.row.ID)
	}
	res, err := sqlTx.ExecContext(ctx, `DELETE FROM river_job WHERE id = $1 AND state = 'running'`, c.row.ID)
	if err != nil {
		return fmt.Errorf("jobs: claimed job %d done: %w", c.row.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		// Rescued meanwhile (the attempt outlived RescueAfter): another
		// attempt owns the job now, and this one's outcome must not commit.
		return fmt.Errorf("jobs: claimed job %d done: %w", c.row.ID, ErrClaimLost)
	}
	c.done.Store(true)
	return nil
}

// ErrClaimLost: the claimed job was taken back by the queue's recovery
// before its attempt ended.
var ErrClaimLost = errors.New("the job was rescued before its claimed attempt ended")

// Work runs work as the claimed attempt in a goroutine of its own, as the
// queue runs a job: under the queue's context (not the caller's, which may
// end first: a client hanging up does not stop the attempt) with the job
// timeout, recovering a panic, and waited for by Stop. The returned channel
// is closed when the attempt has ended and its job is done or back in the
// queue.
func (c *Claim) Work(work func(ctx context.Context) error) <-chan struct{} {
	ended := make(chan struct{})
	c.q.claims.Add(1)
	go func() {
		defer c.q.claims.Done()
		defer close(ended)
		start := time.Now().UTC()
		err := c.run(work)
		if err == nil {
			if !c.done.Load() {
				// The work had nothing to record: the job is complete.
				c.report(riverdriver.JobSetStateCompleted(c.row.ID, time.Now().UTC(), nil), err)
			}
			return
		}
		c.report(c.outcome(start, err), err)
	}()
	return ended
}

func (c *Claim) run(work func(ctx context.Context) error) (err error) {
	ctx, cancel := context.WithTimeout(c.q.base, c.q.opts.Timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("jobs: claimed job %d (%s) panicked: %v\n%s", c.row.ID, c.row.Kind, v, debug.Stack())
		}
	}()
	return work(ctx)
}

// outcome is what River does with a worker's error (river's job executor):
// snoozed, cancelled, discarded after the last attempt, else retried after
// the default backoff.
func (c *Claim) outcome(start time.Time, err error) *riverdriver.JobSetStateIfRunningParams {
	now := time.Now().UTC()
	if se, ok := errors.AsType[*rivertype.JobSnoozeError](err); ok {
		at := now.Add(se.Duration)
		if se.Duration <= schedulerInterval {
			return riverdriver.JobSetStateSnoozedAvailable(c.row.ID, at, c.row.Attempt-1, nil)
		}
		return riverdriver.JobSetStateSnoozed(c.row.ID, at, c.row.Attempt-1, nil)
	}
	errData, _ := json.Marshal(rivertype.AttemptError{At: start, Attempt: c.row.Attempt, Error: err.Error()})
	if _, ok := errors.AsType[*rivertype.JobCancelError](err); ok {
		return riverdriver.JobSetStateCancelled(c.row.ID, now, errData, nil)
	}
	if c.row.Attempt >= c.row.MaxAttempts {
		return riverdriver.JobSetStateDiscarded(c.row.ID, now, errData, nil)
	}
	at := (&river.DefaultClientRetryPolicy{}).NextRetry(c.row)
	if at.Sub(now) <= schedulerInterval {
		return riverdriver.JobSetStateErrorAvailable(c.row.ID, at, errData, nil)
	}
	return riverdriver.JobSetStateErrorRetryable(c.row.ID, at, errData, nil)
}

// schedulerInterval is River's default interval of its scheduler, which
// makes scheduled and retryable jobs available when they are due: sooner
// than that, River makes them available at once with their time set.
const schedulerInterval = 5 * time.Second

// report records the claimed attempt's end; should that fail, the job stays
// running and the queue's recovery takes it back later.
func (c *Claim) report(p *riverdriver.JobSetStateIfRunningParams, workErr error) {
	ctx, cancel := context.WithTimeout(c.q.base, 30*time.Second)
	defer cancel()
	exec := c.q.client.Driver().GetExecutor()
	_, err := exec.JobSetStateIfRunningMany(ctx, &riverdriver.JobSetStateIfRunningManyParams{
		ID: []int64{p.ID}, Attempt: []*int{p.Attempt}, ErrData: [][]byte{p.ErrData}, FinalizedAt: []*time.Time{p.FinalizedAt},
		MetadataDoMerge: []bool{false}, MetadataUpdates: [][]byte{nil}, ScheduledAt: []*time.Time{p.ScheduledAt},
		State: []rivertype.JobState{p.State},
	})
	log := c.q.opts.Log.With("job_id", c.row.ID, "job_kind", c.row.Kind)
	if err != nil {
		log.Error("jobs: claimed attempt's end not recorded; the queue takes the job back later", "err", err, "work_err", workErr)
		return
	}
	if workErr != nil {
		log.Info("jobs: claimed attempt ended; the job goes back to the queue", "state", p.State, "err", workErr)
	}
}
