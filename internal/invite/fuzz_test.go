package invite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseReply: any input gives replies that satisfy what ParseReply
// promises, or a *ReplyError; never a panic (go-ical's decoder panics on
// some inputs: decodeCalendar recovers).
func FuzzParseReply(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "replies", "*.ics"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;CN=\"a\"b:mailto:a@b.c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;PARTSTAT=ACCEPTED\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		replies, err := ParseReply(b)
		if err != nil {
			var re *ReplyError
			if !errors.As(err, &re) || (!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotReply)) {
				t.Fatalf("error of the wrong type: %T %v", err, err)
			}
			if replies != nil {
				t.Fatal("replies with an error")
			}
			return
		}
		if len(replies) == 0 {
			t.Fatal("no reply and no error")
		}
		for _, r := range replies {
			if strings.TrimSpace(r.UID) == "" || r.UID != replies[0].UID {
				t.Fatalf("UID %q", r.UID)
			}
			if _, err := mailbox(r.Attendee.Email); err != nil {
				t.Fatalf("attendee %q: %v", r.Attendee.Email, err)
			}
			switch r.PartStat {
			case PartStatAccepted, PartStatDeclined, PartStatTentative:
			case PartStatDelegated:
				if len(r.DelegatedTo) == 0 {
					t.Fatal("DELEGATED without delegate")
				}
			default:
				t.Fatalf("PARTSTAT %q", r.PartStat)
			}
			if r.Sequence < 0 {
				t.Fatalf("SEQUENCE %d", r.Sequence)
			}
		}
	})
}

// FuzzValidateTemplates: any templates are accepted or refused with a
// *ValidationError, quickly, without panic; accepted ones render every
// sample without falling back to a default, with a subject, and without
// a script in the HTML.
func FuzzValidateTemplates(f *testing.F) {
	for _, lang := range Languages {
		d := DefaultTemplates(lang)
		f.Add(d.Subject, d.Text, d.HTML)
	}
	f.Add("{{.Subject}}", "{{.JoinURL}}{{range .Attendees}}{{.Name}}{{end}}", `<a href="{{.JoinURL}}">{{.When}}</a>`)
	f.Add("{{.subject}}", "{{range 10}}{{end}}", `<scr{{if true}}{{end}}ipt>x</script>{{.JoinURL}}`)
	f.Add(`{{printf "%0999d" 1}}`, `{{define "a"}}{{end}}`, `{{template "x"}}`)
	f.Add("{{with .Organizer}}{{.Name}}{{end}}", "{{$x := .Attendees}}{{range $x}}{{.Email}}{{end}}{{.JoinURL}}", "{{if}}")
	f.Fuzz(func(t *testing.T, subject, text, html string) {
		tpl := Templates{Subject: subject, Text: text, HTML: html}
		// A slow input crashes the worker, so that the fuzzer keeps it.
		slow := time.AfterFunc(5*time.Second, func() { panic("ValidateTemplates takes more than 5 s") })
		err := ValidateTemplates(tpl, Branding{})
		slow.Stop()
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, p := range ve.Problems {
				if p.Field == "" || p.Message == "" || p.Line < 0 {
					t.Fatalf("problem %+v", p)
				}
			}
			return
		}
		for _, s := range samples(Branding{}) {
			r, warnings, err := render(tpl, s)
			if err != nil || len(warnings) > 0 {
				t.Fatalf("valid templates failed to render: %v %v", err, warnings)
			}
			if strings.TrimSpace(subject) != "" && r.Subject == "" {
				t.Fatal("empty subject")
			}
			if strings.TrimSpace(html) != "" && scriptRE.MatchString(r.HTML) {
				t.Fatalf("script in %q", r.HTML)
			}
		}
	})
}
