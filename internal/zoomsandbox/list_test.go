package zoomsandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestListMeetings(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	long := strings.Repeat("ä", 300)
	var ids []int64
	for i := range 7 {
		start := startTime.Add(time.Duration(i-2) * 24 * time.Hour).Format(zoomTime) // two in the past
		ids = append(ids, sb.create(tok, "lister@example.com", map[string]any{"topic": "m" + strconv.Itoa(i), "start_time": start, "agenda": long}).ID)
	}
	sb.create(tok, "lister@example.com", map[string]any{"topic": "instant", "type": 1}) // never listed
	sb.create(tok, "other@example.com", map[string]any{"topic": "not mine"})

	list := func(q url.Values) listResponse {
		t.Helper()
		r := sb.do(http.MethodGet, "/v2/users/lister@example.com/meetings?"+q.Encode(), tok, nil)
		if r.Status != 200 {
			t.Fatalf("list %s: %d %s", q.Encode(), r.Status, r.Body)
		}
		var lr listResponse
		r.json(t, &lr)
		return lr
	}
	all := list(url.Values{})
	if all.TotalRecords != 7 || len(all.Meetings) != 7 || all.NextPageToken != "" || all.PageSize != 30 {
		t.Fatalf("scheduled: %+v", all)
	}
	for i, m := range all.Meetings {
		if m.ID != ids[i] {
			t.Errorf("order: item %d is %d, want %d", i, m.ID, ids[i])
		}
		if utf8.RuneCountInString(m.Agenda) != 250 || m.CreatedAt == "" || m.JoinURL == "" {
			t.Errorf("item %d: agenda %d runes, created_at %q", i, utf8.RuneCountInString(m.Agenda), m.CreatedAt)
		}
	}
	// Pages of 3 by next_page_token.
	var got []int64
	q := url.Values{"page_size": {"3"}}
	for pages := 0; ; pages++ {
		lr := list(q)
		for _, m := range lr.Meetings {
			got = append(got, m.ID)
		}
		if lr.NextPageToken == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		q = url.Values{"next_page_token": {lr.NextPageToken}}
	}
	if len(got) != 7 || got[6] != ids[6] {
		t.Fatalf("paged ids %v", got)
	}
	// page_number (legacy).
	if lr := list(url.Values{"page_size": {"3"}, "page_number": {"3"}}); len(lr.Meetings) != 1 || lr.PageNumber != 3 || lr.PageCount != 3 {
		t.Fatalf("page_number: %+v", lr)
	}
	// Upcoming and previous.
	if lr := list(url.Values{"type": {"upcoming"}}); lr.TotalRecords != 5 {
		t.Errorf("upcoming: %d", lr.TotalRecords)
	}
	if lr := list(url.Values{"type": {"previous_meetings"}}); lr.TotalRecords != 2 {
		t.Errorf("previous: %d", lr.TotalRecords)
	}
	if lr := list(url.Values{"from": {"2030-01-08"}, "to": {"2030-01-09"}}); lr.TotalRecords != 2 {
		t.Errorf("from/to: %d", lr.TotalRecords)
	}
	// A page token expires after 15 minutes.
	lr := list(url.Values{"page_size": {"1"}})
	sb.clock.Advance(16 * time.Minute)
	tok = sb.s2sToken()
	r := sb.do(http.MethodGet, "/v2/users/lister@example.com/meetings?next_page_token="+lr.NextPageToken, tok, nil)
	if r.Status != 400 {
		t.Fatalf("expired page token: %d %s", r.Status, r.Body)
	}
}

func TestRecurringMeeting(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	// Every week on Tuesday and Thursday at 09:00 Paris time, 6 times,
	// across the DST change of 2030-03-31.
	v := sb.create(tok, "me", map[string]any{"topic": "Standup", "type": 8, "start_time": "2030-03-19T09:00:00",
		"timezone": "Europe/Paris", "duration": 15,
		"recurrence": map[string]any{"type": 2, "repeat_interval": 1, "weekly_days": "5,3", "end_times": 6}})
	want := []string{"2030-03-19T08:00:00Z", "2030-03-21T08:00:00Z", "2030-03-26T08:00:00Z", "2030-03-28T08:00:00Z",
		"2030-04-02T07:00:00Z", "2030-04-04T07:00:00Z"}
	if len(v.Occurrences) != len(want) || v.Recurrence == nil || v.Recurrence.WeeklyDays != "3,5" {
		t.Fatalf("occurrences: %+v recurrence %+v", v.Occurrences, v.Recurrence)
	}
	for i, o := range v.Occurrences {
		ts, _ := time.Parse(zoomTime, o.StartTime)
		if o.StartTime != want[i] || o.OccurrenceID != strconv.FormatInt(ts.UnixMilli(), 10) || o.Status != "available" || o.Duration != 15 {
			t.Errorf("occurrence %d = %+v, want %s", i, o, want[i])
		}
	}
	id := strconv.FormatInt(v.ID, 10)
	occ := v.Occurrences[2].OccurrenceID
	// Move one occurrence.
	if r := sb.do(http.MethodPatch, "/v2/meetings/"+id+"?occurrence_id="+occ, tok, map[string]any{"start_time": "2030-03-26T10:00:00Z", "duration": 45}); r.Status != 204 {
		t.Fatalf("patch occurrence: %d %s", r.Status, r.Body)
	}
	var one meetingView
	sb.do(http.MethodGet, "/v2/meetings/"+id+"?occurrence_id="+occ, tok, nil).json(t, &one)
	if one.StartTime != "2030-03-26T10:00:00Z" || one.Duration != 45 {
		t.Fatalf("occurrence after patch: %s %d", one.StartTime, one.Duration)
	}
	// Delete another.
	if r := sb.do(http.MethodDelete, "/v2/meetings/"+id+"?occurrence_id="+v.Occurrences[3].OccurrenceID, tok, nil); r.Status != 204 {
		t.Fatalf("delete occurrence: %d %s", r.Status, r.Body)
	}
	var all meetingView
	sb.do(http.MethodGet, "/v2/meetings/"+id, tok, nil).json(t, &all)
	if all.Occurrences[3].Status != "deleted" || all.Occurrences[2].StartTime != "2030-03-26T10:00:00Z" {
		t.Fatalf("after: %+v", all.Occurrences)
	}
	for _, bad := range []string{"/v2/meetings/" + id + "?occurrence_id=1", "/v2/meetings/" + id + "?occurrence_id=" + v.Occurrences[3].OccurrenceID} {
		r := sb.do(http.MethodDelete, bad, tok, nil)
		if e := r.zoomError(t); r.Status != 400 || e.Code != 3000 {
			t.Errorf("delete %s: %d %s", bad, r.Status, r.Body)
		}
	}
	// The invitation lists the recurrence.
	var inv struct{ Invitation string }
	sb.do(http.MethodGet, "/v2/meetings/"+id+"/invitation", tok, nil).json(t, &inv)
	if !strings.Contains(inv.Invitation, "Every week on Tue, Thu, 6 occurrence(s)\r\n") ||
		!strings.Contains(inv.Invitation, "Time: Mar 19, 2030 09:00 AM Europe, Paris\r\n") {
		t.Errorf("invitation:\n%s", inv.Invitation)
	}
}

func TestRecurrenceExpansion(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Date(2030, 1, 31, 18, 30, 0, 0, ny)
	tests := []struct {
		name string
		r    recurrence
		want []string // local dates
	}{
		{"daily every 2 days", recurrence{Type: 1, RepeatInterval: 2, EndTimes: 3}, []string{"2030-01-31", "2030-02-02", "2030-02-04"}},
		{"weekly Mon,Fri every 2 weeks", recurrence{Type: 2, RepeatInterval: 2, WeeklyDays: "2,6", EndTimes: 4}, []string{"2030-02-01", "2030-02-11", "2030-02-15", "2030-02-25"}},
		{"monthly day 31 falls on the last day", recurrence{Type: 3, RepeatInterval: 1, MonthlyDay: 31, EndTimes: 3}, []string{"2030-01-31", "2030-02-28", "2030-03-31"}},
		{"monthly last Friday", recurrence{Type: 3, RepeatInterval: 1, MonthlyWeek: -1, MonthlyWeekDay: 6, EndTimes: 3}, []string{"2030-02-22", "2030-03-29", "2030-04-26"}},
		{"monthly second Tuesday every 3 months", recurrence{Type: 3, RepeatInterval: 3, MonthlyWeek: 2, MonthlyWeekDay: 3, EndTimes: 2}, []string{"2030-04-09", "2030-07-09"}},
		{"until a date", recurrence{Type: 1, RepeatInterval: 1, EndDateTime: "2030-02-02T12:00:00Z"}, []string{"2030-01-31", "2030-02-01", "2030-02-02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, o := range tt.r.occurrences(start, ny) {
				got = append(got, o.In(ny).Format("2006-01-02"))
				if h, m, _ := o.In(ny).Clock(); h != 18 || m != 30 {
					t.Errorf("%s: wall time %02d:%02d", o, h, m)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Bounded: an open-ended daily rule stops at the maximum.
	r := recurrence{Type: 1, RepeatInterval: 1, EndTimes: 0, EndDateTime: "2090-01-01T00:00:00Z"}
	if n := len(r.occurrences(start, ny)); n != maxOccurrences {
		t.Errorf("unbounded rule: %d occurrences", n)
	}
}

func TestInvitation(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	v := sb.create(tok, "jill.chill@example.com", map[string]any{"topic": "My Meeting", "start_time": "2030-03-25T22:32:00Z",
		"timezone": "America/Los_Angeles", "password": "123456"})
	var inv struct {
		Invitation string   `json:"invitation"`
		SIPLinks   []string `json:"sip_links"`
	}
	sb.do(http.MethodGet, "/v2/meetings/"+strconv.FormatInt(v.ID, 10)+"/invitation", tok, nil).json(t, &inv)
	id := strconv.FormatInt(v.ID, 10)
	grouped := id[:3] + " " + id[3:7] + " " + id[7:]
	wantStart := "Jill Chill is inviting you to a scheduled Zoom meeting.\r\n\r\nTopic: My Meeting\r\n" +
		"Time: Mar 25, 2030 03:32 PM America, Los_Angeles\r\n\r\nJoin Zoom Meeting\r\n" + v.JoinURL + "\r\n\r\n" +
		"Meeting ID: " + grouped + "\r\nPasscode: 123456\r\n"
	if !strings.HasPrefix(inv.Invitation, wantStart) {
		t.Errorf("invitation:\n%q\nwant prefix\n%q", inv.Invitation, wantStart)
	}
	for _, want := range []string{"One tap mobile\r\n+16465588656,," + id + "#,,,,*123456# US (New York)\r\n", "Join by SIP\r\n"} {
		if !strings.Contains(inv.Invitation, want) {
			t.Errorf("invitation lacks %q", want)
		}
	}
	if strings.Contains(strings.ReplaceAll(inv.Invitation, "\r\n", ""), "\n") {
		t.Error("bare LF in the invitation")
	}
	if len(inv.SIPLinks) != 1 || inv.SIPLinks[0] != id+"@zoomcrc.com" {
		t.Errorf("sip_links %v", inv.SIPLinks)
	}
}
