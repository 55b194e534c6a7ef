package message

import (
	"strings"
	"testing"
)

func TestHTMLLines(t *testing.T) {
	for _, c := range []struct{ name, html, want string }{
		{"entities and links", `<p>Caf&eacute; &amp; <a href="https://x.example/t?id=1">the&nbsp;deck</a> &#8212; 3&nbsp;pm</p>`, "Café & the deck — 3 pm"},
		{"script style head", `<html><head><title>Friday 9am</title><style>p{}</style></head><body><script>var s = "Friday 9am";</script>Monday</body></html>`, "Monday"},
		{"unclosed head", `<head><title>Friday</title><body>Monday`, "Monday"},
		{"blocks and br", `<div>a</div><div>b<br>c</div><div><br></div><div>d</div>`, "a\nb\nc\n\nd"},
		{"paragraphs", `<p>one</p><p>two</p>`, "one\n\ntwo"},
		{"msonormal", `<p class=MsoNormal>one<o:p></o:p></p><p class=MsoNormal>two</p>`, "one\ntwo"},
		{"white space", "<div>  a \n\t b  </div>", "a b"},
		{"pre", "<pre>a\n  b</pre>", "a\n  b"},
		{"lists", `<ul><li>one</li><li>two</ul>`, "- one\n- two"},
		{"table", `<table><tr><td>Subject:</td><td>Plan</td></tr><tr><td>Date:</td><td>Monday</td></tr></table>`, "Subject: Plan\nDate: Monday"},
		{"blockquote", `new<blockquote>old<blockquote>older</blockquote></blockquote>`, "new\n> old\n>> older"},
		{"hr", `a<hr>b`, "a\n________________________________\nb"},
		{"comments", `a<!-- Friday --><!--[if mso]>b<![endif]-->c`, "ac"},
		{"stray end tags", `</div></blockquote>a</p>`, "a"},
		{"invisible", "a\u200b\ufeffb", "ab"},
	} {
		if got := linesText(htmlLines(c.html)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestHTMLContainers checks the containers mail clients put history and
// signatures in.
func TestHTMLContainers(t *testing.T) {
	for _, c := range []struct{ name, html, want string }{
		{"gmail quote", `<div>Yes</div><div class="gmail_quote"><div class="gmail_attr">On Mon, Ann wrote:</div><blockquote class="gmail_quote">Friday?</blockquote></div>`, "Yes"},
		{"gmail bottom post", `<div class="gmail_quote"><div class="gmail_attr">On Mon, Ann wrote:</div><blockquote class="gmail_quote">Friday?</blockquote></div><div>No, Monday.</div>`, "No, Monday."},
		{"gmail signature", `<div>Yes</div><div class="gmail_signature">Bob<br>+1 212 555 0199</div>`, "Yes"},
		{"moz", `<p>Yes</p><div class="moz-cite-prefix">On 3/2/26, Ann wrote:</div><blockquote type="cite">Friday?</blockquote><pre class="moz-signature">-- <br>Karl</pre>`, "Yes"},
		{"outlook web", `<div>Yes</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Ann<br><b>Sent:</b> Monday</div><div>Friday?</div>`, "Yes"},
		{"outlook desktop", `<p class=MsoNormal>Yes</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class=MsoNormal><b>From:</b> Ann</p></div><p class=MsoNormal>Friday?</p>`, "Yes"},
		{"yahoo", `<div>Yes</div><div class="yahoo_quoted">On Monday, Ann wrote: Friday?</div>`, "Yes"},
		{"apple cite", `Yes<div><br><blockquote type="cite"><div>On 2 Mar 2026, at 10:00, Ann wrote:</div>Friday?</blockquote></div>`, "Yes"},
	} {
		own, _ := split(htmlLines(c.html), false, true)
		if got := clean(own); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestHTMLDeep checks that deep nesting is read in linear time with a
// bounded stack (html.Parse would refuse it past 512 levels): the text
// stays, and the quote depth stops at maxOpen.
func TestHTMLDeep(t *testing.T) {
	const n = 50000
	h := strings.Repeat("<blockquote><div>", n) + "deep" + strings.Repeat("</div></blockquote>", n)
	ls := htmlLines(h)
	if len(ls) != 1 || ls[0].text != "deep" || ls[0].depth > maxOpen {
		t.Fatalf("got %d lines, first %+v", len(ls), ls)
	}
	ls = htmlLines(strings.Repeat("<p><b><i><u><s>x</p>", n))
	if len(ls) < n {
		t.Fatalf("misnested formatting lost text: %d lines", len(ls))
	}
}
