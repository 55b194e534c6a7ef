package invite

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/aymerick/douceur/parser"
	"github.com/microcosm-cc/bluemonday"
	"github.com/microcosm-cc/bluemonday/css"
	"golang.org/x/net/html"
)

// The HTML of a custom template goes through an allow-list sanitizer
// (bluemonday) rather than string checks: html/template escapes the data a
// template prints (an unsafe URL in the data becomes "#ZgotmplZ"), but
// the template's own markup is written as is, and string checks miss
// what a browser or mail client decodes ("jav&#x61;script:", tabs inside
// the scheme, "JaVaScRiPt:"). bluemonday tokenizes the HTML as a browser
// does (golang.org/x/net/html decodes entities), keeps only the elements,
// attributes and CSS properties listed in htmlPolicy, and parses every URL,
// keeping only the schemes listed. ValidateTemplates refuses a template
// whose sample output the sanitizer would change (htmlChange says where),
// and every custom HTML part is sanitized again when it is rendered.

// htmlPolicy is what invitation HTML may contain: the markup of e-mail
// (tables, inline styles, images, links), as Convene's default templates
// use it. No script, style element, frame, form, object, base, link or
// meta refresh; no event handler; URLs only in a/href and img/src, with
// the schemes http, https, mailto and tel or none (relative); no CSS
// property that takes a URL.
var htmlPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("html", "head", "title", "body",
		"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col", "center",
		"div", "span", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
		"b", "strong", "i", "em", "u", "s", "small", "big", "sub", "sup", "code", "pre", "blockquote",
		"ul", "ol", "li", "font")
	p.AllowAttrs("lang", "dir", "title", "role", "align", "valign", "width", "height", "aria-label", "aria-hidden").Globally()
	p.AllowAttrs("bgcolor", "color").Matching(cssColor).Globally()
	p.AllowAttrs("border", "cellpadding", "cellspacing", "colspan", "rowspan").Matching(bluemonday.Integer).Globally()
	p.AllowAttrs("face", "size").OnElements("font")
	p.AllowAttrs("charset", "name").OnElements("meta")
	p.AllowAttrs("content").Matching(metaContent).OnElements("meta") // no URL: no refresh
	p.AllowAttrs("href", "target", "rel", "name").OnElements("a")
	p.AllowAttrs("src", "alt").OnElements("img")
	p.AllowNoAttrs().OnElements("a", "span", "div", "font") // an empty href="" goes, the element stays
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	p.RequireParseableURLs(true)
	// A relative URL has no scheme to abuse and nothing to resolve
	// against in a mail; html/template writes "#ZgotmplZ" for an unsafe
	// URL in the data, and an absent one is "".
	p.AllowRelativeURLs(true)
	// Styles: the properties of e-mail layout, each value checked by
	// bluemonday's handler for it; background only as a colour (its
	// default handler takes url()).
	p.AllowStyles("color", "background-color", "font-family", "font-size", "font-weight", "font-style", "line-height",
		"text-align", "text-decoration", "text-transform", "letter-spacing", "vertical-align", "white-space",
		"word-break", "word-wrap", "overflow-wrap",
		"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
		"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
		"border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style", "border-width",
		"border-radius", "border-collapse", "border-spacing",
		"width", "min-width", "max-width", "height", "min-height", "max-height", "display", "list-style-type").Globally()
	p.AllowStyles("background").MatchingHandler(css.ColorHandler).Globally()
	return p
}()

var metaContent = regexp.MustCompile(`^[A-Za-z0-9 ,.=;:_-]{0,200}$`)

var cssColor = regexp.MustCompile(`^(#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}|[A-Za-z]{3,20})$`)

// sanitizeHTML returns the HTML of a custom template as htmlPolicy allows
// it. An HTML5 doctype is kept (bluemonday drops every doctype).
func sanitizeHTML(s string) string {
	out := htmlPolicy.Sanitize(s)
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.TextToken:
			if strings.TrimSpace(string(z.Text())) == "" {
				continue
			}
		case html.DoctypeToken:
			if strings.EqualFold(string(z.Text()), "html") {
				return "<!DOCTYPE html>" + out
			}
		}
		return out
	}
}

// htmlChange returns the first element, attribute or text of s that the
// sanitizer removes or changes, as written in s, or "" when it keeps s as
// it is (comments and the doctype aside, which it drops without harm).
func htmlChange(s string) string {
	styles := map[string]string{} // e-mail HTML repeats its styles
	before := htmlTokens(s, styles)
	after := htmlTokens(htmlPolicy.Sanitize(s), styles)
	for i, t := range before {
		if i >= len(after) || after[i].canon != t.canon {
			// A removed tag joins the texts around it: the text before
			// it is intact, the tag after it is the change.
			if i+1 < len(before) && i < len(after) && strings.HasPrefix(t.canon, "text:") && strings.HasPrefix(after[i].canon, t.canon) {
				return before[i+1].raw
			}
			return t.raw
		}
	}
	return ""
}

// htmlToken is a token in a form that compares equal before and after
// sanitizing when the sanitizer kept it: entities decoded, style
// declarations as bluemonday writes them, text merged.
type htmlToken struct {
	canon, raw string
}

func htmlTokens(s string, styles map[string]string) []htmlToken {
	var out []htmlToken
	var text, textRaw strings.Builder // text not yet in out: the tokens between two tags
	flush := func() {
		if textRaw.Len() > 0 {
			out = append(out, htmlToken{"text:" + text.String(), textRaw.String()})
			text.Reset()
			textRaw.Reset()
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			flush()
			return out
		}
		raw := string(z.Raw())
		t := z.Token()
		switch tt {
		case html.CommentToken, html.DoctypeToken:
			continue
		case html.TextToken:
			text.WriteString(t.Data)
			textRaw.WriteString(raw)
			continue
		}
		flush()
		if tt == html.EndTagToken {
			out = append(out, htmlToken{"</" + t.Data + ">", raw})
			continue
		}
		var b strings.Builder
		b.WriteString("<" + t.Data)
		for _, a := range t.Attr {
			v := a.Val
			if a.Key == "style" {
				c, ok := styles[v]
				if !ok {
					c = styleCanon(v)
					styles[v] = c
				}
				v = c
			}
			if (a.Key == "href" || a.Key == "src") && strings.TrimSpace(v) == "" {
				continue // dropped by the sanitizer, and no link either way
			}
			b.WriteString(" " + a.Key + "=" + strconv.Quote(v))
		}
		b.WriteString(">")
		out = append(out, htmlToken{b.String(), raw})
	}
}

// styleCanon writes a style attribute's declarations the way bluemonday
// writes those it keeps.
func styleCanon(v string) string {
	v = strings.TrimRight(v, " ")
	if v != "" && !strings.HasSuffix(v, ";") {
		v += ";"
	}
	decs, err := parser.ParseDeclarations(v)
	if err != nil {
		return "unparsable:" + v
	}
	parts := make([]string, len(decs))
	for i, d := range decs {
		parts[i] = d.Property + ": " + d.Value
	}
	return strings.Join(parts, "; ")
}
