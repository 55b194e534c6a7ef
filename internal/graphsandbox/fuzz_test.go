package graphsandbox

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
)

// fuzzServer is a sandbox with a token, for fuzz targets that go through
// the handlers.
func fuzzServer(f *testing.F) (*Server, string) {
	clock := clocktest.New(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	srv, err := New(Options{BaseURL: "http://sandbox.test", Controls: true, Now: clock.Now, Rand: rand.NewChaCha8([32]byte{7}),
		HTTPClient: &http.Client{Transport: refuseTransport{}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	srv.mu.Lock()
	tok := &token{AccessToken: "fuzz-token", TenantID: DefaultTenantID, ExpiresAt: clock.Now().Add(24 * time.Hour)}
	srv.st.Tokens[tok.AccessToken] = tok
	srv.mu.Unlock()
	return srv, tok.AccessToken
}

// refuseTransport fails every outgoing request: fuzzing must not reach
// the network (subscription validation).
type refuseTransport struct{}

func (refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, http.ErrHandlerTimeout
}

// FuzzEventBody feeds arbitrary bytes to the event parser, then creates,
// expands, renders and patches what it accepts: never a panic, only 4xx
// errors, and every rendered event is JSON with Graph's time form.
func FuzzEventBody(f *testing.F) {
	for _, s := range []string{
		`{"subject":"x","start":{"dateTime":"2026-12-07T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T10:00:00","timeZone":"UTC"}}`,
		`{"start":{"dateTime":"2026-12-07T09:00:00.1234567","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-12-07T10:00:00","timeZone":"Europe/Paris"},"isOnlineMeeting":true}`,
		`{"start":{"dateTime":"2026-12-07T00:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-08T00:00:00","timeZone":"UTC"},"isAllDay":true,"showAs":"oof"}`,
		`{"start":{"dateTime":"2026-12-07T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T09:30:00","timeZone":"UTC"},"recurrence":{"pattern":{"type":"relativeMonthly","daysOfWeek":["friday"],"index":"last"},"range":{"type":"noEnd","startDate":"2026-12-01"}}}`,
		`{"attendees":[{"emailAddress":{"address":"a@b.c"},"type":"optional"}],"transactionId":"t"}`,
		`{"recurrence":null}`, `[]`, `{"subject":1}`, `{"start":{"dateTime":"2026-02-30T25:00:00"}}`,
	} {
		f.Add([]byte(s))
	}
	srv, _ := fuzzServer(f)
	srv.mu.Lock()
	u := srv.addUser(srv.st.Tenants[DefaultTenantID], "fuzz@example.com", "", "", nil)
	srv.mu.Unlock()
	c := &call{tenant: srv.st.Tenants[DefaultTenantID], tz: time.UTC, tzName: "UTC", maxPage: 10}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, gerr := parseEventInput(body, false)
		if gerr != nil {
			if gerr.Status != 400 {
				t.Fatalf("parse: %v", gerr)
			}
			return
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		for id, e := range srv.st.Events { // keep the calendar small
			delete(srv.st.Events, id)
			delete(srv.st.byRegular, e.RegularID)
		}
		e, gerr := srv.newEvent(u, in)
		if gerr != nil {
			if gerr.Status != 400 {
				t.Fatalf("create: %v", gerr)
			}
			return
		}
		check := func(m map[string]any) {
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			st := m["start"].(dateTimeTZ)
			if _, err := time.Parse(graphTime, st.DateTime); err != nil {
				t.Fatalf("start %q: %v in %s", st.DateTime, err, b)
			}
		}
		check(srv.render(instance{ev: e, f: &e.fields}, c))
		ins, _ := e.instances(e.Start.Add(-24*time.Hour), e.Start.Add(60*24*time.Hour), 50)
		for _, in := range ins {
			check(srv.render(in, c))
		}
		if len(ins) > 50 {
			t.Fatalf("%d instances past the bound", len(ins))
		}
		if _, gerr := srv.patchEvent(e, "", in); gerr != nil && gerr.Status != 400 {
			t.Fatalf("patch: %v", gerr)
		}
	})
}

// FuzzDateTime: the dateTime and DateTimeOffset parsers and the zone
// lookup never panic, and what they accept formats back to the same
// instant.
func FuzzDateTime(f *testing.F) {
	for _, s := range []string{"2026-12-07T09:00:00", "2026-12-07T09:00:00.0000000", "2026-12-07T09:00:00Z",
		"2026-12-07T09:00:00+05:30", "2026-12-07T09:00:00.12345678", "2026-13-07T09:00:00", "", "T", "Pacific Standard Time", "Europe/Berlin"} {
		f.Add(s, "Pacific Standard Time")
	}
	f.Fuzz(func(t *testing.T, s, zone string) {
		loc, ok := loadZone(zone)
		if !ok {
			loc = time.UTC
		}
		if tm, ok := parseLocalDateTime(s, loc); ok {
			again, ok := parseLocalDateTime(tm.Format(graphTime), loc)
			if !ok || !again.Equal(tm.Truncate(time.Second)) {
				t.Fatalf("%q in %s: %v then %v", s, zone, tm, again)
			}
		}
		if tm, ok := parseDateTimeOffset(s); ok {
			if again, ok := parseDateTimeOffset(tm.Format(time.RFC3339Nano)); !ok || !again.Equal(tm) {
				t.Fatalf("%q: %v then %v", s, tm, again)
			}
		}
	})
}

// FuzzRecurrence: any pattern the parser accepts expands in order, within
// its range and the step bound.
func FuzzRecurrence(f *testing.F) {
	for _, s := range []string{
		`{"pattern":{"type":"daily","interval":1},"range":{"type":"noEnd","startDate":"2026-01-01"}}`,
		`{"pattern":{"type":"weekly","interval":2,"daysOfWeek":["monday","friday"],"firstDayOfWeek":"monday"},"range":{"type":"numbered","startDate":"2026-01-01","numberOfOccurrences":10}}`,
		`{"pattern":{"type":"absoluteMonthly","dayOfMonth":31},"range":{"type":"endDate","startDate":"2026-01-01","endDate":"2027-01-01"}}`,
		`{"pattern":{"type":"relativeYearly","month":2,"daysOfWeek":["sunday","saturday"],"index":"last"},"range":{"type":"noEnd","startDate":"2026-01-01"}}`,
		`{"pattern":{"type":"absoluteYearly","month":2,"dayOfMonth":29},"range":{"type":"numbered","startDate":"2026-01-01","numberOfOccurrences":3,"recurrenceTimeZone":"Tokyo Standard Time"}}`,
		`{}`, `null`, `{"pattern":{"type":"weekly"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rc, gerr := parseRecurrence(raw, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), "UTC")
		if gerr != nil || rc == nil {
			return
		}
		var last time.Time
		n := 0
		var all []time.Time
		rc.dates(func(d time.Time) bool {
			all = append(all, d)
			if !last.IsZero() && !d.After(last) {
				t.Fatalf("%s: %v after %v", raw, d, last)
			}
			if d.Format("2006-01-02") < rc.Range.StartDate {
				t.Fatalf("%s: %v before the range", raw, d)
			}
			last = d
			n++
			return n < 500
		})
		if rc.Range.Type == "numbered" && n > rc.Range.NumberOfOccurrences {
			t.Fatalf("%s: %d occurrences", raw, n)
		}
		// Skipping ahead yields the same dates from there on.
		if len(all) > 10 {
			skip := all[len(all)/2]
			var got []time.Time
			rc.datesFrom(skip, func(d time.Time) bool {
				if !d.Before(skip) {
					got = append(got, d)
				}
				return len(got) < len(all)-len(all)/2
			})
			for i, d := range got {
				if !d.Equal(all[len(all)/2+i]) {
					t.Fatalf("%s: skipping to %v gives %v, want %v", raw, skip, d, all[len(all)/2+i])
				}
			}
		}
	})
}

// FuzzPreferAndIDs: the Prefer header and occurrence id parsers.
func FuzzPreferAndIDs(f *testing.F) {
	for _, s := range []string{`outlook.timezone="Pacific Standard Time", IdType="ImmutableId"`, `odata.maxpagesize=5`,
		`a="x,y";b, c=`, `"`, "AAMkAD=.20261207", "x.2026130"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p := parsePrefer([]string{s, s}); len(p) > 20 {
			t.Fatalf("%d preferences", len(p))
		}
		if sid, date, ok := parseOccurrenceID(s); ok {
			if occurrenceID(sid, date) != s {
				t.Fatalf("%q: %q %q", s, sid, date)
			}
		}
	})
}

// FuzzRequest sends arbitrary requests through the whole handler tree
// with a valid token: never a panic or a 5xx, and every /v1.0 answer with
// a body is JSON.
func FuzzRequest(f *testing.F) {
	for _, s := range []struct{ method, path, body string }{
		{"POST", "/v1.0/users/a@example.com/events", `{"subject":"x","start":{"dateTime":"2026-12-07T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-07T10:00:00","timeZone":"UTC"}}`},
		{"GET", "/v1.0/users/a@example.com/calendarView?startDateTime=2026-12-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z", ""},
		{"GET", "/v1.0/users/a@example.com/calendarView/delta?startDateTime=2026-12-01&endDateTime=2026-12-31&$skiptoken=x", ""},
		{"POST", "/v1.0/users/a@example.com/calendar/getSchedule", `{"schedules":["a@example.com"],"startTime":{"dateTime":"2026-12-07T00:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2026-12-08T00:00:00","timeZone":"UTC"},"availabilityViewInterval":5}`},
		{"POST", "/v1.0/$batch", `{"requests":[{"id":"1","method":"GET","url":"/users"},{"id":"2","method":"POST","url":"/users/a@example.com/events","body":{},"dependsOn":["1"]}]}`},
		{"POST", "/v1.0/users/a@example.com/onlineMeetings/createOrGet", `{"externalId":"e","startDateTime":"2026-12-07T09:00:00Z"}`},
		{"POST", "/v1.0/subscriptions", `{"changeType":"created","notificationUrl":"https://x.test/n","resource":"users/a@example.com/events","expirationDateTime":"2026-12-06T00:00:00Z"}`},
		{"PATCH", "/v1.0/users/a@example.com/events/AAMk.20261207", `{"subject":"y"}`},
		{"POST", "/example.com/oauth2/v2.0/token", `grant_type=client_credentials&client_id=x`},
		{"GET", "/common/v2.0/adminconsent?client_id=x&redirect_uri=http://127.0.0.1/", ""},
		{"POST", "/_sandbox/faults", `{"status":429}`},
		{"POST", "/_sandbox/users/a@example.com/events", `{"responseStatus":{"response":"tentativelyAccepted"}}`},
	} {
		f.Add(s.method, s.path, []byte(s.body))
	}
	srv, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || len(method) == 0 || len(method) > 10 ||
			strings.ContainsAny(method, " \r\n\t()<>@,;:\\\"/[]?={}") {
			return
		}
		req, err := http.NewRequest(method, "http://sandbox.test"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		if strings.Contains(path, "/oauth2/") || strings.Contains(path, "adminconsent") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		srv.faults.mu.Lock()
		srv.faults.list = nil // injected faults would answer 503 on purpose
		srv.faults.mu.Unlock()
		srv.mu.Lock() // a revoke control would leave every later input at 401
		srv.st.Tenants[DefaultTenantID].Consent = true
		srv.st.Tokens[tok] = &token{AccessToken: tok, TenantID: DefaultTenantID, ExpiresAt: srv.now().Add(time.Hour)}
		srv.mu.Unlock()
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if strings.HasPrefix(path, "/v1.0/") && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: not JSON: %s", method, path, rec.Body)
		}
	})
}
