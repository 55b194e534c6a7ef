package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
	"github.com/convene/convene/internal/testenv"
)

// outbox returns the mail of a meeting (newest first) through the API.
func outbox(t *testing.T, c client, owner, meetingID string) []map[string]any {
	t.Helper()
	out := c.must("GET", "/api/v1/outbox?meeting="+meetingID, owner, nil, 200)
	var ms []map[string]any
	for _, m := range out["mail"].([]any) {
		ms = append(ms, m.(map[string]any))
	}
	return ms
}

// rawMail fetches one mail as sent.
func rawMail(t *testing.T, c client, owner, id string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", c.base+"/api/v1/outbox/"+id+"/raw", nil)
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "message/rfc822" {
		t.Fatalf("raw mail %s: %d %s", id, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return b
}

// icsOf returns the MIME method and the text/calendar part of a mail.
func icsOf(t *testing.T, raw []byte) (string, string) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail does not parse: %v", err)
	}
	var method, ics string
	var walk func(*message.Entity)
	walk = func(e *message.Entity) {
		if mr := e.MultipartReader(); mr != nil {
			for p, err := mr.NextPart(); err == nil; p, err = mr.NextPart() {
				walk(p)
			}
			return
		}
		if mt, params, _ := e.Header.ContentType(); mt == "text/calendar" && ics == "" {
			b, _ := io.ReadAll(e.Body)
			method, ics = params["method"], string(b)
		}
	}
	walk(e)
	return method, ics
}

// vevent returns a property of the VEVENT of an .ics.
func vevent(ics, name string) string {
	u := strings.ReplaceAll(ics, "\r\n ", "")
	if i := strings.Index(u, "BEGIN:VEVENT"); i >= 0 {
		u = u[i:]
	}
	for _, line := range strings.Split(u, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if k, _, _ = strings.Cut(k, ";"); ok && k == name {
			return v
		}
	}
	return ""
}

// checkICS validates calendars with python3-icalendar, in one process.
func checkICS(t *testing.T, calendars []string) {
	t.Helper()
	py := testenv.Python(t, "icalendar")
	dir := t.TempDir()
	for i, c := range calendars {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.ics", i)), []byte(c), 0o600)
	}
	script := `
import sys, glob
from icalendar import Calendar
n = 0
for p in sorted(glob.glob(sys.argv[1] + "/*.ics")):
    cal = Calendar.from_ical(open(p, "rb").read())
    tz = {str(c["TZID"]) for c in cal.walk("VTIMEZONE")}
    for ev in cal.walk("VEVENT"):
        for k in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE", "ORGANIZER"):
            assert ev.get(k) is not None, (p, k)
        tzid = ev["DTSTART"].params.get("TZID")
        assert tzid is None or tzid in tz, (p, tzid)
        ev.decoded("DTSTART")
    n += 1
print(n)
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(len(calendars)) {
		t.Fatalf("python3-icalendar: %v\n%s", err, out)
	}
}

// TestMeetingsThroughTheBinary books, reschedules and cancels a meeting
// with three attendees, a weekly series and an instant meeting through the
// real binary and its built-in Zoom sandbox, checking Zoom, the outbox and
// every .ics at each step.
func TestMeetingsThroughTheBinary(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			dataDir, env := serveEnv(t, engine, dns)
			env = append(env, "CONVENE_ZOOM_SANDBOX_CONTROLS=on") // the test reads Zoom through /_sandbox
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			zoom := p.URL + "/zoom-sandbox"
			tn := setupTenant(t, c, dns, "acme.test")
			installZoom(t, c, tn)
			c.must("POST", "/api/v1/users", tn.owner, map[string]any{"email": "bea@acme.test", "name": "Béa", "timezone": "Asia/Kolkata"}, 201)
			var calendars []string
			mails := func(id string, n int, method, seq string) {
				t.Helper()
				var ms []map[string]any
				eventually(t, 15*time.Second, "mail", func() bool { ms = outbox(t, c, tn.owner, id); return len(ms) >= n })
				if len(ms) != n {
					t.Fatalf("meeting %s: %d mails, want %d", id, len(ms), n)
				}
				for _, m := range ms[:4] {
					mm, ics := icsOf(t, rawMail(t, c, tn.owner, m["id"].(string)))
					if mm != method || vevent(ics, "SEQUENCE") != seq {
						t.Errorf("mail to %v: method %s seq %s, want %s %s", m["to"], mm, vevent(ics, "SEQUENCE"), method, seq)
					}
					calendars = append(calendars, ics)
				}
			}

			m := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Kick-off", "start_time": "2031-02-04T10:00",
				"timezone": "Europe/Paris", "duration": 60, "attendees": []map[string]string{{"email": "owner@acme.test"},
					{"email": "bea@acme.test"}, {"email": "xavier@partner.example", "name": "Xavier"}}}, 201)
			id := m["id"].(string)
			v := m["video"].(map[string]any)
			if m["status"] != "booked" || v["join_url"] == "" || v["start_url"] == "" || v["invitation"] == "" {
				t.Fatalf("booked: %v", m)
			}
			zm := zoomMeetings(t, zoom)
			if len(zm) != 1 || zm[0]["start_time"] != "2031-02-04T09:00:00Z" || zm[0]["timezone"] != "Europe/Paris" {
				t.Fatalf("Zoom: %v", zm)
			}
			mails(id, 4, "REQUEST", "0")

			c.must("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"start_time": "2031-02-04T15:00"}, 200)
			eventually(t, 10*time.Second, "Zoom updated", func() bool {
				zm := zoomMeetings(t, zoom)
				return len(zm) == 1 && zm[0]["start_time"] == "2031-02-04T14:00:00Z"
			})
			mails(id, 8, "REQUEST", "1")

			c.must("DELETE", "/api/v1/meetings/"+id, tn.member, nil, 200)
			eventually(t, 10*time.Second, "Zoom deleted", func() bool { return len(zoomMeetings(t, zoom)) == 0 })
			mails(id, 12, "CANCEL", "2")

			// A weekly series: Zoom's occurrences are Convene's.
			s := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Weekly sync", "type": "recurring",
				"start_time": "2031-03-03T09:00", "timezone": "Europe/Paris", "duration": 30,
				"recurrence": map[string]string{"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=5"},
				"attendees":  []map[string]string{{"email": "owner@acme.test"}, {"email": "bea@acme.test"}, {"email": "xavier@partner.example"}}}, 201)
			ours := s["recurrence"].(map[string]any)["occurrences"].([]any)
			theirs := zoomMeetings(t, zoom)[0]["occurrences"].([]any)
			if len(ours) != 5 || len(theirs) != 5 {
				t.Fatalf("occurrences: %d and %d", len(ours), len(theirs))
			}
			for i := range ours {
				a, _ := time.Parse(time.RFC3339, ours[i].(map[string]any)["start_time"].(string))
				b, _ := time.Parse(time.RFC3339, theirs[i].(map[string]any)["start_time"].(string))
				if !a.Equal(b) {
					t.Errorf("occurrence %d: %v vs Zoom's %v", i, a, b)
				}
			}
			mails(s["id"].(string), 4, "REQUEST", "0")
			// Cancel its second occurrence.
			occ := ours[1].(map[string]any)["occurrence_id"].(string)
			c.must("DELETE", "/api/v1/meetings/"+s["id"].(string)+"?scope=this&occurrence="+occ, tn.member, nil, 200)
			mails(s["id"].(string), 8, "CANCEL", "1")

			// An instant meeting.
			in := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Now", "type": "instant", "duration": 15,
				"attendees": []map[string]string{{"email": "owner@acme.test"}}}, 201)
			if in["video"].(map[string]any)["join_url"] == "" {
				t.Fatalf("instant: %v", in)
			}
			checkICS(t, calendars)

			// No Zoom token in the database file or the logs.
			var toks struct {
				Tokens []struct{ AccessToken, RefreshToken string } `json:"tokens"`
			}
			zoomControl(t, "GET", zoom, "/_sandbox/tokens", nil, &toks)
			var db []byte
			if engine == "sqlite" {
				for _, suffix := range []string{"", "-wal"} {
					b, _ := os.ReadFile(filepath.Join(dataDir, "convene.db"+suffix))
					db = append(db, b...)
				}
			}
			logs := p.Stderr() + p.Stdout()
			for _, tk := range toks.Tokens {
				for _, secret := range []string{tk.AccessToken, tk.RefreshToken} {
					if secret != "" && (bytes.Contains(db, []byte(secret)) || strings.Contains(logs, secret)) {
						t.Errorf("a Zoom token is stored or logged in plaintext")
					}
				}
			}
			if engine == "sqlite" && len(toks.Tokens) > 0 && len(db) == 0 {
				t.Error("empty database file: the search cannot fail")
			}
		})
	}
}

// TestCrashAfterCommit kills the real process (SIGKILL) after a booking
// committed and before its Zoom meeting exists, and while its Zoom call is
// under way; after a restart the meeting gets exactly one Zoom meeting and
// each attendee exactly one invitation.
func TestCrashAfterCommit(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			dataDir, env := serveEnv(t, engine, dns)
			addr := freeAddr(t)
			sandbox := testbin.Start(t, nil, append([]string{"zoom-sandbox", "--addr", "127.0.0.1:0", "--domains", "acme.test",
				"--webhook-url", "http://" + addr + "/webhooks/zoom", "--data", filepath.Join(t.TempDir(), "zoom.json"),
				"--redirect-uri", "http://" + addr + "/oauth/zoom/callback"}, zoomApp.flags...)...)
			zoom := sandbox.URL
			env = append(env, "CONVENE_HTTP_ADDR="+addr, "CONVENE_ZOOM_API_URL="+zoom+"/v2", "CONVENE_ZOOM_OAUTH_URL="+zoom)
			env = append(env, zoomApp.env...)
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			tn := setupTenant(t, c, dns, "acme.test")
			installZoom(t, c, tn)
			queue := queueDB(t, dataDir, env)
			attendees := []map[string]string{{"email": "owner@acme.test"}, {"email": "a@partner.example"}, {"email": "b@partner.example"}}

			restart := func() {
				t.Helper()
				if err := p.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				p.Wait(ctx)
				zoomControl(t, "DELETE", zoom, "/_sandbox/faults", nil, nil)
				p = testbin.Start(t, env, "serve")
			}
			exactlyOnce := func(id, topic string) {
				t.Helper()
				eventually(t, 60*time.Second, "booked after the restart", func() bool {
					st, m := c.call("GET", "/api/v1/meetings/"+id, tn.member, nil)
					return st == 200 && m["status"] == "booked"
				})
				// Nothing in flight at Zoom, nothing left to run here.
				eventually(t, 10*time.Second, "Zoom done", func() bool { return holdsOf(t, zoom).Held == 0 })
				waitJobsDone(t, queue)
				n := 0
				for _, zm := range zoomMeetings(t, zoom) {
					if zm["topic"] == topic {
						n++
					}
				}
				if made := zoomCreates(t, zoom, topic); made != 1 {
					t.Errorf("Zoom created %d meetings for the booking", made)
				}
				ms := outbox(t, c, tn.owner, id)
				perRecipient := map[string]int{}
				for _, m := range ms {
					perRecipient[m["to"].([]any)[0].(string)]++
				}
				if len(ms) != 4 || len(perRecipient) != 4 {
					t.Errorf("invitations: %v", perRecipient)
				}
				if n != 1 {
					t.Errorf("Zoom has %d meetings for the booking", n)
				}
			}

			// 1. Zoom answers 503 to everything: the booking commits, the job
			// keeps failing, the process is killed.
			zoomControl(t, "POST", zoom, "/_sandbox/faults", map[string]any{"status": 503, "times": 100000}, nil)
			m := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Crash one", "start_time": "2031-05-06T10:00",
				"timezone": "UTC", "duration": 30, "attendees": attendees}, 202)
			id1 := m["id"].(string)
			if len(zoomMeetings(t, zoom)) != 0 {
				t.Fatal("Zoom has a meeting despite the faults")
			}
			restart()
			exactlyOnce(id1, "Crash one")
			c = client{t: t, base: p.URL}

			// 2. Killed while Zoom is creating it: Zoom commits after the
			// connection is gone, and the answer is lost.
			zoomControl(t, "POST", zoom, "/_sandbox/faults", map[string]any{"commit_then_delay_ms": 5000, "times": 1, "method": "POST", "path": "/v2/users"}, nil)
			done := make(chan int, 1)
			go func() {
				// The answer never comes: the process dies first.
				body, _ := json.Marshal(map[string]any{"subject": "Crash two", "start_time": "2031-05-07T10:00",
					"timezone": "UTC", "duration": 30, "attendees": attendees})
				req, _ := http.NewRequest("POST", c.base+"/api/v1/meetings", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tn.member)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
			var id2 string
			eventually(t, 10*time.Second, "booking committed", func() bool {
				st, list := c.call("GET", "/api/v1/meetings?from=2031-05-07T00:00:00Z&to=2031-05-08T00:00:00Z", tn.member, nil)
				if st == 200 && len(list["meetings"].([]any)) == 1 {
					id2 = list["meetings"].([]any)[0].(map[string]any)["id"].(string)
					return true
				}
				return false
			})
			// Zoom has made the meeting and holds the answer.
			eventually(t, 10*time.Second, "the Zoom call under way", func() bool { return holdsOf(t, zoom).Held == 1 })
			restart()
			if st := <-done; st != 0 {
				t.Errorf("the request killed mid-call was answered %d", st)
			}
			eventually(t, 10*time.Second, "Zoom committed the lost create", func() bool {
				for _, zm := range zoomMeetings(t, zoom) {
					if zm["topic"] == "Crash two" {
						return true
					}
				}
				return false
			})
			exactlyOnce(id2, "Crash two")
		})
	}
}
