package davserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDAVRequests sends arbitrary REPORT and PROPFIND bodies through the
// whole handler (authentication, go-webdav, the REPORT parsers, the
// multistatus rewriting): it must never panic nor fail with 500.
func FuzzDAVRequests(f *testing.F) {
	for _, s := range []string{
		fill(weekQuery, "<C:calendar-data/>", ""),
		fill(weekQuery, `<C:calendar-data><C:expand start="20260301T000000Z" end="20260320T000000Z"/></C:calendar-data>`, `<C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">x</C:text-match></C:prop-filter>`),
		`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>` + calPath + `a.ics</D:href><D:href>%zz</D:href></C:calendar-multiget>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token>http://convene.dev/ns/sync/1</D:sync-token><D:sync-level>1</D:sync-level><D:limit><D:nresults>1</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>`,
		`<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260302T000000Z" end="20260301T000000Z"/></C:free-busy-query>`,
		`<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:sync-token/><d:supported-report-set/></d:prop></d:propfind>`,
		`<d:propfind xmlns:d="DAV:"><d:allprop/></d:propfind>`,
		`<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
		"", "<", "<x:y xmlns:x='z'/>",
		// Issue 8: nesting past the bound, and an expansion past the limits.
		`<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter>` + strings.Repeat(`<C:comp-filter name="VCALENDAR">`, 70) + strings.Repeat(`</C:comp-filter>`, 70) + `</C:filter></C:calendar-query>`,
		fill(weekQuery, `<C:calendar-data><C:expand start="20260301T000000Z" end="20990320T000000Z"/></C:calendar-data>`, ""),
		`<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260301T000000Z" end="20990101T000000Z"/></C:free-busy-query>`,
		`<d:propfind xmlns:d="DAV:"><d:prop><d:quota-used-bytes/><d:quota-available-bytes/></d:prop></d:propfind>`,
		`<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:x>` + strings.Repeat("<d:y>", 80) + `</d:x></d:prop></d:set></d:propertyupdate>`,
	} {
		f.Add("REPORT", s)
		f.Add("PROPFIND", s)
		f.Add("PROPPATCH", s)
	}
	e := newDAVEnv(f, "sqlite")
	e.expect("PUT", calPath+"a.ics", "ann@acme.test", calHdr, event("a", "20260302T090000Z", "20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=3"), http.StatusCreated)
	e.expect("PUT", calPath+"s.ics", "ann@acme.test", calHdr, event("s", "20260302T090000Z", "20260302T090001Z", "RRULE:FREQ=MINUTELY;INTERVAL=5"), http.StatusCreated)
	h := New(e.cals, accountsOf(e), "/dav", nil)
	// Small limits, so that random queries reach them.
	h.Limits = ReportLimits{MaxInstances: 300, MaxInstancesPerObject: 200, MaxExpandedBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, method, body string) {
		if method != "REPORT" && method != "PROPFIND" && method != "PROPPATCH" {
			return
		}
		for _, target := range []string{calPath, "/dav/ann@acme.test/", "/dav/"} {
			req := httptest.NewRequest(method, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/xml")
			req.Header.Set("Depth", "1")
			req.SetBasicAuth("ann@acme.test", e.tokens["ann@acme.test"])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s %s: %d\n%s", method, target, w.Code, w.Body.String())
			}
		}
	})
}
