package message

import (
	"encoding/base64"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/idna"
)

// readHeader fills the header fields of m.
func (m *Message) readHeader(h textproto.Header) {
	m.Subject = strings.TrimSpace(decodeHeader(h.Get("Subject")))
	m.Topic = Topic(m.Subject)
	m.Keys = Keys{
		MessageID:   firstID(h.Get("Message-Id")),
		InReplyTo:   m.ids(h.Get("In-Reply-To")),
		References:  m.ids(h.Get("References")),
		Forwarded:   m.ids(h.Get("X-Forwarded-Message-Id")),
		ThreadIndex: threadIndex(h.Get("Thread-Index")),
		Subject:     ThreadSubject(m.Subject),
	}
	if from := m.addresses(h.Get("From")); len(from) > 0 {
		m.From = from[0]
	}
	m.ReplyTo = m.addresses(h.Get("Reply-To"))
	m.To = m.addresses(strings.Join(h.Values("To"), ", "))
	m.Cc = m.addresses(strings.Join(h.Values("Cc"), ", "))
	if d := h.Get("Date"); d != "" {
		if t, err := mail.ParseDate(d); err == nil {
			m.Date = t
		}
	}
	m.ContentLanguage = languageTags(h.Get("Content-Language"))
	m.AcceptLanguage = languageTags(h.Get("Accept-Language"))
}

func (m *Message) ids(v string) []string {
	ids, cut := ParseIDs(v)
	m.Truncated = m.Truncated || cut
	return ids
}

func (m *Message) addresses(v string) []Address {
	l := ParseAddressList(v)
	out := l[:0]
	for _, a := range l {
		if a.Email != "" {
			out = append(out, a)
		}
	}
	if len(out) > MaxAddresses {
		out = out[:MaxAddresses]
		m.Truncated = true
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ParseIDs reads the message ids of a Message-ID, In-Reply-To, References
// or X-Forwarded-Message-Id field (RFC 5322 §3.6.4) leniently: the text in
// angle brackets, white space inside them removed (folded ids); outside
// them, comments are skipped ("<a@x> (Ann's message)") and words with one
// "@" are ids that lost their brackets; other junk ("Ann's message of
// Monday") is ignored. Ids are
// returned without brackets, their domain in lower case, each once, in
// order; past MaxIDs the first id (the thread's root in References) and the
// last MaxIDs-1 are kept, and cut is true.
func ParseIDs(v string) (ids []string, cut bool) {
	add := func(id string) {
		if id = normalizeID(id); id != "" {
			ids = appendID(ids, id)
		}
	}
	outside := func(s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
			if strings.Count(w, "@") == 1 {
				add(strings.Trim(w, `"'()[];`))
			}
		}
	}
	comment := 0 // parentheses depth: comments (RFC 5322 §3.2.2) are skipped
	from := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '(':
			if comment == 0 {
				outside(v[from:i])
			}
			comment++
		case c == ')' && comment > 0:
			comment--
			from = i + 1
		case c == '<' && comment == 0:
			k := strings.IndexByte(v[i+1:], '>')
			if k < 0 {
				outside(v[from:i])
				from = i + 1
				continue
			}
			outside(v[from:i])
			add(v[i+1 : i+1+k])
			i += k + 1
			from = i + 1
		}
		if len(ids) > 4*MaxIDs {
			break
		}
	}
	if comment == 0 && from < len(v) {
		outside(v[from:])
	}
	if len(ids) > MaxIDs {
		ids = append(ids[:1], ids[len(ids)-(MaxIDs-1):]...)
		cut = true
	}
	return ids, cut
}

// appendID appends id to ids unless it is there. The lists are short (at
// most MaxIDs), so a scan is cheaper than a map.
func appendID(ids []string, id string) []string {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

func firstID(v string) string {
	ids, _ := ParseIDs(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// normalizeID removes white space from an id and lower-cases its domain
// (RFC 5322 §3.6.4 compares ids as strings; the domain is where some
// gateways change the case).
func normalizeID(id string) string {
	if strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		id = strings.Join(strings.Fields(id), "")
	}
	if id == "" || len(id) > 998 || !utf8.ValidString(id) {
		return ""
	}
	if at := strings.LastIndexByte(id, '@'); at >= 0 {
		id = id[:at+1] + strings.ToLower(id[at+1:])
	}
	return id
}

// threadIndex returns the conversation part of Outlook's Thread-Index
// field (its first 22 bytes: a date and a GUID, shared by every message of
// the conversation, [MS-OXOMSG] §2.2.1.3), base64-encoded; "" if absent or
// unreadable.
func threadIndex(v string) string {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(b) < 22 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b[:22])
}

// replyPrefixes are the reply and forward prefixes of Subjects, lower case,
// without their colon: English, French (Outlook writes "RE :", "TR :",
// "Réf. :"), German, the Nordic and Dutch ones, Spanish and Portuguese.
var replyPrefixes = map[string]bool{
	"re": true, "fw": true, "fwd": true, "tr": true, "réf": true, "ref": true, "rép": true, "rep": true, "rép.": true,
	"aw": true, "wg": true, "sv": true, "vs": true, "antw": true, "doorst": true, "rv": true, "res": true, "enc": true,
}

// forwardPrefixes are the prefixes that mark a forward.
var forwardPrefixes = map[string]bool{"fw": true, "fwd": true, "tr": true, "wg": true, "doorst": true, "rv": true, "enc": true}

// Topic returns a Subject without its reply and forward prefixes ("Re:",
// "RE :", "Fwd:", "TR :", "Réf. :", "AW:", "Re[2]:", repeated), its
// leading tags ("[ext]", "[Team]") and a trailing "(fwd)"; the case and
// the words are kept.
func Topic(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = strings.TrimSpace(s)
	for range 32 {
		rest, _, ok := cutPrefix(s)
		if !ok {
			break
		}
		s = rest
	}
	low := strings.ToLower(s)
	if strings.HasSuffix(low, "(fwd)") {
		s = strings.TrimSpace(s[:len(s)-len("(fwd)")])
	}
	return s
}

// cutPrefix removes one leading prefix or tag from s; word is the prefix
// word ("" for a tag).
func cutPrefix(s string) (rest, word string, ok bool) {
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 && i <= 40 && strings.TrimSpace(s[i+1:]) != "" {
			return strings.TrimSpace(s[i+1:]), "", true
		}
		return s, "", false
	}
	i := 0
	for i < len(s) && i < 12 {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && r != '.' {
			break
		}
		i += n
	}
	if i == 0 {
		return s, "", false
	}
	w := strings.TrimSuffix(strings.ToLower(s[:i]), ".")
	if !replyPrefixes[w] {
		return s, "", false
	}
	j := i
	// A count: "Re[2]:", "Re(2):", "RE^2:".
	if j < len(s) && (s[j] == '[' || s[j] == '(' || s[j] == '^') {
		k := j + 1
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j+1 && s[j] == '^' {
			j = k
		} else if k > j+1 && k < len(s) && (s[k] == ']' || s[k] == ')') {
			j = k + 1
		}
	}
	for j < len(s) && s[j] == ' ' {
		j++
	}
	switch {
	case strings.HasPrefix(s[j:], ":"):
		j++
	case strings.HasPrefix(s[j:], "："): // full-width colon
		j += len("：")
	default:
		return s, "", false
	}
	return strings.TrimSpace(s[j:]), w, true
}

// isForwardSubject reports whether the first prefix of a Subject (after
// tags) is a forward's: "Fwd:", "FW:", "TR :", "WG:".
func isForwardSubject(s string) bool {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
	for range 32 {
		rest, w, ok := cutPrefix(s)
		if !ok {
			return false
		}
		if w != "" {
			return forwardPrefixes[w]
		}
		s = rest
	}
	return false
}

// ThreadSubject is the form of a Subject compared between the messages of
// a thread: its Topic in lower case with runs of white space made one
// space.
func ThreadSubject(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(Topic(s))), " ")
}

// ParseAddressList reads an address field leniently: with net/mail's
// parser (RFC 5322 §3.4, group syntax included, RFC 2047 names decoded with
// go-message's charsets, RFC 6531 UTF-8 and IDN addresses) when it accepts
// the whole field, else item by item: "Name <addr>", "Name [mailto:addr]"
// (old Outlook), a bare address, or a name alone (an inline forward's "To:
// Smith, Bob; Doe, Jane", which separates with semicolons). Items without
// an address keep their name and an empty Email.
func ParseAddressList(v string) []Address {
	v = strings.TrimSpace(decode8bit(v))
	if v == "" {
		return nil
	}
	if l, err := gomail.ParseAddressList(v); err == nil {
		out := make([]Address, 0, len(l))
		for _, a := range l {
			name := strings.ToValidUTF8(strings.TrimSpace(a.Name), "\uFFFD")
			if strings.Contains(name, "=?") {
				name = decodeHeader(name) // an encoded word in a quoted string (RFC 2047 §5 forbids it; clients do it)
			}
			out = append(out, Address{Name: name, Email: strings.TrimSpace(a.Address)})
		}
		return out
	}
	sep := ','
	if strings.ContainsRune(v, ';') && !groupSyntax(v) {
		sep = ';'
	}
	if sep == ',' && !strings.Contains(v, "@") && lastFirst(v) {
		return []Address{{Name: v}} // Outlook's "Bonnet, Marc"
	}
	var out []Address
	for _, item := range splitOutside(v, sep) {
		if a, ok := parseLooseAddress(item); ok {
			out = append(out, a)
		}
		if len(out) >= 4*MaxAddresses {
			break
		}
	}
	return out
}

// lastFirst reports whether v is one name written last name first, as
// Outlook shows people of its own directory: "Bonnet, Marc", "Le Goff,
// Anne-Sophie".
func lastFirst(v string) bool {
	last, first, ok := strings.Cut(v, ",")
	if !ok || strings.Contains(first, ",") {
		return false
	}
	nl, nf := len(strings.Fields(last)), len(strings.Fields(first))
	return nl >= 1 && nl <= 2 && nf >= 1 && nf <= 2
}

// decode8bit reads raw non-UTF-8 header bytes as Windows-1252.
func decode8bit(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return decodeCharset("", []byte(s))
}

// groupSyntax reports whether an address field uses RFC 5322 group syntax
// ("Team: a@x, b@y;").
func groupSyntax(v string) bool {
	i := strings.IndexByte(v, ':')
	j := strings.IndexByte(v, ';')
	if i <= 0 || j < i {
		return false
	}
	for _, r := range v[:i] { // the group's display name: a phrase
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -_.'", r) {
			return false
		}
	}
	return true
}

// splitOutside splits v at sep outside quotes, angle brackets and
// parentheses.
func splitOutside(v string, sep rune) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range v {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '<' || r == '(' || r == '[':
			depth++
		case (r == '>' || r == ')' || r == ']') && depth > 0:
			depth--
		case r == sep && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// parseLooseAddress reads one item of an address list that net/mail
// refused.
func parseLooseAddress(item string) (Address, bool) {
	item = strings.TrimSpace(item)
	if i := strings.IndexByte(item, ':'); i >= 0 && groupSyntax(item+";") && !strings.Contains(item[:i], " <") {
		item = strings.TrimSpace(item[i+1:]) // "Team: a@x" (group name)
	}
	item = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(item, ";")), ",")
	if item == "" {
		return Address{}, false
	}
	if a, err := gomail.ParseAddress(item); err == nil {
		return Address{Name: strings.TrimSpace(a.Name), Email: a.Address}, true
	}
	name, addr := item, ""
	for _, br := range [][2]string{{"<", ">"}, {"[mailto:", "]"}, {"(", ")"}} {
		i := strings.LastIndex(item, br[0])
		j := strings.LastIndex(item, br[1])
		if i >= 0 && j > i && strings.Contains(item[i:j], "@") {
			addr = strings.TrimSpace(item[i+len(br[0]) : j])
			addr = strings.TrimPrefix(addr, "mailto:")
			name = strings.TrimSpace(item[:i] + item[j+len(br[1]):])
			break
		}
	}
	if addr == "" {
		for _, w := range strings.Fields(item) {
			if strings.Count(w, "@") == 1 {
				addr = strings.Trim(w, `"'<>()[],;`)
				name = strings.TrimSpace(strings.Replace(item, w, "", 1))
				break
			}
		}
	}
	name = strings.Trim(strings.TrimSpace(name), `"'`)
	if strings.ContainsAny(name, "<>") {
		name = "" // what remains of broken brackets is not a name
	}
	if addr != "" && (strings.ContainsAny(addr, " <>\"") || !strings.Contains(addr, "@") || strings.HasPrefix(addr, "@") || strings.HasSuffix(addr, "@")) {
		addr = ""
	}
	if addr == "" && (name == "" || strings.ContainsAny(name, "<>@")) {
		return Address{}, false
	}
	return Address{Name: decodeHeader(name), Email: addr}, true
}

// AddressKey is the form in which addresses are compared: lower case, the
// domain in IDNA ASCII form (RFC 5891), so that "Ann@Bücher.example" and
// "ann@xn--bcher-kva.example" are one person.
func AddressKey(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	if d, err := idna.Lookup.ToASCII(addr[at+1:]); err == nil {
		return addr[:at+1] + d
	}
	return addr
}

// languageTags reads a Content-Language (RFC 3282) or Accept-Language
// (RFC 9110 §12.5.4) field into its tags, the preferred first (by q, then
// by order); at most 8.
func languageTags(v string) []string {
	type tag struct {
		t string
		q float64
		i int
	}
	var tags []tag
	for i, item := range strings.Split(v, ",") {
		if i >= 32 {
			break
		}
		parts := strings.Split(item, ";")
		t := strings.TrimSpace(parts[0])
		if t == "" || t == "*" || len(t) > 35 {
			continue
		}
		q := 1.0
		for _, p := range parts[1:] {
			p = strings.TrimSpace(p)
			if strings.HasPrefix(p, "q=") {
				if f, err := strconv.ParseFloat(p[2:], 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			tags = append(tags, tag{t, q, i})
		}
	}
	sort.SliceStable(tags, func(a, b int) bool { return tags[a].q > tags[b].q })
	var out []string
	for _, t := range tags {
		if len(out) == 8 {
			break
		}
		out = append(out, t.t)
	}
	return out
}
