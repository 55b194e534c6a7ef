package zoomsandbox

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
)

// FuzzMeetingBody feeds arbitrary bytes to the create and update paths:
// the body parser, the validation, the recurrence expansion and the
// rendering must never panic, and what they accept must render as JSON
// with Zoom's time format. Seeds: f.Add below and testdata/fuzz.
func FuzzMeetingBody(f *testing.F) {
	for _, s := range []string{
		`{"topic":"Design review","type":2,"start_time":"2030-03-04T15:00:00","timezone":"Europe/Berlin","duration":45}`,
		`{"type":8,"start_time":"2030-03-19T09:00:00Z","recurrence":{"type":2,"weekly_days":"2,4","end_times":10}}`,
		`{"type":8,"recurrence":{"type":3,"monthly_week":-1,"monthly_week_day":6,"end_date_time":"2031-01-01T00:00:00Z"}}`,
		`{"settings":{"jbh_time":15,"waiting_room_options":{"mode":"custom"},"custom_keys":[{"key":"k","value":"v"}]}}`,
		`{"tracking_fields":[{"field":"a","value":"b"}],"password":"a@_-*1"}`,
		`{"type":1,"schedule_for":"x@example.com"}`,
		`{"topic":null,"settings":null,"recurrence":{"type":1,"repeat_interval":90,"end_times":365}}`,
		`[]`, `{"type":"8"}`, `{"start_time":"2030-02-30T25:00:00"}`,
	} {
		f.Add([]byte(s))
	}
	clock := clocktest.New(startTime)
	srv, err := New(Options{BaseURL: "http://sandbox.test", Domains: []string{"example.com"}, Now: clock.Now,
		Rand: rand.NewChaCha8([32]byte{9})})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	srv.mu.Lock()
	acct := srv.st.Accounts[DefaultAccountID]
	owner := srv.userByEmail(acct, acct.ownerEmail())
	srv.mu.Unlock()
	c := &call{op: opCreate, account: acct, user: owner, grant: grantAdmin}

	f.Fuzz(func(t *testing.T, body []byte) {
		in, aerr := parseMeetingInput(body)
		if aerr != nil {
			if aerr.Code != 300 || aerr.Status != 400 {
				t.Fatalf("parse error %+v", aerr)
			}
			return
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		srv.st.Daily = map[string]*dailyCount{} // the fuzzer may create far more than 100
		v, _, aerr := srv.create(c, "me", in)
		if aerr != nil {
			if aerr.Status != 400 && aerr.Status != 404 {
				t.Fatalf("create error %+v", aerr)
			}
			return
		}
		checkView(t, v)
		m := srv.st.Meetings[v.ID]
		if _, aerr := srv.update(c, formatInt(v.ID), "", in); aerr == nil {
			checkView(t, srv.view(m, owner, nil, true))
		}
		_ = srv.invitation(m, owner)
		delete(srv.st.Meetings, v.ID)
	})
}

func checkView(t *testing.T, v meetingView) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if v.StartTime != "" {
		if _, err := time.Parse(zoomTime, v.StartTime); err != nil {
			t.Fatalf("start_time %q: %v", v.StartTime, err)
		}
	}
	if len(v.Occurrences) > maxOccurrences {
		t.Fatalf("%d occurrences", len(v.Occurrences))
	}
	if !json.Valid(b) {
		t.Fatal("invalid JSON")
	}
}
