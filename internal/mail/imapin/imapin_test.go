package imapin_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/inbox/inboxtest"
	"github.com/convene/convene/internal/mail/dovecottest"
	"github.com/convene/convene/internal/mail/imapin"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/store"
)

func TestParseURL(t *testing.T) {
	m, err := imapin.ParseURL("imaps://assistant%40acme.test:s3cret@imap.acme.test/Assistant")
	if err != nil || m.Host != "imap.acme.test:993" || m.User != "assistant@acme.test" || m.Name != "Assistant" || m.Security != imapin.ImplicitTLS {
		t.Fatalf("%+v %v", m, err)
	}
	if strings.Contains(m.String(), "s3cret") {
		t.Errorf("String shows the password: %s", m)
	}
	for _, bad := range []string{"imap://u:p@imap.acme.test/INBOX", "pop3://u:p@h", "imaps://imap.acme.test/INBOX", "imaps:///x", "::"} {
		if _, err := imapin.ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
	if m, err := imapin.ParseURL("imap://u:p@127.0.0.1:1143"); err != nil || m.Name != "INBOX" || m.Host != "127.0.0.1:1143" {
		t.Errorf("loopback imap://: %+v %v", m, err)
	}
}

// run reads box into intake until the test (or stop) ends.
func run(t *testing.T, box imapin.Mailbox, intake imapin.Intake, opts imapin.Options) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- imapin.New(box, intake, opts).Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// eventually waits up to 30 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func letter(from, to, id, subject string) []byte {
	return mailtest.CRLF("Delivered-To: " + to + "\nFrom: " + from + "\nTo: bob@partner.example\nCc: " + to + "\nSubject: " + subject +
		"\nMessage-ID: <" + id + ">\nDate: Mon, 02 Mar 2026 09:00:00 +0100\n\nLunch on Tuesday?\n")
}

func TestReadsTheMailbox(t *testing.T) {
	for _, mode := range []string{"idle", "poll"} {
		t.Run(mode, func(t *testing.T) {
			var extra []string
			opts := imapin.Options{MaxBackoff: 200 * time.Millisecond}
			if mode == "poll" {
				extra, opts.PollInterval = append(extra, dovecottest.NoIdle), 100*time.Millisecond
			}
			dc := dovecottest.Start(t, "assistant@acme.test", "secret", extra...)
			e := inboxtest.New(t, "sqlite", inboxtest.Options{})
			acme := e.Tenant("Acme", "acme.test")
			key := mailtest.NewKey(t)
			e.DNS.SetTXT("k1._domainkey.acme.test", key.Record)
			box, err := imapin.ParseURL(dc.URL())
			if err != nil {
				t.Fatal(err)
			}
			count := func() int { return len(e.Messages(acme.AccountID)) }

			// Mail waiting before the reader starts, signed (IMAP has no
			// SMTP client address, so SPF cannot speak: DKIM does).
			dc.Deliver(t, mailtest.Sign(t, letter("owner@acme.test", "assistant@acme.test", "m1@acme.test", "First"), "acme.test", "k1", key))
			stop := run(t, box, e.Inbox, opts)
			eventually(t, "the first message", func() bool { return count() == 1 })
			m := e.Wait(t, acme.AccountID, e.Messages(acme.AccountID)[0].ID, store.InboxProcessed)
			if m.Source != inbox.SourceIMAP || m.Recipient != "assistant@acme.test" || !m.Authenticated || m.SenderUserID != acme.OwnerID {
				t.Errorf("row %+v", m)
			}
			eventually(t, "flagged \\Seen", func() bool { s, u := dc.Seen(t); return s == 1 && u == 0 })

			// Mail arriving while the reader waits (IDLE, or the next poll).
			dc.Deliver(t, mailtest.Sign(t, letter("owner@acme.test", "assistant@acme.test", "m2@acme.test", "Second"), "acme.test", "k1", key))
			// Bcc'd (no header names the assistant: the mailbox is its
			// own); and a spoof.
			dc.Deliver(t, mailtest.Sign(t, letter("owner@acme.test", "bob@partner.example", "m3@acme.test", "Bcc"), "acme.test", "k1", key))
			dc.Deliver(t, letter("owner@acme.test", "assistant@acme.test", "m4@acme.test", "Spoof"))
			eventually(t, "the later messages", func() bool { return count() == 4 })
			eventually(t, "all flagged \\Seen", func() bool { s, u := dc.Seen(t); return s == 4 && u == 0 })
			ms := e.Messages(acme.AccountID)
			if ms[1].MessageID != "m2@acme.test" || ms[2].MessageID != "m3@acme.test" || ms[2].Recipient != "assistant@acme.test" || ms[3].MessageID != "m4@acme.test" {
				t.Fatalf("messages %+v", ms)
			}
			if m := e.Wait(t, acme.AccountID, ms[3].ID, store.InboxRejected, store.InboxProcessed); m.Status != store.InboxRejected {
				t.Errorf("the unsigned message: %s %s", m.Status, m.Reason)
			}

			// A restart reads nothing twice, even when another client
			// cleared \Seen meanwhile: the UID cursor says what was read.
			stop()
			dc.Unsee(t)
			dc.Deliver(t, mailtest.Sign(t, letter("owner@acme.test", "assistant@acme.test", "m5@acme.test", "Fifth"), "acme.test", "k1", key))
			run(t, box, e.Inbox, opts)
			eventually(t, "the message sent while stopped", func() bool { return count() == 5 })
			eventually(t, "flagged \\Seen", func() bool { s, _ := dc.Seen(t); return s == 5 })
			for _, m := range e.Messages(acme.AccountID) {
				if m.Status == store.InboxDuplicate {
					t.Errorf("read twice: %s", m.MessageID)
				}
			}
		})
	}
}

// failing stores nothing: the reader must not flag or skip the message.
type failing struct {
	*inbox.Service
	fail     atomic.Bool
	attempts atomic.Int64
}

func (f *failing) Receive(ctx context.Context, d inbox.Delivery) ([]inbox.Stored, error) {
	if f.fail.Load() {
		f.attempts.Add(1)
		return nil, errors.New("database unavailable")
	}
	return f.Service.Receive(ctx, d)
}

func TestFlaggedOnlyAfterCommit(t *testing.T) {
	dc := dovecottest.Start(t, "assistant@acme.test", "secret")
	e := inboxtest.New(t, "sqlite", inboxtest.Options{})
	acme := e.Tenant("Acme", "acme.test")
	box, _ := imapin.ParseURL(dc.URL())
	in := &failing{Service: e.Inbox}
	in.fail.Store(true)
	dc.Deliver(t, letter("owner@acme.test", "assistant@acme.test", "c1@acme.test", "Commit"))
	run(t, box, in, imapin.Options{MaxBackoff: 100 * time.Millisecond})
	// The reader retries; until the inbox stores, the message stays
	// unseen and the cursor does not move.
	eventually(t, "a few failed attempts", func() bool { return in.attempts.Load() >= 3 })
	v, uid, _ := e.Inbox.Cursor(context.Background(), box.Source())
	if s, u := dc.Seen(t); v != 0 || uid != 0 || s != 0 || u != 1 {
		t.Fatalf("flagged or skipped before the commit: cursor %d/%d, seen %d unseen %d", v, uid, s, u)
	}
	in.fail.Store(false)
	eventually(t, "stored once the inbox works", func() bool { return len(e.Messages(acme.AccountID)) == 1 })
	eventually(t, "then flagged", func() bool { s, _ := dc.Seen(t); return s == 1 })
}

// TestUIDValidityChange: when the mailbox's UIDVALIDITY is not the one
// saved, every unseen message is read again, and the inbox's Message-ID
// check keeps each from being handled twice.
func TestUIDValidityChange(t *testing.T) {
	dc := dovecottest.Start(t, "assistant@acme.test", "secret")
	e := inboxtest.New(t, "sqlite", inboxtest.Options{})
	acme := e.Tenant("Acme", "acme.test")
	box, _ := imapin.ParseURL(dc.URL())
	dc.Deliver(t, letter("owner@acme.test", "assistant@acme.test", "v1@acme.test", "One"))
	stop := run(t, box, e.Inbox, imapin.Options{})
	eventually(t, "read", func() bool { s, _ := dc.Seen(t); return s == 1 })
	stop()
	v, uid, _ := e.Inbox.Cursor(context.Background(), box.Source())
	if v == 0 || uid == 0 {
		t.Fatalf("cursor %d/%d", v, uid)
	}
	if err := e.Inbox.SaveCursor(context.Background(), inbox.Cursor{Source: box.Source(), UIDValidity: v + 1, UID: 99}); err != nil {
		t.Fatal(err)
	}
	dc.Unsee(t)
	run(t, box, e.Inbox, imapin.Options{})
	eventually(t, "read again", func() bool { return len(e.Messages(acme.AccountID)) == 2 })
	ms := e.Messages(acme.AccountID)
	if ms[1].Status != store.InboxDuplicate || ms[1].DuplicateOf != ms[0].ID {
		t.Errorf("the message read again: %+v", ms[1])
	}
	eventually(t, "cursor back on the real UIDVALIDITY", func() bool {
		nv, nuid, _ := e.Inbox.Cursor(context.Background(), box.Source())
		return nv == v && nuid == uid
	})
}

// TestSkipsMailForNoAssistant: in a shared mailbox (its user is no
// assistant address), a message that names no assistant is flagged and
// passed over, and the cursor moves past it.
func TestSkipsMailForNoAssistant(t *testing.T) {
	dc := dovecottest.Start(t, "shared", "secret")
	e := inboxtest.New(t, "sqlite", inboxtest.Options{})
	acme := e.Tenant("Acme", "acme.test")
	box, _ := imapin.ParseURL(dc.URL())
	dc.Deliver(t, letter("owner@acme.test", "nobody@else.test", "s1@acme.test", "Lost"))
	dc.Deliver(t, letter("owner@acme.test", "assistant@acme.test", "s2@acme.test", "Found"))
	run(t, box, e.Inbox, imapin.Options{})
	eventually(t, "both flagged", func() bool { s, _ := dc.Seen(t); return s == 2 })
	ms := e.Messages(acme.AccountID)
	if len(ms) != 1 || ms[0].MessageID != "s2@acme.test" {
		t.Fatalf("messages %+v", ms)
	}
	if _, uid, _ := e.Inbox.Cursor(context.Background(), box.Source()); uid != 2 {
		t.Errorf("cursor at UID %d", uid)
	}
}
