package davserver

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// davEnv is a CalDAV server on a real socket over a fresh store, with two
// users of one account and one of another.
type davEnv struct {
	t      testing.TB
	db     *store.DB
	cals   *calendar.Service
	srv    *httptest.Server
	tokens map[string]string // e-mail → API token
	users  map[string]*store.User
}

func newDAVEnv(t testing.TB, engine string) *davEnv {
	t.Helper()
	return newDAVEnvWith(t, engine, calendar.Limits{})
}

// newDAVEnvWith is newDAVEnv with the calendar limits lim.
func newDAVEnvWith(t testing.TB, engine string, lim calendar.Limits) *davEnv {
	t.Helper()
	db := storetest.Open(t, engine)
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := seal.New(key)
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	e := &davEnv{t: t, db: db, tokens: map[string]string{}, users: map[string]*store.User{}}
	e.cals = calendar.New(db, box, calendar.Options{Now: func() time.Time { return now }, Limits: lim})
	ctx := context.Background()
	for _, acc := range []string{"acc_1", "acc_2"} {
		if err := db.CreateAccount(ctx, &store.Account{ID: acc, Name: acc, Language: "en", Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	for i, u := range []struct{ acc, email, tz string }{
		{"acc_1", "ann@acme.test", "Europe/Paris"},
		{"acc_1", "bob@acme.test", "America/New_York"},
		{"acc_2", "zed@beta.test", "UTC"},
	} {
		id := "usr_" + strings.Split(u.email, "@")[0]
		su := &store.User{ID: id, AccountID: u.acc, Email: u.email, Name: u.email, Role: store.RoleMember, TimeZone: u.tz,
			WorkingHours: account.DefaultWorkingHours, DefaultDuration: 30, Created: now}
		if err := db.CreateUser(ctx, su); err != nil {
			t.Fatal(err)
		}
		secret := "cvn_davtest" + strings.Repeat(string(rune('a'+i)), 20)
		if err := db.CreateToken(ctx, &store.Token{ID: "tok_" + id, AccountID: u.acc, UserID: id, Hash: account.HashToken(secret), Created: now}); err != nil {
			t.Fatal(err)
		}
		e.tokens[u.email], e.users[u.email] = secret, su
	}
	h := New(e.cals, accountsOf(e), "/dav", nil)
	mux := http.NewServeMux()
	mux.Handle("/dav/", http.StripPrefix("/dav", h))
	mux.Handle("/.well-known/caldav", h.WellKnown())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func accountsOf(e *davEnv) *account.Service { return account.New(e.db, nil, "") }

// do sends a request as user (no credentials when user is "").
func (e *davEnv) do(method, path, user string, hdr map[string]string, body string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, e.tokens[user])
	}
	if body != "" && hdr["Content-Type"] == "" {
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (e *davEnv) expect(method, path, user string, hdr map[string]string, body string, want int) (http.Header, string) {
	e.t.Helper()
	got, h, b := e.do(method, path, user, hdr, body)
	if got != want {
		e.t.Fatalf("%s %s: %d, want %d\n%s", method, path, got, want, b)
	}
	return h, b
}

const calPath = "/dav/ann@acme.test/calendars/default/"

func event(uid, start, end string, extra ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + start + "\r\nDTEND:" + end + "\r\n" +
		strings.Join(append(extra, ""), "\r\n") + "SUMMARY:" + uid + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

var calHdr = map[string]string{"Content-Type": "text/calendar; charset=utf-8"}

func withHdr(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

func TestDiscovery(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	h, _ := e.expect("PROPFIND", "/.well-known/caldav", "", nil, "", http.StatusMovedPermanently)
	if loc := h.Get("Location"); loc != "/dav/" {
		t.Errorf("well-known redirects to %q", loc)
	}
	// RFC 5397: the root names the current user's principal.
	_, body := e.expect("PROPFIND", "/dav/", "ann@acme.test", map[string]string{"Depth": "0"},
		`<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`, http.StatusMultiStatus)
	mustContain(t, "root", body, "/dav/ann@acme.test/")
	// RFC 4791 §6.2.1, RFC 6638 §2.4.1.
	_, body = e.expect("PROPFIND", "/dav/ann@acme.test/", "ann@acme.test", map[string]string{"Depth": "0"},
		`<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/><c:calendar-user-address-set/><d:principal-URL/><d:displayname/></d:prop></d:propfind>`,
		http.StatusMultiStatus)
	mustContain(t, "principal", body, "/dav/ann@acme.test/calendars/", "mailto:ann@acme.test", "principal-URL")
	if !regexp.MustCompile(`displayname[^>]*/>\s*</D:prop><D:status>HTTP/1.1 404`).MatchString(body) && !strings.Contains(body, "404") {
		t.Errorf("an unknown property is not answered 404:\n%s", body)
	}
	// The home lists the calendar with what sync clients look for.
	_, body = e.expect("PROPFIND", "/dav/ann@acme.test/calendars/", "ann@acme.test", map[string]string{"Depth": "1"},
		`<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">`+
			`<d:prop><d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><d:supported-report-set/><c:supported-calendar-component-set/></d:prop></d:propfind>`,
		http.StatusMultiStatus)
	mustContain(t, "home", body, calPath, `<calendar xmlns="urn:ietf:params:xml:ns:caldav">`, "<CS:getctag>0</CS:getctag>",
		"<D:sync-token>http://convene.dev/ns/sync/0</D:sync-token>", "<D:sync-collection/>", "<C:free-busy-query/>", `name="VEVENT"`, "Convene")
	// A write changes the ctag and the sync token.
	e.expect("PUT", calPath+"a.ics", "ann@acme.test", calHdr, event("a", "20260302T090000Z", "20260302T100000Z"), http.StatusCreated)
	_, body = e.expect("PROPFIND", calPath, "ann@acme.test", map[string]string{"Depth": "0"},
		`<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>`, http.StatusMultiStatus)
	mustContain(t, "calendar", body, "<CS:getctag>1</CS:getctag>", "sync/1<")
	if strings.Contains(body, "404") {
		t.Errorf("properties answered here are also answered 404:\n%s", body)
	}
	// Depth 1 on the calendar lists objects with their ETags.
	_, body = e.expect("PROPFIND", calPath, "ann@acme.test", map[string]string{"Depth": "1"},
		`<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`, http.StatusMultiStatus)
	mustContain(t, "listing", body, calPath+"a.ics", "getetag")
	// PROPPATCH (Apple Calendar's color): refused per property, 207.
	_, body = e.expect("PROPPATCH", calPath, "ann@acme.test", nil,
		`<d:propertyupdate xmlns:d="DAV:" xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop><a:calendar-color>#FF0000</a:calendar-color></d:prop></d:set></d:propertyupdate>`,
		http.StatusMultiStatus)
	mustContain(t, "proppatch", body, `calendar-color xmlns:X="http://apple.com/ns/ical/"`, "403 Forbidden")
	// OPTIONS advertises CalDAV (RFC 4791 §5.1).
	h, _ = e.expect("OPTIONS", calPath, "ann@acme.test", nil, "", http.StatusNoContent)
	if !strings.Contains(h.Get("DAV"), "calendar-access") {
		t.Errorf("DAV header %q", h.Get("DAV"))
	}
}

func TestAuthenticationAndIsolation(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	e.expect("PUT", calPath+"a.ics", "ann@acme.test", calHdr, event("a", "20260302T090000Z", "20260302T100000Z"), http.StatusCreated)
	h, _ := e.expect("PROPFIND", "/dav/", "", nil, "", http.StatusUnauthorized)
	if !strings.Contains(h.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("WWW-Authenticate %q", h.Get("WWW-Authenticate"))
	}
	// Bob's token with Ann's address.
	req, _ := http.NewRequest("GET", e.srv.URL+calPath+"a.ics", nil)
	req.SetBasicAuth("ann@acme.test", e.tokens["bob@acme.test"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another user's token: %d", resp.StatusCode)
	}
	req.SetBasicAuth("ann@acme.test", "cvn_wrong")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d", resp.StatusCode)
	}
	// Bob, and a user of another account, cannot reach Ann's tree.
	for _, u := range []string{"bob@acme.test", "zed@beta.test"} {
		for _, m := range []struct{ method, path, body string }{
			{"GET", calPath + "a.ics", ""},
			{"PROPFIND", calPath, ""},
			{"DELETE", calPath + "a.ics", ""},
			{"REPORT", calPath, `<c:calendar-query xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:d="DAV:"><d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>`},
		} {
			if code, _, body := e.do(m.method, m.path, u, nil, m.body); code != http.StatusNotFound || strings.Contains(body, "BEGIN:VEVENT") {
				t.Errorf("%s %s %s: %d %s", u, m.method, m.path, code, body)
			}
		}
		if code, _, _ := e.do("PUT", calPath+"x.ics", u, calHdr, event("x", "20260302T090000Z", "20260302T100000Z")); code != http.StatusNotFound {
			t.Errorf("%s PUT into Ann's calendar: %d", u, code)
		}
	}
	if code, _, _ := e.do("GET", calPath+"a.ics", "ann@acme.test", nil, ""); code != http.StatusOK {
		t.Errorf("Ann's own object: %d", code)
	}
}

func TestObjectsWithETags(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	data := event("e1", "20260302T090000Z", "20260302T100000Z")
	h, _ := e.expect("PUT", calPath+"e1.ics", "ann@acme.test", withHdr(calHdr, "If-None-Match", "*"), data, http.StatusCreated)
	etag := h.Get("ETag")
	if etag == "" {
		t.Fatal("PUT answered no ETag")
	}
	h, body := e.expect("GET", calPath+"e1.ics", "ann@acme.test", nil, "", http.StatusOK)
	if body != data || h.Get("ETag") != etag || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Errorf("GET: ETag %q (PUT said %q), body differs from what was PUT: %v", h.Get("ETag"), etag, body != data)
	}
	e.expect("GET", calPath+"e1.ics", "ann@acme.test", map[string]string{"If-None-Match": etag}, "", http.StatusNotModified)
	e.expect("PUT", calPath+"e1.ics", "ann@acme.test", withHdr(calHdr, "If-None-Match", "*"), data, http.StatusPreconditionFailed)
	changed := event("e1", "20260302T090000Z", "20260302T110000Z")
	e.expect("PUT", calPath+"e1.ics", "ann@acme.test", withHdr(calHdr, "If-Match", `"stale"`), changed, http.StatusPreconditionFailed)
	h, _ = e.expect("PUT", calPath+"e1.ics", "ann@acme.test", withHdr(calHdr, "If-Match", etag), changed, http.StatusCreated)
	etag2 := h.Get("ETag")
	if etag2 == etag || etag2 == "" {
		t.Errorf("update: ETag %q after %q", etag2, etag)
	}
	// RFC 4791 §5.3.2.1: one UID per resource.
	_, body = e.expect("PUT", calPath+"other.ics", "ann@acme.test", calHdr, changed, http.StatusConflict)
	mustContain(t, "UID conflict", body, "no-uid-conflict")
	todo := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTAMP:20260101T000000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
	_, body = e.expect("PUT", calPath+"t.ics", "ann@acme.test", calHdr, todo, http.StatusConflict)
	mustContain(t, "VTODO", body, "supported-calendar-component")
	e.expect("PUT", calPath+"bad.ics", "ann@acme.test", calHdr, "BEGIN:VCALENDAR\r\nnope", http.StatusBadRequest)
	e.expect("DELETE", calPath+"e1.ics", "ann@acme.test", map[string]string{"If-Match": etag}, "", http.StatusPreconditionFailed)
	e.expect("DELETE", calPath+"e1.ics", "ann@acme.test", map[string]string{"If-Match": etag2}, "", http.StatusNoContent)
	e.expect("GET", calPath+"e1.ics", "ann@acme.test", nil, "", http.StatusNotFound)
	e.expect("DELETE", calPath+"e1.ics", "ann@acme.test", nil, "", http.StatusNotFound)
	e.expect("MKCOL", "/dav/ann@acme.test/calendars/other/", "ann@acme.test", nil, "", http.StatusForbidden)
}

const weekQuery = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/>%s</D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20260309T000000Z" end="20260316T000000Z"/>%s
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`

func fill(s string, args ...string) string {
	for _, a := range args {
		s = strings.Replace(s, "%s", a, 1)
	}
	return s
}

func TestCalendarQueryTimeRangeAndExpand(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	ann := e.users["ann@acme.test"]
	ctx := context.Background()
	body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" +
		// Weekly on Tuesdays 10:00 Paris from March 3; the March 10 one
		// moved to 14:00; daily standup on the 2nd only; a March 20 event.
		"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Paris:20260303T100000\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:weekly\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Paris:20260310T100000\r\nDTSTART;TZID=Europe/Paris:20260310T140000\r\nDURATION:PT1H\r\nSUMMARY:moved\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:past\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T080000Z\r\nDTEND:20260302T090000Z\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:inweek\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260312T080000Z\r\nDTEND:20260312T090000Z\r\nSUMMARY:lunch & learn\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:later\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260320T080000Z\r\nDTEND:20260320T090000Z\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	p := account.Principal{AccountID: ann.AccountID, UserID: ann.ID, Email: ann.Email, Role: ann.Role}
	if _, err := e.cals.Import(ctx, p, ann.Email, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	_, resp := e.expect("REPORT", calPath, "ann@acme.test", map[string]string{"Depth": "1"}, fill(weekQuery, "<C:calendar-data/>", ""), http.StatusMultiStatus)
	hrefs := regexp.MustCompile(`<D:href>[^<]*/([0-9a-f]+\.ics)</D:href>`).FindAllStringSubmatch(resp, -1)
	if len(hrefs) != 2 {
		t.Fatalf("one-week query found %d objects, want weekly and inweek:\n%s", len(hrefs), resp)
	}
	mustContain(t, "query", resp, calendar.ObjectName("weekly"), calendar.ObjectName("inweek"), "RRULE:FREQ=WEEKLY", "lunch &amp; learn")
	// A text-match on SUMMARY goes through go-webdav's matcher.
	_, resp = e.expect("REPORT", calPath, "ann@acme.test", map[string]string{"Depth": "1"},
		fill(weekQuery, "", `<C:prop-filter name="SUMMARY"><C:text-match>lunch</C:text-match></C:prop-filter>`), http.StatusMultiStatus)
	if strings.Count(resp, "<D:response>") != 1 || !strings.Contains(resp, calendar.ObjectName("inweek")) {
		t.Errorf("text-match:\n%s", resp)
	}
	// RFC 4791 §9.6.5: expanded instances, in UTC, without RRULE.
	_, resp = e.expect("REPORT", calPath, "ann@acme.test", map[string]string{"Depth": "1"},
		fill(weekQuery, `<C:calendar-data><C:expand start="20260301T000000Z" end="20260320T000000Z"/></C:calendar-data>`, ""), http.StatusMultiStatus)
	mustContain(t, "expand", resp, "RECURRENCE-ID:20260303T090000Z", "DTSTART:20260303T090000Z",
		"RECURRENCE-ID:20260310T090000Z", "DTSTART:20260310T130000Z", "SUMMARY:moved", "DTSTART:20260317T090000Z")
	if strings.Contains(resp, "RRULE") || strings.Contains(resp, "TZID") {
		t.Errorf("expanded data still has RRULE or TZID:\n%s", resp)
	}
	// VTODO queries find nothing; VCALENDAR alone finds everything.
	_, resp = e.expect("REPORT", calPath, "ann@acme.test", nil,
		`<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter></C:calendar-query>`,
		http.StatusMultiStatus)
	if strings.Contains(resp, "<D:response>") {
		t.Errorf("VTODO query found events:\n%s", resp)
	}
	_, resp = e.expect("REPORT", calPath, "ann@acme.test", nil,
		`<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`,
		http.StatusMultiStatus)
	if n := strings.Count(resp, "<D:response>"); n != 4 {
		t.Errorf("unfiltered query found %d objects, want 4", n)
	}
	// Multiget: two objects and a missing one.
	_, resp = e.expect("REPORT", calPath, "ann@acme.test", nil,
		`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/><D:displayname/></D:prop>`+
			`<D:href>`+calPath+calendar.ObjectName("past")+`</D:href><D:href>`+calPath+calendar.ObjectName("later")+`</D:href><D:href>`+calPath+`nope.ics</D:href></C:calendar-multiget>`,
		http.StatusMultiStatus)
	mustContain(t, "multiget", resp, "UID:past", "UID:later", calPath+"nope.ics</D:href><D:status>HTTP/1.1 404 Not Found", "<D:displayname/>")
	e.expect("REPORT", calPath, "ann@acme.test", nil, `<D:expand-property xmlns:D="DAV:"/>`, http.StatusForbidden)
	e.expect("REPORT", calPath, "ann@acme.test", nil, `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VEVENT"/></C:filter></C:calendar-query>`, http.StatusBadRequest)
}

func TestSyncCollection(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	for _, n := range []string{"a", "b", "c"} {
		e.expect("PUT", calPath+n+".ics", "ann@acme.test", calHdr, event(n, "20260302T090000Z", "20260302T100000Z"), http.StatusCreated)
	}
	sync := func(token string, limit string) string {
		_, b := e.expect("REPORT", calPath, "ann@acme.test", nil,
			`<D:sync-collection xmlns:D="DAV:"><D:sync-token>`+token+`</D:sync-token><D:sync-level>1</D:sync-level>`+limit+`<D:prop><D:getetag/></D:prop></D:sync-collection>`,
			http.StatusMultiStatus)
		return b
	}
	tokenOf := func(b string) string {
		m := regexp.MustCompile(`<D:sync-token>([^<]+)</D:sync-token>`).FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("no sync-token in\n%s", b)
		}
		return m[1]
	}
	first := sync("", "")
	if strings.Count(first, "<D:response>") != 3 {
		t.Fatalf("initial sync:\n%s", first)
	}
	tok := tokenOf(first)
	if again := sync(tok, ""); strings.Contains(again, "<D:response>") || tokenOf(again) != tok {
		t.Errorf("sync without changes:\n%s", again)
	}
	e.expect("PUT", calPath+"b.ics", "ann@acme.test", calHdr, event("b", "20260302T090000Z", "20260302T120000Z"), http.StatusCreated)
	e.expect("DELETE", calPath+"c.ics", "ann@acme.test", nil, "", http.StatusNoContent)
	e.expect("PUT", calPath+"d.ics", "ann@acme.test", calHdr, event("d", "20260302T090000Z", "20260302T100000Z"), http.StatusCreated)
	next := sync(tok, "")
	mustContain(t, "incremental sync", next, calPath+"b.ics</D:href><D:propstat>", calPath+"c.ics</D:href><D:status>HTTP/1.1 404", calPath+"d.ics")
	if strings.Contains(next, "a.ics") {
		t.Errorf("unchanged a.ics in the incremental sync:\n%s", next)
	}
	// RFC 6578 §3.6: a limit cuts the answer and says 507 for the rest.
	part := sync(tok, `<D:limit><D:nresults>1</D:nresults></D:limit>`)
	if strings.Count(part, "<D:propstat>")+strings.Count(part, "404 Not Found") != 1 || !strings.Contains(part, "507") {
		t.Errorf("limited sync:\n%s", part)
	}
	rest := sync(tokenOf(part), "")
	if strings.Count(rest, "<D:response>") != 2 {
		t.Errorf("the rest after a limited sync:\n%s", rest)
	}
	for _, bad := range []string{"http://convene.dev/ns/sync/999", "urn:other:1", "http://convene.dev/ns/sync/x"} {
		_, _, b := e.do("REPORT", calPath, "ann@acme.test", nil,
			`<D:sync-collection xmlns:D="DAV:"><D:sync-token>`+bad+`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`)
		if !strings.Contains(b, "valid-sync-token") {
			t.Errorf("token %s: %s", bad, b)
		}
	}
}

func TestFreeBusyQuery(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	e.expect("PUT", calPath+"a.ics", "ann@acme.test", calHdr, event("a", "20260302T090000Z", "20260302T100000Z"), http.StatusCreated)
	e.expect("PUT", calPath+"b.ics", "ann@acme.test", calHdr, event("b", "20260302T093000Z", "20260302T110000Z"), http.StatusCreated)
	e.expect("PUT", calPath+"t.ics", "ann@acme.test", calHdr, event("t", "20260302T130000Z", "20260302T140000Z", "STATUS:TENTATIVE"), http.StatusCreated)
	e.expect("PUT", calPath+"f.ics", "ann@acme.test", calHdr, event("f", "20260302T150000Z", "20260302T160000Z", "TRANSP:TRANSPARENT"), http.StatusCreated)
	h, body := e.expect("REPORT", calPath, "ann@acme.test", nil,
		`<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260302T000000Z" end="20260303T000000Z"/></C:free-busy-query>`, http.StatusOK)
	if !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	mustContain(t, "free-busy", body, "BEGIN:VFREEBUSY", "FREEBUSY;FBTYPE=BUSY:20260302T090000Z/20260302T110000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260302T130000Z/20260302T140000Z", "DTSTART:20260302T000000Z")
	if strings.Contains(body, "20260302T150000Z") {
		t.Errorf("a transparent event is busy:\n%s", body)
	}
}
