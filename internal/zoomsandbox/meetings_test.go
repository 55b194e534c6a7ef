package zoomsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestCreateAnswer(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	r := sb.do(http.MethodPost, "/v2/users/Jane.Doe@example.com/meetings", tok, map[string]any{
		"topic": "Design review", "type": 2, "start_time": "2030-03-04T15:00:00", "timezone": "Europe/Berlin",
		"duration": 45, "agenda": "Q2 plan", "password": "a1b2c3",
		"settings": map[string]any{"join_before_host": false, "waiting_room": true, "mute_upon_entry": true,
			"approval_type": 2, "audio": "both", "auto_recording": "none", "alternative_hosts": "a@example.com;b@example.com",
			"jbh_time": 15, "waiting_room_options": map[string]any{"mode": "custom", "who_goes_to_waiting_room": "everyone"}},
		"tracking_fields": []map[string]string{{"field": "cost center", "value": "42"}},
	})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	for _, h := range []string{"x-zm-trackingid", "X-RateLimit-Category", "X-RateLimit-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining"} {
		if r.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if got := r.Header.Get("X-RateLimit-Category"); got != "Medium" {
		t.Errorf("create category %q, want Medium", got)
	}
	var v meetingView
	r.json(t, &v)
	id := strconv.FormatInt(v.ID, 10)
	checks := []struct {
		name string
		ok   bool
	}{
		{"11-digit id", len(id) == 11},
		{"uuid is base64 of 16 bytes", regexp.MustCompile(`^[A-Za-z0-9+/]{22}==$`).MatchString(v.UUID)},
		{"host email lower-cased", v.HostEmail == "jane.doe@example.com"},
		{"start_time in UTC", v.StartTime == "2030-03-04T14:00:00Z"},
		{"timezone kept", v.Timezone == "Europe/Berlin"},
		{"created_at is now", v.CreatedAt == "2030-01-07T08:00:00Z"},
		{"status waiting", v.Status == "waiting"},
		{"password", v.Password == "a1b2c3"},
		{"numeric h323", regexp.MustCompile(`^\d{6,10}$`).MatchString(v.H323Password) && v.PSTNPassword == v.H323Password},
		{"join url", v.JoinURL == sb.ts.URL+"/j/"+id+"?pwd="+v.EncryptedPassword && strings.HasSuffix(v.EncryptedPassword, ".1")},
		{"start url", strings.HasPrefix(v.StartURL, sb.ts.URL+"/s/"+id+"?zak=")},
		{"settings echoed", *v.Settings.WaitingRoom && *v.Settings.MuteUponEntry && *v.Settings.JBHTime == 15 &&
			*v.Settings.AlternativeHosts == "a@example.com;b@example.com"},
		{"settings defaults", !*v.Settings.HostVideo && *v.Settings.Audio == "both" && len(*v.Settings.GlobalDialInNumbers) > 0},
		{"tracking fields", len(v.TrackingFields) == 1 && v.TrackingFields[0].Visible},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %s", c.name, r.Body)
		}
	}
	// The join link leads somewhere.
	page := sb.do(http.MethodGet, strings.TrimPrefix(v.JoinURL, sb.ts.URL), "", nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), "Passcode link valid") {
		t.Errorf("join page: %d %s", page.Status, page.Body)
	}
	// GET answers the same meeting.
	var got meetingView
	sb.do(http.MethodGet, "/v2/meetings/"+id, tok, nil).json(t, &got)
	a, _ := json.Marshal(v)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("GET differs from create:\n%s\n%s", a, b)
	}
	// A generated passcode when none is given.
	v2 := sb.create(tok, "me", map[string]any{"topic": "t"})
	if !validPassword(v2.Password) || v2.Password == "" || v2.Duration != 60 || v2.Type != 2 {
		t.Errorf("defaults: %+v", v2)
	}
}

func TestValidationErrors(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	tests := []struct {
		name  string
		body  string
		code  int
		field string // first errors[].field, or "" for none
	}{
		{"not JSON", `{"topic":`, 300, ""},
		{"array", `[1]`, 300, ""},
		{"empty", ``, 300, ""},
		{"topic too long", `{"topic":"` + strings.Repeat("é", 201) + `"}`, 300, "topic"},
		{"agenda too long", `{"agenda":"` + strings.Repeat("a", 2001) + `"}`, 300, "agenda"},
		{"password too long", `{"password":"12345678901"}`, 300, "password"},
		{"password bad char", `{"password":"abc!"}`, 300, "password"},
		{"bad type", `{"type":5}`, 300, "type"},
		{"type of the wrong kind", `{"type":"2"}`, 300, "type"},
		{"bad start_time", `{"start_time":"tomorrow"}`, 300, "start_time"},
		{"bad timezone", `{"timezone":"Mars/Olympus"}`, 300, "timezone"},
		{"bad jbh_time", `{"settings":{"jbh_time":7}}`, 300, "settings.jbh_time"},
		{"bad audio", `{"settings":{"audio":"loud"}}`, 300, "settings.audio"},
		{"bad auto_recording", `{"settings":{"auto_recording":"tape"}}`, 300, "settings.auto_recording"},
		{"bad approval_type", `{"settings":{"approval_type":3}}`, 300, "settings.approval_type"},
		{"settings of the wrong kind", `{"settings":{"host_video":"yes"}}`, 300, "settings.host_video"},
		{"recurring without recurrence", `{"type":8,"start_time":"2030-02-01T10:00:00Z"}`, 300, "recurrence"},
		{"recurrence without type", `{"type":8,"recurrence":{"repeat_interval":1}}`, 300, "recurrence.type"},
		{"daily interval over 90", `{"type":8,"recurrence":{"type":1,"repeat_interval":91}}`, 300, "recurrence.repeat_interval"},
		{"weekly interval over 12", `{"type":8,"recurrence":{"type":2,"repeat_interval":13,"weekly_days":"2"}}`, 300, "recurrence.repeat_interval"},
		{"monthly interval over 3", `{"type":8,"recurrence":{"type":3,"repeat_interval":4}}`, 300, "recurrence.repeat_interval"},
		{"weekly day 8", `{"type":8,"recurrence":{"type":2,"weekly_days":"2,8"}}`, 300, "recurrence.weekly_days"},
		{"end_times and end_date_time", `{"type":8,"recurrence":{"type":1,"end_times":3,"end_date_time":"2030-03-01T00:00:00Z"}}`, 300, "recurrence.end_times"},
		{"end_times over 365", `{"type":8,"recurrence":{"type":1,"end_times":366}}`, 300, "recurrence.end_times"},
		{"tracking field without field", `{"tracking_fields":[{"value":"x"}]}`, 300, "tracking_fields[0].field"},
		{"schedule_for on instant", `{"type":1,"schedule_for":"b@example.com"}`, 3000, ""},
		{"schedule_for outside the account", `{"schedule_for":"x@elsewhere.net"}`, 300, ""},
		{"enforce_login_domains", `{"settings":{"enforce_login_domains":"a.com,b.com"}}`, 300, ""},
		{"pre_schedule on recurring", `{"type":8,"pre_schedule":true,"recurrence":{"type":1}}`, 3000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, sb.ts.URL+"/v2/users/me/meetings", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			r := sb.send(deliberatelyInvalid(req))
			e := r.zoomError(t)
			if r.Status != 400 || e.Code != tt.code {
				t.Fatalf("%d %s, want 400 code %d", r.Status, r.Body, tt.code)
			}
			if tt.field == "" {
				return
			}
			if len(e.Errors) == 0 || e.Errors[0].Field != tt.field || e.Message != "Validation Failed." {
				t.Fatalf("errors %s, want field %s", r.Body, tt.field)
			}
		})
	}
	var all struct{ Meetings []meetingView }
	sb.do(http.MethodGet, "/_sandbox/meetings", "", nil).json(t, &all)
	if len(all.Meetings) != 0 {
		t.Errorf("invalid requests created %d meetings", len(all.Meetings))
	}
}

func TestUsers(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	r := sb.do(http.MethodPost, "/v2/users/x@elsewhere.net/meetings", tok, map[string]any{"topic": "t"})
	if e := r.zoomError(t); r.Status != 404 || e.Code != 1001 || e.Message != "User does not exist: x@elsewhere.net." {
		t.Fatalf("foreign user: %d %s", r.Status, r.Body)
	}
	r = sb.do(http.MethodGet, "/v2/users/x@elsewhere.net", tok, nil)
	if r.Status != 404 {
		t.Fatalf("get foreign user: %d", r.Status)
	}
	var u userView
	sb.do(http.MethodGet, "/v2/users/mary.ann.smith@example.org", tok, nil).json(t, &u)
	if u.Email != "mary.ann.smith@example.org" || u.FirstName != "Mary" || u.LastName != "Ann Smith" || u.Type != 2 || len(u.ID) != 22 {
		t.Fatalf("user: %+v", u)
	}
	// By ID afterwards, and the same user on second use.
	var again userView
	sb.do(http.MethodGet, "/v2/users/"+u.ID, tok, nil).json(t, &again)
	if again.ID != u.ID {
		t.Fatalf("by id: %+v", again)
	}
	r = sb.do(http.MethodGet, "/v2/users/NoSuchId12345678901234", tok, nil)
	if r.Status != 404 {
		t.Fatalf("unknown id: %d", r.Status)
	}

	// Standalone without --domains: every address is a user.
	open := newSandbox(t, func(o *Options) { o.Domains = nil })
	if r := open.do(http.MethodGet, "/v2/users/anyone@anywhere.test", open.s2sToken(), nil); r.Status != 200 {
		t.Fatalf("open sandbox: %d %s", r.Status, r.Body)
	}
}

// DomainsForAuthorization decides, at approval time, which addresses are
// the installing account's users.
func TestDomainsForAuthorization(t *testing.T) {
	var gotState string
	sb := newSandbox(t, func(o *Options) {
		o.DomainsForAuthorization = func(r *http.Request) ([]string, error) {
			gotState = r.FormValue("state")
			if gotState == "unknown" {
				return nil, fmt.Errorf("no such install")
			}
			return []string{"acme.test"}, nil
		}
	})
	code, verifier := sb.authorize(nil)
	if gotState != "st-123" {
		t.Fatalf("callback saw state %q", gotState)
	}
	_, tr := sb.exchange(code, verifier)
	var me userView
	sb.do(http.MethodGet, "/v2/users/me", tr.AccessToken, nil).json(t, &me)
	if me.Email != "owner@acme.test" || me.AccountID == DefaultAccountID {
		t.Fatalf("me = %+v", me)
	}
	if r := sb.do(http.MethodPost, "/v2/users/bob@acme.test/meetings", tr.AccessToken, map[string]any{"topic": "x"}); r.Status != 201 {
		t.Fatalf("acme user: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodPost, "/v2/users/bob@example.com/meetings", tr.AccessToken, map[string]any{"topic": "x"}); r.Status != 404 {
		t.Fatalf("user of the static domains: %d %s", r.Status, r.Body)
	}
	r := sb.form("/oauth/authorize", "", "", map[string][]string{"response_type": {"code"}, "client_id": {DefaultClientID},
		"redirect_uri": {testRedirect}, "state": {"unknown"}, "decision": {"approve"}})
	if !strings.Contains(r.Header.Get("Location"), "error=access_denied") {
		t.Fatalf("callback error: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestUpdate(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	v := sb.create(tok, "me", map[string]any{"topic": "Before", "start_time": "2030-02-01T10:00:00Z", "duration": 30,
		"settings": map[string]any{"host_video": true, "mute_upon_entry": true}})
	id := strconv.FormatInt(v.ID, 10)
	r := sb.do(http.MethodPatch, "/v2/meetings/"+id, tok, map[string]any{"topic": "After", "start_time": "2030-02-02T09:30:00",
		"timezone": "America/New_York", "settings": map[string]any{"host_video": false}, "password": "new-pw"})
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	var got meetingView
	sb.do(http.MethodGet, "/v2/meetings/"+id, tok, nil).json(t, &got)
	if got.Topic != "After" || got.StartTime != "2030-02-02T14:30:00Z" || got.Duration != 30 || *got.Settings.HostVideo ||
		!*got.Settings.MuteUponEntry || got.Password != "new-pw" || got.EncryptedPassword == v.EncryptedPassword || got.UUID != v.UUID {
		t.Fatalf("after patch: %+v", got)
	}
	if r := sb.do(http.MethodPatch, "/v2/meetings/99999999999", tok, map[string]any{"topic": "x"}); r.Status != 404 {
		t.Fatalf("patch unknown: %d", r.Status)
	}
	// A started meeting cannot be updated or deleted.
	sb.do(http.MethodPost, "/_sandbox/meetings/"+id+"/start", "", nil)
	r = sb.do(http.MethodPatch, "/v2/meetings/"+id, tok, map[string]any{"topic": "x"})
	if e := r.zoomError(t); r.Status != 400 || e.Code != 3000 {
		t.Fatalf("patch started: %d %s", r.Status, r.Body)
	}
	r = sb.do(http.MethodDelete, "/v2/meetings/"+id, tok, nil)
	if e := r.zoomError(t); r.Status != 400 || e.Code != 3002 {
		t.Fatalf("delete started: %d %s", r.Status, r.Body)
	}
	// End it, delete it, recover it.
	if r := sb.do(http.MethodPut, "/v2/meetings/"+id+"/status", tok, map[string]string{"action": "end"}); r.Status != 204 {
		t.Fatalf("end: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodDelete, "/v2/meetings/"+id+"?schedule_for_reminder=false&cancel_meeting_reminder=true", tok, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodDelete, "/v2/meetings/"+id, tok, nil); r.Status != 404 {
		t.Fatalf("delete twice: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodPut, "/v2/meetings/"+id+"/status", tok, map[string]string{"action": "recover"}); r.Status != 204 {
		t.Fatalf("recover: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodGet, "/v2/meetings/"+id, tok, nil); r.Status != 200 {
		t.Fatalf("recovered: %d %s", r.Status, r.Body)
	}
}

func TestDailyCreateUpdateLimit(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	var last meetingView
	for i := range 100 {
		if i%2 == 0 {
			last = sb.create(tok, "busy@example.com", map[string]any{"topic": "m"})
		} else if r := sb.do(http.MethodPatch, "/v2/meetings/"+strconv.FormatInt(last.ID, 10), tok, map[string]any{"topic": "u"}); r.Status != 204 {
			t.Fatalf("update %d: %d", i, r.Status)
		}
	}
	r := sb.do(http.MethodPost, "/v2/users/busy@example.com/meetings", tok, map[string]any{"topic": "m"})
	want := "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."
	if e := r.zoomError(t); r.Status != 429 || e.Code != 429 || e.Message != want {
		t.Fatalf("101st: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("Retry-After"); got != "2030-01-08T00:00:00Z" {
		t.Errorf("Retry-After %q", got)
	}
	// Another host is not limited; reads are not counted.
	sb.create(tok, "calm@example.com", map[string]any{"topic": "m"})
	if r := sb.do(http.MethodGet, "/v2/meetings/"+strconv.FormatInt(last.ID, 10), tok, nil); r.Status != 200 {
		t.Fatalf("read: %d", r.Status)
	}
	// The next UTC day resets it.
	sb.clock.Advance(16 * 3600e9)
	tok = sb.s2sToken()
	sb.create(tok, "busy@example.com", map[string]any{"topic": "m"})
}
