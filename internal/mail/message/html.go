package message

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlLines turns an HTML body into lines of text, keeping what the reply
// parser needs: blockquotes as quote depth, the containers mail clients put
// quoted history in as hist levels or cut points, signatures as "-- ".
//
// It streams golang.org/x/net/html's tokenizer with its own small stack of
// open elements rather than walking html.Parse's tree: the tree builder
// refuses documents nested deeper than 512 elements (the whole text would
// be lost) and its adoption agency is superlinear on misnested formatting
// (2 MB of "<p><b><i><u><s>x</p>" took 1.1 s when measured), while mail
// needs no tree: a bounded stack gives linear time whatever the markup.
// The tokenizer decodes entities and reads script and style as raw text.
func htmlLines(src string) []line {
	z := html.NewTokenizer(strings.NewReader(src))
	r := &htmlRenderer{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			r.flush(false)
			return r.lines
		case html.TextToken:
			if r.skip == 0 {
				r.text(string(z.Text()))
			}
		case html.StartTagToken:
			r.start(z, false)
		case html.SelfClosingTagToken:
			r.start(z, true)
		case html.EndTagToken:
			name, _ := z.TagName()
			r.end(atom.Lookup(name), string(name))
		}
	}
}

// maxOpen bounds the stack of open elements; deeper elements still break
// lines but change no state.
const maxOpen = 256

type openElem struct {
	a    atom.Atom
	name string
	// what the element changed, undone when it closes
	quote, hist, skip, pre bool
	// para: a paragraph, followed by a blank line (but Outlook's
	// MsoNormal paragraphs, which are lines)
	para bool
}

type htmlRenderer struct {
	lines []line
	cur   strings.Builder
	// state at the first character of the current line
	curDepth, curHist int
	curCut            bool
	// current state
	depth, hist, skip, pre int
	pendingCut             bool
	space                  bool // a collapsed space is pending
	stack                  []openElem
}

// blocks are the elements that start and end on their own line.
var blocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true, atom.Center: true, atom.Dd: true,
	atom.Details: true, atom.Dialog: true, atom.Dir: true, atom.Div: true, atom.Dl: true, atom.Dt: true, atom.Fieldset: true,
	atom.Figcaption: true, atom.Figure: true, atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Li: true, atom.Main: true, atom.Menu: true,
	atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true,
	atom.Tbody: true, atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Caption: true, atom.Ul: true, atom.Body: true,
	atom.Html: true,
}

// skipped are the elements whose content is not text.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Title: true, atom.Template: true, atom.Svg: true,
	atom.Math: true, atom.Object: true, atom.Iframe: true, atom.Select: true, atom.Noembed: true, atom.Noframes: true,
}

// void elements have no end tag.
var void = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true, atom.Img: true,
	atom.Input: true, atom.Link: true, atom.Meta: true, atom.Param: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
}

func (r *htmlRenderer) start(z *html.Tokenizer, selfClosing bool) {
	name, more := z.TagName()
	a := atom.Lookup(name)
	var class, id, style, typ string
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "class":
			class = strings.ToLower(string(v))
		case "id":
			id = strings.ToLower(string(v))
		case "style":
			style = strings.ToLower(strings.ReplaceAll(string(v), " ", ""))
		case "type":
			typ = strings.ToLower(string(v))
		}
	}
	_ = typ // Apple's blockquote type=cite is a blockquote like any other
	if a == atom.Body {
		r.popTo(atom.Head, "head") // an unclosed <head>
	}
	switch {
	case a == atom.Br:
		r.flush(true)
		return
	case a == atom.Hr:
		r.flush(false)
		r.cur.WriteString("________________________________")
		r.mark()
		r.flush(false)
		return
	case void[a] || selfClosing:
		return
	}
	e := openElem{a: a, name: string(name)}
	if blocks[a] || a == atom.Td || a == atom.Th {
		if a == atom.Td || a == atom.Th {
			if r.cur.Len() > 0 {
				r.space = true
			}
		} else {
			r.flush(false)
		}
	}
	switch {
	case strings.Contains(class, "gmail_signature") || strings.Contains(class, "moz-signature") || id == "signature" ||
		strings.Contains(class, "protonmail_signature_block"):
		// A signature: the "-- " delimiter the text version would have.
		r.flush(false)
		r.cur.WriteString("-- ")
		r.mark()
		r.flush(false)
	case id == "divrplyfwdmsg" || strings.Contains(class, "outlookmessageheader") || id == "mail-editor-reference-message-container" ||
		strings.Contains(style, "border:none;border-top:solid") || strings.HasPrefix(style, "border-top:solid#e1e1e1") || strings.HasPrefix(style, "border-top:solid#b5c4df"):
		// Outlook: the header block of the quoted message; all that
		// follows is history.
		r.flush(false)
		r.pendingCut = true
	}
	if len(r.stack) >= maxOpen {
		return
	}
	if skipped[a] {
		e.skip = true
		r.skip++
	}
	if a == atom.Pre {
		e.pre = true
		r.pre++
	}
	e.para = a == atom.P && !strings.Contains(class, "msonormal")
	if a == atom.Blockquote {
		e.quote = true
		r.depth++
	}
	if strings.Contains(class, "gmail_quote") || strings.Contains(class, "moz-cite-prefix") || strings.Contains(class, "moz-forward-container") ||
		strings.Contains(class, "yahoo_quoted") || strings.Contains(class, "protonmail_quote") || strings.Contains(class, "zmail_extra") {
		e.hist = true
		r.hist++
	}
	r.stack = append(r.stack, e)
	if a == atom.Li {
		r.cur.WriteString("- ")
		r.mark()
	}
}

func (r *htmlRenderer) end(a atom.Atom, name string) {
	if void[a] {
		return
	}
	if blocks[a] {
		r.flush(false)
	}
	r.popTo(a, name)
	if a == atom.Td || a == atom.Th {
		r.space = r.cur.Len() > 0
	}
}

// popTo closes the innermost open element named name and those inside it;
// an end tag with no open element is ignored.
func (r *htmlRenderer) popTo(a atom.Atom, name string) {
	for i := len(r.stack) - 1; i >= 0; i-- {
		if r.stack[i].a != a || r.stack[i].name != name {
			continue
		}
		for j := len(r.stack) - 1; j >= i; j-- {
			e := r.stack[j]
			if e.quote || e.hist || blocks[e.a] {
				r.flush(false)
			}
			if e.quote {
				r.depth--
			}
			if e.hist {
				r.hist--
			}
			if e.skip {
				r.skip--
			}
			if e.pre {
				r.pre--
			}
			if e.para && len(r.lines) > 0 && r.lines[len(r.lines)-1].text != "" {
				r.lines = append(r.lines, line{depth: r.depth, hist: r.hist})
			}
		}
		r.stack = r.stack[:i]
		return
	}
}

// text adds text: white space collapsed (HTML's rendering), but inside
// <pre>; a no-break space is a space that does not collapse.
func (r *htmlRenderer) text(s string) {
	for _, c := range s {
		switch {
		case r.pre > 0 && c == '\n':
			r.flush(true)
		case r.pre == 0 && (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'):
			if r.cur.Len() > 0 {
				r.space = true
			}
		case c == '\ufeff' || c == '\u200b':
			// invisible
		default:
			if c == '\u00a0' {
				c = ' '
			}
			if r.space {
				r.cur.WriteByte(' ')
				r.space = false
			}
			r.mark()
			r.cur.WriteRune(c)
		}
		if r.cur.Len() > MaxText {
			r.flush(true)
		}
	}
}

// mark records the state at the first character of a line.
func (r *htmlRenderer) mark() {
	if r.cur.Len() == 0 {
		r.curDepth, r.curHist, r.curCut = r.depth, r.hist, r.pendingCut
		r.pendingCut = false
	}
}

// flush ends the current line; hard ends it even when it is empty (<br>).
func (r *htmlRenderer) flush(hard bool) {
	r.space = false
	if r.cur.Len() == 0 {
		if hard {
			r.lines = append(r.lines, line{depth: r.depth, hist: r.hist})
		}
		return
	}
	r.lines = append(r.lines, line{text: r.cur.String(), depth: r.curDepth, hist: r.curHist, cut: r.curCut})
	r.cur.Reset()
}
