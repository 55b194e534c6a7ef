package googlesandbox

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The sandbox's request parsers never panic and refuse bad input with a
// Google error; seeds are in testdata/fuzz.

func FuzzListQuery(f *testing.F) {
	f.Add("timeMin=2030-01-07T00:00:00Z&timeMax=2030-01-08T00:00:00Z&singleEvents=true&orderBy=startTime&maxResults=10")
	f.Add("syncToken=eyJjIjoiYSIsImUiOjAsIm4iOjF9&pageToken=e30")
	f.Add("eventTypes=focusTime&eventTypes=bogus&maxResults=0")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, e := parseListQuery(v, 25)
		if e == nil && (q.MaxResults < 1 || q.MaxResults > maxPageSize) {
			t.Fatalf("maxResults %d accepted", q.MaxResults)
		}
		if e != nil && (e.Status != 400 || e.Reason == "") {
			t.Fatalf("error %+v", e)
		}
		var st syncToken
		var pt pageToken
		decodeToken(v.Get("syncToken"), &st)
		decodeToken(v.Get("pageToken"), &pt)
	})
}

func FuzzEventBody(f *testing.F) {
	f.Add([]byte(`{"summary":"x","start":{"dateTime":"2030-01-07T09:00:00","timeZone":"Europe/Paris"},"end":{"dateTime":"2030-01-07T10:00:00","timeZone":"Europe/Paris"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3","EXDATE;TZID=Europe/Paris:20300114T090000"]}`))
	f.Add([]byte(`{"start":{"date":"2030-01-07"},"end":{"date":"2030-01-07"},"attendees":[{"email":"a@b"},{}]}`))
	f.Add([]byte(`{"id":"ABC","conferenceData":{"createRequest":{"requestId":""}},"reminders":null}`))
	f.Add([]byte(`[1,2`))
	base := &event{ID: "abcde", Summary: "s", Start: &eventTime{DateTime: "2030-01-07T09:00:00Z"}, End: &eventTime{DateTime: "2030-01-07T10:00:00Z"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, e := decodeEvent(body)
		if e == nil {
			if e := ev.check(); e == nil {
				ev.normalizeTimes()
				if len(ev.Recurrence) > 0 {
					sr, err := newSeries(ev, "UTC")
					if err != nil {
						t.Fatalf("checked recurrence does not parse: %v", err)
					}
					start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
					if os, _ := sr.between(start, start.AddDate(1, 0, 0), maxInstances); len(os) > maxInstances {
						t.Fatalf("%d instances", len(os))
					}
				}
			}
		}
		if m, err := mergePatch(base, body); err == nil && m == nil {
			t.Fatal("nil merge")
		}
	})
}

func FuzzFreeBusy(f *testing.F) {
	f.Add([]byte(`{"timeMin":"2030-01-07T00:00:00Z","timeMax":"2030-01-08T00:00:00Z","items":[{"id":"a@example.com"}],"timeZone":"Asia/Kolkata"}`))
	f.Add([]byte(`{"timeMin":"2030-01-08T00:00:00Z","timeMax":"2030-01-07T00:00:00Z","calendarExpansionMax":99}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, from, to, loc, e := parseFreeBusy(body)
		if e != nil {
			if e.Status != 400 {
				t.Fatalf("status %d", e.Status)
			}
			return
		}
		if !to.After(from) || to.Sub(from) > maxFreeBusyRange || loc == nil || len(req.Items) > maxFreeBusyCalendars {
			t.Fatalf("accepted %s", body)
		}
	})
}

func FuzzAssertion(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4In0.c2ln")
	f.Add("a.b.c")
	f.Add(strings.Repeat("x", 100))
	s, err := New(Options{BaseURL: "http://sandbox"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, assertion string) {
		if c, e := s.verifyAssertion(assertion); c != nil || e == nil {
			t.Fatalf("accepted %q", assertion)
		}
	})
}

func FuzzAuthRequest(f *testing.F) {
	const redirect = "http://app.test/cb"
	f.Add("client_id=c&redirect_uri=http%3A%2F%2Fapp.test%2Fcb&response_type=code&scope=openid+email+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.events&state=s&access_type=offline&prompt=consent&code_challenge=" + pkceS256("v") + "&code_challenge_method=S256")
	f.Add("client_id=c&redirect_uri=http%3A%2F%2Fapp.test%2Fcb&response_type=token&scope=openid")
	f.Add("client_id=c&client_id=c&redirect_uri=http%3A%2F%2Fapp.test%2Fcb&scope=&prompt=none+consent&include_granted_scopes=maybe")
	f.Add("client_id=nobody&redirect_uri=x")
	s, err := New(Options{BaseURL: "http://sandbox", OAuthClients: []OAuthClient{{ID: "c", Secret: "s", RedirectURIs: []string{redirect}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		a, e := s.parseAuthRequest(v)
		switch {
		case e == nil:
			if a.ResponseType != "code" || a.RedirectURI != redirect || len(a.Scopes) == 0 || len(a.Scopes) > maxScopes {
				t.Fatalf("accepted %+v", a)
			}
			for _, sc := range a.Scopes {
				if !slices.Contains(identityScopes, sc) && !slices.Contains(discoveryScopes, sc) {
					t.Fatalf("accepted scope %q", sc)
				}
			}
			if a.Challenge != "" && (!validVerifier(a.Challenge) || (a.Method != "S256" && a.Method != "plain")) {
				t.Fatalf("accepted challenge %q %q", a.Challenge, a.Method)
			}
			// What the consent form carries parses to the same request.
			b, e2 := s.parseAuthRequest(a.values())
			if e2 != nil || !slices.Equal(a.Scopes, b.Scopes) || a.State != b.State || a.Challenge != b.Challenge {
				t.Fatalf("form round trip: %+v %+v %+v", a, b, e2)
			}
		case e.Page:
			if e.Status != 400 && e.Status != 401 || e.Code == "" {
				t.Fatalf("page %+v", e)
			}
		default:
			if a == nil || a.RedirectURI != redirect || e.Code == "" {
				t.Fatalf("redirected error %+v to %+v", e, a)
			}
		}
	})
}
