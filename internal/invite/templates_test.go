package invite

import (
	"errors"
	htmltemplate "html/template"
	"strings"
	"testing"
)

// TestDefaultTemplates renders every sample with the defaults: each kind
// and language says what it should, shows the join link except in
// cancellations, and escapes the meeting's text in HTML.
func TestDefaultTemplates(t *testing.T) {
	want := map[string]map[Kind][2]string{ // subject prefix, first text line
		"en": {KindRequest: {"Invitation: ", "Ann Example invites you to a meeting."},
			KindUpdate: {"Updated invitation: ", "Ann Example has changed this meeting."},
			KindCancel: {"Cancelled: ", "Ann Example has cancelled this meeting."}},
		"fr": {KindRequest: {"Invitation : ", "Ann Example vous invite à une réunion."},
			KindUpdate: {"Invitation mise à jour : ", "Ann Example a modifié cette réunion."},
			KindCancel: {"Annulé : ", "Ann Example a annulé cette réunion."}},
	}
	for _, s := range samples(Branding{}) {
		r, warnings, err := render(Templates{}, s)
		if err != nil || len(warnings) > 0 {
			t.Fatalf("%s %s: %v %v", s.Lang, s.Kind, err, warnings)
		}
		w := want[s.Lang][Kind(s.Kind)]
		if !strings.HasPrefix(r.Subject, w[0]+"Weekly product review @ ") || !strings.HasSuffix(r.Subject, ")") {
			t.Errorf("%s %s subject %q", s.Lang, s.Kind, r.Subject)
		}
		if first, _, _ := strings.Cut(r.Text, "\n"); first != w[1] {
			t.Errorf("%s %s text starts %q", s.Lang, s.Kind, first)
		}
		if !strings.Contains(r.Text, s.When) || !strings.Contains(r.HTML, s.When) {
			t.Errorf("%s %s: the time is missing", s.Lang, s.Kind)
		}
		if s.JoinURL != "" {
			inText, inHTML := strings.Contains(r.Text, s.JoinURL), strings.Contains(r.HTML, s.JoinURL)
			if s.IsCancel && (inText || inHTML) {
				t.Errorf("%s %s: a cancellation shows the join link", s.Lang, s.Kind)
			}
			if !s.IsCancel && (!inText || !inHTML) {
				t.Errorf("%s %s: the join link is missing (text %v, HTML %v)", s.Lang, s.Kind, inText, inHTML)
			}
		}
		if s.IsUpdate && !strings.Contains(r.Text, map[string]string{"en": "What changed:", "fr": "Ce qui a changé :"}[s.Lang]) {
			t.Errorf("%s update: no changes listed:\n%s", s.Lang, r.Text)
		}
		if s.IsCancel && !strings.Contains(r.Text, s.Reason) {
			t.Errorf("%s cancel: no reason", s.Lang)
		}
		if strings.Contains(r.Text, "\n\n\n") || strings.Contains(r.Text, " \n") {
			t.Errorf("%s %s: untidy text:\n%s", s.Lang, s.Kind, r.Text)
		}
		if s.Lang == "fr" && strings.Contains(r.HTML, ">When<") || s.Lang == "en" && strings.Contains(r.HTML, ">Quand<") {
			t.Errorf("%s: HTML in the wrong language", s.Lang)
		}
	}
}

func TestHTMLEscaping(t *testing.T) {
	m := parisMeeting(t)
	m.Summary = `<script>alert("x")</script> & "quotes"`
	m.Description = "<img src=x onerror=alert(1)>\nline two"
	m.Organizer.Name = `Ann <b>Bold</b>`
	req := MailRequest{Method: MethodRequest, Meeting: m, Account: Account{Name: "Acme", Branding: Branding{Footer: "<a href='javascript:x'>f</a>"}},
		To: Recipient{Email: "bob@example.org"}}
	custom := Templates{HTML: `<p title="{{.Subject}}">{{.Description}}</p><a href="{{.JoinURL}}">{{.Organizer.Name}}</a>` +
		`<div style="color:{{.Branding.AccentColor}}">{{.Branding.Footer}}</div><script>var s = {{.Subject}};</script>`}
	for _, tpl := range []Templates{{}, custom} {
		d, err := templateData(&req, KindRequest)
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := render(Templates{}, d)
		if tpl.HTML != "" {
			// render, not ValidateTemplates: the script tag would be
			// refused at save time; this checks the escaping underneath.
			ex, err := htmltemplate.New("html").Funcs(funcs).Parse(tpl.HTML)
			if err != nil {
				t.Fatal(err)
			}
			r.HTML, err = run(ex, d)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script>alert", "<img", "<b>Bold", "<a href='javascript", `"quotes"`} {
			if strings.Contains(r.HTML, bad) {
				t.Errorf("HTML contains %q:\n%s", bad, r.HTML)
			}
		}
	}
}

func TestValidateTemplates(t *testing.T) {
	ok := Templates{
		Subject: `{{if .IsCancel}}[Cancelled] {{end}}{{.Subject}} – {{.Date}}`,
		Text:    "Hello {{.Recipient.Name}},\n{{if .JoinURL}}Join: {{.JoinURL}}{{end}}\n{{range .Attendees}}- {{.Name}}\n{{end}}",
		HTML:    `<p>{{.When}}</p>{{with .JoinURL}}<a href="{{.}}">{{.}}</a>{{end}}{{range $i, $c := .Changes}}{{$i}}{{$c.What}}{{end}}`,
	}
	if err := ValidateTemplates(ok, Branding{Name: "Acme", LogoURL: "https://acme.test/logo.png", AccentColor: "#0A7B3E", Footer: "Acme SAS\nParis"}); err != nil {
		t.Fatalf("valid templates refused: %v", err)
	}
	if err := ValidateTemplates(Templates{}, Branding{}); err != nil {
		t.Fatalf("no templates: %v", err)
	}
	if err := ValidateTemplates(DefaultTemplates("fr"), Branding{}); err != nil {
		t.Fatalf("the French defaults as custom templates: %v", err)
	}
	join := "{{.JoinURL}}"
	tests := []struct {
		name     string
		tpl      Templates
		brand    Branding
		field    string
		line     int
		contains string
	}{
		{"parse error", Templates{Text: join + "\nline two\n{{if .Subject}}\nno end"}, Branding{}, "invitation.text", 4, "unexpected EOF"},
		{"unknown field in a branch not taken", Templates{Text: join + "\n{{if .IsCancel}}\n{{.Reasn}}{{end}}"}, Branding{}, "invitation.text", 3, "unknown field .Reasn"},
		{"wrong case", Templates{Subject: "{{.subject}}"}, Branding{}, "invitation.subject", 1, "did you mean .Subject?"},
		{"field of a list element", Templates{HTML: join + "{{range .Attendees}}\n{{.Nme}}{{end}}"}, Branding{}, "invitation.html", 2, "unknown field .Nme"},
		{"field of text", Templates{Text: join + "{{.Subject.Name}}"}, Branding{}, "invitation.text", 1, "it is a text"},
		{"root from a range", Templates{Text: join + "{{range .Attendees}}{{$.Nope}}{{end}}"}, Branding{}, "invitation.text", 1, "unknown field .Nope"},
		{"range over a number", Templates{Text: join + "{{range 1000000000}}{{end}}"}, Branding{}, "invitation.text", 1, "only over a list"},
		{"range over a call", Templates{Text: join + "{{range slice .Attendees 0}}{{end}}"}, Branding{}, "invitation.text", 1, "only over a list"},
		{"range over text", Templates{Text: join + "{{range .Subject}}{{end}}"}, Branding{}, "invitation.text", 1, "not a list"},
		{"define", Templates{Text: join + `{{define "x"}}a{{end}}`}, Branding{}, "invitation.text", 0, "define"},
		{"template call", Templates{Text: join + `{{template "text"}}`}, Branding{}, "invitation.text", 1, "not allowed"},
		{"huge printf", Templates{Text: join + `{{printf "%0999999999d" 1}}`}, Branding{}, "invitation.text", 1, "at most 200"},
		{"script", Templates{HTML: join + "\n<SCRIPT>alert(1)</script>"}, Branding{}, "invitation.html", 2, "not allowed"},
		{"event handler", Templates{HTML: join + `<img src="x" onerror="alert(1)">`}, Branding{}, "invitation.html", 1, "not allowed"},
		{"javascript url", Templates{HTML: join + `<a href="javascript:alert(1)">x</a>`}, Branding{}, "invitation.html", 1, "not allowed"},
		{"split script tag", Templates{HTML: join + `<scr{{if true}}{{end}}ipt>alert(1)</script>`}, Branding{}, "invitation.html", 0, "renders"},
		{"meta refresh", Templates{HTML: join + `<meta http-equiv="refresh" content="0;url=https://evil.test">`}, Branding{}, "invitation.html", 1, "not allowed"},
		{"no join link in text", Templates{Text: "{{.Subject}} at {{.When}}"}, Branding{}, "invitation.text", 0, ".JoinURL"},
		{"no join link in html", Templates{HTML: "<p>{{.Subject}}</p>"}, Branding{}, "invitation.html", 0, ".JoinURL"},
		{"empty subject", Templates{Subject: "{{if .IsCancel}}x{{end}}"}, Branding{}, "invitation.subject", 0, "empty subject"},
		{"too big", Templates{Subject: strings.Repeat("a", MaxSubjectTemplate+1)}, Branding{}, "invitation.subject", 0, "at most"},
		{"not utf-8", Templates{Text: "\xff\xfe" + join}, Branding{}, "invitation.text", 0, "UTF-8"},
		{"output bomb", Templates{HTML: join + "{{range .Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}" +
			strings.Repeat("x", 1000) + "{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}"}, Branding{}, "invitation.html", 0, "output longer"},
		{"bad colour", Templates{}, Branding{AccentColor: "red; background:url(x)"}, "branding.accent_color", 0, "#RRGGBB"},
		{"bad logo", Templates{}, Branding{LogoURL: "javascript:alert(1)"}, "branding.logo_url", 0, "not http"},
		{"name on two lines", Templates{}, Branding{Name: "Acme\r\nBcc: x@y"}, "branding.name", 0, "one line"},
		{"long footer", Templates{}, Branding{Footer: strings.Repeat("é", 2001)}, "branding.footer", 0, "at most"},
	}
	for _, tt := range tests {
		err := ValidateTemplates(tt.tpl, tt.brand)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: error %v", tt.name, err)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			if p.Field == tt.field && p.Line == tt.line && strings.Contains(p.Message, tt.contains) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: problems %+v, want %s line %d about %q", tt.name, ve.Problems, tt.field, tt.line, tt.contains)
		}
		if len(err.Error()) > 2000 {
			t.Errorf("%s: message of %d bytes", tt.name, len(err.Error()))
		}
	}
}

func TestPreview(t *testing.T) {
	brand := Branding{Name: "Acme", AccentColor: "#0A7B3E", LogoURL: "https://acme.test/logo.png", Footer: "Acme SAS"}
	for _, kind := range []Kind{KindRequest, KindUpdate, KindCancel} {
		for _, lang := range []string{"en", "fr-FR"} {
			r, err := Preview(Templates{}, brand, kind, lang)
			if err != nil {
				t.Fatalf("%s %s: %v", kind, lang, err)
			}
			if r.Subject == "" || !strings.Contains(r.HTML, "#0A7B3E") || !strings.Contains(r.HTML, "https://acme.test/logo.png") ||
				!strings.Contains(r.Text, "Acme SAS") {
				t.Errorf("%s %s: branding missing", kind, lang)
			}
		}
	}
	custom := Templates{Subject: "{{.Branding.Name}}: {{.Subject}}"}
	r, err := Preview(custom, brand, KindRequest, "fr")
	if err != nil || r.Subject != "Acme: Weekly product review" || !strings.HasPrefix(r.Text, "Ann Example vous invite") {
		t.Errorf("custom subject: %q %v", r.Subject, err)
	}
	if _, err := Preview(Templates{Subject: "{{.Nope}}"}, brand, KindRequest, "en"); err == nil {
		t.Error("invalid template previewed")
	}
	if _, err := Preview(Templates{}, brand, "reminder", "en"); err == nil {
		t.Error("unknown kind previewed")
	}
}

// TestRenderFallback: a custom template that fails at send time (it was
// valid when saved) gives way to the default, with a warning.
func TestRenderFallback(t *testing.T) {
	s := samples(Branding{})[0]
	r, warnings, err := render(Templates{Text: "{{.Nope}}"}, s)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "invitation.text") || !strings.Contains(r.Text, s.JoinURL) {
		t.Errorf("%v %q", err, warnings)
	}
}
