package google

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/googlesandbox"
	"github.com/convene/convene/internal/googlesandbox/googlesandboxtest"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/video"
)

// The client against the Google Calendar sandbox (internal/googlesandbox),
// whose every exchange is checked against Google's discovery document.

func startSandbox(t *testing.T, opts googlesandbox.Options) (*googlesandboxtest.Sandbox, Config, []byte) {
	t.Helper()
	sb := googlesandboxtest.Start(t, opts)
	for _, u := range []string{alice, bob} {
		if err := sb.AddUser(u, "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
	}
	key := sb.Key("example.com", Scopes...)
	cfg := Config{CalendarURL: sb.CalendarURL(), TokenURL: sb.TokenURL(), WebhookURL: "http://unused.example/webhooks/google_meet",
		Retry: RetryPolicy{Base: time.Millisecond, Max: 10 * time.Millisecond}}
	return sb, cfg, key
}

func TestSandboxMeetExactlyOnce(t *testing.T) {
	sb, cfg, key := startSandbox(t, googlesandbox.Options{})
	ctx := context.Background()
	app := App(cfg)
	conn := video.Connection{Credentials: key}
	meet := app.Connect(conn)
	cal := app.Calendar(conn)
	spec := video.Spec{Topic: "Review", StartTime: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: 30, Timezone: "Europe/Paris"}

	// Google answers 403 rateLimitExceeded, 429 and 503 (the last after
	// making the event: the answer is lost), then the job runs again.
	sb.Fault(403, 1, "POST", "/calendar/v3/calendars/", false)
	sb.Fault(429, 1, "POST", "/calendar/v3/calendars/", false)
	sb.Fault(503, 5, "POST", "/calendar/v3/calendars/", true)
	ref := video.CreateRef{Key: "outbox:42"}
	_, err := meet.CreateOnce(ctx, alice, spec, ref)
	if err == nil || video.IsPermanent(err) {
		t.Fatalf("through 503s: %v", err)
	}
	m, err := meet.CreateOnce(ctx, alice, spec, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.JoinURL, "/meet/") && !strings.Contains(m.JoinURL, "meet.google.com") || m.UUID == "" {
		t.Fatalf("meeting %+v", m)
	}
	evs := listEvents(t, sb, alice)
	if len(evs) != 1 {
		t.Fatalf("%d events in the host's calendar, want 1", len(evs))
	}
	// The booking's calendar write updates that event (VideoIsEvent):
	// attendees, Convene's invitations (no mail from Google).
	ev := video.CalendarEvent{ID: m.ID, Subject: "Review", Start: spec.StartTime, End: spec.StartTime.Add(30 * time.Minute), TimeZone: "Europe/Paris",
		Attendees: []video.Attendee{{Email: bob}, {Email: "guest@partner.example"}}, Conference: true}
	r, err := cal.PutEvent(ctx, alice, ev)
	if err != nil {
		t.Fatal(err)
	}
	if r.Meeting == nil || r.Meeting.JoinURL != m.JoinURL || len(listEvents(t, sb, alice)) != 1 {
		t.Fatalf("put %+v", r)
	}
	if mails := sb.Mails(); len(mails) != 0 {
		t.Fatalf("Google mailed %v: the attendees would get two invitations", mails)
	}
	calls := sb.Calls()
	t.Logf("calls for one booking through three faults: %v", calls)

	// Deleted with the meeting.
	if err := cal.DeleteEvent(ctx, alice, m.ID, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if err := meet.Delete(ctx, m.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
}

// listEvents are the events of a calendar as the sandbox keeps them.
func listEvents(t *testing.T, sb *googlesandboxtest.Sandbox, user string) []map[string]any {
	t.Helper()
	var out struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	sb.Control("GET", "/calendars/"+user+"/events", nil, http.StatusOK, &out)
	var live []map[string]any
	for _, r := range out.Events {
		if r.Event["status"] != "cancelled" {
			live = append(live, r.Event)
		}
	}
	return live
}

func TestSandboxSync(t *testing.T) {
	// Push notifications reach Convene's webhook, whose receiver decodes
	// them.
	var mu sync.Mutex
	var got []video.Event
	pushed := make(chan struct{}, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := Receive(video.WebhookRequest{Header: r.Header, Body: body}, time.Now())
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = append(got, d.Events...)
		mu.Unlock()
		pushed <- struct{}{}
	}))
	defer hook.Close()
	sb, cfg, key := startSandbox(t, googlesandbox.Options{})
	cfg.WebhookURL = hook.URL
	c := cfg.Client(video.Connection{Credentials: key})
	ctx := context.Background()

	series := sb.AddEvent(alice, map[string]any{"summary": "Weekly", "start": map[string]any{"dateTime": "2026-03-02T09:00:00+01:00", "timeZone": "Europe/Paris"},
		"end": map[string]any{"dateTime": "2026-03-02T10:00:00+01:00", "timeZone": "Europe/Paris"}, "recurrence": []string{"RRULE:FREQ=WEEKLY;COUNT=6"}})
	sid := series["id"].(string)
	// One occurrence moved, one cancelled, in Google.
	sb.Control("PATCH", "/calendars/"+alice+"/events/"+sid+"_20260309T080000Z", map[string]any{
		"start": map[string]any{"dateTime": "2026-03-09T15:00:00+01:00", "timeZone": "Europe/Paris"},
		"end":   map[string]any{"dateTime": "2026-03-09T16:00:00+01:00", "timeZone": "Europe/Paris"}}, http.StatusOK, nil)
	sb.Control("DELETE", "/calendars/"+alice+"/events/"+sid+"_20260316T080000Z", nil, http.StatusNoContent, nil)
	sb.AddEvent(alice, map[string]any{"summary": "Declined", "start": map[string]any{"dateTime": "2026-03-03T11:00:00Z"}, "end": map[string]any{"dateTime": "2026-03-03T12:00:00Z"},
		"attendees": []map[string]any{{"email": "carol@example.com", "organizer": true, "responseStatus": "accepted"}, {"email": alice, "responseStatus": "declined"}}})
	sb.AddEvent(alice, map[string]any{"summary": "Offsite", "start": map[string]any{"date": "2026-03-04"}, "end": map[string]any{"date": "2026-03-05"}})

	cs, err := c.Changes(ctx, alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Objects) != 3 {
		t.Fatalf("%d objects, want the series, the declined and the all-day", len(cs.Objects))
	}
	objs := objects(cs)
	s := objs[sid]
	cals, err := recur.Decode(s.ICS)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := recur.ExpandCalendar(cals[0], time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), recur.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inst) != 5 {
		t.Fatalf("%d instances, want 6 less the cancelled one:\n%s", len(inst), s.ICS)
	}
	for _, in := range inst {
		if in.RecurrenceID.Equal(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)) && !in.Start.Equal(time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC)) {
			t.Fatalf("the moved occurrence at %v", in.Start)
		}
	}
	var declined, allday string
	for id, o := range objs {
		switch {
		case strings.Contains(string(o.ICS), "SUMMARY:Declined"):
			declined = string(objs[id].ICS)
		case strings.Contains(string(o.ICS), "SUMMARY:Offsite"):
			allday = string(objs[id].ICS)
		}
	}
	if !strings.Contains(declined, "PARTSTAT=DECLINED:mailto:"+alice) || !strings.Contains(allday, "DTSTART;VALUE=DATE:20260304") {
		t.Fatalf("declined:\n%s\nall-day:\n%s", declined, allday)
	}

	// A watch: the sandbox's sync message, then a change in Google.
	ch, err := c.Watch(ctx, alice, hook.URL, "secret-token")
	if err != nil {
		t.Fatal(err)
	}
	sb.AddEvent(alice, map[string]any{"summary": "New", "start": map[string]any{"dateTime": "2026-03-05T09:00:00Z"}, "end": map[string]any{"dateTime": "2026-03-05T10:00:00Z"}})
	deadline := time.After(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case <-pushed:
		case <-deadline:
			t.Fatal("no push notification")
		}
	}
	mu.Lock()
	e := got[0]
	mu.Unlock()
	if e.Kind != video.EventCalendarChanged || e.Channel != ch.ID || e.ChannelToken != "secret-token" {
		t.Fatalf("event %+v", e)
	}
	cs2, err := c.Changes(ctx, alice, cs.Cursor, time.Time{}, time.Time{})
	if err != nil || cs2.Full || len(cs2.Objects) != 1 || !strings.Contains(string(cs2.Objects[0].ICS), "SUMMARY:New") {
		t.Fatalf("incremental: %+v %v", cs2, err)
	}
	if _, err := c.Renew(ctx, *ch); err != nil {
		t.Fatal(err)
	}
	// The sync tokens expire: a full sync is asked for.
	sb.Control("POST", "/sync-tokens/invalidate", map[string]any{}, http.StatusOK, nil)
	if _, err := c.Changes(ctx, alice, cs2.Cursor, time.Time{}, time.Time{}); !errors.Is(err, video.ErrSyncExpired) {
		t.Fatalf("after invalidation: %v", err)
	}

	// Free/busy of both, in one call.
	before := sb.Calls()["freebusy.query"]
	fb, err := c.FreeBusy(ctx, []string{alice, bob}, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC))
	if err != nil || fb[alice].Err != nil || fb[bob].Err != nil || len(fb[alice].Busy) == 0 || len(fb[bob].Busy) != 0 {
		t.Fatalf("freebusy %+v %v", fb, err)
	}
	if n := sb.Calls()["freebusy.query"] - before; n != 1 {
		t.Fatalf("%d freebusy calls", n)
	}
	wh, err := c.WorkingHours(ctx, alice)
	if err != nil || wh == nil || wh.TimeZone != "Europe/Paris" {
		t.Fatalf("working hours %+v %v", wh, err)
	}
}

// A delegation without Convene's scopes is refused with
// unauthorized_client, which is ErrUnauthorized.
func TestSandboxDelegationMissing(t *testing.T) {
	sb, cfg, _ := startSandbox(t, googlesandbox.Options{})
	key := sb.Key("example.com", ScopeFreeBusy)
	c := cfg.Client(video.Connection{Credentials: key})
	err := c.Token(context.Background(), alice)
	te, ok := errors.AsType[*TokenError](err)
	if !errors.Is(err, video.ErrUnauthorized) || !ok || te.Code != "unauthorized_client" {
		t.Fatalf("%v", err)
	}
}

// A series changed in Google after a sync comes whole in the next
// incremental sync: its moved occurrence, then its cancelled one.
func TestSandboxSeriesChangedAfterSync(t *testing.T) {
	sb, cfg, key := startSandbox(t, googlesandbox.Options{})
	c := cfg.Client(video.Connection{Credentials: key})
	ctx := context.Background()
	series := sb.AddEvent(alice, map[string]any{"summary": "Weekly", "start": map[string]any{"dateTime": "2026-03-02T09:00:00+01:00", "timeZone": "Europe/Paris"},
		"end": map[string]any{"dateTime": "2026-03-02T10:00:00+01:00", "timeZone": "Europe/Paris"}, "recurrence": []string{"RRULE:FREQ=WEEKLY;COUNT=6"}})
	sid := series["id"].(string)
	cs, err := c.Changes(ctx, alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	sb.Control("PATCH", "/calendars/"+alice+"/events/"+sid+"_20260309T080000Z", map[string]any{
		"start": map[string]any{"dateTime": "2026-03-09T15:00:00+01:00", "timeZone": "Europe/Paris"},
		"end":   map[string]any{"dateTime": "2026-03-09T16:00:00+01:00", "timeZone": "Europe/Paris"}}, http.StatusOK, nil)
	cs2, err := c.Changes(ctx, alice, cs.Cursor, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs2.Objects) != 1 || cs2.Objects[0].ID != sid {
		t.Fatalf("after the move: %+v", cs2)
	}
	text := string(cs2.Objects[0].ICS)
	if !strings.Contains(text, "RRULE:FREQ=WEEKLY;COUNT=6") || !strings.Contains(text, "RECURRENCE-ID;TZID=Europe/Paris:20260309T090000") ||
		!strings.Contains(text, "DTSTART;TZID=Europe/Paris:20260309T150000") {
		t.Fatalf("the series after the move:\n%s", text)
	}
	sb.Control("DELETE", "/calendars/"+alice+"/events/"+sid+"_20260316T080000Z", nil, http.StatusNoContent, nil)
	cs3, err := c.Changes(ctx, alice, cs2.Cursor, time.Time{}, time.Time{})
	if err != nil || len(cs3.Objects) != 1 || len(cs3.Removed) != 0 {
		t.Fatalf("after the cancel: %+v %v", cs3, err)
	}
	if text := string(cs3.Objects[0].ICS); !strings.Contains(text, "EXDATE;TZID=Europe/Paris:20260316T090000") || !strings.Contains(text, "RECURRENCE-ID") {
		t.Fatalf("the series after the cancel:\n%s", text)
	}
}

func TestSandboxFreeBusyMovedOccurrence(t *testing.T) {
	sb, cfg, key := startSandbox(t, googlesandbox.Options{})
	c := cfg.Client(video.Connection{Credentials: key})
	series := sb.AddEvent(alice, map[string]any{"summary": "Daily", "start": map[string]any{"dateTime": "2026-03-02T09:00:00+01:00", "timeZone": "Europe/Paris"},
		"end": map[string]any{"dateTime": "2026-03-02T12:00:00+01:00", "timeZone": "Europe/Paris"}, "recurrence": []string{"RRULE:FREQ=DAILY;COUNT=5"}})
	sb.Control("PATCH", "/calendars/"+alice+"/events/"+series["id"].(string)+"_20260304T080000Z", map[string]any{
		"start": map[string]any{"dateTime": "2026-03-04T14:00:00+01:00", "timeZone": "Europe/Paris"},
		"end":   map[string]any{"dateTime": "2026-03-04T16:00:00+01:00", "timeZone": "Europe/Paris"}}, http.StatusOK, nil)
	fb, err := c.FreeBusy(context.Background(), []string{alice}, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if b := fb[alice].Busy; len(b) != 1 || !b[0].Start.Equal(time.Date(2026, 3, 4, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("busy %+v", b)
	}
}

// The sync cost of a calendar of 5,000 events at the sandbox: a full sync
// is 2 events.list calls (2,500 a page), an incremental one with nothing
// changed is 1.
func TestSandboxSyncCost5000(t *testing.T) {
	testenv.SkipShort(t, "5,000 events")
	sb, cfg, key := startSandbox(t, googlesandbox.Options{})
	c := cfg.Client(video.Connection{Credentials: key})
	ctx := context.Background()
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	for i := range 5000 {
		at := start.Add(time.Duration(i/8)*24*time.Hour + time.Duration(i%8)*time.Hour)
		sb.AddEvent(alice, map[string]any{"summary": "e", "start": map[string]any{"dateTime": at.Format(time.RFC3339)},
			"end": map[string]any{"dateTime": at.Add(45 * time.Minute).Format(time.RFC3339)}})
	}
	before := sb.Calls()["events.list"]
	t0 := time.Now()
	cs, err := c.Changes(ctx, alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	full := time.Since(t0)
	size := 0
	for _, o := range cs.Objects {
		size += len(o.ICS)
	}
	if len(cs.Objects) != 5000 {
		t.Fatalf("%d objects", len(cs.Objects))
	}
	if n := sb.Calls()["events.list"] - before; n != 2 {
		t.Fatalf("%d events.list calls for a full sync of 5,000 events, want 2", n)
	}
	t1 := time.Now()
	cs2, err := c.Changes(ctx, alice, cs.Cursor, time.Time{}, time.Time{})
	if err != nil || len(cs2.Objects) != 0 {
		t.Fatalf("%+v %v", cs2, err)
	}
	t.Logf("full sync of 5,000 events: 2 calls, %v, %d bytes of iCalendar; incremental with no change: 1 call, %v", full, size, time.Since(t1))
}

// TestSandboxPutEventMovedOccurrence: a series written with a moved
// occurrence has it as an exception at Google (the instance at its
// original start, now at its new time); writing it again, as a retried
// job does, changes nothing.
func TestSandboxPutEventMovedOccurrence(t *testing.T) {
	_, cfg, key := startSandbox(t, googlesandbox.Options{})
	c := cfg.Client(video.Connection{Credentials: key})
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	ev := video.CalendarEvent{Ref: video.CreateRef{Key: "app-event/m1"}, UID: "m1@convene.test", Subject: "Weekly",
		Start: time.Date(2026, 3, 2, 9, 0, 0, 0, paris), End: time.Date(2026, 3, 2, 10, 0, 0, 0, paris), TimeZone: "Europe/Paris",
		RRule: "FREQ=WEEKLY;COUNT=4",
		Moved: []video.MovedOccurrence{{Original: time.Date(2026, 3, 9, 9, 0, 0, 0, paris),
			Start: time.Date(2026, 3, 10, 15, 0, 0, 0, paris), End: time.Date(2026, 3, 10, 16, 0, 0, 0, paris)}}}
	for range 2 {
		if _, err := c.PutEvent(ctx, alice, ev); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := c.Changes(ctx, alice, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Objects) != 1 {
		t.Fatalf("%d objects, want the series alone", len(cs.Objects))
	}
	text := string(cs.Objects[0].ICS)
	if strings.Count(text, "RECURRENCE-ID") != 1 || !strings.Contains(text, "RECURRENCE-ID;TZID=Europe/Paris:20260309T090000") ||
		!strings.Contains(text, "DTSTART;TZID=Europe/Paris:20260310T150000") {
		t.Fatalf("the series at Google:\n%s", text)
	}
	// An occurrence gone at Google is left alone.
	ev.Moved[0].Original = time.Date(2026, 4, 20, 9, 0, 0, 0, paris) // past the series' end
	if _, err := c.PutEvent(ctx, alice, ev); err != nil {
		t.Fatalf("an occurrence Google does not have: %v", err)
	}
}
