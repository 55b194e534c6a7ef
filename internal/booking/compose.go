package booking

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/invite"
)

// BasicComposer writes invitations as multipart/alternative text plus
// text/calendar, the .ics from the invite package. It stands until the
// invite package's branded templates are wired in.
type BasicComposer struct {
	Now func() time.Time
}

// Compose implements Composer.
func (c BasicComposer) Compose(ctx context.Context, l Letter) (*Composed, error) {
	now := c.Now()
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: l.From.Name, Address: l.From.Email}})
	if l.ReplyTo != "" {
		h.SetAddressList("Reply-To", []*mail.Address{{Address: l.ReplyTo}})
	}
	h.SetAddressList("To", []*mail.Address{{Name: l.Recipient.Name, Address: l.Recipient.Email}})
	subject := l.Meeting.Summary
	switch {
	case l.Notice != "":
		subject = "About your meeting: " + subject
	case l.Method == invite.MethodCancel:
		subject = "Cancelled: " + subject
	case l.Update:
		subject = "Updated: " + subject
	default:
		subject = "Invitation: " + subject
	}
	h.SetSubject(subject)
	domain := l.From.Email[strings.LastIndex(l.From.Email, "@")+1:]
	msgID := fmt.Sprintf("%s.%d.%x@%s", strings.SplitN(l.Meeting.UID, "@", 2)[0], l.Meeting.Sequence, hashString(string(l.Method)+l.Recipient.Email+l.Notice), domain)
	h.SetMessageID(msgID)

	text := l.Notice
	if text == "" {
		text = fmt.Sprintf("%s\r\n%s\r\n", l.Meeting.Summary, l.Meeting.Start.Format(time.RFC1123Z))
		if l.Meeting.Video != nil {
			text += "\r\nJoin: " + l.Meeting.Video.JoinURL + "\r\n"
			if l.Meeting.Video.Invitation != "" {
				text += "\r\n" + l.Meeting.Video.Invitation + "\r\n"
			}
		}
	}
	var buf bytes.Buffer
	if l.Notice != "" {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		w, err := mail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		w.Write([]byte(text))
		w.Close()
		return &Composed{Raw: buf.Bytes(), Subject: subject, MessageID: msgID}, nil
	}
	ics, err := invite.Calendar(l.Method, l.Meeting, now)
	if err != nil {
		return nil, err
	}
	h.SetContentType("multipart/alternative", nil)
	mw, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, err
	}
	var th message.Header
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := mw.CreatePart(th)
	if err != nil {
		return nil, err
	}
	pw.Write([]byte(text))
	pw.Close()
	var ch message.Header
	ch.SetContentType("text/calendar", map[string]string{"charset": "utf-8", "method": string(l.Method)})
	ch.Set("Content-Transfer-Encoding", "base64")
	cw, err := mw.CreatePart(ch)
	if err != nil {
		return nil, err
	}
	cw.Write(ics)
	cw.Close()
	mw.Close()
	return &Composed{Raw: buf.Bytes(), Subject: subject, MessageID: msgID}, nil
}
