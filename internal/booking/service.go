package booking

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Service books, reschedules and cancels meetings.
type Service struct {
	Store    *store.DB
	Accounts *account.Service
	Apps     *apps.Service
	Jobs     *jobs.Queue
	Box      *seal.Box
	// Calendars receives booked meetings in the built-in calendars and
	// answers availability; nil: no calendar writes, no window search.
	Calendars *calendar.Service
	// Composer writes the invitations and notices.
	Composer Composer
	// Mail delivers stored mail through the relay; nil keeps it in the
	// outbox.
	Mail MailSender
	// BaseURL is Convene's public URL, for links in mail.
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time
	Rand    io.Reader
	// Wait is how long Create waits for the video meeting before it
	// answers 202 (default 5 s).
	Wait time.Duration

	waitMu  sync.Mutex
	waiters map[string]chan struct{} // closed when the meeting's booking ends
}

// MailSender delivers a stored mail through the relay; nil keeps mail in
// the outbox.
type MailSender interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) newID(prefix string) string {
	var b [10]byte
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	io.ReadFull(r, b[:])
	return prefix + strings.ToLower(b32.EncodeToString(b[:]))
}

// resolveProvider picks the video provider: the request's, else the
// organizer's preference, else the account's default; "none" is none.
func resolveProvider(requested, user, acct string) string {
	for _, p := range []string{requested, user, acct} {
		if p != "" {
			if p == "none" {
				return ""
			}
			return p
		}
	}
	return ""
}

// Create books a meeting for the principal. It answers once the video
// meeting exists, or after Wait with the meeting still booking.
func (s *Service) Create(ctx context.Context, p account.Principal, in Request) (*View, error) {
	m, err := s.create(ctx, p, in, nil)
	if err != nil {
		return nil, err
	}
	if m.Status == store.MeetingBooking {
		s.wait(ctx, m.AccountID, m.ID)
	}
	v, err := s.Get(ctx, p, m.ID)
	if err != nil {
		return nil, err
	}
	if v.Status == store.MeetingFailed {
		// Nothing is booked: say why, not 201 (Cal.com #1026 the other
		// way round). The meeting stays readable with its problem.
		return nil, failure.New(failure.Conflict, "the meeting was not booked: %s", v.Problem).
			With("meeting_id", v.ID).With("status", v.Status)
	}
	return v, nil
}

// create validates and books a request; commit, when set, runs in the
// transaction that records the meeting.
func (s *Service) create(ctx context.Context, p account.Principal, in Request, commit Commit) (*store.Meeting, error) {
	organizer, err := s.Store.User(ctx, p.AccountID, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("booking: organizer: %w", err)
	}
	if !organizer.Active() {
		return nil, inactiveOrganizer()
	}
	acct, err := s.Store.Account(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("booking: account: %w", err)
	}
	if err := s.checkProvider(in.VideoProvider); err != nil {
		return nil, err
	}
	provider := resolveProvider(in.VideoProvider, organizer.VideoProvider, acct.DefaultVideoProvider)
	pl, err := validate(in, provider, s.videoApp(provider), organizer.DefaultDuration, organizer.Email, s.Now())
	if err != nil {
		return nil, err
	}
	// The provider must be usable before anything is booked: no silent
	// fallback, nothing created when it is not.
	if provider != "" {
		if _, err := s.Apps.Provider(ctx, p.AccountID, organizer.Email, provider); err != nil {
			return nil, err
		}
	}
	pl.commit = commit
	if pl.window != nil {
		return s.bookInWindow(ctx, p, organizer, pl)
	}
	return s.book(ctx, organizer, pl)
}

// book writes the meeting, its holds and its first job in one transaction.
func (s *Service) book(ctx context.Context, organizer *store.User, pl *plan) (*store.Meeting, error) {
	now := s.Now().UTC()
	id := s.newID("mtg_")
	m := &store.Meeting{
		ID: id, AccountID: organizer.AccountID, OrganizerID: organizer.ID,
		UID:    id + "@convene",
		Status: store.MeetingBooked, Type: pl.typ, Subject: pl.subject, Description: pl.description,
		Start: pl.start.UTC(), End: pl.start.Add(pl.duration).UTC(), TimeZone: pl.loc.String(),
		Duration: int(pl.duration / time.Minute), RRule: pl.rrule, Language: organizer.Language,
		VideoProvider: pl.provider, Created: now, Updated: now,
	}
	if pl.password != nil {
		m.Password = *pl.password
	}
	if !pl.settings.IsZero() {
		b, err := pl.settings.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("booking: settings: %w", err)
		}
		m.Settings = b
	}
	if pl.provider != "" {
		m.Status = store.MeetingBooking
	}
	users, err := s.attendeeUsers(ctx, organizer.AccountID, pl.attendees)
	if err != nil {
		return nil, err
	}
	for _, a := range pl.attendees {
		m.Attendees = append(m.Attendees, store.Attendee{Email: a.Email, Name: a.Name, UserID: users[a.Email]})
	}
	holds := make([]store.Hold, len(pl.occurrences))
	for i, o := range pl.occurrences {
		holds[i] = store.Hold{AccountID: m.AccountID, OrganizerID: m.OrganizerID, MeetingID: m.ID, Start: o.UTC(), End: o.Add(pl.duration).UTC()}
	}
	if m.Status == store.MeetingBooking {
		s.expectWake(m.ID)
	}
	err = s.Store.InTx(ctx, func(tx *store.DB) error {
		// One organizer's bookings one at a time: their holds are then
		// checked against committed ones, and PostgreSQL has no deadlock
		// between two conflicting inserts to detect.
		if err := tx.LockKey(ctx, "organizer/"+m.OrganizerID); err != nil {
			return err
		}
		if err := tx.CreateMeeting(ctx, m); err != nil {
			return err
		}
		if err := tx.AddHolds(ctx, holds); err != nil {
			return err
		}
		if err := pl.runCommit(ctx, tx, m); err != nil {
			return err
		}
		if m.Status == store.MeetingBooking {
			return s.Jobs.Enqueue(ctx, tx, videoCreate{AccountID: m.AccountID, MeetingID: m.ID}, uniqueArgs)
		}
		return s.enqueueDeliver(ctx, tx, m, deliverRequest, nil)
	})
	if err != nil {
		s.forget(m.ID)
		var oe *store.OverlapError
		if errors.As(err, &oe) {
			return nil, failure.New(failure.Conflict, "the organizer already has meeting %s from %s to %s", oe.MeetingID,
				oe.Start.In(pl.loc).Format(time.RFC3339), oe.End.In(pl.loc).Format(time.RFC3339)).With("conflicting_meeting", oe.MeetingID)
		}
		if errors.Is(err, store.ErrOverlap) {
			return nil, failure.New(failure.Conflict, "the organizer already has a meeting at that time")
		}
		if errors.Is(err, store.ErrInactive) {
			return nil, inactiveOrganizer()
		}
		return nil, fmt.Errorf("booking: book: %w", err)
	}
	s.Log.Info("meeting booked", "meeting", m.ID, "account", m.AccountID, "provider", m.VideoProvider, "occurrences", len(holds))
	return m, nil
}

// inactiveOrganizer refuses a meeting to an organizer an admin disabled or
// removed.
func inactiveOrganizer() error {
	return failure.New(failure.Forbidden, "the organizer is disabled or removed from the account and cannot organize new meetings")
}

// uniqueArgs makes an enqueue a no-op when the same job is pending.
var uniqueArgs = &jobs.InsertOpts{UniqueOpts: jobs.UniqueOpts{ByArgs: true}}

// attendeeUsers maps the attendees that are users of the account to their
// user IDs.
func (s *Service) attendeeUsers(ctx context.Context, accountID string, as []AttendeeInput) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range as {
		u, err := s.Store.UserByEmail(ctx, accountID, a.Email)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("booking: attendee %s: %w", a.Email, err)
		}
		out[a.Email] = u.ID
	}
	return out, nil
}

// Get returns a meeting the principal organizes or attends.
func (s *Service) Get(ctx context.Context, p account.Principal, id string) (*View, error) {
	m, err := s.Store.Meeting(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no meeting %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: get: %w", err)
	}
	if !s.canSee(p, m) {
		return nil, failure.New(failure.NotFound, "no meeting %s", id)
	}
	return s.view(ctx, p, m)
}

// canSee: the organizer, an attendee, or an admin of the account.
func (s *Service) canSee(p account.Principal, m *store.Meeting) bool {
	if m.OrganizerID == p.UserID || p.IsAdmin() {
		return true
	}
	for _, a := range m.Attendees {
		if a.Email == p.Email {
			return true
		}
	}
	return false
}

// List returns the principal's meetings (organized or attended) between
// from and to.
func (s *Service) List(ctx context.Context, p account.Principal, from, to time.Time) ([]View, error) {
	if to.Before(from) {
		return nil, failure.Field("to", "must be after from")
	}
	if to.Sub(from) > 366*24*time.Hour {
		return nil, failure.Field("to", "ask for at most a year at a time")
	}
	ms, err := s.Store.MeetingsOf(ctx, p.AccountID, p.UserID, p.Email, from, to)
	if err != nil {
		return nil, fmt.Errorf("booking: list: %w", err)
	}
	out := make([]View, 0, len(ms))
	for i := range ms {
		v, err := s.view(ctx, p, &ms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// expectWake registers interest in a meeting's first video result before
// its job can run.
func (s *Service) expectWake(id string) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	if s.waiters == nil {
		s.waiters = map[string]chan struct{}{}
	}
	s.waiters[id] = make(chan struct{})
}

func (s *Service) forget(id string) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	delete(s.waiters, id)
}

// wake tells the waiters of a meeting that its booking finished.
func (s *Service) wake(id string) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	if ch, ok := s.waiters[id]; ok {
		close(ch)
		delete(s.waiters, id)
	}
}

// wait waits for the meeting's booking to finish, up to Wait: woken by
// the job in this process, or polling when it runs in another one.
func (s *Service) wait(ctx context.Context, accountID, id string) {
	d := s.Wait
	if d == 0 {
		d = 5 * time.Second
	}
	s.waitMu.Lock()
	ch := s.waiters[id] // nil (never ready) when none: poll only
	s.waitMu.Unlock()
	defer s.forget(id)
	timer := time.NewTimer(d)
	defer timer.Stop()
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-ch:
			return
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		case <-poll.C:
			if m, err := s.Store.Meeting(ctx, accountID, id); err == nil && m.Status != store.MeetingBooking {
				return
			}
		}
	}
}

// videoSpec is what the provider is asked for.
func (s *Service) videoSpec(m *store.Meeting, settings video.Settings) video.Spec {
	spec := video.Spec{
		Topic: m.Subject, Type: video.Scheduled, StartTime: m.Start, Duration: m.Duration, Timezone: m.TimeZone,
		Settings: settings,
	}
	if m.Description != "" {
		d := m.Description
		spec.Agenda = &d
	}
	if m.Password != "" {
		pw := m.Password
		spec.Password = &pw
	}
	return spec
}
