package understand

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"encoding/base64"

	"github.com/emersion/go-message/charset"
)

// MaxMessage is the largest e-mail ParseEmail reads, in bytes; the text it
// keeps is then cut at MaxInput.
const MaxMessage = 1 << 20

// EmailOptions tune ParseEmail.
type EmailOptions struct {
	// NewText reduces a plain-text body to the text the author wrote in this
	// message (no quoted history, no signature). Nil means NewText, the
	// minimal version of this package; internal/mail/message.NewText is the
	// full reply parser to plug in here (understand imports no front end).
	NewText func(body string) string
}

// ErrNotText is returned for a message with no text/plain part.
var ErrNotText = errors.New("understand: the message has no text/plain part")

// ParseEmail reads an RFC 5322 message: its Subject is the subject and its
// body's new text is read with rule 15 (Context.Mail). The From address is
// left out of the attendees.
func ParseEmail(r io.Reader, ctx Context, opts EmailOptions) (Result, error) {
	subject, from, body, err := ReadEmail(r)
	if err != nil {
		return Result{Option: -1}, err
	}
	newText := opts.NewText
	if newText == nil {
		newText = NewText
	}
	return ParseMail(subject, from, newText(body), ctx), nil
}

// ParseMail reads an e-mail that the caller has already taken apart
// (internal/mail/message reads MIME, HTML, forwards and quoted history):
// subject is its decoded Subject, sender the address of its author (left
// out of the attendees unless ctx.Sender is set), and text the new text of
// its body, read with rule 15 (Context.Mail). A date that is only in the
// Subject ("Lunch Thursday?") still counts.
func ParseMail(subject, sender, text string, ctx Context) Result {
	return ParseForward(subject, sender, text, "", ctx)
}

// ParseForward reads a request an organizer forwarded: own is the new text
// the organizer wrote above the forward, forwarded the forwarded message's
// new text. What the organizer wrote wins field by field; what they left
// out is taken from the forwarded text ("Can you find us a time? 45
// minutes." above a forwarded "Let's meet Thursday at 3pm" is Thursday at
// 3pm for 45 minutes). Attendees and names are those of both; the language
// and the intent are the organizer's. The Subject counts last.
func ParseForward(subject, sender, own, forwarded string, ctx Context) Result {
	ctx.Mail = true
	if ctx.Sender == "" {
		ctx.Sender = sender
	}
	res := Parse(own, ctx)
	if forwarded != "" {
		res = mergeForward(res, Parse(forwarded, ctx))
	}
	if s := CleanSubject(subject); s != "" {
		res.Request.Subject = s
	}
	if !res.Request.HasTime() && subject != "" {
		// A date only in the Subject ("Lunch Thursday?") still counts.
		sub := Parse(subject, ctx)
		if sub.Request.HasTime() {
			r := sub.Request
			r.Subject, r.Attendees, r.Names, r.Language = res.Request.Subject, res.Request.Attendees, res.Request.Names, res.Request.Language
			if r.VideoProvider == "" {
				r.VideoProvider = res.Request.VideoProvider
			}
			res.Request, res.Ambiguities = r, sub.Ambiguities
		}
	}
	return res
}

// mergeForward completes the organizer's reading with the forwarded text's.
func mergeForward(res, fw Result) Result {
	r, f := &res.Request, fw.Request
	if !r.HasTime() && f.HasTime() {
		d := r.Duration
		r.Start, r.End, r.Window, r.Zone, r.RRule = f.Start, f.End, f.Window, f.Zone, f.RRule
		r.Duration = f.Duration
		res.Ambiguities, res.Confidence = fw.Ambiguities, fw.Confidence
		if d > 0 {
			r.Duration, r.End = d, time.Time{}
		}
	} else if r.Duration == 0 {
		r.Duration = f.Duration
	}
	if r.Duration > 0 && !r.Start.IsZero() && r.End.IsZero() {
		r.End = r.Start.Add(time.Duration(r.Duration) * time.Minute)
	}
	if r.VideoProvider == "" {
		r.VideoProvider = f.VideoProvider
	}
	if r.Subject == "" {
		r.Subject = f.Subject
	}
	for _, a := range f.Attendees {
		if !containsFold(r.Attendees, a) {
			r.Attendees = append(r.Attendees, a)
		}
	}
	for _, n := range f.Names {
		if !containsFold(r.Names, n) {
			r.Names = append(r.Names, n)
		}
	}
	if res.Intent == IntentNone {
		res.Intent = fw.Intent
	}
	return res
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ReadEmail reads an RFC 5322 message and returns its decoded Subject, the
// address of its From, and its text/plain body decoded to UTF-8 (the first
// text/plain part of a multipart message).
func ReadEmail(r io.Reader) (subject, from, body string, err error) {
	msg, err := mail.ReadMessage(bufio.NewReader(io.LimitReader(r, MaxMessage)))
	if err != nil {
		return "", "", "", fmt.Errorf("understand: read message: %w", err)
	}
	dec := mime.WordDecoder{CharsetReader: charset.Reader}
	subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
		from = a.Address
	}
	body, err = textPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return subject, from, body, err
}

func textPart(ctype, cte string, r io.Reader, depth int) (string, error) {
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt, params = "text/plain", map[string]string{}
	}
	switch {
	case strings.HasPrefix(mt, "multipart/") && depth < 5:
		mr := multipart.NewReader(r, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return "", ErrNotText
			}
			s, err := textPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1)
			if err == nil {
				return s, nil
			}
		}
	case mt == "text/plain":
		switch strings.ToLower(strings.TrimSpace(cte)) {
		case "quoted-printable":
			r = quotedprintable.NewReader(r)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, &newlineSkipper{r: r})
		}
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			cr, err := charset.Reader(cs, r)
			if err != nil {
				return "", fmt.Errorf("understand: charset %q: %w", cs, err)
			}
			r = cr
		}
		b, err := io.ReadAll(io.LimitReader(r, MaxMessage))
		if err != nil {
			return "", fmt.Errorf("understand: read body: %w", err)
		}
		return string(b), nil
	}
	return "", ErrNotText
}

// newlineSkipper drops line breaks from base64 bodies.
type newlineSkipper struct{ r io.Reader }

func (n *newlineSkipper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// CleanSubject removes reply and forward prefixes ("Re:", "RE :", "Fwd:",
// "TR:", "Réf :") from a Subject.
func CleanSubject(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
	for {
		i := strings.IndexByte(s, ':')
		if i < 0 || i > 5 {
			return s
		}
		p := strings.ToLower(strings.TrimSpace(s[:i]))
		switch p {
		case "re", "fw", "fwd", "tr", "réf", "ref", "aw", "wg", "rép", "rep":
			s = strings.TrimSpace(s[i+1:])
		default:
			return s
		}
	}
}

// NewText is the minimal "new text of this message" of an e-mail body: it
// drops lines quoted with ">", and stops at the first quoted-history header
// ("On ... wrote:", "Le ... a écrit :", Outlook's "-----Original
// Message-----" or "From: ... Sent:" block), at a signature delimiter ("-- ")
// and at "Sent from my iPhone"; after a sign-off line ("Best,", "Bien
// cordialement,") the rest is the signature. It is kept as the default of
// EmailOptions.NewText for callers without internal/mail; the full reply
// parser (Gmail, Outlook, Apple Mail, Thunderbird, HTML, forwards) is
// internal/mail/message.NewText.
func NewText(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	lines := strings.Split(body, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		tl := strings.TrimSpace(line)
		low := strings.ToLower(tl)
		switch {
		case strings.HasPrefix(tl, ">"):
			continue
		case tl == "--" || line == "-- " || strings.HasPrefix(tl, "-----original message") || strings.HasPrefix(low, "-----original message") ||
			strings.HasPrefix(low, "-----message d'origine") || strings.HasPrefix(tl, "__________"):
			return strings.Join(out, "\n")
		case strings.HasPrefix(low, "sent from my") || strings.HasPrefix(low, "envoyé de mon") || strings.HasPrefix(low, "envoye de mon"):
			return strings.Join(out, "\n")
		case (strings.HasPrefix(low, "on ") || strings.HasPrefix(low, "le ")) && wroteLine(lines, i):
			return strings.Join(out, "\n")
		case (strings.HasPrefix(low, "from:") || strings.HasPrefix(low, "de :") || strings.HasPrefix(low, "de:")) && i > 0 && outlookBlock(lines, i):
			return strings.Join(out, "\n")
		}
		out = append(out, line)
		if isSignoff(low) && len(out) > 1 {
			return strings.Join(out, "\n")
		}
	}
	return strings.Join(out, "\n")
}

// wroteLine reports whether line i (perhaps wrapped onto the next) is a
// quoted-history header: "On Fri, ... wrote:" or "Le ven. ... a écrit :".
func wroteLine(lines []string, i int) bool {
	s := strings.TrimSpace(lines[i])
	if i+1 < len(lines) && !strings.HasSuffix(s, ":") {
		s += " " + strings.TrimSpace(lines[i+1])
	}
	s = strings.ToLower(s)
	return strings.HasSuffix(s, "wrote:") || strings.HasSuffix(s, "a écrit :") || strings.HasSuffix(s, "a écrit:") || strings.HasSuffix(s, "a ecrit :")
}

// outlookBlock reports whether line i starts Outlook's quoted header block
// ("From:" then "Sent:" / "De :" then "Envoyé :" within a few lines).
func outlookBlock(lines []string, i int) bool {
	for k := i + 1; k < len(lines) && k < i+4; k++ {
		l := strings.ToLower(strings.TrimSpace(lines[k]))
		if strings.HasPrefix(l, "sent:") || strings.HasPrefix(l, "envoyé :") || strings.HasPrefix(l, "envoyé:") || strings.HasPrefix(l, "date:") {
			return true
		}
	}
	return false
}

var signoffs = []string{"best", "best regards", "best wishes", "kind regards", "regards", "warm regards", "cheers", "thanks", "thank you",
	"many thanks", "thanks again", "sincerely", "yours sincerely", "yours", "all the best", "talk soon", "speak soon", "take care",
	"cordialement", "bien cordialement", "bien à vous", "amicalement", "merci", "merci beaucoup", "merci d'avance", "bonne journée",
	"bonne soirée", "à bientôt", "a bientot", "bises", "bisous", "salutations", "sincères salutations", "belle journée"}

// isSignoff reports whether a (lower-case) line is a sign-off formula.
func isSignoff(low string) bool {
	l := strings.TrimRight(low, ",.! ")
	if strings.HasPrefix(l, "je vous prie d") || strings.HasPrefix(l, "veuillez agréer") {
		return true
	}
	for _, s := range signoffs {
		if l == s {
			return true
		}
	}
	return false
}
