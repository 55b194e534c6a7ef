package pages

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
)

//go:embed templates static zones.txt
var files embed.FS

// pageTemplate is one page parsed with the layout and the partials.
type pageTemplate struct {
	t *template.Template
}

// shared are the templates every page is parsed with.
var shared = []string{"templates/layout.html", "templates/forms.html",
	"templates/admin_parts.html"}

// parseTemplates parses every page of templates/ with the shared
// templates.
func (s *Server) parseTemplates() (map[string]*pageTemplate, error) {
	base, err := template.New("").Funcs(s.funcs()).ParseFS(files, shared...)
	if err != nil {
		return nil, fmt.Errorf("pages: templates: %w", err)
	}
	entries, err := fs.ReadDir(files, "templates")
	if err != nil {
		return nil, fmt.Errorf("pages: templates: %w", err)
	}
	out := map[string]*pageTemplate{}
	for _, e := range entries {
		path := "templates/" + e.Name()
		if !strings.HasSuffix(path, ".html") || contains(shared, path) {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, path)
		if err != nil {
			return nil, fmt.Errorf("pages: template %s: %w", e.Name(), err)
		}
		for _, name := range []string{"title", "main"} {
			if t.Lookup(name) == nil {
				return nil, fmt.Errorf("pages: template %s defines no %q", e.Name(), name)
			}
		}
		out[strings.TrimSuffix(e.Name(), ".html")] = &pageTemplate{t: t}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// funcs are the template functions.
func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		// static is the URL of a static file, with its content's hash so
		// that browsers may keep it for good.
		"static": s.static.url,
		// field describes an input of a form for the "field" partial.
		"field": fieldOf,
	}
}

// view is what the layout and every page see.
type view struct {
	L         *Locale
	Session   *account.WebSession
	CSRF      string
	Flash     string
	Nav       []navLink
	Form      *Form
	Data      any
	Path      string
	Sandboxed bool
	Version   string
	// Next is where a sign-in goes afterwards (a local path).
	Next string
}

// Render writes a page: status, the page's template with data, and the
// form it shows (nil: none). The page is rendered to memory first, so a
// template error answers 500 rather than half a page.
func (req *Request) Render(status int, page string, form *Form, data any) error {
	pt, ok := req.s.templates[page]
	if !ok {
		return fmt.Errorf("pages: no template %q", page)
	}
	if form == nil {
		form = &Form{}
	}
	v := view{L: req.L, Session: req.Session, CSRF: req.CSRF(), Flash: req.popFlash(), Nav: req.nav(), Form: form, Data: data,
		Path: req.R.URL.Path, Sandboxed: req.s.opts.Sandboxed, Version: req.s.opts.Version, Next: safeNext(req.R.URL.Query().Get("next"))}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("pages: render %s: %w", page, err)
	}
	h := req.W.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", req.L.Lang)
	h.Add("Vary", "Cookie, Accept-Language")
	req.W.WriteHeader(status)
	req.W.Write(buf.Bytes()) // an error here is a browser gone away: nothing to answer
	return nil
}

// navLink is an entry of the navigation.
type navLink struct {
	Path, Label string
	Current     bool
}

// navItem is an entry of the navigation, shown to whom access allows;
// later areas add theirs here, in the order of the menu.
type navItem struct {
	path, key string
	access    access
}

var navItems = []navItem{
	{"/", "nav.home", signedIn},
	{"/meetings", "nav.meetings", signedIn}, {"/meetings/new", "nav.new", signedIn}, {"/calendars", "nav.calendars", signedIn}, {"/preferences", "nav.preferences", signedIn},
	{"/admin", "nav.admin", admins},
}

func (req *Request) nav() []navLink {
	if req.Session == nil {
		return nil
	}
	var out []navLink
	for _, it := range navItems {
		if it.access == admins && !req.Session.Principal.IsAdmin() {
			continue
		}
		out = append(out, navLink{Path: it.path, Label: req.L.T(it.key), Current: req.R.URL.Path == it.path})
	}
	return out
}

// Form is what a form shows again after a refusal: the values sent and
// what is wrong, per field and as a whole.
type Form struct {
	Values url.Values
	Errors map[string]string
	// Error is a message about the whole form.
	Error string
}

// formOf returns a Form holding the request's posted values.
func formOf(r *http.Request) *Form {
	return &Form{Values: r.PostForm, Errors: map[string]string{}}
}

// Value is the value sent for a field.
func (f *Form) Value(name string) string { return f.Values.Get(name) }

// FieldError is the message about a field, "" when none.
func (f *Form) FieldError(name string) string { return f.Errors[name] }

// Invalid reports whether anything is wrong with the form.
func (f *Form) Invalid() bool { return len(f.Errors) > 0 || f.Error != "" }

// fieldView is an input for the "field" partial (templates/forms.html):
// its label, value, hint and error, wired for assistive technologies.
type fieldView struct {
	Name, Type, Label, Value, Error, Hint, Autocomplete string
	Required                                            bool
}

// fieldOf describes field name of the view's form; its label is the
// catalog's "field.NAME" and its hint "hint.NAME" when there is one
// ("hint.new_password" for a new password).
// Passwords never show the value sent.
func fieldOf(v view, name, typ, autocomplete string, required bool) fieldView {
	f := fieldView{Name: name, Type: typ, Label: v.L.T("field." + name), Error: v.Form.FieldError(name),
		Autocomplete: autocomplete, Required: required}
	if typ != "password" {
		f.Value = v.Form.Value(name)
	}
	hint := "hint." + name
	if autocomplete == "new-password" && name == "password" {
		hint = "hint.new_password" // the rules of a new password, not of signing in
	}
	if v.L.Has(hint) {
		f.Hint = v.L.T(hint)
	}
	return f
}

// takeFailure puts a core failure into the form: each field problem under
// its field (worded in the visitor's language when the catalog knows the
// case, "err.FIELD"), and the rest as the form's error. It returns the
// status to answer, or false when err is no failure to show in the form.
func (req *Request) takeFailure(f *Form, err error, fields ...string) (int, bool) {
	fe, ok := failure.As(err)
	if !ok || fe.Kind == failure.Internal {
		return 0, false
	}
	for _, cause := range knownCauses {
		if errors.Is(err, cause.err) {
			f.Errors[cause.field] = req.L.T(cause.key)
			return statusOf(fe.Kind), true
		}
	}
	for _, p := range fe.Fields {
		if !contains(fields, p.Field) {
			continue
		}
		msg := p.Message
		if req.L.Lang != "en" && req.L.Has("err."+p.Field) {
			msg = req.L.T("err." + p.Field)
		}
		f.Errors[p.Field] = msg
	}
	if len(f.Errors) == 0 {
		f.Error = req.failureText(fe)
	}
	return statusOf(fe.Kind), true
}

// knownCauses are core errors the catalog words itself.
var knownCauses = []struct {
	err   error
	field string
	key   string
}{
	{account.ErrPasswordTooShort, "password", "err.password_short"},
	{account.ErrPasswordTooLong, "password", "err.password_long"},
}

// failureText is what a page says about a failure: the core's detail in
// English, or the catalog's generic words for the kind in another
// language followed by the detail.
func (req *Request) failureText(fe *failure.Error) string {
	if req.L.Lang == "en" {
		return fe.Detail
	}
	return req.L.T("err.kind."+fe.Kind.String()) + " (" + fe.Detail + ")"
}

var kindStatus = map[failure.Kind]int{
	failure.Malformed:       http.StatusBadRequest,
	failure.Invalid:         http.StatusUnprocessableEntity,
	failure.Unauthenticated: http.StatusUnauthorized,
	failure.Forbidden:       http.StatusForbidden,
	failure.NotFound:        http.StatusNotFound,
	failure.Conflict:        http.StatusConflict,
	failure.Unavailable:     http.StatusServiceUnavailable,
	failure.TooLarge:        http.StatusRequestEntityTooLarge,
	failure.Internal:        http.StatusInternalServerError,
}

func statusOf(k failure.Kind) int { return kindStatus[k] }

// errorData is what the error page shows.
type errorData struct {
	Title, Detail string
}

// fail answers err as an error page: a failure of the core with its
// status and detail, anything else as a 500 logged with the request's id.
func (req *Request) fail(err error) {
	fe, ok := failure.As(err)
	if !ok || fe.Kind == failure.Internal {
		id := req.W.Header().Get("X-Request-Id")
		req.s.opts.Log.Error("pages: request failed", "request_id", id, "method", req.R.Method, "route", logRoute(req.R), "err", err)
		fe = failure.New(failure.Internal, "Convene failed to answer; the error is logged with request ID %s", id)
		if req.L.Lang != "en" {
			fe.Detail = req.L.T("err.internal", id)
		}
	}
	d := errorData{Title: req.L.T("err.kind." + fe.Kind.String()), Detail: fe.Detail}
	if fe.Kind != failure.Internal && req.L.Lang != "en" {
		d.Detail = req.failureText(fe)
	}
	if err := req.Render(statusOf(fe.Kind), "error", nil, d); err != nil {
		req.s.opts.Log.Error("pages: error page", "err", err)
		http.Error(req.W, d.Detail, statusOf(fe.Kind))
	}
}

// logRoute names a request's page in logs by its route's pattern, never by
// its path: the paths of links mailed to people (a guest's choice link, a
// password reset, a booking confirmation) carry their secret.
func logRoute(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}
