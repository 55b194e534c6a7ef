package msgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/video"
)

var day = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

// scheduleAnswer is getSchedule's answer for schedules: one busy, one
// tentative, one oof, one free and one workingElsewhere item each, and an
// error for "ghost@…".
func scheduleAnswer(schedules []string) map[string]any {
	item := func(status string, h0, h1 int) map[string]any {
		return map[string]any{"status": status, "isPrivate": false,
			"start": map[string]string{"dateTime": day.Add(time.Duration(h0) * time.Hour).Format(graphTimeLayout), "timeZone": "UTC"},
			"end":   map[string]string{"dateTime": day.Add(time.Duration(h1) * time.Hour).Format(graphTimeLayout), "timeZone": "UTC"}}
	}
	var value []any
	for _, s := range schedules {
		if strings.HasPrefix(s, "ghost@") {
			value = append(value, map[string]any{"scheduleId": s, "error": map[string]string{"message": "not found", "responseCode": "ErrorMailRecipientNotFound"}})
			continue
		}
		value = append(value, map[string]any{"scheduleId": strings.ToUpper(s), "availabilityView": "", "scheduleItems": []any{
			item("busy", 9, 10), item("tentative", 11, 12), item("oof", 10, 11), item("free", 13, 14), item("workingElsewhere", 15, 16), item("unknown", 17, 18),
		}})
	}
	return map[string]any{"value": value}
}

// TestFreeBusy: statuses are mapped as documented; many users and a long
// window become several getSchedule requests in one $batch; a schedule
// Graph cannot read has its error and does not fail the others.
func TestFreeBusy(t *testing.T) {
	var mu sync.Mutex
	var batches, single int
	var asked [][]string
	c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		type gs struct {
			Schedules []string         `json:"schedules"`
			StartTime dateTimeTimeZone `json:"startTime"`
			EndTime   dateTimeTimeZone `json:"endTime"`
		}
		check := func(g gs) {
			s, _ := g.StartTime.instant()
			e, _ := g.EndTime.instant()
			if len(g.Schedules) > ScheduleUsers || e.Sub(s) > ScheduleWindow {
				t.Errorf("getSchedule of %d schedules over %v", len(g.Schedules), e.Sub(s))
			}
			asked = append(asked, g.Schedules)
		}
		switch {
		case r.URL.Path == "/v1.0/$batch":
			batches++
			var in struct {
				Requests []struct {
					ID, Method, URL string
					Body            gs
				}
			}
			json.NewDecoder(r.Body).Decode(&in)
			if len(in.Requests) > BatchLimit {
				t.Errorf("%d requests in a batch", len(in.Requests))
			}
			var out []any
			for _, q := range in.Requests {
				if q.Method != "POST" || !strings.HasSuffix(q.URL, "/calendar/getSchedule") {
					t.Errorf("batched %s %s", q.Method, q.URL)
				}
				check(q.Body)
				out = append(out, map[string]any{"id": q.ID, "status": 200, "body": scheduleAnswer(q.Body.Schedules)})
			}
			json.NewEncoder(w).Encode(map[string]any{"responses": out})
		case strings.HasSuffix(r.URL.Path, "/calendar/getSchedule"):
			single++
			var g gs
			json.NewDecoder(r.Body).Decode(&g)
			check(g)
			json.NewEncoder(w).Encode(scheduleAnswer(g.Schedules))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
	}))
	ctx := context.Background()

	got, err := Calendars{c}.FreeBusy(ctx, []string{"ann@example.com", "ghost@example.com"}, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if single != 1 || batches != 0 {
		t.Errorf("one request took %d calls and %d batches", single, batches)
	}
	ann := got["ann@example.com"]
	wantBusy := []video.Interval{{Start: day.Add(9 * time.Hour), End: day.Add(11 * time.Hour)}, {Start: day.Add(17 * time.Hour), End: day.Add(18 * time.Hour)}}
	if ann.Err != nil || fmt.Sprint(ann.Busy) != fmt.Sprint(wantBusy) {
		t.Errorf("busy: %v (%v), want %v (busy, oof and unknown; free and workingElsewhere are free)", ann.Busy, ann.Err, wantBusy)
	}
	if len(ann.Tentative) != 1 || !ann.Tentative[0].Start.Equal(day.Add(11*time.Hour)) {
		t.Errorf("tentative: %v", ann.Tentative)
	}
	if g := got["ghost@example.com"]; !errors.Is(g.Err, video.ErrHostNotFound) {
		t.Errorf("ghost: %+v", g)
	}

	var users []string
	for i := range 45 {
		users = append(users, fmt.Sprintf("u%d@example.com", i))
	}
	single, asked = 0, nil
	got, err = Calendars{c}.FreeBusy(ctx, users, day, day.Add(70*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// 3 chunks of ≤20 users × 2 windows of ≤62 days = 6 requests, 1 batch.
	if batches != 1 || single != 0 || len(asked) != 6 {
		t.Errorf("45 users over 70 days: %d batches, %d single calls, %d getSchedule requests", batches, single, len(asked))
	}
	for _, u := range users {
		if fb := got[u]; fb.Err != nil || len(fb.Busy) != 2 {
			t.Errorf("%s: %+v", u, fb)
		}
	}
}

// deltaEvents are calendarView delta items: every showAs, a cancelled
// one, a declined invitation, an all-day event, a removed one.
const deltaEvents = `[
 {"id":"e-busy","iCalUId":"uid-busy","subject":"Busy","showAs":"busy","start":{"dateTime":"2026-12-07T09:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T10:00:00.0000000","timeZone":"UTC"},"isOrganizer":true,"responseStatus":{"response":"organizer"},"type":"singleInstance"},
 {"id":"e-free","iCalUId":"uid-free","subject":"Focus","showAs":"free","start":{"dateTime":"2026-12-07T10:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T11:00:00.0000000","timeZone":"UTC"}},
 {"id":"e-tent","iCalUId":"uid-tent","subject":"Maybe","showAs":"tentative","start":{"dateTime":"2026-12-07T11:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T12:00:00.0000000","timeZone":"UTC"},"responseStatus":{"response":"tentativelyAccepted"}},
 {"id":"e-canc","iCalUId":"uid-canc","subject":"Off","showAs":"busy","isCancelled":true,"start":{"dateTime":"2026-12-07T12:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T13:00:00.0000000","timeZone":"UTC"}},
 {"id":"e-decl","iCalUId":"uid-decl","subject":"No","showAs":"free","start":{"dateTime":"2026-12-07T13:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T14:00:00.0000000","timeZone":"UTC"},"responseStatus":{"response":"declined"},"organizer":{"emailAddress":{"address":"boss@example.com"}}},
 {"id":"e-oof","iCalUId":"uid-oof","subject":"Holiday","showAs":"oof","isAllDay":true,"start":{"dateTime":"2026-12-08T00:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-10T00:00:00.0000000","timeZone":"UTC"}},
 {"id":"e-occ","iCalUId":"uid-occ-2","subject":"Weekly","showAs":"busy","type":"occurrence","seriesMasterId":"m1","start":{"dateTime":"2026-12-07T08:00:00.0000000","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-12-07T08:30:00.0000000","timeZone":"W. Europe Standard Time"}},
 {"id":"e-gone","@removed":{"reason":"deleted"}}
]`

// TestChanges: a full sync over the window, then the deltaLink as the
// cursor; each event becomes the iCalendar object the core stores; an
// expired cursor is ErrSyncExpired.
func TestChanges(t *testing.T) {
	var base string
	c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1.0/users/ann@example.com/calendarView/delta" && r.URL.Query().Get("startDateTime") != "":
			if r.URL.Query().Get("startDateTime") != "2026-12-07T00:00:00Z" || r.URL.Query().Get("endDateTime") != "2026-12-21T00:00:00Z" {
				t.Errorf("window %v", r.URL.Query())
			}
			if !strings.Contains(strings.Join(r.Header.Values("Prefer"), ","), "odata.maxpagesize") {
				t.Error("no page size asked")
			}
			fmt.Fprintf(w, `{"value":%s,"@odata.nextLink":%q}`, deltaEvents, base+"/v1.0/users/ann@example.com/calendarView/delta?$skiptoken=p2")
		case r.URL.Query().Get("$skiptoken") == "p2":
			fmt.Fprintf(w, `{"value":[],"@odata.deltaLink":%q}`, base+"/v1.0/users/ann@example.com/calendarView/delta?$deltatoken=d1")
		case r.URL.Query().Get("$deltatoken") == "d1":
			fmt.Fprintf(w, `{"value":[{"id":"e-busy","@removed":{"reason":"deleted"}}],"@odata.deltaLink":%q}`, base+"/v1.0/users/ann@example.com/calendarView/delta?$deltatoken=d2")
		case r.URL.Query().Get("$deltatoken") == "old":
			graphErr(w, 410, "SyncStateNotFound", "The sync state generation is not found")
		default:
			t.Errorf("unexpected %s", r.URL)
		}
	}))
	base = strings.TrimSuffix(c.BaseURL, "/v1.0")
	cal := Calendars{c}
	ctx := context.Background()
	cs, err := cal.Changes(ctx, "ann@example.com", "", day, day.Add(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !cs.Full || len(cs.Objects) != 7 || fmt.Sprint(cs.Removed) != "[e-gone]" || !strings.HasSuffix(cs.Cursor, "$deltatoken=d1") {
		t.Fatalf("full sync: full=%v objects=%d removed=%v cursor=%q", cs.Full, len(cs.Objects), cs.Removed, cs.Cursor)
	}
	byID := map[string]*ical.Event{}
	for _, o := range cs.Objects {
		cal, err := ical.NewDecoder(bytes.NewReader(o.ICS)).Decode()
		if err != nil {
			t.Fatalf("%s: %v\n%s", o.ID, err, o.ICS)
		}
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("%s: %d events", o.ID, len(evs))
		}
		byID[o.ID] = &evs[0]
	}
	prop := func(id, name string) string {
		if p := byID[id].Props.Get(name); p != nil {
			return p.Value
		}
		return ""
	}
	for _, tc := range []struct{ id, prop, want string }{
		{"e-busy", ical.PropTransparency, "OPAQUE"},
		{"e-busy", ical.PropStatus, "CONFIRMED"},
		{"e-busy", ical.PropUID, "uid-busy"},
		{"e-busy", ical.PropDateTimeStart, "20261207T090000Z"},
		{"e-free", ical.PropTransparency, "TRANSPARENT"},
		{"e-tent", ical.PropStatus, "TENTATIVE"},
		{"e-canc", ical.PropStatus, "CANCELLED"},
		{"e-oof", ical.PropDateTimeStart, "20261208"},
		{"e-oof", ical.PropDateTimeEnd, "20261210"},
		{"e-oof", ical.PropTransparency, "OPAQUE"},
		// 08:00 in W. Europe Standard Time (Europe/Berlin) is 07:00 UTC.
		{"e-occ", ical.PropDateTimeStart, "20261207T070000Z"},
		{"e-occ", ical.PropUID, "uid-occ-2"},
	} {
		if got := prop(tc.id, tc.prop); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.id, tc.prop, got, tc.want)
		}
	}
	if v := byID["e-oof"].Props.Get(ical.PropDateTimeStart).ValueType(); v != ical.ValueDate {
		t.Errorf("all-day start type %v", v)
	}
	att := byID["e-decl"].Props.Get(ical.PropAttendee)
	if att == nil || att.Value != "mailto:ann@example.com" || att.Params.Get(ical.ParamParticipationStatus) != "DECLINED" {
		t.Errorf("declined: %+v", att)
	}
	if byID["e-busy"].Props.Get(ical.PropAttendee) != nil {
		t.Error("the organizer's own event carries an attendee line")
	}

	cs, err = cal.Changes(ctx, "ann@example.com", cs.Cursor, day, day.Add(14*24*time.Hour))
	if err != nil || cs.Full || fmt.Sprint(cs.Removed) != "[e-busy]" || !strings.HasSuffix(cs.Cursor, "d2") {
		t.Errorf("incremental: %+v %v", cs, err)
	}
	_, err = cal.Changes(ctx, "ann@example.com", base+"/v1.0/users/ann@example.com/calendarView/delta?$deltatoken=old", day, day.Add(time.Hour))
	if !errors.Is(err, video.ErrSyncExpired) {
		t.Errorf("expired cursor: %v", err)
	}
}

// recorder is a fake Graph that records requests and answers from a
// function.
type recorded struct {
	method, path string
	query        string
	body         map[string]any
}

func recorder(t *testing.T, answer func(r *http.Request, body map[string]any) (int, string)) (*Client, *[]recorded) {
	var mu sync.Mutex
	var seen []recorded
	c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		mu.Lock()
		seen = append(seen, recorded{r.Method, strings.TrimPrefix(r.URL.Path, "/v1.0"), r.URL.RawQuery, body})
		mu.Unlock()
		status, text := answer(r, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, text)
	}))
	return c, &seen
}

// TestWatch: a subscription to the user's events with the token as
// clientState, lifecycle notifications, an expiry within Graph's maximum;
// renew and unwatch by id, a gone subscription unwatched without error.
func TestWatch(t *testing.T) {
	c, seen := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		switch r.Method {
		case "POST":
			return 201, fmt.Sprintf(`{"id":"sub-1","expirationDateTime":%q}`, body["expirationDateTime"])
		case "PATCH":
			return 200, fmt.Sprintf(`{"id":"sub-1","expirationDateTime":%q}`, body["expirationDateTime"])
		}
		return 404, `{"error":{"code":"ResourceNotFound","message":"gone"}}`
	})
	cal := Calendars{c}
	ctx := context.Background()
	ch, err := cal.Watch(ctx, "ann@example.com", "https://convene.example/webhooks/teams", "tok")
	if err != nil {
		t.Fatal(err)
	}
	b := (*seen)[0].body
	exp, _ := time.Parse(time.RFC3339, b["expirationDateTime"].(string))
	if b["clientState"] != "tok" || b["resource"] != "/users/ann@example.com/events" || b["changeType"] != "created,updated,deleted" ||
		b["notificationUrl"] != "https://convene.example/webhooks/teams" || b["lifecycleNotificationUrl"] != "https://convene.example/webhooks/teams" ||
		exp.Sub(c.now()) > 10080*time.Minute || exp.Sub(c.now()) < 6*24*time.Hour {
		t.Errorf("subscription %v", b)
	}
	if ch.ID != "sub-1" || ch.Token != "tok" || ch.User != "ann@example.com" || !ch.Expires.Equal(exp) {
		t.Errorf("channel %+v", ch)
	}
	if _, err := cal.Renew(ctx, *ch); err != nil || (*seen)[1].method != "PATCH" || (*seen)[1].path != "/subscriptions/sub-1" {
		t.Errorf("renew: %v %+v", err, (*seen)[1])
	}
	if err := cal.Unwatch(ctx, *ch); err != nil || (*seen)[2].method != "DELETE" {
		t.Errorf("unwatch of a gone subscription: %v", err)
	}
	if _, err := cal.Watch(ctx, "a@b", "https://x", strings.Repeat("x", 129)); err == nil {
		t.Error("a clientState longer than Graph's 128 characters")
	}
}

// TestPutEvent: a create carries a transactionId that is the same on a
// retry with the same reference (exactly once) and differs for another;
// Notify false writes no attendees (Outlook mails nobody); Conference
// asks for Teams; a series gets its Outlook recurrence; its join details
// come back.
func TestPutEvent(t *testing.T) {
	c, seen := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		if r.Method == "DELETE" {
			return 204, ""
		}
		if strings.HasSuffix(r.URL.Path, "/instances") {
			return 200, `{"value":[{"id":"occ-2","start":{"dateTime":"2026-12-14T09:00:00.0000000","timeZone":"UTC"}},{"id":"occ-3","start":{"dateTime":"2026-12-21T09:00:00.0000000","timeZone":"UTC"}}]}`
		}
		return 201, `{"id":"ev-1","iCalUId":"uid-1","webLink":"https://outlook.example/ev-1","subject":"Plan",
			"start":{"dateTime":"2026-12-07T09:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T09:30:00.0000000","timeZone":"UTC"},
			"onlineMeeting":{"joinUrl":"https://teams.example/l/meetup-join/1","conferenceId":"123456789","tollNumber":"+1 555 0100"}}`
	})
	cal := Calendars{c}
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	ev := video.CalendarEvent{Ref: video.CreateRef{Key: "job-1"}, Subject: "Plan", Description: "Agenda",
		Start: time.Date(2026, 12, 7, 10, 0, 0, 0, paris), End: time.Date(2026, 12, 7, 10, 30, 0, 0, paris), TimeZone: "Europe/Paris",
		Attendees: []video.Attendee{{Email: "bob@example.org", Name: "Bob"}, {Email: "cy@example.org", Optional: true}}, Conference: true,
		RRule: "FREQ=WEEKLY;BYDAY=MO;COUNT=5", ExDates: []time.Time{time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)}}
	ref, err := cal.PutEvent(ctx, "ann@example.com", ev)
	if err != nil {
		t.Fatal(err)
	}
	if ref.ID != "ev-1" || ref.Meeting == nil || ref.Meeting.JoinURL != "https://teams.example/l/meetup-join/1" || ref.Meeting.PSTNPassword != "123456789" ||
		!strings.Contains(ref.Meeting.Invitation, "+1 555 0100,,123456789#") {
		t.Errorf("ref %+v meeting %+v", ref, ref.Meeting)
	}
	first := (*seen)[0]
	if first.method != "POST" || first.path != "/users/ann@example.com/events" {
		t.Fatalf("%+v", first)
	}
	b := first.body
	start := b["start"].(map[string]any)
	if b["attendees"] != nil || !strings.Contains(b["body"].(map[string]any)["content"].(string), "Bob <bob@example.org>") {
		t.Errorf("Notify false: attendees %v body %v", b["attendees"], b["body"])
	}
	if b["isOnlineMeeting"] != true || b["onlineMeetingProvider"] != "teamsForBusiness" {
		t.Errorf("conference: %v %v", b["isOnlineMeeting"], b["onlineMeetingProvider"])
	}
	if start["dateTime"] != "2026-12-07T10:00:00" || start["timeZone"] != "Romance Standard Time" {
		t.Errorf("start %v", start)
	}
	rec := b["recurrence"].(map[string]any)
	if p := rec["pattern"].(map[string]any); p["type"] != "weekly" || fmt.Sprint(p["daysOfWeek"]) != "[monday]" {
		t.Errorf("pattern %v", p)
	}
	if rg := rec["range"].(map[string]any); rg["type"] != "numbered" || rg["numberOfOccurrences"] != 5.0 || rg["startDate"] != "2026-12-07" {
		t.Errorf("range %v", rg)
	}
	if last := (*seen)[len(*seen)-1]; last.method != "DELETE" || last.path != "/users/ann@example.com/events/occ-2" {
		t.Errorf("the excluded occurrence: %+v", last)
	}
	tx := b["transactionId"]
	n := len(*seen)
	if _, err := cal.PutEvent(ctx, "ann@example.com", ev); err != nil {
		t.Fatal(err)
	}
	if again := (*seen)[n].body["transactionId"]; again != tx || tx == "" {
		t.Errorf("a retry's transactionId %v, first %v", again, tx)
	}
	ev.Ref.Key, ev.Notify, ev.RRule, ev.ExDates = "job-2", true, "", nil
	n = len(*seen)
	if _, err := cal.PutEvent(ctx, "ann@example.com", ev); err != nil {
		t.Fatal(err)
	}
	b = (*seen)[n].body
	if b["transactionId"] == tx {
		t.Error("two side effects share a transactionId")
	}
	atts, _ := b["attendees"].([]any)
	if len(atts) != 2 || atts[1].(map[string]any)["type"] != "optional" {
		t.Errorf("Notify true: attendees %v", b["attendees"])
	}
	ev.ID = "ev-1"
	n = len(*seen)
	if _, err := cal.PutEvent(ctx, "ann@example.com", ev); err != nil || (*seen)[n].method != "PATCH" || (*seen)[n].path != "/users/ann@example.com/events/ev-1" {
		t.Errorf("update: %v %+v", err, (*seen)[n])
	}
	ev.ID, ev.Ref.Key = "", ""
	if _, err := cal.PutEvent(ctx, "ann@example.com", ev); err == nil {
		t.Error("a create without its reference")
	}
}

// TestRecurrenceOf: RFC 5545 rules onto Outlook's patterns, and the ones
// Outlook cannot take refused.
func TestRecurrenceOf(t *testing.T) {
	start := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC) // a Tuesday
	for _, tc := range []struct{ rule, want string }{
		{"FREQ=DAILY;INTERVAL=2;COUNT=3", "daily/2 numbered 3"},
		{"FREQ=WEEKLY;BYDAY=MO,WE", "weekly/1 [monday wednesday] noEnd"},
		{"FREQ=WEEKLY", "weekly/1 [tuesday] noEnd"},
		{"FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20270630T000000Z", "absoluteMonthly/1 day 15 endDate 2027-06-30"},
		{"FREQ=MONTHLY;BYDAY=-1FR", "relativeMonthly/1 [friday] last noEnd"},
		{"FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", "relativeMonthly/1 [tuesday] second noEnd"},
		{"FREQ=YEARLY", "absoluteYearly/1 month 12 day 8 noEnd"},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=1SU", "relativeYearly/1 month 3 [sunday] first noEnd"},
		{"FREQ=HOURLY", "error"},
		{"FREQ=MONTHLY;BYDAY=1MO,3MO", "error"},
		{"FREQ=DAILY;BYHOUR=9,15", "error"},
		{"FREQ=MONTHLY;BYMONTHDAY=-1", "error"},
		{"FREQ=MONTHLY;BYDAY=5MO", "error"},
	} {
		r, err := recurrenceOf(tc.rule, start, "UTC")
		got := "error"
		if err == nil {
			p := r.Pattern
			got = fmt.Sprintf("%s/%d", p.Type, p.Interval)
			if p.Month != 0 {
				got += fmt.Sprintf(" month %d", p.Month)
			}
			if p.DayOfMonth != 0 {
				got += fmt.Sprintf(" day %d", p.DayOfMonth)
			}
			if len(p.DaysOfWeek) > 0 {
				got += fmt.Sprintf(" %v", p.DaysOfWeek)
			}
			if p.Index != "" {
				got += " " + p.Index
			}
			got += " " + r.Range.Type
			if r.Range.NumberOfOccurrences > 0 {
				got += fmt.Sprintf(" %d", r.Range.NumberOfOccurrences)
			}
			if r.Range.EndDate != "" {
				got += " " + r.Range.EndDate
			}
		} else if _, ok := errors.AsType[*video.ValidationError](err); !ok {
			t.Errorf("%s: %T %v", tc.rule, err, err)
		}
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.rule, got, tc.want)
		}
	}
}

// TestDeleteEvent: the whole event, or one occurrence found among the
// instances; one already gone is done.
func TestDeleteEvent(t *testing.T) {
	c, seen := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		if strings.HasSuffix(r.URL.Path, "/instances") {
			return 200, `{"value":[{"id":"occ-9","start":{"dateTime":"2026-12-14T09:00:00.0000000","timeZone":"UTC"}}]}`
		}
		if strings.HasSuffix(r.URL.Path, "/gone") {
			return 404, `{"error":{"code":"ErrorItemNotFound","message":"The specified object was not found in the store."}}`
		}
		return 204, ""
	})
	cal := Calendars{c}
	ctx := context.Background()
	if err := cal.DeleteEvent(ctx, "ann@example.com", "ev-1", time.Time{}, false); err != nil || (*seen)[0].path != "/users/ann@example.com/events/ev-1" {
		t.Errorf("%v %+v", err, (*seen)[0])
	}
	if err := cal.DeleteEvent(ctx, "ann@example.com", "ev-1", time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC), false); err != nil || (*seen)[2].path != "/users/ann@example.com/events/occ-9" {
		t.Errorf("occurrence: %v %+v", err, *seen)
	}
	if err := cal.DeleteEvent(ctx, "ann@example.com", "gone", time.Time{}, false); err != nil {
		t.Errorf("gone: %v", err)
	}
	n := len(*seen)
	if err := cal.DeleteEvent(ctx, "ann@example.com", "ev-1", time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC), false); err != nil || len(*seen) != n+1 {
		t.Errorf("an occurrence that is not there deleted something: %v", err)
	}
}

// TestWorkingHours: mailboxSettings' working hours, their Windows zone
// mapped to IANA.
func TestWorkingHours(t *testing.T) {
	c, _ := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		return 200, `{"timeZone":"Pacific Standard Time","workingHours":{"daysOfWeek":["monday","tuesday","friday"],
			"startTime":"08:30:00.0000000","endTime":"17:00:00.0000000","timeZone":{"name":"India Standard Time"}}}`
	})
	wh, err := Calendars{c}.WorkingHours(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if wh.TimeZone != "Asia/Calcutta" || wh.Start != "08:30" || wh.End != "17:00" || fmt.Sprint(wh.Days) != "[Monday Tuesday Friday]" {
		t.Errorf("%+v", wh)
	}
}
