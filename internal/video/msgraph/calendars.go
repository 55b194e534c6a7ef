package msgraph

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// Calendars is video.Calendars over Graph: the Outlook calendars of a
// tenant's users, named by e-mail address (Graph takes a user principal
// name or address where it takes an id).
type Calendars struct {
	*Client
}

var _ video.Calendars = Calendars{}

// Limits of getSchedule (Microsoft Graph calendar: getSchedule; Exchange's
// availability service behind it).
const (
	// ScheduleUsers is the most schedules Convene asks in one getSchedule.
	// Graph documents no number; Exchange's availability service refuses
	// more than 100 mailboxes and throttles large requests, and Outlook's
	// Scheduling Assistant asks 20 at a time: Convene does the same and
	// puts the requests in one $batch.
	ScheduleUsers = 20
	// ScheduleWindow is the longest span one getSchedule covers (62 days,
	// the availability service's limit); longer spans are split.
	ScheduleWindow = 62 * 24 * time.Hour
)

// scheduleInformation is getSchedule's answer per schedule.
type scheduleInformation struct {
	ScheduleID    string `json:"scheduleId"`
	ScheduleItems []struct {
		Status string           `json:"status"`
		Start  dateTimeTimeZone `json:"start"`
		End    dateTimeTimeZone `json:"end"`
	} `json:"scheduleItems"`
	Error *struct {
		Message      string `json:"message"`
		ResponseCode string `json:"responseCode"`
	} `json:"error"`
}

// FreeBusy asks getSchedule for users' busy time, ScheduleUsers schedules
// and ScheduleWindow at a time, all the requests in $batch calls of up to
// 20 (one plain call when one request is enough).
//
// Statuses: busy and oof (out of office) are busy; tentative goes in
// Tentative for the core's policy; free is free; workingElsewhere is
// free, because it means the person works, from elsewhere, and takes
// online meetings (Outlook's Scheduling Assistant shows it as available);
// unknown is busy, the safe side when Exchange cannot tell (Convene's
// policy for a source it cannot read).
func (c Calendars) FreeBusy(ctx context.Context, users []string, from, to time.Time) (map[string]video.FreeBusy, error) {
	if !to.After(from) {
		return nil, &video.ValidationError{Field: "window", Message: "the window ends before it starts"}
	}
	out := make(map[string]video.FreeBusy, len(users))
	if len(users) == 0 {
		return out, nil
	}
	type call struct {
		users []string
		path  string
		body  any
	}
	var calls []call
	for i := 0; i < len(users); i += ScheduleUsers {
		chunk := users[i:min(len(users), i+ScheduleUsers)]
		for s := from; s.Before(to); s = s.Add(ScheduleWindow) {
			e := s.Add(ScheduleWindow)
			if e.After(to) {
				e = to
			}
			calls = append(calls, call{users: chunk, path: c.userBase(chunk[0]) + "/calendar/getSchedule", body: map[string]any{
				"schedules": chunk,
				"startTime": dateTimeTimeZone{DateTime: s.UTC().Format("2006-01-02T15:04:05"), TimeZone: "UTC"},
				"endTime":   dateTimeTimeZone{DateTime: e.UTC().Format("2006-01-02T15:04:05"), TimeZone: "UTC"},
				// The view string is not used; the smallest allowed interval
				// keeps it from hiding short items.
				"availabilityViewInterval": 5,
			}})
		}
	}
	var apply func(cl call, raw json.RawMessage, err error)
	apply = func(cl call, raw json.RawMessage, err error) {
		if err != nil {
			for _, u := range cl.users {
				fb := out[u]
				fb.Err = err
				out[u] = fb
			}
			return
		}
		var ans struct {
			Value []scheduleInformation `json:"value"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			apply(cl, nil, fmt.Errorf("msgraph: getSchedule answer: %w", err))
			return
		}
		seen := map[string]bool{}
		for _, si := range ans.Value {
			u := matchUser(cl.users, si.ScheduleID)
			if u == "" {
				continue
			}
			seen[u] = true
			fb := out[u]
			if si.Error != nil {
				fb.Err = fmt.Errorf("msgraph: free/busy of %s: %s (%s): %w", u, si.Error.Message, si.Error.ResponseCode, video.ErrHostNotFound)
				out[u] = fb
				continue
			}
			for _, it := range si.ScheduleItems {
				s, err1 := it.Start.instant()
				e, err2 := it.End.instant()
				if err := errors.Join(err1, err2); err != nil {
					fb.Err = err
					break
				}
				iv := video.Interval{Start: s.UTC(), End: e.UTC()}
				switch it.Status {
				case "free", "workingElsewhere":
				case "tentative":
					fb.Tentative = append(fb.Tentative, iv)
				default: // busy, oof, unknown
					fb.Busy = append(fb.Busy, iv)
				}
			}
			out[u] = fb
		}
		for _, u := range cl.users {
			if !seen[u] {
				fb := out[u]
				fb.Err = fmt.Errorf("msgraph: getSchedule did not answer for %s: %w", u, video.ErrHostNotFound)
				out[u] = fb
			}
		}
	}
	if len(calls) == 1 {
		var raw json.RawMessage
		if err := c.do(ctx, request{method: "POST", path: calls[0].path, body: calls[0].body, out: &raw, idempotent: true}); err != nil {
			return nil, err
		}
		apply(calls[0], raw, nil)
	} else {
		for i := 0; i < len(calls); i += BatchLimit {
			group := calls[i:min(len(calls), i+BatchLimit)]
			reqs := make([]batchRequest, len(group))
			for j, cl := range group {
				reqs[j] = batchRequest{Method: "POST", URL: cl.path, Body: cl.body}
			}
			raws, errs, err := c.batch(ctx, reqs)
			if err != nil {
				return nil, err
			}
			for j, cl := range group {
				apply(cl, raws[j], errs[j])
			}
		}
	}
	for u, fb := range out {
		fb.Busy, fb.Tentative = merge(fb.Busy), merge(fb.Tentative)
		out[u] = fb
	}
	return out, nil
}

// matchUser finds the asked address a scheduleId answers for (Exchange
// may change its case).
func matchUser(users []string, id string) string {
	for _, u := range users {
		if strings.EqualFold(u, id) {
			return u
		}
	}
	return ""
}

// merge sorts intervals and joins those that overlap or touch.
func merge(ivs []video.Interval) []video.Interval {
	slices.SortFunc(ivs, func(a, b video.Interval) int { return a.Start.Compare(b.Start) })
	var out []video.Interval
	for _, iv := range ivs {
		if !iv.End.After(iv.Start) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// Changes syncs user's calendar with calendarView delta: GET
// /users/{id}/calendarView/delta over the window from..to, then the
// deltaLink as the cursor. Graph v1.0 has no delta of a whole calendar's
// events (events/delta is beta only), and calendarView's answers come
// expanded: each occurrence of a series is its own item, so the core
// stores what it searches without expanding Outlook's patterns. The
// cursor keeps the window of the full sync that made it: the core starts
// a new full sync when its window moves on. A cursor Graph forgot (410,
// syncStateNotFound) gives video.ErrSyncExpired.
func (c Calendars) Changes(ctx context.Context, user, cursor string, from, to time.Time) (*video.ChangeSet, error) {
	cs := &video.ChangeSet{Full: cursor == ""}
	r := request{method: "GET", path: cursor, prefer: []string{"odata.maxpagesize=100"}}
	if cursor == "" {
		if !to.After(from) {
			return nil, &video.ValidationError{Field: "window", Message: "the window ends before it starts"}
		}
		r.query = url.Values{"startDateTime": {from.UTC().Format(time.RFC3339)}, "endDateTime": {to.UTC().Format(time.RFC3339)}}
	}
	now := c.now()
	var delta string
	each := func(raw json.RawMessage) error {
		var ev event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("msgraph: delta item: %w", err)
		}
		if ev.ID == "" {
			return nil
		}
		if ev.Removed != nil {
			cs.Removed = append(cs.Removed, ev.ID)
			return nil
		}
		ics, err := eventICS(&ev, user, now)
		if err != nil {
			return err
		}
		cs.Objects = append(cs.Objects, video.RemoteObject{ID: ev.ID, ICS: ics, ETag: ev.ETag})
		return nil
	}
	var err error
	if cursor == "" {
		err = c.asUser(ctx, user, func(base string) error {
			r.path = base + "/calendarView/delta"
			delta, err = c.pages(ctx, r, each)
			return err
		})
	} else {
		delta, err = c.pages(ctx, r, each)
	}
	if err != nil {
		if errors.Is(err, video.ErrSyncExpired) {
			return nil, fmt.Errorf("msgraph: calendar of %s: %w", user, err)
		}
		return nil, err
	}
	if delta == "" {
		return nil, &video.Error{Provider: ProviderName, Err: fmt.Errorf("%w: calendarView delta of %s ended without a deltaLink", video.ErrUnavailable, user)}
	}
	cs.Cursor = delta
	return cs, nil
}

// SubscriptionLifetime is how long Convene's subscriptions to a mailbox's
// events live: Graph's maximum for Outlook resources is 10,080 minutes
// (under 7 days); Convene asks a little less, so that clock skew never
// makes Graph refuse it, and renews before.
const SubscriptionLifetime = 10080*time.Minute - 30*time.Minute

// subscription is Graph's subscription.
type subscription struct {
	ID                       string `json:"id,omitempty"`
	ChangeType               string `json:"changeType,omitempty"`
	NotificationURL          string `json:"notificationUrl,omitempty"`
	LifecycleNotificationURL string `json:"lifecycleNotificationUrl,omitempty"`
	Resource                 string `json:"resource,omitempty"`
	ExpirationDateTime       string `json:"expirationDateTime"`
	ClientState              string `json:"clientState,omitempty"`
}

// Watch subscribes address to the changes of user's events (POST
// /subscriptions), with token as the clientState Graph echoes in every
// notification, lifecycle notifications (missed, reauthorizationRequired,
// subscriptionRemoved) to the same address.
func (c Calendars) Watch(ctx context.Context, user, address, token string) (*video.Channel, error) {
	if len(token) > 128 {
		return nil, fmt.Errorf("msgraph: a clientState has at most 128 characters")
	}
	in := subscription{
		ChangeType: "created,updated,deleted", NotificationURL: address, LifecycleNotificationURL: address,
		Resource: c.userBase(user) + "/events", ClientState: token,
		ExpirationDateTime: c.now().Add(SubscriptionLifetime).UTC().Format(time.RFC3339),
	}
	var out subscription
	// Not repeated after a 504: a second subscription would notify twice
	// until it expires, harmless, but Convene would not know its id.
	if err := c.do(ctx, request{method: "POST", path: "/subscriptions", body: in, out: &out}); err != nil {
		return nil, err
	}
	exp, _ := time.Parse(time.RFC3339Nano, out.ExpirationDateTime)
	return &video.Channel{ID: out.ID, User: user, Token: token, Expires: exp}, nil
}

// Renew extends the subscription (PATCH /subscriptions/{id}). One Graph
// already removed gives an error wrapping video.ErrNotFound: Watch again.
func (c Calendars) Renew(ctx context.Context, ch video.Channel) (*video.Channel, error) {
	var out subscription
	in := subscription{ExpirationDateTime: c.now().Add(SubscriptionLifetime).UTC().Format(time.RFC3339)}
	if err := c.do(ctx, request{method: "PATCH", path: "/subscriptions/" + url.PathEscape(ch.ID), body: in, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	exp, _ := time.Parse(time.RFC3339Nano, out.ExpirationDateTime)
	ch.Expires = exp
	return &ch, nil
}

// Unwatch deletes the subscription; one already gone is not an error.
func (c Calendars) Unwatch(ctx context.Context, ch video.Channel) error {
	err := c.do(ctx, request{method: "DELETE", path: "/subscriptions/" + url.PathEscape(ch.ID), idempotent: true})
	if errors.Is(err, video.ErrNotFound) {
		return nil
	}
	return err
}

// transactionID derives Graph's transactionId from the side effect's key:
// Graph returns the event an earlier POST with the same transactionId
// created instead of making a second one.
func transactionID(key string) string {
	sum := sha256.Sum256([]byte("convene-event:" + key))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// PutEvent writes the meeting in organizer's calendar: POST
// /users/{id}/events with a transactionId derived from ev.Ref (exactly
// once: Graph answers a repeated POST with the event the first made), or
// PATCH /users/{id}/events/{id} when ev.ID is set.
//
// Notify: Graph has no switch to keep Outlook from mailing attendees (an
// event with attendees in the organizer's calendar is a meeting Exchange
// invites them to, updates and cancels). So with Notify false the event
// is written without attendees, their names listed in its body: it
// blocks the organizer's time and carries the link, and only Convene's
// own invitations reach the guests (one mode per account, never both).
// With Notify true the attendees are on the event and Outlook invites
// them; Convene sends none.
//
// Conference asks for a Teams meeting on the event (isOnlineMeeting,
// onlineMeetingProvider teamsForBusiness); its join link and dial-in come
// back in EventRef.Meeting. A series is written with its Outlook
// recurrence; ExDates are then deleted from it, occurrence by occurrence.
func (c Calendars) PutEvent(ctx context.Context, organizer string, ev video.CalendarEvent) (*video.EventRef, error) {
	body, err := eventBody(ev)
	if err != nil {
		return nil, err
	}
	var out event
	if ev.ID == "" {
		if ev.Ref.Key == "" {
			return nil, fmt.Errorf("msgraph: an event is created with its reference (exactly once)")
		}
		body.TransactionID = transactionID(ev.Ref.Key)
		// With a transactionId Graph deduplicates: safe to repeat.
		err = c.asUser(ctx, organizer, func(base string) error {
			return c.do(ctx, request{method: "POST", path: base + "/events", body: body, out: &out, idempotent: true})
		})
	} else {
		err = c.asUser(ctx, organizer, func(base string) error {
			return c.do(ctx, request{method: "PATCH", path: base + "/events/" + url.PathEscape(ev.ID), body: body, out: &out, idempotent: true})
		})
	}
	if err != nil {
		return nil, err
	}
	if ev.Conference && (out.OnlineMeeting == nil || out.OnlineMeeting.JoinURL == "") {
		// Exchange may attach the Teams meeting a moment after the
		// create: read the event once more.
		var again event
		if err := c.do(ctx, request{method: "GET", path: c.userBase(organizer) + "/events/" + url.PathEscape(out.ID), out: &again}); err == nil {
			out.OnlineMeeting = again.OnlineMeeting
		}
	}
	for _, x := range ev.ExDates {
		if err := c.DeleteEvent(ctx, organizer, out.ID, x, ev.Notify); err != nil {
			return nil, fmt.Errorf("msgraph: remove the occurrence of %s: %w", x.UTC().Format(time.RFC3339), err)
		}
	}
	for _, mv := range ev.Moved {
		if err := c.moveOccurrence(ctx, organizer, out.ID, mv, ev); err != nil {
			return nil, err
		}
	}
	ref := &video.EventRef{ID: out.ID, ICalUID: out.ICalUID, WebURL: out.WebLink}
	if om := out.OnlineMeeting; om != nil && om.JoinURL != "" {
		ref.Meeting = meetingOfEvent(&out)
	}
	return ref, nil
}

// moveOccurrence moves one occurrence of the series id: the instance
// whose originalStart is mv.Original (GET …/instances over the span of
// both its times), then PATCH of its start and end in the series' zone.
// Moving it to the same times again changes nothing, so a retried write
// is harmless; an occurrence Outlook no longer has is left alone.
func (c Calendars) moveOccurrence(ctx context.Context, organizer, id string, mv video.MovedOccurrence, ev video.CalendarEvent) error {
	what := "msgraph: move the occurrence of " + mv.Original.UTC().Format(time.RFC3339)
	from, to := mv.Original, mv.Start
	if to.Before(from) {
		from, to = to, from
	}
	target, err := c.occurrence(ctx, organizer, id, mv.Original, from, to.Add(max(mv.End.Sub(mv.Start), time.Minute)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if target == "" {
		return nil // no such occurrence any more
	}
	zone := cmp.Or(ev.TimeZone, "UTC")
	start, err := wallClock(mv.Start, zone)
	if err != nil {
		return &video.ValidationError{Field: "time_zone", Message: err.Error()}
	}
	end, err := wallClock(mv.End, zone)
	if err != nil {
		return &video.ValidationError{Field: "time_zone", Message: err.Error()}
	}
	err = c.do(ctx, request{method: "PATCH", path: c.userBase(organizer) + "/events/" + url.PathEscape(target), body: &event{Start: &start, End: &end}, idempotent: true})
	if errors.Is(err, video.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// occurrence returns the id of the occurrence of the series id whose
// start per the series is original (its originalStart; an occurrence
// never moved has only its start), looked for with GET
// …/events/{id}/instances over [from, to] widened by a minute; "" when the
// series or the occurrence is gone.
func (c Calendars) occurrence(ctx context.Context, organizer, id string, original, from, to time.Time) (string, error) {
	q := url.Values{
		"startDateTime": {from.Add(-time.Minute).UTC().Format(time.RFC3339)},
		"endDateTime":   {to.Add(time.Minute).UTC().Format(time.RFC3339)},
	}
	target := ""
	_, err := c.pages(ctx, request{method: "GET", path: c.userBase(organizer) + "/events/" + url.PathEscape(id) + "/instances", query: q}, func(raw json.RawMessage) error {
		var inst event
		if err := json.Unmarshal(raw, &inst); err != nil {
			return err
		}
		orig, err := time.Parse(time.RFC3339, inst.OriginalStart)
		if err != nil && inst.Start != nil {
			orig, err = inst.Start.instant()
		}
		if err == nil && orig.Equal(original) {
			target = inst.ID
		}
		return nil
	})
	if errors.Is(err, video.ErrNotFound) {
		return "", nil
	}
	return target, err
}

// eventBody is the Graph event of a CalendarEvent.
func eventBody(ev video.CalendarEvent) (*event, error) {
	zone := cmp.Or(ev.TimeZone, "UTC")
	start, err := wallClock(ev.Start, zone)
	if err != nil {
		return nil, &video.ValidationError{Field: "time_zone", Message: err.Error()}
	}
	end, err := wallClock(ev.End, zone)
	if err != nil {
		return nil, &video.ValidationError{Field: "time_zone", Message: err.Error()}
	}
	b := &event{Subject: ev.Subject, Start: &start, End: &end, ShowAs: "busy"}
	text := ev.Description
	if ev.JoinURL != "" && !strings.Contains(text, ev.JoinURL) {
		text = strings.TrimSpace(text + "\n\n" + ev.JoinURL)
	}
	loc := ev.Location
	if loc == "" && ev.JoinURL != "" {
		loc = ev.JoinURL
	}
	if loc != "" {
		b.Location = &location{DisplayName: loc}
	}
	if ev.Notify {
		for _, a := range ev.Attendees {
			t := "required"
			if a.Optional {
				t = "optional"
			}
			b.Attendees = append(b.Attendees, attendee{EmailAddress: emailAddress{Address: a.Email, Name: a.Name}, Type: t})
		}
	} else if len(ev.Attendees) > 0 {
		var names []string
		for _, a := range ev.Attendees {
			names = append(names, strings.TrimSpace(a.Name+" <"+a.Email+">"))
		}
		text = strings.TrimSpace(text + "\n\nGuests: " + strings.Join(names, ", "))
	}
	b.Body = &itemBody{ContentType: "text", Content: text}
	if ev.RRule != "" {
		if b.Recurrence, err = recurrenceOf(ev.RRule, ev.Start, zone); err != nil {
			return nil, err
		}
	}
	if ev.Conference {
		b.IsOnlineMeeting, b.OnlineMeetingProvider = true, "teamsForBusiness"
	}
	return b, nil
}

// meetingOfEvent is the Teams meeting of an event in video's form.
func meetingOfEvent(ev *event) *video.Meeting {
	om := ev.OnlineMeeting
	m := &video.Meeting{Provider: ProviderName, ID: ev.ID, Topic: ev.Subject, Type: video.Scheduled, JoinURL: om.JoinURL, PSTNPassword: om.ConferenceID}
	if ev.Start != nil && ev.End != nil {
		s, err1 := ev.Start.instant()
		e, err2 := ev.End.instant()
		if err1 == nil && err2 == nil {
			m.StartTime, m.Duration = s.UTC(), int(e.Sub(s)/time.Minute)
		}
	}
	m.Invitation = dialIn(om.JoinURL, om.TollNumber, om.ConferenceID, "")
	return m
}

// DeleteEvent deletes the event, or its occurrence starting at
// occurrence (found with GET /users/{id}/events/{id}/instances over a
// minute around it). Exchange sends attendees a cancellation when the
// organizer deletes a meeting with attendees: events written with Notify
// false have none, so notify needs no switch here. An event already gone
// is not an error.
func (c Calendars) DeleteEvent(ctx context.Context, organizer, id string, occurrence time.Time, notify bool) error {
	target := id
	if !occurrence.IsZero() {
		var err error
		if target, err = c.occurrence(ctx, organizer, id, occurrence, occurrence, occurrence); err != nil {
			return err
		}
		if target == "" {
			return nil // no such occurrence: already gone
		}
	}
	err := c.do(ctx, request{method: "DELETE", path: c.userBase(organizer) + "/events/" + url.PathEscape(target), idempotent: true})
	if errors.Is(err, video.ErrNotFound) {
		return nil
	}
	return err
}

// WorkingHours reads GET /users/{id}/mailboxSettings: the working days
// and hours, in the zone of workingHours (else the mailbox's), mapped to
// an IANA name.
func (c Calendars) WorkingHours(ctx context.Context, user string) (*video.WorkingHours, error) {
	var ms struct {
		TimeZone     string `json:"timeZone"`
		WorkingHours *struct {
			DaysOfWeek []string `json:"daysOfWeek"`
			StartTime  string   `json:"startTime"`
			EndTime    string   `json:"endTime"`
			TimeZone   *struct {
				Name string `json:"name"`
			} `json:"timeZone"`
		} `json:"workingHours"`
	}
	err := c.asUser(ctx, user, func(base string) error {
		return c.do(ctx, request{method: "GET", path: base + "/mailboxSettings", out: &ms})
	})
	if err != nil {
		return nil, err
	}
	zone := ms.TimeZone
	if ms.WorkingHours != nil && ms.WorkingHours.TimeZone != nil && ms.WorkingHours.TimeZone.Name != "" {
		zone = ms.WorkingHours.TimeZone.Name
	}
	wh := &video.WorkingHours{}
	if zone != "" {
		iana, err := IANAZone(zone)
		if err != nil {
			return nil, err
		}
		wh.TimeZone = iana
	}
	if ms.WorkingHours == nil {
		return wh, nil
	}
	for _, d := range ms.WorkingHours.DaysOfWeek {
		i := slices.Index(graphDays[:], strings.ToLower(d))
		if i < 0 {
			return nil, fmt.Errorf("msgraph: working day %q", d)
		}
		wh.Days = append(wh.Days, time.Weekday(i))
	}
	if wh.Start, err = clockTime(ms.WorkingHours.StartTime); err != nil {
		return nil, err
	}
	if wh.End, err = clockTime(ms.WorkingHours.EndTime); err != nil {
		return nil, err
	}
	return wh, nil
}

// clockTime reads Graph's timeOfDay ("08:00:00.0000000") as "15:04".
func clockTime(s string) (string, error) {
	if len(s) < 5 {
		return "", fmt.Errorf("msgraph: time of day %q", s)
	}
	t, err := time.Parse("15:04", s[:5])
	if err != nil {
		return "", fmt.Errorf("msgraph: time of day %q: %w", s, err)
	}
	return t.Format("15:04"), nil
}
