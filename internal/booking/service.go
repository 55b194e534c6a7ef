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
	// OutboxRetention is how long the body of a sent mail stays in the
	// outbox (default DefaultOutboxRetention).
	OutboxRetention time.Duration
	// OnProposal, when set, runs in the transaction that records a
	// proposal made without a Commit of its own (the API's POST
	// /api/v1/meetings with a window and external guests, the pages' "find
	// a time"): the e-mail assistant adopts it and mails each guest their
	// options (internal/server sets it). An error rolls the proposal back.
	OnProposal Commit

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
//
// The video meeting is made in this request, right after the booking
// commits, as the first attempt of its video.create job (a claimed job:
// jobs.Claim), and its invitations and calendar events are stored in the
// transaction that stores it: without a fault, a booking with video is
// two transactions and the answer reads nothing again. Should the attempt
// fail, or this process die, the job does the rest as it always did.
func (s *Service) Create(ctx context.Context, p account.Principal, in Request) (*View, error) {
	c, err := s.create(ctx, p, in, nil)
	if err != nil {
		return nil, err
	}
	m, organizer := c.b.m, c.k.organizer
	deadline := c.deadline
	if c.b.claim != nil {
		a, ended := s.startVideo(c)
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-ended:
			if a.stored != nil {
				s.forget(m.ID)
				timer.Stop()
				return s.viewOf(ctx, p, a.stored, organizer, a.video)
			}
			if a.failed {
				s.forget(m.ID)
				deadline = time.Now() // nothing to wait for: read how it ended
			}
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	} else if c.b.stored {
		return s.viewOf(ctx, p, m, organizer, nil)
	}
	if m.Status == store.MeetingBooking {
		s.wait(ctx, m.AccountID, m.ID, deadline)
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

// created is a request just booked by create, with what its claimed video
// attempt needs.
type created struct {
	b        *booked
	k        *known
	pl       *plan
	provider video.Provider
	// deadline is when Create stops waiting for the video meeting.
	deadline time.Time
}

// create validates and books a request; commit, when set, runs in the
// transaction that records the meeting. With a video provider the
// meeting's video.create job is claimed: the caller starts its first
// attempt (startVideo).
func (s *Service) create(ctx context.Context, p account.Principal, in Request, commit Commit) (*created, error) {
	// The organizer as this request authenticated them: the booking
	// transaction checks again that they are active.
	organizer := p.User
	if organizer == nil || organizer.ID != p.UserID || organizer.AccountID != p.AccountID {
		var err error
		if organizer, err = s.Store.User(ctx, p.AccountID, p.UserID); err != nil {
			return nil, fmt.Errorf("booking: organizer: %w", err)
		}
	}
	if !organizer.Active() {
		return nil, inactiveOrganizer()
	}
	// The account with its assistant address, the From of the
	// invitations: one read.
	acct, sender, err := s.Accounts.AccountAndAssistant(ctx, p.AccountID)
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
	pl.commit = commit
	c := &created{k: &known{organizer: organizer, account: acct, sender: senderAddress(sender)}, pl: pl}
	// The provider must be usable before anything is booked: no silent
	// fallback, nothing created when it is not.
	if provider != "" {
		if c.provider, err = s.Apps.Provider(ctx, p.AccountID, organizer.Email, provider); err != nil {
			return nil, err
		}
	}
	c.deadline = time.Now().Add(s.waitFor())
	if pl.window != nil {
		c.b, err = s.bookInWindow(ctx, p, c.k, pl)
	} else {
		if c.k.users, err = attendeeUserRows(ctx, s.Store, organizer.AccountID, pl.attendees); err != nil {
			return nil, err
		}
		c.b, err = s.book(ctx, c.k, pl)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// startVideo works the first attempt of a created meeting's claimed
// video.create job; ended is closed when the attempt is over.
func (s *Service) startVideo(c *created) (a *videoAttempt, ended <-chan struct{}) {
	b := c.b
	a = &videoAttempt{m: b.m, organizer: c.k.organizer, provider: c.provider, settings: &c.pl.settings, attempt: b.claim.Attempt(),
		maxAttempts: b.claim.MaxAttempts(), claim: b.claim, known: c.k, posting: b.posting}
	return a, b.claim.Work(func(ctx context.Context) error { return s.createVideo(ctx, a) })
}

// booked is a meeting just booked, with the claim on its video.create job
// when it has one.
type booked struct {
	m     *store.Meeting
	claim *jobs.Claim
	// posting is when the claimed attempt's create request is sent at the
	// latest, recorded with the booking (zero: none).
	posting time.Time
	// stored: m is booked, without video, as stored (nothing to wait for).
	stored bool
}

// book writes the meeting, its holds and the jobs or the invitations of
// its side effects in one transaction. With a video provider, the
// video.create job is claimed: the caller works its first attempt. Without,
// the invitations and calendar events are written first and stored in the
// same transaction.
func (s *Service) book(ctx context.Context, k *known, pl *plan) (*booked, error) {
	organizer := k.organizer
	// Times as the store keeps them: the meeting in memory is the one a
	// read would return.
	now := storedTime(s.Now())
	id := s.newID("mtg_")
	m := &store.Meeting{
		ID: id, AccountID: organizer.AccountID, OrganizerID: organizer.ID,
		UID:    id + "@convene",
		Status: store.MeetingBooked, Type: pl.typ, Subject: pl.subject, Description: pl.description,
		Start: storedTime(pl.start), End: storedTime(pl.start.Add(pl.duration)), TimeZone: pl.loc.String(),
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
	for _, a := range pl.attendees {
		at := store.Attendee{Email: strings.ToLower(a.Email), Name: a.Name, Response: "needs-action"}
		if u := k.users[a.Email]; u != nil {
			at.UserID = u.ID
		}
		m.Attendees = append(m.Attendees, at)
	}
	holds := make([]store.Hold, len(pl.occurrences))
	for i, o := range pl.occurrences {
		holds[i] = store.Hold{AccountID: m.AccountID, OrganizerID: m.OrganizerID, MeetingID: m.ID, Start: o.UTC(), End: o.Add(pl.duration).UTC()}
	}
	var d *delivery
	if m.Status == store.MeetingBooking {
		s.expectWake(m.ID)
	} else if m.RRule == "" {
		d = s.prepareBooked(ctx, m, organizer, k, nil)
	}
	b := &booked{m: m}
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		b.claim = nil
		// One organizer's bookings one at a time: their holds are then
		// checked against committed ones, and PostgreSQL has no deadlock
		// between two conflicting inserts to detect.
		if err := tx.LockKey(ctx, "organizer/"+m.OrganizerID); err != nil {
			return err
		}
		if m.Status == store.MeetingBooking {
			// The claimed attempt's create request, recorded with the
			// meeting (see videoAttempt.posting): no transaction of its
			// own.
			b.posting = storedTime(s.Now().Add(postLead))
			m.VideoPosted, m.VideoPosts = b.posting, 1
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
			var err error
			b.claim, err = s.Jobs.EnqueueClaimed(ctx, tx, videoCreate{AccountID: m.AccountID, MeetingID: m.ID})
			return err
		}
		if d != nil {
			d.fresh = true // the meeting is new: so is its event
			return s.applyDelivery(ctx, tx, d)
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
	b.stored = m.Status == store.MeetingBooked
	return b, nil
}

// storedTime is t as the store keeps it (Unix milliseconds, UTC).
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// inactiveOrganizer refuses a meeting to an organizer an admin disabled or
// removed.
func inactiveOrganizer() error {
	return failure.New(failure.Forbidden, "the organizer is disabled or removed from the account and cannot organize new meetings")
}

// uniqueArgs makes an enqueue a no-op when the same job is pending.
var uniqueArgs = &jobs.InsertOpts{UniqueOpts: jobs.UniqueOpts{ByArgs: true}}

// attendeeUsers maps the attendees that are users of the account to their
// ids, read through st (a transaction, when the caller is in one).
func attendeeUsers(ctx context.Context, st userFinder, accountID string, as []AttendeeInput) (map[string]string, error) {
	users, err := attendeeUserRows(ctx, st, accountID, as)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(users))
	for email, u := range users {
		out[email] = u.ID
	}
	return out, nil
}

// userFinder finds a user of an account by address; store.Store and
// *store.DB (a transaction) are ones.
type userFinder interface {
	UserByEmail(ctx context.Context, accountID, email string) (*store.User, error)
}

// attendeeUserRows maps the attendees that are users of the account to
// them, read through st.
func attendeeUserRows(ctx context.Context, st userFinder, accountID string, as []AttendeeInput) (map[string]*store.User, error) {
	out := map[string]*store.User{}
	for _, a := range as {
		u, err := st.UserByEmail(ctx, accountID, a.Email)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("booking: attendee %s: %w", a.Email, err)
		}
		out[a.Email] = u
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

// waitFor is how long Create waits for the video meeting.
func (s *Service) waitFor() time.Duration {
	if s.Wait == 0 {
		return 5 * time.Second
	}
	return s.Wait
}

// wait waits for the meeting's booking to finish, until deadline: woken by
// the job in this process, or polling when it runs in another one.
func (s *Service) wait(ctx context.Context, accountID, id string, deadline time.Time) {
	s.waitMu.Lock()
	ch := s.waiters[id] // nil (never ready) when none: poll only
	s.waitMu.Unlock()
	defer s.forget(id)
	timer := time.NewTimer(time.Until(deadline))
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
		Settings: settings, UID: m.UID,
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
