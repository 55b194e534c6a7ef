package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/convene/convene/internal/calendar"
)

// putICS sends an iCalendar body as text/calendar, checked against the
// OpenAPI document when the harness validates.
func (h *harness) putICS(path, token, body string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest("PUT", h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if h.validate != nil {
		req.Body = io.NopCloser(strings.NewReader(body))
		h.validate(req, []byte(body), resp, raw)
	}
	var out map[string]any
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

const mondayWindow = "from=2030-03-04T09:00&to=2030-03-04T18:00&timezone=Europe/Paris"

func TestCalendarRoutes(t *testing.T) {
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.FileBodyDecoder)
	h := newHarness(t, "sqlite")
	h.checkAnswers(t)
	a := h.setupTenant("Acme", "acme.test", true)
	b := h.setupTenant("Beta", "beta.test", false)
	// The member (Paris) is busy 10:00-12:00 Paris on Monday 4 March 2030.
	status, out := h.putICS("/api/v1/users/"+a.memberEmail+"/calendar", a.member, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"+
		"BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Paris:20300304T100000\r\nDTEND;TZID=Europe/Paris:20300304T120000\r\nEND:VEVENT\r\n"+
		"BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260101T000000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
	if status != 200 || out["added"] != float64(1) || len(out["skipped"].([]any)) != 1 {
		t.Fatalf("import: %d %v", status, out)
	}
	if status, out := h.putICS("/api/v1/users/"+a.memberEmail+"/calendar", a.member, "garbage"); status != 400 {
		t.Errorf("garbage import: %d %v", status, out)
	}
	// The owner (an admin) may import for the member; the member may not
	// import for the owner.
	if status, _ := h.putICS("/api/v1/users/"+a.memberEmail+"/calendar", a.owner, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"+
		"BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Paris:20300304T100000\r\nDTEND;TZID=Europe/Paris:20300304T120000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"); status != 200 {
		t.Errorf("admin import: %d", status)
	}
	if status, _ := h.putICS("/api/v1/users/owner@acme.test/calendar", a.member, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"); status != 403 {
		t.Errorf("member importing for the owner: %d", status)
	}
	list := h.expect("GET", "/api/v1/users/"+a.memberEmail+"/calendars", a.member, nil, 200)
	cals := list["calendars"].([]any)
	if len(cals) != 1 || cals[0].(map[string]any)["caldav_path"] != "/dav/"+a.memberEmail+"/calendars/default/" || cals[0].(map[string]any)["events"] != float64(1) {
		t.Errorf("calendars: %v", list)
	}
	// Availability of the owner (UTC by default) and the member.
	q := "/api/v1/availability?attendees=owner@acme.test," + a.memberEmail + "&duration=60&" + mondayWindow
	av := h.expect("GET", q, a.owner, nil, 200)
	slots := av["slots"].([]any)
	first := slots[0].(map[string]any)
	if first["start"] != "2030-03-04T10:00:00+01:00" && first["start"] != "2030-03-04T12:00:00+01:00" {
		// The owner's zone is UTC: 09:00-17:00 UTC is 10:00-18:00 Paris;
		// the member is busy 10:00-12:00 Paris.
		t.Errorf("first slot %v", first)
	}
	if first["start"] != "2030-03-04T12:00:00+01:00" || av["timezone"] != "Europe/Paris" {
		t.Errorf("availability: %v", av)
	}
	// An address outside the account is refused by name.
	status, out = h.do("GET", "/api/v1/availability?attendees="+url.QueryEscape("guest@example.org,"+a.memberEmail)+"&"+mondayWindow, a.owner, nil)
	if status != 422 || !strings.Contains(out["detail"].(string), "guest@example.org is not a user") {
		t.Errorf("external attendee: %d %v", status, out)
	}
	// B's member is not a user of A: same answer, nothing about them.
	status, out = h.do("GET", "/api/v1/availability?attendees="+b.memberEmail+"&"+mondayWindow, a.owner, nil)
	if status != 422 || strings.Contains(out["detail"].(string), "beta") && !strings.Contains(out["detail"].(string), "is not a user") {
		t.Errorf("another account's user: %d %v", status, out)
	}
	for _, bad := range []string{"attendees=" + a.memberEmail + "&duration=x", "attendees=" + a.memberEmail + "&from=yesterday",
		"attendees=" + a.memberEmail + "&timezone=Mars/Olympus", "attendees=" + a.memberEmail + "&ranking=best", "attendees=" + a.memberEmail + "&limit=0", ""} {
		if status, out := h.do("GET", "/api/v1/availability?"+bad, a.owner, nil); status != 422 {
			t.Errorf("%s: %d %v", bad, status, out)
		}
	}
	// An ICS feed source, synced before the answer.
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		w.Write([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20260101T000000Z\r\n" +
			"DTSTART:20300304T110000Z\r\nDTEND:20300304T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	}))
	defer feed.Close()
	src := h.expect("POST", "/api/v1/users/"+a.memberEmail+"/calendars", a.member,
		map[string]any{"kind": "ics", "url": feed.URL + "/team.ics", "username": "u", "password": "feed-pass-123"}, 201)
	if src["status"] != "ok" || src["events"] != float64(1) || src["failure_policy"] != "busy" {
		t.Errorf("source: %v", src)
	}
	raw, _ := json.Marshal(h.expect("GET", "/api/v1/users/"+a.memberEmail+"/calendars", a.owner, nil, 200))
	if bytes.Contains(raw, []byte("feed-pass-123")) || !bytes.Contains(raw, []byte(`"kind":"ics"`)) {
		t.Errorf("sources list: %s", raw)
	}
	id := src["id"].(string)
	h.expect("POST", "/api/v1/users/"+a.memberEmail+"/calendars/"+id+"/sync", a.member, nil, 200)
	// The feed's 11:00Z-12:00Z (12:00-13:00 Paris) is busy now.
	av = h.expect("GET", q, a.owner, nil, 200)
	if s := av["slots"].([]any)[0].(map[string]any)["start"]; s != "2030-03-04T13:00:00+01:00" {
		t.Errorf("first slot after the feed: %v", s)
	}
	// A failing source: busy all window, said in the answer.
	h.expect("POST", "/api/v1/users/"+a.memberEmail+"/calendars", a.member, map[string]any{"kind": "caldav", "url": feed.URL + "/nothing/"}, 201)
	av = h.expect("GET", q, a.owner, nil, 200)
	problems := av["problems"].([]any)
	if len(av["slots"].([]any)) != 0 || len(problems) != 1 || problems[0].(map[string]any)["attendee"] != a.memberEmail {
		t.Errorf("with a failing source: %v", av)
	}
	h.expect("DELETE", "/api/v1/users/"+a.memberEmail+"/calendars/"+id, a.member, nil, 204)
	h.expect("DELETE", "/api/v1/users/"+a.memberEmail+"/calendars/"+id, a.member, nil, 404)
	h.expect("POST", "/api/v1/users/"+a.memberEmail+"/calendars", a.member, map[string]any{"kind": "outlook", "url": "x"}, 422)
}

// The import takes the calendar limits (1 MiB per event, 10,000 events
// per user) and refuses past them with a problem document saying which.
func TestImportLimitsProblem(t *testing.T) {
	h := newHarness(t, "sqlite")
	a := h.setupTenant("Acme", "acme.test", true)
	event := func(uid, extra string) string {
		return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20300304T100000Z\r\nDTEND:20300304T110000Z\r\n" + extra + "END:VEVENT\r\n"
	}
	wrap := func(events string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + events + "END:VCALENDAR\r\n"
	}
	path := "/api/v1/users/" + a.memberEmail + "/calendar"
	status, out := h.putICS(path, a.member, wrap(event("small", "")+event("big", "DESCRIPTION:"+strings.Repeat("x", 1<<20)+"\r\n")))
	if d, _ := out["detail"].(string); status != 413 || !strings.Contains(d, `event "big" is 1.0 MiB, over the limit of 1 MiB per event`) || out["limit"] != "max_event_bytes" {
		t.Errorf("an event over 1 MiB: %d %v", status, out)
	}
	var many strings.Builder
	for i := range calendar.DefaultMaxUserObjects + 1 {
		many.WriteString(event("e"+strconv.Itoa(i), ""))
	}
	status, out = h.putICS(path, a.member, wrap(many.String()))
	if d, _ := out["detail"].(string); status != 413 || !strings.Contains(d, "10001 events, over the limit of 10000 per user") || out["limit"] != "max_user_events" {
		t.Errorf("10,001 events: %d %v", status, out)
	}
	// Nothing of either was stored.
	list := h.expect("GET", "/api/v1/users/"+a.memberEmail+"/calendars", a.member, nil, 200)
	if n := list["calendars"].([]any)[0].(map[string]any)["events"]; n != float64(0) {
		t.Errorf("the refused imports left %v events", n)
	}
}
