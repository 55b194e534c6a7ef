package google

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/convene/convene/internal/video"
)

// Meet is Google Meet as a video.Provider. A Meet meeting is an event of
// the host's primary calendar with a conference Google attached
// (conferenceData.createRequest, conferenceDataVersion=1): App's
// VideoIsEvent tells the calendar core to write the booking into that
// event rather than add a second one.
//
// A Meeting's fields hold:
//
//   - ID: "<host address>/<event id>": the event is in the host's
//     calendar, which Google reads only as the host; PutEvent and
//     DeleteEvent take this form as well as the bare event id;
//   - UUID: the conference id (Meet's meeting code, "abc-defg-hij");
//   - JoinURL: the video entry point's URI (https://meet.google.com/…);
//   - PSTNPassword: the PIN of the phone entry point;
//   - SIPLinks: the SIP entry points' URIs;
//   - Invitation: the join link, the phone numbers with their PIN and the
//     link to more numbers, as lines;
//   - HostEmail: the organizer; Topic, Agenda, StartTime, Duration,
//     Timezone: the event's summary, description and times.
//
// Meet has no passcode and no settings of Zoom's; a link serves every
// occurrence, so a series is a single event here, which the calendar
// write gives its RRULE (Rules.Recurrence is nil).
type Meet struct {
	*Client
}

var _ video.Provider = Meet{}

// Name is the app's ID.
func (m Meet) Name() string { return m.name() }

// Create makes a meeting, with a random reference.
func (m Meet) Create(ctx context.Context, host string, spec video.Spec) (*video.Meeting, error) {
	key, err := randomID()
	if err != nil {
		return nil, err
	}
	return m.CreateOnce(ctx, host, spec, video.CreateRef{Key: key})
}

// CreateOnce inserts the event with a Meet conference in host's calendar,
// its id (and the conference's requestId) EventID(ref.Key): a retry gets
// Google's 409 duplicate and reads the event, so there is one event and
// one conference per reference whatever fails in between. Google's
// attendees are not invited (sendUpdates none).
func (m Meet) CreateOnce(ctx context.Context, host string, spec video.Spec, ref video.CreateRef) (*video.Meeting, error) {
	if spec.StartTime.IsZero() || spec.Duration <= 0 {
		return nil, &video.Error{Provider: m.name(), Permanent: true, Err: &video.ValidationError{Field: "start_time", Message: "a Google Meet meeting is an event of the host's calendar: it needs a start time and a duration"}}
	}
	if ref.Key == "" {
		return nil, errors.New("google: CreateOnce needs a reference key")
	}
	ev := video.CalendarEvent{
		Ref: ref, Subject: spec.Topic, Start: spec.StartTime,
		End: spec.StartTime.Add(time.Duration(spec.Duration) * time.Minute), TimeZone: spec.Timezone,
		Conference: true, UID: spec.UID,
	}
	if spec.Agenda != nil {
		ev.Description = *spec.Agenda
	}
	if ev.TimeZone == "" {
		if l := spec.StartTime.Location(); l != time.Local && l != time.UTC {
			ev.TimeZone = l.String()
		}
	}
	if ref.Posting != nil {
		// The id makes a repeated insert harmless; the time is still
		// recorded for the caller's bookkeeping.
		if err := ref.Posting(ctx, m.now()); err != nil {
			return nil, err
		}
	}
	r, err := m.PutEvent(ctx, host, ev)
	if err != nil {
		return nil, err
	}
	if r.Meeting == nil {
		return nil, &video.Error{Provider: m.name(), Uncertain: true, Message: "Google gave the event no Meet conference", Err: video.ErrUnavailable}
	}
	return r.Meeting, nil
}

// split returns the host and the event id of a meeting id.
func (m Meet) split(id string) (host, event string, err error) {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 || i == len(id)-1 {
		return "", "", &video.Error{Provider: m.name(), Permanent: true, Message: "not a Google Meet meeting id: " + id, Err: video.ErrNotFound}
	}
	return id[:i], id[i+1:], nil
}

// Get reads the meeting's event (or, with occurrenceID, the occurrence's
// instance, whose id Google gives).
func (m Meet) Get(ctx context.Context, id, occurrenceID string) (*video.Meeting, error) {
	host, ev, err := m.split(id)
	if err != nil {
		return nil, err
	}
	if occurrenceID != "" {
		ev = occurrenceID
	}
	got, err := m.get(ctx, host, ev)
	if err != nil {
		return nil, err
	}
	if got.Status == "cancelled" {
		return nil, &video.Error{Provider: m.name(), Status: 410, Permanent: true, Message: "the event was deleted", Err: video.ErrNotFound}
	}
	mt := meetingOf(host, got)
	if mt == nil {
		return nil, &video.Error{Provider: m.name(), Permanent: true, Message: "the event has no Meet conference", Err: video.ErrNotFound}
	}
	return mt, nil
}

// Update patches the event's summary, description and times where spec
// sets them, without telling attendees (Convene sends its updates).
func (m Meet) Update(ctx context.Context, id, occurrenceID string, spec video.Spec) (*video.Meeting, error) {
	host, ev, err := m.split(id)
	if err != nil {
		return nil, err
	}
	if occurrenceID != "" {
		ev = occurrenceID
	}
	patch := &calendar.Event{Summary: spec.Topic}
	if spec.Agenda != nil {
		patch.Description = *spec.Agenda
		if patch.Description == "" {
			patch.NullFields = append(patch.NullFields, "Description")
		}
	}
	if !spec.StartTime.IsZero() || spec.Duration > 0 {
		cur, err := m.get(ctx, host, ev)
		if err != nil {
			return nil, err
		}
		start, end, err := eventSpan(cur)
		if err != nil {
			return nil, err
		}
		d := end.Sub(start)
		if spec.Duration > 0 {
			d = time.Duration(spec.Duration) * time.Minute
		}
		if !spec.StartTime.IsZero() {
			start = spec.StartTime
		}
		zone := spec.Timezone
		if zone == "" && cur.Start != nil {
			zone = cur.Start.TimeZone
		}
		loc := time.UTC
		if l, err := time.LoadLocation(zone); err == nil && zone != "" {
			loc = l
		} else {
			zone = "UTC"
		}
		patch.Start = &calendar.EventDateTime{DateTime: start.In(loc).Format(time.RFC3339), TimeZone: zone}
		patch.End = &calendar.EventDateTime{DateTime: start.Add(d).In(loc).Format(time.RFC3339), TimeZone: zone}
	}
	var got *calendar.Event
	err = m.call(ctx, host, "events.patch", func(s *calendar.Service) error {
		var err error
		got, err = s.Events.Patch("primary", ev, patch).Context(ctx).SendUpdates("none").ConferenceDataVersion(1).Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	mt := meetingOf(host, got)
	if mt == nil {
		return nil, &video.Error{Provider: m.name(), Permanent: true, Message: "the event has no Meet conference", Err: video.ErrNotFound}
	}
	return mt, nil
}

// Delete deletes the event (or the occurrence's instance) without telling
// attendees. An event already gone wraps video.ErrNotFound.
func (m Meet) Delete(ctx context.Context, id, occurrenceID string) error {
	host, ev, err := m.split(id)
	if err != nil {
		return err
	}
	if occurrenceID != "" {
		ev = occurrenceID
	}
	return m.call(ctx, host, "events.delete", func(s *calendar.Service) error {
		return s.Events.Delete("primary", ev).Context(ctx).SendUpdates("none").Do()
	})
}

// List is not supported: Convene finds its Meet meetings by their event
// ids, and the calendar sync sees the rest.
func (m Meet) List(ctx context.Context, host string) ([]video.Meeting, error) {
	return nil, fmt.Errorf("google: list meetings: %w", video.ErrNotSupported)
}

// Invitation is the meeting's joining details as text (Meet has no
// invitation of its own in the API).
func (m Meet) Invitation(ctx context.Context, id string) (*video.Invitation, error) {
	mt, err := m.Get(ctx, id, "")
	if err != nil {
		return nil, err
	}
	return &video.Invitation{Text: mt.Invitation, SIPLinks: mt.SIPLinks}, nil
}

// eventSpan returns an event's start and end instants.
func eventSpan(e *calendar.Event) (time.Time, time.Time, error) {
	if e.Start == nil || e.End == nil {
		return time.Time{}, time.Time{}, errors.New("google: the event has no start or end")
	}
	s, err1 := time.Parse(time.RFC3339, e.Start.DateTime)
	t, err2 := time.Parse(time.RFC3339, e.End.DateTime)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, errors.New("google: the event is not timed (all-day?)")
	}
	return s, t, nil
}

// meetingOf is the Meet conference of an event of host's calendar, nil
// when it has none.
func meetingOf(host string, e *calendar.Event) *video.Meeting {
	cd := e.ConferenceData
	if cd == nil && e.HangoutLink == "" {
		return nil
	}
	m := &video.Meeting{
		Provider: ID, ID: host + "/" + e.Id, HostEmail: host, Topic: e.Summary, Agenda: e.Description,
		Type: video.Scheduled, JoinURL: e.HangoutLink,
	}
	if len(e.Recurrence) > 0 {
		m.Type = video.RecurringFixedTime
	}
	if e.Organizer != nil && e.Organizer.Email != "" {
		m.HostEmail = e.Organizer.Email
	}
	if s, t, err := eventSpan(e); err == nil {
		m.StartTime = s.UTC()
		m.Duration = int(t.Sub(s) / time.Minute)
		m.Timezone = e.Start.TimeZone
	}
	if t, err := time.Parse(time.RFC3339, e.Created); err == nil {
		m.CreatedAt = t.UTC()
	}
	var lines []string
	if cd != nil {
		m.UUID = cd.ConferenceId
		for _, ep := range cd.EntryPoints {
			switch ep.EntryPointType {
			case "video":
				m.JoinURL = ep.Uri
			case "phone":
				if m.PSTNPassword == "" {
					m.PSTNPassword = ep.Pin
				}
				label := ep.Label
				if label == "" {
					label = strings.TrimPrefix(ep.Uri, "tel:")
				}
				l := "Join by phone: " + label
				if ep.Pin != "" {
					l += " PIN: " + ep.Pin + "#"
				}
				if ep.RegionCode != "" {
					l = "(" + ep.RegionCode + ") " + l
				}
				lines = append(lines, l)
			case "sip":
				m.SIPLinks = append(m.SIPLinks, ep.Uri)
			case "more":
				lines = append(lines, "More phone numbers: "+ep.Uri)
			}
		}
	}
	if m.JoinURL == "" {
		return nil
	}
	head := []string{"Join with Google Meet: " + m.JoinURL}
	if m.UUID != "" {
		head = append(head, "Meeting code: "+m.UUID)
	}
	m.Invitation = strings.Join(append(head, lines...), "\r\n")
	return m
}
