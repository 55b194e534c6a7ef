package invite

import (
	"context"
	"crypto/sha256"
	"embed"
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
//
// Templates are budgeted (budget.go): they may call only and, or, not,
// eq, ne, lt, le, gt, ge, len and index; range only over the data's lists
// and not inside another range; nest at most ten deep; define, block,
// template and assignment are refused. The HTML may hold only what the
// sanitizer keeps (sanitize.go).
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

// Limits of custom templates (the budget of their rendering is in
// budget.go).
const (
	MaxSubjectTemplate = 1 << 10
	MaxTextTemplate    = 64 << 10
	MaxHTMLTemplate    = 128 << 10
	maxSubjectRunes    = 255
	maxBrandName       = 100
	maxFooter          = 2000
	maxProblems        = 10 // reported per template
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

// allowedFuncs are the functions templates may call: tests, and lookups
// that return one of their arguments, a part of one or a length. Nothing
// that builds text: with print, printf or html a template could double a
// value on every line ("{{$x := print $x $x}}") without writing anything,
// and call could run any function value. Every value a template handles is
// then the data's own or its literal text, and every step costs little.
var allowedFuncs = map[string]bool{
	"and": true, "or": true, "not": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"len": true, "index": true,
}

const allowedFuncList = "and, or, not, eq, ne, lt, le, gt, ge, len, index"

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
// template definitions or calls, only allowedFuncs, no assignment, range
// only over the data's lists and never inside another range, fields that
// exist, nesting at most maxNesting deep, and a worst-case cost within
// maxSteps. It then adds the ticks that let the budget stop an execution
// (addTicks).
func compile(p part, src string) (executor, []Problem) {
	field := partFields[p]
	var probs []Problem
	add := func(line int, format string, args ...any) {
		// Each problem once, and the first few: a nested range at every
		// level of thirty says nothing more than the first.
		pr := Problem{Field: field, Line: line, Message: fmt.Sprintf(format, args...)}
		if len(probs) < maxProblems && !slices.Contains(probs, pr) {
			probs = append(probs, pr)
		}
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
		t, err := htmltemplate.New(name).Option("missingkey=error").Parse(src)
		if err != nil {
			line, msg := templateErrorLine(err)
			add(line, "%s", msg)
			return nil, probs
		}
		tree, exec, nTemplates = t.Tree, t, len(t.Templates())
	} else {
		t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
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
	c := &checker{tree: tree, add: add}
	cost := c.walk(tree.Root, dataType, map[string]reflect.Type{"$": dataType}, 1, 0)
	if len(probs) == 0 && cost > maxSteps {
		add(0, "could take up to %d steps to render an invitation with %d attendees, at most %d: put less inside {{range}}", cost, maxListLen, maxSteps)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	addTicks(tree.Root)
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
// take, and adds up the template's cost: the most steps (writes and ticks,
// see addTicks) and operands it could execute when every list of the data
// has maxListLen items.
type checker struct {
	tree    *parse.Tree
	add     func(line int, format string, args ...any)
	inRange bool
	deep    bool // the nesting problem was reported
}

func (c *checker) line(n parse.Node) int {
	loc, _ := c.tree.ErrorContext(n)
	parts := strings.Split(loc, ":")
	if len(parts) >= 2 {
		n, _ := strconv.Atoi(parts[1])
		return n
	}
	return 0
}

// enter returns the nesting depth inside n, reporting (once) a depth past
// maxNesting.
func (c *checker) enter(n parse.Node, depth int) int {
	depth++
	if depth > maxNesting && !c.deep {
		c.deep = true
		c.add(c.line(n), "actions nested %d deep, at most %d", depth, maxNesting)
	}
	return depth
}

// walk checks node, run mult times at nesting depth, with dot of type dot
// (nil: unknown) and the variables in scope, and returns its cost.
func (c *checker) walk(node parse.Node, dot reflect.Type, vars map[string]reflect.Type, mult int64, depth int) int64 {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0
		}
		var cost int64
		for _, ch := range n.Nodes {
			cost += c.walk(ch, dot, vars, mult, depth)
		}
		return cost
	case *parse.TextNode:
		return mult // one write
	case *parse.ActionNode:
		t, ops := c.pipe(n.Pipe, dot, vars, depth)
		for _, v := range n.Pipe.Decl {
			vars[v.Ident[0]] = t
		}
		return mult * (2 + ops) // tick and write
	case *parse.IfNode:
		depth = c.enter(n, depth)
		_, ops := c.pipe(n.Pipe, dot, vars, depth)
		return mult*(1+ops) + c.walk(n.List, dot, scope(vars), mult, depth) + c.walkElse(n.ElseList, dot, vars, mult, depth)
	case *parse.WithNode:
		depth = c.enter(n, depth)
		t, ops := c.pipe(n.Pipe, dot, vars, depth)
		inner := scope(vars)
		for _, v := range n.Pipe.Decl {
			inner[v.Ident[0]] = t
		}
		return mult*(1+ops) + c.walk(n.List, t, inner, mult, depth) + c.walkElse(n.ElseList, dot, vars, mult, depth)
	case *parse.RangeNode:
		depth = c.enter(n, depth)
		if c.inRange {
			c.add(c.line(n), "{{range}} inside another {{range}} is not allowed: it would repeat the inner list for every item of the outer one")
		}
		// Only the data's own lists: a number, a function call or a
		// variable of unknown content could loop for as long as it likes
		// without writing anything.
		var elem reflect.Type
		t, ops := c.pipe(n.Pipe, dot, vars, depth)
		switch {
		case len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 || !isReference(n.Pipe.Cmds[0].Args[0]) || t == nil:
			c.add(c.line(n), "range over %s: only over a list of the invitation data (.Attendees, .Changes, .DescriptionLines…)", rangeList(n.Pipe))
		case t.Kind() != reflect.Slice:
			c.add(c.line(n), "range over %s, which is not a list", rangeList(n.Pipe))
		default:
			elem = t.Elem()
		}
		inner := scope(vars)
		switch len(n.Pipe.Decl) {
		case 1:
			inner[n.Pipe.Decl[0].Ident[0]] = elem
		case 2:
			inner[n.Pipe.Decl[0].Ident[0]] = reflect.TypeFor[int]()
			inner[n.Pipe.Decl[1].Ident[0]] = elem
		}
		each := min(mult*maxListLen, 1<<40) // saturates when ranges nest (refused above)
		wasIn := c.inRange
		c.inRange = true
		body := c.walk(n.List, elem, inner, each, depth)
		c.inRange = wasIn
		return mult*(1+ops) + each + body + c.walk(n.ElseList, dot, scope(vars), mult, depth)
	case *parse.TemplateNode:
		c.add(c.line(n), "{{template %q}} is not allowed: write one template", n.Name)
	case *parse.BreakNode, *parse.ContinueNode, *parse.CommentNode:
	}
	return 0
}

// walkElse walks an else branch: an "else if" or "else with" chain counts
// as one level of nesting, like the if it continues.
func (c *checker) walkElse(list *parse.ListNode, dot reflect.Type, vars map[string]reflect.Type, mult int64, depth int) int64 {
	if list != nil && len(list.Nodes) == 1 {
		switch list.Nodes[0].(type) {
		case *parse.IfNode, *parse.WithNode:
			depth--
		}
	}
	return c.walk(list, dot, scope(vars), mult, depth)
}

// rangeList is the list part of a range's pipeline, for messages.
func rangeList(p *parse.PipeNode) string {
	s := p.String()
	if _, after, ok := strings.Cut(s, ":= "); ok {
		return after
	}
	return s
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

// pipe checks a pipeline at nesting depth and returns its type when it is
// a plain reference to data (nil otherwise) and its number of operands.
func (c *checker) pipe(p *parse.PipeNode, dot reflect.Type, vars map[string]reflect.Type, depth int) (reflect.Type, int64) {
	if p == nil {
		return nil, 0
	}
	if p.IsAssign {
		// A variable assigned in a branch would change type behind the
		// checker's back ({{$l = 1000000000}} then {{range $l}}).
		c.add(c.line(p), "%s: assigning to a variable is not allowed; declare a new one with :=", p)
	}
	var last reflect.Type
	var ops int64
	for _, cmd := range p.Cmds {
		last = nil
		for i, arg := range cmd.Args {
			t, n := c.arg(arg, dot, vars, depth)
			ops += n
			if i == 0 && len(cmd.Args) == 1 {
				last = t
			}
		}
	}
	return last, ops
}

func (c *checker) arg(n parse.Node, dot reflect.Type, vars map[string]reflect.Type, depth int) (reflect.Type, int64) {
	switch n := n.(type) {
	case *parse.FieldNode:
		return c.fields(n, dot, n.Ident), 1
	case *parse.VariableNode:
		t, ok := vars[n.Ident[0]]
		if !ok {
			return nil, 1 // text/template reports undefined variables itself
		}
		return c.fields(n, t, n.Ident[1:]), 1
	case *parse.ChainNode:
		var t reflect.Type
		var ops int64
		if pn, ok := n.Node.(*parse.PipeNode); ok {
			t, ops = c.pipe(pn, dot, vars, c.enter(pn, depth))
		} else {
			t, ops = c.arg(n.Node, dot, vars, depth)
		}
		return c.fields(n, t, n.Field), ops + 1
	case *parse.PipeNode:
		t, ops := c.pipe(n, dot, vars, c.enter(n, depth))
		return t, ops + 1
	case *parse.DotNode:
		return dot, 1
	case *parse.IdentifierNode:
		if !allowedFuncs[n.Ident] {
			c.add(c.line(n), "the function %s is not available in invitation templates (only %s): the data are already written out, put text around them instead", n.Ident, allowedFuncList)
		}
	}
	return nil, 1
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
// that fails or goes past its budget (it passed ValidateTemplates when it
// was saved, with the sample data) is replaced by the default, and the
// failure returned in warnings: the invitation still goes out. When ctx
// ends, render stops and returns its cause.
func render(ctx context.Context, custom Templates, data *TemplateData) (Rendered, []string, error) {
	srcs := [3]string{custom.Subject, custom.Text, custom.HTML}
	var out [3]string
	var warnings []string
	for p := partSubject; p <= partHTML; p++ {
		def := defaults[data.Lang][p]
		if strings.TrimSpace(srcs[p]) != "" {
			ex, probs := compileCached(p, srcs[p])
			if len(probs) == 0 {
				s, err := run(ctx, ex, data)
				if err == nil {
					if p == partHTML {
						s = sanitizeHTML(s)
					}
					out[p] = s
					continue
				}
				if ctx.Err() != nil {
					return Rendered{}, warnings, fmt.Errorf("invite: render %s: %w", partFields[p], context.Cause(ctx))
				}
				line, msg := templateErrorLine(err)
				probs = []Problem{{Field: partFields[p], Line: line, Message: msg}}
			}
			warnings = append(warnings, (&ValidationError{Problems: probs}).Error()+" (the default template was used)")
		}
		s, err := run(ctx, def, data)
		if err != nil {
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
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
// field name against TemplateData, refuses nested templates, functions
// that build text, unbounded or nested loops, deep nesting and a worst-case
// cost past the budget (compile), then renders each template for sample
// meetings (new, updated and cancelled, in each language, with and without
// video) within the budget and checks that the text and HTML show the
// join link of new and updated meetings (shared/LESSONS.md, Lost links)
// and that the HTML sanitizer keeps the HTML as it is (sanitize.go). It
// returns nil, a *ValidationError, or the cause of ctx's end.
func ValidateTemplates(ctx context.Context, t Templates, b Branding) error {
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
	parent := ctx
	ctx, cancel := context.WithTimeoutCause(ctx, maxValidateTime, errValidateTime)
	defer cancel()
	seen := map[string]bool{}
	for _, sample := range samples(b) {
		for p := partSubject; p <= partHTML; p++ {
			if exes[p] == nil {
				continue
			}
			out, err := run(ctx, exes[p], sample)
			if err != nil {
				if parent.Err() != nil {
					return fmt.Errorf("invite: validate templates: %w", context.Cause(parent))
				}
				line, msg := templateErrorLine(err)
				key := fmt.Sprint(p, line, msg)
				if !seen[key] {
					seen[key] = true
					probs = append(probs, Problem{Field: partFields[p], Line: line, Message: msg})
				}
				if ctx.Err() != nil {
					return &ValidationError{Problems: probs}
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
			// The sanitizer on the output, not string checks on the
			// source: it sees what a mail client sees, entities decoded
			// and tags split over actions ("<scr{{if true}}{{end}}ipt>")
			// joined.
			if p == partHTML && len(out) > maxSampleHTML && !seen["html-size"] {
				seen["html-size"] = true
				probs = append(probs, Problem{Field: partFields[p], Message: fmt.Sprintf(
					"renders %d bytes of HTML for a sample invitation, at most %d (mail clients clip longer messages)", len(out), maxSampleHTML)})
			}
			if p == partHTML && len(out) <= maxSampleHTML && !seen["html-unsafe"] && !seen["html:"+out] {
				seen["html:"+out] = true // an HTML already checked (samples alike) is not checked again
				if raw := htmlChange(out); raw != "" {
					seen["html-unsafe"] = true
					probs = append(probs, Problem{Field: partFields[p], Line: sourceLine(srcs[p], raw), Message: fmt.Sprintf(
						"%s is not allowed in an invitation: links and images must be http(s) URLs (mailto: and tel: for links), and there may be no script, style element, event handler, frame, form, object, meta refresh or url() in styles",
						shorten(raw, 120))})
				}
			}
			if p == partSubject && subjectLine(out) == "" && !seen["subject-empty"] {
				seen["subject-empty"] = true
				probs = append(probs, Problem{Field: partFields[p], Message: "renders an empty subject"})
			}
		}
		// The checks between renders count against maxValidateTime too.
		if parent.Err() != nil {
			return fmt.Errorf("invite: validate templates: %w", context.Cause(parent))
		}
		if ctx.Err() != nil {
			probs = append(probs, Problem{Field: "invitation", Message: context.Cause(ctx).Error()})
			return &ValidationError{Problems: probs}
		}
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// sourceLine is the line of src where raw (a piece of its output) is
// written, 0 when it is not there as such.
func sourceLine(src, raw string) int {
	i := strings.Index(src, raw)
	if i < 0 || raw == "" {
		return 0
	}
	return 1 + strings.Count(src[:i], "\n")
}

// shorten quotes s, cut to n bytes at a rune boundary.
func shorten(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}

// Preview renders the sample meeting with an account's templates and
// branding, for the preview endpoint: kind "request", "update" or
// "cancel", in lang. Invalid templates, or templates past their budget,
// give a *ValidationError; the end of ctx stops it.
func Preview(ctx context.Context, t Templates, b Branding, kind Kind, lang string) (Rendered, error) {
	if err := ValidateTemplates(ctx, t, b); err != nil {
		return Rendered{}, err
	}
	lang = pickLang(lang)
	for _, s := range samples(b) {
		if s.Kind == string(kind) && s.Lang == lang && s.JoinURL != "" {
			r, warnings, err := render(ctx, t, s)
			if err != nil {
				return Rendered{}, err
			}
			if len(warnings) > 0 {
				// The custom template failed where validation passed:
				// show the failure, not the default in its place.
				return Rendered{}, &ValidationError{Problems: []Problem{{Field: "invitation", Message: strings.Join(warnings, "; ")}}}
			}
			return r, nil
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
	if len(m.Attendees) > maxListLen {
		// validate refuses it too; templates are budgeted for this many.
		return nil, invalid("attendees", "%d attendees, at most %d", len(m.Attendees), maxListLen)
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

// lines splits a cleaned text into its lines; nil for an empty text. Past
// maxListLen lines the rest is joined into the last one, so that a range
// over them stays within the budget compile counted on.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.SplitN(s, "\n", maxListLen)
	if len(out) == maxListLen {
		out[maxListLen-1] = strings.ReplaceAll(out[maxListLen-1], "\n", " ")
	}
	return out
}
