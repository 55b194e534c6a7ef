package calendar

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/convene/convene/internal/store"
)

// Defaults of the sync worker's concurrency (Options.SyncWorkers,
// Options.SyncPerAccount): a slow source holds a worker for up to
// Limits.SyncTimeout, so one account's slow sources may hold two workers
// and never the rest.
const (
	DefaultSyncWorkers    = 8
	DefaultSyncPerAccount = 2
)

// StartWorker starts the periodic sync of sources. Every tick, and each
// time a sync ends, it starts the syncs of due sources on free workers:
// at most Options.SyncWorkers at once over all accounts and
// Options.SyncPerAccount at once of one account, the accounts taking
// turns (the one served longest ago first), each sync bounded by
// Limits.SyncTimeout. It claims each source first, so that several nodes
// on one database do not sync a source twice (the limits are per node).
// The returned stop ends it and waits for the syncs in progress.
func (s *Service) StartWorker(ctx context.Context, tick time.Duration) (stop func()) {
	if tick <= 0 {
		tick = time.Minute
	}
	ctx, cancel := context.WithCancel(ctx)
	p := s.newSyncPool()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(tick)
		defer t.Stop()
		s.reconcileAllApps(ctx)
		for {
			p.dispatch(ctx)
			select {
			case <-ctx.Done():
				p.wg.Wait()
				return
			case <-t.C:
				// App calendars for users added since, and none left
				// for users, domains and installs gone.
				s.reconcileAllApps(ctx)
			case <-p.freed:
			case <-s.wake:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// SyncDue syncs every source whose next sync is due, as the worker would
// (same limits and turns), waits for them, and returns how many it synced.
func (s *Service) SyncDue(ctx context.Context) int {
	p := s.newSyncPool()
	for ctx.Err() == nil {
		if p.dispatch(ctx) == 0 && p.idle() {
			break
		}
		select {
		case <-ctx.Done():
		case <-p.freed:
		}
	}
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.synced
}

// syncPool runs the syncs of one worker within its limits.
type syncPool struct {
	s                   *Service
	workers, perAccount int
	// freed receives a signal when a sync ends: a worker is free.
	freed chan struct{}
	wg    sync.WaitGroup

	mu        sync.Mutex
	running   int
	byAccount map[string]int
	// served is the turn at which each account last started a sync;
	// the account served longest ago goes first.
	served map[string]uint64
	turn   uint64
	synced int
}

func (s *Service) newSyncPool() *syncPool {
	return &syncPool{s: s, workers: s.opts.SyncWorkers, perAccount: s.opts.SyncPerAccount,
		freed: make(chan struct{}, 1), byAccount: map[string]int{}, served: map[string]uint64{}}
}

func (p *syncPool) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running == 0
}

// dispatch starts syncs of due sources on the free workers and returns
// how many it started.
func (p *syncPool) dispatch(ctx context.Context) int {
	p.mu.Lock()
	free := p.workers - p.running
	p.mu.Unlock()
	if free <= 0 || ctx.Err() != nil {
		return 0
	}
	s := p.s
	now := s.now()
	// Enough candidates to fill every worker from accounts that are not
	// at their limit; the store gives at most perAccount of each.
	due, err := s.store.DueCalendars(ctx, now, p.perAccount, p.workers*p.perAccount*4)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("calendar sync worker: list due sources", "err", err)
		}
		return 0
	}
	started := 0
	for _, c := range p.order(due) {
		if started == free || ctx.Err() != nil {
			break
		}
		p.mu.Lock()
		full := p.byAccount[c.AccountID] >= p.perAccount
		p.mu.Unlock()
		if full {
			continue
		}
		ok, err := s.store.ClaimCalendarSync(ctx, c.AccountID, c.ID, now, now.Add(2*s.opts.Limits.SyncTimeout))
		if err != nil || !ok {
			continue // another node has it
		}
		p.start(ctx, c)
		started++
	}
	return started
}

// order lists the candidates in the accounts' turns: the first source of
// each account, the account served longest ago first, then the second of
// each, and so on.
func (p *syncPool) order(due []store.Calendar) []*store.Calendar {
	byAccount := map[string][]*store.Calendar{}
	var accounts []string
	for i := range due {
		c := &due[i]
		if byAccount[c.AccountID] == nil {
			accounts = append(accounts, c.AccountID)
		}
		byAccount[c.AccountID] = append(byAccount[c.AccountID], c)
	}
	p.mu.Lock()
	slices.SortStableFunc(accounts, func(a, b string) int { return cmp.Compare(p.served[a], p.served[b]) })
	p.mu.Unlock()
	out := make([]*store.Calendar, 0, len(due))
	for round := 0; len(out) < len(due); round++ {
		for _, a := range accounts {
			if cs := byAccount[a]; round < len(cs) {
				out = append(out, cs[round])
			}
		}
	}
	return out
}

// start syncs c on a worker of its own.
func (p *syncPool) start(ctx context.Context, c *store.Calendar) {
	p.mu.Lock()
	p.running++
	p.byAccount[c.AccountID]++
	p.turn++
	p.served[c.AccountID] = p.turn
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := p.s.Sync(ctx, c)
		if err != nil && ctx.Err() == nil {
			p.s.log.Warn("calendar sync worker", "source", c.ID, "err", err)
		}
		p.mu.Lock()
		p.running--
		if p.byAccount[c.AccountID]--; p.byAccount[c.AccountID] == 0 {
			delete(p.byAccount, c.AccountID)
		}
		if err == nil {
			p.synced++
		}
		p.mu.Unlock()
		select {
		case p.freed <- struct{}{}:
		default: // a signal is already waiting
		}
	}()
}
