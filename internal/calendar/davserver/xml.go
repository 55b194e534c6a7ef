package davserver

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// XML namespaces of WebDAV (RFC 4918), CalDAV (RFC 4791) and Apple's
// CalendarServer extensions (getctag).
const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
)

// Property names this package answers besides go-webdav.
var (
	nameGetETag          = xml.Name{Space: nsDAV, Local: "getetag"}
	nameGetContentType   = xml.Name{Space: nsDAV, Local: "getcontenttype"}
	nameGetContentLength = xml.Name{Space: nsDAV, Local: "getcontentlength"}
	nameGetLastModified  = xml.Name{Space: nsDAV, Local: "getlastmodified"}
	nameResourceType     = xml.Name{Space: nsDAV, Local: "resourcetype"}
	nameCalendarData     = xml.Name{Space: nsCalDAV, Local: "calendar-data"}
	nameGetCTag          = xml.Name{Space: nsCS, Local: "getctag"}
	nameSyncToken        = xml.Name{Space: nsDAV, Local: "sync-token"}
	nameSupportedReports = xml.Name{Space: nsDAV, Local: "supported-report-set"}
	nameUserAddressSet   = xml.Name{Space: nsCalDAV, Local: "calendar-user-address-set"}
	namePrincipalURL     = xml.Name{Space: nsDAV, Local: "principal-URL"}
	nameOwner            = xml.Name{Space: nsDAV, Local: "owner"}
	nameQuotaAvailable   = xml.Name{Space: nsDAV, Local: "quota-available-bytes"}
	nameQuotaUsed        = xml.Name{Space: nsDAV, Local: "quota-used-bytes"}
)

// anyElem is an XML element kept as it was: its name (namespace resolved),
// attributes and raw content.
type anyElem struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

// timeRangeXML is CALDAV:time-range, CALDAV:expand and
// CALDAV:limit-recurrence-set (RFC 4791 §9.9, §9.6.5, §9.6.6).
type timeRangeXML struct {
	Start string `xml:"start,attr"`
	End   string `xml:"end,attr"`
}

// parse returns the range, an open end being far in the future (RFC 4791
// §9.9: start or end may be missing).
func (tr *timeRangeXML) parse() (time.Time, time.Time, error) {
	start, end := time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	var err error
	if tr.Start != "" {
		if start, err = parseUTC(tr.Start); err != nil {
			return start, end, err
		}
	}
	if tr.End != "" {
		if end, err = parseUTC(tr.End); err != nil {
			return start, end, err
		}
	}
	if !end.After(start) {
		return start, end, fmt.Errorf("time-range end %s is not after start %s", tr.End, tr.Start)
	}
	return start, end, nil
}

// parseUTC reads a UTC DATE-TIME as CalDAV time ranges write it
// ("20060104T000000Z", RFC 4791 §9.9).
func parseUTC(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"20060102T150405Z", "20060102T150405", "20060102"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a UTC date-time like 20060104T000000Z", s)
}

// propXML is a DAV:prop of a REPORT request: CALDAV:calendar-data decoded
// for its options, every other property by name.
type propXML struct {
	CalendarData *calDataXML `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	Others       []anyElem   `xml:",any"`
}

// calDataXML is the CALDAV:calendar-data of a request (RFC 4791 §9.6).
type calDataXML struct {
	Expand          *timeRangeXML `xml:"urn:ietf:params:xml:ns:caldav expand"`
	LimitRecurrence *timeRangeXML `xml:"urn:ietf:params:xml:ns:caldav limit-recurrence-set"`
}

// names lists the requested properties, calendar-data included.
func (p *propXML) names() []xml.Name {
	var out []xml.Name
	if p.CalendarData != nil {
		out = append(out, nameCalendarData)
	}
	for _, e := range p.Others {
		out = append(out, e.XMLName)
	}
	return out
}

type calendarQueryXML struct {
	XMLName  xml.Name  `xml:"urn:ietf:params:xml:ns:caldav calendar-query"`
	Prop     *propXML  `xml:"DAV: prop"`
	AllProp  *struct{} `xml:"DAV: allprop"`
	PropName *struct{} `xml:"DAV: propname"`
	Filter   struct {
		Comp *compFilterXML `xml:"urn:ietf:params:xml:ns:caldav comp-filter"`
	} `xml:"urn:ietf:params:xml:ns:caldav filter"`
}

type compFilterXML struct {
	Name         string          `xml:"name,attr"`
	IsNotDefined *struct{}       `xml:"urn:ietf:params:xml:ns:caldav is-not-defined"`
	TimeRange    *timeRangeXML   `xml:"urn:ietf:params:xml:ns:caldav time-range"`
	Props        []propFilterXML `xml:"urn:ietf:params:xml:ns:caldav prop-filter"`
	Comps        []compFilterXML `xml:"urn:ietf:params:xml:ns:caldav comp-filter"`
}

type propFilterXML struct {
	Name         string           `xml:"name,attr"`
	IsNotDefined *struct{}        `xml:"urn:ietf:params:xml:ns:caldav is-not-defined"`
	TimeRange    *timeRangeXML    `xml:"urn:ietf:params:xml:ns:caldav time-range"`
	TextMatch    *textMatchXML    `xml:"urn:ietf:params:xml:ns:caldav text-match"`
	Params       []paramFilterXML `xml:"urn:ietf:params:xml:ns:caldav param-filter"`
}

type paramFilterXML struct {
	Name         string        `xml:"name,attr"`
	IsNotDefined *struct{}     `xml:"urn:ietf:params:xml:ns:caldav is-not-defined"`
	TextMatch    *textMatchXML `xml:"urn:ietf:params:xml:ns:caldav text-match"`
}

type textMatchXML struct {
	Text            string `xml:",chardata"`
	NegateCondition string `xml:"negate-condition,attr"`
}

type multigetXML struct {
	XMLName  xml.Name  `xml:"urn:ietf:params:xml:ns:caldav calendar-multiget"`
	Prop     *propXML  `xml:"DAV: prop"`
	AllProp  *struct{} `xml:"DAV: allprop"`
	PropName *struct{} `xml:"DAV: propname"`
	Hrefs    []string  `xml:"DAV: href"`
}

type syncCollectionXML struct {
	XMLName   xml.Name `xml:"DAV: sync-collection"`
	SyncToken string   `xml:"DAV: sync-token"`
	SyncLevel string   `xml:"DAV: sync-level"`
	Limit     *struct {
		NResults int `xml:"DAV: nresults"`
	} `xml:"DAV: limit"`
	Prop *propXML `xml:"DAV: prop"`
}

type freeBusyQueryXML struct {
	XMLName   xml.Name      `xml:"urn:ietf:params:xml:ns:caldav free-busy-query"`
	TimeRange *timeRangeXML `xml:"urn:ietf:params:xml:ns:caldav time-range"`
}

// propfindXML is the DAV:propfind of a request (RFC 4918 §14.20).
type propfindXML struct {
	XMLName  xml.Name  `xml:"DAV: propfind"`
	Prop     *propXML  `xml:"DAV: prop"`
	AllProp  *struct{} `xml:"DAV: allprop"`
	PropName *struct{} `xml:"DAV: propname"`
}

// rootName returns the name of the document element of an XML body.
func rootName(body []byte) (xml.Name, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.Name{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

// msWriter writes a DAV:multistatus (RFC 4918 §13) straight into a
// buffer: the REPORT answers are written without building a tree, as the
// stored calendar data goes out as it is. With stream set, flush sends
// what the buffer holds as it grows, so that a long answer is never whole
// in memory.
type msWriter struct {
	buf bytes.Buffer
	// stream, when set, receives the answer as it is written; started
	// reports that its status is sent.
	stream  http.ResponseWriter
	started bool
}

func newMultistatus() *msWriter {
	m := &msWriter{}
	m.buf.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">`)
	return m
}

// prefixOf returns the prefix declared on the root for a namespace.
func prefixOf(space string) string {
	switch space {
	case nsDAV:
		return "D"
	case nsCalDAV:
		return "C"
	case nsCS:
		return "CS"
	}
	return ""
}

// open writes a start tag for name, declaring its namespace when the root
// has no prefix for it; it returns the matching end tag.
func (m *msWriter) open(name xml.Name, empty bool) string {
	var tag, decl string
	if p := prefixOf(name.Space); p != "" {
		tag = p + ":" + name.Local
	} else {
		tag = "X:" + name.Local
		var ns bytes.Buffer
		xml.EscapeText(&ns, []byte(name.Space))
		decl = ` xmlns:X="` + ns.String() + `"`
	}
	if empty {
		m.buf.WriteString("<" + tag + decl + "/>")
		return ""
	}
	m.buf.WriteString("<" + tag + decl + ">")
	return "</" + tag + ">"
}

func (m *msWriter) href(path string) {
	m.buf.WriteString("<D:href>")
	xml.EscapeText(&m.buf, []byte((&url.URL{Path: path}).EscapedPath()))
	m.buf.WriteString("</D:href>")
}

func statusLine(code int) string {
	return fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code))
}

// propValue is one property value to write: raw XML content (already
// escaped), text to escape, or text that write produces (escaped on the
// way).
type propValue struct {
	name  xml.Name
	raw   string
	text  []byte
	write func(io.Writer) error
}

// escaper writes text into the answer, escaped for XML, and sends the
// answer on as it grows: one long calendar-data is not held whole either.
type escaper struct{ m *msWriter }

func (e escaper) Write(p []byte) (int, error) {
	if err := xml.EscapeText(&e.m.buf, p); err != nil {
		return 0, err
	}
	return len(p), e.m.flush(flushAt)
}

// response writes one DAV:response with the found properties (200) and
// the missing ones (404); the error is a write function's.
func (m *msWriter) response(path string, found []propValue, missing []xml.Name) error {
	m.buf.WriteString("<D:response>")
	m.href(path)
	if len(found) > 0 || len(missing) == 0 {
		m.buf.WriteString("<D:propstat><D:prop>")
		for _, v := range found {
			end := m.open(v.name, false)
			switch {
			case v.write != nil:
				if err := v.write(escaper{m}); err != nil {
					return err
				}
			case v.text != nil:
				xml.EscapeText(&m.buf, v.text)
			default:
				m.buf.WriteString(v.raw)
			}
			m.buf.WriteString(end)
		}
		m.buf.WriteString("</D:prop><D:status>" + statusLine(http.StatusOK) + "</D:status></D:propstat>")
	}
	if len(missing) > 0 {
		m.buf.WriteString("<D:propstat><D:prop>")
		for _, n := range missing {
			m.open(n, true)
		}
		m.buf.WriteString("</D:prop><D:status>" + statusLine(http.StatusNotFound) + "</D:status></D:propstat>")
	}
	m.buf.WriteString("</D:response>")
	return nil
}

// status writes a DAV:response with only a status (a removed member of a
// sync-collection answer, RFC 6578 §3.5.2, or a missing multiget href).
func (m *msWriter) status(path string, code int) {
	m.buf.WriteString("<D:response>")
	m.href(path)
	m.buf.WriteString("<D:status>" + statusLine(code) + "</D:status></D:response>")
}

// statusError writes a DAV:response with a status and the condition
// that explains it (RFC 6578 §3.6: 507 and
// DAV:number-of-matches-within-limits for a truncated answer).
func (m *msWriter) statusError(path string, code int, cond xml.Name) {
	m.buf.WriteString("<D:response>")
	m.href(path)
	m.buf.WriteString("<D:status>" + statusLine(code) + "</D:status><D:error>")
	m.open(cond, true)
	m.buf.WriteString("</D:error></D:response>")
}

// syncToken writes the DAV:sync-token of a sync-collection answer.
func (m *msWriter) syncToken(tok string) {
	m.buf.WriteString("<D:sync-token>")
	xml.EscapeText(&m.buf, []byte(tok))
	m.buf.WriteString("</D:sync-token>")
}

// flush sends the buffer to the stream once it holds at least n bytes.
func (m *msWriter) flush(n int) error {
	if m.stream == nil || m.buf.Len() < n {
		return nil
	}
	m.start(m.stream)
	_, err := m.stream.Write(m.buf.Bytes())
	m.buf.Reset()
	return err
}

func (m *msWriter) start(w http.ResponseWriter) {
	if m.started {
		return
	}
	m.started = true
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(http.StatusMultiStatus)
}

func (m *msWriter) finish(w http.ResponseWriter) {
	m.buf.WriteString("</D:multistatus>\n")
	m.start(w)
	w.Write(m.buf.Bytes())
}

// writeError answers a DAV:error body naming a precondition (RFC 4918
// §16), e.g. DAV:valid-sync-token.
func writeError(w http.ResponseWriter, code int, cond xml.Name, detail string) {
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(code)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`)
	if cond.Local != "" {
		b.WriteString("<" + prefixOf(cond.Space) + ":" + cond.Local + "/>")
	}
	if detail != "" {
		b.WriteString("<D:responsedescription>")
		xml.EscapeText(&b, []byte(detail))
		b.WriteString("</D:responsedescription>")
	}
	b.WriteString("</D:error>\n")
	w.Write(b.Bytes())
}
