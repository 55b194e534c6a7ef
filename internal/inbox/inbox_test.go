package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/inbox/inboxtest"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// deliver hands raw to the inbox as the SMTP listener would, from
// 127.0.0.1 (which the tenants' SPF records authorize).
func deliver(t *testing.T, e *inboxtest.Env, raw []byte, ip, mailFrom string, rcpts ...string) []inbox.Stored {
	t.Helper()
	var rs []inbox.Recipient
	for _, r := range rcpts {
		id, err := e.Inbox.Route(context.Background(), r)
		if err != nil {
			t.Fatalf("route %s: %v", r, err)
		}
		rs = append(rs, inbox.Recipient{Address: r, AccountID: id})
	}
	st, err := e.Inbox.Receive(context.Background(), inbox.Delivery{
		Envelope: inbox.Envelope{Source: inbox.SourceSMTP, RemoteIP: ip, HELO: "client.test", MailFrom: mailFrom, Recipients: rs},
		Raw:      raw,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRouting(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		e := inboxtest.New(t, engine, inboxtest.Options{})
		acme := e.Tenant("Acme", "acme.test")
		ctx := context.Background()
		for _, tc := range []struct {
			addr string
			want string
		}{
			{"assistant@acme.test", acme.AccountID},
			{"Assistant@ACME.test", acme.AccountID},
			{"someone@acme.test", ""},
			{"assistant@other.test", ""},
			{"assistant", ""},
		} {
			got, err := e.Inbox.Route(ctx, tc.addr)
			if tc.want == "" {
				if !errors.Is(err, inbox.ErrUnknownRecipient) {
					t.Errorf("%s: %q %v, want ErrUnknownRecipient", tc.addr, got, err)
				}
				continue
			}
			if err != nil || got != tc.want {
				t.Errorf("%s: %q %v, want %s", tc.addr, got, err, tc.want)
			}
		}
		// The account's own setting replaces the default.
		owner := account.Principal{AccountID: acme.AccountID, UserID: acme.OwnerID, Role: store.RoleOwner}
		addr := "Scheduler@acme.test"
		if _, err := e.Accounts.UpdateAccount(ctx, owner, account.AccountPatch{AssistantAddress: &addr}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Inbox.Route(ctx, "assistant@acme.test"); !errors.Is(err, inbox.ErrUnknownRecipient) {
			t.Errorf("the old default still routes: %v", err)
		}
		if got, err := e.Inbox.Route(ctx, "scheduler@acme.test"); err != nil || got != acme.AccountID {
			t.Errorf("scheduler@acme.test: %q %v", got, err)
		}
		if _, got, err := e.Accounts.AccountAndAssistant(ctx, acme.AccountID); err != nil || got != "scheduler@acme.test" {
			t.Errorf("the account's own setting, with its account: %q %v", got, err)
		}
		// An address outside the account's verified domains is refused.
		bad := "assistant@gmail.example"
		_, err := e.Accounts.UpdateAccount(ctx, owner, account.AccountPatch{AssistantAddress: &bad})
		if fe, ok := failure.As(err); !ok || fe.Kind != failure.Invalid || !strings.Contains(fe.Error(), "not a verified domain") {
			t.Errorf("assistant address in a foreign domain: %v", err)
		}
	})
}

// eachEngine runs f as a subtest on each database engine.
func eachEngine(t *testing.T, f func(t *testing.T, engine string)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { f(t, engine) })
	}
}

func TestDefaultAssistantAddress(t *testing.T) {
	e := inboxtest.New(t, "sqlite", inboxtest.Options{})
	acme := e.Tenant("Acme", "acme.test")
	e.Tenant("Beta", "beta.test")
	e.Accounts.DefaultAssistant = "convene@acme.test"
	ctx := context.Background()
	if got, _ := e.Accounts.AssistantAddress(ctx, acme.AccountID); got != "convene@acme.test" {
		t.Errorf("acme: %q, want CONVENE_ASSISTANT_ADDRESS in its verified domain", got)
	}
	if a, got, err := e.Accounts.AccountAndAssistant(ctx, acme.AccountID); err != nil || a.ID != acme.AccountID || got != "convene@acme.test" {
		t.Errorf("acme, with its account: %q %v, want CONVENE_ASSISTANT_ADDRESS in its verified domain", got, err)
	}
	if got, _ := e.Inbox.Route(ctx, "convene@acme.test"); got != acme.AccountID {
		t.Errorf("route convene@acme.test: %q", got)
	}
	// Beta did not verify acme.test: its assistant is at its own domain.
	if _, err := e.Inbox.Route(ctx, "assistant@beta.test"); err != nil {
		t.Errorf("beta: %v", err)
	}
}

func TestReceiveProcessAndDuplicate(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		e := inboxtest.New(t, engine, inboxtest.Options{})
		acme := e.Tenant("Acme", "acme.test")
		ann := e.AddUser(acme, "ann@acme.test", store.RoleMember)
		raw := inboxtest.Letter("Ann <ann@acme.test>", "acme.test", "req-1@acme.test", "Lunch")
		st := deliver(t, e, raw, "127.0.0.1", "ann@acme.test", "assistant@acme.test")
		if len(st) != 1 || st[0].Duplicate {
			t.Fatalf("stored %+v", st)
		}
		m := e.Wait(t, acme.AccountID, st[0].ID, store.InboxProcessed)
		if !m.Authenticated || m.SenderUserID != ann || !bytes.Equal(m.Raw, raw) || m.MessageID != "req-1@acme.test" || m.Subject != "Lunch" {
			t.Errorf("row: %+v", m)
		}
		calls := e.Recorder.Calls()
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		c := calls[0]
		if !c.Sender.MayCommand() || c.Sender.UserID != ann || c.Sender.Address != "ann@acme.test" || c.Msg.MessageID != "req-1@acme.test" ||
			c.Msg.Recipient != "assistant@acme.test" || c.Msg.RemoteIP != "127.0.0.1" || c.Msg.MailFrom != "ann@acme.test" {
			t.Errorf("call: %+v %+v", c.Sender, c.Msg)
		}
		// The same Message-ID again, with other bytes (another route):
		// recorded as a duplicate, no second job.
		again := deliver(t, e, append([]byte("Received: from elsewhere\r\n"), raw...), "127.0.0.1", "ann@acme.test", "assistant@acme.test")
		if len(again) != 1 || !again[0].Duplicate {
			t.Fatalf("second delivery: %+v", again)
		}
		dup, err := e.DB.InboxMessage(context.Background(), acme.AccountID, again[0].ID)
		if err != nil || dup.Status != store.InboxDuplicate || dup.DuplicateOf != st[0].ID || dup.Raw != nil {
			t.Fatalf("duplicate row: %+v %v", dup, err)
		}
		// A later message is processed after the duplicate's would have
		// been: still one call for req-1.
		st2 := deliver(t, e, inboxtest.Letter("ann@acme.test", "acme.test", "req-2@acme.test", "Dinner"), "127.0.0.1", "ann@acme.test", "assistant@acme.test")
		e.Wait(t, acme.AccountID, st2[0].ID, store.InboxProcessed)
		n := 0
		for _, c := range e.Recorder.Calls() {
			if c.Msg.MessageID == "req-1@acme.test" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("req-1 processed %d times", n)
		}
	})
}

func TestWhoMayCommand(t *testing.T) {
	e := inboxtest.New(t, "sqlite", inboxtest.Options{})
	acme := e.Tenant("Acme", "acme.test")
	beta := e.Tenant("Beta", "beta.test")
	e.AddUser(beta, "bob@beta.test", store.RoleMember)
	e.DNS.SetTXT("partner.example", "v=spf1 ip4:127.0.0.1 -all")
	key := mailtest.NewKey(t)
	e.DNS.SetTXT("k1._domainkey.acme.test", key.Record)

	signed := mailtest.Sign(t, inboxtest.Letter("owner@acme.test", "acme.test", "signed@acme.test", "Signed"), "acme.test", "k1", key)
	altered := bytes.Replace(bytes.Replace(signed, []byte("Tuesday"), []byte("Friday!"), 1), []byte("signed@"), []byte("altered@"), 1)
	cases := []struct {
		name, from, msgID string
		raw               []byte
		ip, mailFrom      string
		status            string
		userID            string
		called            bool
	}{
		{name: "a user of the account, SPF", from: "owner@acme.test", ip: "127.0.0.1", mailFrom: "owner@acme.test", status: store.InboxProcessed, userID: acme.OwnerID, called: true},
		{name: "a user of the account, DKIM", raw: signed, ip: "192.0.2.7", mailFrom: "owner@acme.test", status: store.InboxProcessed, userID: acme.OwnerID, called: true},
		{name: "spoofed: SPF fails, no signature", from: "owner@acme.test", ip: "192.0.2.7", mailFrom: "owner@acme.test", status: store.InboxRejected},
		{name: "spoofed: a signature over an altered body", raw: altered, ip: "192.0.2.7", mailFrom: "owner@acme.test", status: store.InboxRejected},
		{name: "a user of another account", from: "bob@beta.test", ip: "127.0.0.1", mailFrom: "bob@beta.test", status: store.InboxProcessed, called: true},
		{name: "a non-user", from: "carol@partner.example", ip: "127.0.0.1", mailFrom: "carol@partner.example", status: store.InboxProcessed, called: true},
		{name: "a non-user spoofed", from: "carol@partner.example", ip: "192.0.2.7", mailFrom: "carol@partner.example", status: store.InboxRejected},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.Recorder.Calls())
			raw := tc.raw
			if raw == nil {
				raw = inboxtest.Letter(tc.from, "acme.test", "case-"+string(rune('a'+i))+"@x.test", tc.name)
			}
			st := deliver(t, e, raw, tc.ip, tc.mailFrom, "assistant@acme.test")
			m := e.Wait(t, acme.AccountID, st[0].ID, store.InboxProcessed, store.InboxRejected, store.InboxUnprocessed)
			if m.Status != tc.status || m.SenderUserID != tc.userID || m.Authenticated != (tc.status != store.InboxRejected) || m.Reason == "" {
				t.Errorf("status %s user %q authenticated %v reason %q; want %s %q", m.Status, m.SenderUserID, m.Authenticated, m.Reason, tc.status, tc.userID)
			}
			calls := e.Recorder.Calls()
			if got := len(calls) > before; got != tc.called {
				t.Fatalf("processor called: %v, want %v (%s)", got, tc.called, m.Reason)
			}
			if tc.called {
				s := calls[len(calls)-1].Sender
				if s.MayCommand() != (tc.userID != "") || !s.Authenticated || s.UserID != tc.userID {
					t.Errorf("sender %+v", s)
				}
			}
		})
	}
	// Every message is visible to the admins, with its verdict.
	owner := account.Principal{AccountID: acme.AccountID, UserID: acme.OwnerID, Role: store.RoleOwner}
	ms, err := e.Inbox.Messages(context.Background(), owner, 0)
	if err != nil || len(ms) != len(cases) {
		t.Fatalf("listed %d messages: %v", len(ms), err)
	}
	member := account.Principal{AccountID: acme.AccountID, UserID: "x", Role: store.RoleMember}
	if _, err := e.Inbox.Messages(context.Background(), member, 0); failure.KindOf(err) != failure.Forbidden {
		t.Errorf("a member listed the inbox: %v", err)
	}
}

// TestStoreFailure: when the job cannot be stored with the message, the
// transaction leaves nothing behind and Receive fails, so the SMTP answer
// is temporary.
func TestStoreFailure(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) { storeFailure(t, engine) })
}

func storeFailure(t *testing.T, engine string) {
	e := inboxtest.New(t, engine, inboxtest.Options{})
	acme := e.Tenant("Acme", "acme.test")
	broken := *e.Inbox
	broken.Jobs = jobs.New(e.DB, jobs.Options{}) // never started: Enqueue fails
	_, err := broken.Receive(context.Background(), inbox.Delivery{
		Envelope: inbox.Envelope{Source: inbox.SourceSMTP, RemoteIP: "127.0.0.1", Recipients: []inbox.Recipient{{Address: "assistant@acme.test", AccountID: acme.AccountID}}},
		Raw:      inboxtest.Letter("owner@acme.test", "acme.test", "x@acme.test", "x"),
	})
	if err == nil {
		t.Fatal("Receive succeeded without its job")
	}
	if ms := e.Messages(acme.AccountID); len(ms) != 0 {
		t.Errorf("a message was stored without its job: %+v", ms)
	}
	// The other way round: the second account's row fails (no such
	// account) after the first's job was queued; neither stays.
	_, err = e.Inbox.Receive(context.Background(), inbox.Delivery{
		Envelope: inbox.Envelope{Source: inbox.SourceSMTP, RemoteIP: "127.0.0.1", Recipients: []inbox.Recipient{
			{Address: "assistant@acme.test", AccountID: acme.AccountID}, {Address: "assistant@gone.test", AccountID: "acc_gone"}}},
		Raw: inboxtest.Letter("owner@acme.test", "acme.test", "y@acme.test", "y"),
	})
	if err == nil {
		t.Fatal("Receive succeeded for an account that does not exist")
	}
	var jobs int
	if err := e.DB.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'inbox.process'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if ms := e.Messages(acme.AccountID); len(ms) != 0 || jobs != 0 {
		t.Errorf("left behind: %d messages, %d jobs", len(ms), jobs)
	}
}

func TestRetention(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		e := inboxtest.New(t, engine, inboxtest.Options{Unprocessed: true})
		e.Inbox.Retention = 30 * 24 * time.Hour
		acme := e.Tenant("Acme", "acme.test")
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		e.Clock.Set(t0)
		raw := inboxtest.Letter("owner@acme.test", "acme.test", "old@acme.test", "Old")
		st := deliver(t, e, raw, "127.0.0.1", "owner@acme.test", "assistant@acme.test")
		m := e.Wait(t, acme.AccountID, st[0].ID, store.InboxUnprocessed)
		if !strings.Contains(m.Reason, "no assistant") {
			t.Errorf("reason %q", m.Reason)
		}
		owner := account.Principal{AccountID: acme.AccountID, UserID: acme.OwnerID, Role: store.RoleOwner}
		ctx := context.Background()
		e.Clock.Set(t0.Add(29 * 24 * time.Hour))
		if n, err := e.Inbox.Purge(ctx); n != 0 || err != nil {
			t.Fatalf("purged %d before the retention period: %v", n, err)
		}
		if got, err := e.Inbox.Raw(ctx, owner, st[0].ID); err != nil || !bytes.Equal(got.Raw, raw) {
			t.Fatalf("raw before the purge: %v", err)
		}
		e.Clock.Set(t0.Add(30*24*time.Hour + time.Minute))
		if n, err := e.Inbox.Purge(ctx); n != 1 || err != nil {
			t.Fatalf("purged %d after the retention period: %v", n, err)
		}
		kept, err := e.DB.InboxMessage(ctx, acme.AccountID, st[0].ID)
		if err != nil || kept.Raw != nil || kept.Purged.IsZero() || kept.MessageID != "old@acme.test" || kept.Status != store.InboxUnprocessed || len(kept.Verdict) == 0 {
			t.Fatalf("after the purge: %+v %v", kept, err)
		}
		if _, err := e.Inbox.Raw(ctx, owner, st[0].ID); failure.KindOf(err) != failure.NotFound || !strings.Contains(err.Error(), "purged") {
			t.Errorf("raw of a purged message: %v", err)
		}
		// A late copy is still known.
		again := deliver(t, e, raw, "127.0.0.1", "owner@acme.test", "assistant@acme.test")
		if !again[0].Duplicate {
			t.Error("a copy after the purge was not recognised")
		}
		if n, _ := e.Inbox.Purge(ctx); n != 0 {
			t.Errorf("purged %d again", n)
		}
	})
}

func TestLegacyCharsets(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		e := inboxtest.New(t, engine, inboxtest.Options{})
		acme := e.Tenant("Acme", "acme.test")
		raw := []byte("From: =?ISO-8859-1?Q?Andr=E9?= <owner@acme.test>\r\nTo: assistant@acme.test\r\n" +
			"Subject: =?ISO-8859-1?Q?R=E9union_=E0_10h?=\r\nMessage-ID: <latin1@acme.test>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			"R\xe9union jeudi \xe0 10h, caf\xe9 compris.\r\n")
		st := deliver(t, e, raw, "127.0.0.1", "owner@acme.test", "assistant@acme.test")
		m := e.Wait(t, acme.AccountID, st[0].ID, store.InboxProcessed)
		if m.Subject != "Réunion à 10h" || m.HeaderFrom != "André <owner@acme.test>" || !bytes.Equal(m.Raw, raw) {
			t.Errorf("row subject %q from %q", m.Subject, m.HeaderFrom)
		}
		c := e.Recorder.Calls()[0]
		body, err := c.Msg.Text()
		if err != nil || body.Text != "Réunion jeudi à 10h, café compris.\r\n" || c.Msg.Subject != "Réunion à 10h" || c.Sender.Name != "André" {
			t.Errorf("text %q subject %q name %q: %v", body.Text, c.Msg.Subject, c.Sender.Name, err)
		}
		// Raw 8-bit bytes and a NUL in the header (no RFC 2047): kept as
		// bytes, shown as valid UTF-8 (PostgreSQL refuses anything else).
		raw8 := []byte("From: owner@acme.test\r\nSubject: R\xe9union\x00 \xff\r\nMessage-ID: <raw8@acme.test>\r\n\r\nx\r\n")
		st = deliver(t, e, raw8, "127.0.0.1", "owner@acme.test", "assistant@acme.test")
		m = e.Wait(t, acme.AccountID, st[0].ID, store.InboxProcessed)
		if !bytes.Equal(m.Raw, raw8) || !utf8.ValidString(m.Subject) || !strings.HasPrefix(m.Subject, "R") {
			t.Errorf("8-bit header: subject %q", m.Subject)
		}
	})
}
