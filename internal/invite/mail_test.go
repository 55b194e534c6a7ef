package invite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

var acme = Account{Name: "Acme", AssistantAddress: "assistant@acme.test", Language: "en",
	Branding: Branding{Name: "Acme", AccentColor: "#0A7B3E", LogoURL: "https://acme.test/logo.png", Footer: "Acme SAS · 12 rue de la Paix, Paris"}}

func composer() *Composer { return &Composer{Now: func() time.Time { return stamp }} }

// mailCase is one invitation mail the tests compose.
type mailCase struct {
	name string
	req  func(t testing.TB) MailRequest
}

func mailCases() []mailCase {
	bob := Recipient{Name: "Bob Martin, Jr.", Email: "bob@example.org", TimeZone: "America/New_York"}
	chloe := Recipient{Name: "Chloé Dubois", Email: "chloe@exemple.fr", Language: "fr-FR"}
	return []mailCase{
		{"request-en", func(t testing.TB) MailRequest {
			return MailRequest{Method: MethodRequest, Meeting: parisMeeting(t), Account: acme, To: bob}
		}},
		{"request-fr-series", func(t testing.TB) MailRequest {
			m := parisMeeting(t)
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=TU;COUNT=10"}
			return MailRequest{Method: MethodRequest, Meeting: m, Account: acme, To: chloe}
		}},
		{"update-fr", func(t testing.TB) MailRequest {
			prev := parisMeeting(t)
			m := parisMeeting(t)
			m.Sequence = 1
			m.Start, m.End = m.Start.Add(24*time.Hour), m.End.Add(24*time.Hour+30*time.Minute)
			m.Attendees = append(m.Attendees, Attendee{Person: Person{Name: "Dana Lee", Email: "dana@example.org"}})
			return MailRequest{Method: MethodRequest, Meeting: m, Previous: prev, Account: acme, To: chloe,
				References: []string{MessageID(prev, MethodRequest, chloe.Email, "acme.test")}}
		}},
		{"cancel-occurrence-en", func(t testing.TB) MailRequest {
			m := parisMeeting(t)
			loc := mustZone(t, "Europe/Paris")
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=TU"}
			m.Occurrence = &Occurrence{RecurrenceID: time.Date(2026, 3, 17, 14, 0, 0, 0, loc)}
			m.Start, m.End = time.Date(2026, 3, 17, 14, 0, 0, 0, loc), time.Date(2026, 3, 17, 14, 30, 0, 0, loc)
			m.Sequence = 2
			return MailRequest{Method: MethodCancel, Meeting: m, Account: acme, To: bob, Reason: "Ann is travelling that week."}
		}},
		{"cancel-fr-custom", func(t testing.TB) MailRequest {
			m := parisMeeting(t)
			m.Sequence = 3
			a := acme
			a.Language = "fr"
			a.Templates = Templates{
				Subject: `{{if .IsCancel}}[Annulé] {{end}}{{.Subject}} – {{.Date}}`,
				Text:    "Bonjour {{.Recipient.Name}},\n\n{{if .IsCancel}}La réunion est annulée : {{.Reason}}{{else}}Rejoindre : {{.JoinURL}}{{end}}\n",
			}
			return MailRequest{Method: MethodCancel, Meeting: m, Account: a, To: Recipient{Name: "Eve", Email: "eve@example.org"},
				Cc: []Person{{Name: "Chloé Dubois", Email: "chloe@exemple.fr"}}, Reason: "Projet suspendu."}
		}},
	}
}

func TestMailGolden(t *testing.T) {
	for _, c := range mailCases() {
		t.Run(c.name, func(t *testing.T) {
			m, err := composer().Compose(context.Background(), c.req(t))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "mail-"+c.name+".eml", m.Raw)
		})
	}
}

// parsedMail is a composed mail read back with go-message.
type parsedMail struct {
	header                        mail.Header
	text, html, calendar, attach  []byte
	calParams, attachParams, disp map[string]string
	types                         []string
}

func readMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := parsedMail{header: mail.Header{Header: ent.Header}}
	err = ent.Walk(func(path []int, e *message.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, params, _ := e.Header.ContentType()
		p.types = append(p.types, fmt.Sprintf("%v %s", path, mt))
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		if cs := params["charset"]; mt != "application/ics" && cs != "UTF-8" {
			t.Errorf("%s charset %q", mt, cs)
		}
		b, err := io.ReadAll(e.Body)
		if err != nil {
			return err
		}
		switch mt {
		case "text/plain":
			p.text = b
		case "text/html":
			p.html = b
		case "text/calendar":
			p.calendar, p.calParams = b, params
		case "application/ics":
			p.attach, p.attachParams = b, params
			_, p.disp, _ = e.Header.ContentDisposition()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMailStructure checks every composed mail the way Outlook, Gmail and
// Apple Mail read one.
func TestMailStructure(t *testing.T) {
	files := map[string][]byte{}
	for _, c := range mailCases() {
		req := c.req(t)
		m, err := composer().Compose(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		raw := m.Raw
		// RFC 5322 §2.3: CRLF only, lines of at most 998 octets (78
		// wanted: the parts are quoted-printable or base64).
		if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
			t.Errorf("%s: bare CR or LF", c.name)
		}
		for i, l := range bytes.Split(raw, []byte("\r\n")) {
			if len(l) > 78 {
				t.Errorf("%s: line %d of %d octets: %q", c.name, i+1, len(l), l)
			}
		}
		p := readMail(t, raw)
		want := []string{"[] multipart/mixed", "[0] multipart/alternative", "[0 0] text/plain", "[0 1] text/html", "[0 2] text/calendar", "[1] application/ics"}
		if !slices.Equal(p.types, want) {
			t.Errorf("%s: parts %q", c.name, p.types)
		}
		// RFC 6047 §2.4: the MIME method is the iCalendar METHOD.
		if p.calParams["method"] != string(req.Method) || !bytes.Contains(p.calendar, []byte("\r\nMETHOD:"+string(req.Method)+"\r\n")) {
			t.Errorf("%s: MIME method %q, METHOD in the body %q", c.name, p.calParams["method"], req.Method)
		}
		name := map[Method]string{MethodRequest: "invite.ics", MethodCancel: "cancel.ics"}[req.Method]
		if p.attachParams["name"] != name || p.disp["filename"] != name {
			t.Errorf("%s: attachment %v %v", c.name, p.attachParams, p.disp)
		}
		if !bytes.Equal(p.calendar, m.Calendar) || !bytes.Equal(p.attach, m.Calendar) {
			t.Errorf("%s: inline and attached calendars differ from Mail.Calendar", c.name)
		}
		checkStructure(t, c.name, m.Calendar, req.Method, req.Meeting)
		files[c.name] = m.Calendar

		h := p.header
		from, _ := h.AddressList("From")
		replyTo, _ := h.AddressList("Reply-To")
		to, _ := h.AddressList("To")
		if len(from) != 1 || from[0].Address != "assistant@acme.test" || from[0].Name != "Ann Example via Acme" {
			t.Errorf("%s: From %v", c.name, from)
		}
		if len(replyTo) != 1 || replyTo[0].Address != "ann@acme.test" {
			t.Errorf("%s: Reply-To %v", c.name, replyTo)
		}
		if len(to) != 1 || to[0].Address != req.To.Email || to[0].Name != req.To.Name {
			t.Errorf("%s: To %v", c.name, to)
		}
		wantRcpts := []string{req.To.Email}
		for _, cc := range req.Cc {
			wantRcpts = append(wantRcpts, cc.Email)
		}
		if m.From != "assistant@acme.test" || !slices.Equal(m.To, wantRcpts) {
			t.Errorf("%s: envelope %s %v", c.name, m.From, m.To)
		}
		if subj, _ := h.Subject(); subj != m.Subject || subj == "" {
			t.Errorf("%s: Subject %q, rendered %q", c.name, subj, m.Subject)
		}
		if d, err := h.Date(); err != nil || !d.Equal(stamp) {
			t.Errorf("%s: Date %v %v", c.name, d, err)
		}
		if id, _ := h.MessageID(); "<"+id+">" != m.MessageID || !strings.HasSuffix(id, "@acme.test") {
			t.Errorf("%s: Message-ID %q", c.name, id)
		}
		lang := pickLang(req.To.Language, req.Account.Language)
		if h.Get("Content-Language") != lang || h.Get("MIME-Version") != "1.0" || h.Get("Auto-Submitted") != "" {
			t.Errorf("%s: Content-Language %q MIME-Version %q", c.name, h.Get("Content-Language"), h.Get("MIME-Version"))
		}
		if len(req.References) > 0 {
			refs, _ := h.MsgIDList("References")
			irt, _ := h.MsgIDList("In-Reply-To")
			if len(refs) != len(req.References) || len(irt) != 1 || "<"+irt[0]+">" != req.References[len(req.References)-1] {
				t.Errorf("%s: References %v In-Reply-To %v", c.name, refs, irt)
			}
		}
		// Every mail but a cancellation carries the join link in both
		// bodies (LESSONS: Lost links).
		if req.Method == MethodRequest && req.Account.Templates.Text == "" {
			if !bytes.Contains(p.text, []byte(req.Meeting.Video.JoinURL)) || !bytes.Contains(p.html, []byte(req.Meeting.Video.JoinURL)) {
				t.Errorf("%s: join link missing", c.name)
			}
		}
		if req.Method == MethodCancel && !bytes.Contains(p.text, []byte(req.Reason)) {
			t.Errorf("%s: reason missing", c.name)
		}
	}
	// python3-icalendar reads the calendars the mails carry.
	for name, r := range pyCheck(t, files) {
		if len(r.Events) == 0 || r.Events[0].UID != "m-7f3a9c@convene.test" {
			t.Errorf("%s: python read %+v", name, r.Events)
		}
	}
}

// TestMailPython has Python's email package, a MIME parser we did not
// write, read every mail.
func TestMailPython(t *testing.T) {
	py := testenv.Python(t, "email")
	dir := t.TempDir()
	args := []string{filepath.Join("testdata", "mailcheck.py")}
	mails := map[string]*Mail{}
	reqs := map[string]MailRequest{}
	for _, c := range mailCases() {
		req := c.req(t)
		m, err := composer().Compose(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, c.name+".eml")
		if err := os.WriteFile(p, m.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
		mails[p], reqs[p] = m, req
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		t.Fatalf("mailcheck.py: %v", err)
	}
	var res map[string]struct {
		Subject, From, To    string
		ReplyTo              string `json:"reply_to"`
		MessageID            string `json:"message_id"`
		Parts                [][]any
		Calendar, Attachment string
		Defects              []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for p, m := range mails {
		r, req := res[p], reqs[p]
		name := filepath.Base(p)
		if len(r.Defects) > 0 {
			t.Errorf("%s: defects %v", name, r.Defects)
		}
		if r.Subject != m.Subject || r.MessageID != m.MessageID || strings.Trim(r.From, `"`) != "Ann Example via Acme <assistant@acme.test>" ||
			!strings.Contains(r.To, req.To.Email) || !strings.Contains(r.ReplyTo, "ann@acme.test") {
			t.Errorf("%s: read %q %q %q %q %q", name, r.Subject, r.MessageID, r.From, r.To, r.ReplyTo)
		}
		var types []string
		for _, part := range r.Parts {
			types = append(types, fmt.Sprint(part[0]))
			if part[0] == "text/calendar" {
				params, _ := part[1].(map[string]any)
				if params["method"] != string(req.Method) || params["charset"] != "UTF-8" {
					t.Errorf("%s: text/calendar params %v", name, params)
				}
			}
		}
		if strings.Join(types, " ") != "multipart/mixed multipart/alternative text/plain text/html text/calendar application/ics" {
			t.Errorf("%s: parts %v", name, types)
		}
		if r.Calendar != string(m.Calendar) || r.Attachment != string(m.Calendar) {
			t.Errorf("%s: decoded calendars differ from Mail.Calendar", name)
		}
	}
}

// TestMailDeterministic: the same request gives the same bytes (a retry is
// recognisable), and the Message-ID differs with the recipient, the
// sequence, the method and the occurrence.
func TestMailDeterministic(t *testing.T) {
	for _, c := range mailCases() {
		a, err := composer().Compose(context.Background(), c.req(t))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := composer().Compose(context.Background(), c.req(t))
		if !bytes.Equal(a.Raw, b.Raw) {
			t.Errorf("%s: two compositions differ", c.name)
		}
	}
	m := parisMeeting(t)
	base := MessageID(m, MethodRequest, "bob@example.org", "acme.test")
	if MessageID(m, MethodRequest, "BOB@example.org ", "acme.test") != base {
		t.Error("recipient case changes the Message-ID")
	}
	seen := map[string]string{base: "base"}
	variants := map[string]string{
		"recipient": MessageID(m, MethodRequest, "chloe@exemple.fr", "acme.test"),
		"method":    MessageID(m, MethodCancel, "bob@example.org", "acme.test"),
	}
	m2 := *m
	m2.Sequence = 1
	variants["sequence"] = MessageID(&m2, MethodRequest, "bob@example.org", "acme.test")
	m3 := *m
	m3.Occurrence = &Occurrence{RecurrenceID: m.Start}
	variants["occurrence"] = MessageID(&m3, MethodRequest, "bob@example.org", "acme.test")
	m4 := m3
	m4.Occurrence = &Occurrence{RecurrenceID: m.Start, ThisAndFuture: true}
	variants["thisandfuture"] = MessageID(&m4, MethodRequest, "bob@example.org", "acme.test")
	for what, id := range variants {
		if prev, dup := seen[id]; dup {
			t.Errorf("%s gives the same Message-ID as %s", what, prev)
		}
		seen[id] = what
	}
}

// TestMailSequence: a meeting's life, new, moved, cancelled: the SEQUENCE
// rises, the UID stays, and going back is refused.
func TestMailSequence(t *testing.T) {
	c := composer()
	to := Recipient{Email: "bob@example.org"}
	v0 := parisMeeting(t)
	v1 := parisMeeting(t)
	v1.Sequence, v1.Start, v1.End = 1, v0.Start.Add(time.Hour), v0.End.Add(time.Hour)
	v2 := parisMeeting(t)
	v2.Sequence, v2.Start, v2.End = 2, v1.Start, v1.End
	steps := []MailRequest{
		{Method: MethodRequest, Meeting: v0, Account: acme, To: to},
		{Method: MethodRequest, Meeting: v1, Previous: v0, Account: acme, To: to},
		{Method: MethodCancel, Meeting: v2, Previous: v1, Account: acme, To: to},
	}
	last := -1
	var files = map[string][]byte{}
	for i, req := range steps {
		m, err := c.Compose(context.Background(), req)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		wantKind := []Kind{KindRequest, KindUpdate, KindCancel}[i]
		if m.Kind != wantKind {
			t.Errorf("step %d: kind %s", i, m.Kind)
		}
		files[fmt.Sprint("step", i)] = m.Calendar
	}
	read := pyCheck(t, files)
	for i := range steps {
		r := read[fmt.Sprint("step", i)]
		e := r.Events[0]
		if e.UID != v0.UID || e.Sequence <= last {
			t.Errorf("step %d: UID %s SEQUENCE %d after %d", i, e.UID, e.Sequence, last)
		}
		if i == 2 && (r.Method != "CANCEL" || e.Status != "CANCELLED") {
			t.Errorf("cancel: METHOD %s STATUS %s", r.Method, e.Status)
		}
		last = e.Sequence
	}

	// Refusals.
	same := parisMeeting(t)
	lower := parisMeeting(t)
	lower.Sequence = 0
	higher := parisMeeting(t)
	higher.Sequence = 4
	noLink := parisMeeting(t)
	noLink.Sequence, noLink.Video = 5, nil
	otherUID := parisMeeting(t)
	otherUID.UID, otherUID.Sequence = "other@convene.test", 9
	tests := []struct {
		name string
		req  MailRequest
		want string
	}{
		{"same sequence", MailRequest{Method: MethodRequest, Meeting: same, Previous: parisMeeting(t), Account: acme, To: to}, "sequence"},
		{"lower sequence cancel", MailRequest{Method: MethodCancel, Meeting: lower, Previous: higher, Account: acme, To: to}, "sequence"},
		{"other meeting", MailRequest{Method: MethodRequest, Meeting: otherUID, Previous: higher, Account: acme, To: to}, "previous"},
		{"bad recipient", MailRequest{Method: MethodRequest, Meeting: parisMeeting(t), Account: acme, To: Recipient{Email: "bob"}}, "to"},
		{"no assistant", MailRequest{Method: MethodRequest, Meeting: parisMeeting(t), Account: Account{}, To: to}, "account.assistant_address"},
		{"reply", MailRequest{Method: MethodReply, Meeting: parisMeeting(t), Account: acme, To: to}, "method"},
		{"bad cc", MailRequest{Method: MethodRequest, Meeting: parisMeeting(t), Account: acme, To: to, Cc: []Person{{Email: "x"}}}, "cc[0]"},
		{"bad recipient zone", MailRequest{Method: MethodRequest, Meeting: parisMeeting(t), Account: acme, To: Recipient{Email: "bob@example.org", TimeZone: "Moon/Base"}}, "to.time_zone"},
	}
	for _, tt := range tests {
		_, err := c.Compose(context.Background(), tt.req)
		var e *Error
		if !errors.As(err, &e) || e.Field != tt.want {
			t.Errorf("%s: %v, want an error about %s", tt.name, err, tt.want)
		}
	}
	// Lost links: an update that dropped the join URL is refused.
	_, err := c.Compose(context.Background(), MailRequest{Method: MethodRequest, Meeting: noLink, Previous: higher, Account: acme, To: to})
	if !errors.Is(err, ErrLostJoinURL) {
		t.Errorf("lost link: %v", err)
	}
	// A cancellation may drop it.
	if _, err := c.Compose(context.Background(), MailRequest{Method: MethodCancel, Meeting: noLink, Previous: higher, Account: acme, To: to}); err != nil {
		t.Errorf("cancel without link: %v", err)
	}
	if _, err := (&Composer{}).Compose(context.Background(), steps[0]); err == nil {
		t.Error("a Composer without clock composed")
	}
}

// TestMailRecipientZone: the recipient reads their own time, in their own
// language; the calendar keeps the organizer's zone.
func TestMailRecipientZone(t *testing.T) {
	m := parisMeeting(t)
	tests := []struct {
		to   Recipient
		want string
	}{
		{Recipient{Email: "a@example.org", TimeZone: "America/New_York"}, "Tuesday, March 3, 2026, 8:00 – 8:30 AM (New York time)"},
		{Recipient{Email: "a@example.org", TimeZone: "Asia/Kolkata", Language: "fr"}, "mardi 3 mars 2026, 18:30 – 19:00 (heure de Kolkata)"},
		{Recipient{Email: "a@example.org", TimeZone: "Australia/Lord_Howe"}, "Wednesday, March 4, 2026, 12:00 – 12:30 AM (Lord Howe time)"},
		{Recipient{Email: "a@example.org"}, "Tuesday, March 3, 2026, 2:00 – 2:30 PM (Paris time)"},
	}
	files := map[string][]byte{}
	for _, tt := range tests {
		ml, err := composer().Compose(context.Background(), MailRequest{Method: MethodRequest, Meeting: m, Account: acme, To: tt.to})
		if err != nil {
			t.Fatal(err)
		}
		files[tt.to.TimeZone] = ml.Calendar
		p := readMail(t, ml.Raw)
		if !bytes.Contains(p.text, []byte(tt.want)) || !strings.HasSuffix(ml.Subject, tt.want) {
			t.Errorf("%s: want %q in\n%s", tt.to.TimeZone, tt.want, p.text)
		}
		if !bytes.Contains(ml.Calendar, []byte("DTSTART;TZID=Europe/Paris:20260303T140000")) {
			t.Errorf("%s: calendar not in the organizer's zone", tt.to.TimeZone)
		}
	}
	for name, r := range pyCheck(t, files) {
		if got := r.Events[0].instants(t, name, "DTSTART"); len(got) != 1 || !got[0].Equal(m.Start) {
			t.Errorf("%s: DTSTART read as %s", name, fmtTimes(got))
		}
	}
}

// TestComposeEachIsComposePerRecipient: the mails ComposeEach writes for
// several recipients are, byte for byte, those Compose writes for each,
// whatever the recipients share (language, time zone) or not, also with
// templates that name the recipient (rendered for each then).
func TestComposeEachIsComposePerRecipient(t *testing.T) {
	recipients := []Addressee{
		{To: Recipient{Name: "Bob Martin, Jr.", Email: "bob@example.org", TimeZone: "America/New_York"}},
		{To: Recipient{Name: "Chloé Dubois", Email: "chloe@exemple.fr", Language: "fr-FR"},
			References: []string{"<earlier.1@acme.test>", "earlier.2@acme.test"}},
		{To: Recipient{Name: "Dana Lee", Email: "dana@example.org", TimeZone: "America/New_York"}},
		{To: Recipient{Email: "eve@example.org"}},
		{To: Recipient{Name: "Fanny", Email: "fanny@exemple.fr", Language: "fr"}},
	}
	named := DefaultTemplates("en")
	named.Text = "Dear {{.Recipient.Name}},\n" + named.Text
	for _, tc := range mailCases() {
		for _, templates := range []struct {
			name string
			t    Templates
		}{{"defaults", Templates{}}, {"naming the recipient", named}} {
			t.Run(tc.name+"/"+templates.name, func(t *testing.T) {
				req := tc.req(t)
				req.Account.Templates = templates.t
				c := composer()
				each, err := c.ComposeEach(context.Background(), req, recipients)
				if err != nil {
					t.Fatal(err)
				}
				if len(each) != len(recipients) {
					t.Fatalf("%d mails for %d recipients", len(each), len(recipients))
				}
				for i, a := range recipients {
					r := req
					r.To, r.References = a.To, a.References
					one, err := c.Compose(context.Background(), r)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(each[i].Raw, one.Raw) {
						t.Errorf("%s: ComposeEach differs from Compose:\n%s\n----\n%s", a.To.Email, each[i].Raw, one.Raw)
					}
					if each[i].MessageID != one.MessageID || each[i].Subject != one.Subject || !slices.Equal(each[i].To, one.To) {
						t.Errorf("%s: %q %q %v, want %q %q %v", a.To.Email, each[i].MessageID, each[i].Subject, each[i].To,
							one.MessageID, one.Subject, one.To)
					}
				}
				if templates.name == "naming the recipient" && !bytes.Contains(each[2].Raw, []byte("Dear Dana Lee")) {
					t.Error("the template naming the recipient was not rendered for the third recipient")
				}
			})
		}
	}
}

// BenchmarkComposeEach writes one meeting's invitation to its organizer and
// four guests in two languages.
func BenchmarkComposeEach(b *testing.B) {
	req := mailCases()[0].req(b)
	to := []Addressee{
		{To: Recipient{Email: "organizer@example.org"}}, {To: Recipient{Email: "a@example.org"}},
		{To: Recipient{Email: "b@example.org"}}, {To: Recipient{Email: "c@exemple.fr", Language: "fr"}},
		{To: Recipient{Email: "d@example.org"}},
	}
	c := composer()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ComposeEach(context.Background(), req, to); err != nil {
			b.Fatal(err)
		}
	}
}
