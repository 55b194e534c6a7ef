// Package inboxtest builds a working inbox for tests: a fresh store, a
// started job queue, a DNS server the sender checks use, and accounts with
// verified domains, so that the front ends (SMTP, IMAP) are tested against
// the real core.
//
// It is imported only by tests.
package inboxtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// Env is an inbox over a real store.
type Env struct {
	T        testing.TB
	DB       *store.DB
	DNS      *dnstest.Server
	Accounts *account.Service
	Queue    *jobs.Queue
	Inbox    *inbox.Service
	Recorder *Recorder
	Clock    *clocktest.Clock
}

// Options tune New.
type Options struct {
	// Checker replaces the default sender checker (DNS of Env.DNS, no
	// trusted MTA).
	Checker func(dns *dnstest.Server) *mailauth.Checker
	// Unprocessed keeps the inbox's default processor instead of the
	// Recorder.
	Unprocessed bool
	// Log receives the logs (default: the test's log).
	Log io.Writer
}

// New returns an inbox on a fresh store of engine with its job queue
// started; everything stops when the test ends.
func New(t testing.TB, engine string, opts Options) *Env {
	t.Helper()
	e := &Env{T: t, DB: storetest.Open(t, engine), DNS: dnstest.Start(t), Recorder: &Recorder{}, Clock: &clocktest.Clock{}}
	w := opts.Log
	if w == nil {
		w = testLog{t}
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Accounts = account.New(e.DB, account.NewResolver(e.DNS.Addr), "")
	ctx := context.Background()
	if err := jobs.Migrate(ctx, e.DB); err != nil {
		t.Fatal(err)
	}
	e.Queue = jobs.New(e.DB, jobs.Options{Log: log})
	checker := &mailauth.Checker{Resolver: account.NewResolver(e.DNS.Addr)}
	if opts.Checker != nil {
		checker = opts.Checker(e.DNS)
	}
	e.Inbox = &inbox.Service{Store: e.DB, Accounts: e.Accounts, Jobs: e.Queue, Auth: checker, Log: log, Now: e.Clock.Now}
	if !opts.Unprocessed {
		e.Inbox.Processor = e.Recorder
	}
	e.Inbox.Register(e.Queue)
	if err := e.Queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Queue.Stop(ctx)
	})
	return e
}

// Tenant is an account with a verified domain and its owner.
type Tenant struct {
	AccountID string
	Domain    string
	OwnerID   string
	Owner     string // the owner's address
}

// Tenant creates an account named name that has verified domain and an
// owner owner@domain, and publishes SPF for the domain authorizing
// 127.0.0.1 (the tests' SMTP clients) and DMARC p=reject.
func (e *Env) Tenant(name, domain string) Tenant {
	e.T.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	id := "acc_" + strings.ReplaceAll(domain, ".", "_")
	if err := e.DB.CreateAccount(ctx, &store.Account{ID: id, Name: name, Language: "en", Created: now}); err != nil {
		e.T.Fatal(err)
	}
	if err := e.DB.CreateDomain(ctx, &store.Domain{AccountID: id, Name: domain, TXTValue: "x", Created: now}); err != nil {
		e.T.Fatal(err)
	}
	if err := e.DB.MarkDomainVerified(ctx, id, domain, now, store.VerifiedByDNS); err != nil {
		e.T.Fatal(err)
	}
	tn := Tenant{AccountID: id, Domain: domain}
	tn.OwnerID = e.AddUser(tn, "owner@"+domain, store.RoleOwner)
	tn.Owner = "owner@" + domain
	e.DNS.SetTXT(domain, "v=spf1 ip4:127.0.0.1 -all")
	e.DNS.SetTXT("_dmarc."+domain, "v=DMARC1; p=reject")
	return tn
}

// AddUser adds a user to the tenant's account and returns its ID.
func (e *Env) AddUser(tn Tenant, email string, role store.Role) string {
	e.T.Helper()
	id := "usr_" + strings.NewReplacer("@", "_", ".", "_").Replace(email)
	if err := e.DB.CreateUser(context.Background(), &store.User{ID: id, AccountID: tn.AccountID, Email: email, Name: email,
		Role: role, TimeZone: "UTC", WorkingHours: []byte("{}"), DefaultDuration: 30, Created: time.Now().UTC()}); err != nil {
		e.T.Fatal(err)
	}
	return id
}

// Wait waits until the message's status is one of statuses and returns it.
func (e *Env) Wait(t testing.TB, accountID, id string, statuses ...string) *store.InboxMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := e.DB.InboxMessage(context.Background(), accountID, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range statuses {
			if m.Status == s {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %s (%s), not %v, after 30 s", id, m.Status, m.Reason, statuses)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Messages lists an account's received messages, oldest first.
func (e *Env) Messages(accountID string) []store.InboxMessage {
	e.T.Helper()
	ms, err := e.DB.InboxMessages(context.Background(), accountID, 0)
	if err != nil {
		e.T.Fatal(err)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

// Call is one call of the Recorder.
type Call struct {
	Msg    *inbox.Message
	Sender inbox.Sender
}

// Recorder is a Processor that records what it is given.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
	// Err is returned by Process when set.
	Err error
}

// Process implements inbox.Processor.
func (r *Recorder) Process(_ context.Context, msg *inbox.Message, s inbox.Sender) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{Msg: msg, Sender: s})
	return r.Err
}

// Calls returns the calls so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Letter is a plain message from from to the assistant of domain.
func Letter(from, domain, messageID, subject string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: assistant@%s\r\nSubject: %s\r\nDate: Mon, 02 Mar 2026 09:00:00 +0100\r\n"+
		"Message-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCan we meet on Tuesday?\r\n",
		from, domain, subject, messageID))
}

type testLog struct{ t testing.TB }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
