package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// reconcile compares an account's booked meetings with its hosts' meetings
// at each provider that lists them (the apps of the catalog with
// Reconcile) and repairs drift: a meeting deleted at the provider (a lost
// webhook) is cancelled everywhere; a provider meeting Convene made for a
// booking that was cancelled or failed meanwhile (an orphan of a crash) is
// deleted.
type reconcile struct {
	AccountID string `json:"account_id"`
}

// Kind implements jobs.Args.
func (reconcile) Kind() string { return "video.reconcile" }

// reconcileAll queues a reconciliation of every account with an app
// installed that the reconciler compares.
type reconcileAll struct{}

// Kind implements jobs.Args.
func (reconcileAll) Kind() string { return "video.reconcile_all" }

// ReconcileEvery runs the reconciler of every account periodically.
func (s *Service) ReconcileEvery(q *jobs.Queue, interval time.Duration) {
	q.Every(interval, reconcileAll{})
}

func (s *Service) workReconcileAll(ctx context.Context, job *jobs.Job[reconcileAll]) error {
	return s.ReconcileAll(ctx)
}

// ReconcileAll queues a reconciliation of every account with an app
// installed that the reconciler compares (App.Reconcile), unless one is
// already waiting or running.
func (s *Service) ReconcileAll(ctx context.Context) error {
	var ids []string
	for _, a := range s.VideoApps().Apps() {
		if !a.Reconcile {
			continue
		}
		installed, err := s.Store.InstalledAccounts(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, id := range installed {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		// Not uniqueArgs: a reconciliation that completed must not stop
		// the next one.
		if err := s.Jobs.Enqueue(ctx, s.Store, reconcile{AccountID: id}, &jobs.InsertOpts{UniqueOpts: whilePending}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) workReconcile(ctx context.Context, job *jobs.Job[reconcile]) error {
	_, err := s.Reconcile(ctx, job.Args.AccountID)
	return err
}

// Drift is what a reconciliation repaired.
type Drift struct {
	Cancelled []string // Convene meetings whose provider meeting was gone
	Deleted   []string // orphan provider meetings deleted
}

// Reconcile repairs the drift between an account's meetings and each
// provider the reconciler compares (App.Reconcile) that the account has
// installed.
func (s *Service) Reconcile(ctx context.Context, accountID string) (*Drift, error) {
	drift := &Drift{}
	for _, a := range s.VideoApps().Apps() {
		if !a.Reconcile {
			continue
		}
		if err := s.reconcileApp(ctx, accountID, a.ID, drift); err != nil {
			return nil, err
		}
	}
	return drift, nil
}

// reconcileApp repairs the drift between an account's meetings and the
// provider app, adding what it repaired to drift.
func (s *Service) reconcileApp(ctx context.Context, accountID, app string, drift *Drift) error {
	in, err := s.Store.Install(ctx, accountID, app)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.State != store.InstallInstalled) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now()
	all, err := s.Store.VideoMeetings(ctx, accountID, app, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	hosts := map[string]bool{}
	var booked []store.Meeting
	for _, m := range all {
		hosts[m.OrganizerID] = true
		if m.Status == store.MeetingBooked && m.VideoID != "" {
			booked = append(booked, m)
		}
	}
	for hostID := range hosts {
		host, err := s.Store.User(ctx, accountID, hostID)
		if err != nil {
			return err
		}
		p, err := s.Apps.Provider(ctx, accountID, host.Email, app)
		if err != nil {
			s.Log.Info("reconcile: host skipped", "host", host.Email, "err", err)
			continue
		}
		listed, err := p.List(ctx, host.Email)
		if err != nil {
			return fmt.Errorf("booking: reconcile %s at %s: %w", host.Email, app, err)
		}
		there := map[string]video.Meeting{}
		for _, vm := range listed {
			there[vm.ID] = vm
		}
		// Booked here, gone there.
		for i := range booked {
			m := &booked[i]
			if m.OrganizerID != hostID {
				continue
			}
			if _, ok := there[m.VideoID]; ok {
				continue
			}
			if m.RRule == "" && m.End.Before(now) {
				continue // ended meetings expire from the list (Zoom's)
			}
			if _, err := p.Get(ctx, m.VideoID, ""); !errors.Is(err, video.ErrNotFound) {
				continue // still there (or the provider did not say): leave it
			}
			if err := s.videoDeleted(ctx, m, m.VideoID, nil); err != nil {
				return err
			}
			drift.Cancelled = append(drift.Cancelled, m.ID)
		}
		// There, but its booking is cancelled or failed, or it is another
		// attempt's: an orphan.
		var mine []store.Meeting
		for _, m := range all {
			if m.OrganizerID == hostID {
				mine = append(mine, m)
			}
		}
		for _, vm := range listed {
			if owner, err := s.Store.MeetingByVideo(ctx, app, vm.ID); err == nil && owner.Status == store.MeetingBooked {
				continue
			}
			for i := range mine {
				m := &mine[i]
				if !isOrphanOf(vm, m) {
					continue
				}
				if m.Status != store.MeetingBooked {
					// A new booking just like it may not have stored its
					// meeting yet.
					rival, err := s.rivalPending(ctx, m, host.Email)
					if err != nil {
						return err
					}
					if rival {
						break
					}
				}
				if err := p.Delete(ctx, vm.ID, ""); err != nil && !errors.Is(err, video.ErrNotFound) {
					return fmt.Errorf("booking: delete orphan %s at %s: %w", vm.ID, app, err)
				}
				s.Log.Info("reconcile: orphan video meeting deleted", "app", app, "video_meeting", vm.ID, "of", m.ID)
				drift.Deleted = append(drift.Deleted, vm.ID)
				break
			}
		}
	}
	return nil
}

// isOrphanOf reports whether a provider meeting no booking owns was made
// for m: it has m's topic, start and duration, was created after m, and m
// was cancelled or failed, or got another provider meeting.
func isOrphanOf(vm video.Meeting, m *store.Meeting) bool {
	if vm.Topic != m.Subject || !vm.StartTime.Equal(m.Start) || vm.Duration != m.Duration ||
		vm.CreatedAt.Before(m.Created.Add(-2*time.Minute)) {
		return false
	}
	switch m.Status {
	case store.MeetingCancelled, store.MeetingFailed:
		return true
	case store.MeetingBooked:
		return m.VideoID != "" && m.VideoID != vm.ID
	}
	return false
}
