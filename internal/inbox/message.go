package inbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/convene/convene/internal/store"
)

// Message is a received message as the Processor sees it: the envelope,
// the bytes as received and the parsed header.
type Message struct {
	ID        string // the inbox row: the key for idempotent processing
	AccountID string
	// Recipient is the assistant address it was written to.
	Recipient string
	Source    string
	RemoteIP  string
	HELO      string
	MailFrom  string
	Received  time.Time
	// Raw is the message exactly as received.
	Raw []byte
	// Header is the parsed header section; its methods (Subject,
	// AddressList, MsgIDList…) decode RFC 2047 words in any charset.
	Header mail.Header

	// MessageID, InReplyTo and References are the message identifiers
	// (RFC 5322 §3.6.4) without angle brackets, for threading.
	MessageID  string
	InReplyTo  []string
	References []string
	Subject    string
	From       *mail.Address
	To, Cc     []*mail.Address
	Date       time.Time // zero when missing or unreadable
}

// ErrMalformed: the message's header section cannot be read.
var ErrMalformed = errors.New("inbox: malformed message")

// parseMessage reads a stored message.
func parseMessage(m *store.InboxMessage) (*Message, error) {
	msg := &Message{ID: m.ID, AccountID: m.AccountID, Recipient: m.Recipient, Source: m.Source, RemoteIP: m.RemoteIP,
		HELO: m.HELO, MailFrom: m.MailFrom, Received: m.Received, Raw: m.Raw}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	msg.Header = mail.Header{Header: messageHeader(h)}
	msg.MessageID, _ = msg.Header.MessageID()
	msg.InReplyTo, _ = msg.Header.MsgIDList("In-Reply-To")
	msg.References, _ = msg.Header.MsgIDList("References")
	msg.Subject, _ = msg.Header.Subject()
	if l, err := msg.Header.AddressList("From"); err == nil && len(l) > 0 {
		msg.From = l[0]
	}
	msg.To, _ = msg.Header.AddressList("To")
	msg.Cc, _ = msg.Header.AddressList("Cc")
	msg.Date, _ = msg.Header.Date()
	return msg, nil
}

func messageHeader(h textproto.Header) message.Header { return message.Header{Header: h} }

// Body is the readable text of a message.
type Body struct {
	// Text is the first text/plain part, HTML the first text/html part,
	// both decoded (transfer encoding and charset) to UTF-8.
	Text string
	HTML string
	// Truncated: a part was longer than the limit and was cut.
	Truncated bool
}

// Limits of Text: mail is bounded by the SMTP size limit, but a processor
// needs only the words.
const (
	maxTextBytes = 1 << 20
	maxParts     = 100
)

// Text returns the message's readable text: the first text/plain and
// text/html parts, outside attachments, decoded from their transfer
// encoding (RFC 2045 §6) and charset (RFC 2046 §4.1.2; legacy charsets
// through go-message/charset) into UTF-8.
func (m *Message) Text() (*Body, error) {
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	if r == nil || err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		// go-message returns no reader for some errors it calls
		// unknown (a bad transfer encoding of the whole message).
		return nil, fmt.Errorf("inbox: read message %s: %w", m.ID, err)
	}
	defer r.Close()
	b := &Body{}
	for n := 0; n < maxParts && (b.Text == "" || b.HTML == ""); n++ {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			if b.Text != "" || b.HTML != "" {
				break // keep what was read before the broken part
			}
			return nil, fmt.Errorf("inbox: read message %s: %w", m.ID, err)
		}
		ih, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue // an attachment
		}
		ct, _, _ := ih.ContentType()
		if ct == "" {
			ct = "text/plain" // RFC 2045 §5.2
		}
		if ct != "text/plain" && ct != "text/html" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p.Body, maxTextBytes+1))
		if err != nil && len(data) == 0 {
			continue
		}
		if len(data) > maxTextBytes {
			data, b.Truncated = data[:maxTextBytes], true
		}
		text := strings.ToValidUTF8(string(data), "\uFFFD")
		if ct == "text/plain" && b.Text == "" {
			b.Text = text
		}
		if ct == "text/html" && b.HTML == "" {
			b.HTML = text
		}
	}
	return b, nil
}
