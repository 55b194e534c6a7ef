package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/mail/dovecottest"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
)

// mailWorld is the DNS of the organizer's and the guest's domains: each
// signs its mail with DKIM (python3-dkim) and publishes SPF "-all" (no
// address may send for it: only a valid signature proves a message) and
// DMARC p=reject.
type mailWorld struct {
	t             *testing.T
	acme, partner *mailtest.Key
}

func newMailWorld(t *testing.T, dns *dnstest.Server) *mailWorld {
	w := &mailWorld{t: t, acme: mailtest.NewKey(t), partner: mailtest.NewKey(t)}
	for domain, key := range map[string]*mailtest.Key{"acme.test": w.acme, "partner.example": w.partner} {
		dns.SetTXT(domain, "v=spf1 -all")
		dns.SetTXT("_dmarc."+domain, "v=DMARC1; p=reject")
		dns.SetTXT("s1._domainkey."+domain, key.Record)
	}
	return w
}

// sign signs raw for its From domain.
func (w *mailWorld) sign(domain string, raw []byte) []byte {
	key := w.acme
	if domain == "partner.example" {
		key = w.partner
	}
	return mailtest.Sign(w.t, raw, domain, "s1", key, "from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references")
}

var paris, _ = time.LoadLocation("Europe/Paris")

var frDays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// frenchRequest is Max's request: Claire (a colleague) and Bob (a guest)
// in To, the assistant in Cc.
func frenchRequest(id string) []byte {
	return mailtest.CRLF("From: Max Member <member@acme.test>\nTo: Claire Dubois <claire@acme.test>, Bob Guest <bob@partner.example>\n" +
		"Cc: assistant@acme.test\nSubject: Point projet\nMessage-ID: <" + id + ">\nDate: " + time.Now().In(paris).Format(time.RFC1123Z) + "\n" +
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" +
		"Bonjour Bob,\n\nPourrions-nous faire un point de 45 minutes la semaine prochaine ?\n\nBien à vous,\nMax\n")
}

// guestAnswer is Bob's answer, in words, to the mail with Message-ID
// inReplyTo.
func guestAnswer(id, inReplyTo, refs, words string) []byte {
	return mailtest.CRLF("From: Bob Guest <bob@partner.example>\nTo: Max Member via Acme <assistant@acme.test>\nSubject: Re: Point projet\n" +
		"Message-ID: <" + id + ">\nIn-Reply-To: " + inReplyTo + "\nReferences: " + refs + "\nDate: " + time.Now().In(paris).Format(time.RFC1123Z) + "\n" +
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" +
		"Bonjour,\n\n" + words + "\n\nBob\n\nLe lun. 3 mars 2031, Max Member via Acme <assistant@acme.test> a écrit :\n> Bonjour Bob,\n")
}

// allMail lists the account's outbox (newest first).
func allMail(t *testing.T, c client, owner string) []map[string]any {
	t.Helper()
	out := c.must("GET", "/api/v1/outbox?limit=1000", owner, nil, 200)
	var ms []map[string]any
	for _, m := range out["mail"].([]any) {
		ms = append(ms, m.(map[string]any))
	}
	return ms
}

// mailOf returns the outbox's mail of kind to addr.
func mailOf(t *testing.T, c client, owner, kind, addr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range allMail(t, c, owner) {
		to := m["to"].([]any)
		if m["kind"] == kind && len(to) == 1 && to[0] == addr {
			out = append(out, m)
		}
	}
	return out
}

// plainText returns a mail's text/plain part.
func plainText(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if ih, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := ih.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

// chooseRE is an option's link in the assistant's mail (below its time,
// indented); allRE the guest's link to every time, on a line of its own.
var (
	chooseRE = regexp.MustCompile(`(?m)^   (http://\S+/choose/[A-Za-z0-9_-]+)\r?$`)
	allRE    = regexp.MustCompile(`(?m)^(http://\S+/choose/[A-Za-z0-9_-]+)\r?$`)
)

// submatches returns the first group of each match.
func submatches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// inboxStatus waits until the inbox holds the message with Message-ID id
// in one of statuses, and returns it.
func inboxStatus(t *testing.T, c client, owner, id string, statuses ...string) map[string]any {
	t.Helper()
	var got map[string]any
	eventually(t, 60*time.Second, "message "+id+" "+strings.Join(statuses, "|"), func() bool {
		for _, m := range inbox(t, c, owner) {
			if m["message_id"] == id {
				for _, s := range statuses {
					if m["status"] == s {
						got = m
						return true
					}
				}
			}
		}
		return false
	})
	return got
}

// assistantStory is the end-to-end story through the binary: a
// DKIM-signed French request for a colleague and a guest; the guest's
// options in the outbox with working links; a spoofed copy that books
// nothing; the guest's answer in words; the meeting booked with its Zoom
// meeting and invitations to everyone; and messages delivered twice that
// change nothing. send delivers a message: through SMTP (swaks) or the
// IMAP mailbox (Dovecot).
func assistantStory(t *testing.T, c client, tn tenant, w *mailWorld, send func(raw []byte)) {
	c.must("POST", "/api/v1/users", tn.owner, map[string]any{"email": "claire@acme.test", "name": "Claire Dubois", "timezone": "Europe/Paris"}, 201)

	request := w.sign("acme.test", frenchRequest("req-1@acme.test"))
	send(request)
	if m := inboxStatus(t, c, tn.owner, "req-1@acme.test", "processed", "unprocessed", "rejected", "failed"); m["status"] != "processed" || m["authenticated"] != true {
		t.Fatalf("the request: %v", m)
	}
	var options []map[string]any
	eventually(t, 30*time.Second, "the guest's options", func() bool {
		options = mailOf(t, c, tn.owner, "assistant.options", "bob@partner.example")
		return len(options) == 1
	})
	meetingID := options[0]["meeting_id"].(string)
	mtg := c.must("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200)
	if mtg["status"] != "proposed" || mtg["duration"] != float64(45) {
		t.Fatalf("meeting %v", mtg)
	}
	raw := rawMail(t, c, tn.owner, options[0]["id"].(string))
	body := plainText(t, raw)
	urls, all := submatches(chooseRE, body), submatches(allRE, body)
	if len(urls) < 3 || len(urls) > 5 || len(all) != 1 || !strings.Contains(body, "Bonjour Bob") || !strings.Contains(string(raw), "In-Reply-To: <req-1@acme.test>") {
		t.Fatalf("the guest's mail:\n%s", raw)
	}
	// The links land on the guests' proposal page, in Bob's language:
	// each with its own time first and its button, the other times and
	// "none works"; fetching them (as a mail scanner does) answers
	// nothing.
	opts := mtg["options"].([]any)
	bob := browsertest.New(t)
	var first *browsertest.Page
	for k, u := range append(urls, all...) {
		page := bob.Get(u)
		if page.Status != 200 || !strings.Contains(page.Body, `<html lang="fr">`) || !strings.Contains(page.Body, "Point projet") ||
			!strings.Contains(page.Body, `id="none"`) || !strings.Contains(page.Body, `method="post"`) {
			t.Fatalf("GET %s: %d\n%s", u, page.Status, page.Body)
		}
		if k < len(urls) {
			want, _ := time.Parse(time.RFC3339, opts[k].(map[string]any)["start_time"].(string))
			if !strings.Contains(page.Body, `id="confirm"`) || !strings.Contains(page.Body, `name="start" value="`+want.UTC().Format(time.RFC3339)+`"`) {
				t.Fatalf("GET %s does not offer option %d first:\n%s", u, k+1, page.Body)
			}
		} else if strings.Contains(page.Body, `id="confirm"`) {
			t.Fatalf("the link to every time offers one first:\n%s", page.Body)
		}
		if first == nil {
			first = page
		}
	}
	if m := c.must("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200); m["status"] != "proposed" {
		t.Fatalf("fetching the links booked: %v", m["status"])
	}
	// A tampered link is refused with a page that says so, and answers
	// nothing, even with the page's own form token.
	tampered := urls[0][:len(urls[0])-4] + "AAAA"
	if page := bob.Get(tampered); page.Status != 404 || !strings.Contains(page.Body, "This link does not work") {
		t.Errorf("GET a tampered link: %d\n%s", page.Status, page.Body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(first.Body)
	if csrf == nil {
		t.Fatalf("no form token on\n%s", first.Body)
	}
	if page := bob.Post(tampered, url.Values{"csrf": {csrf[1]}, "action": {"pick"}, "start": {opts[0].(map[string]any)["start_time"].(string)}}); page.Status != 404 {
		t.Errorf("POST a tampered link: %d\n%s", page.Status, page.Body)
	}
	mails := len(allMail(t, c, tn.owner))

	// A spoofed copy (another Message-ID, no valid signature) books
	// nothing and sends nothing.
	send(frenchRequest("spoof-1@acme.test"))
	if m := inboxStatus(t, c, tn.owner, "spoof-1@acme.test", "processed", "unprocessed", "rejected"); m["status"] != "rejected" || m["authenticated"] != false {
		t.Errorf("the spoofed copy: %v", m)
	}

	// Bob answers in words with the second option.
	second, err := time.Parse(time.RFC3339, opts[1].(map[string]any)["start_time"].(string))
	if err != nil {
		t.Fatal(err)
	}
	local := second.In(paris)
	words := fmt.Sprintf("%s %dh%02d ça me va.", frDays[local.Weekday()], local.Hour(), local.Minute())
	answer := w.sign("partner.example", guestAnswer("bob-1@partner.example", options[0]["message_id"].(string), "<req-1@acme.test> "+options[0]["message_id"].(string), words))
	send(answer)
	if m := inboxStatus(t, c, tn.owner, "bob-1@partner.example", "processed", "unprocessed", "rejected", "failed"); m["status"] != "processed" {
		t.Fatalf("the guest's answer (%s): %v", words, m)
	}
	var booked map[string]any
	eventually(t, 60*time.Second, "the meeting booked with its Zoom meeting", func() bool {
		booked = c.must("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200)
		return booked["status"] == "booked"
	})
	if st, _ := time.Parse(time.RFC3339, booked["start_time"].(string)); !st.Equal(second) {
		t.Errorf("booked at %s, want %s", booked["start_time"], second)
	}
	video, _ := booked["video"].(map[string]any)
	if video == nil || video["provider"] != "zoom" || !strings.Contains(fmt.Sprint(video["join_url"]), "/zoom-sandbox/") {
		t.Fatalf("video %v", booked["video"])
	}
	zm := zoomMeetings(t, c.base+"/zoom-sandbox")
	if len(zm) != 1 || zm[0]["topic"] != "Point projet" || jsonID(zm[0]["id"]) != fmt.Sprint(video["id"]) {
		t.Fatalf("Zoom has %v", zm)
	}
	// The links now show the booking and answer nothing.
	if page := bob.Get(urls[0]); page.Status != 200 || !strings.Contains(page.Body, `id="booked"`) || strings.Contains(page.Body, `id="confirm"`) {
		t.Errorf("a link after the booking: %d\n%s", page.Status, page.Body)
	}
	for _, who := range []string{"member@acme.test", "claire@acme.test", "bob@partner.example"} {
		eventually(t, 30*time.Second, "the invitation to "+who, func() bool { return len(mailOf(t, c, tn.owner, "request", who)) == 1 })
	}
	eventually(t, 30*time.Second, "the organizer's confirmation", func() bool {
		return len(mailOf(t, c, tn.owner, "assistant.booked", "member@acme.test")) == 1
	})
	conf := mailOf(t, c, tn.owner, "assistant.booked", "member@acme.test")[0]
	if txt := plainText(t, rawMail(t, c, tn.owner, conf["id"].(string))); !strings.Contains(txt, "est réservé") || !strings.Contains(txt, fmt.Sprint(video["join_url"])) {
		t.Errorf("confirmation:\n%s", txt)
	}

	// Delivered twice: recorded as duplicates, nothing changes.
	before := len(allMail(t, c, tn.owner))
	send(request)
	send(answer)
	eventually(t, 60*time.Second, "the copies recorded", func() bool {
		n := 0
		for _, m := range inbox(t, c, tn.owner) {
			if m["status"] == "duplicate" {
				n++
			}
		}
		return n == 2
	})
	if n := len(allMail(t, c, tn.owner)); n != before {
		t.Errorf("%d mails after the copies, %d before", n, before)
	}
	if zm := zoomMeetings(t, c.base+"/zoom-sandbox"); len(zm) != 1 {
		t.Errorf("%d Zoom meetings", len(zm))
	}
	if mails < 2 {
		t.Errorf("only %d mails after the proposal", mails)
	}
}

// TestAssistantThroughSMTP runs the story with swaks delivering to the
// SMTP listener.
func TestAssistantThroughSMTP(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			_, env := serveEnv(t, engine, dns)
			smtpAddr := freeAddr(t)
			env = append(env, "CONVENE_SMTP_ADDR="+smtpAddr, "CONVENE_ZOOM_SANDBOX_CONTROLS=on")
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			tn := setupTenant(t, c, dns, "acme.test")
			installZoom(t, c, tn)
			w := newMailWorld(t, dns)
			defer func() { t.Logf("peak RSS of convene serve: %d MB", peakRSS(t, p.Cmd.Process.Pid)>>20) }()
			assistantStory(t, c, tn, w, func(raw []byte) {
				t.Helper()
				from := "member@acme.test"
				if bytes.Contains(raw, []byte("From: Bob")) {
					from = "bob@partner.example"
				}
				if code, out := swaksSend(t, smtpAddr, from, "assistant@acme.test", raw); code != 0 || !strings.Contains(out, "<-  250 ") {
					t.Fatalf("swaks: %d\n%s", code, out)
				}
			})
		})
	}
}

// TestAssistantThroughIMAP runs the story with the mail read from a
// Dovecot mailbox (CONVENE_IMAP_URL) instead of the SMTP listener.
func TestAssistantThroughIMAP(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			dc := dovecottest.Start(t, "assistant@acme.test", "secret")
			_, env := serveEnv(t, engine, dns)
			env = append(env, "CONVENE_IMAP_URL="+dc.URL(), "CONVENE_ZOOM_SANDBOX_CONTROLS=on")
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			tn := setupTenant(t, c, dns, "acme.test")
			installZoom(t, c, tn)
			w := newMailWorld(t, dns)
			assistantStory(t, c, tn, w, func(raw []byte) {
				dc.Deliver(t, append([]byte("Delivered-To: assistant@acme.test\r\n"), raw...))
			})
		})
	}
}

// TestAssistantSurvivesSIGKILL: killed right after the 250 of the request,
// and again right after the 250 of the guest's answer, Convene still
// proposes once and books exactly once (one Zoom meeting, one set of
// invitations).
func TestAssistantSurvivesSIGKILL(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			dataDir, env := serveEnv(t, engine, dns)
			smtpAddr := freeAddr(t)
			httpAddr := freeAddr(t)
			env = append(env, "CONVENE_SMTP_ADDR="+smtpAddr, "CONVENE_ZOOM_SANDBOX_CONTROLS=on", "CONVENE_HTTP_ADDR="+httpAddr)
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			tn := setupTenant(t, c, dns, "acme.test")
			installZoom(t, c, tn)
			c.must("POST", "/api/v1/users", tn.owner, map[string]any{"email": "claire@acme.test", "name": "Claire Dubois", "timezone": "Europe/Paris"}, 201)
			w := newMailWorld(t, dns)
			kill := func() {
				t.Helper()
				if err := p.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				p.Wait(ctx)
				p = testbin.Start(t, env, "serve")
				c = client{t: t, base: p.URL}
			}
			sendKill := func(from string, raw []byte) {
				t.Helper()
				if code, out := swaksSend(t, smtpAddr, from, "assistant@acme.test", raw); code != 0 || !strings.Contains(out, "<-  250 ") {
					t.Fatalf("swaks: %d\n%s", code, out)
				}
				kill()
			}
			sendKill("member@acme.test", w.sign("acme.test", frenchRequest("req-k@acme.test")))
			inboxStatus(t, c, tn.owner, "req-k@acme.test", "processed")
			var options []map[string]any
			eventually(t, 30*time.Second, "the guest's options", func() bool {
				options = mailOf(t, c, tn.owner, "assistant.options", "bob@partner.example")
				return len(options) == 1
			})
			meetingID := options[0]["meeting_id"].(string)
			mtg := c.must("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200)
			sendKill("bob@partner.example", w.sign("partner.example", guestAnswer("bob-k@partner.example", options[0]["message_id"].(string),
				options[0]["message_id"].(string), "La première option me convient.")))
			inboxStatus(t, c, tn.owner, "bob-k@partner.example", "processed")
			eventually(t, 60*time.Second, "booked", func() bool {
				return c.must("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200)["status"] == "booked"
			})
			for _, who := range []string{"member@acme.test", "claire@acme.test", "bob@partner.example"} {
				eventually(t, 30*time.Second, "the invitation to "+who, func() bool { return len(mailOf(t, c, tn.owner, "request", who)) >= 1 })
			}
			eventually(t, 30*time.Second, "the confirmation", func() bool {
				return len(mailOf(t, c, tn.owner, "assistant.booked", "member@acme.test")) == 1
			})
			// Exactly once: one thread, one meeting, one Zoom meeting,
			// one invitation each, one proposal.
			dbURL := "sqlite:" + filepath.Join(dataDir, "convene.db")
			for _, kv := range env {
				if v, ok := strings.CutPrefix(kv, "CONVENE_DATABASE_URL="); ok {
					dbURL = v
				}
			}
			db, err := store.Open(context.Background(), dbURL, store.Options{MaxConns: 1, SkipMigrations: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var threads, meetings int
			db.SQL().QueryRow(`SELECT count(*) FROM assistant_threads`).Scan(&threads)
			db.SQL().QueryRow(`SELECT count(*) FROM meetings`).Scan(&meetings)
			if threads != 1 || meetings != 1 {
				t.Errorf("%d threads, %d meetings", threads, meetings)
			}
			if zm := zoomMeetings(t, c.base+"/zoom-sandbox"); len(zm) != 1 {
				t.Errorf("%d Zoom meetings", len(zm))
			}
			for _, who := range []string{"member@acme.test", "claire@acme.test", "bob@partner.example"} {
				if n := len(mailOf(t, c, tn.owner, "request", who)); n != 1 {
					t.Errorf("%d invitations to %s", n, who)
				}
			}
			if n := len(mailOf(t, c, tn.owner, "assistant.options", "bob@partner.example")); n != 1 {
				t.Errorf("%d proposals", n)
			}
			if st, _ := time.Parse(time.RFC3339, c.must("GET", "/api/v1/meetings/"+meetingID, tn.member, nil, 200)["start_time"].(string)); st.Format(time.RFC3339) == "" {
				t.Error("no start")
			}
			_ = mtg
		})
	}
}
