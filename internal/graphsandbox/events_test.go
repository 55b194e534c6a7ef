package graphsandbox

import (
	"strings"
	"testing"
)

const ann = "/v1.0/users/ann@example.com"

func TestEventLifecycle(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	body := eventBody("Plan", "2026-12-07T09:00:00", "2026-12-07T10:00:00")
	body["attendees"] = []map[string]any{{"emailAddress": map[string]string{"address": "bob@guest.test", "name": "Bob"}, "type": "required"}}
	body["isOnlineMeeting"] = true
	body["onlineMeetingProvider"] = "teamsForBusiness"
	body["transactionId"] = "txn-1"
	e := sb.must(201, "POST", ann+"/events", body)
	id := e["id"].(string)
	join := e["onlineMeeting"].(map[string]any)["joinUrl"].(string)
	if !strings.HasPrefix(join, sb.ts.URL+"/l/meetup-join/") || e["type"] != "singleInstance" || e["showAs"] != "busy" ||
		e["responseStatus"].(map[string]any)["response"] != "organizer" || e["start"].(map[string]any)["dateTime"] != "2026-12-07T09:00:00.0000000" {
		t.Fatalf("created: %v", e)
	}
	att := e["attendees"].([]any)[0].(map[string]any)
	if att["status"].(map[string]any)["response"] != "none" {
		t.Errorf("attendee: %v", att)
	}
	// The same transactionId returns the same event, not a second one.
	again := sb.must(201, "POST", ann+"/events", body)
	if again["id"] != id {
		t.Fatalf("transactionId retry made %v, want %v", again["id"], id)
	}
	list := sb.must(200, "GET", ann+"/events", nil)
	if n := len(values(list)); n != 1 {
		t.Fatalf("%d events after a retried create", n)
	}
	// Prefer: outlook.timezone.
	_, got, h := sb.do("GET", ann+"/events/"+id, nil, "Prefer", `outlook.timezone="W. Europe Standard Time"`)
	if got["start"].(map[string]any)["dateTime"] != "2026-12-07T10:00:00.0000000" || got["start"].(map[string]any)["timeZone"] != "W. Europe Standard Time" ||
		!strings.Contains(h.Get("Preference-Applied"), "outlook.timezone") {
		t.Fatalf("in Berlin: %v %v", got["start"], h)
	}
	// PATCH moves it.
	p := sb.must(200, "PATCH", ann+"/events/"+id, map[string]any{"start": map[string]string{"dateTime": "2026-12-07T11:00:00", "timeZone": "Pacific Standard Time"},
		"end": map[string]string{"dateTime": "2026-12-07T12:00:00", "timeZone": "Pacific Standard Time"}})
	if p["start"].(map[string]any)["dateTime"] != "2026-12-07T19:00:00.0000000" || p["originalStartTimeZone"] != "Pacific Standard Time" || p["changeKey"] == e["changeKey"] {
		t.Fatalf("patched: %v", p)
	}
	// Bad input is refused with Graph's errors.
	for _, tc := range []struct {
		body any
		code string
	}{
		{map[string]any{"nope": 1}, "RequestBodyRead"},
		{map[string]any{"showAs": "sleeping"}, "BadRequest"},
		{map[string]any{"start": map[string]string{"dateTime": "2026-12-07T13:00:00", "timeZone": "Mars/Olympus"}}, "TimeZoneNotSupportedException"},
		{map[string]any{"end": map[string]string{"dateTime": "2020-01-01T00:00:00", "timeZone": "UTC"}}, "ErrorInvalidRequest"},
		{"{", "RequestBodyRead"},
	} {
		st, m, _ := sb.do("PATCH", ann+"/events/"+id, tc.body)
		if st != 400 || errCode(m) != tc.code {
			t.Errorf("PATCH %v: %d %v, want 400 %s", tc.body, st, m, tc.code)
		}
	}
	// DELETE, then 404.
	sb.must(204, "DELETE", ann+"/events/"+id, nil)
	st, m, _ := sb.do("GET", ann+"/events/"+id, nil)
	if st != 404 || errCode(m) != "ErrorItemNotFound" {
		t.Fatalf("after delete: %d %v", st, m)
	}
	// Another user's event is not found through this user.
	e2 := sb.must(201, "POST", "/v1.0/users/bob@example.com/events", eventBody("x", "2026-12-08T09:00:00", "2026-12-08T10:00:00"))
	if st, _, _ := sb.do("GET", ann+"/events/"+e2["id"].(string), nil); st != 404 {
		t.Fatalf("bob's event through ann: %d", st)
	}
	// cancel: 202, then gone.
	sb.must(202, "POST", "/v1.0/users/bob@example.com/events/"+e2["id"].(string)+"/cancel", map[string]string{"Comment": "sorry"})
	if st, _, _ := sb.do("GET", "/v1.0/users/bob@example.com/events/"+e2["id"].(string), nil); st != 404 {
		t.Fatalf("after cancel: %d", st)
	}
}

func TestAllDayRequiresMidnight(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	b := eventBody("Off", "2026-12-07T00:00:00", "2026-12-08T00:00:00")
	b["isAllDay"] = true
	e := sb.must(201, "POST", ann+"/events", b)
	if e["isAllDay"] != true {
		t.Fatal(e)
	}
	b = eventBody("Off", "2026-12-07T01:00:00", "2026-12-08T00:00:00")
	b["isAllDay"] = true
	if st, m, _ := sb.do("POST", ann+"/events", b); st != 400 {
		t.Fatalf("all-day not at midnight: %d %v", st, m)
	}
}

func TestRecurrenceExpansion(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	b := eventBody("Standup", "2026-12-07T09:00:00", "2026-12-07T09:15:00")
	b["start"].(map[string]string)["timeZone"] = "Eastern Standard Time"
	b["end"].(map[string]string)["timeZone"] = "Eastern Standard Time"
	b["recurrence"] = map[string]any{
		"pattern": map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []string{"monday", "wednesday", "friday"}},
		"range":   map[string]any{"type": "numbered", "startDate": "2026-12-07", "numberOfOccurrences": 6},
	}
	m := sb.must(201, "POST", ann+"/events", b)
	if m["type"] != "seriesMaster" {
		t.Fatalf("master: %v", m)
	}
	view := func() []map[string]any {
		return values(sb.must(200, "GET", ann+"/calendarView?startDateTime=2026-12-01T00:00:00Z&endDateTime=2027-01-31T00:00:00Z&$top=50", nil))
	}
	occ := view()
	if len(occ) != 6 {
		t.Fatalf("%d occurrences, want 6", len(occ))
	}
	wantDays := []string{"2026-12-07", "2026-12-09", "2026-12-11", "2026-12-14", "2026-12-16", "2026-12-18"}
	for i, o := range occ {
		if o["type"] != "occurrence" || o["seriesMasterId"] != m["id"] || !strings.HasPrefix(o["start"].(map[string]any)["dateTime"].(string), wantDays[i]+"T14:00:00") {
			t.Errorf("occurrence %d: %v %v", i, o["type"], o["start"])
		}
	}
	// An exception and a cancelled occurrence.
	sb.must(200, "PATCH", ann+"/events/"+occ[1]["id"].(string), map[string]any{"subject": "Moved", "showAs": "tentative",
		"start": map[string]string{"dateTime": "2026-12-09T16:00:00", "timeZone": "UTC"}, "end": map[string]string{"dateTime": "2026-12-09T16:30:00", "timeZone": "UTC"}})
	sb.must(204, "DELETE", ann+"/events/"+occ[2]["id"].(string), nil)
	occ = view()
	if len(occ) != 5 || occ[1]["type"] != "exception" || occ[1]["subject"] != "Moved" || occ[1]["start"].(map[string]any)["dateTime"] != "2026-12-09T16:00:00.0000000" {
		t.Fatalf("after exception and cancel: %d %v", len(occ), occ[1])
	}
	master := sb.must(200, "GET", ann+"/events/"+m["id"].(string), nil)
	if c := master["cancelledOccurrences"].([]any); len(c) != 1 || c[0] != occ0id(occ, m) {
		t.Fatalf("cancelledOccurrences: %v", master["cancelledOccurrences"])
	}
	// The cancelled occurrence is gone.
	if st, _, _ := sb.do("GET", ann+"/events/"+occurrenceID(m["id"].(string), "2026-12-11"), nil); st != 404 {
		t.Errorf("cancelled occurrence: %d", st)
	}
}

func occ0id(_ []map[string]any, m map[string]any) string {
	return occurrenceID(m["id"].(string), "2026-12-11")
}

func TestRecurrencePatterns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern map[string]any
		rng     map[string]any
		want    []string
	}{
		{"daily every 2", map[string]any{"type": "daily", "interval": 2}, map[string]any{"type": "endDate", "startDate": "2026-01-01", "endDate": "2026-01-07"},
			[]string{"2026-01-01", "2026-01-03", "2026-01-05", "2026-01-07"}},
		{"absoluteMonthly 31", map[string]any{"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31}, map[string]any{"type": "numbered", "startDate": "2026-01-01", "numberOfOccurrences": 3},
			[]string{"2026-01-31", "2026-02-28", "2026-03-31"}},
		{"relativeMonthly last friday", map[string]any{"type": "relativeMonthly", "interval": 1, "daysOfWeek": []string{"friday"}, "index": "last"}, map[string]any{"type": "numbered", "startDate": "2026-01-01", "numberOfOccurrences": 2},
			[]string{"2026-01-30", "2026-02-27"}},
		{"absoluteYearly", map[string]any{"type": "absoluteYearly", "interval": 1, "dayOfMonth": 3, "month": 2}, map[string]any{"type": "numbered", "startDate": "2026-01-01", "numberOfOccurrences": 2},
			[]string{"2026-02-03", "2027-02-03"}},
		{"relativeYearly", map[string]any{"type": "relativeYearly", "interval": 1, "daysOfWeek": []string{"thursday"}, "index": "fourth", "month": 11}, map[string]any{"type": "numbered", "startDate": "2026-01-01", "numberOfOccurrences": 2},
			[]string{"2026-11-26", "2027-11-25"}},
		{"weekly interval 2 monday first", map[string]any{"type": "weekly", "interval": 2, "daysOfWeek": []string{"sunday", "tuesday"}, "firstDayOfWeek": "monday"}, map[string]any{"type": "numbered", "startDate": "2026-01-05", "numberOfOccurrences": 4},
			[]string{"2026-01-06", "2026-01-11", "2026-01-20", "2026-01-25"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := jsonMarshal(map[string]any{"pattern": tc.pattern, "range": tc.rng})
			rc, gerr := parseRecurrence(raw, mustTime("2026-01-01T10:00:00Z"), "UTC")
			if gerr != nil {
				t.Fatal(gerr)
			}
			var got []string
			rc.dates(func(d timeT) bool { got = append(got, d.Format("2006-01-02")); return len(got) < 10 })
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestExpansionIsBounded: a daily series with no end, asked for a year
// far away, answers within the step bound, and a window longer than
// MaxWindow is refused.
func TestExpansionIsBounded(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	b := eventBody("Forever", "1990-01-01T09:00:00", "1990-01-01T09:05:00")
	b["recurrence"] = map[string]any{"pattern": map[string]any{"type": "daily", "interval": 1}, "range": map[string]any{"type": "noEnd", "startDate": "1990-01-01"}}
	sb.must(201, "POST", ann+"/events", b)
	v := sb.must(200, "GET", ann+"/calendarView?startDateTime=2026-12-07T00:00:00Z&endDateTime=2026-12-09T00:00:00Z", nil)
	if n := len(values(v)); n != 2 {
		t.Fatalf("%d instances in two days, want 2", n)
	}
	st, m, _ := sb.do("GET", ann+"/calendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2032-01-01T00:00:00Z", nil)
	if st != 400 || errCode(m) != "ErrorInvalidParameter" {
		t.Fatalf("six-year window: %d %v", st, m)
	}
	st, m, _ = sb.do("GET", ann+"/calendarView", nil)
	if st != 400 || errCode(m) != "ErrorInvalidParameter" {
		t.Fatalf("no window: %d %v", st, m)
	}
}
