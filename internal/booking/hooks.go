package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// This file is what the e-mail assistant (internal/assistant) needs from
// booking besides the API's operations: the same operations with the
// caller's own writes in their transaction (so that a conversation's state
// and its meeting commit together, or not at all), new options for a
// proposal, a change of video provider, and the outbox.

// Commit is a caller's writes, run inside the transaction that records a
// meeting (CreateWith, ChooseWith, Repropose) with the meeting as stored;
// an error rolls everything back.
type Commit func(ctx context.Context, tx *store.DB, m *store.Meeting) error

// CreateWith books a request as Create does, runs commit in the
// transaction that records the meeting, and returns the meeting without
// waiting for its video meeting.
func (s *Service) CreateWith(ctx context.Context, p account.Principal, in Request, commit Commit) (*store.Meeting, error) {
	c, err := s.create(ctx, p, in, commit)
	if err != nil {
		return nil, err
	}
	m := c.b.m
	if c.b.claim != nil {
		// Its first video attempt starts now, as Create's does; nobody
		// waits for it here.
		_, ended := s.startVideo(c)
		go func() {
			<-ended
			s.forget(m.ID)
		}()
	}
	return m, nil
}

// ChooseWith books a proposed meeting at one of its options, as Choose
// (POST /api/v1/meetings/{id}/choose) does, with commit in the same
// transaction; it does not wait for the video meeting. A time the
// organizer has taken meanwhile is a Conflict and books nothing.
func (s *Service) ChooseWith(ctx context.Context, p account.Principal, id, startTime string, commit Commit) (*store.Meeting, error) {
	return s.choose(ctx, p, id, startTime, commit)
}

// Option is a proposed time.
type Option struct {
	Start, End time.Time
}

// OptionsOf returns the options of a proposed meeting, in the order
// offered.
func OptionsOf(m *store.Meeting) ([]Option, error) {
	var opts []option
	if len(m.Options) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(m.Options, &opts); err != nil {
		return nil, fmt.Errorf("booking: options of %s: %w", m.ID, err)
	}
	out := make([]Option, 0, len(opts))
	for _, o := range opts {
		st, err1 := time.Parse(time.RFC3339, o.StartTime)
		en, err2 := time.Parse(time.RFC3339, o.EndTime)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("booking: options of %s: %w", m.ID, err)
		}
		out = append(out, Option{Start: st.UTC(), End: en.UTC()})
	}
	return out, nil
}

// Repropose searches new options for a proposed meeting in [from, to),
// for duration minutes (0: the meeting's length, which the new value
// replaces otherwise), stores them instead of the old ones and runs commit
// in the same transaction. The organizer's and the internal attendees'
// calendars count, as for the first proposal.
func (s *Service) Repropose(ctx context.Context, p account.Principal, id string, from, to time.Time, duration int, commit Commit) (*store.Meeting, error) {
	if s.Calendars == nil {
		return nil, failure.New(failure.Invalid, "this Convene cannot read calendars")
	}
	m, err := s.Store.Meeting(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && m.OrganizerID != p.UserID && !p.IsAdmin() {
		return nil, failure.New(failure.NotFound, "no meeting %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: repropose: %w", err)
	}
	if m.Status != store.MeetingProposed {
		return nil, failure.New(failure.Conflict, "meeting %s is %s, not proposed", id, m.Status)
	}
	if duration == 0 {
		duration = m.Duration
	}
	if duration < MinDuration || duration > MaxDuration {
		return nil, failure.Field("duration", "%d minutes is out of bounds: use %d to %d", duration, MinDuration, MaxDuration)
	}
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, fmt.Errorf("booking: repropose: %w", err)
	}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("booking: repropose: %w", err)
	}
	internal := []string{organizer.Email}
	for _, a := range m.Attendees {
		if a.UserID != "" {
			internal = append(internal, a.Email)
		}
	}
	res, err := s.Calendars.Availability(ctx, p, calendar.AvailabilityRequest{Attendees: internal, Duration: time.Duration(duration) * time.Minute,
		From: from, To: to, Location: loc, Ranking: availability.Earliest, Limit: 20, Propose: Proposals})
	if err != nil {
		return nil, err
	}
	if len(res.Slots) == 0 {
		return nil, failure.New(failure.Conflict, "no time in the window suits %s (working hours, calendars, buffers and notice)", strings.Join(internal, ", ")).
			With("problems", res.Problems)
	}
	opts := make([]option, len(res.Slots))
	for i, sl := range res.Slots {
		opts[i] = option{StartTime: sl.Start.In(loc).Format(time.RFC3339), EndTime: sl.End.In(loc).Format(time.RFC3339), Score: sl.Score}
	}
	blob, _ := json.Marshal(opts)
	var out *store.Meeting
	err = s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := s.loadForChange(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if cur.Status != store.MeetingProposed {
			return failure.New(failure.Conflict, "meeting %s is %s, not proposed", id, cur.Status)
		}
		cur.Options, cur.Duration = blob, duration
		cur.Start, cur.End, cur.Updated = res.Slots[0].Start.UTC(), res.Slots[0].End.UTC(), s.Now().UTC()
		if err := tx.UpdateMeeting(ctx, cur); err != nil {
			return err
		}
		out = cur
		if commit != nil {
			return commit(ctx, tx, cur)
		}
		return nil
	})
	if err != nil {
		return nil, s.changeError(err)
	}
	s.Log.Info("meeting proposed again", "meeting", id, "options", len(opts))
	return out, nil
}

// ChangeProvider gives a meeting another video provider (an app of the
// catalog, or "none" for a proposal). A proposal just records it; a booked
// meeting gets a new video meeting (the old one is deleted) and every invitee an
// update with the new link. A booked meeting keeps a video meeting: "none"
// is refused there, since its invitations would lose their link. The same
// provider again changes nothing.
func (s *Service) ChangeProvider(ctx context.Context, p account.Principal, id, provider string) (*store.Meeting, error) {
	if err := s.checkProvider(provider); err != nil {
		return nil, err
	}
	if provider == "none" {
		provider = ""
	}
	m, err := s.Store.Meeting(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no meeting %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: change provider: %w", err)
	}
	if provider != "" {
		organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
		if err != nil {
			return nil, fmt.Errorf("booking: change provider: %w", err)
		}
		// No silent fallback: a provider that cannot serve the organizer
		// is refused before anything changes.
		if _, err := s.Apps.Provider(ctx, p.AccountID, organizer.Email, provider); err != nil {
			return nil, err
		}
	}
	var out *store.Meeting
	err = s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := s.loadForChange(ctx, tx, p, id)
		if err != nil {
			return err
		}
		out = cur
		if cur.VideoProvider == provider {
			return nil
		}
		switch cur.Status {
		case store.MeetingCancelled, store.MeetingFailed:
			return failure.New(failure.Conflict, "meeting %s is %s", id, cur.Status)
		case store.MeetingBooking:
			// Its video meeting is being made: changing it now could race
			// with the create.
			return failure.New(failure.Conflict, "meeting %s is still being booked; try again in a minute", id)
		case store.MeetingProposed:
			cur.VideoProvider, cur.Updated = provider, s.Now().UTC()
			return tx.UpdateMeeting(ctx, cur)
		}
		if provider == "" && cur.VideoProvider != "" {
			return failure.Field("video_provider", "a booked meeting keeps its video meeting: cancel it and book again without one")
		}
		if cur.VideoID != "" {
			if err := s.Jobs.Enqueue(ctx, tx, videoDelete{AccountID: cur.AccountID, MeetingID: cur.ID, Provider: cur.VideoProvider, VideoID: cur.VideoID}, uniqueArgs); err != nil {
				return err
			}
		}
		cur.Previous = snapshotOf(cur)
		cur.VideoProvider, cur.Video, cur.VideoID, cur.StartURL, cur.Problem = provider, nil, "", "", ""
		cur.Sequence++
		cur.Status, cur.Updated = store.MeetingBooking, s.Now().UTC()
		if err := tx.UpdateMeeting(ctx, cur); err != nil {
			return err
		}
		// Provider in the arguments: the first create job of the meeting
		// may still count as done for River's uniqueness.
		return s.Jobs.Enqueue(ctx, tx, videoCreate{AccountID: cur.AccountID, MeetingID: cur.ID, Provider: provider}, uniqueArgs)
	})
	if err != nil {
		return nil, s.changeError(err)
	}
	return out, nil
}

// QueueMail stores a mail written elsewhere (the assistant's) in the
// outbox, in tx, unless its dedupe key was stored before, and queues it for
// the relay like the invitations (DKIM-signed as it leaves); without a
// relay it stays held for GET /api/v1/outbox. It reports whether it was
// new.
func (s *Service) QueueMail(ctx context.Context, tx *store.DB, mail *store.Mail) (bool, error) {
	mail.Status = store.MailHeld
	if s.Mail != nil {
		mail.Status = store.MailQueued
	}
	if mail.ID == "" {
		mail.ID = s.newID("msg_")
	}
	added, err := tx.AddMail(ctx, mail)
	if err != nil || !added {
		return added, err
	}
	if mail.Status == store.MailQueued {
		if err := s.Jobs.Enqueue(ctx, tx, sendMail{AccountID: mail.AccountID, MailID: mail.ID}, uniqueArgs); err != nil {
			return false, err
		}
	}
	return true, nil
}
