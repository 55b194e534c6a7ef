package booking

import (
	"context"
	"errors"
	"time"

	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Exactly once across a crash. CreateOnce never posts a create while an
// earlier one may still complete (each is recorded before it leaves, in
// the meeting's row), so a second meeting needs a provider slower than
// its window: a create sent at t has taken effect by t + CreateWindow() or
// never will (for Zoom the HTTP time limit plus a settle time, derived from
// CONVENE_JOB_TIMEOUT). Should one appear anyway, a videoSweep job runs
// once every create sent can no longer complete, finds the meetings those
// creates made (the provider's fingerprint, created since the booking) and
// deletes every one but the stored meeting, the one the invitations name,
// and never one another booking owns. The periodic reconciler does the
// same later for whatever the sweep could not reach.

// sweepMargin is waited past the last create's window before the sweep
// lists the host's meetings, for the provider's list to catch up.
const sweepMargin = 5 * time.Second

// videoSweep deletes the meetings that creates for one booking made besides
// the stored one.
type videoSweep struct {
	AccountID string `json:"account_id"`
	MeetingID string `json:"meeting_id"`
	// The create as it was sent (a reschedule meanwhile does not change
	// what its duplicates look like).
	Topic     string    `json:"topic"`
	Type      int       `json:"type"`
	StartTime time.Time `json:"start_time,omitzero"`
	Duration  int       `json:"duration"`
	Timezone  string    `json:"timezone,omitempty"`
}

// Kind implements jobs.Args.
func (videoSweep) Kind() string { return "video.sweep" }

// whilePending makes an enqueue a no-op while a like job waits or runs,
// but not once it has finished: for jobs that must run again later.
var whilePending = jobs.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}

// sweepLater schedules a videoSweep of cur, in tx, when at least minPosts
// creates were sent for it and the provider can make late duplicates.
func (s *Service) sweepLater(ctx context.Context, tx *store.DB, cur *store.Meeting, p video.Provider, spec video.Spec, minPosts int) error {
	d, ok := p.(video.Duplicates)
	if !ok || cur.VideoPosts < minPosts || cur.VideoPosted.IsZero() || spec.Topic == "" {
		return nil
	}
	at := cur.VideoPosted.Add(d.CreateWindow() + sweepMargin)
	args := videoSweep{AccountID: cur.AccountID, MeetingID: cur.ID, Topic: spec.Topic, Type: int(spec.Type),
		StartTime: spec.StartTime.UTC(), Duration: spec.Duration, Timezone: spec.Timezone}
	s.Log.Info("video creates sent more than once; duplicates swept later", "meeting", cur.ID, "creates", cur.VideoPosts, "at", at)
	return s.Jobs.Enqueue(ctx, tx, args, &jobs.InsertOpts{ScheduledAt: at, UniqueOpts: whilePending})
}

func (s *Service) workVideoSweep(ctx context.Context, job *jobs.Job[videoSweep]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	deleted, err := s.sweep(ctx, m, video.Spec{Topic: a.Topic, Type: video.MeetingType(a.Type), StartTime: a.StartTime,
		Duration: a.Duration, Timezone: a.Timezone})
	if errors.Is(err, errRivalPending) {
		return jobs.Snooze(time.Minute)
	}
	if err != nil {
		if permanentVideoError(err) {
			s.Log.Warn("duplicate video meetings not swept; the reconciler tries again", "meeting", m.ID, "err", err)
			return jobs.Permanent(err)
		}
		return err
	}
	if len(deleted) > 0 {
		s.Log.Warn("duplicate video meetings deleted", "meeting", m.ID, "kept", m.VideoID, "deleted", deleted)
	}
	return nil
}

// errRivalPending: another booking of the organizer that looks the same is
// still being made; its meeting is not stored yet and could be mistaken
// for a duplicate.
var errRivalPending = errors.New("booking: a booking like this one is still being made")

// sweep deletes the provider meetings that creates of spec for m made,
// except m's stored one and other bookings', and returns their ids.
func (s *Service) sweep(ctx context.Context, m *store.Meeting, spec video.Spec) ([]string, error) {
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, err
	}
	p, err := s.Apps.Provider(ctx, m.AccountID, organizer.Email, m.VideoProvider)
	if err != nil {
		return nil, err
	}
	d, ok := p.(video.Duplicates)
	if !ok {
		return nil, nil
	}
	if m.Status != store.MeetingBooked {
		// Its time is free again: a new booking just like it may be
		// waiting for its own meeting.
		rival, err := s.rivalPending(ctx, m, organizer.Email)
		if err != nil {
			return nil, err
		}
		if rival {
			return nil, errRivalPending
		}
	}
	dups, err := d.Duplicates(ctx, organizer.Email, spec, video.CreateRef{Key: "meeting/" + m.ID, Since: m.Created,
		Exclude: s.belongsElsewhere(ctx, m)}, m.VideoID)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, vm := range dups {
		if err := p.Delete(ctx, vm.ID, ""); err != nil && !errors.Is(err, video.ErrNotFound) {
			return deleted, err
		}
		deleted = append(deleted, vm.ID)
	}
	return deleted, nil
}

// rivalPending reports whether another meeting of m's organizer with m's
// subject and start is still waiting for its video meeting.
func (s *Service) rivalPending(ctx context.Context, m *store.Meeting, email string) (bool, error) {
	others, err := s.Store.MeetingsOf(ctx, m.AccountID, m.OrganizerID, email, m.Start, m.Start.Add(time.Minute))
	if err != nil {
		return false, err
	}
	for _, o := range others {
		if o.ID != m.ID && o.OrganizerID == m.OrganizerID && o.Status == store.MeetingBooking && o.Subject == m.Subject && o.Start.Equal(m.Start) {
			return true, nil
		}
	}
	return false, nil
}
