package google

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"google.golang.org/api/calendar/v3"

	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/video"
)

func dt(s, zone string) *calendar.EventDateTime {
	return &calendar.EventDateTime{DateTime: s, TimeZone: zone}
}

// aliceCalendar is a calendar with what shapes availability: a weekly
// series with a moved and a cancelled occurrence, a declined invitation,
// an all-day event, a transparent event, a working location and time out
// of office.
func aliceCalendar() []*calendar.Event {
	self := func(status string) []*calendar.EventAttendee {
		return []*calendar.EventAttendee{{Email: "carol@example.com", ResponseStatus: "accepted"}, {Email: alice, Self: true, ResponseStatus: status}}
	}
	return []*calendar.Event{
		{Id: "series1", Summary: "Weekly", Start: dt("2026-03-02T09:00:00+01:00", "Europe/Paris"), End: dt("2026-03-02T10:00:00+01:00", "Europe/Paris"),
			Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=10"}},
		{Id: "series1_20260309T080000Z", RecurringEventId: "series1", ICalUID: "series1@google.com", Summary: "Weekly (moved)",
			OriginalStartTime: dt("2026-03-09T09:00:00+01:00", "Europe/Paris"),
			Start:             dt("2026-03-09T14:00:00+01:00", "Europe/Paris"), End: dt("2026-03-09T15:00:00+01:00", "Europe/Paris")},
		{Id: "series1_20260316T080000Z", RecurringEventId: "series1", ICalUID: "series1@google.com", Status: "cancelled",
			OriginalStartTime: dt("2026-03-16T09:00:00+01:00", "Europe/Paris")},
		{Id: "declined1", Summary: "Declined", Start: dt("2026-03-03T11:00:00Z", ""), End: dt("2026-03-03T12:00:00Z", ""), Attendees: self("declined")},
		{Id: "allday1", Summary: "Offsite", Start: &calendar.EventDateTime{Date: "2026-03-04"}, End: &calendar.EventDateTime{Date: "2026-03-05"}},
		{Id: "free1", Summary: "Reminder", Transparency: "transparent", Start: dt("2026-03-05T09:00:00Z", ""), End: dt("2026-03-05T10:00:00Z", "")},
		{Id: "wl1", EventType: "workingLocation", Start: &calendar.EventDateTime{Date: "2026-03-06"}, End: &calendar.EventDateTime{Date: "2026-03-07"}},
		{Id: "ooo1", EventType: "outOfOffice", Transparency: "transparent", Start: dt("2026-03-06T13:00:00Z", ""), End: dt("2026-03-06T18:00:00Z", "")},
		{Id: "gone1", Status: "cancelled"},
	}
}

func decode(t *testing.T, o video.RemoteObject) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(string(o.ICS))).Decode()
	if err != nil {
		t.Fatalf("%s: %v\n%s", o.ID, err, o.ICS)
	}
	return cal
}

func objects(cs *video.ChangeSet) map[string]video.RemoteObject {
	m := map[string]video.RemoteObject{}
	for _, o := range cs.Objects {
		m[o.ID] = o
	}
	return m
}

func TestChangesFullSync(t *testing.T) {
	g := newFakeGoogle(t, alice)
	g.add(alice, aliceCalendar()...)
	c := g.newClient(t)
	cs, err := c.Changes(context.Background(), alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !cs.Full || cs.Cursor == "" || len(cs.Removed) != 0 {
		t.Fatalf("full %v cursor %q removed %v", cs.Full, cs.Cursor, cs.Removed)
	}
	q := g.query("calendar.events.list")
	if q.Get("singleEvents") != "false" || q.Get("showDeleted") != "true" || q.Get("maxResults") != "2500" {
		t.Fatalf("events.list query %v", q)
	}
	objs := objects(cs)
	if len(objs) != 6 {
		t.Fatalf("%d objects, want 6 (the cancelled event left out): %v", len(objs), slices.Collect(func(yield func(string) bool) {
			for k := range objs {
				yield(k)
			}
		}))
	}

	// The series: one object, the master with its RRULE and the cancelled
	// occurrence as EXDATE, the moved one as RECURRENCE-ID; times in
	// Europe/Paris.
	s := objs["series1"]
	cal := decode(t, s)
	if len(cal.Children) != 2 {
		t.Fatalf("series has %d VEVENTs:\n%s", len(cal.Children), s.ICS)
	}
	text := string(s.ICS)
	for _, want := range []string{"RRULE:FREQ=WEEKLY;COUNT=10", "DTSTART;TZID=Europe/Paris:20260302T090000", "EXDATE;TZID=Europe/Paris:20260316T090000",
		"RECURRENCE-ID;TZID=Europe/Paris:20260309T090000", "DTSTART;TZID=Europe/Paris:20260309T140000", "UID:series1@google.com", "TRANSP:OPAQUE"} {
		if !strings.Contains(text, want) {
			t.Errorf("series lacks %q:\n%s", want, text)
		}
	}
	// The core's recurrence reads it: 10 weekly occurrences, one moved
	// and one removed: 9 instances, none at 16 March 09:00.
	inst, err := recur.ExpandCalendar(cal, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), recur.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inst) != 9 {
		t.Fatalf("%d instances, want 9 (10 less the cancelled one)", len(inst))
	}
	for _, in := range inst {
		if in.Start.UTC().Equal(time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)) {
			t.Fatal("the cancelled occurrence is still there")
		}
		if in.RecurrenceID.UTC().Equal(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)) && in.Start.UTC().Hour() != 13 {
			t.Fatalf("the moved occurrence is at %v", in.Start)
		}
		// After the change to summer time (29 March) the series stays at
		// 09:00 in Paris, 07:00 UTC.
		if in.Start.After(time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)) && in.Start.UTC().Hour() != 7 {
			t.Fatalf("occurrence at %v: the zone was lost", in.Start.UTC())
		}
	}

	checks := map[string][]string{
		"declined1": {"ATTENDEE;PARTSTAT=DECLINED:mailto:alice@example.com", "DTSTART:20260303T110000Z"},
		"allday1":   {"DTSTART;VALUE=DATE:20260304", "DTEND;VALUE=DATE:20260305", "TRANSP:OPAQUE"},
		"free1":     {"TRANSP:TRANSPARENT"},
		"wl1":       {"TRANSP:TRANSPARENT"},
		"ooo1":      {"TRANSP:OPAQUE"},
	}
	for id, wants := range checks {
		text := string(objs[id].ICS)
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", id, want, text)
			}
		}
		if strings.Contains(text, "carol") {
			t.Errorf("%s copies other attendees", id)
		}
	}
}

func TestChangesIncremental(t *testing.T) {
	g := newFakeGoogle(t, alice)
	g.add(alice, aliceCalendar()...)
	c := g.newClient(t)
	ctx := context.Background()
	cs, err := c.Changes(ctx, alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing changed: nothing comes.
	cs2, err := c.Changes(ctx, alice, cs.Cursor, time.Time{}, time.Time{})
	if err != nil || len(cs2.Objects) != 0 || len(cs2.Removed) != 0 || cs2.Full {
		t.Fatalf("no change: %+v, %v", cs2, err)
	}
	// An occurrence is cancelled in Google and an event deleted: the
	// series comes whole (re-read by iCalUID), the event as removed.
	g.add(alice, &calendar.Event{Id: "series1_20260323T080000Z", RecurringEventId: "series1", ICalUID: "series1@google.com", Status: "cancelled",
		OriginalStartTime: dt("2026-03-23T09:00:00+01:00", "Europe/Paris")})
	g.mu.Lock()
	e := g.find(alice, "free1")
	e.Status = "cancelled"
	g.put(alice, e)
	g.mu.Unlock()
	cs3, err := c.Changes(ctx, alice, cs2.Cursor, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cs3.Removed, []string{"free1"}) {
		t.Fatalf("removed %v", cs3.Removed)
	}
	objs := objects(cs3)
	s, ok := objs["series1"]
	if len(objs) != 1 || !ok {
		t.Fatalf("objects %v", objs)
	}
	text := string(s.ICS)
	for _, want := range []string{"RRULE:FREQ=WEEKLY;COUNT=10", "EXDATE;TZID=Europe/Paris:20260316T090000", "EXDATE;TZID=Europe/Paris:20260323T090000", "RECURRENCE-ID"} {
		if !strings.Contains(text, want) {
			t.Errorf("the series as re-read lacks %q:\n%s", want, text)
		}
	}
	if q := g.query("calendar.events.list"); q.Get("iCalUID") != "series1@google.com" {
		t.Fatalf("last events.list %v", q)
	}

	// Google no longer honours the token: a full sync is needed.
	g.mu.Lock()
	g.expired[cs3.Cursor] = true
	g.mu.Unlock()
	if _, err := c.Changes(ctx, alice, cs3.Cursor, time.Time{}, time.Time{}); !errors.Is(err, video.ErrSyncExpired) {
		t.Fatalf("410: %v", err)
	}
}

// A calendar of 5,000 events is synced in pages of 2,500.
func TestChangesPages(t *testing.T) {
	g := newFakeGoogle(t, alice)
	var evs []*calendar.Event
	for i := range 5000 {
		at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		evs = append(evs, &calendar.Event{Id: "e" + strings.Repeat("0", 5-len(itoa(i))) + itoa(i), Start: dt(at.Format(time.RFC3339), ""), End: dt(at.Add(30*time.Minute).Format(time.RFC3339), "")})
	}
	g.add(alice, evs...)
	c := g.newClient(t)
	cs, err := c.Changes(context.Background(), alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Objects) != 5000 {
		t.Fatalf("%d objects", len(cs.Objects))
	}
	if n := len(g.apiCalls()); n != 2 {
		t.Fatalf("%d calls for 5,000 events, want 2", n)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestRecurrenceLines(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		ok    bool
	}{
		{[]string{"RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Europe/Paris:20260302T090000,20260303T090000", "RDATE;VALUE=DATE:20260310"}, true},
		{[]string{"EXRULE:FREQ=WEEKLY"}, true},
		{[]string{"SUMMARY:hacked"}, false},
		{[]string{"RRULE:FREQ=DAILY\r\nSUMMARY:x"}, false},
		{[]string{""}, false},
		{[]string{"rrule"}, false},
	} {
		_, err := recurrenceProps(tc.lines)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.lines, err)
		}
	}
}

func FuzzToICS(f *testing.F) {
	f.Add("RRULE:FREQ=WEEKLY", "2026-03-02T09:00:00+01:00", "Europe/Paris", "", "declined")
	f.Add("EXDATE;VALUE=DATE:20260101", "", "", "2026-01-01", "")
	f.Fuzz(func(t *testing.T, rec, when, zone, date, status string) {
		e := &calendar.Event{Id: "x", Start: &calendar.EventDateTime{DateTime: when, TimeZone: zone, Date: date},
			End: &calendar.EventDateTime{DateTime: when, TimeZone: zone, Date: date}, Recurrence: []string{rec},
			Attendees: []*calendar.EventAttendee{{Self: true, ResponseStatus: status}}}
		b, err := toICS(&series{master: e}, alice, time.Unix(0, 0))
		if err != nil {
			return
		}
		cals, err := recur.Decode(b)
		if err != nil || len(cals) != 1 {
			t.Fatalf("toICS wrote what Convene cannot read: %v\n%s", err, b)
		}
	})
}

func TestWatchRenewUnwatch(t *testing.T) {
	g := newFakeGoogle(t, alice)
	c := g.newClient(t)
	ctx := context.Background()
	ch, err := c.Watch(ctx, alice, "https://convene.example/webhooks/google_meet", "tok-1")
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID == "" || ch.Resource != "res-"+alice || ch.Token != "tok-1" || ch.User != alice || !ch.Expires.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("channel %+v", ch)
	}
	if got := g.channels[ch.ID]; got == nil || got.Type != "web_hook" || got.Token != "tok-1" || got.Address != "https://convene.example/webhooks/google_meet" {
		t.Fatalf("Google's channel %+v", got)
	}
	next, err := c.Renew(ctx, *ch)
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == ch.ID || next.Token != "tok-1" || g.channels[ch.ID] != nil || g.channels[next.ID] == nil {
		t.Fatalf("renew: a new channel and the old stopped: %+v, %v", next, g.channels)
	}
	if err := c.Unwatch(ctx, *next); err != nil || len(g.channels) != 0 {
		t.Fatalf("unwatch: %v %v", err, g.channels)
	}
	// Stopping it again: already gone, not an error.
	if err := c.Unwatch(ctx, *next); err != nil {
		t.Fatal(err)
	}
}

func meetingEvent(key string, notify bool) video.CalendarEvent {
	return video.CalendarEvent{
		Ref: video.CreateRef{Key: key}, UID: "booking-1@convene.example", Subject: "Review",
		Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC),
		TimeZone: "Europe/Paris", Attendees: []video.Attendee{{Email: bob, Name: "Bob"}}, Notify: notify,
		JoinURL: "https://zoom.example/j/1",
	}
}

// PutEvent is exactly once: a retry after any failure finds the event by
// its id; Google's faults end with one event.
func TestPutEventExactlyOnce(t *testing.T) {
	ctx := context.Background()
	g := newFakeGoogle(t, alice, bob)
	c := g.newClient(t)
	g.fail(403, "rateLimitExceeded", 1)
	g.fail(429, "rateLimitExceeded", 1)
	g.fail(503, "backendError", 1)
	r1, err := c.PutEvent(ctx, alice, meetingEvent("job-1", false))
	if err != nil {
		t.Fatal(err)
	}
	// The answer was lost; the job runs again.
	r2, err := c.PutEvent(ctx, alice, meetingEvent("job-1", false))
	if err != nil {
		t.Fatal(err)
	}
	if r1.ID != r2.ID || r1.ID != EventID("job-1") || r1.ICalUID != "booking-1@convene.example" {
		t.Fatalf("%+v %+v", r1, r2)
	}
	if n := len(g.events[alice]); n != 1 {
		t.Fatalf("%d events in the organizer's calendar, want 1", n)
	}
	e := g.events[alice][0]
	if e.Start.TimeZone != "Europe/Paris" || e.Start.DateTime != "2026-03-10T15:00:00+01:00" || e.Location != "https://zoom.example/j/1" ||
		len(e.Attendees) != 1 || e.Attendees[0].Email != bob {
		t.Fatalf("event %+v", e)
	}
	// Convene sends its own invitations: Google sends none.
	if q := g.query("calendar.events.insert"); q.Get("sendUpdates") != "none" {
		t.Fatalf("sendUpdates %q", q.Get("sendUpdates"))
	}

	// An update patches, telling attendees when Google sends the
	// invitations.
	ev := meetingEvent("job-1", true)
	ev.ID, ev.Subject, ev.RRule = r1.ID, "Review (moved)", "FREQ=WEEKLY;COUNT=3"
	ev.ExDates = []time.Time{time.Date(2026, 3, 17, 14, 0, 0, 0, time.UTC)}
	if _, err := c.PutEvent(ctx, alice, ev); err != nil {
		t.Fatal(err)
	}
	q := g.query("calendar.events.patch")
	if q.Get("sendUpdates") != "all" || e.Summary != "Review (moved)" ||
		!slices.Equal(e.Recurrence, []string{"RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;TZID=Europe/Paris:20260317T150000"}) {
		t.Fatalf("patch %v %+v", q, e)
	}

	// Delete one occurrence, then the event; deleting again is done.
	if err := c.DeleteEvent(ctx, alice, r1.ID, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteEvent(ctx, alice, r1.ID, time.Time{}, false); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if q := g.query("calendar.events.delete"); q.Get("sendUpdates") != "none" {
		t.Fatal(q)
	}
	// A retry of the insert after the event was deleted does not bring it
	// back.
	if _, err := c.PutEvent(ctx, alice, meetingEvent("job-1", false)); !errors.Is(err, video.ErrNotFound) {
		t.Fatalf("insert after delete: %v", err)
	}
}

func TestDeleteOccurrenceID(t *testing.T) {
	g := newFakeGoogle(t, alice)
	g.add(alice, &calendar.Event{Id: "abc_20260310T130000Z", RecurringEventId: "abc", Start: dt("2026-03-10T14:00:00+01:00", "Europe/Paris"), End: dt("2026-03-10T15:00:00+01:00", "Europe/Paris")})
	if err := g.newClient(t).DeleteEvent(context.Background(), alice, alice+"/abc", time.Date(2026, 3, 10, 14, 0, 0, 0, time.FixedZone("CET", 3600)), true); err != nil {
		t.Fatal(err)
	}
	if g.events[alice][0].Status != "cancelled" {
		t.Fatal("the occurrence is not cancelled")
	}
}

func TestPutEventRefusesBadInput(t *testing.T) {
	g := newFakeGoogle(t, alice)
	c := g.newClient(t)
	for _, mod := range []func(*video.CalendarEvent){
		func(e *video.CalendarEvent) { e.TimeZone = "Mars/Olympus" },
		func(e *video.CalendarEvent) { e.End = e.Start },
		func(e *video.CalendarEvent) { e.RRule = "FREQ=DAILY\r\nSUMMARY:x" },
		func(e *video.CalendarEvent) { e.Ref.Key = "" },
	} {
		ev := meetingEvent("k", false)
		mod(&ev)
		if _, err := c.PutEvent(context.Background(), alice, ev); err == nil {
			t.Errorf("%+v accepted", ev)
		}
	}
	if len(g.apiCalls()) != 0 {
		t.Fatal("bad input reached Google")
	}
}
