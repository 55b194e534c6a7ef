package booking

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Mail about a user's access (a password reset link) goes through the same
// outbox as invitations: stored once per dedupe key, queued for the relay
// when there is one, listed by GET /api/v1/outbox.

var _ account.Mailer = (*Service)(nil)

// SendAccountMail implements account.Mailer.
func (s *Service) SendAccountMail(ctx context.Context, m account.AccountMail) error {
	acct, err := s.Store.Account(ctx, m.AccountID)
	if err != nil {
		return fmt.Errorf("booking: account mail: %w", err)
	}
	from, err := s.sender(ctx, m.AccountID)
	if err != nil {
		return fmt.Errorf("booking: account mail: %w", err)
	}
	lang := m.To.Language
	if lang == "" {
		lang = acct.Language
	}
	raw, subject, msgID, err := composeAccountMail(s.Now(), m, acct, from, lang)
	if err != nil {
		return fmt.Errorf("booking: write %s mail: %w", m.Kind, err)
	}
	stored := &store.Mail{
		ID: s.newID("msg_"), AccountID: m.AccountID, DedupeKey: m.DedupeKey, Kind: m.Kind, Sender: from,
		Recipients: []string{m.To.Email}, Subject: subject, MessageID: msgID, Raw: raw, Status: store.MailHeld, Created: s.Now().UTC(),
	}
	if s.Mail != nil {
		stored.Status = store.MailQueued
	}
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		added, err := tx.AddMail(ctx, stored)
		if err != nil {
			return err
		}
		if added && stored.Status == store.MailQueued {
			return s.Jobs.Enqueue(ctx, tx, sendMail{AccountID: m.AccountID, MailID: stored.ID}, uniqueArgs)
		}
		return nil
	})
}

// accountMailText holds the words of an account mail in one language.
type accountMailText struct {
	subject, body string
}

// accountMailTexts are the texts of each kind: %[1]s the recipient's name,
// %[2]s their address, %[3]s the account, %[4]s the link, %[5]s when it
// expires (UTC).
var accountMailTexts = map[string]map[string]accountMailText{
	account.MailPasswordReset: {
		"en": {"Set your Convene password",
			"Hello %[1]s,\r\n\r\nSomeone, hopefully you, asked to set a new password for %[2]s on Convene (%[3]s).\r\n" +
				"Open this link to choose it:\r\n\r\n%[4]s\r\n\r\nThe link works once, until %[5]s.\r\n" +
				"If you did not ask for it, ignore this mail: your password stays as it is.\r\n"},
		"fr": {"Choisissez votre mot de passe Convene",
			"Bonjour %[1]s,\r\n\r\nQuelqu'un, vous sans doute, a demandé un nouveau mot de passe pour %[2]s sur Convene (%[3]s).\r\n" +
				"Ouvrez ce lien pour le choisir :\r\n\r\n%[4]s\r\n\r\nLe lien sert une fois, jusqu'au %[5]s.\r\n" +
				"Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\r\n"},
	},
}

// composeAccountMail writes an account mail as plain text.
func composeAccountMail(now time.Time, m account.AccountMail, acct *store.Account, from, lang string) ([]byte, string, string, error) {
	texts, ok := accountMailTexts[m.Kind]
	if !ok {
		return nil, "", "", fmt.Errorf("no text for account mail %q", m.Kind)
	}
	t, ok := texts[lang]
	if !ok {
		t = texts["en"]
	}
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: "Convene for " + acct.Name, Address: from}})
	h.SetAddressList("To", []*mail.Address{{Name: m.To.Name, Address: m.To.Email}})
	h.SetSubject(t.subject)
	domain := from[strings.LastIndex(from, "@")+1:]
	msgID := fmt.Sprintf("account.%s.%x@%s", m.Kind, hashString(m.DedupeKey), domain)
	h.SetMessageID(msgID)
	h.Set("Auto-Submitted", "auto-generated") // RFC 3834
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, "", "", err
	}
	fmt.Fprintf(w, t.body, m.To.Name, m.To.Email, acct.Name, m.Link, m.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	if err := w.Close(); err != nil {
		return nil, "", "", err
	}
	return buf.Bytes(), t.subject, "<" + msgID + ">", nil
}

// accountMailKinds are the kinds of mail that carry a sign-in link.
var accountMailKinds = []string{account.MailPasswordReset}

// RawMail returns one mail of the outbox as sent, to an admin of its
// account. A mail that carries a sign-in link (a password reset) opens the
// recipient's account, so only the recipient or an owner may read it: an
// admin could otherwise take over another admin's or an owner's access.
func (s *Service) RawMail(ctx context.Context, p account.Principal, id string) (*store.Mail, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	m, err := s.Store.Mail(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no mail %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: load mail: %w", err)
	}
	if !mayReadRaw(p, m) {
		return nil, failure.New(failure.Forbidden, "this mail carries a sign-in link for %s: only they or an owner of the account may read it", strings.Join(m.Recipients, ", "))
	}
	return m, nil
}
