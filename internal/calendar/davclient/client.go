// Package davclient reads a remote CalDAV account for Convene's calendar
// sources: it finds the account's calendars (RFC 4791 §6.2, RFC 5397) and
// syncs them incrementally, by sync-collection (RFC 6578) where the server
// offers it and by comparing ETags otherwise, with CS:getctag to skip
// calendars that did not change.
//
// Discovery and calendar-multiget go through emersion's go-webdav caldav
// client; its v0.7.0 has no sync-collection, getctag or sync-token for
// CalDAV (only its internal package does), so this package sends those
// requests itself.
//
// It imports nothing of Convene; the calendar package calls it with an
// HTTP client that refuses private addresses.
package davclient

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/convene/convene/internal/redact"
)

// ErrInvalidSyncToken: the server no longer knows the sync token (RFC 6578
// §3.2 DAV:valid-sync-token); sync again without one.
var ErrInvalidSyncToken = errors.New("davclient: the server refused the sync token")

// StatusError is a remote answer with an unexpected HTTP status.
type StatusError struct {
	Method, URL string
	Code        int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: the server answered %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
}

// Client talks to one CalDAV account.
type Client struct {
	http     webdav.HTTPClient
	endpoint *url.URL
	dav      *caldav.Client
}

// New returns a client of the account at endpoint, authenticating with
// username and password when username is not empty.
func New(hc *http.Client, endpoint, username, password string) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("davclient: %w", err)
	}
	var c webdav.HTTPClient = hc
	if username != "" {
		c = webdav.HTTPClientWithBasicAuth(hc, username, password)
	}
	dav, err := caldav.NewClient(c, endpoint)
	if err != nil {
		return nil, fmt.Errorf("davclient: %w", err)
	}
	return &Client{http: c, endpoint: u, dav: dav}, nil
}

// Calendar is a remote calendar collection.
type Calendar struct {
	Path string // absolute path on the server
	Name string
}

// Discover returns the event calendars of the account: the endpoint itself
// when it is a calendar, the calendars under it when it is a calendar home
// (or any collection holding calendars), else those of the current user's
// principal's calendar home.
func (c *Client) Discover(ctx context.Context) ([]Calendar, error) {
	base := c.endpoint.Path
	if base == "" {
		base = "/"
	}
	cals, err := c.dav.FindCalendars(ctx, base)
	if err == nil {
		if own := pick(cals, base); len(own) > 0 {
			return own, nil
		}
	}
	principal, perr := c.dav.FindCurrentUserPrincipal(ctx)
	if perr != nil {
		if err != nil {
			return nil, fmt.Errorf("davclient: find calendars: %w", err)
		}
		return nil, fmt.Errorf("davclient: no calendar at %s, and no principal: %w", base, perr)
	}
	home, err := c.dav.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		return nil, fmt.Errorf("davclient: find calendar home of %s: %w", principal, err)
	}
	cals, err = c.dav.FindCalendars(ctx, home)
	if err != nil {
		return nil, fmt.Errorf("davclient: find calendars in %s: %w", home, err)
	}
	out := pick(cals, "")
	if len(out) == 0 {
		return nil, fmt.Errorf("davclient: the account has no event calendar (looked in %s)", home)
	}
	return out, nil
}

// pick keeps event calendars: only base itself when it is one.
func pick(cals []caldav.Calendar, base string) []Calendar {
	var out []Calendar
	for _, cal := range cals {
		if len(cal.SupportedComponentSet) > 0 && !slices.Contains(cal.SupportedComponentSet, "VEVENT") {
			continue
		}
		c := Calendar{Path: cal.Path, Name: cal.Name}
		if base != "" && strings.TrimSuffix(cal.Path, "/") == strings.TrimSuffix(base, "/") {
			return []Calendar{c}
		}
		out = append(out, c)
	}
	return out
}

// State is what a calendar says of its version: CS:getctag and
// DAV:sync-token, each "" when the server has none.
type State struct {
	CTag      string
	SyncToken string
}

// State reads a calendar's getctag and sync-token (PROPFIND Depth: 0).
func (c *Client) State(ctx context.Context, calPath string) (State, error) {
	body := `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">` +
		`<d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>`
	var ms multistatus
	if err := c.do(ctx, "PROPFIND", calPath, "0", body, &ms); err != nil {
		return State{}, err
	}
	var st State
	for _, r := range ms.Responses {
		for _, ps := range r.Propstats {
			if !ok200(ps.Status) {
				continue
			}
			if ps.Prop.CTag != "" {
				st.CTag = strings.TrimSpace(ps.Prop.CTag)
			}
			if ps.Prop.SyncToken != "" {
				st.SyncToken = strings.TrimSpace(ps.Prop.SyncToken)
			}
		}
	}
	return st, nil
}

// Member is a calendar object of a listing: its path and ETag.
type Member struct {
	Path string
	ETag string
}

// Changes is the answer of a sync-collection.
type Changes struct {
	Changed []Member
	Removed []string
	Token   string
	// More: the server cut the answer (RFC 6578 §3.6); ask again with
	// Token.
	More bool
}

// Sync asks what changed in a calendar since token ("" for everything):
// RFC 6578 sync-collection with getetag.
func (c *Client) Sync(ctx context.Context, calPath, token string) (*Changes, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>`)
	xml.EscapeText(&b, []byte(token))
	b.WriteString(`</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`)
	var ms multistatus
	err := c.do(ctx, "REPORT", calPath, "", b.String(), &ms)
	var se *StatusError
	if errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusConflict) && token != "" {
		return nil, ErrInvalidSyncToken
	}
	if err != nil {
		return nil, err
	}
	ch := &Changes{Token: strings.TrimSpace(ms.SyncToken)}
	self := strings.TrimSuffix(calPath, "/")
	for _, r := range ms.Responses {
		p := hrefPath(r.Href)
		if strings.TrimSuffix(p, "/") == self {
			if statusOf(r.Status) == http.StatusInsufficientStorage {
				ch.More = true
			}
			continue
		}
		if statusOf(r.Status) == http.StatusNotFound {
			ch.Removed = append(ch.Removed, p)
			continue
		}
		for _, ps := range r.Propstats {
			if ok200(ps.Status) {
				ch.Changed = append(ch.Changed, Member{Path: p, ETag: strings.Trim(strings.TrimSpace(ps.Prop.ETag), `"`)})
			}
		}
	}
	return ch, nil
}

// List returns every object of a calendar with its ETag (PROPFIND
// Depth: 1), for servers without sync-collection.
func (c *Client) List(ctx context.Context, calPath string) ([]Member, error) {
	body := `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>`
	var ms multistatus
	if err := c.do(ctx, "PROPFIND", calPath, "1", body, &ms); err != nil {
		return nil, err
	}
	self := strings.TrimSuffix(calPath, "/")
	var out []Member
	for _, r := range ms.Responses {
		p := hrefPath(r.Href)
		if strings.TrimSuffix(p, "/") == self || strings.HasSuffix(p, "/") {
			continue
		}
		for _, ps := range r.Propstats {
			if ok200(ps.Status) && ps.Prop.ETag != "" {
				out = append(out, Member{Path: p, ETag: strings.Trim(strings.TrimSpace(ps.Prop.ETag), `"`)})
			}
		}
	}
	return out, nil
}

// Object is a fetched calendar object: its path, ETag and iCalendar text.
type Object struct {
	Path string
	ETag string
	Data []byte
}

// Get fetches objects of a calendar by path (calendar-multiget, RFC 4791
// §7.9). Objects the server no longer has are left out.
func (c *Client) Get(ctx context.Context, calPath string, paths []string) ([]Object, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
		`<d:prop><d:getetag/><c:calendar-data/></d:prop>`)
	for _, p := range paths {
		b.WriteString("<d:href>")
		xml.EscapeText(&b, []byte((&url.URL{Path: p}).EscapedPath()))
		b.WriteString("</d:href>")
	}
	b.WriteString("</c:calendar-multiget>")
	var ms multistatus
	if err := c.do(ctx, "REPORT", calPath, "1", b.String(), &ms); err != nil {
		return nil, err
	}
	var out []Object
	for _, r := range ms.Responses {
		for _, ps := range r.Propstats {
			if ok200(ps.Status) && strings.TrimSpace(ps.Prop.Data) != "" {
				out = append(out, Object{Path: hrefPath(r.Href), ETag: strings.Trim(strings.TrimSpace(ps.Prop.ETag), `"`), Data: []byte(ps.Prop.Data)})
			}
		}
	}
	return out, nil
}

// multistatus is the part of a DAV:multistatus this package reads.
type multistatus struct {
	Responses []struct {
		Href      string `xml:"DAV: href"`
		Status    string `xml:"DAV: status"`
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				ETag      string `xml:"DAV: getetag"`
				CTag      string `xml:"http://calendarserver.org/ns/ getctag"`
				SyncToken string `xml:"DAV: sync-token"`
				Data      string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
	SyncToken string `xml:"DAV: sync-token"`
}

// do sends a WebDAV request with an XML body and decodes the multistatus.
func (c *Client) do(ctx context.Context, method, p, depth, body string, out *multistatus) error {
	u := c.endpoint.ResolveReference(&url.URL{Path: p})
	req, err := http.NewRequestWithContext(ctx, method, u.String(), strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("davclient: %w", err)
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	if depth != "" {
		req.Header.Set("Depth", depth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("davclient: %s %s: %w", method, redact.Path(p), redact.Error(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return &StatusError{Method: method, URL: p, Code: resp.StatusCode}
	}
	if err := xml.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("davclient: %s %s: the answer is not a multistatus: %w", method, p, err)
	}
	return nil
}

// hrefPath returns the unescaped path of an href (a path or a URL).
func hrefPath(href string) string {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return strings.TrimSpace(href)
	}
	return u.Path
}

func statusOf(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func ok200(line string) bool { return statusOf(line) == http.StatusOK }
