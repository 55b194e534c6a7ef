package understand

import (
	"strings"
	"testing"
	"time"
)

func TestNewText(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"gmail", "Thursday works.\n\nOn Mon, Mar 16, 2026 at 9:00 AM Bob <b@x.example> wrote:\n> Can we meet Friday?\n", "Thursday works.\n"},
		{"gmail wrapped", "Yes.\n\nOn Mon, Mar 16, 2026 at 9:00 AM Bob Stone\n<b@x.example> wrote:\n> Friday?\n", "Yes.\n"},
		{"french", "D'accord.\n\nLe lun. 16 mars 2026 à 09:00, Bob <b@x.example> a écrit :\n> Vendredi ?\n", "D'accord.\n"},
		{"outlook", "Fine.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n\nFriday?", "Fine.\n"},
		{"outlook underscores", "OK\n________________________________\nFrom: Bob\nSent: Monday", "OK"},
		{"outlook fr", "Oui.\n\nDe : Bob <b@x.example>\nEnvoyé : lundi 16 mars 2026 08:40\nÀ : Inès\n\nVendredi ?", "Oui.\n"},
		{"signature delimiter", "Friday at 3?\n\n-- \nBob\nOffice hours Mon-Fri 9-5", "Friday at 3?\n"},
		{"sign-off", "Friday at 3?\n\nBest,\nBob\nMobile 212-555-0199", "Friday at 3?\n\nBest,"},
		{"sign-off fr", "Vendredi à 15h ?\n\nBien cordialement,\nClaire\nHoraires : 9h-17h", "Vendredi à 15h ?\n\nBien cordialement,"},
		{"quoted lines", "> old text\nnew text", "new text"},
		{"iphone", "Sure\n\nSent from my iPhone", "Sure\n"},
	} {
		if got := NewText(c.body); got != c.want {
			t.Errorf("%s: NewText = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCleanSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Re: Re: Budget": "Budget", "RE : Budget": "Budget", "Fwd: TR: Budget": "Budget", "Re\u00a0: Atelier": "Atelier",
		"Budget: Q2": "Budget: Q2", "Réf : X": "X", "": "",
	} {
		if got := CleanSubject(in); got != want {
			t.Errorf("CleanSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadEmail(t *testing.T) {
	for _, c := range []struct{ name, msg, subject, body string }{
		{"plain", "Subject: Hello\r\nFrom: A <a@x.example>\r\n\r\nBody\r\n", "Hello", "Body\r\n"},
		{"encoded subject and latin-1 quoted-printable",
			"Subject: =?ISO-8859-1?Q?R=E9union?=\r\nFrom: a@x.example\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nDemain =E0 16h\r\n",
			"Réunion", "Demain à 16h\r\n"},
		{"base64", "Subject: B\r\nFrom: a@x.example\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nSmV1ZGkgw6AgMTRo\r\n", "B", "Jeudi à 14h"},
		{"multipart", "Subject: M\r\nFrom: a@x.example\r\nContent-Type: multipart/alternative; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFriday at 3pm\r\n--zz--\r\n", "M", "Friday at 3pm"},
	} {
		subject, from, body, err := ReadEmail(strings.NewReader(c.msg))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if subject != c.subject || body != c.body || from != "a@x.example" {
			t.Errorf("%s: got %q %q %q", c.name, subject, from, body)
		}
	}
	if _, _, _, err := ReadEmail(strings.NewReader("not a message")); err == nil {
		t.Error("a text without headers read as a message")
	}
	html := "Subject: H\r\nFrom: a@x.example\r\nContent-Type: text/html\r\n\r\n<p>Friday</p>\r\n"
	if _, _, _, err := ReadEmail(strings.NewReader(html)); err != ErrNotText {
		t.Errorf("HTML-only message: err %v, want ErrNotText", err)
	}
}

// TestParseEmailHook checks that the new-text hook is the caller's to
// replace: here it keeps the quoted history, so the quoted date is read.
func TestParseEmailHook(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-16T09:00:00+01:00")
	msg := "Subject: Re: Plan\r\nFrom: Bob <bob@x.example>\r\n\r\nSee below.\r\n\r\nOn Sun, Mar 15, 2026 at 9:00 AM Ann <ann@x.example> wrote:\r\n> Can we meet Friday at 10am?\r\n"
	ctx := Context{Now: now, Zone: loc}
	res, err := ParseEmail(strings.NewReader(msg), ctx, EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Request.HasTime() {
		t.Errorf("the default hook read the quoted history: %+v", res.Request)
	}
	if res.Request.Subject != "Plan" {
		t.Errorf("subject %q", res.Request.Subject)
	}
	keep := func(body string) string { return strings.ReplaceAll(body, "> ", "") }
	res, err = ParseEmail(strings.NewReader(msg), ctx, EmailOptions{NewText: keep})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Request.Start.Format(time.RFC3339); got != "2026-03-20T10:00:00+01:00" {
		t.Errorf("with the caller's hook: start %s", got)
	}
	// The sender is not an attendee; the others written are.
	msg = "Subject: Sync\r\nFrom: Bob <bob@x.example>\r\n\r\nFriday at 10am with ann@x.example and bob@x.example?\r\n"
	res, _ = ParseEmail(strings.NewReader(msg), ctx, EmailOptions{})
	if len(res.Request.Attendees) != 1 || res.Request.Attendees[0] != "ann@x.example" {
		t.Errorf("attendees %v", res.Request.Attendees)
	}
	// A date only in the Subject.
	msg = "Subject: Lunch Thursday?\r\nFrom: Bob <bob@x.example>\r\n\r\nMy treat.\r\n"
	res, _ = ParseEmail(strings.NewReader(msg), ctx, EmailOptions{})
	if res.Request.Window == nil || res.Request.Window.From.Format(time.RFC3339) != "2026-03-19T12:00:00+01:00" {
		t.Errorf("date in the subject: %+v", res.Request.Window)
	}
}

// TestMailRule15 checks rule 15 beyond the corpus: in an e-mail, a date in
// the past, next to a distractor, or in a negated clause is not the slot;
// the same text as a single line keeps its only date.
func TestMailRule15(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-17T10:00:00+01:00")
	for _, c := range []struct{ text, start string }{
		{"As discussed on Monday, could we meet Thursday at 2pm?", "2026-03-19T14:00:00+01:00"},
		{"My flight lands at 6:40pm. Can we meet at 9 tomorrow?", "2026-03-18T09:00:00+01:00"},
		{"Monday doesn't work. Tuesday at 5 instead?", "2026-03-24T17:00:00+01:00"},
		{"Thanks for the call yesterday.", ""},
		{"The deadline is Friday.", ""},
		{"Lundi ça ne marche pas.", ""},
		{"We met last Friday.", ""},
		{"On s'est vus mardi dernier.", ""},
	} {
		res := Parse(c.text, Context{Now: now, Zone: loc, Mail: true})
		got := ""
		switch {
		case !res.Request.Start.IsZero():
			got = res.Request.Start.Format(time.RFC3339)
		case res.Request.Window != nil:
			got = "window " + res.Request.Window.From.Format(time.RFC3339)
		}
		if got != c.start {
			t.Errorf("mail %q: start %q, want %q", c.text, got, c.start)
		}
	}
	// Outside an e-mail, a past date is still read (the caller decides).
	if res := Parse("Thanks for the call yesterday.", Context{Now: now, Zone: loc}); res.Request.Window == nil {
		t.Error("a line lost its only date")
	}
}

// TestMaxMessage checks that ParseEmail reads at most MaxMessage bytes.
func TestMaxMessage(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-16T09:00:00+01:00")
	head := "Subject: Big\r\nFrom: a@x.example\r\n\r\n"
	pad := strings.Repeat("blah blah blah blah blah blah blah blah blah blah\r\n", MaxMessage/50+10)
	res, err := ParseEmail(strings.NewReader(head+pad+"Can we meet Friday at 3pm?\r\n"), Context{Now: now, Zone: loc}, EmailOptions{NewText: func(s string) string { return s[len(s)-200:] }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Request.HasTime() {
		t.Errorf("a date past MaxMessage was read: %+v", res.Request)
	}
}

// TestParseForward: the organizer's words win, the forwarded text fills in
// what they left out.
func TestParseForward(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-16T09:00:00+01:00")
	ctx := Context{Now: now, Zone: loc}
	for _, c := range []struct {
		own, fwd, start, end string
		duration             int
		video                string
	}{
		{"Can you find us a time? 45 minutes.", "Hi Ann, let's meet on Thursday at 3pm.", "2026-03-19T15:00:00+01:00", "2026-03-19T15:45:00+01:00", 45, ""},
		{"Friday at 10 instead, please.", "Let's meet on Thursday at 3pm for an hour on Zoom.", "2026-03-20T10:00:00+01:00", "2026-03-20T11:00:00+01:00", 60, "zoom"},
		{"Please set this up on Teams.", "Could we meet Thursday at 3pm?", "2026-03-19T15:00:00+01:00", "", 0, "teams"},
		{"Thursday at 3pm for 30 minutes.", "A one-hour call next week?", "2026-03-19T15:00:00+01:00", "2026-03-19T15:30:00+01:00", 30, ""},
	} {
		res := ParseForward("Fwd: Plan", "ann@acme.example", c.own, c.fwd, ctx)
		r := res.Request
		end := ""
		if !r.End.IsZero() {
			end = r.End.Format(time.RFC3339)
		}
		if r.Start.Format(time.RFC3339) != c.start || end != c.end || r.Duration != c.duration || r.VideoProvider != c.video {
			t.Errorf("%q + %q: start %v end %q duration %d video %q", c.own, c.fwd, r.Start, end, r.Duration, r.VideoProvider)
		}
		if r.Subject != "Plan" || r.Language != English {
			t.Errorf("%q: subject %q language %s", c.own, r.Subject, r.Language)
		}
	}
	// Attendees of both, the organizer left out.
	res := ParseForward("", "ann@acme.example", "With dana@x.example please.", "Bob here (bob@y.example), cc ann@acme.example: Thursday?", ctx)
	if got := res.Request.Attendees; len(got) != 2 || got[0] != "dana@x.example" || got[1] != "bob@y.example" {
		t.Errorf("attendees %q", got)
	}
}

func TestDetectLanguageAndNames(t *testing.T) {
	for _, c := range []struct {
		text string
		hint Language
		want Language
	}{
		{"Could we meet on Thursday?", "", English},
		{"Pourrions-nous nous voir jeudi ?", "", French},
		{"15:30 ?", French, French},
		{"15:30 ?", "", English},
		{"", French, French},
		{"Pourrions-nous nous voir jeudi ?", English, French},
	} {
		if got := DetectLanguage(c.text, c.hint); got != c.want {
			t.Errorf("DetectLanguage(%q, %q) = %s, want %s", c.text, c.hint, got, c.want)
		}
	}
	if got := Names("Can we meet with Bob and Claire Dubois next week?"); len(got) != 2 || got[0] != "Bob" || got[1] != "Claire Dubois" {
		t.Errorf("Names = %q", got)
	}
	if got := Names("Réunion avec Marie et Paul jeudi"); len(got) != 2 || got[0] != "Marie" || got[1] != "Paul" {
		t.Errorf("Names = %q", got)
	}
	// Both agree with Parse.
	text := "Déjeuner avec Théo jeudi midi ?"
	res := Parse(text, Context{Now: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)})
	if DetectLanguage(text, "") != res.Request.Language || len(Names(text)) != len(res.Request.Names) {
		t.Errorf("DetectLanguage/Names disagree with Parse: %s %q", res.Request.Language, res.Request.Names)
	}
}
