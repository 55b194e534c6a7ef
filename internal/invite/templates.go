package invite

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"
)

// Templates are an account's own invitation templates (PATCH
// /api/v1/account, "invitation"): Go text/template for the subject and the
// plain text, html/template for the HTML. An empty field uses Convene's
// default for the recipient's language. One set serves requests, updates
// and cancellations: templates tell them apart with .IsUpdate and
// .IsCancel, and the languages with .Lang.
type Templates struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Branding is an account's look in invitations (PATCH /api/v1/account,
// "branding").
type Branding struct {
	// Name is the organization's name, shown in the From header ("Ann via
	// Acme") and the HTML header.
	Name string `json:"name"`
	// LogoURL is an https (or http) image URL.
	LogoURL string `json:"logo_url"`
	// AccentColor is #RRGGBB: the join button and headings.
	AccentColor string `json:"accent_color"`
	// Footer is plain text at the bottom of every invitation.
	Footer string `json:"footer"`
}

// Kind is what an invitation says: new meeting, change, or cancellation.
type Kind string

// The kinds of invitation mail.
const (
	KindRequest Kind = "request"
	KindUpdate  Kind = "update"
	KindCancel  Kind = "cancel"
)

// TemplateData is what invitation templates see. Every value is a string
// (or a list of structs of strings) already written for the recipient: in
// their language and their time zone. None is pre-escaped HTML: the HTML
// template escapes everything it prints.
type TemplateData struct {
	// Kind is "request", "update" or "cancel"; IsUpdate and IsCancel say
	// the same as booleans.
	Kind     string
	IsUpdate bool
	IsCancel bool
	// Lang is "en" or "fr".
	Lang string
	// Subject is the meeting's title; Description the organizer's text,
	// and DescriptionLines the same split into lines (for HTML, where
	// Outlook ignores white-space: pre-wrap).
	Subject          string
	Description      string
	DescriptionLines []string
	// When is the whole time range: "Tuesday, March 3, 2026, 2:00 – 2:30
	// PM (Paris time)" / "mardi 3 mars 2026, 14:00 – 14:30 (heure de
	// Paris)". Date, StartTime, EndTime and TimeZone are its parts;
	// Duration is "30 minutes" / "1 h 30".
	When      string
	Date      string
	StartTime string
	EndTime   string
	TimeZone  string
	Duration  string
	// Recurrence describes a series ("Every week on Tuesday, 10 times"),
	// empty for a single meeting. Occurrence says which occurrence a
	// change or cancellation is about, empty when it is about the whole
	// meeting.
	Recurrence string
	Occurrence string
	Organizer  PersonData
	Attendees  []PersonData
	Recipient  PersonData
	// JoinURL, Provider ("Zoom"), MeetingID and Passcode of the video
	// meeting; DialIn is the provider's invitation text, dial-in numbers
	// included, and DialInLines its lines. Empty when there is none.
	JoinURL     string
	Provider    string
	MeetingID   string
	Passcode    string
	DialIn      string
	DialInLines []string
	// Location is a place, when the meeting has one.
	Location string
	// MeetingURL is the meeting's page in Convene.
	MeetingURL string
	// Changes lists what an update changed.
	Changes []ChangeData
	// Reason is why the meeting was cancelled, if the organizer said.
	Reason      string
	ReasonLines []string
	Branding    BrandingData
}

// PersonData is a person in TemplateData. Optional is set for optional
// attendees.
type PersonData struct {
	Name     string
	Email    string
	Optional bool
}

// ChangeData is one change of an update: What ("Time", "Horaire"), Before
// and After.
type ChangeData struct {
	What   string
	Before string
	After  string
}

// BrandingData is the account's Branding in TemplateData: AccentColor is
// always a valid #RRGGBB (Convene's blue by default), LogoURL empty or an
// http(s) URL.
type BrandingData struct {
	Name        string
	LogoURL     string
	AccentColor string
	Footer      string
	FooterLines []string
}

// Limits of custom templates and their output.
const (
	MaxSubjectTemplate = 1 << 10
	MaxTextTemplate    = 64 << 10
	MaxHTMLTemplate    = 128 << 10
	maxOutput          = 512 << 10
	maxSubjectRunes    = 255
	maxBrandName       = 100
	maxFooter          = 2000
)

//go:embed defaults
var defaultFS embed.FS

// Rendered is a rendered invitation: subject, plain text and HTML.
type Rendered struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Problem is one thing wrong with an account's templates or branding.
// Field is the API's name for it ("invitation.html",
// "branding.accent_color"); Line is the template line, when known.
type Problem struct {
	Field   string `json:"field"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// ValidationError lists the problems of templates and branding; the HTTP
// API answers 422 with them.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			parts[i] = fmt.Sprintf("%s line %d: %s", p.Field, p.Line, p.Message)
		} else {
			parts[i] = p.Field + ": " + p.Message
		}
	}
	return "invite: " + strings.Join(parts, "; ")
}

// funcs replace text/template's printf, whose width and precision
// ("%999999999d") would let a template allocate without bound.
var funcs = map[string]any{
	"printf": func(format string, args ...any) (string, error) {
		for _, m := range printfWidth.FindAllString(format, -1) {
			if n, _ := strconv.Atoi(strings.TrimLeft(m, "%.-+# 0")); n > 200 {
				return "", fmt.Errorf("printf width or precision %d, at most 200", n)
			}
		}
		if strings.Contains(format, "*") {
			return "", errors.New("printf: * width is not allowed")
		}
		return fmt.Sprintf(format, args...), nil
	},
}

var printfWidth = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?`)

// part is one of the three templates of an invitation.
type part int

const (
	partSubject part = iota
	partText
	partHTML
)

var partFields = [...]string{"invitation.subject", "invitation.text", "invitation.html"}
var partFiles = [...]string{"subject.txt", "text.txt", "html.html"}
var partLimits = [...]int{MaxSubjectTemplate, MaxTextTemplate, MaxHTMLTemplate}

// executor is a parsed text or HTML template.
type executor interface {
	Execute(io.Writer, any) error
}

// compile parses one template and checks it statically: size, UTF-8, no
// nested template definitions, range only over the data's lists, fields
// that exist, no script in HTML.
func compile(p part, src string) (executor, []Problem) {
	field := partFields[p]
	var probs []Problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	if len(src) > partLimits[p] {
		add(0, "%d bytes, at most %d", len(src), partLimits[p])
		return nil, probs
	}
	if !utf8.ValidString(src) {
		add(0, "not UTF-8 text")
		return nil, probs
	}
	name := strings.TrimPrefix(field, "invitation.")
	var tree *parse.Tree
	var exec executor
	var nTemplates int
	if p == partHTML {
		t, err := htmltemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			line, msg := templateErrorLine(err)
			add(line, "%s", msg)
			return nil, probs
		}
		tree, exec, nTemplates = t.Tree, t, len(t.Templates())
	} else {
		t, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			line, msg := templateErrorLine(err)
			add(line, "%s", msg)
			return nil, probs
		}
		tree, exec, nTemplates = t.Tree, t, len(t.Templates())
	}
	if nTemplates > 1 {
		add(0, "define and block are not allowed: write one template")
	}
	if tree == nil || tree.Root == nil {
		return exec, probs
	}
	c := &checker{tree: tree, add: add, html: p == partHTML}
	c.walk(tree.Root, dataType, map[string]reflect.Type{"$": dataType})
	if len(probs) > 0 {
		return nil, probs
	}
	return exec, nil
}

var dataType = reflect.TypeFor[TemplateData]()

// templateErrorLine splits "template: html:3:5: msg" into 3 and msg.
var templateErrorRE = regexp.MustCompile(`^template: [^:]*:(\d+)(?::\d+)?: (.*)$`)

func templateErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := templateErrorRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, strings.TrimPrefix(msg, "template: ")
}

// checker walks a template's parse tree with the type of dot, so that a
// misspelt field is reported even in a branch the sample data does not
// take.
type checker struct {
	tree *parse.Tree
	add  func(line int, format string, args ...any)
	html bool
}

var scriptRE = regexp.MustCompile(`(?i)<\s*(script|iframe|frame|object|embed|form|base)\b|\bon[a-z]+\s*=|javascript:|http-equiv`)

func (c *checker) line(n parse.Node) int {
	loc, _ := c.tree.ErrorContext(n)
	parts := strings.Split(loc, ":")
	if len(parts) >= 2 {
		n, _ := strconv.Atoi(parts[1])
		return n
	}
	return 0
}

// walk checks node with dot of type dot (nil: unknown) and the variables
// in scope.
func (c *checker) walk(node parse.Node, dot reflect.Type, vars map[string]reflect.Type) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, ch := range n.Nodes {
			c.walk(ch, dot, vars)
		}
	case *parse.TextNode:
		if c.html {
			if loc := scriptRE.FindIndex(n.Text); loc != nil {
				line := c.line(n) + bytes.Count(n.Text[:loc[0]], []byte("\n"))
				c.add(line, "%q is not allowed in an invitation (no scripts, frames, forms or event handlers)", n.Text[loc[0]:loc[1]])
			}
		}
	case *parse.ActionNode:
		t := c.pipe(n.Pipe, dot, vars)
		for _, v := range n.Pipe.Decl {
			vars[v.Ident[0]] = t
		}
	case *parse.IfNode:
		c.pipe(n.Pipe, dot, vars)
		c.walk(n.List, dot, scope(vars))
		c.walk(n.ElseList, dot, scope(vars))
	case *parse.WithNode:
		t := c.pipe(n.Pipe, dot, vars)
		inner := scope(vars)
		for _, v := range n.Pipe.Decl {
			inner[v.Ident[0]] = t
		}
		c.walk(n.List, t, inner)
		c.walk(n.ElseList, dot, scope(vars))
	case *parse.RangeNode:
		// Only the data's own lists: a number or a function call could
		// loop for as long as it likes without writing anything.
		var elem reflect.Type
		if len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 || !isReference(n.Pipe.Cmds[0].Args[0]) {
			c.add(c.line(n), "range over %s: only over a list of the invitation data (.Attendees, .Changes)", n.Pipe)
		} else if t := c.pipe(n.Pipe, dot, vars); t != nil {
			if t.Kind() != reflect.Slice {
				c.add(c.line(n), "range over %s, which is not a list", n.Pipe)
			} else {
				elem = t.Elem()
			}
		}
		inner := scope(vars)
		switch len(n.Pipe.Decl) {
		case 1:
			inner[n.Pipe.Decl[0].Ident[0]] = elem
		case 2:
			inner[n.Pipe.Decl[0].Ident[0]] = reflect.TypeFor[int]()
			inner[n.Pipe.Decl[1].Ident[0]] = elem
		}
		c.walk(n.List, elem, inner)
		c.walk(n.ElseList, dot, scope(vars))
	case *parse.TemplateNode:
		c.add(c.line(n), "{{template %q}} is not allowed: write one template", n.Name)
	case *parse.BreakNode, *parse.ContinueNode, *parse.CommentNode:
	}
}

func scope(vars map[string]reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func isReference(n parse.Node) bool {
	switch n.(type) {
	case *parse.FieldNode, *parse.VariableNode, *parse.ChainNode:
		return true
	}
	return false
}

// pipe checks a pipeline and returns its type when it is a plain
// reference to data (nil otherwise).
func (c *checker) pipe(p *parse.PipeNode, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	if p == nil {
		return nil
	}
	var last reflect.Type
	for _, cmd := range p.Cmds {
		last = nil
		for i, arg := range cmd.Args {
			t := c.arg(arg, dot, vars)
			if i == 0 && len(cmd.Args) == 1 {
				last = t
			}
		}
	}
	return last
}

func (c *checker) arg(n parse.Node, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	switch n := n.(type) {
	case *parse.FieldNode:
		return c.fields(n, dot, n.Ident)
	case *parse.VariableNode:
		t, ok := vars[n.Ident[0]]
		if !ok {
			return nil // text/template reports undefined variables itself
		}
		return c.fields(n, t, n.Ident[1:])
	case *parse.ChainNode:
		var t reflect.Type
		if pn, ok := n.Node.(*parse.PipeNode); ok {
			t = c.pipe(pn, dot, vars)
		} else {
			t = c.arg(n.Node, dot, vars)
		}
		return c.fields(n, t, n.Field)
	case *parse.PipeNode:
		return c.pipe(n, dot, vars)
	case *parse.DotNode:
		return dot
	}
	return nil
}

// fields follows a chain of field names from t, reporting unknown ones.
func (c *checker) fields(n parse.Node, t reflect.Type, names []string) reflect.Type {
	for _, name := range names {
		if t == nil {
			return nil
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			c.add(c.line(n), "%s has no field %s (it is a %s)", n, name, kindName(t))
			return nil
		}
		f, ok := t.FieldByName(name)
		if !ok || !f.IsExported() {
			c.add(c.line(n), "unknown field .%s%s", name, suggest(t, name))
			return nil
		}
		t = f.Type
	}
	return t
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "list"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "yes/no value"
	}
	return t.Kind().String()
}

// suggest names the field a misspelt one was probably meant to be.
func suggest(t reflect.Type, name string) string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if strings.EqualFold(f.Name, name) {
			return "; did you mean ." + f.Name + "?"
		}
		names = append(names, "."+f.Name)
	}
	return "; the fields here are " + strings.Join(names, ", ")
}

// limitWriter fails once more than n bytes are written: a template that
// repeats itself stops there.
type limitWriter struct {
	buf bytes.Buffer
	n   int
}

var errTooLong = fmt.Errorf("output longer than %d bytes", maxOutput)

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.n {
		return 0, errTooLong
	}
	return w.buf.Write(p)
}

func run(ex executor, data *TemplateData) (string, error) {
	w := &limitWriter{n: maxOutput}
	if err := ex.Execute(w, data); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

// defaults holds the parsed default templates, per language and part.
var defaults = func() map[string][3]executor {
	out := map[string][3]executor{}
	for _, lang := range Languages {
		var set [3]executor
		for p := partSubject; p <= partHTML; p++ {
			b, err := defaultFS.ReadFile("defaults/" + lang + "." + partFiles[p])
			if err != nil {
				panic(err)
			}
			ex, probs := compile(p, string(b))
			if len(probs) > 0 {
				panic(fmt.Sprintf("invite: default template %s.%s: %v", lang, partFiles[p], probs))
			}
			set[p] = ex
		}
		out[lang] = set
	}
	return out
}()

// DefaultTemplates returns Convene's templates for a language ("en", "fr"),
// for an account that wants to start from them.
func DefaultTemplates(lang string) Templates {
	lang = pickLang(lang)
	read := func(p part) string {
		b, _ := defaultFS.ReadFile("defaults/" + lang + "." + partFiles[p])
		return string(b)
	}
	return Templates{Subject: read(partSubject), Text: read(partText), HTML: read(partHTML)}
}

// render renders the invitation for data: the account's template for each
// part it has, the language's default for the others. A custom template
// that fails (it passed ValidateTemplates when it was saved) is replaced by
// the default, and the failure returned in warnings: the invitation still
// goes out.
func render(custom Templates, data *TemplateData) (Rendered, []string, error) {
	srcs := [3]string{custom.Subject, custom.Text, custom.HTML}
	var out [3]string
	var warnings []string
	for p := partSubject; p <= partHTML; p++ {
		def := defaults[data.Lang][p]
		if strings.TrimSpace(srcs[p]) != "" {
			ex, probs := compileCached(p, srcs[p])
			if len(probs) == 0 {
				s, err := run(ex, data)
				if err == nil {
					out[p] = s
					continue
				}
				line, msg := templateErrorLine(err)
				probs = []Problem{{Field: partFields[p], Line: line, Message: msg}}
			}
			warnings = append(warnings, (&ValidationError{Problems: probs}).Error()+" (the default template was used)")
		}
		s, err := run(def, data)
		if err != nil {
			return Rendered{}, warnings, fmt.Errorf("invite: default %s template: %w", partFiles[p], err)
		}
		out[p] = s
	}
	return Rendered{Subject: subjectLine(out[partSubject]), Text: cleanBody(out[partText]), HTML: out[partHTML]}, warnings, nil
}

// compiled caches the custom templates render has compiled, by part and
// hash of the source: an account's templates are the same for all its mail. The cache
// is emptied when it reaches maxCompiled entries.
var compiled struct {
	sync.Mutex
	m map[[2]string]compiledEntry
}

type compiledEntry struct {
	ex    executor
	probs []Problem
}

const maxCompiled = 512

func compileCached(p part, src string) (executor, []Problem) {
	sum := sha256.Sum256([]byte(src))
	key := [2]string{partFiles[p], string(sum[:])}
	compiled.Lock()
	e, ok := compiled.m[key]
	compiled.Unlock()
	if ok {
		return e.ex, e.probs
	}
	ex, probs := compile(p, src)
	compiled.Lock()
	if compiled.m == nil || len(compiled.m) >= maxCompiled {
		compiled.m = map[[2]string]compiledEntry{}
	}
	compiled.m[key] = compiledEntry{ex, probs}
	compiled.Unlock()
	return ex, probs
}

// subjectLine makes a rendered subject one line of at most 255 characters.
func subjectLine(s string) string {
	s = cleanLine(s)
	if utf8.RuneCountInString(s) > maxSubjectRunes {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:maxSubjectRunes-1])) + "…"
	}
	return s
}

// cleanBody tidies a rendered plain text: LF line ends, no trailing blanks,
// at most one blank line in a row.
func cleanBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return blankLines.ReplaceAllString(strings.Trim(strings.Join(lines, "\n"), "\n"), "\n\n") + "\n"
}

var colorRE = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// checkBranding validates an account's branding.
func checkBranding(b Branding) []Problem {
	var probs []Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: "branding." + field, Message: fmt.Sprintf(format, args...)})
	}
	if !utf8.ValidString(b.Name) || strings.ContainsAny(b.Name, "\r\n\t") || utf8.RuneCountInString(b.Name) > maxBrandName {
		add("name", "one line of at most %d characters", maxBrandName)
	}
	if b.LogoURL != "" {
		if len(b.LogoURL) > 2048 {
			add("logo_url", "longer than 2048 bytes")
		} else if err := checkURL(b.LogoURL); err != nil {
			add("logo_url", "%v", err)
		}
	}
	if b.AccentColor != "" && !colorRE.MatchString(b.AccentColor) {
		add("accent_color", "%q is not a colour in the form #RRGGBB", b.AccentColor)
	}
	if !utf8.ValidString(b.Footer) || utf8.RuneCountInString(b.Footer) > maxFooter {
		add("footer", "text of at most %d characters", maxFooter)
	}
	return probs
}

// ValidateTemplates checks an account's templates and branding before they
// are saved: it parses each template (errors with their line), checks every
// field name against TemplateData, refuses nested templates, unbounded
// loops and scripts, then renders each template for sample meetings (new,
// updated and cancelled, in each language, with and without video) and
// checks that the text and HTML show the join link of new and updated
// meetings (shared/LESSONS.md, Lost links). It returns nil or a
// *ValidationError.
func ValidateTemplates(t Templates, b Branding) error {
	probs := checkBranding(b)
	srcs := [3]string{t.Subject, t.Text, t.HTML}
	var exes [3]executor
	for p := partSubject; p <= partHTML; p++ {
		if strings.TrimSpace(srcs[p]) == "" {
			continue
		}
		ex, ps := compile(p, srcs[p])
		probs = append(probs, ps...)
		exes[p] = ex
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	seen := map[string]bool{}
	for _, sample := range samples(b) {
		for p := partSubject; p <= partHTML; p++ {
			if exes[p] == nil {
				continue
			}
			out, err := run(exes[p], sample)
			if err != nil {
				line, msg := templateErrorLine(err)
				key := fmt.Sprint(p, line, msg)
				if !seen[key] {
					seen[key] = true
					probs = append(probs, Problem{Field: partFields[p], Line: line, Message: msg})
				}
				continue
			}
			if p != partSubject && sample.JoinURL != "" && !sample.IsCancel {
				shown := strings.Contains(out, sample.JoinURL)
				if p == partHTML {
					shown = strings.Contains(out, htmltemplate.HTMLEscapeString(sample.JoinURL))
				}
				key := fmt.Sprint(p, "join")
				if !shown && !seen[key] {
					seen[key] = true
					probs = append(probs, Problem{Field: partFields[p], Message: "the join link (.JoinURL) is missing from new or updated invitations; attendees would have no way in"})
				}
			}
			// The same check on the output: a tag split over two text
			// nodes ("<scr{{if true}}{{end}}ipt>") passes the parse-tree check.
			if m := scriptRE.FindString(out); p == partHTML && m != "" && !seen["script-out"] {
				seen["script-out"] = true
				probs = append(probs, Problem{Field: partFields[p], Message: fmt.Sprintf("renders %q, which is not allowed in an invitation", m)})
			}
			if p == partSubject && subjectLine(out) == "" && !seen["subject-empty"] {
				seen["subject-empty"] = true
				probs = append(probs, Problem{Field: partFields[p], Message: "renders an empty subject"})
			}
		}
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// Preview renders the sample meeting with an account's templates and
// branding, for the preview endpoint: kind "request", "update" or
// "cancel", in lang. Invalid templates give a *ValidationError.
func Preview(t Templates, b Branding, kind Kind, lang string) (Rendered, error) {
	if err := ValidateTemplates(t, b); err != nil {
		return Rendered{}, err
	}
	lang = pickLang(lang)
	for _, s := range samples(b) {
		if s.Kind == string(kind) && s.Lang == lang && s.JoinURL != "" {
			r, _, err := render(t, s)
			return r, err
		}
	}
	return Rendered{}, &ValidationError{Problems: []Problem{{Field: "kind", Message: fmt.Sprintf("%q is not request, update or cancel", kind)}}}
}

// samples are the meetings templates are validated and previewed with.
func samples(b Branding) []*TemplateData {
	var out []*TemplateData
	for _, lang := range Languages {
		for _, kind := range []Kind{KindRequest, KindUpdate, KindCancel} {
			for _, video := range []bool{true, false} {
				m := sampleMeeting(video)
				req := MailRequest{Meeting: m, Account: Account{Name: "Acme", Branding: b, Language: lang},
					To: Recipient{Name: "Bob Martin", Email: "bob@example.org", Language: lang, TimeZone: "Europe/Paris"}}
				switch kind {
				case KindUpdate:
					prev := *m
					prev.Start, prev.End = m.Start.Add(-24*time.Hour), m.End.Add(-24*time.Hour)
					m.Sequence = 1
					req.Previous = &prev
				case KindCancel:
					req.Method = MethodCancel
					req.Reason = map[string]string{"en": "The roadmap review moved to the offsite.", "fr": "La revue de la feuille de route a lieu au séminaire."}[lang]
					m.Sequence = 2
				}
				if req.Method == "" {
					req.Method = MethodRequest
				}
				d, err := templateData(&req, kind)
				if err != nil {
					panic(err) // the sample is ours
				}
				out = append(out, d)
			}
		}
	}
	return out
}

func sampleMeeting(video bool) *Meeting {
	paris, _ := time.LoadLocation("Europe/Paris")
	m := &Meeting{
		UID: "sample@convene.invalid", Summary: "Weekly product review",
		Description: "Agenda: roadmap, hiring, Q2 numbers.",
		Start:       time.Date(2026, 3, 3, 14, 0, 0, 0, paris), End: time.Date(2026, 3, 3, 14, 30, 0, 0, paris),
		TimeZone:   "Europe/Paris",
		Recurrence: &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=TU;COUNT=10"},
		URL:        "https://convene.example/meetings/sample",
		Organizer:  Person{Name: "Ann Example", Email: "ann@acme.example"},
		Attendees: []Attendee{
			{Person: Person{Name: "Ann Example", Email: "ann@acme.example"}, Role: RoleChair, PartStat: PartStatAccepted, NoRSVP: true},
			{Person: Person{Name: "Bob Martin", Email: "bob@example.org"}},
			{Person: Person{Name: "Chloé Dubois", Email: "chloe@exemple.fr"}, Role: RoleOptional},
		},
	}
	if video {
		m.Video = &Video{Provider: "Zoom", JoinURL: "https://zoom.example/j/81234567890?pwd=sample", MeetingID: "812 3456 7890", Passcode: "461972",
			Invitation: "Join Zoom Meeting\r\nhttps://zoom.example/j/81234567890?pwd=sample\r\n\r\nMeeting ID: 812 3456 7890\r\nPasscode: 461972\r\n\r\nDial by your location\r\n+33 1 7037 2246 France"}
	} else {
		m.Location = "Room 4.2, 12 rue de la Paix, Paris"
	}
	return m
}

// templateData builds what templates see, for the recipient of req.
func templateData(req *MailRequest, kind Kind) (*TemplateData, error) {
	m := req.Meeting
	lang := pickLang(req.To.Language, req.Account.Language)
	tz := req.To.TimeZone
	if tz == "" {
		tz = m.TimeZone
	}
	loc, err := loadZone(tz)
	if err != nil {
		return nil, invalid("to.time_zone", "%v", err)
	}
	s, e := m.Start.In(loc), m.End.In(loc)
	d := &TemplateData{
		Kind: string(kind), IsUpdate: kind == KindUpdate, IsCancel: kind == KindCancel,
		Lang:        lang,
		Subject:     cleanLine(m.Summary),
		Description: cleanText(m.Description),
		When:        formatRange(m.Start, m.End, loc, tz, lang),
		Date:        formatDate(s, lang),
		StartTime:   formatClock(s, lang),
		EndTime:     formatClock(e, lang),
		TimeZone:    zoneLabel(tz, loc, s, lang),
		Duration:    formatDuration(m.End.Sub(m.Start), lang),
		Organizer:   PersonData{Name: cleanLine(m.Organizer.Name), Email: m.Organizer.Email},
		Recipient:   PersonData{Name: cleanLine(req.To.Name), Email: req.To.Email},
		Location:    cleanLine(m.Location),
		MeetingURL:  m.URL,
		Reason:      cleanText(req.Reason),
		Branding: BrandingData{Name: cleanLine(req.Account.Branding.Name), LogoURL: req.Account.Branding.LogoURL,
			AccentColor: req.Account.Branding.AccentColor, Footer: cleanText(req.Account.Branding.Footer)},
	}
	d.DescriptionLines = lines(d.Description)
	d.ReasonLines = lines(d.Reason)
	d.Branding.FooterLines = lines(d.Branding.Footer)
	if d.Branding.Name == "" {
		d.Branding.Name = cleanLine(req.Account.Name)
	}
	if !colorRE.MatchString(d.Branding.AccentColor) {
		d.Branding.AccentColor = defaultAccent
	}
	if checkURL(d.Branding.LogoURL) != nil {
		d.Branding.LogoURL = ""
	}
	if m.Recurrence != nil {
		d.Recurrence = describeRule(m.Recurrence.RRule, m.Start, loc, lang)
	}
	if o := m.Occurrence; o != nil {
		date := formatDate(o.RecurrenceID.In(loc), lang)
		switch {
		case lang == "fr" && o.ThisAndFuture:
			d.Occurrence = "À partir de la réunion du " + date
		case lang == "fr":
			d.Occurrence = "Uniquement la réunion du " + date
		case o.ThisAndFuture:
			d.Occurrence = "This and following meetings, from " + date
		default:
			d.Occurrence = "Only the meeting of " + date
		}
	}
	for _, a := range m.Attendees {
		d.Attendees = append(d.Attendees, PersonData{Name: cleanLine(a.Name), Email: a.Email, Optional: a.Role == RoleOptional})
	}
	if v := m.Video; v != nil {
		d.JoinURL, d.Provider = v.JoinURL, cleanLine(v.Provider)
		d.MeetingID, d.Passcode = cleanLine(v.MeetingID), cleanLine(v.Passcode)
		d.DialIn = cleanText(v.Invitation)
		d.DialInLines = lines(d.DialIn)
	}
	if kind == KindUpdate && req.Previous != nil {
		d.Changes = changes(req.Previous, m, loc, tz, lang)
	}
	return d, nil
}

const defaultAccent = "#2F6FEB"

// changes lists, for the recipient, what differs between two versions of
// a meeting.
func changes(prev, cur *Meeting, loc *time.Location, tz, lang string) []ChangeData {
	fr := lang == "fr"
	label := func(en, frl string) string {
		if fr {
			return frl
		}
		return en
	}
	var out []ChangeData
	if !prev.Start.Equal(cur.Start) || !prev.End.Equal(cur.End) {
		out = append(out, ChangeData{label("Time", "Horaire"), formatRange(prev.Start, prev.End, loc, tz, lang), formatRange(cur.Start, cur.End, loc, tz, lang)})
	}
	if cleanLine(prev.Summary) != cleanLine(cur.Summary) {
		out = append(out, ChangeData{label("Title", "Titre"), cleanLine(prev.Summary), cleanLine(cur.Summary)})
	}
	rule := func(m *Meeting) string {
		if m.Recurrence == nil {
			return label("Does not repeat", "Pas de récurrence")
		}
		return describeRule(m.Recurrence.RRule, m.Start, loc, lang)
	}
	if rule(prev) != rule(cur) {
		out = append(out, ChangeData{label("Repeats", "Récurrence"), rule(prev), rule(cur)})
	}
	join := func(m *Meeting) string {
		if m.Video == nil {
			return ""
		}
		return m.Video.JoinURL
	}
	if join(prev) != join(cur) {
		out = append(out, ChangeData{label("Video link", "Lien vidéo"), join(prev), join(cur)})
	}
	if cleanLine(prev.Location) != cleanLine(cur.Location) {
		out = append(out, ChangeData{label("Place", "Lieu"), cleanLine(prev.Location), cleanLine(cur.Location)})
	}
	if cleanText(prev.Description) != cleanText(cur.Description) {
		out = append(out, ChangeData{label("Description", "Description"), cleanText(prev.Description), cleanText(cur.Description)})
	}
	who := func(m *Meeting) []string {
		var s []string
		for _, a := range m.Attendees {
			s = append(s, strings.ToLower(a.Email))
		}
		return s
	}
	var added, removed []string
	for _, a := range cur.Attendees {
		if !slices.Contains(who(prev), strings.ToLower(a.Email)) {
			added = append(added, personLabel(a.Person))
		}
	}
	for _, a := range prev.Attendees {
		if !slices.Contains(who(cur), strings.ToLower(a.Email)) {
			removed = append(removed, personLabel(a.Person))
		}
	}
	if len(added) > 0 {
		out = append(out, ChangeData{What: label("Added", "Ajouté(s)"), After: listJoin(added, lang)})
	}
	if len(removed) > 0 {
		out = append(out, ChangeData{What: label("Removed", "Retiré(s)"), Before: listJoin(removed, lang)})
	}
	return out
}

func personLabel(p Person) string {
	if n := cleanLine(p.Name); n != "" {
		return n
	}
	return p.Email
}

// lines splits a cleaned text into its lines; nil for an empty text.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
