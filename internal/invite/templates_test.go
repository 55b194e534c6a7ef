package invite

import (
	"context"
	"errors"
	"html"
	htmltemplate "html/template"
	"strings"
	"testing"
	"time"
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
		r, warnings, err := render(context.Background(), Templates{}, s)
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
		r, _, err := render(context.Background(), Templates{}, d)
		if tpl.HTML != "" {
			// run, not ValidateTemplates: the script tag would be
			// refused at save time; this checks the escaping underneath.
			ex, err := htmltemplate.New("html").Parse(tpl.HTML)
			if err != nil {
				t.Fatal(err)
			}
			r.HTML, err = run(context.Background(), ex, d)
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
	if err := ValidateTemplates(context.Background(), ok, Branding{Name: "Acme", LogoURL: "https://acme.test/logo.png", AccentColor: "#0A7B3E", Footer: "Acme SAS\nParis"}); err != nil {
		t.Fatalf("valid templates refused: %v", err)
	}
	if err := ValidateTemplates(context.Background(), Templates{}, Branding{}); err != nil {
		t.Fatalf("no templates: %v", err)
	}
	if err := ValidateTemplates(context.Background(), DefaultTemplates("fr"), Branding{}); err != nil {
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
		{"huge printf", Templates{Text: join + `{{printf "%0999999999d" 1}}`}, Branding{}, "invitation.text", 1, "printf is not available"},
		{"print doubling", Templates{Text: join + "{{$x := .Description}}\n{{$y := print $x $x}}"}, Branding{}, "invitation.text", 2, "print is not available"},
		{"call", Templates{Text: join + "{{call .JoinURL}}"}, Branding{}, "invitation.text", 1, "call is not available"},
		{"html function", Templates{Subject: "{{html .Subject}}"}, Branding{}, "invitation.subject", 1, "html is not available"},
		{"range over a variable of unknown content", Templates{Text: join + "{{$n := 1000000000}}\n{{range $n}}{{end}}"}, Branding{}, "invitation.text", 2, "only over a list"},
		{"range over dot of unknown content", Templates{Text: join + "{{with index .Attendees 0}}{{range .}}{{end}}{{end}}"}, Branding{}, "invitation.text", 1, "only over a list"},
		{"assignment", Templates{Text: join + "{{$l := .Attendees}}{{if .IsCancel}}\n{{$l = .Subject}}{{end}}{{range $l}}{{end}}"}, Branding{}, "invitation.text", 2, "assigning to a variable is not allowed"},
		{"nested range", Templates{Text: join + "{{range .Attendees}}\n{{range $.Changes}}{{end}}{{end}}"}, Branding{}, "invitation.text", 2, "inside another {{range}}"},
		{"nested range through with", Templates{Text: join + "{{range .Attendees}}{{with $.Attendees}}{{range .}}{{end}}{{end}}{{end}}"}, Branding{}, "invitation.text", 1, "inside another {{range}}"},
		{"deep nesting", Templates{Text: join + strings.Repeat("{{if .Subject}}", maxNesting+1) + strings.Repeat("{{end}}", maxNesting+1)}, Branding{}, "invitation.text", 1, "nested 11 deep, at most 10"},
		{"deep parentheses", Templates{Text: join + "{{if " + strings.Repeat("(not ", maxNesting+1) + ".IsCancel" + strings.Repeat(")", maxNesting+1) + "}}{{end}}"}, Branding{}, "invitation.text", 1, "nested"},
		{"too costly", Templates{Text: join + "{{range .Attendees}}" + strings.Repeat("{{.Name}}, ", 200) + "{{end}}"}, Branding{}, "invitation.text", 0, "could take up to"},
		{"script", Templates{HTML: join + "\n<SCRIPT>alert(1)</script>"}, Branding{}, "invitation.html", 2, "not allowed"},
		{"event handler", Templates{HTML: join + `<img src="x" onerror="alert(1)">`}, Branding{}, "invitation.html", 1, "not allowed"},
		{"javascript url", Templates{HTML: join + `<a href="javascript:alert(1)">x</a>`}, Branding{}, "invitation.html", 1, "not allowed"},
		{"split script tag", Templates{HTML: join + `<scr{{if true}}{{end}}ipt>alert(1)</script>`}, Branding{}, "invitation.html", 0, "not allowed"},
		{"meta refresh", Templates{HTML: join + `<meta http-equiv="refresh" content="0;url=https://evil.test">`}, Branding{}, "invitation.html", 1, "not allowed"},
		{"no join link in text", Templates{Text: "{{.Subject}} at {{.When}}"}, Branding{}, "invitation.text", 0, ".JoinURL"},
		{"no join link in html", Templates{HTML: "<p>{{.Subject}}</p>"}, Branding{}, "invitation.html", 0, ".JoinURL"},
		{"empty subject", Templates{Subject: "{{if .IsCancel}}x{{end}}"}, Branding{}, "invitation.subject", 0, "empty subject"},
		{"too big", Templates{Subject: strings.Repeat("a", MaxSubjectTemplate+1)}, Branding{}, "invitation.subject", 0, "at most"},
		{"HTML too big for mail", Templates{HTML: join + "{{range .Attendees}}" + strings.Repeat("<p>lorem ipsum</p>", 2000) + "{{end}}"}, Branding{}, "invitation.html", 0, "mail clients clip"},
		{"not utf-8", Templates{Text: "\xff\xfe" + join}, Branding{}, "invitation.text", 0, "UTF-8"},
		{"output bomb", Templates{HTML: join + "{{range .Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}{{range $.Attendees}}" +
			strings.Repeat("x", 1000) + "{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}"}, Branding{}, "invitation.html", 1, "inside another {{range}}"},
		{"bad colour", Templates{}, Branding{AccentColor: "red; background:url(x)"}, "branding.accent_color", 0, "#RRGGBB"},
		{"bad logo", Templates{}, Branding{LogoURL: "javascript:alert(1)"}, "branding.logo_url", 0, "not http"},
		{"logo in capitals", Templates{}, Branding{LogoURL: "JAVASCRIPT:alert(1)//https://x"}, "branding.logo_url", 0, "not http"},
		{"logo as data", Templates{}, Branding{LogoURL: "data:image/svg+xml;base64,PHN2Zz4="}, "branding.logo_url", 0, "not http"},
		{"logo breaking out of its attribute", Templates{}, Branding{LogoURL: `https://acme.test/l.png" onerror="alert(1)`}, "branding.logo_url", 0, "invalid URL"},
		{"logo with a control character", Templates{}, Branding{LogoURL: "https://acme.test/\x00l.png"}, "branding.logo_url", 0, "invalid URL"},
		{"logo without host", Templates{}, Branding{LogoURL: "https:///etc/passwd"}, "branding.logo_url", 0, "no host"},
		{"logo with leading space", Templates{}, Branding{LogoURL: " https://acme.test/l.png"}, "branding.logo_url", 0, "invalid URL"},
		{"short colour", Templates{}, Branding{AccentColor: "#fff"}, "branding.accent_color", 0, "#RRGGBB"},
		{"colour with more", Templates{}, Branding{AccentColor: "#0A7B3E;background:url(https://evil.test/x)"}, "branding.accent_color", 0, "#RRGGBB"},
		{"name on two lines", Templates{}, Branding{Name: "Acme\r\nBcc: x@y"}, "branding.name", 0, "one line"},
		{"long footer", Templates{}, Branding{Footer: strings.Repeat("é", 2001)}, "branding.footer", 0, "at most"},
	}
	for _, tt := range tests {
		err := ValidateTemplates(context.Background(), tt.tpl, tt.brand)
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
			r, err := Preview(context.Background(), Templates{}, brand, kind, lang)
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
	r, err := Preview(context.Background(), custom, brand, KindRequest, "fr")
	if err != nil || r.Subject != "Acme: Weekly product review" || !strings.HasPrefix(r.Text, "Ann Example vous invite") {
		t.Errorf("custom subject: %q %v", r.Subject, err)
	}
	if _, err := Preview(context.Background(), Templates{Subject: "{{.Nope}}"}, brand, KindRequest, "en"); err == nil {
		t.Error("invalid template previewed")
	}
	if _, err := Preview(context.Background(), Templates{}, brand, "reminder", "en"); err == nil {
		t.Error("unknown kind previewed")
	}
}

// TestRenderFallback: a custom template that fails at send time (it was
// valid when saved) gives way to the default, with a warning.
func TestRenderFallback(t *testing.T) {
	s := samples(Branding{})[0]
	r, warnings, err := render(context.Background(), Templates{Text: "{{.Nope}}"}, s)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "invitation.text") || !strings.Contains(r.Text, s.JoinURL) {
		t.Errorf("%v %q", err, warnings)
	}
}

// TestHTMLSanitizer: the known ways past string checks, in the template's
// own markup, are refused when saved, and removed when rendered (a
// template saved before this check, or one the samples pass).
func TestHTMLSanitizer(t *testing.T) {
	bypasses := map[string]string{
		"entity-encoded scheme":      `<a href="jav&#x61;script:alert(1)">x</a>`,
		"entity without semicolon":   `<a href="&#106avascript:alert(1)">x</a>`,
		"mixed case":                 `<a href="JaVaScRiPt:alert(1)">x</a>`,
		"tab in the scheme":          "<a href=\"java\tscript:alert(1)\">x</a>",
		"encoded tab in the scheme":  `<a href="java&#x09;script:alert(1)">x</a>`,
		"newline in the scheme":      `<a href="java&NewLine;script:alert(1)">x</a>`,
		"leading control character":  `<a href="&#x01;javascript:alert(1)">x</a>`,
		"leading space":              `<a href=" javascript:alert(1)">x</a>`,
		"data image":                 `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" alt="x">`,
		"data link":                  `<a href="data:text/html,<script>alert(1)</script>">x</a>`,
		"vbscript":                   `<a href="vbscript:msgbox(1)">x</a>`,
		"srcset":                     `<img src="https://acme.test/a.png" srcset="javascript:alert(1) 1x" alt="x">`,
		"style url":                  `<div style="background:url(javascript:alert(1))">x</div>`,
		"style background-image":     `<div style="background-image: url('https://evil.test/track.png')">x</div>`,
		"style background url":       `<div style="background: url('https://evil.test/track.png')">x</div>`,
		"style expression":           `<div style="width: expression(alert(1))">x</div>`,
		"style escaped url":          `<div style="background: u\72 l(https://evil.test/x)">x</div>`,
		"event handler":              `<img src="https://acme.test/a.png" onerror="alert(1)" alt="x">`,
		"event handler in capitals":  `<P ONMOUSEOVER="alert(1)">x</P>`,
		"script":                     `<script>alert(1)</script>`,
		"script in capitals":         `<ScRiPt>alert(1)</ScRiPt>`,
		"split script tag":           `<scr{{if .IsCancel}}{{end}}ipt>alert(1)</script>`,
		"style element":              `<style>p{background:url(javascript:alert(1))}</style>`,
		"iframe":                     `<iframe src="https://evil.test/"></iframe>`,
		"form":                       `<form action="https://evil.test/"><input name="password"></form>`,
		"meta refresh":               `<meta http-equiv="refresh" content="0;url=https://evil.test/">`,
		"base":                       `<base href="https://evil.test/">`,
		"svg":                        `<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
		"table background attribute": `<table background="javascript:alert(1)"><tr><td>x</td></tr></table>`,
		"object":                     `<object data="https://evil.test/x.swf"></object>`,
	}
	dangerous := []string{"javascript", "vbscript", "data:", "srcset", "url(", "expression", "onerror", "onmouseover", "<script", "<style", "<iframe", "<form", "<input", "http-equiv", "<base", "<svg", "background=", "<object", "evil.test"}
	for name, payload := range bypasses {
		tpl := Templates{HTML: `<p><a href="{{.JoinURL}}">{{.JoinURL}}</a></p>` + "\n" + payload}
		err := ValidateTemplates(context.Background(), tpl, Branding{})
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "invitation.html" || !strings.Contains(ve.Problems[0].Message, "is not allowed in an invitation") {
			t.Errorf("%s: saved (%v)", name, err)
		}
		r, _, err := render(context.Background(), tpl, samples(Branding{})[0])
		if err != nil {
			t.Fatal(err)
		}
		decoded := strings.ToLower(html.UnescapeString(r.HTML))
		for _, d := range dangerous {
			if strings.Contains(decoded, d) {
				t.Errorf("%s: the rendered HTML contains %q: %s", name, d, r.HTML)
			}
		}
		if !strings.Contains(r.HTML, `<a href="https://zoom.example/j/81234567890?pwd=sample">`) {
			t.Errorf("%s: the join link is gone: %s", name, r.HTML)
		}
	}
	// The check is linear: text split by a great many comments.
	split := strings.Repeat("x<!---->", 200_000)
	var c string
	if took := within(t, 30*time.Second, "htmlChange", func() { c = htmlChange(split) }); c != "" || took > 2*time.Second*raceSlowdown {
		t.Errorf("comments: %q after %v", c, took)
	}
	// What e-mail needs is kept as it is.
	ok := `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;border-collapse:collapse">` +
		`<tr><td align="center" style="padding:24px 12px;font-family:Segoe UI,Helvetica,Arial,sans-serif;border-top:4px solid {{.Branding.AccentColor}}">` +
		`<img src="https://acme.test/logo.png" alt="Acme" height="32" style="display:block;border:0">` +
		`<a href="{{.JoinURL}}" style="color:#ffffff;background:{{.Branding.AccentColor}};text-decoration:none">Join</a> ` +
		`<a href="mailto:{{.Organizer.Email}}">{{.Organizer.Name}}</a> <a href="tel:+33170372246">call</a><br><strong>{{.When}}</strong></td></tr></table>`
	if err := ValidateTemplates(context.Background(), Templates{HTML: ok}, Branding{}); err != nil {
		t.Errorf("e-mail markup refused: %v", err)
	}
}

// TestBrandingInHTML: branding values reach the HTML only as validated,
// escaped values, whatever the stored branding holds (an account saved
// before the checks).
func TestBrandingInHTML(t *testing.T) {
	m := parisMeeting(t)
	for _, b := range []Branding{
		{Name: `<b onmouseover="alert(1)">Acme</b>`, LogoURL: "javascript:alert(1)", AccentColor: "red;background:url(https://evil.test/x)", Footer: `<script>alert(1)</script>`},
		{LogoURL: `https://acme.test/l.png" onerror="alert(1)`, AccentColor: "#fff"},
		{LogoURL: "data:image/png;base64,AAAA", AccentColor: "expression(alert(1))"},
		{LogoURL: "JAVASCRIPT:alert(1)", AccentColor: "#0A7B3E\" onclick=\"alert(1)"},
	} {
		req := MailRequest{Method: MethodRequest, Meeting: m, Account: Account{Name: "Acme", Branding: b}, To: Recipient{Email: "bob@example.org"}}
		d, err := templateData(&req, KindRequest)
		if err != nil {
			t.Fatal(err)
		}
		if d.Branding.AccentColor != defaultAccent || d.Branding.LogoURL != "" {
			t.Errorf("%+v: accent %q, logo %q", b, d.Branding.AccentColor, d.Branding.LogoURL)
		}
		for _, tpl := range []Templates{{}, {HTML: `<p style="color:{{.Branding.AccentColor}}"><img src="{{.Branding.LogoURL}}" alt="{{.Branding.Name}}">{{.Branding.Name}} {{.Branding.Footer}} <a href="{{.JoinURL}}">{{.JoinURL}}</a></p>`}} {
			r, warnings, err := render(context.Background(), tpl, d)
			if err != nil || len(warnings) > 0 {
				t.Fatal(err, warnings)
			}
			// Markup in the values is text (escaped); no attribute or
			// style is added, and no URL but the data's.
			if c := htmlChange(r.HTML); c != "" {
				t.Errorf("%+v: the sanitizer changes %q", b, c)
			}
			lower := strings.ToLower(r.HTML)
			for _, bad := range []string{"javascript", "<script", "<b ", "url(", "expression(", "data:", "#fff\"", "red;"} {
				if strings.Contains(lower, bad) {
					t.Errorf("%+v: %q in %s", b, bad, r.HTML)
				}
			}
		}
	}
}
