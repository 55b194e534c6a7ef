// Package browsertest is a minimal browser for tests of pages and
// redirects (the OAuth consent flow): it keeps cookies, does not follow
// redirects by itself so each hop can be checked, and submits a page's
// form with its hidden fields the way a browser does.
//
// It is imported only by tests.
package browsertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Browser is one browser session.
type Browser struct {
	t      testing.TB
	client *http.Client
}

// New returns a browser with an empty cookie jar.
func New(t testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is a fetched page.
type Page struct {
	URL      *url.URL
	Status   int
	Header   http.Header
	Body     string
	Location string // the redirect target, resolved against URL
}

// Get fetches rawURL.
func (b *Browser) Get(rawURL string) *Page {
	b.t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	return b.do(req)
}

func (b *Browser) do(req *http.Request) *Page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := &Page{URL: req.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := req.URL.Parse(loc)
		if err != nil {
			b.t.Fatalf("bad Location %q: %v", loc, err)
		}
		p.Location = u.String()
	}
	return p
}

// Submit submits the page's first form with its hidden and pre-filled
// fields, overridden by fields, the way a click on a submit button named
// after a key of fields would.
func (b *Browser) Submit(p *Page, fields map[string]string) *Page {
	b.t.Helper()
	action, method, values, err := parseForm(p.Body)
	if err != nil {
		b.t.Fatalf("%s: %v", p.URL, err)
	}
	for k, v := range fields {
		values.Set(k, v)
	}
	target, err := p.URL.Parse(action)
	if err != nil {
		b.t.Fatal(err)
	}
	var req *http.Request
	if strings.EqualFold(method, "post") {
		req, err = http.NewRequest("POST", target.String(), strings.NewReader(values.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		target.RawQuery = values.Encode()
		req, err = http.NewRequest("GET", target.String(), nil)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// SubmitForm is Submit for the page's first form that matches selector:
// "#id", or ".class" (a class among the form's).
func (b *Browser) SubmitForm(p *Page, selector string, fields map[string]string) *Page {
	b.t.Helper()
	action, method, values, err := parseForm(p.Body, selector)
	if err != nil {
		b.t.Fatalf("%s: %v", p.URL, err)
	}
	for k, v := range fields {
		values.Set(k, v)
	}
	target, err := p.URL.Parse(action)
	if err != nil {
		b.t.Fatal(err)
	}
	if !strings.EqualFold(method, "post") {
		b.t.Fatalf("%s: form %s is not a POST", p.URL, selector)
	}
	return b.Post(target.String(), values)
}

// Post sends values as a form to rawURL, with the browser's cookies.
func (b *Browser) Post(rawURL string, values url.Values) *Page {
	b.t.Helper()
	req, err := http.NewRequest("POST", rawURL, strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// parseForm returns the action, method and the values of the inputs that
// a browser would send without user input (hidden, text with a value) of
// the page's first form, or of its first form matching selector ("#id",
// ".class").
func parseForm(page string, selector ...string) (action, method string, values url.Values, err error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return "", "", nil, err
	}
	match := func(n *html.Node) bool {
		if len(selector) == 0 {
			return true
		}
		sel := selector[0]
		if id, ok := strings.CutPrefix(sel, "#"); ok {
			return attr(n, "id") == id
		}
		_, class, _ := strings.Cut(sel, ".")
		return class != "" && slices.Contains(strings.Fields(attr(n, "class")), class)
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if form != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && match(n) {
			form = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		return "", "", nil, fmt.Errorf("no form %v on the page", selector)
	}
	values = url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			typ, name, value := attr(n, "type"), attr(n, "name"), attr(n, "value")
			if name != "" && typ != "submit" && typ != "checkbox" && typ != "radio" && (typ == "hidden" || value != "") {
				values.Set(name, value)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	method = attr(form, "method")
	if method == "" {
		method = "get"
	}
	return attr(form, "action"), method, values, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
