package calendar

import (
	"context"
	"sync"
	"time"
)

// workerBatch bounds the sources one tick syncs.
const workerBatch = 20

// StartWorker starts the periodic sync of sources: every tick it syncs
// the sources whose next sync is due, one after the other (each bounded
// by Limits.SyncTimeout), claiming each first so that several nodes on
// one database do not sync a source twice. The returned stop ends it and
// waits for the sync in progress. It is deliberately small, to be
// replaced by a job of the jobs queue.
func (s *Service) StartWorker(ctx context.Context, tick time.Duration) (stop func()) {
	if tick <= 0 {
		tick = time.Minute
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			s.SyncDue(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// SyncDue syncs the sources whose next sync is due and returns how many it
// synced.
func (s *Service) SyncDue(ctx context.Context) int {
	now := s.now()
	due, err := s.store.DueCalendars(ctx, now, workerBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("calendar sync worker: list due sources", "err", err)
		}
		return 0
	}
	n := 0
	for i := range due {
		if ctx.Err() != nil {
			break
		}
		c := &due[i]
		ok, err := s.store.ClaimCalendarSync(ctx, c.AccountID, c.ID, now, now.Add(2*s.opts.Limits.SyncTimeout))
		if err != nil || !ok {
			continue
		}
		if err := s.Sync(ctx, c); err != nil {
			s.log.Warn("calendar sync worker", "source", c.ID, "err", err)
			continue
		}
		n++
	}
	return n
}
