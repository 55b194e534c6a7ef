package assistant

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base32"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

// The assistant's mail is written from templates (letters/en.tmpl and
// letters/fr.tmpl), in the recipient's language, as a short plain text
// with an HTML twin that carries the account's branding (name, logo,
// accent colour, footer) the way invitations do.

//go:embed letters/*.tmpl
var letterFiles embed.FS

// letterTemplates are the templates by language.
var letterTemplates = func() map[string]*texttemplate.Template {
	out := map[string]*texttemplate.Template{}
	for _, lang := range []string{"en", "fr"} {
		out[lang] = texttemplate.Must(texttemplate.New(lang).Option("missingkey=error").Funcs(letterFuncs).ParseFS(letterFiles, "letters/"+lang+".tmpl"))
	}
	return out
}()

// letterFuncs are the templates' helpers.
var letterFuncs = texttemplate.FuncMap{
	// de writes the French "de X", elided before a vowel or a mute h
	// ("d'Acme").
	"de": func(s string) string {
		if s == "" {
			return "de"
		}
		r := []rune(strings.ToLower(s))[0]
		if strings.ContainsRune("aeiouyhàâéèêîïôûü", r) {
			return "d'" + s
		}
		return "de " + s
	},
}

// letterData is what the templates see: every value already written for
// the recipient (their language, their time zone).
type letterData struct {
	Account    string
	Organizer  string
	Guest      string
	Subject    string
	Duration   string
	When       string
	Names      string
	Count      int
	Window     string
	Text       string
	Reason     string
	Provider   string
	Candidates string
	JoinURL    string
}

// optionLine is an option in a mail: its number, its time and its link.
type optionLine struct {
	N    int
	When string
	URL  string
}

// letter is one mail to write.
type letter struct {
	Kind string // the template: "options", "booked"…
	Lang string
	To   person
	// FromName is the display name of the From field (the address is the
	// assistant's).
	FromName string
	Data     letterData
	Options  []optionLine
	// AllURL is the guest's link to a page with every option (and "none
	// works"), below the options; "" for none.
	AllURL string
	// Topic is the thread's subject, without prefixes; the mail's is
	// "Re: " and it.
	Topic string
	// InReplyTo and References thread the mail (RFC 5322 §3.6.4).
	InReplyTo  string
	References []string
	// Key is the outbox dedupe key: one mail per key, ever.
	Key string
	// Auto marks a reply to someone who did not ask for one (the refusal):
	// Auto-Submitted: auto-replied (RFC 3834 §5).
	Auto bool

	// guest is the guest's index for a letter to a guest, else -1;
	// options asks for the current options with the guest's links, which
	// are signed when the letter is committed (they name the meeting).
	guest   int
	options bool
}

// branding is the account's look, checked.
type branding struct {
	Name, LogoURL, Accent, Footer string
}

var (
	accentRE = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	logoRE   = regexp.MustCompile(`^https?://[^\s"'<>]+$`)
)

// brandingOf reads an account's branding (invite.Branding's JSON).
func brandingOf(acct *store.Account) branding {
	b := branding{Name: acct.Name, Accent: "#2F6FEB"}
	var ib invite.Branding
	if len(acct.Branding) > 0 && json.Unmarshal(acct.Branding, &ib) == nil {
		if n := strings.TrimSpace(ib.Name); n != "" {
			b.Name = n
		}
		if accentRE.MatchString(ib.AccentColor) {
			b.Accent = ib.AccentColor
		}
		if logoRE.MatchString(ib.LogoURL) {
			b.LogoURL = ib.LogoURL
		}
		b.Footer = strings.TrimSpace(ib.Footer)
	}
	return b
}

// render writes the text of a letter: its paragraphs before and after
// the options.
func (l *letter) render() (intro, outro, signature string, err error) {
	t := letterTemplates[l.Lang]
	if t == nil {
		t, l.Lang = letterTemplates["en"], "en"
	}
	exec := func(name string) (string, error) {
		if t.Lookup(name) == nil {
			return "", nil
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, l.Data); err != nil {
			return "", fmt.Errorf("assistant: letter %s: %w", name, err)
		}
		return strings.TrimSpace(b.String()), nil
	}
	if intro, err = exec(l.Kind + ".intro"); err != nil {
		return
	}
	if t.Lookup(l.Kind+".intro") == nil {
		return "", "", "", fmt.Errorf("assistant: no letter %q", l.Kind)
	}
	if outro, err = exec(l.Kind + ".outro"); err != nil {
		return
	}
	signature, err = exec("signature")
	return
}

// note renders a short note template ("note.unknown") for the organizer.
func note(lang, name string, d letterData) string {
	t := letterTemplates[lang]
	if t == nil {
		t = letterTemplates["en"]
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, d); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

var letterHTML = htmltemplate.Must(htmltemplate.New("letter").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:16px;font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a">
<div style="max-width:560px">
{{if .Brand.LogoURL}}<p><img src="{{.Brand.LogoURL}}" alt="{{.Brand.Name}}" style="max-height:40px"></p>{{end}}
{{range .Intro}}<p>{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{end}}{{if .Options}}<ol style="padding-left:20px">
{{range .Options}}<li style="margin:8px 0">{{.When}}{{if .URL}}<br><a href="{{.URL}}" style="display:inline-block;margin-top:4px;padding:6px 14px;border-radius:4px;background:{{$.Accent}};color:#ffffff;text-decoration:none">{{$.Pick}}</a>{{end}}</li>
{{end}}</ol>
{{if .AllURL}}<p><a href="{{.AllURL}}" style="color:{{.Accent}}">{{.All}}</a></p>
{{end}}{{end}}{{range .Outro}}<p>{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{end}}<p style="color:#666666;font-size:13px">{{.Signature}}{{range .Footer}}<br>{{.}}{{end}}</p>
</div></body></html>
`))

// paragraphs splits text at blank lines, each paragraph into lines.
func paragraphs(s string) [][]string {
	var out [][]string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Split(p, "\n"))
		}
	}
	return out
}

// maxMailSize bounds a letter; quoted guest words are cut well before.
const maxMailSize = 256 << 10

// compose writes the letter as a mail from the assistant's address.
func compose(l *letter, from string, brand branding, now time.Time) (*store.Mail, error) {
	intro, outro, signature, err := l.render()
	if err != nil {
		return nil, err
	}
	pick := map[string]string{"en": "Choose this time", "fr": "Choisir ce créneau"}[l.Lang]
	all := map[string]string{"en": "All the times on one page, or none works", "fr": "Tous les créneaux sur une page, ou aucun ne convient"}[l.Lang]
	colon := map[string]string{"en": ":", "fr": " :"}[l.Lang]
	var text strings.Builder
	text.WriteString(intro)
	if len(l.Options) > 0 {
		text.WriteString("\n")
		for _, o := range l.Options {
			fmt.Fprintf(&text, "\n%d. %s", o.N, o.When)
			if o.URL != "" {
				fmt.Fprintf(&text, "\n   %s", o.URL)
			}
		}
		if l.AllURL != "" {
			fmt.Fprintf(&text, "\n\n%s%s\n%s", all, colon, l.AllURL)
		}
	}
	if outro != "" {
		text.WriteString("\n\n" + outro)
	}
	text.WriteString("\n\n-- \n" + signature + "\n")
	if brand.Footer != "" {
		text.WriteString(brand.Footer + "\n")
	}
	// A reply's subject is "Re: " and the thread's topic; the first mail
	// of a thread the assistant starts itself (a proposal made through
	// the API) has the meeting's subject.
	subject := "Re: " + l.Topic
	if l.Topic == "" || l.InReplyTo == "" && len(l.References) == 0 {
		subject = l.Data.Subject
	}
	var html bytes.Buffer
	if err := letterHTML.Execute(&html, map[string]any{
		"Lang": l.Lang, "Subject": subject, "Brand": brand, "Accent": htmltemplate.CSS(brand.Accent), "Pick": pick,
		"Intro": paragraphs(intro), "Outro": paragraphs(outro), "Options": l.Options, "AllURL": l.AllURL, "All": all, "Signature": signature,
		"Footer": strings.Split(brand.Footer, "\n"),
	}); err != nil {
		return nil, fmt.Errorf("assistant: letter %s: %w", l.Kind, err)
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	sum := sha256.Sum256([]byte(l.Key))
	msgID := "assistant." + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15])) + "@" + domain

	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: l.FromName, Address: from}})
	h.SetAddressList("To", []*mail.Address{{Name: l.To.Name, Address: l.To.Email}})
	h.SetSubject(subject)
	h.SetMessageID(msgID)
	if l.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{strings.Trim(l.InReplyTo, "<>")})
	}
	if refs := cleanRefs(l.References, msgID); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	h.Set("Content-Language", l.Lang)
	if l.Auto {
		h.Set("Auto-Submitted", "auto-replied")
	}
	var buf bytes.Buffer
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	aw, err := w.CreateInline()
	if err != nil {
		return nil, err
	}
	for _, part := range []struct{ typ, body string }{{"text/plain", text.String()}, {"text/html", html.String()}} {
		var ph mail.InlineHeader
		ph.SetContentType(part.typ, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := aw.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if buf.Len() > maxMailSize {
		return nil, fmt.Errorf("assistant: letter %s: %d bytes", l.Kind, buf.Len())
	}
	return &store.Mail{DedupeKey: l.Key, Kind: "assistant." + l.Kind, Sender: from, Recipients: []string{l.To.Email},
		Subject: subject, MessageID: "<" + msgID + ">", Raw: buf.Bytes(), Created: now.UTC()}, nil
}

// cleanRefs keeps well-formed ids, without the mail's own, at most maxRefs.
func cleanRefs(refs []string, own string) []string {
	var out []string
	seen := map[string]bool{own: true}
	for _, r := range refs {
		r = strings.Trim(strings.TrimSpace(r), "<>")
		if r == "" || strings.ContainsAny(r, " \t\r\n<>") || !strings.Contains(r, "@") || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	if len(out) > maxRefs {
		out = append(out[:1], out[len(out)-maxRefs+1:]...)
	}
	return out
}

// quote shortens what someone wrote for a mail: one line, at most 300
// characters.
func quote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}
