package davserver

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
)

// sized returns an event of about n bytes.
func sized(uid string, n int) string {
	ev := event(uid, "20260302T090000Z", "20260302T100000Z")
	return event(uid, "20260302T090000Z", "20260302T100000Z", "DESCRIPTION:"+strings.Repeat("d", max(n-len(ev)-14, 0)))
}

// RFC 4791 §5.3.2.1 and RFC 4331: an object over the calendar's
// max-resource-size is refused with 403 CALDAV:max-resource-size; a PUT
// that would take the user's calendar past their quota (events or bytes)
// with 507 DAV:quota-not-exceeded; both limits are advertised.
func TestPutLimitsAndQuota(t *testing.T) {
	e := newDAVEnvWith(t, "sqlite", calendar.Limits{MaxObjectBytes: 2048, MaxUserObjects: 3, MaxUserBytes: 5000})
	_, body := e.expect("PUT", calPath+"big.ics", "ann@acme.test", calHdr, sized("big", 2100), http.StatusForbidden)
	mustContain(t, "too large", body, "<C:max-resource-size/>", "over 2048 bytes")
	for _, n := range []string{"a", "b", "c"} {
		e.expect("PUT", calPath+n+".ics", "ann@acme.test", calHdr, sized(n, 1000), http.StatusCreated)
	}
	// A fourth event: over the count.
	_, body = e.expect("PUT", calPath+"d.ics", "ann@acme.test", calHdr, sized("d", 300), http.StatusInsufficientStorage)
	mustContain(t, "count quota", body, "<D:quota-not-exceeded/>", "4 events, over the limit of 3")
	// Changing one in place is no growth in count: fine up to the bytes.
	e.expect("PUT", calPath+"a.ics", "ann@acme.test", calHdr, sized("a", 2000), http.StatusCreated)
	_, body = e.expect("PUT", calPath+"b.ics", "ann@acme.test", calHdr, sized("b", 2040), http.StatusInsufficientStorage)
	mustContain(t, "bytes quota", body, "<D:quota-not-exceeded/>", "over the limit of 4.9 KiB")
	// Shrinking is always fine, and so is deleting; then there is room.
	e.expect("PUT", calPath+"b.ics", "ann@acme.test", calHdr, sized("b", 500), http.StatusCreated)
	e.expect("DELETE", calPath+"c.ics", "ann@acme.test", nil, "", http.StatusNoContent)
	e.expect("PUT", calPath+"d.ics", "ann@acme.test", calHdr, sized("d", 300), http.StatusCreated)
	// RFC 4791 §5.2.5, RFC 4331 §3-4: the limits as properties.
	_, body = e.expect("PROPFIND", calPath, "ann@acme.test", map[string]string{"Depth": "0"},
		`<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:max-resource-size/><d:quota-used-bytes/><d:quota-available-bytes/></d:prop></d:propfind>`,
		http.StatusMultiStatus)
	used := regexp.MustCompile(`<D:quota-used-bytes>(\d+)</D:quota-used-bytes>`).FindStringSubmatch(body)
	avail := regexp.MustCompile(`<D:quota-available-bytes>(\d+)</D:quota-available-bytes>`).FindStringSubmatch(body)
	if used == nil || avail == nil || !strings.Contains(body, ">2048</max-resource-size>") {
		t.Fatalf("limits not advertised:\n%s", body)
	}
	u, _ := strconv.Atoi(used[1])
	a, _ := strconv.Atoi(avail[1])
	if u < 2500 || u > 3000 || u+a != 5000 {
		t.Errorf("quota used %d, available %d, want about 2,700 of 5,000", u, a)
	}
	if strings.Contains(body, "404 Not Found") {
		t.Errorf("a limit answered 404:\n%s", body)
	}
}

// The import takes the same limits, and refuses whole: nothing of a
// refused import is stored.
func TestImportLimits(t *testing.T) {
	e := newDAVEnvWith(t, "sqlite", calendar.Limits{MaxObjectBytes: 2048, MaxUserObjects: 3, MaxUserBytes: 4000})
	ann := e.users["ann@acme.test"]
	p := account.Principal{AccountID: ann.AccountID, UserID: ann.ID, Email: ann.Email, Role: ann.Role}
	cal := func(events ...string) string {
		var b strings.Builder
		b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n")
		for _, ev := range events {
			_, rest, _ := strings.Cut(ev, "BEGIN:VEVENT")
			rest, _, _ = strings.Cut(rest, "END:VCALENDAR")
			b.WriteString("BEGIN:VEVENT" + rest)
		}
		b.WriteString("END:VCALENDAR\r\n")
		return b.String()
	}
	e.expect("PUT", calPath+"x.ics", "ann@acme.test", calHdr, sized("x", 500), http.StatusCreated)
	for _, tt := range []struct {
		name   string
		ics    string
		detail string
	}{
		{"an event too large", cal(sized("a", 300), sized("big", 2100)), `event "big" is 2.1 KiB, over the limit of 2.0 KiB per event`},
		{"too many events", cal(sized("a", 300), sized("b", 300), sized("c", 300)), "4 events, over the limit of 3"},
		{"too many bytes", cal(sized("a", 1800), sized("b", 1800)), "over the limit of 3.9 KiB per user"},
	} {
		_, err := e.cals.Import(context.Background(), p, ann.Email, strings.NewReader(tt.ics))
		fe, ok := failure.As(err)
		if !ok || fe.Kind != failure.TooLarge || !strings.Contains(fe.Detail, tt.detail) {
			t.Errorf("%s: %v, want too-large saying %q", tt.name, err, tt.detail)
		}
		use, err := e.cals.Usage(context.Background(), ann)
		if err != nil || use.Objects != 1 {
			t.Errorf("%s: the calendar holds %d objects after the refusal (%v), want the 1 it had", tt.name, use.Objects, err)
		}
	}
	if _, err := e.cals.Import(context.Background(), p, ann.Email, strings.NewReader(cal(sized("a", 1000), sized("b", 1000)))); err != nil {
		t.Errorf("an import within the limits: %v", err)
	}
}
