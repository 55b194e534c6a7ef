package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/video"
)

// calendarPart is the text/calendar part of a mail.
type calendarPart struct {
	mimeMethod string
	ics        string
}

// calendarOf parses a raw mail and returns its text/calendar part.
func calendarOf(t *testing.T, raw []byte) *calendarPart {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail does not parse: %v", err)
	}
	var found *calendarPart
	var walk func(e *message.Entity)
	walk = func(e *message.Entity) {
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				walk(p)
			}
			return
		}
		mt, params, _ := e.Header.ContentType()
		if mt == "text/calendar" && found == nil {
			b, _ := io.ReadAll(e.Body)
			found = &calendarPart{mimeMethod: params["method"], ics: string(b)}
		}
	}
	walk(e)
	return found
}

// icsProp returns the value of the first line of property name in the
// VEVENT (unfolded).
func icsProp(ics, name string) string {
	unfolded := strings.ReplaceAll(ics, "\r\n ", "")
	if i := strings.Index(unfolded, "BEGIN:VEVENT"); i >= 0 && name != "METHOD" {
		unfolded = unfolded[i:]
	}
	for _, line := range strings.Split(unfolded, "\r\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if k, _, _ := strings.Cut(key, ";"); k == name {
			return val
		}
	}
	return ""
}

// mailsOf waits for n mails of a meeting and returns them, oldest first.
func (h *harness) mailsOf(accountID, meetingID string, n int) []store.Mail {
	h.t.Helper()
	var ms []store.Mail
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms, _ = h.db.Mails(context.Background(), accountID, meetingID, 0)
		if len(ms) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(ms) != n {
		h.t.Fatalf("meeting %s has %d mails, want %d", meetingID, len(ms), n)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

// icsChecker collects every .ics of a test and checks them all with
// python3-icalendar in one process at the end.
type icsChecker struct {
	t   *testing.T
	dir string
	n   int
}

func newICSChecker(t *testing.T) *icsChecker {
	c := &icsChecker{t: t, dir: t.TempDir()}
	t.Cleanup(c.check)
	return c
}

func (c *icsChecker) add(ics string) {
	c.n++
	os.WriteFile(filepath.Join(c.dir, fmt.Sprintf("%03d.ics", c.n)), []byte(ics), 0o600)
}

const pythonICSCheck = `
import sys, glob
from icalendar import Calendar
bad = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.ics")):
    try:
        cal = Calendar.from_ical(open(path, "rb").read())
        method = str(cal.get("METHOD"))
        events = [c for c in cal.walk("VEVENT")]
        assert events, "no VEVENT"
        tzids = {str(c.get("TZID")) for c in cal.walk("VTIMEZONE")}
        for ev in events:
            for key in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE", "ORGANIZER"):
                assert ev.get(key) is not None, "no " + key
            start = ev.decoded("DTSTART")
            tzid = ev["DTSTART"].params.get("TZID")
            assert tzid is None or tzid in tzids, "TZID %s without VTIMEZONE" % tzid
            atts = ev.get("ATTENDEE")
            if method == "REQUEST":
                atts = atts if isinstance(atts, list) else [atts]
                for a in atts:
                    assert a.params.get("RSVP") in ("TRUE", "FALSE"), "ATTENDEE without RSVP"
                    assert a.params.get("PARTSTAT"), "ATTENDEE without PARTSTAT"
        print("ok", path.rsplit("/", 1)[1], method, len(events))
    except Exception as e:
        bad += 1
        print("BAD", path, repr(e))
sys.exit(1 if bad else 0)
`

func (c *icsChecker) check() {
	if c.n == 0 || c.t.Failed() {
		return
	}
	py := testenv.Python(c.t, "icalendar")
	out, err := exec.Command(py, "-c", pythonICSCheck, c.dir).CombinedOutput()
	if err != nil {
		c.t.Errorf("python3-icalendar refuses some .ics: %v\n%s", err, out)
		return
	}
	if got := strings.Count(string(out), "ok "); got != c.n {
		c.t.Errorf("python3-icalendar checked %d of %d calendars:\n%s", got, c.n, out)
	}
}

// zoomSettingsNamed are the settings DESIGN.md §2 step 5 names.
var zoomSettingsNamed = []string{"host_video", "participant_video", "cn_meeting", "in_meeting", "join_before_host", "mute_upon_entry",
	"watermark", "use_pmi", "approval_type", "audio", "auto_recording", "enforce_login", "enforce_login_domains",
	"alternative_hosts", "close_registration", "registrants_confirmation_email"}

// TestMeetingLifeWithZoom books a meeting with three attendees, reschedules
// it and cancels it, checking Zoom (the sandbox), the outbox and every .ics
// at each step.
func TestMeetingLifeWithZoom(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			ics := newICSChecker(t)
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			ctx := context.Background()
			// Two more internal attendees and one external.
			h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": "bea@acme.test", "name": "Béa", "timezone": "Asia/Kolkata", "language": "fr"}, 201)
			req := map[string]any{
				"subject": "Quarterly review", "start_time": "2030-03-05T14:00", "timezone": "Europe/Paris", "duration": 45,
				"password": "Ab1@_*-", "description": "Numbers and plans",
				"attendees": []map[string]string{{"email": "owner@acme.test", "name": "Olive"}, {"email": "bea@acme.test"}, {"email": "xavier@partner.example", "name": "Xavier"}},
				"settings":  map[string]any{"mute_upon_entry": true, "join_before_host": false},
			}
			m := h.expect("POST", "/api/v1/meetings", tn.member, req, 201)
			if m["status"] != "booked" || m["start_time"] != "2030-03-05T14:00:00+01:00" || m["end_time"] != "2030-03-05T14:45:00+01:00" {
				t.Fatalf("booked: %v", m)
			}
			v := m["video"].(map[string]any)
			for _, k := range []string{"id", "uuid", "host_id", "topic", "start_time", "type", "duration", "password", "timezone", "join_url", "start_url", "h323_password", "pstn_password", "invitation", "settings"} {
				if v[k] == nil || v[k] == "" {
					t.Errorf("video detail %s missing: %v", k, v)
				}
			}
			settings := v["settings"].(map[string]any)
			for _, k := range zoomSettingsNamed {
				if _, ok := settings[k]; !ok {
					t.Errorf("setting %s missing", k)
				}
			}
			if settings["mute_upon_entry"] != true || v["password"] != "Ab1@_*-" || v["start_time"] != "2030-03-05T13:00:00Z" || v["timezone"] != "Europe/Paris" {
				t.Errorf("video: %v", v)
			}
			// Zoom has exactly that meeting, sent in UTC with the zone.
			zm := h.sandboxMeetings()
			if len(zm) != 1 || zm[0]["start_time"] != "2030-03-05T13:00:00Z" || zm[0]["timezone"] != "Europe/Paris" || zm[0]["host_email"] != "member@acme.test" {
				t.Fatalf("Zoom: %v", zm)
			}
			// The start URL is the organizer's only.
			seen := h.expect("GET", "/api/v1/meetings/"+m["id"].(string), tn.owner, nil, 200)
			if seen["video"].(map[string]any)["start_url"] != nil || seen["video"].(map[string]any)["join_url"] == "" {
				t.Errorf("the owner (attendee) sees the start URL: %v", seen["video"])
			}
			// The organizer and each attendee get one REQUEST.
			id := m["id"].(string)
			mails := h.mailsOf(tn.accountID, id, 4)
			uid := ""
			for _, ml := range mails {
				c := calendarOf(t, ml.Raw)
				if c == nil || c.mimeMethod != "REQUEST" || icsProp(c.ics, "METHOD") != "REQUEST" || icsProp(c.ics, "SEQUENCE") != "0" {
					t.Fatalf("invitation to %v: %+v", ml.Recipients, c)
				}
				if !strings.Contains(c.ics, v["join_url"].(string)[:30]) {
					t.Errorf("invitation without the join URL")
				}
				if uid == "" {
					uid = icsProp(c.ics, "UID")
				} else if icsProp(c.ics, "UID") != uid {
					t.Errorf("UIDs differ")
				}
				ics.add(c.ics)
			}

			// The meeting is in the built-in calendars of the organizer and
			// of the attendees who are users: availability leaves it out.
			waitFor(t, func() bool {
				_, av := h.do("GET", "/api/v1/availability?attendees=member@acme.test,bea@acme.test&duration=45&from=2030-03-05T13:00:00Z&to=2030-03-05T14:00:00Z", tn.member, nil)
				slots, _ := av["slots"].([]any)
				return av != nil && len(slots) == 0
			})
			_, av := h.do("GET", "/api/v1/availability?attendees=member@acme.test&duration=30&from=2030-03-05T12:00:00Z&to=2030-03-05T13:00:00Z", tn.member, nil)
			if slots, _ := av["slots"].([]any); len(slots) == 0 {
				t.Errorf("no free slot before the meeting: %v", av)
			}

			// Overlap: refused, nothing created anywhere.
			over := map[string]any{"subject": "Clash", "start_time": "2030-03-05T14:30", "timezone": "Europe/Paris", "duration": 30}
			p := h.expect("POST", "/api/v1/meetings", tn.member, over, 409)
			if p["conflicting_meeting"] != id {
				t.Errorf("409 does not name the meeting: %v", p)
			}
			if len(h.sandboxMeetings()) != 1 {
				t.Fatal("a refused booking created a Zoom meeting")
			}

			// Reschedule: Zoom updated, re-read, REQUEST with SEQUENCE 1.
			r := h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"start_time": "2030-03-06T09:30", "duration": 30}, 200)
			if r["start_time"] != "2030-03-06T09:30:00+01:00" || r["sequence"] != float64(1) {
				t.Fatalf("rescheduled: %v", r)
			}
			waitFor(t, func() bool {
				zm := h.sandboxMeetings()
				return len(zm) == 1 && zm[0]["start_time"] == "2030-03-06T08:30:00Z" && zm[0]["duration"] == float64(30)
			})
			mails = h.mailsOf(tn.accountID, id, 8)
			for _, ml := range mails[4:] {
				c := calendarOf(t, ml.Raw)
				if icsProp(c.ics, "UID") != uid || icsProp(c.ics, "SEQUENCE") != "1" || c.mimeMethod != "REQUEST" {
					t.Errorf("update: %s", c.ics)
				}
				ics.add(c.ics)
			}
			// The same change again changes nothing.
			again := h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"start_time": "2030-03-06T09:30", "duration": 30}, 200)
			if again["sequence"] != float64(1) {
				t.Errorf("a no-op change raised the sequence: %v", again["sequence"])
			}
			// Attendees see it; others change nothing.
			h.expect("PATCH", "/api/v1/meetings/"+id, tn.owner, map[string]any{"subject": "Owner's way"}, 200) // admin may
			h.mailsOf(tn.accountID, id, 12)

			// Cancel: deleted in Zoom, CANCEL to everyone, twice is once.
			c := h.expect("DELETE", "/api/v1/meetings/"+id, tn.member, nil, 200)
			if c["status"] != "cancelled" {
				t.Fatalf("cancel: %v", c)
			}
			h.expect("DELETE", "/api/v1/meetings/"+id, tn.member, nil, 200)
			waitFor(t, func() bool { return len(h.sandboxMeetings()) == 0 })
			mails = h.mailsOf(tn.accountID, id, 16)
			for _, ml := range mails[12:] {
				c := calendarOf(t, ml.Raw)
				if c.mimeMethod != "CANCEL" || icsProp(c.ics, "METHOD") != "CANCEL" || icsProp(c.ics, "UID") != uid || icsProp(c.ics, "SEQUENCE") != "3" {
					t.Errorf("cancel: %s", c.ics)
				}
				ics.add(c.ics)
			}
			// The time is free again.
			h.expect("POST", "/api/v1/meetings", tn.member, over, 201)
			_ = ctx
		})
	}
}

func TestBookingRefusesBadInput(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	base := func(kv ...any) map[string]any {
		m := map[string]any{"subject": "x", "start_time": "2030-03-05T14:00", "timezone": "Europe/Paris", "duration": 30, "video_provider": "zoom"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"unknown zone", base("timezone", "Europe/Atlantis"), "IANA time zone"},
		{"nonexistent local time", base("start_time", "2030-03-31T02:30"), "does not exist"},
		{"ambiguous local time", base("start_time", "2030-10-27T02:30"), "happens twice"},
		{"duration", base("duration", 5000), "out of bounds"},
		{"zoom password", base("password", "way too long!"), "Zoom accepts"},
		{"yearly", base("type", "recurring", "recurrence", map[string]string{"rrule": "FREQ=YEARLY;COUNT=3"}), "Zoom supports"},
		{"endless", base("type", "recurring", "recurrence", map[string]string{"rrule": "FREQ=WEEKLY"}), "never ends"},
		{"bad rule", base("type", "recurring", "recurrence", map[string]string{"rrule": "FREQ=FORTNIGHTLY"}), "recurrence.rrule"},
		{"start off the rule", base("type", "recurring", "recurrence", map[string]string{"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3"}), "not an occurrence"},
		{"bad attendee", base("attendees", []map[string]string{{"email": "not an address"}}), "attendees[0].email"},
		{"past", base("start_time", "2020-01-01T10:00"), "in the past"},
		{"provider", base("video_provider", "teams"), "video_provider"},
	}
	for _, c := range cases {
		status, out := h.do("POST", "/api/v1/meetings", tn.member, c.body)
		if status != 422 || !strings.Contains(fmt.Sprint(out), c.want) {
			t.Errorf("%s: %d %v; want 422 saying %q", c.name, status, out, c.want)
		}
	}
	// The DST answers offer both instants.
	_, out := h.do("POST", "/api/v1/meetings", tn.member, base("start_time", "2030-10-27T02:30"))
	if inst, _ := out["instants"].([]any); len(inst) != 2 || inst[0] != "2030-10-27T02:30:00+02:00" || inst[1] != "2030-10-27T02:30:00+01:00" {
		t.Errorf("ambiguous: %v", out)
	}
	if len(h.sandboxMeetings()) != 0 {
		t.Error("refused requests created Zoom meetings")
	}
	// Zoom not installed for jitsi: no silent fallback.
	h.expect("POST", "/api/v1/meetings", tn.member, base("video_provider", "jitsi"), 409)
}

// TestFortyConcurrentBookings: 40 requests for overlapping times of one
// organizer at once: exactly one is booked, 39 get 409, and Zoom has one
// meeting.
func TestFortyConcurrentBookings(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			var wg sync.WaitGroup
			statuses := make(chan int, 40)
			errs := make(chan error, 40)
			for i := 0; i < 40; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					start := fmt.Sprintf("2030-04-02T10:%02d", i%30) // all overlap 10:00-11:00
					st, err := h.try("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": fmt.Sprint("race ", i),
						"start_time": start, "timezone": "UTC", "duration": 60, "video_provider": "zoom"})
					statuses <- st
					errs <- err
				}(i)
			}
			wg.Wait()
			close(statuses)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			count := map[int]int{}
			for st := range statuses {
				count[st]++
			}
			if count[201]+count[202] != 1 || count[409] != 39 {
				t.Fatalf("statuses %v; want one booking and 39 conflicts", count)
			}
			// Once every job has run, Zoom has one meeting.
			h.waitJobsIdle()
			if n := len(h.sandboxMeetings()); n != 1 {
				t.Fatalf("Zoom has %d meetings", n)
			}
		})
	}
}

// TestWeeklySeries books a weekly series, whose occurrences equal Zoom's,
// then moves one occurrence, cancels one, and ends the series early.
func TestWeeklySeries(t *testing.T) {
	h := newHarness(t, "sqlite")
	ics := newICSChecker(t)
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{
		"subject": "Stand-up", "type": "recurring", "start_time": "2030-03-05T09:00", "timezone": "America/New_York", "duration": 15,
		"recurrence": map[string]string{"rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6"},
		"attendees":  []map[string]string{{"email": "owner@acme.test"}},
	}, 201)
	id := m["id"].(string)
	occ := m["recurrence"].(map[string]any)["occurrences"].([]any)
	zocc := m["video"].(map[string]any)["occurrences"].([]any)
	if len(occ) != 6 || len(zocc) != 6 {
		t.Fatalf("occurrences: ours %d, Zoom's %d", len(occ), len(zocc))
	}
	wantStarts := []string{"2030-03-05T09:00:00-05:00", "2030-03-07T09:00:00-05:00", "2030-03-12T09:00:00-04:00", "2030-03-14T09:00:00-04:00", "2030-03-19T09:00:00-04:00", "2030-03-21T09:00:00-04:00"}
	for i, o := range occ {
		om := o.(map[string]any)
		zt, _ := time.Parse(time.RFC3339, zocc[i].(map[string]any)["start_time"].(string))
		ot, _ := time.Parse(time.RFC3339, om["start_time"].(string))
		if om["start_time"] != wantStarts[i] || !zt.Equal(ot) || om["occurrence_id"] != zocc[i].(map[string]any)["occurrence_id"] {
			t.Errorf("occurrence %d: ours %v, Zoom's %v (want %s)", i, om, zocc[i], wantStarts[i])
		}
	}
	for _, ml := range h.mailsOf(tn.accountID, id, 2) {
		c := calendarOf(t, ml.Raw)
		if !strings.Contains(icsProp(c.ics, "RRULE"), "FREQ=WEEKLY") {
			t.Errorf("series invitation without RRULE: %s", c.ics)
		}
		ics.add(c.ics)
	}
	third := occ[2].(map[string]any)["occurrence_id"].(string)
	// This occurrence: moved in Zoom (occurrence_id) and in the invitation.
	h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"scope": "this", "occurrence": third, "start_time": "2030-03-12T11:00"}, 200)
	waitFor(t, func() bool {
		for _, zm := range h.sandboxMeetings() {
			for _, o := range zm["occurrences"].([]any) {
				if om := o.(map[string]any); om["occurrence_id"] == third {
					return om["start_time"] == "2030-03-12T15:00:00Z"
				}
			}
		}
		return false
	})
	for _, ml := range h.mailsOf(tn.accountID, id, 4)[2:] {
		c := calendarOf(t, ml.Raw)
		if !strings.Contains(c.ics, "RECURRENCE-ID") {
			t.Errorf("moved occurrence without RECURRENCE-ID: %s", c.ics)
		}
		ics.add(c.ics)
	}
	// Cancel the fourth: deleted in Zoom, CANCEL with its RECURRENCE-ID.
	fourth := occ[3].(map[string]any)["occurrence_id"].(string)
	h.expect("DELETE", "/api/v1/meetings/"+id+"?scope=this&occurrence="+fourth, tn.member, nil, 200)
	waitFor(t, func() bool {
		for _, o := range h.sandboxMeetings()[0]["occurrences"].([]any) {
			if om := o.(map[string]any); om["occurrence_id"] == fourth {
				return om["status"] == "deleted"
			}
		}
		return true
	})
	for _, ml := range h.mailsOf(tn.accountID, id, 6)[4:] {
		c := calendarOf(t, ml.Raw)
		if c.mimeMethod != "CANCEL" || !strings.Contains(c.ics, "RECURRENCE-ID") {
			t.Errorf("cancelled occurrence: %s", c.ics)
		}
		ics.add(c.ics)
	}
	// This and following from the fifth: the series ends before it.
	fifth := occ[4].(map[string]any)["start_time"].(string)
	r := h.expect("DELETE", "/api/v1/meetings/"+id+"?scope=following&occurrence="+fifth, tn.member, nil, 200)
	if !strings.Contains(r["recurrence"].(map[string]any)["rrule"].(string), "COUNT=4") {
		t.Errorf("series after cancelling the following: %v", r["recurrence"])
	}
	for _, ml := range h.mailsOf(tn.accountID, id, 8)[6:] {
		c := calendarOf(t, ml.Raw)
		if c.mimeMethod != "REQUEST" || !strings.Contains(icsProp(c.ics, "RRULE"), "COUNT=4") {
			t.Errorf("shortened series: %s", c.ics)
		}
		ics.add(c.ics)
	}
	waitFor(t, func() bool {
		zm := h.sandboxMeetings()[0]
		n := 0
		for _, o := range zm["occurrences"].([]any) {
			if o.(map[string]any)["status"] != "deleted" {
				n++
			}
		}
		return n == 3
	})
}

func TestInstantMeeting(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Quick call", "type": "instant", "duration": 20}, 201)
	st, _ := time.Parse(time.RFC3339, m["start_time"].(string))
	if m["status"] != "booked" || time.Since(st) > time.Minute || m["video"].(map[string]any)["join_url"] == "" {
		t.Fatalf("instant: %v", m)
	}
	if len(h.sandboxMeetings()) != 1 {
		t.Fatal("no Zoom meeting")
	}
}

// TestZoomChangesFlowBack: the host deletes the meeting in Zoom; Zoom's
// webhook cancels it in Convene and every invitee gets a CANCEL. With the
// webhook lost, the reconciler finds it.
func TestZoomChangesFlowBack(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	book := func(subject, start string) string {
		m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": subject, "start_time": start, "timezone": "UTC", "duration": 30,
			"attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
		h.mailsOf(tn.accountID, m["id"].(string), 2)
		return m["id"].(string)
	}
	zoomDelete := func(meetingID string) {
		m := h.expect("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200)
		p, err := h.apps.Provider(context.Background(), tn.accountID, tn.memberEmail, "zoom")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Delete(context.Background(), m["video"].(map[string]any)["id"].(string), ""); err != nil {
			t.Fatal(err)
		}
	}
	a := book("Deleted in Zoom", "2030-05-01T10:00")
	zoomDelete(a)
	waitFor(t, func() bool {
		m, _ := h.db.Meeting(context.Background(), tn.accountID, a)
		return m.Status == store.MeetingCancelled
	})
	// The REQUESTs, a CANCEL to the organizer and the guest, and a notice
	// telling the organizer what happened.
	kinds := map[string]int{}
	for _, ml := range h.mailsOf(tn.accountID, a, 5) {
		kinds[ml.Kind]++
	}
	if kinds["request"] != 2 || kinds["cancel"] != 2 || kinds["notice"] != 1 {
		t.Errorf("mail after the Zoom deletion: %v", kinds)
	}

	// Moved by the host in Zoom: Convene follows, tells the invitees with
	// a higher SEQUENCE and the organizer with a notice.
	mv := book("Moved in Zoom", "2030-05-04T10:00")
	mm := h.expect("GET", "/api/v1/meetings/"+mv, tn.member, nil, 200)
	pz, _ := h.apps.Provider(context.Background(), tn.accountID, tn.memberEmail, "zoom")
	newStart := time.Date(2030, 5, 4, 15, 0, 0, 0, time.UTC)
	if _, err := pz.Update(context.Background(), mm["video"].(map[string]any)["id"].(string), "", video.Spec{StartTime: newStart, Duration: 45}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		m, _ := h.db.Meeting(context.Background(), tn.accountID, mv)
		return m.Start.Equal(newStart) && m.Duration == 45 && m.Sequence == 1
	})
	moved := map[string]int{}
	for _, ml := range h.mailsOf(tn.accountID, mv, 5) {
		moved[ml.Kind]++
		if ml.Kind == "request" {
			if c := calendarOf(t, ml.Raw); icsProp(c.ics, "SEQUENCE") == "1" && !strings.Contains(icsProp(c.ics, "DTSTART"), "150000") {
				t.Errorf("update sent with the old time: %s", c.ics)
			}
		}
	}
	if moved["request"] != 4 || moved["notice"] != 1 {
		t.Errorf("mail after the move in Zoom: %v", moved)
	}
	h.expect("DELETE", "/api/v1/meetings/"+mv, tn.member, nil, 200)
	waitFor(t, func() bool { return len(h.sandboxMeetings()) == 0 })

	// Lost webhook: the reconciler repairs it.
	b := book("Lost webhook", "2030-05-02T10:00")
	h.loseWebhooks.Store(true)
	zoomDelete(b)
	bm, _ := h.db.Meeting(context.Background(), tn.accountID, b)
	if lost := h.waitWebhooks("meeting.deleted", `"id":`+bm.VideoID, 1); lost[0].Delivered {
		t.Fatal("the meeting.deleted was delivered")
	}
	if m, _ := h.db.Meeting(context.Background(), tn.accountID, b); m.Status != store.MeetingBooked {
		t.Fatalf("meeting changed without the webhook: %s", m.Status)
	}
	drift, err := h.booking.Reconcile(context.Background(), tn.accountID)
	if err != nil || len(drift.Cancelled) != 1 || drift.Cancelled[0] != b {
		t.Fatalf("reconcile: %+v %v", drift, err)
	}
	// An orphan: a Zoom meeting made for a booking that was cancelled.
	c := book("Orphan", "2030-05-03T10:00")
	h.expect("DELETE", "/api/v1/meetings/"+c, tn.member, nil, 200)
	waitFor(t, func() bool { return len(h.sandboxMeetings()) == 0 })
	cm, _ := h.db.Meeting(context.Background(), tn.accountID, c)
	p, _ := h.apps.Provider(context.Background(), tn.accountID, tn.memberEmail, "zoom")
	orphan, err := p.Create(context.Background(), tn.memberEmail, video.Spec{Topic: cm.Subject, StartTime: cm.Start, Duration: cm.Duration, Timezone: cm.TimeZone})
	if err != nil {
		t.Fatal(err)
	}
	drift, err = h.booking.Reconcile(context.Background(), tn.accountID)
	if err != nil || len(drift.Deleted) != 1 || drift.Deleted[0] != orphan.ID {
		t.Fatalf("orphan: %+v %v", drift, err)
	}
	if len(h.sandboxMeetings()) != 0 {
		t.Fatal("orphan still in Zoom")
	}
}

var _ = http.StatusOK

// TestHostWithoutZoomUser: an organizer in an enabled domain who has no
// user in the Zoom account the install is bound to gets a clear refusal,
// nothing booked, no meeting hosted by someone else.
func TestHostWithoutZoomUser(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	// A second domain, enabled for Zoom after the install: its addresses
	// are not users of the Zoom account the admin authorized.
	d := h.expect("POST", "/api/v1/domains", tn.owner, map[string]any{"domain": "acme-labs.test"}, 201)
	h.dns.SetTXT(d["txt_name"].(string), d["txt_value"].(string))
	h.expect("POST", "/api/v1/domains/acme-labs.test/verify", tn.owner, nil, 200)
	h.expect("PUT", "/api/v1/apps/zoom", tn.owner, map[string]any{"domains": []string{"acme.test", "acme-labs.test"}}, 200)
	u := h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": "lab@acme-labs.test", "name": "Lab"}, 201)
	p := h.expect("POST", "/api/v1/meetings", u["token"].(string), map[string]any{"subject": "x", "start_time": "2030-07-01T10:00",
		"timezone": "UTC", "duration": 30}, 409)
	if !strings.Contains(p["detail"].(string), "no user in the account Zoom is installed for") || p["meeting_id"] == nil {
		t.Fatalf("refusal: %v", p)
	}
	m := h.expect("GET", "/api/v1/meetings/"+p["meeting_id"].(string), u["token"].(string), nil, 200)
	if m["status"] != "failed" || m["video"] != nil {
		t.Errorf("meeting: %v", m)
	}
	if len(h.sandboxMeetings()) != 0 {
		t.Error("a Zoom meeting was made for someone")
	}
	// The time is free again.
	h.expect("POST", "/api/v1/meetings", u["token"].(string), map[string]any{"subject": "x", "start_time": "2030-07-01T10:00",
		"timezone": "UTC", "duration": 30, "video_provider": "none"}, 201)
}
