package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/video"
)

// created201 is zoom-api.md §1.12's plausible 201 body.
const created201 = `{"uuid":"q3nM0o7CQ3+9Zk3mC1xN9A==","id":84123456789,"host_id":"30R7kT7bTIKSNUFEuH_Qlg",
 "host_email":"me@example.com","topic":"Design review","type":2,"status":"waiting",
 "start_time":"2030-03-04T14:00:00Z","duration":45,"timezone":"Europe/Berlin","agenda":"Q2 plan",
 "created_at":"2030-02-01T09:00:00Z","start_url":"https://zoom.us/s/84123456789?zak=...",
 "join_url":"https://zoom.us/j/84123456789?pwd=Rk9PYmFy.1","password":"a1b2c3",
 "h323_password":"123456","pstn_password":"123456","encrypted_password":"Rk9PYmFy.1",
 "pre_schedule":false,
 "settings":{"host_video":false,"participant_video":false,"join_before_host":false,"jbh_time":0,
   "mute_upon_entry":true,"watermark":false,"use_pmi":false,"approval_type":2,"audio":"both",
   "auto_recording":"none","waiting_room":true,"alternative_hosts":"a@example.com;b@example.com",
   "meeting_authentication":false,"global_dial_in_countries":["US"],
   "global_dial_in_numbers":[{"country":"US","country_name":"US","city":"New York","number":"+1 6465588656","type":"toll"}]}}`

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCreateRequestAndAnswer(t *testing.T) {
	cn := &canned{answers: []cannedAnswer{{status: 201, body: created201}}}
	h := newHarness(t, cn, nil)
	berlin := mustLoc(t, "Europe/Berlin")
	spec := video.Spec{
		Topic:     "Design review",
		StartTime: time.Date(2030, 3, 4, 15, 0, 0, 0, berlin),
		Duration:  45,
		Agenda:    video.String("Q2 plan"),
		Password:  video.String("a1b2c3"),
		Settings: video.Settings{
			JoinBeforeHost:   video.Bool(false),
			WaitingRoom:      video.Bool(true),
			MuteUponEntry:    video.Bool(true),
			ApprovalType:     video.Int(video.NoRegistration),
			AlternativeHosts: video.String("a@example.com;b@example.com"),
		},
	}
	m, err := h.c.Create(context.Background(), "me@example.com", spec)
	if err != nil {
		t.Fatal(err)
	}
	reqs := cn.seen()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v2/users/me@example.com/meetings" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
		t.Errorf("Authorization %q", got)
	}
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	// start_time in UTC with Z and the IANA zone beside it; false settings
	// sent, unset ones not.
	want := `{"topic":"Design review","type":2,"start_time":"2030-03-04T14:00:00Z","duration":45,"timezone":"Europe/Berlin","password":"a1b2c3","agenda":"Q2 plan","settings":{"join_before_host":false,"mute_upon_entry":true,"approval_type":2,"alternative_hosts":"a@example.com;b@example.com","waiting_room":true}}`
	if r.Body != want {
		t.Errorf("body\n%s\nwant\n%s", r.Body, want)
	}
	if m.ID != "84123456789" || m.UUID != "q3nM0o7CQ3+9Zk3mC1xN9A==" || m.HostID != "30R7kT7bTIKSNUFEuH_Qlg" || m.Provider != "zoom" {
		t.Errorf("ids %+v", m)
	}
	if !m.StartTime.Equal(spec.StartTime) || m.StartTime.Location() != time.UTC || m.Timezone != "Europe/Berlin" || m.Duration != 45 || m.Type != video.Scheduled {
		t.Errorf("time %v %s %d %d", m.StartTime, m.Timezone, m.Duration, m.Type)
	}
	if m.Password != "a1b2c3" || m.H323Password != "123456" || m.PSTNPassword != "123456" || m.EncryptedPassword != "Rk9PYmFy.1" {
		t.Errorf("passwords %+v", m)
	}
	if m.JoinURL != "https://zoom.us/j/84123456789?pwd=Rk9PYmFy.1" || m.StartURL == "" || m.Status != "waiting" {
		t.Errorf("urls %+v", m)
	}
	s := m.Settings
	if *s.HostVideo || *s.JoinBeforeHost || !*s.MuteUponEntry || *s.ApprovalType != 2 || *s.Audio != "both" || *s.AutoRecording != "none" ||
		*s.AlternativeHosts != "a@example.com;b@example.com" || s.CNMeeting != nil || len(s.GlobalDialInNumbers) != 1 {
		t.Errorf("settings %+v", s)
	}
	if !m.CreatedAt.Equal(time.Date(2030, 2, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("created_at %v", m.CreatedAt)
	}
}

// LESSONS "Wrong start time": the instant survives the round trip on both
// sides of a DST change, in zones with half-hour offsets too.
func TestStartTimeAcrossDST(t *testing.T) {
	tests := []struct {
		zone string
		wall time.Time // in zone
		utc  string
	}{
		{"Europe/Paris", time.Date(2030, 3, 30, 10, 0, 0, 0, time.UTC), "2030-03-30T09:00:00Z"},
		{"Europe/Paris", time.Date(2030, 3, 31, 10, 0, 0, 0, time.UTC), "2030-03-31T08:00:00Z"},
		{"America/New_York", time.Date(2030, 3, 9, 9, 30, 0, 0, time.UTC), "2030-03-09T14:30:00Z"},
		{"America/New_York", time.Date(2030, 3, 11, 9, 30, 0, 0, time.UTC), "2030-03-11T13:30:00Z"},
		{"Asia/Kolkata", time.Date(2030, 6, 1, 9, 0, 0, 0, time.UTC), "2030-06-01T03:30:00Z"},
		{"Australia/Lord_Howe", time.Date(2030, 4, 6, 12, 0, 0, 0, time.UTC), "2030-04-06T01:00:00Z"},
		{"Australia/Lord_Howe", time.Date(2030, 4, 7, 12, 0, 0, 0, time.UTC), "2030-04-07T01:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.utc, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			start := time.Date(tt.wall.Year(), tt.wall.Month(), tt.wall.Day(), tt.wall.Hour(), tt.wall.Minute(), 0, 0, loc)
			z := newFakeZoom(clocktest.New(testStart))
			h := newHarness(t, z, z.clock)
			m, err := h.c.Create(context.Background(), "o@example.com", video.Spec{Topic: "t", StartTime: start, Duration: 30})
			if err != nil {
				t.Fatal(err)
			}
			var sent wireSpec
			json.Unmarshal([]byte(z.requests[0].Body), &sent)
			if sent.StartTime != tt.utc || sent.Timezone != tt.zone {
				t.Errorf("sent %s %s", sent.StartTime, sent.Timezone)
			}
			got, err := h.c.Get(context.Background(), m.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			back := got.StartTime.In(mustLoc(t, got.Timezone))
			if back.Hour() != tt.wall.Hour() || back.Minute() != tt.wall.Minute() || back.Day() != tt.wall.Day() {
				t.Errorf("round trip gives %v, want wall %v", back, tt.wall.Format("2006-01-02 15:04"))
			}
		})
	}
}

func TestPathEscaping(t *testing.T) {
	tests := []struct {
		name string
		call func(*Client) error
		path string
	}{
		{"e-mail with slash and plus", func(c *Client) error {
			_, err := c.Create(context.Background(), "a/b+c@example.com", video.Spec{Topic: "x"})
			return err
		}, "/v2/users/a%2Fb+c@example.com/meetings"},
		{"meeting number", func(c *Client) error { _, err := c.Get(context.Background(), "97763643886", ""); return err }, "/v2/meetings/97763643886"},
		{"plain uuid", func(c *Client) error {
			_, err := c.Get(context.Background(), "aDYlohsHRtCd4ii1uC2+hA==", "")
			return err
		}, "/v2/meetings/aDYlohsHRtCd4ii1uC2+hA=="},
		// zoom-api.md §1.1: a UUID that begins with / or contains // is
		// encoded twice.
		{"uuid with leading slash", func(c *Client) error {
			_, err := c.Get(context.Background(), "/ajXp112QmuoKj4854875==", "")
			return err
		}, "/v2/meetings/%252FajXp112QmuoKj4854875=="},
		{"uuid with double slash", func(c *Client) error { _, err := c.Get(context.Background(), "ab//cd+ef==", ""); return err }, "/v2/meetings/ab%252F%252Fcd+ef=="},
		{"uuid with one slash", func(c *Client) error { _, err := c.Get(context.Background(), "ab/cd==", ""); return err }, "/v2/meetings/ab%2Fcd=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn := &canned{answers: []cannedAnswer{{status: 201, body: created201}, {status: 200, body: created201}}}
			h := newHarness(t, cn, nil)
			if err := tt.call(h.c); err != nil {
				t.Fatal(err)
			}
			if got := cn.seen()[0].Path; got != tt.path {
				t.Errorf("path %s, want %s", got, tt.path)
			}
		})
	}
}

func TestGetUpdateDeleteListInvitation(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	h := newHarness(t, z, z.clock)
	ctx := context.Background()
	paris := mustLoc(t, "Europe/Paris")
	m, err := h.c.Create(ctx, "o@example.com", video.Spec{
		Topic: "Weekly", Type: video.RecurringFixedTime, StartTime: time.Date(2030, 2, 4, 9, 0, 0, 0, paris), Duration: 30,
		Recurrence: &video.Recurrence{Type: video.Weekly, RepeatInterval: 1, WeeklyDays: []int{video.ZoomWeekday(time.Monday)}, EndTimes: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Occurrences) != 2 || m.Recurrence == nil || m.Recurrence.WeeklyDays[0] != 2 {
		t.Fatalf("recurring meeting %+v", m)
	}
	occ := m.Occurrences[1].ID

	// Update one occurrence: only the set fields travel, 204, then re-read.
	got, err := h.c.Update(ctx, m.ID, occ, video.Spec{Duration: 45, Settings: video.Settings{MuteUponEntry: video.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	patch := z.requests[len(z.requests)-2]
	if patch.Method != "PATCH" || patch.Query.Get("occurrence_id") != occ || patch.Body != `{"duration":45,"settings":{"mute_upon_entry":false}}` {
		t.Errorf("patch %+v", patch)
	}
	reread := z.requests[len(z.requests)-1]
	if reread.Method != "GET" || reread.Query.Get("occurrence_id") != occ {
		t.Errorf("re-read %+v", reread)
	}
	if got.Duration != 45 || got.Settings.MuteUponEntry == nil || *got.Settings.MuteUponEntry {
		t.Errorf("after update %+v", got)
	}

	if _, err := h.c.Get(ctx, m.ID, ""); err != nil {
		t.Fatal(err)
	}
	if q := z.requests[len(z.requests)-1].Query; q.Get("show_previous_occurrences") != "true" || q.Has("occurrence_id") {
		t.Errorf("get query %v", q)
	}

	inv, err := h.c.Invitation(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(inv.Text, m.JoinURL) || !strings.Contains(inv.Text, "\r\n") || len(inv.SIPLinks) != 1 {
		t.Errorf("invitation %+v", inv)
	}

	list, err := h.c.List(ctx, "o@example.com")
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("list %+v %v", list, err)
	}

	if err := h.c.Delete(ctx, m.ID, ""); err != nil {
		t.Fatal(err)
	}
	del := z.requests[len(z.requests)-1]
	if del.Method != "DELETE" || del.Query.Get("schedule_for_reminder") != "false" || del.Query.Get("cancel_meeting_reminder") != "false" || del.Query.Has("occurrence_id") {
		t.Errorf("delete %+v", del)
	}
	if err := h.c.Delete(ctx, m.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := h.c.DeleteMeeting(ctx, "123", DeleteOptions{OccurrenceID: "1648194360000", NotifyHosts: true, NotifyRegistrants: true}); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("delete missing: %v", err)
	}
	if q := z.requests[len(z.requests)-1].Query; q.Get("occurrence_id") != "1648194360000" || q.Get("schedule_for_reminder") != "true" || q.Get("cancel_meeting_reminder") != "true" {
		t.Errorf("delete query %v", q)
	}
	if len(z.live()) != 0 {
		t.Errorf("meetings left: %d", len(z.live()))
	}
}

func TestListPagination(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	for i := range 650 {
		z.seed("o@example.com", wireMeeting{Topic: "m", Type: 2, CreatedAt: "2030-01-01T00:00:00Z", StartTime: video.FormatTime(testStart.Add(time.Duration(i) * time.Hour))})
	}
	z.seed("other@example.com", wireMeeting{Topic: "not mine", Type: 2})
	h := newHarness(t, z, z.clock)
	all, err := h.c.List(context.Background(), "o@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 650 {
		t.Errorf("%d meetings", len(all))
	}
	var lists []recorded
	for _, r := range z.requests {
		lists = append(lists, r)
	}
	if len(lists) != 3 {
		t.Fatalf("%d pages", len(lists))
	}
	for i, r := range lists {
		if r.Query.Get("page_size") != "300" || r.Query.Get("type") != "scheduled" {
			t.Errorf("page %d query %v", i, r.Query)
		}
	}
	if lists[0].Query.Has("next_page_token") || lists[1].Query.Get("next_page_token") != "300" || lists[2].Query.Get("next_page_token") != "600" {
		t.Errorf("tokens %v %v %v", lists[0].Query, lists[1].Query, lists[2].Query)
	}

	// A server that repeats its token does not loop forever.
	cn := &canned{answers: []cannedAnswer{
		{status: 200, body: `{"next_page_token":"abc","meetings":[{"id":1}]}`},
		{status: 200, body: `{"next_page_token":"abc","meetings":[{"id":2}]}`},
	}}
	h2 := newHarness(t, cn, nil)
	if _, err := h2.c.List(context.Background(), "o@example.com"); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Errorf("repeating token: %v", err)
	}
}

func TestUser(t *testing.T) {
	cn := &canned{answers: []cannedAnswer{
		{status: 200, body: `{"id":"KDcuGIm1QgePTO8WbOqwIQ","first_name":"Jill","last_name":"Chill","email":"jchill@example.com","type":2,"pmi":3542471135,"timezone":"Asia/Shanghai","status":"active","account_id":"q6gBJVO5TzexKYTb_I2rpg","role_name":"Owner","language":"en-US"}`},
		{status: 404, body: `{"code":1001,"message":"User does not exist: nobody@example.com."}`},
	}}
	h := newHarness(t, cn, nil)
	u, err := h.c.User(context.Background(), "jchill@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := &User{ID: "KDcuGIm1QgePTO8WbOqwIQ", Email: "jchill@example.com", FirstName: "Jill", LastName: "Chill", Type: 2, Status: "active",
		Timezone: "Asia/Shanghai", Language: "en-US", AccountID: "q6gBJVO5TzexKYTb_I2rpg", RoleName: "Owner", PMI: 3542471135}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("user %+v", u)
	}
	_, err = h.c.User(context.Background(), "nobody@example.com")
	if !errors.Is(err, video.ErrHostNotFound) || !video.IsPermanent(err) {
		t.Errorf("unknown user: %v", err)
	}
	if !strings.Contains(err.Error(), "zoom: get user nobody@example.com: HTTP 404, code 1001: User does not exist") {
		t.Errorf("message %q", err)
	}
}

// Paid accounts may omit password and other optional fields (LESSONS "Lost
// links"); ids arrive as numbers beyond 2^53 or as strings.
func TestDecodeOptionalAndIDs(t *testing.T) {
	tests := []struct {
		name string
		body string
		want video.Meeting
		err  bool
	}{
		{"minimal", `{"id":92674392836,"join_url":"https://zoom.us/j/92674392836"}`,
			video.Meeting{Provider: "zoom", ID: "92674392836", JoinURL: "https://zoom.us/j/92674392836"}, false},
		{"largest int64", `{"id":9223372036854775807}`, video.Meeting{Provider: "zoom", ID: "9223372036854775807"}, false},
		{"id as string", `{"id":"97763643886","type":"2","duration":"30"}`, video.Meeting{Provider: "zoom", ID: "97763643886", Type: 2, Duration: 30}, false},
		{"numeric passcodes", `{"id":1,"password":123456,"h323_password":654321,"pmi":3542471135}`,
			video.Meeting{Provider: "zoom", ID: "1", Password: "123456", H323Password: "654321", PMI: "3542471135"}, false},
		{"nulls", `{"id":1,"password":null,"settings":null,"occurrences":null}`, video.Meeting{Provider: "zoom", ID: "1"}, false},
		{"instant without start", `{"id":1,"type":1,"status":"started"}`, video.Meeting{Provider: "zoom", ID: "1", Type: 1, Status: "started"}, false},
		{"local start in zone", `{"id":1,"start_time":"2030-07-01T10:00:00","timezone":"America/New_York"}`,
			video.Meeting{Provider: "zoom", ID: "1", StartTime: time.Date(2030, 7, 1, 14, 0, 0, 0, time.UTC), Timezone: "America/New_York"}, false},
		{"id beyond int64", `{"id":9223372036854775808}`, video.Meeting{}, true},
		{"fractional id", `{"id":1.5}`, video.Meeting{}, true},
		{"bad start", `{"id":1,"start_time":"soon"}`, video.Meeting{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeMeeting([]byte(tt.body))
			if tt.err {
				if err == nil {
					t.Fatalf("no error, got %+v", m)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*m, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *m, tt.want)
			}
		})
	}
}

func TestLocalValidation(t *testing.T) {
	long := strings.Repeat("é", 201)
	tests := []struct {
		name  string
		spec  video.Spec
		field string
	}{
		{"topic", video.Spec{Topic: long}, "topic"},
		{"agenda", video.Spec{Agenda: video.String(strings.Repeat("a", 2001))}, "agenda"},
		{"password", video.Spec{Password: video.String("12345678901")}, "password"},
		{"type", video.Spec{Type: video.PersonalMeeting}, "type"},
		{"timezone", video.Spec{Timezone: "Mars/Olympus"}, "timezone"},
		{"recurrence required", video.Spec{Type: video.RecurringFixedTime}, "recurrence"},
		{"both ends", video.Spec{Type: 8, Recurrence: &video.Recurrence{Type: video.Daily, EndTimes: 3, EndDateTime: testStart}}, "recurrence.end_times"},
		{"interval", video.Spec{Type: 8, Recurrence: &video.Recurrence{Type: video.Monthly, RepeatInterval: 4, MonthlyDay: 1}}, "recurrence.repeat_interval"},
		{"weekday", video.Spec{Type: 8, Recurrence: &video.Recurrence{Type: video.Weekly, WeeklyDays: []int{0}}}, "recurrence.weekly_days"},
		{"jbh", video.Spec{Settings: video.Settings{JBHTime: video.Int(7)}}, "settings.jbh_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn := &canned{}
			h := newHarness(t, cn, nil)
			_, err := h.c.Create(context.Background(), "o@example.com", tt.spec)
			v, ok := errors.AsType[*video.ValidationError](err)
			if !ok || v.Field != tt.field || !video.IsPermanent(err) {
				t.Fatalf("error %v", err)
			}
			if n := len(cn.seen()); n != 0 {
				t.Errorf("%d requests for an invalid spec", n)
			}
		})
	}
	h := newHarness(t, &canned{}, nil)
	if _, err := h.c.Create(context.Background(), " ", video.Spec{Topic: "x"}); err == nil {
		t.Error("empty host accepted; it must never default to another user")
	}
	if _, err := h.c.Get(context.Background(), "", ""); !errors.Is(err, errNoID) {
		t.Errorf("empty id: %v", err)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	c := &Client{Retry: RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}}
	for attempt := 1; attempt <= 40; attempt++ {
		ceil := min(time.Second, 100*time.Millisecond<<min(attempt-1, 20))
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(attempt)
			if d < 0 || d > ceil {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, ceil)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: only %d distinct delays: not jittered", attempt, len(seen))
		}
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32 // the first request may still be in its handler when the retry arrives
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.WriteHeader(200)
		w.Write([]byte(created201))
	})
	h := newHarness(t, handler, nil)
	h.c.Retry.Timeout = 100 * time.Millisecond
	start := time.Now()
	m, err := h.c.Get(context.Background(), "84123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "84123456789" || calls.Load() != 2 || len(h.slept()) != 1 {
		t.Errorf("calls %d sleeps %v", calls.Load(), h.slept())
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %v: per-request timeout not applied", time.Since(start))
	}
}

func TestContextCancellation(t *testing.T) {
	cn := &canned{answers: []cannedAnswer{{status: 503, body: `{"code":503,"message":"Service Unavailable"}`}}}
	h := newHarness(t, cn, nil)
	ctx, cancel := context.WithCancel(context.Background())
	h.c.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := h.c.Get(ctx, "1", "")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, video.ErrUnavailable) {
		t.Errorf("error %v", err)
	}
	if video.IsPermanent(err) {
		t.Error("a cancelled request is not a permanent failure")
	}
	if n := len(cn.seen()); n != 1 {
		t.Errorf("%d requests after cancel", n)
	}

	// A context cancelled before the call sends nothing useful and says so.
	h2 := newHarness(t, &canned{}, nil)
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := h2.c.Get(done, "1", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
