package pages_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/chrometest"
	"github.com/convene/convene/internal/store/storetest"
)

// guestWorld is a Convene served for the tests of the guests' links: Ann
// owns the account, acme.example is verified (a name reserved for
// documentation: without DNS on the sandbox), so the assistant's address
// is assistant@acme.example.
type guestWorld struct {
	t     *testing.T
	cv    *chrometest.Convene
	token string
}

func newGuestWorld(t *testing.T, cv *chrometest.Convene) *guestWorld {
	t.Helper()
	setup := mustAPI(t, "POST", cv.URL+"/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.example", "admin_name": "Ann"}, 201)
	g := &guestWorld{t: t, cv: cv, token: setup["token"].(string)}
	mustAPI(t, "PATCH", cv.URL+"/api/v1/users/me", g.token, map[string]any{"timezone": "Europe/Paris"}, 200)
	mustAPI(t, "POST", cv.URL+"/api/v1/domains", g.token, map[string]any{"domain": "acme.example"}, 201)
	mustAPI(t, "POST", cv.URL+"/api/v1/domains/acme.example/verify", g.token, nil, 200)
	return g
}

// mailAssistant sends Ann's request to the assistant over SMTP, as the
// trusted MTA (mx.acme.example, on 127.0.0.1) relays it: with its
// Authentication-Results saying DMARC passes.
func (g *guestWorld) mailAssistant(smtpAddr, subject, to, body string) {
	g.t.Helper()
	msg := "Authentication-Results: mx.acme.example; dmarc=pass header.from=acme.example\r\n" +
		"From: Ann <ann@acme.example>\r\nTo: " + to + "\r\nCc: assistant@acme.example\r\nSubject: " + subject + "\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\nMessage-ID: <" + fmt.Sprint(time.Now().UnixNano()) + "@acme.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n\r\nAnn\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "ann@acme.example", []string{"assistant@acme.example"}, []byte(msg)); err != nil {
		g.t.Fatalf("mail to the assistant: %v", err)
	}
}

// waitMail waits until the outbox holds n mails of kind to addr (the
// assistant writes them from a job) and returns them.
func (g *guestWorld) waitMail(kind, addr string, n int) []map[string]any {
	g.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []map[string]any
		box := mustAPI(g.t, "GET", g.cv.URL+"/api/v1/outbox?limit=1000", g.token, nil, 200)
		for _, x := range box["mail"].([]any) {
			m := x.(map[string]any)
			if to := m["to"].([]any); m["kind"] == kind && len(to) == 1 && to[0] == addr {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("%d %s mails to %s, want %d", len(got), kind, addr, n)
		}
		time.Sleep(50 * time.Millisecond) // polling the outbox for the job's mail
	}
}

// linkRE is an option's link in the text of the assistant's mail (below
// its time, indented); allRE the link to every time, on a line of its own.
var (
	linkRE = regexp.MustCompile(`(?m)^   (http://\S+/choose/[A-Za-z0-9_-]+)\r?$`)
	allRE  = regexp.MustCompile(`(?m)^(http://\S+/choose/[A-Za-z0-9_-]+)\r?$`)
)

// links reads a mail of options as sent and returns its options' links
// and its link to every time.
func (g *guestWorld) links(m map[string]any) (options []string, all string) {
	g.t.Helper()
	req, _ := http.NewRequest("GET", g.cv.URL+"/api/v1/outbox/"+url.PathEscape(m["id"].(string))+"/raw", nil)
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		g.t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			g.t.Fatalf("no text part in\n%s", raw)
		}
		if ct, _, _ := p.Header.(*mail.InlineHeader).ContentType(); ct == "text/plain" {
			b, _ := io.ReadAll(p.Body)
			for _, s := range linkRE.FindAllStringSubmatch(string(b), -1) {
				options = append(options, s[1])
			}
			if s := allRE.FindStringSubmatch(string(b)); s != nil {
				all = s[1]
			}
			if len(options) == 0 || all == "" {
				g.t.Fatalf("links missing from\n%s", b)
			}
			return options, all
		}
	}
}

// thisMonday is the Monday of the current week in Paris.
func thisMonday() time.Time {
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Now().In(paris)
	return time.Date(now.Year(), now.Month(), now.Day()-(int(now.Weekday())+6)%7, 0, 0, 0, 0, paris)
}

// TestGuestLinkRules: the rules of a guest's link, through the real
// server on both engines, for a proposal made through the API (which the
// assistant mails): opening the link (GET, HEAD, many times, as mail
// scanners do) answers nothing; the page's forms need the CSRF token of
// the browser that opened it (a fresh browser gets it from the link
// itself: nobody signs in); a tampered link answers nothing; the link's
// "Confirm" books its time, once: the same form again records nothing;
// the round's other links are then closed.
func TestGuestLinkRules(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			cv := chrometest.Serve(t, map[string]string{"CONVENE_DATABASE_URL": storetest.URL(t, engine)})
			g := newGuestWorld(t, cv)
			mon := thisMonday().AddDate(0, 0, 7)
			prop := mustAPI(t, "POST", cv.URL+"/api/v1/meetings", g.token, map[string]any{"subject": "Partnership", "duration": 30, "timezone": "Europe/Paris",
				"window":    map[string]string{"from": mon.Format("2006-01-02") + "T09:00", "to": mon.AddDate(0, 0, 4).Format("2006-01-02") + "T17:00"},
				"attendees": []map[string]string{{"email": "gus@guest.example", "name": "Gus"}}, "video_provider": "none"}, 201)
			id := prop["id"].(string)
			status := func() string {
				return mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, g.token, nil, 200)["status"].(string)
			}
			links, all := g.links(g.waitMail("assistant.options", "gus@guest.example", 1)[0])
			second := prop["options"].([]any)[1].(map[string]any)["start_time"].(string)

			gus := browsertest.New(t)
			var page *browsertest.Page
			for range 3 {
				page = gus.Get(links[1])
				if page.Status != 200 || !strings.Contains(page.Body, `id="confirm"`) || !strings.Contains(page.Body, `value="`+mustTime(t, second).UTC().Format(time.RFC3339)+`"`) ||
					page.Header.Get("Referrer-Policy") != "no-referrer" || page.Header.Get("X-Robots-Tag") != "noindex" || page.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("the link's page: %d %v\n%s", page.Status, page.Header, page.Body)
				}
			}
			if req, _ := http.NewRequest("HEAD", links[2], nil); true {
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("HEAD: %v %v", resp, err)
				}
				resp.Body.Close()
			}
			if p := gus.Get(all); p.Status != 200 || strings.Contains(p.Body, `id="confirm"`) || strings.Count(p.Body, `type="radio" name="start"`) != len(links) {
				t.Fatalf("the page of every time: %d\n%s", p.Status, p.Body)
			}
			if st := status(); st != "proposed" {
				t.Fatalf("opening the links answered: %s", st)
			}

			confirm := url.Values{"action": {"pick"}, "start": {second}}
			// A form without the token, or with another browser's.
			req, _ := http.NewRequest("POST", links[1], strings.NewReader(confirm.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("a confirmation without the CSRF token: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			other := browsertest.New(t)
			otherPage := other.Get(links[0])
			if p := gus.SubmitForm(page, ".pick", map[string]string{"csrf": csrfOf(t, otherPage.Body)}); p.Status != http.StatusForbidden {
				t.Errorf("a confirmation with another browser's CSRF token: %d", p.Status)
			}
			// A tampered link, with the page's own token.
			confirm.Set("csrf", csrfOf(t, page.Body))
			if p := gus.Post(links[1][:len(links[1])-6]+"AAAAAA", confirm); p.Status != http.StatusNotFound || !strings.Contains(p.Body, "This link does not work") {
				t.Errorf("a tampered link: %d", p.Status)
			}
			if st := status(); st != "proposed" {
				t.Fatalf("a refused confirmation answered: %s", st)
			}

			// The link's Confirm.
			page = gus.Get(links[1])
			done := gus.SubmitForm(page, ".pick", nil)
			if done.Status != 200 || !strings.Contains(done.Body, `id="booked"`) {
				t.Fatalf("confirm: %d\n%s", done.Status, done.Body)
			}
			v := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, g.token, nil, 200)
			if v["status"] != "booked" || !mustTime(t, v["start_time"].(string)).Equal(mustTime(t, second)) {
				t.Fatalf("booked: %v at %v, confirmed %s", v["status"], v["start_time"], second)
			}
			// Once: the same form again (a double click) records nothing;
			// the round's other links no longer answer.
			if p := gus.SubmitForm(page, ".pick", nil); p.Status != http.StatusConflict || !strings.Contains(p.Body, `id="booked"`) {
				t.Errorf("the same confirmation again: %d\n%s", p.Status, p.Body)
			}
			if p := other.SubmitForm(otherPage, ".pick", nil); p.Status != http.StatusConflict || strings.Contains(p.Body, `id="confirm"`) {
				t.Errorf("another link of the round after the booking: %d\n%s", p.Status, p.Body)
			}
			if v2 := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, g.token, nil, 200); v2["start_time"] != v["start_time"] {
				t.Errorf("the meeting moved to %v", v2["start_time"])
			}
			if ms := mustAPI(t, "GET", cv.URL+"/api/v1/meetings", g.token, nil, 200)["meetings"].([]any); len(ms) != 1 {
				t.Errorf("%d meetings", len(ms))
			}
			if n := len(g.waitMail("request", "gus@guest.example", 1)); n != 1 {
				t.Errorf("%d invitations to Gus", n)
			}
		})
	}
}

// csrfOf returns the CSRF token of a page's first form.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in\n%s", body)
	}
	return m[1]
}
