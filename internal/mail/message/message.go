package message

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/assistant/understand"
)

// Limits of Read. A message over one of them is refused with a *LimitError,
// except the text limits, which cut the text and set Truncated.
const (
	// DefaultMaxSize is the largest raw message Read accepts when
	// Options.MaxSize is 0, in bytes.
	DefaultMaxSize = 32 << 20
	// MaxHeader is the largest header of the message, in bytes (go-message's
	// own default); MaxPartHeader the largest header of a MIME part.
	MaxHeader     = 1 << 20
	MaxPartHeader = 64 << 10
	// MaxParts is the number of MIME entities (parts at every level, and
	// attached messages) a message may have.
	MaxParts = 256
	// MaxDepth is how deeply multiparts and attached messages may nest.
	MaxDepth = 10
	// MaxText is the longest text (decoded, in bytes) read from one part, and
	// from the whole body; the rest is cut.
	MaxText = 1 << 20
	// MaxCalendar is the largest text/calendar part kept, in bytes.
	MaxCalendar = 1 << 20
	// MaxAttached is how much of an attached message (message/rfc822) is
	// decoded and read, in bytes: its text and headers are at the start,
	// and a chain of attached messages then holds at most MaxDepth copies
	// of this size.
	MaxAttached = 4 << 20
	// MaxIDs is the number of message ids kept from References (the first
	// one, the thread's root, and the most recent ones) and from the other
	// id lists.
	MaxIDs = 100
	// MaxAddresses is the number of addresses kept from each address field,
	// and the number of attendees Attendees returns.
	MaxAddresses = 100
)

// ErrLimit is matched (errors.Is) by every *LimitError.
var ErrLimit = errors.New("message: over a limit")

// ErrMalformed is matched by the error of a message whose header cannot be
// read at all (no header field at its start).
var ErrMalformed = errors.New("message: malformed message")

// LimitError says which limit a message went over. Intake keeps such a
// message for the admins but does not act on it.
type LimitError struct {
	What  string // "size", "header size", "parts", "nesting depth"
	Limit int
}

// Error says which limit was passed.
func (e *LimitError) Error() string {
	return fmt.Sprintf("message: %s over the limit of %d", e.What, e.Limit)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Options tune Read.
type Options struct {
	// MaxSize is the largest raw message accepted, in bytes; 0 means
	// DefaultMaxSize.
	MaxSize int
}

// Address is a mailbox: a display name (may be empty) and an address.
type Address struct {
	Name  string
	Email string
}

// String formats the address as "Name <email>", or the bare address, or
// the name when there is no address (an inline forward's "From: Smith, Bob").
func (a Address) String() string {
	switch {
	case a.Email == "":
		return a.Name
	case a.Name == "":
		return a.Email
	}
	return fmt.Sprintf("%q <%s>", a.Name, a.Email)
}

// Message is what Read found in a message.
type Message struct {
	// Keys place the message in a thread (see BelongsTo).
	Keys Keys
	// Subject is the decoded Subject as written; Topic is Subject without
	// reply and forward prefixes and tags ("Re: [ext] TR: Budget" gives
	// "Budget").
	Subject, Topic string
	// From is the first author; ReplyTo, To and Cc are as written (group
	// syntax flattened, at most MaxAddresses each).
	From            Address
	ReplyTo, To, Cc []Address
	// Date is the Date field, zero when absent or unreadable.
	Date time.Time
	// ContentLanguage and AcceptLanguage are the language tags of those
	// fields (RFC 3282, and Accept-Language as some clients send it), most
	// preferred first: hints for the reply language.
	ContentLanguage, AcceptLanguage []string
	// Language is the language of the author's new text (of the subject
	// when there is none), English or French; the tags above break ties.
	Language understand.Language

	// Text is the body as read: the chosen text part decoded to UTF-8,
	// format=flowed joined, or the HTML part turned into text (quoted parts
	// as "> " lines). HTML says the text came from HTML.
	Text string
	HTML bool
	// NewText is what the author wrote in this message: Text without the
	// quoted history, the forwarded message and the signature.
	NewText string
	// Forward is the message the author forwarded, or nil.
	Forward *Forward
	// Calendar is the first text/calendar part (or .ics attachment), nil
	// when there is none.
	Calendar *Calendar
	// Attachments lists the parts that are not the body (names and types
	// only; their content is not decoded).
	Attachments []Attachment
	// Truncated says a text was cut at MaxText or an id or address list at
	// its limit.
	Truncated bool
}

// Forward is a forwarded message: the headers its forward block shows (or
// the attached message's) and its text.
type Forward struct {
	From    Address
	To, Cc  []Address
	Subject string
	// Date is the date as shown ("Mon, Mar 2, 2026 at 10:00 AM", "lundi 2
	// mars 2026 10:00"); DateTime is set when it is an RFC 5322 date.
	Date     string
	DateTime time.Time
	// Text is the forwarded body as shown; NewText its author's own text
	// (without its quoted history and signature).
	Text, NewText string
	// MessageID is set for an attached message (message/rfc822).
	MessageID string
	// Language is the language of NewText.
	Language understand.Language
}

// Calendar is an iCalendar part (RFC 5545) as received, for iTIP (RFC 5546).
type Calendar struct {
	// Method is the iTIP method (REPLY, COUNTER, REQUEST, CANCEL…) from the
	// Content-Type parameter, else from the METHOD property; "" if neither.
	Method string
	// Data is the part's content, transfer encoding removed, in UTF-8.
	Data []byte
}

// Attachment is a part that is not read.
type Attachment struct {
	Filename    string
	ContentType string
}

// RequestText is the text a request is read from: the author's new text,
// followed by the forwarded message's new text when there is one ("can you
// find us a time?" above a forwarded "let's meet next week").
func (m *Message) RequestText() string {
	if m.Forward == nil || m.Forward.NewText == "" {
		return m.NewText
	}
	if m.NewText == "" {
		return m.Forward.NewText
	}
	return m.NewText + "\n\n" + m.Forward.NewText
}

// Read reads one raw RFC 5322 message. It fails only for a message over a
// limit (*LimitError) or one with no readable header (ErrMalformed); any
// other damage (unknown charset, bad base64, missing boundary) is read
// around.
func Read(raw []byte, opts Options) (*Message, error) {
	max := opts.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	if len(raw) > max {
		return nil, &LimitError{What: "size", Limit: max}
	}
	raw = skipMboxLine(raw)
	top, err := splitEntity(raw, MaxHeader, true)
	if err != nil {
		return nil, err
	}
	m := &Message{}
	m.readHeader(top.header)

	w := &walker{parts: 1}
	body, html, err := w.body(top, 0)
	if err != nil {
		return nil, err
	}
	m.HTML = html
	m.Calendar = w.calendar
	m.Attachments = w.attachments
	m.Truncated = m.Truncated || w.truncated
	m.Text = linesText(body)

	own, fwd := split(body, isForwardSubject(m.Subject), true)
	m.NewText = clean(own)
	if fwd != nil {
		m.Forward = fwd
	} else if w.attached != nil {
		m.Forward = w.attached
	}
	hint := languageHint(m.ContentLanguage)
	if hint == "" {
		hint = languageHint(m.AcceptLanguage)
	}
	text := m.NewText
	if strings.TrimSpace(text) == "" {
		text = m.Topic
	}
	m.Language = understand.DetectLanguage(text, hint)
	if m.Forward != nil {
		if m.Forward.MessageID != "" {
			m.Keys.Forwarded = appendID(m.Keys.Forwarded, m.Forward.MessageID)
		}
		m.Forward.Language = understand.DetectLanguage(m.Forward.NewText, m.Language)
	}
	return m, nil
}

// skipMboxLine drops the "From " line an mbox or a spool may put before the
// header.
func skipMboxLine(raw []byte) []byte {
	if len(raw) > 5 && string(raw[:5]) == "From " {
		for i, c := range raw {
			if c == '\n' {
				return raw[i+1:]
			}
		}
		return nil
	}
	return raw
}

// languageHint turns language tags into the language they name first, ""
// for none of English and French.
func languageHint(tags []string) understand.Language {
	for _, t := range tags {
		t = strings.ToLower(t)
		switch {
		case t == "fr" || strings.HasPrefix(t, "fr-"):
			return understand.French
		case t == "en" || strings.HasPrefix(t, "en-"):
			return understand.English
		}
	}
	return ""
}
