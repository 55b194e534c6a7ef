// Package inbox is where mail to the assistant lands, whatever brought it
// (the SMTP listener, internal/mail/smtpin, or a mailbox read over IMAP,
// internal/mail/imapin). It keeps each message durably, with the job that
// will handle it, in one transaction committed before the front end says
// "accepted"; the same Message-ID is handled once per account. The job
// checks who sent the message (internal/mail/mailauth: SPF, DKIM, DMARC)
// and hands authenticated mail to a Processor, the assistant; mail whose
// sender is not proven is kept, marked rejected and shown to the admins,
// and nothing else happens. A periodic job empties the stored bytes after
// the retention period (CONVENE_MAIL_RETENTION), keeping the record.
//
// It is part of the core: the front ends call it; it must never import
// them (smtpin, imapin, web).
package inbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/store"

	_ "github.com/emersion/go-message/charset" // mail in legacy charsets (ISO-8859-1, Windows-1252…) decodes
)

// Where a message came from.
const (
	SourceSMTP = "smtp"
	SourceIMAP = "imap"
)

// Authenticator checks a message's sender; *mailauth.Checker is one.
type Authenticator interface {
	Check(ctx context.Context, in mailauth.Input) (*mailauth.Verdict, error)
}

// Service is the inbox.
type Service struct {
	Store    *store.DB
	Accounts *account.Service
	Jobs     *jobs.Queue
	Auth     Authenticator
	// Processor handles authenticated mail; nil: Unprocessed, which
	// records each message as received and not processed.
	Processor Processor
	// Retention is how long the bytes of a message are kept
	// (CONVENE_MAIL_RETENTION, default 30 days).
	Retention time.Duration
	Log       *slog.Logger
	Now       func() time.Time
	Rand      io.Reader
}

// ErrUnknownRecipient: the address is no account's assistant.
var ErrUnknownRecipient = errors.New("inbox: no assistant at this address")

// Route returns the account whose assistant address rcpt is, or
// ErrUnknownRecipient.
func (s *Service) Route(ctx context.Context, rcpt string) (string, error) {
	id, err := s.Accounts.AccountOfAssistant(ctx, rcpt)
	if errors.Is(err, account.ErrNoAssistant) {
		return "", ErrUnknownRecipient
	}
	if err != nil {
		return "", fmt.Errorf("inbox: route %s: %w", rcpt, err)
	}
	return id, nil
}

// Recipient is an assistant a message was accepted for.
type Recipient struct {
	Address   string
	AccountID string // from Route
}

// Envelope is how a message arrived.
type Envelope struct {
	Source string // SourceSMTP or SourceIMAP
	// RemoteIP, HELO and MailFrom are the SMTP client's address, its
	// greeting and the reverse-path (RFC 5321 §4.1.1), for SPF.
	RemoteIP   string
	HELO       string
	MailFrom   string
	Recipients []Recipient
}

// Cursor is how far the IMAP intake has read a mailbox; it is saved in the
// transaction that stores the messages read.
type Cursor struct {
	Source      string
	UIDValidity uint32
	UID         uint32
}

// Delivery is a received message.
type Delivery struct {
	Envelope
	// Raw is the message exactly as received, CRLF or not.
	Raw    []byte
	Cursor *Cursor
}

// Stored is what Receive did for one account.
type Stored struct {
	AccountID string
	ID        string // the row's ID
	// Duplicate: the account had this Message-ID already; the copy is
	// recorded, not processed.
	Duplicate bool
}

// Receive stores a message for each of its recipients' accounts, with the
// job that processes it, in one transaction that is on disk when Receive
// returns nil (RFC 5321 §6.1: after the 250 reply the message is ours to
// keep). A Message-ID the account already has is recorded as a duplicate
// without a job. An error means nothing was stored: the front end answers
// with a temporary failure and the sender tries again.
func (s *Service) Receive(ctx context.Context, d Delivery) ([]Stored, error) {
	if len(d.Recipients) == 0 && d.Cursor == nil {
		return nil, errors.New("inbox: a delivery without recipients")
	}
	sum := summarize(d.Raw)
	now := s.now()
	var out []Stored
	err := s.Store.InDurableTx(ctx, func(tx *store.DB) error {
		out = out[:0]
		seen := map[string]bool{}
		for _, r := range d.Recipients {
			if seen[r.AccountID] {
				continue
			}
			seen[r.AccountID] = true
			m := &store.InboxMessage{
				ID: s.newID("in_"), AccountID: r.AccountID, MessageKey: sum.key, Source: d.Source, Recipient: clean(r.Address, 320),
				RemoteIP: clean(d.RemoteIP, 64), HELO: clean(d.HELO, 255), MailFrom: clean(d.MailFrom, 320),
				HeaderFrom: sum.from, Subject: sum.subject, MessageID: sum.messageID, Size: int64(len(d.Raw)),
				Raw: d.Raw, Status: store.InboxReceived, Received: now,
			}
			added, err := tx.AddInboxMessage(ctx, m)
			if err != nil {
				return err
			}
			if added {
				if err := s.Jobs.Enqueue(ctx, tx, processMessage{AccountID: m.AccountID, MessageID: m.ID}, uniqueArgs); err != nil {
					return err
				}
				out = append(out, Stored{AccountID: m.AccountID, ID: m.ID})
				continue
			}
			first, err := tx.InboxMessageByKey(ctx, m.AccountID, m.MessageKey)
			if err != nil {
				return err
			}
			m.ID, m.DuplicateOf, m.Raw, m.Status = s.newID("in_"), first.ID, nil, store.InboxDuplicate
			m.Reason = "a copy of " + first.ID + ", received " + first.Received.Format(time.RFC3339)
			if _, err := tx.AddInboxMessage(ctx, m); err != nil {
				return err
			}
			out = append(out, Stored{AccountID: m.AccountID, ID: m.ID, Duplicate: true})
		}
		if c := d.Cursor; c != nil {
			return tx.SetInboxCursor(ctx, c.Source, c.UIDValidity, c.UID, now)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: store message: %w", err)
	}
	for _, st := range out {
		s.log().Info("mail received", "account", st.AccountID, "id", st.ID, "source", d.Source, "duplicate", st.Duplicate,
			"size", len(d.Raw), "remote_ip", d.RemoteIP)
	}
	return out, nil
}

// Cursor returns how far the IMAP intake read a mailbox.
func (s *Service) Cursor(ctx context.Context, source string) (uidValidity, uid uint32, err error) {
	return s.Store.InboxCursor(ctx, source)
}

// SaveCursor records how far the IMAP intake read a mailbox, for messages
// it skipped (no assistant among their recipients).
func (s *Service) SaveCursor(ctx context.Context, c Cursor) error {
	return s.Store.SetInboxCursor(ctx, c.Source, c.UIDValidity, c.UID, s.now())
}

// summary is what the row shows of a message: enough to list and
// deduplicate it, read from the header section only.
type summary struct {
	key, messageID, from, subject string
}

// maxKey is the longest Message-ID kept as the key; longer ones are
// hashed.
const maxKey = 250

// summarize reads the header section. A header that does not parse still
// gets a row (the job rejects it), keyed by the hash of its bytes.
func summarize(raw []byte) summary {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	mh := mail.Header{Header: messageHeader(h)}
	var sm summary
	if id, err := mh.MessageID(); err == nil && id != "" {
		sm.messageID = clean(id, 998)
	} else if v := strings.TrimSpace(mh.Get("Message-Id")); v != "" {
		sm.messageID = clean(strings.Trim(v, "<>"), 998)
	}
	switch {
	case sm.messageID == "":
		// RFC 5322 §3.6.4 only says SHOULD: without a Message-ID the
		// same bytes are the same message.
		sum := sha256.Sum256(raw)
		sm.key = "sha256:" + hex.EncodeToString(sum[:])
	case len(sm.messageID) > maxKey:
		sum := sha256.Sum256([]byte(sm.messageID))
		sm.key = "mid-sha256:" + hex.EncodeToString(sum[:])
	default:
		sm.key = "<" + sm.messageID + ">"
	}
	if v, err := mh.Text("From"); err == nil {
		sm.from = clean(v, 998)
	} else {
		sm.from = clean(mh.Get("From"), 998)
	}
	if v, err := mh.Subject(); err == nil {
		sm.subject = clean(v, 998)
	} else {
		sm.subject = clean(mh.Get("Subject"), 998)
	}
	return sm
}

// clean makes text from a message safe to store as TEXT in both engines:
// valid UTF-8 (PostgreSQL refuses anything else), no NUL, at most max
// bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) newID(prefix string) string {
	var b [10]byte
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	io.ReadFull(r, b[:])
	return prefix + strings.ToLower(b32.EncodeToString(b[:]))
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

var uniqueArgs = &jobs.InsertOpts{UniqueOpts: jobs.UniqueOpts{ByArgs: true}}
