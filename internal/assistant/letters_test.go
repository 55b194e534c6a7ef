package assistant

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// TestLettersRender renders every letter in both languages: the two sets
// have the same kinds, each renders without error, says something, and
// leaves nothing unfilled.
func TestLettersRender(t *testing.T) {
	names := func(lang string) []string {
		var out []string
		for _, tp := range letterTemplates[lang].Templates() {
			if n := tp.Name(); n != lang && n != "en.tmpl" && n != "fr.tmpl" {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	en, fr := names("en"), names("fr")
	if strings.Join(en, ",") != strings.Join(fr, ",") {
		t.Fatalf("the languages differ:\nen %v\nfr %v", en, fr)
	}
	if len(en) < 25 {
		t.Fatalf("only %d templates", len(en))
	}
	for _, reason := range []string{"", "ask", "taken", "moving", "moved", "duration", "provider", "accepted", "declined", "tentative"} {
		for _, count := range []int{1, 2} {
			d := letterData{Account: "Acme", Organizer: "Max", Guest: "Bob", Subject: "Plan", Duration: "30 minutes", When: "Monday",
				Names: "Bob", Count: count, Window: "next week", Text: "words", Reason: reason, Provider: "Zoom", Candidates: "Claire", JoinURL: "https://x"}
			for _, lang := range []string{"en", "fr"} {
				for _, n := range en {
					var b bytes.Buffer
					if err := letterTemplates[lang].ExecuteTemplate(&b, n, d); err != nil {
						t.Errorf("%s %s: %v", lang, n, err)
						continue
					}
					out := b.String()
					if strings.TrimSpace(out) == "" || strings.Contains(out, "<no value>") || strings.Contains(out, "{{") {
						t.Errorf("%s %s: %q", lang, n, out)
					}
				}
			}
		}
	}
}

// TestComposedMail: a letter is a well-formed mail: From the assistant
// with the branding's name, threaded, in its language, text and HTML, the
// HTML escaping what people wrote, with the links.
func TestComposedMail(t *testing.T) {
	l := &letter{Kind: "guest_note", Lang: "en", To: person{Email: "max@acme.test", Name: "Max"}, FromName: "Acme Corp",
		Data:  letterData{Account: "Acme Corp", Guest: "Bob", Subject: "Plan", Text: `<script>alert(1)</script> & "quotes"`},
		Topic: "Plan", InReplyTo: "<a@x>", References: []string{"root@x", "a@x", "bad id", "<a@x>"}, Key: "k1",
		Options: []optionLine{{N: 1, When: "Monday", URL: "https://convene.example/choose/abc"}}}
	brand := brandingOf(&store.Account{Name: "Acme", Branding: []byte(`{"name":"Acme Corp","accent_color":"#aa3300","logo_url":"javascript:alert(1)","footer":"Footer line"}`)})
	m, err := compose(l, "assistant@acme.test", brand, time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	raw := string(m.Raw)
	for _, want := range []string{`From: "Acme Corp" <assistant@acme.test>`, "In-Reply-To: <a@x>", "References: <root@x> <a@x>", "Content-Language: en",
		"Subject: Re: Plan", "text/plain", "text/html"} {
		if !strings.Contains(raw, want) {
			t.Errorf("no %q in\n%s", want, raw)
		}
	}
	html := raw[strings.Index(raw, "text/html"):]
	if strings.Contains(html, "<script>") || strings.Contains(raw, "javascript:") || strings.Contains(raw, "bad id") {
		t.Errorf("unescaped or unchecked content:\n%s", raw)
	}
	if m.MessageID == "" || m2MessageID(t, l, brand) != m.MessageID {
		t.Error("the Message-ID is not a function of the dedupe key")
	}
}

// TestComposedOptions: a mail of options lists each time with its link,
// then the link to every time, in text and HTML; the first mail of a
// thread the assistant starts (no In-Reply-To) is not a "Re:".
func TestComposedOptions(t *testing.T) {
	l := &letter{Kind: "options", Lang: "fr", To: person{Email: "gus@guest.example", Name: "Gus"}, FromName: "Max via Acme",
		Data:  letterData{Account: "Acme", Organizer: "Max", Guest: "Gus", Subject: "Plan", Duration: "30 minutes"},
		Topic: "Plan", Key: "k2",
		Options: []optionLine{{N: 1, When: "lundi", URL: "https://convene.example/choose/one"}, {N: 2, When: "mardi", URL: "https://convene.example/choose/two"}},
		AllURL:  "https://convene.example/choose/all"}
	m, err := compose(l, "assistant@acme.test", brandingOf(&store.Account{Name: "Acme"}), time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Plan" {
		t.Errorf("subject %q", m.Subject)
	}
	txt := text(t, *m)
	for _, want := range []string{"1. lundi\r\n   https://convene.example/choose/one", "2. mardi\r\n   https://convene.example/choose/two",
		"Tous les créneaux sur une page, ou aucun ne convient :\r\nhttps://convene.example/choose/all"} {
		if !strings.Contains(txt, want) {
			t.Errorf("no %q in\n%s", want, txt)
		}
	}
	if !strings.Contains(string(m.Raw), `href=3D"https://convene.example/choose/all"`) {
		t.Errorf("no link to every time in the HTML:\n%s", m.Raw)
	}
}

func m2MessageID(t *testing.T, l *letter, brand branding) string {
	m, err := compose(l, "assistant@acme.test", brand, time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return m.MessageID
}
