package davserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// expandQuery asks for the events overlapping [from, to), expanded there.
func expandQuery(from, to string) string {
	return `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` +
		`<C:calendar-data><C:expand start="` + from + `" end="` + to + `"/></C:calendar-data></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="` + from + `" end="` + to + `"/>` +
		`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
}

// The reproduction of issue 8: ten events every second, a REPORT that
// expanded them over a day, used to answer 236 MB of calendar data built
// in 1 GB of memory. Such an event is refused when stored now
// (CALDAV:max-instances); the REPORT limits guard what may still be
// stored: ten events every 5 minutes, expanded over a month (86,400
// instances), are refused before anything is built, with the
// postcondition RFC 4791 §7.8 names.
func TestExpandOfEverySecondEventsIsRefused(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	_, body := e.expect("PUT", calPath+"dense.ics", "ann@acme.test", calHdr, event("dense", "20260302T000000Z", "20260302T000001Z", "RRULE:FREQ=SECONDLY"), http.StatusForbidden)
	mustContain(t, "dense PUT", body, "max-instances")
	for i := range 10 {
		n := "s" + strconv.Itoa(i)
		e.expect("PUT", calPath+n+".ics", "ann@acme.test", calHdr, event(n, "20260302T000000Z", "20260302T000500Z", "RRULE:FREQ=MINUTELY;INTERVAL=5"), http.StatusCreated)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, body = e.expect("REPORT", calPath, "ann@acme.test", map[string]string{"Depth": "1"},
		expandQuery("20260302T000000Z", "20260401T000000Z"), http.StatusForbidden)
	runtime.ReadMemStats(&after)
	mustContain(t, "refusal", body, "<D:number-of-matches-within-limits/>", "more than 5000 instances")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("the refused REPORT allocated %d MiB", alloc>>20)
	}
	// The same events over an hour expand as before.
	_, body = e.expect("REPORT", calPath, "ann@acme.test", map[string]string{"Depth": "1"},
		expandQuery("20260302T000000Z", "20260302T010000Z"), http.StatusMultiStatus)
	if n := strings.Count(body, "BEGIN:VEVENT"); n != 120 {
		t.Errorf("an hour of ten every-5-minute events expanded to %d instances, want 120", n)
	}
	// free-busy-query counts an object's instances past its limit as busy
	// to the end of the range, and refuses a REPORT past the total.
	fb := func(from, to string) string {
		return `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="` + from + `" end="` + to + `"/></C:free-busy-query>`
	}
	_, body = e.expect("REPORT", calPath, "ann@acme.test", nil, fb("20260302T000000Z", "20260401T000000Z"), http.StatusForbidden)
	mustContain(t, "free-busy refusal", body, "<D:number-of-matches-within-limits/>", "more than 20000")
	e.expect("DELETE", calPath+"s0.ics", "ann@acme.test", nil, "", http.StatusNoContent)
	for i := 2; i < 10; i++ {
		e.expect("DELETE", calPath+"s"+strconv.Itoa(i)+".ics", "ann@acme.test", nil, "", http.StatusNoContent)
	}
	_, body = e.expect("REPORT", calPath, "ann@acme.test", nil, fb("20260302T000000Z", "20260401T000000Z"), http.StatusOK)
	mustContain(t, "free-busy of one every-5-minute event", body, "FREEBUSY;FBTYPE=BUSY:20260302T000000Z/20260401T000000Z")
}

// Each limit refuses on its own: instances per object, per REPORT, and
// the bytes of expanded data.
func TestReportLimits(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	long := "DESCRIPTION:" + strings.Repeat("x", 600)
	for _, n := range []string{"a", "b", "c"} {
		e.expect("PUT", calPath+n+".ics", "ann@acme.test", calHdr, event(n, "20260302T090000Z", "20260302T100000Z", "RRULE:FREQ=DAILY", long), http.StatusCreated)
	}
	for _, tt := range []struct {
		name     string
		lim      ReportLimits
		from, to string
		want     int
		says     string
	}{
		{"within", ReportLimits{MaxInstances: 12, MaxInstancesPerObject: 4, MaxExpandedBytes: 64 << 10}, "20260302T000000Z", "20260306T000000Z", http.StatusMultiStatus, "BEGIN:VEVENT"},
		{"per object", ReportLimits{MaxInstances: 100, MaxInstancesPerObject: 4}, "20260302T000000Z", "20260307T000000Z", http.StatusForbidden, "more than 4 instances"},
		{"per report", ReportLimits{MaxInstances: 11, MaxInstancesPerObject: 4}, "20260302T000000Z", "20260306T000000Z", http.StatusForbidden, "more than 11 recurrence instances"},
		{"bytes", ReportLimits{MaxInstances: 100, MaxInstancesPerObject: 10, MaxExpandedBytes: 6 << 10}, "20260302T000000Z", "20260306T000000Z", http.StatusForbidden, "expanded calendar data would be over"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := New(e.cals, accountsOf(e), "/dav", nil)
			h.Limits = tt.lim
			req := httptest.NewRequest("REPORT", calPath, strings.NewReader(expandQuery(tt.from, tt.to)))
			req.SetBasicAuth("ann@acme.test", e.tokens["ann@acme.test"])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.want || !strings.Contains(w.Body.String(), tt.says) {
				t.Fatalf("%d, want %d saying %q:\n%.2000s", w.Code, tt.want, tt.says, w.Body.String())
			}
			if tt.want == http.StatusForbidden && !strings.Contains(w.Body.String(), "number-of-matches-within-limits") {
				t.Errorf("no DAV:number-of-matches-within-limits:\n%s", w.Body.String())
			}
		})
	}
}

// writeCounter is a ResponseWriter that counts the writes of the body and
// may cancel the request on the first one.
type writeCounter struct {
	header http.Header
	code   int
	writes int
	bytes  int
	cancel context.CancelFunc
}

func (w *writeCounter) Header() http.Header  { return w.header }
func (w *writeCounter) WriteHeader(code int) { w.code = code }
func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	w.bytes += len(p)
	if w.cancel != nil {
		w.cancel()
	}
	return len(p), nil
}

// A long answer leaves as it is written, not built whole first; and a
// client that leaves stops it.
func TestReportStreamsAndHonoursTheContext(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	long := "DESCRIPTION:" + strings.Repeat("y", 4000)
	for i := range 60 {
		n := "e" + strconv.Itoa(i)
		e.expect("PUT", calPath+n+".ics", "ann@acme.test", calHdr, event(n, "20260302T090000Z", "20260302T100000Z", long), http.StatusCreated)
	}
	h := New(e.cals, accountsOf(e), "/dav", nil)
	query := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	send := func(ctx context.Context, w *writeCounter) (aborted bool) {
		defer func() {
			if v := recover(); v != nil {
				if v != http.ErrAbortHandler {
					panic(v)
				}
				aborted = true
			}
		}()
		req := httptest.NewRequestWithContext(ctx, "REPORT", calPath, strings.NewReader(query))
		req.SetBasicAuth("ann@acme.test", e.tokens["ann@acme.test"])
		h.ServeHTTP(w, req)
		return false
	}
	w := &writeCounter{header: http.Header{}}
	if send(context.Background(), w) || w.code != http.StatusMultiStatus {
		t.Fatalf("REPORT: %d", w.code)
	}
	// 60 objects of 4 KB: about 250 KB, sent in pieces of flushAt.
	if w.bytes < 240<<10 || w.writes < 3 {
		t.Errorf("the answer of %d bytes went out in %d writes, want it streamed", w.bytes, w.writes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w = &writeCounter{header: http.Header{}, cancel: cancel}
	if !send(ctx, w) || w.writes != 1 {
		t.Errorf("a REPORT whose client left: aborted %v after %d writes, want cut after the first", w.code, w.writes)
	}
}

// Deeply nested XML bodies are the client's error (400), not the
// server's (500), for every method that reads XML.
func TestDeepXMLIsABadRequest(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	deep := strings.Repeat("<D:x>", 20000) + strings.Repeat("</D:x>", 20000)
	for _, m := range []struct{ method, body string }{
		{"REPORT", `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + deep + `</D:prop></C:calendar-query>`},
		// The reproduction: it answered 500 (encoding/xml's own depth
		// limit, taken for the server's failure).
		{"REPORT", `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter>` +
			strings.Repeat(`<C:comp-filter name="VCALENDAR">`, 20000) + strings.Repeat(`</C:comp-filter>`, 20000) + `</C:filter></C:calendar-query>`},
		{"PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop>` + deep + `</D:prop></D:propfind>`},
		{"PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + deep + `</D:prop></D:set></D:propertyupdate>`},
		{"MKCOL", `<D:mkcol xmlns:D="DAV:">` + deep + `</D:mkcol>`},
	} {
		code, _, body := e.do(m.method, calPath, "ann@acme.test", map[string]string{"Depth": "1"}, m.body)
		if code != http.StatusBadRequest || !strings.Contains(body, "nests deeper than 64") {
			t.Errorf("%s of %d bytes: %d %.200s", m.method, len(m.body), code, body)
		}
	}
	big := `<D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat("<D:getetag/>", maxRequestBody/12+1) + `</D:prop></D:propfind>`
	if code, _, _ := e.do("PROPFIND", calPath, "ann@acme.test", nil, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a PROPFIND over %d bytes: %d", maxRequestBody, code)
	}
}
