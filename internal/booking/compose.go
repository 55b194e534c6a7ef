package booking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/invite"
)

// InviteComposer writes invitations with the invite package (the account's
// templates and branding, iMIP with the .ics) and notices to organizers as
// short plain-text mail.
type InviteComposer struct {
	Now func() time.Time
}

// Compose implements Composer.
func (c InviteComposer) Compose(ctx context.Context, l Letter) (*Composed, error) {
	if l.Notice != "" {
		return c.notice(l)
	}
	out, err := c.ComposeEach(ctx, []Letter{l})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ComposeEach implements EachComposer with invite.Composer.ComposeEach:
// the calendar object once, the body once per language and time zone.
func (c InviteComposer) ComposeEach(ctx context.Context, ls []Letter) ([]*Composed, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	l := ls[0]
	acct := invite.Account{Name: l.Account.Name, AssistantAddress: l.From.Email, Language: l.Account.Language}
	if err := decodeOptional(l.Account.Templates, &acct.Templates); err != nil {
		return nil, fmt.Errorf("booking: templates of %s: %w", l.Account.ID, err)
	}
	if err := decodeOptional(l.Account.Branding, &acct.Branding); err != nil {
		return nil, fmt.Errorf("booking: branding of %s: %w", l.Account.ID, err)
	}
	to := make([]invite.Addressee, len(ls))
	for i, l := range ls {
		if l.Notice != "" {
			return nil, fmt.Errorf("booking: a notice among invitations (%s)", l.Recipient.Email)
		}
		to[i] = invite.Addressee{To: invite.Recipient{Name: l.Recipient.Name, Email: l.Recipient.Email, Language: l.Language, TimeZone: l.TimeZone},
			References: l.References}
	}
	ms, err := (&invite.Composer{Now: c.Now}).ComposeEach(ctx, invite.MailRequest{
		Method: l.Method, Meeting: l.Meeting, Previous: l.Previous, Account: acct, Reason: l.Reason,
	}, to)
	if err != nil {
		return nil, err
	}
	out := make([]*Composed, len(ms))
	for i, m := range ms {
		out[i] = &Composed{Raw: m.Raw, Subject: m.Subject, MessageID: m.MessageID, Calendar: m.Calendar}
	}
	return out, nil
}

func decodeOptional(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 || string(bytes.TrimSpace(b)) == "{}" {
		return nil
	}
	return json.Unmarshal(b, v)
}

// notice writes a short plain-text mail to the organizer about their
// meeting (it failed, it changed in Zoom), or to an admin about the
// account (an app needs re-authorization).
func (c InviteComposer) notice(l Letter) (*Composed, error) {
	var h mail.Header
	h.SetDate(c.Now())
	h.SetAddressList("From", []*mail.Address{{Name: "Convene for " + l.Account.Name, Address: l.From.Email}})
	h.SetAddressList("To", []*mail.Address{{Name: l.Recipient.Name, Address: l.Recipient.Email}})
	subject := "About your meeting: " + l.Meeting.Summary
	if l.Language == "fr" {
		subject = "À propos de votre réunion : " + l.Meeting.Summary
	}
	switch {
	case l.Meeting.UID == "" && l.NoticeKind == "connection":
		// A user's own connection of an app (NotifyUser).
		subject = "About your " + l.Meeting.Summary + " connection"
		if l.Language == "fr" {
			subject = "À propos de votre connexion " + l.Meeting.Summary
		}
	case l.Meeting.UID == "":
		subject = "Convene needs an admin of " + l.Account.Name
		if l.Language == "fr" {
			subject = "Convene a besoin d'un administrateur de " + l.Account.Name
		}
	}
	h.SetSubject(subject)
	domain := l.From.Email[strings.LastIndex(l.From.Email, "@")+1:]
	msgID := fmt.Sprintf("notice.%s.%d.%x@%s", strings.SplitN(l.Meeting.UID, "@", 2)[0], l.Meeting.Sequence, hashString(l.NoticeKind+l.Notice), domain)
	h.SetMessageID(msgID)
	h.Set("Auto-Submitted", "auto-generated") // RFC 3834: a notice, not a personal message
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%s\r\n\r\n%s\r\n", l.Notice, l.Meeting.Summary)
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &Composed{Raw: buf.Bytes(), Subject: subject, MessageID: "<" + msgID + ">"}, nil
}
