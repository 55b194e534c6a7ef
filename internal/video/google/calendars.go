package google

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/convene/convene/internal/video"
)

// Limits of Google's API and Convene's budgets.
const (
	// FreeBusyMax is how many calendars one freebusy.query takes
	// (calendarExpansionMax's maximum, 50): more users are split over
	// several calls.
	FreeBusyMax = 50
	// pageSize is events.list's maxResults (Google's maximum is 2500).
	pageSize = 2500
	// maxPages bounds one Changes call: 100 pages of 2,500 events.
	maxPages = 100
	// maxSeriesReads bounds the series re-read in one incremental
	// Changes (one events.list with iCalUID each); more touched series
	// ask for a full sync instead.
	maxSeriesReads = 200
	// conferencePolls bounds the reads of an event whose Meet conference
	// is still being created (createRequest status "pending").
	conferencePolls = 5
)

var _ video.Calendars = (*Client)(nil)

// FreeBusy asks freebusy.query for the busy time of users, FreeBusyMax
// calendars per call, acting as the first user of each call (in a
// Workspace, people see their colleagues' free/busy by default). Google
// reports busy time only: transparent and declined events are already
// left out, and tentative time is busy, so Tentative stays empty. A
// calendar Google reports an error for (notFound: no such user or not
// shared) has Err set.
func (c *Client) FreeBusy(ctx context.Context, users []string, from, to time.Time) (map[string]video.FreeBusy, error) {
	out := make(map[string]video.FreeBusy, len(users))
	if c.UserTokens != nil {
		return out, c.personalFreeBusy(ctx, users, from, to, out)
	}
	for start := 0; start < len(users); start += FreeBusyMax {
		chunk := users[start:min(start+FreeBusyMax, len(users))]
		if err := c.freeBusy(ctx, chunk, from, to, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (c *Client) freeBusy(ctx context.Context, users []string, from, to time.Time, out map[string]video.FreeBusy) error {
	// Act as one of the users: one whose token Google refuses (no such
	// user) is answered with its error and the next is tried.
	for len(users) > 0 {
		actor := users[0]
		req := &calendar.FreeBusyRequest{
			TimeMin: from.UTC().Format(time.RFC3339), TimeMax: to.UTC().Format(time.RFC3339),
			TimeZone: "UTC", CalendarExpansionMax: int64(len(users)),
		}
		for _, u := range users {
			req.Items = append(req.Items, &calendar.FreeBusyRequestItem{Id: u})
		}
		var resp *calendar.FreeBusyResponse
		err := c.call(ctx, actor, "freebusy.query", func(s *calendar.Service) error {
			var err error
			resp, err = s.Freebusy.Query(req).Context(ctx).Do()
			return err
		})
		if errors.Is(err, video.ErrHostNotFound) {
			out[actor] = video.FreeBusy{Err: err}
			users = users[1:]
			continue
		}
		if err != nil {
			return err
		}
		for _, u := range users {
			fb := video.FreeBusy{}
			cal, ok := resp.Calendars[u]
			if !ok {
				// Google keys the answer by the id asked; a user missing
				// from it was not answered.
				fb.Err = fmt.Errorf("google: freebusy.query: no answer for %s: %w", u, video.ErrNotFound)
			} else {
				fb = busyOf(u, cal)
			}
			out[u] = fb
		}
		return nil
	}
	return nil
}

// PersonalFreeBusyMax bounds the users one FreeBusy answers in per-user
// mode, where each takes a call of its own: the others are answered with
// an error (the core asks only for users whose copy is not synced yet).
const PersonalFreeBusyMax = 50

// personalFreeBusy is FreeBusy in per-user mode: a consumer account's
// token sees only its own calendars, so each user's primary calendar is
// asked with their own token, one freebusy.query per user, at most
// PersonalFreeBusyMax. A user without a usable grant is answered with
// its error (video.ErrNotConnected); the others still are.
func (c *Client) personalFreeBusy(ctx context.Context, users []string, from, to time.Time, out map[string]video.FreeBusy) error {
	for i, u := range users {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if i >= PersonalFreeBusyMax {
			out[u] = video.FreeBusy{Err: fmt.Errorf("google: freebusy.query: over %d personal accounts in one query: %w", PersonalFreeBusyMax, video.ErrUnavailable)}
			continue
		}
		req := &calendar.FreeBusyRequest{
			TimeMin: from.UTC().Format(time.RFC3339), TimeMax: to.UTC().Format(time.RFC3339),
			TimeZone: "UTC", Items: []*calendar.FreeBusyRequestItem{{Id: "primary"}},
		}
		var resp *calendar.FreeBusyResponse
		err := c.call(ctx, u, "freebusy.query", func(s *calendar.Service) error {
			var err error
			resp, err = s.Freebusy.Query(req).Context(ctx).Do()
			return err
		})
		if err != nil {
			if errors.Is(err, video.ErrUnauthorized) || errors.Is(err, video.ErrHostNotFound) || errors.Is(err, video.ErrNotFound) || errors.Is(err, video.ErrForbidden) {
				out[u] = video.FreeBusy{Err: err}
				continue
			}
			return err
		}
		cal, ok := resp.Calendars["primary"]
		if !ok && len(resp.Calendars) == 1 {
			// Google may key the answer by the calendar's address.
			for _, v := range resp.Calendars {
				cal, ok = v, true
			}
		}
		if !ok {
			out[u] = video.FreeBusy{Err: fmt.Errorf("google: freebusy.query: no answer for %s: %w", u, video.ErrNotFound)}
			continue
		}
		out[u] = busyOf(u, cal)
	}
	return nil
}

// busyOf reads the answer of freebusy.query for user's calendar: its
// error, or its busy periods (all of them readable, else an error).
func busyOf(user string, cal calendar.FreeBusyCalendar) video.FreeBusy {
	var fb video.FreeBusy
	if len(cal.Errors) > 0 {
		fb.Err = freeBusyErr(user, cal.Errors[0].Reason)
		return fb
	}
	for _, p := range cal.Busy {
		s, err1 := time.Parse(time.RFC3339, p.Start)
		e, err2 := time.Parse(time.RFC3339, p.End)
		if err1 != nil || err2 != nil || !e.After(s) {
			return video.FreeBusy{Err: fmt.Errorf("google: freebusy.query: %s: a busy period %q–%q Convene cannot read", user, p.Start, p.End)}
		}
		fb.Busy = append(fb.Busy, video.Interval{Start: s.UTC(), End: e.UTC()})
	}
	return fb
}

// freeBusyErr is the error of one calendar in a freebusy.query answer.
func freeBusyErr(user, reason string) error {
	switch reason {
	case "notFound":
		return fmt.Errorf("google: freebusy.query: %s: %w", user, video.ErrHostNotFound)
	case "groupTooBig", "tooManyCalendarsRequested":
		return fmt.Errorf("google: freebusy.query: %s: %s: %w", user, reason, video.ErrNotSupported)
	}
	return fmt.Errorf("google: freebusy.query: %s: %s: %w", user, reason, video.ErrUnavailable)
}

// Changes reads what changed in user's primary calendar with events.list
// and its sync token: a full sync when cursor is "" (every event, pages
// of 2,500, nextPageToken), else the changes since the token. Series come
// whole (singleEvents=false: the master with its RRULE, its exceptions
// and cancelled instances by recurringEventId), each series one object; a
// series an incremental sync touched is re-read whole (events.list with
// its iCalUID), since Google sends only what changed. Google's 410
// (fullSyncRequired) is video.ErrSyncExpired. from and to are not used:
// Google's sync token covers the whole calendar.
func (c *Client) Changes(ctx context.Context, user, cursor string, from, to time.Time) (*video.ChangeSet, error) {
	var items []*calendar.Event
	next := ""
	pageToken := ""
	for page := 0; ; page++ {
		if page >= maxPages {
			return nil, fmt.Errorf("google: events.list of %s: more than %d pages of %d events: %w", user, maxPages, pageSize, video.ErrNotSupported)
		}
		var resp *calendar.Events
		err := c.call(ctx, user, "events.list", func(s *calendar.Service) error {
			call := s.Events.List("primary").Context(ctx).MaxResults(pageSize).ShowDeleted(true).SingleEvents(false)
			if cursor != "" {
				call = call.SyncToken(cursor)
			}
			if pageToken != "" {
				call = call.PageToken(pageToken)
			}
			var err error
			resp, err = call.Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		items = append(items, resp.Items...)
		if resp.NextPageToken == "" {
			next = resp.NextSyncToken
			break
		}
		pageToken = resp.NextPageToken
	}
	if next == "" {
		return nil, fmt.Errorf("google: events.list of %s: the last page has no nextSyncToken", user)
	}
	cs := &video.ChangeSet{Full: cursor == "", Cursor: next}
	groups, order := group(items)
	if cursor != "" {
		// An incremental sync names only what changed of a series: read
		// each touched series whole.
		reads := 0
		for _, id := range order {
			g := groups[id]
			if g.master != nil && g.master.Status == "cancelled" {
				continue
			}
			if g.master != nil && len(g.master.Recurrence) == 0 && len(g.instances) == 0 {
				continue // a single event: complete as it is
			}
			if reads++; reads > maxSeriesReads {
				return nil, fmt.Errorf("google: events.list of %s: more than %d series changed: %w", user, maxSeriesReads, video.ErrSyncExpired)
			}
			whole, err := c.series(ctx, user, g)
			if err != nil {
				return nil, err
			}
			groups[id] = whole
		}
	}
	for _, id := range order {
		g := groups[id]
		if g.master != nil && g.master.Status == "cancelled" {
			if cursor != "" {
				cs.Removed = append(cs.Removed, id)
			}
			continue
		}
		if g.master == nil {
			// Exceptions whose series Google did not give: nothing
			// Convene can place.
			continue
		}
		ics, err := toICS(g, user, c.now())
		if err != nil {
			if c.Log != nil {
				c.Log.Warn("google: an event Convene cannot read is left out", "user", user, "event", id, "err", err)
			}
			continue
		}
		cs.Objects = append(cs.Objects, video.RemoteObject{ID: id, ICS: ics, ETag: g.master.Etag})
	}
	return cs, nil
}

// series is a series' master and its exceptions, grouped by
// recurringEventId.
type series struct {
	master    *calendar.Event
	instances []*calendar.Event
}

// group gathers events into series by recurringEventId, in the order
// their ids first appear.
func group(items []*calendar.Event) (map[string]*series, []string) {
	groups := map[string]*series{}
	var order []string
	get := func(id string) *series {
		g, ok := groups[id]
		if !ok {
			g = &series{}
			groups[id] = g
			order = append(order, id)
		}
		return g
	}
	for _, e := range items {
		if e.RecurringEventId != "" {
			g := get(e.RecurringEventId)
			g.instances = append(g.instances, e)
			continue
		}
		get(e.Id).master = e
	}
	return groups, order
}

// series reads a series whole: its master and exceptions, by its iCalUID.
func (c *Client) series(ctx context.Context, user string, g *series) (*series, error) {
	uid := ""
	if g.master != nil {
		uid = g.master.ICalUID
	} else if len(g.instances) > 0 {
		uid = g.instances[0].ICalUID
	}
	if uid == "" && len(g.instances) > 0 {
		// Google's cancelled instances carry only their ids: the master,
		// by id, names the series' iCalUID.
		m, err := c.get(ctx, user, g.instances[0].RecurringEventId)
		if errors.Is(err, video.ErrNotFound) {
			return g, nil
		}
		if err != nil {
			return nil, err
		}
		if m.Status == "cancelled" {
			return &series{master: m}, nil
		}
		uid = m.ICalUID
	}
	if uid == "" {
		return g, nil
	}
	var items []*calendar.Event
	pageToken := ""
	for page := 0; page < maxPages; page++ {
		var resp *calendar.Events
		err := c.call(ctx, user, "events.list by iCalUID", func(s *calendar.Service) error {
			call := s.Events.List("primary").Context(ctx).ICalUID(uid).ShowDeleted(true).SingleEvents(false).MaxResults(pageSize)
			if pageToken != "" {
				call = call.PageToken(pageToken)
			}
			var err error
			resp, err = call.Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		items = append(items, resp.Items...)
		if pageToken = resp.NextPageToken; pageToken == "" {
			break
		}
	}
	groups, order := group(items)
	for _, id := range order {
		if groups[id].master != nil {
			return groups[id], nil
		}
	}
	return g, nil
}

// Watch opens a push channel on user's primary calendar's events
// (events.watch, type web_hook): Google posts to address with
// X-Goog-Channel-ID and X-Goog-Channel-Token. The channel id is random.
func (c *Client) Watch(ctx context.Context, user, address, token string) (*video.Channel, error) {
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	var resp *calendar.Channel
	err = c.call(ctx, user, "events.watch", func(s *calendar.Service) error {
		var err error
		resp, err = s.Events.Watch("primary", &calendar.Channel{Id: id, Type: "web_hook", Address: address, Token: token}).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	ch := &video.Channel{ID: resp.Id, Resource: resp.ResourceId, User: user, Token: token}
	if ch.ID == "" {
		ch.ID = id
	}
	if resp.Expiration > 0 {
		ch.Expires = time.UnixMilli(resp.Expiration).UTC()
	}
	return ch, nil
}

// Renew opens a new channel and stops the old one: Google's channels
// cannot be extended.
// The new channel notifies WebhookURL with the old channel's token.
func (c *Client) Renew(ctx context.Context, ch video.Channel) (*video.Channel, error) {
	if c.WebhookURL == "" {
		return nil, errors.New("google: renew a channel: no webhook URL configured")
	}
	next, err := c.Watch(ctx, ch.User, c.WebhookURL, ch.Token)
	if err != nil {
		return nil, err
	}
	if err := c.Unwatch(ctx, ch); err != nil && c.Log != nil {
		// The old channel expires on its own; its notifications are
		// still checked against the channels the core keeps.
		c.Log.Warn("google: stopping a renewed channel failed", "channel", ch.ID, "err", err)
	}
	return next, nil
}

// Unwatch stops a channel (channels.stop, as the user who opened it). A
// channel Google no longer knows is not an error.
func (c *Client) Unwatch(ctx context.Context, ch video.Channel) error {
	err := c.call(ctx, ch.User, "channels.stop", func(s *calendar.Service) error {
		return s.Channels.Stop(&calendar.Channel{Id: ch.ID, ResourceId: ch.Resource, Token: ch.Token}).Context(ctx).Do()
	})
	if errors.Is(err, video.ErrNotFound) {
		return nil
	}
	return err
}

// randomID is a channel id: 128 random bits in hex (Google allows
// [A-Za-z0-9\-_\+/=], at most 64 characters).
func randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("google: channel id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// EventID is the id of the event a booking side effect creates: Google
// lets the client choose an event's id (base32hex: a-v and 0-9, 5 to
// 1024 characters), so the id is derived from the Ref's key and a retry
// that finds it taken (409 duplicate) reads the event the earlier attempt
// created: exactly once.
func EventID(key string) string {
	sum := sha256.Sum256([]byte("convene event " + key))
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
}

// eventPart returns the event id of a meeting id ("host/eventid", see
// Meet) or of a plain event id.
func eventPart(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// sendUpdates is events' sendUpdates for Notify: "all" when Google mails
// the attendees, "none" when Convene sends its own invitations, so that
// nobody gets two.
func sendUpdates(notify bool) string {
	if notify {
		return "all"
	}
	return "none"
}

// PutEvent inserts the meeting's event in organizer's primary calendar
// (events.insert with the id EventID(ev.Ref.Key) and iCalUID ev.UID), or
// patches it when ev.ID is set. A 409 duplicate on insert means an
// earlier attempt made it: the event is read and, when its times or
// attendees differ, patched to ev. With Conference, Google attaches a Meet
// conference (conferenceDataVersion=1, createRequest with the event id as
// requestId); a create Google still has pending is read again, a bounded
// number of times.
func (c *Client) PutEvent(ctx context.Context, organizer string, ev video.CalendarEvent) (*video.EventRef, error) {
	body, err := eventBody(ev)
	if err != nil {
		return nil, err
	}
	var got *calendar.Event
	if ev.ID != "" {
		id := eventPart(ev.ID)
		// Google keeps an event's iCalUID for good: a patch leaves it.
		body.Id, body.ICalUID = "", ""
		err = c.call(ctx, organizer, "events.patch", func(s *calendar.Service) error {
			call := s.Events.Patch("primary", id, body).Context(ctx).SendUpdates(sendUpdates(ev.Notify))
			if ev.Conference {
				call = call.ConferenceDataVersion(1)
			}
			var err error
			got, err = call.Do()
			return err
		})
		if err != nil {
			return nil, err
		}
	} else {
		if ev.Ref.Key == "" {
			return nil, errors.New("google: PutEvent: a new event needs its Ref")
		}
		body.Id = EventID(ev.Ref.Key)
		if ev.Conference {
			body.ConferenceData = &calendar.ConferenceData{CreateRequest: &calendar.CreateConferenceRequest{
				RequestId: body.Id, ConferenceSolutionKey: &calendar.ConferenceSolutionKey{Type: "hangoutsMeet"},
			}}
		}
		got, err = c.insert(ctx, organizer, body, ev.Notify, ev.Conference)
		if err != nil {
			return nil, err
		}
	}
	if ev.Conference {
		if got, err = c.awaitConference(ctx, organizer, got); err != nil {
			return nil, err
		}
	}
	for _, mv := range ev.Moved {
		if err := c.moveInstance(ctx, organizer, got.Id, mv, ev); err != nil {
			return nil, err
		}
	}
	return &video.EventRef{ID: got.Id, ICalUID: got.ICalUID, WebURL: got.HtmlLink, Meeting: meetingOf(organizer, got)}, nil
}

// moveInstance moves one occurrence of the series id: events.patch of
// the instance id Google gives it (the series' id, "_", the original start
// in UTC), with its new times in the series' zone. Patching the same times
// again changes nothing, so a retried write is harmless; an occurrence
// Google no longer has (deleted there) is left alone.
func (c *Client) moveInstance(ctx context.Context, organizer, id string, mv video.MovedOccurrence, ev video.CalendarEvent) error {
	start, end, _, err := wallTimes(ev.TimeZone, mv.Start, mv.End)
	if err != nil {
		return err
	}
	inst := eventPart(id) + "_" + mv.Original.UTC().Format("20060102T150405Z")
	body := &calendar.Event{Start: start, End: end}
	err = c.call(ctx, organizer, "events.patch of an occurrence", func(s *calendar.Service) error {
		_, err := s.Events.Patch("primary", inst, body).Context(ctx).SendUpdates(sendUpdates(ev.Notify)).Do()
		return err
	})
	if errors.Is(err, video.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("google: move the occurrence of %s: %w", mv.Original.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// insert inserts body (its id set), or reads the event an earlier attempt
// inserted with that id.
func (c *Client) insert(ctx context.Context, organizer string, body *calendar.Event, notify, conference bool) (*calendar.Event, error) {
	var got *calendar.Event
	err := c.call(ctx, organizer, "events.insert", func(s *calendar.Service) error {
		call := s.Events.Insert("primary", body).Context(ctx).SendUpdates(sendUpdates(notify))
		if conference {
			call = call.ConferenceDataVersion(1)
		}
		var err error
		got, err = call.Do()
		return err
	})
	if errors.Is(err, ErrDuplicate) {
		// An earlier attempt (or a retry of this one after a lost
		// answer) inserted it.
		got, err = c.get(ctx, organizer, body.Id)
		if err == nil && got.Status == "cancelled" {
			return nil, fmt.Errorf("google: event %s was created and then deleted at Google: %w", body.Id, video.ErrNotFound)
		}
	}
	return got, err
}

func (c *Client) get(ctx context.Context, user, id string) (*calendar.Event, error) {
	var got *calendar.Event
	err := c.call(ctx, user, "events.get", func(s *calendar.Service) error {
		var err error
		got, err = s.Events.Get("primary", id).Context(ctx).Do()
		return err
	})
	return got, err
}

// awaitConference reads the event again while Google still creates its
// conference (createRequest status "pending"), at most conferencePolls
// times; a conference still pending then is an error worth retrying (the
// retry finds the event by its id).
func (c *Client) awaitConference(ctx context.Context, user string, ev *calendar.Event) (*calendar.Event, error) {
	for i := 0; ; i++ {
		st := conferenceStatus(ev)
		switch st {
		case "", "success":
			return ev, nil
		case "failure":
			return nil, &video.Error{Provider: c.name(), Permanent: true, Message: "Google could not create the Meet conference of event " + ev.Id, Err: video.ErrNotSupported}
		}
		if i >= conferencePolls {
			return nil, &video.Error{Provider: c.name(), Uncertain: true, Message: "the Meet conference of event " + ev.Id + " is still pending", Err: video.ErrUnavailable}
		}
		if err := c.Retry.sleep(ctx, c.Retry.wait(i, 0)); err != nil {
			return nil, err
		}
		var err error
		if ev, err = c.get(ctx, user, ev.Id); err != nil {
			return nil, err
		}
	}
}

func conferenceStatus(ev *calendar.Event) string {
	if ev.ConferenceData == nil || ev.ConferenceData.CreateRequest == nil || ev.ConferenceData.CreateRequest.Status == nil {
		return ""
	}
	return ev.ConferenceData.CreateRequest.Status.StatusCode
}

// wallTimes are start and end as Google's EventDateTime in zone (an
// IANA name, "" for UTC), and the zone's location.
func wallTimes(zone string, start, end time.Time) (*calendar.EventDateTime, *calendar.EventDateTime, *time.Location, error) {
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, nil, nil, &video.Error{Permanent: true, Err: &video.ValidationError{Field: "time_zone", Message: "unknown time zone " + zone}}
	}
	return &calendar.EventDateTime{DateTime: start.In(loc).Format(time.RFC3339), TimeZone: zone},
		&calendar.EventDateTime{DateTime: end.In(loc).Format(time.RFC3339), TimeZone: zone}, loc, nil
}

// eventBody is ev as Google's Event: times in ev.TimeZone, the series'
// RRULE and EXDATEs, attendees, the join link in location and
// description when the event does not carry its own conference.
func eventBody(ev video.CalendarEvent) (*calendar.Event, error) {
	start, end, loc, err := wallTimes(ev.TimeZone, ev.Start, ev.End)
	if err != nil {
		return nil, err
	}
	zone := start.TimeZone
	if !ev.End.After(ev.Start) {
		return nil, &video.Error{Permanent: true, Err: &video.ValidationError{Field: "end", Message: "the event ends before it starts"}}
	}
	b := &calendar.Event{
		ICalUID:     ev.UID,
		Summary:     ev.Subject,
		Description: ev.Description,
		Location:    ev.Location,
		Start:       start,
		End:         end,
	}
	if ev.JoinURL != "" {
		if b.Location == "" {
			b.Location = ev.JoinURL
		}
		if !strings.Contains(b.Description, ev.JoinURL) {
			b.Description = strings.TrimSpace(b.Description + "\n\n" + ev.JoinURL)
		}
	}
	if ev.RRule != "" {
		r := strings.TrimPrefix(ev.RRule, "RRULE:")
		if strings.ContainsAny(r, "\r\n") {
			return nil, &video.Error{Permanent: true, Err: &video.ValidationError{Field: "rrule", Message: "one RRULE line"}}
		}
		b.Recurrence = []string{"RRULE:" + r}
		for _, x := range ev.ExDates {
			// RFC 5545 §3.8.5.1: EXDATE in the zone of DTSTART.
			b.Recurrence = append(b.Recurrence, "EXDATE;TZID="+zone+":"+x.In(loc).Format("20060102T150405"))
		}
	}
	for _, a := range ev.Attendees {
		b.Attendees = append(b.Attendees, &calendar.EventAttendee{Email: a.Email, DisplayName: a.Name, Optional: a.Optional})
	}
	return b, nil
}

// DeleteEvent deletes the event (events.delete), or one occurrence of a
// series (the instance id Google gives occurrences: the series' id, "_",
// and the original start in UTC, 20060102T150405Z). An event already gone
// (404, 410 deleted) is not an error.
func (c *Client) DeleteEvent(ctx context.Context, organizer, id string, occurrence time.Time, notify bool) error {
	id = eventPart(id)
	if !occurrence.IsZero() {
		id += "_" + occurrence.UTC().Format("20060102T150405Z")
	}
	err := c.call(ctx, organizer, "events.delete", func(s *calendar.Service) error {
		return s.Events.Delete("primary", id).Context(ctx).SendUpdates(sendUpdates(notify)).Do()
	})
	if errors.Is(err, video.ErrNotFound) {
		return nil
	}
	return err
}

// WorkingHours returns the user's time zone only: the Calendar API keeps
// no working hours (Google Calendar's working hours are a setting of its
// web app that the API does not expose). The zone is the primary
// calendar's timeZone, which events.list answers with (one event asked,
// only that field): settings.get would give the same for one more scope.
// Days is nil and Start and End empty: unknown, and the core keeps its own
// working hours for the user.
func (c *Client) WorkingHours(ctx context.Context, user string) (*video.WorkingHours, error) {
	var resp *calendar.Events
	err := c.call(ctx, user, "events.list for the time zone", func(s *calendar.Service) error {
		var err error
		resp, err = s.Events.List("primary").Context(ctx).MaxResults(1).Fields("timeZone").Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.TimeZone == "" {
		return nil, nil
	}
	if _, err := time.LoadLocation(resp.TimeZone); err != nil {
		return nil, nil
	}
	return &video.WorkingHours{TimeZone: resp.TimeZone}, nil
}
