package davserver

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// extraProps are the properties go-webdav v0.7.0 does not know, which this
// package adds to its PROPFIND answers: CS:getctag (Apple's collection
// tag, which DAVx5 and Thunderbird poll), DAV:sync-token (RFC 6578 §4),
// DAV:supported-report-set (RFC 3253 §3.1.5, where clients look for
// sync-collection), CALDAV:calendar-user-address-set (RFC 6638 §2.4.1),
// DAV:principal-URL (RFC 3744 §4.2), DAV:owner (RFC 3744 §5.1), and the
// user's quota on the calendar and its home, DAV:quota-available-bytes
// and DAV:quota-used-bytes (RFC 4331 §3, §4; named only, never in
// allprop).
var extraProps = []xml.Name{nameGetCTag, nameSyncToken, nameSupportedReports, nameUserAddressSet, namePrincipalURL, nameOwner,
	nameQuotaAvailable, nameQuotaUsed}

// propfind reads the PROPFIND body, then lets go-webdav answer; when the
// request names one of extraProps, it rewrites go-webdav's multistatus to
// add them.
func (h *Handler) propfind(w http.ResponseWriter, r *http.Request, rq *request) {
	body, ok := readXMLBody(w, r, "PROPFIND")
	if !ok {
		return
	}
	var wanted []xml.Name
	if len(bytes.TrimSpace(body)) == 0 {
		rq.wantData = true // an empty PROPFIND is allprop
	} else {
		var pf propfindXML
		if err := xml.Unmarshal(body, &pf); err != nil {
			http.Error(w, "the PROPFIND body is not a DAV:propfind: "+err.Error(), http.StatusBadRequest)
			return
		}
		if pf.Prop != nil {
			wanted = pf.Prop.names()
		}
		// The objects are listed without their data only when the
		// request surely does not want it: go-webdav reads allprop and
		// calendar-data more leniently than the names here, and encodes
		// the data of what it lists (a nil one panicked, found by
		// FuzzDAVRequests).
		rq.wantData = pf.Prop == nil || pf.AllProp != nil || slices.Contains(wanted, nameCalendarData) ||
			bytes.Contains(body, []byte("allprop")) || bytes.Contains(body, []byte("calendar-data"))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var extras []xml.Name
	for _, n := range wanted {
		if slices.Contains(extraProps, n) {
			extras = append(extras, n)
		}
	}
	if len(extras) == 0 {
		h.dav.ServeHTTP(w, r)
		return
	}
	if slices.Contains(extras, nameQuotaAvailable) || slices.Contains(extras, nameQuotaUsed) {
		use, err := h.Calendars.Usage(r.Context(), rq.user)
		if err != nil {
			h.Log.Warn("caldav: quota", "err", err)
			http.Error(w, "cannot read the quota", http.StatusServiceUnavailable)
			return
		}
		rq.usage = &use
	}
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	h.dav.ServeHTTP(rec, r)
	if rec.code != http.StatusMultiStatus {
		rec.replay(w)
		return
	}
	var ms struct {
		Responses []struct {
			Hrefs     []string `xml:"DAV: href"`
			Status    string   `xml:"DAV: status"`
			Propstats []struct {
				Prop struct {
					Elems []anyElem `xml:",any"`
				} `xml:"DAV: prop"`
				Status string `xml:"DAV: status"`
			} `xml:"DAV: propstat"`
		} `xml:"DAV: response"`
	}
	if err := xml.Unmarshal(rec.body.Bytes(), &ms); err != nil {
		h.Log.Warn("caldav: cannot read go-webdav's multistatus", "err", err)
		rec.replay(w)
		return
	}
	out := newMultistatus()
	for _, resp := range ms.Responses {
		out.buf.WriteString("<D:response>")
		for _, href := range resp.Hrefs {
			out.buf.WriteString("<D:href>")
			xml.EscapeText(&out.buf, []byte(href))
			out.buf.WriteString("</D:href>")
		}
		if resp.Status != "" {
			out.buf.WriteString("<D:status>")
			xml.EscapeText(&out.buf, []byte(resp.Status))
			out.buf.WriteString("</D:status>")
		}
		added := h.extraValues(rq, resp.Hrefs, extras)
		answered := make(map[xml.Name]bool, len(added))
		for n := range added {
			answered[n] = true
		}
		for _, ps := range resp.Propstats {
			var elems []anyElem
			for _, e := range ps.Prop.Elems {
				if answered[e.XMLName] {
					continue // go-webdav's 404 for a property answered here
				}
				elems = append(elems, e)
			}
			if len(elems) == 0 && !(statusCode(ps.Status) == http.StatusOK && len(added) > 0) {
				continue
			}
			out.buf.WriteString("<D:propstat><D:prop>")
			for _, e := range elems {
				writeElem(&out.buf, e)
			}
			if statusCode(ps.Status) == http.StatusOK {
				writeAdded(out, extras, added)
				added = nil
			}
			out.buf.WriteString("</D:prop><D:status>")
			xml.EscapeText(&out.buf, []byte(ps.Status))
			out.buf.WriteString("</D:status></D:propstat>")
		}
		if len(added) > 0 {
			out.buf.WriteString("<D:propstat><D:prop>")
			writeAdded(out, extras, added)
			out.buf.WriteString("</D:prop><D:status>" + statusLine(http.StatusOK) + "</D:status></D:propstat>")
		}
		out.buf.WriteString("</D:response>")
	}
	out.finish(w)
}

// proppatch answers PROPPATCH (RFC 4918 §9.2), which go-webdav answers
// 501 and clients send when subscribing (Apple Calendar sets a color and
// an order): a multistatus that refuses each property with 403, since the
// calendar's properties are Convene's. Clients take the refusal and go on.
func (h *Handler) proppatch(w http.ResponseWriter, r *http.Request, rq *request) {
	body, ok := readXMLBody(w, r, "PROPPATCH")
	if !ok {
		return
	}
	var pu struct {
		Set []struct {
			Prop struct {
				Elems []anyElem `xml:",any"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: set"`
		Remove []struct {
			Prop struct {
				Elems []anyElem `xml:",any"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: remove"`
	}
	if err := xml.Unmarshal(body, &pu); err != nil {
		http.Error(w, "the PROPPATCH body is not a DAV:propertyupdate: "+err.Error(), http.StatusBadRequest)
		return
	}
	out := newMultistatus()
	out.buf.WriteString("<D:response>")
	out.href(r.URL.Path)
	out.buf.WriteString("<D:propstat><D:prop>")
	var names []xml.Name
	for _, s := range pu.Set {
		for _, e := range s.Prop.Elems {
			names = append(names, e.XMLName)
		}
	}
	for _, s := range pu.Remove {
		for _, e := range s.Prop.Elems {
			names = append(names, e.XMLName)
		}
	}
	for _, n := range names {
		out.open(n, true)
	}
	out.buf.WriteString("</D:prop><D:status>" + statusLine(http.StatusForbidden) + "</D:status>")
	out.buf.WriteString("<D:responsedescription>the properties of Convene's calendars cannot be changed</D:responsedescription></D:propstat></D:response>")
	out.finish(w)
}

// writeAdded writes the added values in the order requested.
func writeAdded(out *msWriter, order []xml.Name, added map[xml.Name]string) {
	for _, n := range order {
		v, ok := added[n]
		if !ok {
			continue
		}
		end := out.open(n, false)
		out.buf.WriteString(v)
		out.buf.WriteString(end)
	}
}

// extraValues returns the values of the extra properties for the resource
// of hrefs (raw XML with the D, C and CS prefixes of the answer's root).
func (h *Handler) extraValues(rq *request, hrefs []string, extras []xml.Name) map[xml.Name]string {
	if len(hrefs) == 0 {
		return nil
	}
	p := hrefs[0]
	if u, err := url.Parse(p); err == nil {
		p = u.Path
	}
	p = strings.TrimSuffix(p, "/") + "/"
	out := map[xml.Name]string{}
	esc := func(s string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	href := func(s string) string {
		return "<D:href>" + esc((&url.URL{Path: s}).EscapedPath()) + "</D:href>"
	}
	if u := rq.usage; u != nil && (strings.EqualFold(p, h.calendarPath(rq.user)) || strings.EqualFold(p, h.homePath(rq.user))) {
		for _, n := range extras {
			switch n {
			case nameQuotaUsed:
				out[n] = strconv.FormatInt(u.Bytes, 10)
			case nameQuotaAvailable:
				out[n] = strconv.FormatInt(max(u.MaxBytes-u.Bytes, 0), 10)
			}
		}
	}
	switch {
	case strings.EqualFold(p, h.calendarPath(rq.user)):
		for _, n := range extras {
			switch n {
			case nameGetCTag:
				out[n] = esc(strconv.FormatInt(rq.cal.SyncSeq, 10))
			case nameSyncToken:
				out[n] = esc(syncToken(rq.cal.SyncSeq))
			case nameSupportedReports:
				var b strings.Builder
				for _, rep := range []string{"C:calendar-query", "C:calendar-multiget", "D:sync-collection", "C:free-busy-query"} {
					b.WriteString("<D:supported-report><D:report><" + rep + "/></D:report></D:supported-report>")
				}
				out[n] = b.String()
			case nameOwner:
				out[n] = href(h.principalPath(rq.user))
			}
		}
	case strings.EqualFold(p, h.principalPath(rq.user)):
		for _, n := range extras {
			switch n {
			case nameUserAddressSet:
				out[n] = "<D:href>mailto:" + esc(rq.user.Email) + "</D:href>" + href(h.principalPath(rq.user))
			case namePrincipalURL:
				out[n] = href(h.principalPath(rq.user))
			}
		}
	}
	return out
}

// writeElem writes an element of go-webdav's answer back: its namespace
// as the default one, so that its content, which go-webdav wrote with
// default namespaces, reads the same.
func writeElem(b *bytes.Buffer, e anyElem) {
	b.WriteString("<" + e.XMLName.Local + ` xmlns="`)
	xml.EscapeText(b, []byte(e.XMLName.Space))
	b.WriteString(`"`)
	for _, a := range e.Attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" || a.Name.Space != "" {
			continue
		}
		b.WriteString(" " + a.Name.Local + `="`)
		xml.EscapeText(b, []byte(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	b.Write(e.Inner)
	b.WriteString("</" + e.XMLName.Local + ">")
}

// statusCode reads the code of a DAV:status line.
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// recorder keeps an answer of go-webdav to rewrite it.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func (r *recorder) replay(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.code)
	w.Write(r.body.Bytes())
}
