package pages

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"golang.org/x/net/html"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
)

// The invitation template editor and the branding: subject, text and HTML
// templates (Go templates, checked by the core with their budgets:
// account.Service.UpdateAccount, PreviewInvitation) and the name, logo,
// accent colour and footer, with a preview in English and French. Without
// JavaScript the Preview button renders the page again with the preview
// of what the form holds; with it, the page's script asks
// POST /admin/invitation/preview (a JSON route, with the CSRF token in
// X-CSRF-Token) as the admin types.

// maxInvitationForm bounds the editor's form: the templates' own limits
// (invite.MaxHTMLTemplate and the others, about 193 KiB) url-encoded.
const maxInvitationForm = 1 << 20

// invitationFields maps the core's fields ("invitation.html") to the
// form's.
var invitationFields = map[string]string{
	"invitation.subject": "subject", "invitation.text": "text", "invitation.html": "html",
	"branding.name": "brand_name", "branding.logo_url": "logo_url", "branding.accent_color": "accent_color", "branding.footer": "footer",
}

// previewKinds are the kinds of invitation the preview shows.
var previewKinds = []string{string(invite.KindRequest), string(invite.KindUpdate), string(invite.KindCancel)}

// mailPreview is one language's preview.
type mailPreview struct {
	Lang, Subject, Text string
	// Style is the style of the HTML's body, HTML what is in it (checked
	// by the core's sanitizer when the templates were validated).
	Style template.CSS
	HTML  template.HTML
}

// invitationData is what the editor shows.
type invitationData struct {
	adminPage
	T        invite.Templates
	B        invite.Branding
	Kind     string
	Kinds    []string
	Previews []mailPreview
	// Problems are the core's objections, each with its field.
	Problems []problemView
}

// areaView is a field of the editor (the "area" partial).
type areaView struct {
	Name, Label, Value, Hint, Error string
	Rows                            int
}

// Field describes the editor's field name holding value; rows 0 makes it
// a one-line input. Its label is the catalog's "field.NAME", its hint
// "hint.NAME" when there is one.
func (d *invitationData) Field(v view, name, value string, rows int) areaView {
	a := areaView{Name: name, Label: v.L.T(invitationLabel(name)), Value: value, Error: v.Form.FieldError(name), Rows: rows}
	if v.L.Has("hint." + name) {
		a.Hint = v.L.T("hint." + name)
	}
	return a
}

// problemView is one problem of the templates.
type problemView struct {
	Field, Label, Message string
}

func (s *Server) adminInvitation(req *Request) error {
	t, b, err := s.opts.Accounts.Look(req.ctx(), req.principal())
	if err != nil {
		return err
	}
	d := &invitationData{adminPage: req.adminNav(), T: t, B: b, Kind: string(invite.KindRequest), Kinds: previewKinds}
	f := &Form{Errors: map[string]string{}}
	s.preview(req, d, f)
	return s.renderInvitation(req, http.StatusOK, f, d)
}

// posted reads the editor's form.
func posted(req *Request) (*Form, *invitationData) {
	f := req.form()
	d := &invitationData{adminPage: req.adminNav(), Kinds: previewKinds,
		T: invite.Templates{Subject: f.Value("subject"), Text: normalizeNewlines(f.Value("text")), HTML: normalizeNewlines(f.Value("html"))},
		B: invite.Branding{Name: f.Value("brand_name"), LogoURL: strings.TrimSpace(f.Value("logo_url")),
			AccentColor: strings.TrimSpace(f.Value("accent_color")), Footer: normalizeNewlines(f.Value("footer"))},
		Kind: f.Value("kind")}
	if !contains(previewKinds, d.Kind) {
		d.Kind = string(invite.KindRequest)
	}
	return f, d
}

// normalizeNewlines undoes the CRLF a browser sends for a textarea's line
// breaks (HTML's form submission), so that lines count as they were typed.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// adminInvitationSubmit previews (do=preview) or saves what the form
// holds.
func (s *Server) adminInvitationSubmit(req *Request) error {
	f, d := posted(req)
	if f.Value("do") != "save" {
		status := s.preview(req, d, f)
		return s.renderInvitation(req, status, f, d)
	}
	_, err := s.opts.Accounts.UpdateAccount(req.ctx(), req.principal(), account.AccountPatch{Invitation: &d.T, Branding: &d.B})
	if err != nil {
		if !s.problems(req, d, f, err) {
			return err
		}
		return s.renderInvitation(req, statusOfErr(err), f, d)
	}
	return req.seeOther("/admin/invitation", "invitation_saved")
}

// adminInvitationPreview is the JSON route of the live preview: the
// preview's HTML fragment (the same partial the page shows) for what the
// form holds.
func (s *Server) adminInvitationPreview(req *Request) error {
	// The token came in the header: the form is not parsed yet.
	if err := req.R.ParseForm(); err != nil {
		return failure.New(failure.Malformed, "the form could not be read: %v", err)
	}
	f, d := posted(req)
	status := s.preview(req, d, f)
	var buf bytes.Buffer
	v := view{L: req.L, Session: req.Session, Form: f, Data: d}
	if err := s.templates["admin_invitation"].t.ExecuteTemplate(&buf, "invitation-preview", v); err != nil {
		return err
	}
	out, err := json.Marshal(map[string]any{"ok": status == http.StatusOK, "html": buf.String()})
	if err != nil {
		return err
	}
	h := req.W.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Language", req.L.Lang)
	req.W.WriteHeader(http.StatusOK)
	req.W.Write(out)
	return nil
}

// preview renders the sample invitation in English and French with d's
// templates and branding, or puts the core's objections in d and f; it
// returns the status of the answer.
func (s *Server) preview(req *Request, d *invitationData, f *Form) int {
	for _, lang := range []string{"en", "fr"} {
		r, err := s.opts.Accounts.PreviewInvitation(req.ctx(), req.principal(), &d.T, &d.B, d.Kind, lang)
		if err != nil {
			d.Previews = nil
			if !s.problems(req, d, f, err) {
				f.Error = req.L.T("invitation.preview_failed")
				return http.StatusInternalServerError
			}
			return statusOfErr(err)
		}
		style, body := splitMailHTML(r.HTML)
		d.Previews = append(d.Previews, mailPreview{Lang: lang, Subject: r.Subject, Text: r.Text, Style: style, HTML: body})
	}
	return http.StatusOK
}

// problems puts a failure of the core about templates into the form: each
// field's problem under its field, listed in d too. It reports whether err
// was such a failure.
func (s *Server) problems(req *Request, d *invitationData, f *Form, err error) bool {
	fe, ok := failure.As(err)
	if !ok || fe.Kind == failure.Internal {
		return false
	}
	for _, p := range fe.Fields {
		name, known := invitationFields[p.Field]
		label := p.Field
		if known {
			label = req.L.T(invitationLabel(name))
			if f.Errors[name] == "" {
				f.Errors[name] = p.Message
			}
		}
		d.Problems = append(d.Problems, problemView{Field: name, Label: label, Message: p.Message})
	}
	if len(fe.Fields) == 0 {
		f.Error = req.failureText(fe)
	}
	return true
}

// renderInvitation renders the editor, allowing the preview's inline
// style attributes (the invitation's HTML is styled inline, as mail must
// be; the core's sanitizer keeps no script, style element or url()) and
// the branding's logo.
func (s *Server) renderInvitation(req *Request, status int, f *Form, d *invitationData) error {
	h := req.W.Header()
	h.Set("Content-Security-Policy", h.Get("Content-Security-Policy")+"; style-src-attr 'unsafe-inline'")
	if src := logoSource(d.B.LogoURL); src != "" {
		req.AllowImages(src)
	}
	return req.Render(status, "admin_invitation", f, d)
}

// splitMailHTML returns the style of an HTML mail's body and what is in
// it, to show inside the page. The HTML is the core's preview, which
// passed the invitation sanitizer (invite.ValidateTemplates).
func splitMailHTML(doc string) (template.CSS, template.HTML) {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return "", ""
	}
	body := findBody(root)
	if body == nil {
		return "", ""
	}
	var style string
	for _, a := range body.Attr {
		if a.Key == "style" {
			style = a.Val
		}
	}
	demoteHeadings(body)
	var buf bytes.Buffer
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&buf, c); err != nil {
			return "", ""
		}
	}
	return template.CSS(style), template.HTML(buf.String()) //nolint:gosec // sanitized by the core
}

// demoteHeadings gives the mail's headings their level inside the page,
// under the preview's own h3 (aria-level; they look as in the mail).
func demoteHeadings(n *html.Node) {
	if n.Type == html.ElementNode && len(n.Data) == 2 && n.Data[0] == 'h' && n.Data[1] >= '1' && n.Data[1] <= '6' {
		n.Attr = append(n.Attr, html.Attribute{Key: "aria-level", Val: string(rune('4' + min(n.Data[1]-'1', 2)))})
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		demoteHeadings(c)
	}
}

func findBody(n *html.Node) *html.Node {
	if n.Type == html.ElementNode && n.Data == "body" {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if b := findBody(c); b != nil {
			return b
		}
	}
	return nil
}

// invitationLabel is the catalog key of an invitation editor field's
// label: the templates' own words ("Objet" in French, a mail's subject),
// the shared field labels for the branding fields.
func invitationLabel(name string) string {
	switch name {
	case "subject", "text", "html":
		return "invitation.field." + name
	}
	return "field." + name
}
