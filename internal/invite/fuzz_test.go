package invite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
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

// FuzzValidateTemplates drives random templates through validation and
// then preview rendering, under a time and memory budget: any templates are
// accepted or refused with a *ValidationError, each call returns within
// callBound and allocates at most callAlloc, without panic; accepted ones
// render every sample without falling back to a default, with a subject,
// HTML that the sanitizer keeps as it is, and render the largest data
// (bigData) within maxSteps and maxRenderTime, no part longer than
// maxOutput.
func FuzzValidateTemplates(f *testing.F) {
	for _, lang := range Languages {
		d := DefaultTemplates(lang)
		f.Add(d.Subject, d.Text, d.HTML)
	}
	f.Add("{{.Subject}}", "{{.JoinURL}}{{range .Attendees}}{{.Name}}{{end}}", `<a href="{{.JoinURL}}">{{.When}}</a>`)
	f.Add("{{.subject}}", "{{range 10}}{{end}}", `<scr{{if true}}{{end}}ipt>x</script>{{.JoinURL}}`)
	f.Add(`{{printf "%0999d" 1}}`, `{{define "a"}}{{end}}`, `{{template "x"}}`)
	f.Add("{{with .Organizer}}{{.Name}}{{end}}", "{{$x := .Attendees}}{{range $x}}{{.Email}}{{end}}{{.JoinURL}}", "{{if}}")
	f.Add("{{.Subject}}", nestedRanges(30, ""), nestedRanges(5, "x"))
	f.Add("{{.Subject}}", "{{.JoinURL}}{{$l := .Attendees}}{{if .IsCancel}}{{$l = 1000000000}}{{end}}{{range $l}}{{end}}", `{{.JoinURL}}<a href="jav&#x61;script:alert(1)">x</a>`)
	big := bigData(f)
	const callBound = maxValidateTime + maxRenderTime
	callAlloc := uint64(64 << 20)
	if raceSlowdown > 1 {
		callAlloc = 1 << 40 // sync.Pool drops what it holds under -race
	}
	f.Fuzz(func(t *testing.T, subject, text, html string) {
		tpl := Templates{Subject: subject, Text: text, HTML: html}
		// A slow input crashes the worker, so that the fuzzer keeps it.
		slow := time.AfterFunc(4*callBound, func() { panic("one input takes more than " + (4 * callBound).String()) })
		defer slow.Stop()
		start, before := time.Now(), allocated()
		err := ValidateTemplates(context.Background(), tpl, Branding{})
		took, alloc := time.Since(start), allocated()-before
		if took > callBound || alloc > callAlloc {
			t.Fatalf("ValidateTemplates took %v and %d bytes", took, alloc)
		}
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
		// One preview per input (each validates again), its kind and
		// language chosen by the input.
		for _, kind := range []Kind{[]Kind{KindRequest, KindUpdate, KindCancel}[len(text)%3]} {
			start, before := time.Now(), allocated()
			r, err := Preview(context.Background(), tpl, Branding{}, kind, Languages[len(html)%len(Languages)])
			took, alloc := time.Since(start), allocated()-before
			if err != nil || took > callBound || alloc > callAlloc {
				t.Fatalf("preview %s: %v after %v and %d bytes", kind, err, took, alloc)
			}
			if len(r.Subject) > maxOutput || len(r.Text) > maxOutput || len(r.HTML) > maxOutput+len("<!DOCTYPE html>") {
				t.Fatalf("preview %s: %d, %d, %d bytes", kind, len(r.Subject), len(r.Text), len(r.HTML))
			}
		}
		for _, s := range samples(Branding{}) {
			r, warnings, err := render(context.Background(), tpl, s)
			if err != nil || len(warnings) > 0 {
				t.Fatalf("valid templates failed to render: %v %v", err, warnings)
			}
			if strings.TrimSpace(subject) != "" && r.Subject == "" {
				t.Fatal("empty subject")
			}
			if c := htmlChange(r.HTML); c != "" {
				t.Fatalf("the sanitizer changes %q in %q", c, r.HTML)
			}
		}
		for p, src := range [3]string{subject, text, html} {
			if strings.TrimSpace(src) == "" {
				continue
			}
			ex, _ := compileCached(part(p), src)
			start, before := time.Now(), allocated()
			out, steps, err := runSteps(context.Background(), ex, big)
			took, alloc := time.Since(start), allocated()-before
			// Past maxOutput, the default is sent instead; never past
			// maxSteps or maxRenderTime.
			var be *BudgetError
			if errors.As(err, &be) && be.What != "output" {
				t.Fatalf("%s past its budget with the largest data: %v after %d steps", partFields[p], err, steps)
			}
			if steps > maxSteps || len(out) > maxOutput || took > callBound || alloc > callAlloc {
				t.Fatalf("%s with the largest data: %d steps, %d bytes, %v, %d bytes allocated", partFields[p], steps, len(out), took, alloc)
			}
		}
	})
}

// allocated is the bytes allocated so far by the process.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// FuzzCleanShortcuts: cleanText and cleanLine with their shortcuts for
// text that needs no cleaning return what the full cleaning returns.
func FuzzCleanShortcuts(f *testing.F) {
	for _, s := range []string{"", "Design review", "Ann  Example", " x", "x ", "a\nb", "a \nb", "a\n\n\nb", "\na\n", "a\r\nb",
		"a\tb", "caf\xe9", "Chloé Dubois", "a\u00a0b", "\ufeffx", "x\x7f", "a\u2028b", "\n\n", "a\t\nb", "trailing\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := cleanText(s), cleanTextFull(s); got != want {
			t.Fatalf("cleanText(%q) = %q, want %q", s, got, want)
		}
		if got, want := cleanLine(s), cleanLineFull(s); got != want {
			t.Fatalf("cleanLine(%q) = %q, want %q", s, got, want)
		}
	})
}
