package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Meetings in their organizer's app calendar
//
// When a meeting's organizer has an app calendar (Outlook through
// Microsoft 365, Google Calendar: calendar.Service.OrganizerApp), each
// change of the meeting that Convene delivers (a REQUEST, a CANCEL of the
// whole meeting, of one occurrence, or of removed attendees) is written
// there too, by a job of its own (appEvent) queued with the delivery:
// the event is made once (video.CalendarEvent.Ref, like the video
// meeting), updated on every later change and deleted with the meeting.
// Its iCalendar UID is the meeting's, its attendees the meeting's; it
// carries the video meeting's join URL (also when the meeting's video app
// is the same app: one meeting, one link), or, when the same app has made
// no video meeting, asks for the app's own online meeting (Conference);
// with video.App.VideoIsEvent the video meeting is that event, and no
// second one is made.
//
// The account's invitation mode (store.Account.Invitations) says who mails
// the invitees: Convene (its iTIP mail; the event is written with Notify
// false) or the provider (Notify true; Convene mails the invitees
// nothing, see prepareDelivery). Never both.

// appEvent writes a meeting change into its organizer's app calendar.
type appEvent struct {
	AccountID    string   `json:"account_id"`
	MeetingID    string   `json:"meeting_id"`
	Sequence     int      `json:"sequence"`
	Method       string   `json:"method"`
	OccurrenceID string   `json:"occurrence_id,omitempty"`
	Only         []string `json:"only,omitempty"`
}

// Kind implements jobs.Args.
func (appEvent) Kind() string { return "meeting.app_event" }

// organizerApp returns the app whose calendar the meeting's organizer has,
// or "".
func (s *Service) organizerApp(ctx context.Context, m *store.Meeting) (string, error) {
	if s.Calendars == nil {
		return "", nil
	}
	return s.Calendars.OrganizerApp(ctx, m.AccountID, m.OrganizerID)
}

// enqueueAppEvent queues, in tx, the write of the delivery a into the
// organizer's app calendar app (organizerApp, read before tx began: a read
// outside tx while tx holds its connection could wait for a connection
// forever once every connection of the pool is such a transaction's);
// "" when they have none.
func (s *Service) enqueueAppEvent(ctx context.Context, tx *store.DB, app string, a deliver) error {
	if app == "" {
		return nil
	}
	return s.Jobs.Enqueue(ctx, tx, appEvent{AccountID: a.AccountID, MeetingID: a.MeetingID, Sequence: a.Sequence, Method: a.Method,
		OccurrenceID: a.OccurrenceID, Only: a.Only}, uniqueArgs)
}

// providerInvites reports whether the provider mails the invitees of m:
// the account chose it and the organizer has an app calendar.
func providerInvites(acct *store.Account, app string) bool {
	return acct.Invitations == store.InvitationsProvider && app != ""
}

func (s *Service) workAppEvent(ctx context.Context, job *jobs.Job[appEvent]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Method == deliverRequest && m.Sequence != a.Sequence {
		return nil // a later change writes the event as it is then
	}
	app, err := s.organizerApp(ctx, m)
	if err != nil || app == "" {
		return err
	}
	entry, _ := s.Calendars.AppRegistry().Lookup(app)
	cals, err := s.Calendars.AppCalendars(ctx, m.AccountID, app)
	if errors.Is(err, store.ErrNotFound) {
		return nil // uninstalled meanwhile
	}
	if err != nil {
		return s.appEventError(m, app, err)
	}
	acct, err := s.Store.Account(ctx, m.AccountID)
	if err != nil {
		return err
	}
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	notify := acct.Invitations == store.InvitationsProvider
	rec, err := s.Store.MeetingAppEvent(ctx, m.AccountID, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		rec = nil
	} else if err != nil {
		return err
	}
	var vm *video.Meeting
	if len(m.Video) > 0 {
		vm = new(video.Meeting)
		if err := json.Unmarshal(m.Video, vm); err != nil {
			return jobs.Permanent(fmt.Errorf("booking: video meeting of %s: %w", m.ID, err))
		}
	}
	sameApp := m.VideoProvider == app
	if a.Method == deliverCancel && len(a.Only) == 0 {
		if rec == nil {
			return nil // never written
		}
		var at time.Time
		if a.OccurrenceID != "" {
			occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
			if err != nil {
				return err
			}
			for _, o := range occs {
				if o.ID == a.OccurrenceID {
					at = o.Original
				}
			}
			if at.IsZero() {
				return nil
			}
		} else if sameApp && entry.VideoIsEvent {
			// The event is the video meeting: its deletion removes it.
			return s.Store.DeleteMeetingAppEvent(ctx, m.AccountID, m.ID)
		}
		if err := cals.DeleteEvent(ctx, organizer.Email, rec.EventID, at, notify); err != nil && !errors.Is(err, video.ErrNotFound) {
			return s.appEventError(m, app, err)
		}
		if at.IsZero() {
			return s.Store.DeleteMeetingAppEvent(ctx, m.AccountID, m.ID)
		}
		return nil
	}
	if m.Status == "cancelled" {
		return nil // a REQUEST overtaken by the cancellation
	}
	// A REQUEST, or attendees removed: the event is written as the
	// meeting is now.
	ev := video.CalendarEvent{UID: m.UID, Subject: m.Subject, Description: m.Description, Start: m.Start, End: m.End,
		TimeZone: m.TimeZone, RRule: m.RRule, Notify: notify,
		Ref: video.CreateRef{Key: "app-event/" + m.ID, Since: m.Created}}
	for _, at := range m.Attendees {
		ev.Attendees = append(ev.Attendees, video.Attendee{Email: at.Email, Name: at.Name})
	}
	if m.RRule != "" {
		occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
		if err != nil {
			return err
		}
		for _, o := range occs {
			switch {
			case o.Status == "cancelled":
				ev.ExDates = append(ev.ExDates, o.Original)
			case !o.Start.Equal(o.Original):
				ev.Moved = append(ev.Moved, video.MovedOccurrence{Original: o.Original, Start: o.Start, End: o.End})
			}
		}
	}
	switch {
	case sameApp && entry.VideoIsEvent:
		if vm == nil || vm.ID == "" {
			return nil // the video job writes it when it makes the meeting
		}
		ev.ID = vm.ID
	case vm != nil:
		// The video meeting made by the video job, even the same app's
		// (a Teams meeting through onlineMeetings): the link the
		// invitations carry. Asking the event for a conference too
		// would make a second meeting with another link.
		ev.JoinURL, ev.Location = vm.JoinURL, vm.JoinURL
	case sameApp:
		ev.Conference = true
	}
	if rec != nil && ev.ID == "" {
		ev.ID = rec.EventID
	}
	ref, err := cals.PutEvent(ctx, organizer.Email, ev)
	if err != nil {
		return s.appEventError(m, app, err)
	}
	now := s.Now().UTC()
	saved := &store.MeetingAppEvent{AccountID: m.AccountID, MeetingID: m.ID, App: app, EventID: ref.ID, ICalUID: ref.ICalUID, Created: now, Updated: now}
	if rec != nil {
		saved.Created = rec.Created
	}
	if err := s.Store.PutMeetingAppEvent(ctx, saved); err != nil {
		return err
	}
	s.Log.Info("meeting written in the organizer's app calendar", "account", m.AccountID, "meeting", m.ID, "app", app,
		"sequence", m.Sequence, "notify", notify)
	return nil
}

// appEventError is what a provider's error means for the job: retried
// when it may pass, given up (and logged for the admin) when it cannot.
func (s *Service) appEventError(m *store.Meeting, app string, err error) error {
	err = fmt.Errorf("booking: %s calendar of meeting %s: %w", app, m.ID, err)
	if permanentVideoError(err) {
		s.Log.Warn("meeting not written in the organizer's app calendar", "account", m.AccountID, "meeting", m.ID, "app", app, "err", err)
		return jobs.Permanent(err)
	}
	return err
}

// MeetingUIDs returns the iCalendar UIDs meeting m has in calendars: its
// own, and the one its organizer's app keeps for its event when that
// differs. A search for another time for m ignores them
// (calendar.AvailabilityRequest.IgnoreUIDs), so that the synced copy of
// the organizer's calendar does not make m collide with itself.
func (s *Service) MeetingUIDs(ctx context.Context, m *store.Meeting) ([]string, error) {
	uids := []string{m.UID}
	rec, err := s.Store.MeetingAppEvent(ctx, m.AccountID, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return uids, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.ICalUID != "" && rec.ICalUID != m.UID {
		uids = append(uids, rec.ICalUID)
	}
	return uids, nil
}
