package web

import (
	"strings"
	"testing"
	"time"
)

// TestBookingInAWindow: with internal attendees only, the earliest time
// that suits everyone is booked; with an external guest, a proposal with
// well-spread options, then the chosen one is booked.
func TestBookingInAWindow(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	// Bea works 10:00-16:00 in Paris and is busy 10:00-11:30 on the day.
	h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": "bea@acme.test", "name": "Bea", "timezone": "Europe/Paris",
		"working_hours": map[string]any{"mon": [][]string{{"10:00", "16:00"}}, "tue": [][]string{{"10:00", "16:00"}}, "wed": [][]string{{"10:00", "16:00"}}}}, 201)
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:busy-1\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20300304T100000\r\nDTEND;TZID=Europe/Paris:20300304T113000\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	status, raw, _ := h.doRaw("PUT", "/api/v1/users/bea@acme.test/calendar", tn.owner, ics)
	if status != 200 {
		t.Fatalf("import: %d %s", status, raw)
	}
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Sync", "duration": 30, "timezone": "Europe/Paris",
		"window":    map[string]string{"from": "2030-03-04T08:00", "to": "2030-03-06T18:00"},
		"attendees": []map[string]string{{"email": "bea@acme.test"}}}, 201)
	if m["status"] != "booked" || m["start_time"] != "2030-03-04T11:30:00+01:00" {
		t.Fatalf("booked in the window: %v %v", m["status"], m["start_time"])
	}
	// A second request gets the next free time, not the same one.
	m2 := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Sync 2", "duration": 30, "timezone": "Europe/Paris",
		"window":    map[string]string{"from": "2030-03-04T08:00", "to": "2030-03-06T18:00"},
		"attendees": []map[string]string{{"email": "bea@acme.test"}}}, 201)
	if m2["start_time"] != "2030-03-04T12:00:00+01:00" {
		t.Errorf("second booking at %v", m2["start_time"])
	}

	// An external guest: options on different days, nothing booked yet.
	p := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Intro", "duration": 45, "timezone": "Europe/Paris",
		"window":    map[string]string{"from": "2030-03-04T08:00", "to": "2030-03-08T18:00"},
		"attendees": []map[string]string{{"email": "guest@partner.example"}, {"email": "bea@acme.test"}}}, 201)
	opts, _ := p["options"].([]any)
	if p["status"] != "proposed" || len(opts) < 3 || len(opts) > 5 || p["video"] != nil {
		t.Fatalf("proposal: %v", p)
	}
	days := map[string]bool{}
	for _, o := range opts {
		days[o.(map[string]any)["start_time"].(string)[:10]] = true
	}
	if len(days) < 3 {
		t.Errorf("options not spread over days: %v", opts)
	}
	if len(h.sandboxMeetings()) != 2 {
		t.Errorf("a proposal created a Zoom meeting")
	}
	id := p["id"].(string)
	h.expect("POST", "/api/v1/meetings/"+id+"/choose", tn.member, map[string]any{"start_time": "2030-03-04T03:00"}, 422)
	pick := opts[1].(map[string]any)["start_time"].(string)
	c := h.expect("POST", "/api/v1/meetings/"+id+"/choose", tn.member, map[string]any{"start_time": pick}, 200)
	st, _ := time.Parse(time.RFC3339, c["start_time"].(string))
	want, _ := time.Parse(time.RFC3339, pick)
	if c["status"] != "booked" || !st.Equal(want) || c["video"] == nil {
		t.Fatalf("chosen: %v", c)
	}
	h.expect("POST", "/api/v1/meetings/"+id+"/choose", tn.member, map[string]any{"start_time": pick}, 409)
	for _, ml := range h.mailsOf(tn.accountID, id, 3) {
		if !strings.Contains(string(ml.Raw), "text/calendar") {
			t.Errorf("invitation without a calendar")
		}
	}
	// No time at all in a window outside everyone's working hours.
	h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Night", "duration": 30, "timezone": "Europe/Paris",
		"window": map[string]string{"from": "2030-03-04T22:00", "to": "2030-03-05T06:00"}, "attendees": []map[string]string{{"email": "bea@acme.test"}}}, 409)
}
