package message

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// The MIME structure is split by hand over the raw bytes rather than with
// go-message's Entity and MultipartReader: those read part headers without a
// bound and nest readers without counting parts or depth, and the raw
// message is in memory anyway, so that slicing it lets attachments be
// skipped without being copied or decoded. go-message still parses every
// header (textproto.ReadHeader) and decodes every charset.

// entity is one MIME entity: its header and its raw (still encoded) body.
type entity struct {
	header textproto.Header
	body   []byte
}

// splitEntity cuts b at its first empty line (RFC 5322 §2.1) and parses the
// header. top says b is the whole message: its header must start with a
// field, or the message is malformed; a part's bad header lines are
// skipped.
func splitEntity(b []byte, maxHeader int, top bool) (entity, error) {
	var hdr, body []byte
	switch {
	case bytes.HasPrefix(b, []byte("\r\n")):
		body = b[2:]
	case bytes.HasPrefix(b, []byte("\n")):
		body = b[1:]
	default:
		end, sep := len(b), 0
		if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
			end, sep = i+1, 1
		}
		if i := bytes.Index(b, []byte("\n\r\n")); i >= 0 && i+1 < end {
			end, sep = i+1, 2
		}
		hdr, body = b[:end], b[min(end+sep, len(b)):]
	}
	if len(hdr) > maxHeader {
		if top {
			return entity{}, &LimitError{What: "header size", Limit: maxHeader}
		}
		hdr = nil // an oversized part header: read the part as text/plain
	}
	if top && !startsWithField(hdr) {
		return entity{}, fmt.Errorf("%w: it does not start with a header field", ErrMalformed)
	}
	h, err := readHeader(hdr)
	if err != nil {
		// Leniency: keep the well-formed fields and their continuations.
		h, _ = readHeader(wellFormedFields(hdr))
	}
	return entity{header: h, body: body}, nil
}

func readHeader(hdr []byte) (textproto.Header, error) {
	r := bufio.NewReader(io.MultiReader(bytes.NewReader(hdr), strings.NewReader("\r\n")))
	return textproto.ReadHeader(r)
}

// startsWithField reports whether hdr starts with "name:" (RFC 5322 §2.2:
// printable ASCII but the colon).
func startsWithField(hdr []byte) bool {
	for i, c := range hdr {
		switch {
		case c == ':':
			return i > 0
		case c <= ' ' || c >= 127:
			return false
		}
	}
	return false
}

// wellFormedFields keeps the lines of hdr that start a field or continue
// one.
func wellFormedFields(hdr []byte) []byte {
	var out []byte
	keep := false
	for len(hdr) > 0 {
		i := bytes.IndexByte(hdr, '\n')
		ln := hdr
		if i >= 0 {
			ln, hdr = hdr[:i+1], hdr[i+1:]
		} else {
			hdr = nil
		}
		switch {
		case len(ln) > 0 && (ln[0] == ' ' || ln[0] == '\t'):
		case startsWithField(ln):
			keep = true
		default:
			keep = false
		}
		if keep {
			out = append(out, ln...)
		}
	}
	return out
}

// splitMultipart returns the bodies of the parts of a multipart body (RFC
// 2046 §5.1.1): each delimiter is "--boundary" at the start of a line,
// optionally followed by "--" (the close delimiter) and white space; the
// line break before a delimiter belongs to it. A missing close delimiter
// ends the last part at the end of the body. count is called per part and
// may refuse it.
func splitMultipart(body []byte, boundary string, count func() error) ([][]byte, error) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part's content
	pos := 0
	for pos < len(body) {
		i := bytes.Index(body[pos:], delim)
		if i < 0 {
			break
		}
		i += pos
		pos = i + 1
		if i > 0 && body[i-1] != '\n' {
			continue
		}
		j := i + len(delim)
		closing := bytes.HasPrefix(body[j:], []byte("--"))
		if closing {
			j += 2
		}
		for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
			j++
		}
		switch {
		case j == len(body):
		case body[j] == '\n':
			j++
		case body[j] == '\r' && j+1 < len(body) && body[j+1] == '\n':
			j += 2
		default:
			continue // "--boundaryX": another boundary that starts the same
		}
		if start >= 0 {
			end := i
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		if closing {
			return parts, nil
		}
		if err := count(); err != nil {
			return nil, err
		}
		start, pos = j, j
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts, nil
}

// walker reads the body of a message, part by part, within the limits.
type walker struct {
	parts       int
	truncated   bool
	calendar    *Calendar
	attachments []Attachment
	attached    *Forward // the first attached message (message/rfc822)
	textSize    int
}

func (w *walker) count() error {
	w.parts++
	if w.parts > MaxParts {
		return &LimitError{What: "parts", Limit: MaxParts}
	}
	return nil
}

// mediaType returns an entity's media type, lower case, and its parameters;
// an absent or unreadable Content-Type is text/plain (RFC 2045 §5.2).
func mediaType(h textproto.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		// "text/html; charset=" and other damage: keep the type.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		if !strings.Contains(mt, "/") {
			mt = "text/plain"
		}
		params = map[string]string{}
		if _, p, err2 := mime.ParseMediaType("x/x" + v[len(strings.SplitN(v, ";", 2)[0]):]); err2 == nil {
			params = p
		}
	}
	return mt, params
}

// disposition returns "attachment" or "inline" and the file name, if any.
func disposition(h textproto.Header, params map[string]string) (string, string) {
	name := params["name"]
	disp := ""
	if v := h.Get("Content-Disposition"); v != "" {
		d, p, err := mime.ParseMediaType(v)
		if err == nil {
			disp = d
			if p["filename"] != "" {
				name = p["filename"]
			}
		} else {
			disp = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		}
	}
	if name != "" {
		name = decodeHeader(name)
	}
	return disp, name
}

// body returns the text lines of an entity, and whether they come from
// HTML: for a multipart/alternative the text/plain part unless it is empty
// or a stub, else the HTML part turned into text; for a multipart/mixed the
// inline text parts in order. It records the calendar part, the
// attachments and an attached message on the way.
func (w *walker) body(e entity, depth int) ([]line, bool, error) {
	mt, params := mediaType(e.header)
	disp, filename := disposition(e.header, params)
	attachment := disp == "attachment"
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if depth+1 > MaxDepth {
			return nil, false, &LimitError{What: "nesting depth", Limit: MaxDepth}
		}
		bodies, err := splitMultipart(e.body, params["boundary"], w.count)
		if err != nil {
			return nil, false, err
		}
		if params["boundary"] == "" {
			bodies = nil
		}
		children := make([]entity, 0, len(bodies))
		for _, b := range bodies {
			c, err := splitEntity(b, MaxPartHeader, false)
			if err != nil {
				return nil, false, err
			}
			children = append(children, c)
		}
		switch mt {
		case "multipart/alternative":
			return w.alternative(children, depth+1)
		case "multipart/related":
			return w.related(children, params["start"], depth+1)
		case "multipart/signed":
			if len(children) > 0 {
				return w.body(children[0], depth+1)
			}
			return nil, false, nil
		}
		var out []line
		html := false
		for _, c := range children {
			ls, h, err := w.body(c, depth+1)
			if err != nil {
				return nil, false, err
			}
			if len(ls) > 0 && len(out) > 0 {
				out = append(out, line{})
			}
			out = append(out, ls...)
			html = html || h
		}
		return out, html, nil
	case mt == "message/rfc822" || mt == "message/global":
		if depth+1 > MaxDepth {
			return nil, false, &LimitError{What: "nesting depth", Limit: MaxDepth}
		}
		if err := w.count(); err != nil {
			return nil, false, err
		}
		w.attachments = append(w.attachments, Attachment{Filename: filename, ContentType: mt})
		if w.attached == nil {
			f, err := w.attachedMessage(e, depth+1)
			if err != nil {
				return nil, false, err
			}
			w.attached = f
		}
		return nil, false, nil
	case mt == "text/calendar" || mt == "application/ics" || strings.HasSuffix(strings.ToLower(filename), ".ics"):
		if w.calendar == nil {
			data, cut := decodeTransfer(e, MaxCalendar)
			w.truncated = w.truncated || cut
			w.calendar = &Calendar{Method: strings.ToUpper(strings.TrimSpace(params["method"])), Data: []byte(decodeCharset(params["charset"], data))}
			if w.calendar.Method == "" {
				w.calendar.Method = icalMethod(w.calendar.Data)
			}
		}
		if attachment || filename != "" {
			w.attachments = append(w.attachments, Attachment{Filename: filename, ContentType: mt})
		}
		return nil, false, nil
	case (mt == "text/plain" || mt == "text/html") && !attachment:
		return w.text(e, mt, params), mt == "text/html", nil
	}
	w.attachments = append(w.attachments, Attachment{Filename: filename, ContentType: mt})
	return nil, false, nil
}

// text decodes a text part into lines.
func (w *walker) text(e entity, mt string, params map[string]string) []line {
	room := MaxText - w.textSize
	if room <= 0 {
		w.truncated = true
		return nil
	}
	data, cut := decodeTransfer(e, room)
	w.truncated = w.truncated || cut
	w.textSize += len(data)
	if mt == "text/html" {
		label := params["charset"]
		if label == "" {
			label = metaCharset(data)
		}
		return htmlLines(decodeCharset(label, data))
	}
	s := decodeCharset(params["charset"], data)
	if strings.EqualFold(params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
	}
	return plainLines(s)
}

// alternative picks one of the alternatives (RFC 2046 §5.1.4): the plain
// text unless it is empty or a stub ("this message is in HTML"), else the
// HTML. Every alternative is read, so that a text/calendar one is found.
func (w *walker) alternative(children []entity, depth int) ([]line, bool, error) {
	var plain, html []line
	havePlain, haveHTML := false, false
	for _, c := range children {
		ls, isHTML, err := w.body(c, depth)
		if err != nil {
			return nil, false, err
		}
		switch {
		case isHTML && !haveHTML:
			html, haveHTML = ls, true
		case !isHTML && !havePlain && ls != nil:
			plain, havePlain = ls, true
		}
	}
	switch {
	case havePlain && !isStub(plain, html):
		return plain, false, nil
	case haveHTML:
		return html, true, nil
	}
	return plain, false, nil
}

// related reads the root of a multipart/related (RFC 2387 §3.2): the part
// named by start, else the first.
func (w *walker) related(children []entity, start string, depth int) ([]line, bool, error) {
	if len(children) == 0 {
		return nil, false, nil
	}
	root := children[0]
	if start != "" {
		for _, c := range children {
			if strings.Trim(c.header.Get("Content-Id"), "<> ") == strings.Trim(start, "<> ") {
				root = c
				break
			}
		}
	}
	return w.body(root, depth)
}

// attachedMessage reads a message/rfc822 part as a forwarded message.
func (w *walker) attachedMessage(e entity, depth int) (*Forward, error) {
	data, cut := decodeTransfer(e, MaxAttached)
	w.truncated = w.truncated || cut
	inner, err := splitEntity(data, MaxPartHeader, false)
	if err != nil {
		return nil, err
	}
	var h Message
	h.readHeader(inner.header)
	sub := &walker{parts: w.parts, textSize: w.textSize}
	ls, _, err := sub.body(inner, depth)
	w.parts, w.textSize = sub.parts, sub.textSize
	w.truncated = w.truncated || sub.truncated
	if err != nil {
		return nil, err
	}
	if w.calendar == nil {
		w.calendar = sub.calendar
	}
	own, _ := split(ls, isForwardSubject(h.Subject), false)
	return &Forward{
		From: h.From, To: h.To, Cc: h.Cc, Subject: h.Subject, Date: inner.header.Get("Date"), DateTime: h.Date,
		Text: linesText(ls), NewText: clean(own), MessageID: h.Keys.MessageID,
	}, nil
}

// decodeTransfer removes the Content-Transfer-Encoding (RFC 2045 §6) of an
// entity's body and returns at most max bytes of it, saying whether it cut.
// A damaged encoding gives what decoded before the damage.
func decodeTransfer(e entity, max int) ([]byte, bool) {
	var r io.Reader = bytes.NewReader(e.body)
	switch strings.ToLower(strings.TrimSpace(e.header.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	default:
		if len(e.body) > max {
			return e.body[:max], true
		}
		return e.body, false
	}
	b, _ := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(b) > max {
		return b[:max], true
	}
	return b, false
}

// base64Cleaner drops what is not base64 from a body (line breaks, spaces,
// and the junk some senders leave), so that a damaged line does not stop
// the decoding; after padding it stops.
type base64Cleaner struct {
	r    io.Reader
	done bool
}

func (c *base64Cleaner) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	for {
		n, err := c.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			switch {
			case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '+', b == '/', b == '=':
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// decodeCharset turns text in the charset label into UTF-8. Following the
// WHATWG Encoding standard, ISO-8859-1 and US-ASCII labels are read as
// Windows-1252 (its superset, which senders mean when they use 0x80-0x9F);
// a missing, unknown or US-ASCII label is read as UTF-8 when the bytes are
// valid UTF-8, else as Windows-1252. Other labels go to go-message's charset
// package (ISO-8859-15, KOI8-R, Shift_JIS…).
func decodeCharset(label string, b []byte) string {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "utf-8", "utf8":
		if utf8.Valid(b) {
			return string(b)
		}
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case "", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "default":
		if utf8.Valid(b) {
			return string(b)
		}
		l = "windows-1252"
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "cp819", "ibm819":
		l = "windows-1252"
	}
	r, err := charset.Reader(l, bytes.NewReader(b))
	if err != nil {
		if utf8.Valid(b) {
			return string(b)
		}
		r, _ = charset.Reader("windows-1252", bytes.NewReader(b))
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// metaCharset finds the charset an HTML document declares in its first
// kilobytes (<meta charset=…> or http-equiv Content-Type), "" if none.
func metaCharset(b []byte) string {
	head := b[:min(len(b), 4096)]
	low := bytes.ToLower(head)
	i := bytes.Index(low, []byte("charset="))
	if i < 0 {
		return ""
	}
	s := low[i+len("charset="):]
	s = bytes.TrimLeft(s, `"' `)
	end := bytes.IndexAny(s, "\"' ;>/\r\n")
	if end < 0 {
		return ""
	}
	return string(s[:end])
}

// icalMethod returns the METHOD property of an iCalendar object (RFC 5545
// §3.7.2), "" if none.
func icalMethod(data []byte) string {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		ln := data
		if i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		ln = bytes.TrimRight(ln, "\r")
		if len(ln) > 7 && strings.EqualFold(string(ln[:7]), "METHOD:") {
			return strings.ToUpper(strings.TrimSpace(string(ln[7:])))
		}
		if bytes.HasPrefix(ln, []byte("BEGIN:VEVENT")) || bytes.HasPrefix(ln, []byte("BEGIN:VTODO")) {
			return "" // METHOD comes before the components
		}
	}
	return ""
}

// decodeHeader decodes RFC 2047 encoded words (with go-message's charsets)
// and raw 8-bit text (RFC 6532 UTF-8, or a legacy charset sent raw).
func decodeHeader(s string) string {
	if !utf8.ValidString(s) {
		s = decodeCharset("", []byte(s))
	}
	if !strings.Contains(s, "=?") {
		return s
	}
	dec := mime.WordDecoder{CharsetReader: charset.Reader}
	if d, err := dec.DecodeHeader(s); err == nil {
		// An encoded word may hold bytes its charset does not allow.
		return strings.ToValidUTF8(d, "\uFFFD")
	}
	return s
}

// isStub reports whether the text/plain alternative is only a placeholder
// for the HTML: empty, or a short notice that the message is in HTML ("This
// is an HTML message", "Your e-mail client does not support HTML") when
// the HTML says more.
func isStub(plain, html []line) bool {
	p := strings.TrimSpace(linesText(plain))
	if p == "" {
		return true
	}
	if len(p) > 300 {
		return false
	}
	h := strings.TrimSpace(linesText(html))
	low := strings.ToLower(p)
	return len(h) > len(p) && strings.Contains(low, "html") &&
		(strings.Contains(low, "view") || strings.Contains(low, "client") || strings.Contains(low, "support") || strings.Contains(low, "format") ||
			strings.Contains(low, "enable") || strings.Contains(low, "version") || strings.Contains(low, "message") || strings.Contains(low, "navigateur"))
}
