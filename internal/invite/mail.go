package invite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
)

// Account is what invitations take from the organizer's account.
type Account struct {
	// Name is the organization ("Acme"): From shows "Ann Example via Acme".
	Name string
	// AssistantAddress is the address invitations come from (the From
	// header and the envelope sender); its domain names the Message-IDs.
	AssistantAddress string
	// Language is the default language of the account's invitations.
	Language  string
	Templates Templates
	Branding  Branding
}

// Recipient is who one invitation mail is for. Language and TimeZone
// choose how the mail is written: in the recipient's language (else the
// account's, else English) and with times in their zone (else the
// meeting's).
type Recipient struct {
	Name     string
	Email    string
	Language string
	TimeZone string
}

// MailRequest asks for one invitation mail.
type MailRequest struct {
	// Method is MethodRequest (new or changed) or MethodCancel.
	Method  Method
	Meeting *Meeting
	// Previous is the version of the meeting the recipient was last sent,
	// for a change: the mail then says what changed, the SEQUENCE must be
	// higher, and the join URL must still be there.
	Previous *Meeting
	Account  Account
	To       Recipient
	// Cc are further visible recipients of the same mail (written for To).
	Cc []Person
	// Reason is why a meeting is cancelled, shown in the mail.
	Reason string
	// References are the Message-IDs of the earlier mails about this
	// meeting to this recipient, oldest first: they thread the mail
	// (In-Reply-To, References; RFC 5322 §3.6.4).
	References []string
}

// Mail is a composed invitation, ready for the outbox.
type Mail struct {
	// From and To are the envelope: the assistant address, and To plus Cc.
	From string
	To   []string
	// MessageID is the Message-ID, with its angle brackets.
	MessageID string
	Subject   string
	Kind      Kind
	// Calendar is the iCalendar object carried by the mail.
	Calendar []byte
	// Raw is the whole message, CRLF line ends.
	Raw []byte
	// Warnings says when a custom template failed and a default was used.
	Warnings []string
}

// Composer writes invitation mail. Now is the clock (DTSTAMP and Date);
// the zero Composer is not usable.
type Composer struct {
	Now func() time.Time
}

// Compose builds the invitation mail of req for one recipient, the way
// Google Calendar sends it (RFC 6047 §2.4 and what Outlook, Gmail and Apple
// Mail act on):
//
//	multipart/mixed
//	  multipart/alternative
//	    text/plain; charset=UTF-8
//	    text/html; charset=UTF-8
//	    text/calendar; charset=UTF-8; method=REQUEST   (= METHOD of the object)
//	  application/ics; name="invite.ics"               (cancel.ics for CANCEL)
//
// From is "Organizer via Account" at the assistant address, Reply-To the
// organizer. The Message-ID depends only on the meeting (UID, SEQUENCE,
// occurrence), the method and the recipient, so a retried send carries the
// same one. No Auto-Submitted header: an invitation is a personal message,
// and auto-submitted mail is filtered or answered differently. The
// account's templates render within their budget (budget.go); when ctx
// ends, Compose stops and returns its cause.
func (c *Composer) Compose(ctx context.Context, req MailRequest) (*Mail, error) {
	ms, err := c.ComposeEach(ctx, req, []Addressee{{To: req.To, References: req.References}})
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// Addressee is one recipient of ComposeEach: who the mail is for, and the
// earlier mails about the meeting to them (MailRequest.References).
type Addressee struct {
	To         Recipient
	References []string
}

// ComposeEach builds the invitation of req for each addressee, in order:
// the mails Compose builds for req with its To and References set to each
// addressee's, byte for byte. req.To and req.References are not used.
//
// It does the shared work once: the calendar object is the same for every
// recipient (the same ATTENDEE list), and the text and HTML differ only
// with the recipient's language and time zone, or when the account's
// templates name the recipient; a mail's body then differs from another's
// only in its MIME boundaries, which follow its Message-ID.
func (c *Composer) ComposeEach(ctx context.Context, req MailRequest, to []Addressee) ([]*Mail, error) {
	if c == nil || c.Now == nil {
		return nil, invalid("composer", "no clock")
	}
	m := req.Meeting
	if _, err := m.validate(req.Method); err != nil {
		return nil, err
	}
	assistant, err := mailbox(req.Account.AssistantAddress)
	if err != nil {
		return nil, invalid("account.assistant_address", "%v", err)
	}
	organizer, _ := mailbox(m.Organizer.Email) // checked by validate
	addrs := make([]string, len(to))
	for i, a := range to {
		if addrs[i], err = mailbox(a.To.Email); err != nil {
			return nil, invalid("to", "%v", err)
		}
	}
	kind := KindRequest
	switch req.Method {
	case MethodCancel:
		kind = KindCancel
	case MethodRequest:
		if req.Previous != nil || m.Sequence > 0 {
			kind = KindUpdate
		}
	default:
		return nil, invalid("method", "Convene sends REQUEST and CANCEL, not %q", req.Method)
	}
	if p := req.Previous; p != nil {
		if p.UID != m.UID {
			return nil, invalid("previous", "UID %q is not the meeting's %q", p.UID, m.UID)
		}
		// RFC 5546 §2.1.4: a new version has a higher SEQUENCE, or
		// calendars keep the old one.
		if m.Sequence <= p.Sequence {
			return nil, invalid("sequence", "%d must be higher than the previous %d", m.Sequence, p.Sequence)
		}
		if req.Method == MethodRequest && p.Video != nil && p.Video.JoinURL != "" && (m.Video == nil || m.Video.JoinURL == "") {
			return nil, fmt.Errorf("%w (meeting %s)", ErrLostJoinURL, m.UID)
		}
	}
	now := c.Now()
	ics, err := Calendar(req.Method, m, now)
	if err != nil {
		return nil, err
	}
	domain := assistant[strings.LastIndexByte(assistant, '@')+1:]
	envelope := make([]string, 0, 1+len(req.Cc))
	cc := make([]*mail.Address, 0, len(req.Cc))
	for i, p := range req.Cc {
		a, err := mailbox(p.Email)
		if err != nil {
			return nil, invalid(fmt.Sprintf("cc[%d]", i), "%v", err)
		}
		envelope = append(envelope, a)
		cc = append(cc, &mail.Address{Name: cleanLine(p.Name), Address: a})
	}
	fromName := cleanLine(m.Organizer.Name)
	if org := cleanLine(req.Account.Name); org != "" {
		if fromName == "" {
			fromName = org
		} else {
			fromName += " via " + org
		}
	}
	from := (&mail.Address{Name: fromName, Address: assistant}).String()
	replyTo := (&mail.Address{Name: cleanLine(m.Organizer.Name), Address: organizer}).String()

	// The bodies written so far, by what they depend on.
	type body struct {
		out      Rendered
		lang     string
		warnings []string
		raw      []byte // the rest of a mail after its header
		boundary string
	}
	bodies := map[string]*body{}
	perRecipient := namesRecipient(req.Account.Templates)
	out := make([]*Mail, len(to))
	for i, a := range to {
		r := req
		r.To, r.References = a.To, a.References
		tz := a.To.TimeZone
		if tz == "" {
			tz = m.TimeZone // as templateData does
		}
		key := pickLang(a.To.Language, req.Account.Language) + "\x00" + tz
		if perRecipient {
			key = strconv.Itoa(i)
		}
		b := bodies[key]
		if b == nil {
			data, err := templateData(&r, kind)
			if err != nil {
				return nil, err
			}
			rendered, warnings, err := render(ctx, req.Account.Templates, data)
			if err != nil {
				return nil, err
			}
			b = &body{out: rendered, lang: data.Lang, warnings: warnings}
			bodies[key] = b
		}
		msgID := MessageID(m, req.Method, addrs[i], domain)
		var refs []string
		for _, ref := range a.References {
			ref = strings.TrimSpace(ref)
			if ref == "" || strings.ContainsAny(ref, "\r\n \t") {
				continue
			}
			if !strings.HasPrefix(ref, "<") {
				ref = "<" + ref + ">"
			}
			if ref != msgID {
				refs = append(refs, ref)
			}
		}
		// Header fields in the order they are written.
		fields := [][2]string{
			{"From", from},
			{"Reply-To", replyTo},
			{"To", (&mail.Address{Name: cleanLine(a.To.Name), Address: addrs[i]}).String()},
		}
		if len(cc) > 0 {
			list := make([]string, len(cc))
			for i, a := range cc {
				list[i] = a.String()
			}
			fields = append(fields, [2]string{"Cc", strings.Join(list, ", ")})
		}
		fields = append(fields,
			[2]string{"Subject", encodeSubject(b.out.Subject)},
			[2]string{"Date", now.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")},
			[2]string{"Message-ID", msgID},
		)
		if len(refs) > 0 {
			fields = append(fields,
				[2]string{"In-Reply-To", refs[len(refs)-1]},
				[2]string{"References", strings.Join(refs, " ")})
		}
		boundary := boundaryBase(msgID)
		fields = append(fields,
			[2]string{"MIME-Version", "1.0"},
			[2]string{"Content-Language", b.lang},
			[2]string{"Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary + "_mixed"})},
		)
		var raw []byte
		if b.raw == nil {
			var headerLen int
			raw, headerLen, err = writeMessage(fields, boundary, b.out, ics, req.Method)
			if err != nil {
				return nil, fmt.Errorf("invite: write mail for %s: %w", addrs[i], err)
			}
			b.raw, b.boundary = raw[headerLen:], boundary
		} else {
			// The same body but for its boundaries, which cannot occur in
			// its quoted-printable or base64 text (boundaryBase).
			header, err := writeHeader(fields)
			if err != nil {
				return nil, fmt.Errorf("invite: write mail for %s: %w", addrs[i], err)
			}
			raw = append(header, bytes.ReplaceAll(b.raw, []byte(b.boundary), []byte(boundary))...)
		}
		out[i] = &Mail{From: assistant, To: append([]string{addrs[i]}, envelope...), MessageID: msgID, Subject: b.out.Subject,
			Kind: kind, Calendar: ics, Raw: raw, Warnings: b.warnings}
	}
	return out, nil
}

// namesRecipient reports whether custom templates may write something of
// the recipient (.Recipient): their text must then be rendered for each
// recipient. TemplateData is a struct, so a template can reach the field
// only by its name.
func namesRecipient(t Templates) bool {
	return strings.Contains(t.Subject, "Recipient") || strings.Contains(t.Text, "Recipient") || strings.Contains(t.HTML, "Recipient")
}

// MessageID is the Message-ID of the invitation about m (its UID, SEQUENCE
// and occurrence) with method to recipient, at domain: the same mail sent
// again has the same ID, so a retry after an uncertain failure is
// recognisable, and the booking core can name earlier mails in References.
func MessageID(m *Meeting, method Method, recipient, domain string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s", m.UID, m.Sequence, method, strings.ToLower(strings.TrimSpace(recipient)))
	if o := m.Occurrence; o != nil {
		fmt.Fprintf(h, "\x00%d\x00%v", o.RecurrenceID.Unix(), o.ThisAndFuture)
	}
	sum := h.Sum(nil)
	id := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
	return "<invite." + id + "." + strconv.Itoa(m.Sequence) + "@" + domain + ">"
}

// encodeSubject writes a subject as RFC 2047 'Q' encoded words, one per
// line, the first short enough to share its line with "Subject: " and each
// at most 75 characters (RFC 2047 §2). go-message folds at spaces only, and
// an encoded word has none; starting the value on the next line instead
// would leave a leading space in some readers (Python's email package). A
// plain ASCII subject is left to go-message.
func encodeSubject(s string) string {
	if mime.QEncoding.Encode("utf-8", s) == s {
		return s
	}
	const prefix, suffix = "=?utf-8?q?", "?="
	var words []string
	var cur strings.Builder
	limit := 78 - len("Subject: ")
	for _, r := range s {
		var enc strings.Builder
		for _, b := range []byte(string(r)) {
			switch {
			case b == ' ':
				enc.WriteByte('_')
			case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', strings.IndexByte("!*+-/", b) >= 0:
				enc.WriteByte(b)
			default:
				fmt.Fprintf(&enc, "=%02X", b)
			}
		}
		if len(prefix)+cur.Len()+enc.Len()+len(suffix) > limit {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
			limit = 75
		}
		cur.WriteString(enc.String())
	}
	words = append(words, prefix+cur.String()+suffix)
	return strings.Join(words, "\r\n ")
}

// boundaryBase derives the MIME boundaries from the Message-ID, so that
// the mail is the same bytes every time. "=_" cannot occur in
// quoted-printable or base64 text (RFC 2045 §6.7), so no body line can
// look like a boundary.
func boundaryBase(msgID string) string {
	sum := sha256.Sum256([]byte(msgID))
	return "=_convene_" + hex.EncodeToString(sum[:12])
}

// header is the top-level header of a mail with these fields.
func header(fields [][2]string) message.Header {
	var h message.Header
	// go-message writes fields in the reverse order of Add, and keeps a
	// Content-Type that already has its boundary.
	for i := len(fields) - 1; i >= 0; i-- {
		k, v := fields[i][0], fields[i][1]
		if strings.Contains(v, "\r\n") || strings.HasPrefix(v, "=?") {
			// Pre-folded (encodeSubject).
			h.AddRaw([]byte(k + ": " + v + "\r\n"))
		} else {
			h.Add(k, v)
		}
	}
	return h
}

// writeHeader writes the top-level header of a mail, as writeMessage does.
func writeHeader(fields [][2]string) ([]byte, error) {
	var buf bytes.Buffer
	// The writer writes the header at once; its multipart body is never
	// started.
	if _, err := message.CreateWriter(&buf, header(fields)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeMessage writes a whole mail and returns it with the length of its
// header.
func writeMessage(fields [][2]string, boundary string, out Rendered, ics []byte, method Method) ([]byte, int, error) {
	var buf bytes.Buffer
	mw, err := message.CreateWriter(&buf, header(fields))
	if err != nil {
		return nil, 0, err
	}
	headerLen := buf.Len()
	var ah message.Header
	ah.SetContentType("multipart/alternative", map[string]string{"boundary": boundary + "_alt"})
	aw, err := mw.CreatePart(ah)
	if err != nil {
		return nil, 0, err
	}
	writePart := func(w *message.Writer, h message.Header, body []byte) error {
		pw, err := w.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := pw.Write(body); err != nil {
			return err
		}
		return pw.Close()
	}
	var th message.Header
	th.SetContentType("text/plain", map[string]string{"charset": "UTF-8"})
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	if err := writePart(aw, th, []byte(strings.ReplaceAll(out.Text, "\n", "\r\n"))); err != nil {
		return nil, 0, err
	}
	var hh message.Header
	hh.SetContentType("text/html", map[string]string{"charset": "UTF-8"})
	hh.Set("Content-Transfer-Encoding", "quoted-printable")
	if err := writePart(aw, hh, []byte(strings.ReplaceAll(out.HTML, "\n", "\r\n"))); err != nil {
		return nil, 0, err
	}
	// RFC 6047 §2.4: the method parameter equals the METHOD property.
	var ch message.Header
	ch.SetContentType("text/calendar", map[string]string{"charset": "UTF-8", "method": string(method)})
	ch.Set("Content-Transfer-Encoding", "base64")
	if err := writePart(aw, ch, ics); err != nil {
		return nil, 0, err
	}
	if err := aw.Close(); err != nil {
		return nil, 0, err
	}
	name := "invite.ics"
	if method == MethodCancel {
		name = "cancel.ics"
	}
	var fh message.Header
	fh.SetContentType("application/ics", map[string]string{"name": name})
	fh.SetContentDisposition("attachment", map[string]string{"filename": name})
	fh.Set("Content-Transfer-Encoding", "base64")
	if err := writePart(mw, fh, ics); err != nil {
		return nil, 0, err
	}
	if err := mw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), headerLen, nil
}
