package e2e

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
	"github.com/convene/convene/internal/testenv"
)

// caldavScript subscribes to a user's built-in calendar with Debian's
// python3-caldav, checks the imported event is there, and writes one.
const caldavScript = `
import sys, caldav
url, user, token = sys.argv[1:4]
cal = caldav.DAVClient(url=url, username=user, password=token).principal().calendars()[0]
uids = sorted(str(e.vobject_instance.vevent.uid.value) for e in cal.events())
assert uids == ["standup"], uids
cal.save_event("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:from-caldav\r\n"
    "DTSTAMP:20300101T000000Z\r\nDTSTART;TZID=America/New_York:20300304T103000\r\n"
    "DTEND;TZID=America/New_York:20300304T110000\r\nSUMMARY:written by a CalDAV client\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
print("done")
`

// TestCalendarThroughBinary: an admin imports a user's calendar with PUT,
// the user subscribes with python3-caldav (and writes an event), and the
// availability answer leaves out both busy times.
func TestCalendarThroughBinary(t *testing.T) {
	py := testenv.Python(t, "caldav")
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			_, env := serveEnv(t, engine, dns)
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			a := c.must("POST", "/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.test", "admin_name": "Ann", "timezone": "Europe/Paris"}, 201)
			ann := a["token"].(string)
			d := c.must("POST", "/api/v1/domains", ann, map[string]any{"domain": "acme.test"}, 201)
			dns.SetTXT(d["txt_name"].(string), d["txt_value"].(string))
			c.must("POST", "/api/v1/domains/acme.test/verify", ann, nil, 200)
			u := c.must("POST", "/api/v1/users", ann, map[string]any{"email": "carl@acme.test", "name": "Carl", "timezone": "America/New_York"}, 201)
			carl := u["token"].(string)

			// Carl's stand-up, 09:00-10:00 New York every weekday.
			ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20300101T000000Z\r\n" +
				"DTSTART;TZID=America/New_York:20300225T090000\r\nDTEND;TZID=America/New_York:20300225T100000\r\n" +
				"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\nSUMMARY:stand-up\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			req, _ := http.NewRequest("PUT", p.URL+"/api/v1/users/carl@acme.test/calendar", strings.NewReader(ics))
			req.Header.Set("Authorization", "Bearer "+ann)
			req.Header.Set("Content-Type", "text/calendar")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"added":1`) {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}

			// Monday 4 March 2030: Ann works 08:00-16:00Z, Carl 14:00-22:00Z
			// and is busy 14:00-15:00Z.
			q := "/api/v1/availability?attendees=ann@acme.test,carl@acme.test&duration=30&from=2030-03-04T00:00:00Z&to=2030-03-05T00:00:00Z&timezone=UTC"
			starts := func() string {
				out := c.must("GET", q, ann, nil, 200)
				var s []string
				for _, sl := range out["slots"].([]any) {
					s = append(s, sl.(map[string]any)["start"].(string))
				}
				return strings.Join(s, " ")
			}
			if got := starts(); got != "2030-03-04T15:00:00Z 2030-03-04T15:15:00Z 2030-03-04T15:30:00Z" {
				t.Errorf("slots after the import: %s", got)
			}

			// Carl subscribes over CalDAV and adds 10:30-11:00 New York.
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, py, "-c", caldavScript, p.URL+"/dav/", "carl@acme.test", carl).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "done") {
				t.Fatalf("python3-caldav: %v\n%s", err, out)
			}
			if got := starts(); got != "2030-03-04T15:00:00Z" {
				t.Errorf("slots after the CalDAV write: %s", got)
			}
			// Ann cannot reach Carl's calendar over CalDAV with her token.
			req, _ = http.NewRequest("PROPFIND", p.URL+"/dav/carl@acme.test/calendars/default/", nil)
			req.SetBasicAuth("ann@acme.test", ann)
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
				t.Errorf("Ann's PROPFIND of Carl's calendar: %v %v", resp.StatusCode, err)
			}
			// RFC 6764 discovery leads to /dav/.
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			loc := "/.well-known/caldav"
			for range 3 {
				resp, err := noFollow.Get(p.URL + loc)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusMovedPermanently && resp.StatusCode != http.StatusTemporaryRedirect {
					break
				}
				loc = resp.Header.Get("Location")
			}
			if loc != "/dav/" {
				t.Errorf("/.well-known/caldav leads to %q", loc)
			}
		})
	}
}
