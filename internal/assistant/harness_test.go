package assistant

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	stdmime "mime"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/message"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
	"github.com/convene/convene/internal/video/jitsi"
	"github.com/convene/convene/internal/video/zoom"
)

// start is the tests' "now": Monday 3 March 2031, 08:00 in Paris.
var start = time.Date(2031, 3, 3, 7, 0, 0, 0, time.UTC)

// env is the assistant over a real store (each engine), the booking core,
// the built-in calendars and a started job queue; Jitsi is installed and
// the account's default provider, so booked meetings get a video link
// without a network.
type env struct {
	t        *testing.T
	db       *store.DB
	clock    *clocktest.Clock
	accounts *account.Service
	apps     *apps.Service
	booking  *booking.Service
	cals     *calendar.Service
	queue    *jobs.Queue
	a        *Service
	acct     string
	org      *store.User // Max Member, the organizer
	claire   *store.User // a colleague
	n        int
	logs     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testLog struct{ t testing.TB }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// eachEngine runs f on SQLite and on PostgreSQL.
func eachEngine(t *testing.T, f func(t *testing.T, e *env)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { f(t, newEnv(t, engine)) })
	}
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	e := &env{t: t, db: storetest.Open(t, engine), clock: clocktest.New(start), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testLog{t}, e.logs), &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e.accounts = account.New(e.db, nil, "")
	// Jitsi, and Zoom never installed (nothing answers at its address).
	catalog, err := video.NewRegistry(
		zoom.App(zoom.Config{APIURL: "https://zoom.invalid/v2", OAuthURL: "https://zoom.invalid", ClientID: "sandbox-client",
			RedirectURL: "https://convene.example/oauth/zoom/callback"}),
		jitsi.App(jitsi.Config{BaseURL: "https://meet.example", Secret: key}))
	if err != nil {
		t.Fatal(err)
	}
	e.accounts.VideoApps = catalog
	e.apps = &apps.Service{Store: e.db, Accounts: e.accounts, Box: box, Log: log, Now: e.clock.Now, Registry: catalog}
	if err := jobs.Migrate(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	e.queue = jobs.New(e.db, jobs.Options{Log: log})
	e.cals = calendar.New(e.db, box, calendar.Options{Log: log, Now: e.clock.Now})
	e.booking = &booking.Service{Store: e.db, Accounts: e.accounts, Apps: e.apps, Jobs: e.queue, Box: box, Calendars: e.cals,
		Composer: booking.InviteComposer{Now: e.clock.Now}, BaseURL: "https://convene.example", Log: log, Now: e.clock.Now}
	e.booking.Register(e.queue)
	e.a = &Service{Store: e.db, Accounts: e.accounts, Booking: e.booking, Calendars: e.cals, Jobs: e.queue,
		BaseURL: "https://convene.example", LinkKey: key, GuestReminder: 24 * time.Hour, Log: log, Now: e.clock.Now}
	e.a.Register(e.queue)
	if err := e.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.queue.Stop(ctx)
	})

	e.acct = "acc_acme"
	now := start
	if err := e.db.CreateAccount(ctx, &store.Account{ID: e.acct, Name: "Acme", Language: "en", Created: now,
		Branding: []byte(`{"name":"Acme Corp","accent_color":"#aa3300","footer":"Acme Corp, 1 rue de la Paix"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateDomain(ctx, &store.Domain{AccountID: e.acct, Name: "acme.test", TXTValue: "x", Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.MarkDomainVerified(ctx, e.acct, "acme.test", now, store.VerifiedByDNS); err != nil {
		t.Fatal(err)
	}
	owner := e.addUser("owner@acme.test", "Olive Owner", store.RoleOwner)
	e.org = e.addUser("max@acme.test", "Max Member", store.RoleMember)
	e.claire = e.addUser("claire@acme.test", "Claire Dubois", store.RoleMember)
	op := principalOf(owner)
	if _, err := e.apps.PreApprove(ctx, op, "jitsi"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.apps.Install(ctx, op, "jitsi", []string{"acme.test"}); err != nil {
		t.Fatal(err)
	}
	prov := "jitsi"
	if _, err := e.accounts.UpdateAccount(ctx, op, account.AccountPatch{DefaultVideoProvider: &prov}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) addUser(email, name string, role store.Role) *store.User {
	e.t.Helper()
	u := &store.User{ID: "usr_" + strings.Split(email, "@")[0], AccountID: e.acct, Email: email, Name: name, Role: role,
		TimeZone: "Europe/Paris", DefaultDuration: 30, Created: start}
	if err := e.db.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// msg is a message to the assistant.
type msg struct {
	From, To, Cc, Subject, Body string
	ID                          string // Message-ID without brackets (default: a new one)
	InReplyTo, References       string
	Headers                     string // extra header lines
	Date                        time.Time
	// ContentType replaces text/plain.
	ContentType string
	// Unauthenticated: the inbox could not prove the sender (the
	// assistant never sees such mail; set to test that it refuses it
	// anyway).
	Unauthenticated bool
}

// deliver hands a message to the assistant as the inbox does, and returns
// it and Process's answer.
func (e *env) deliver(m msg) (*inbox.Message, error) {
	e.t.Helper()
	e.n++
	if m.ID == "" {
		m.ID = fmt.Sprintf("m%d.%d@client.test", e.n, e.clock.Now().UnixNano())
	}
	if m.Date.IsZero() {
		m.Date = e.clock.Now()
	}
	var h strings.Builder
	fmt.Fprintf(&h, "From: %s\r\n", m.From)
	if m.To != "" {
		fmt.Fprintf(&h, "To: %s\r\n", m.To)
	}
	if m.Cc != "" {
		fmt.Fprintf(&h, "Cc: %s\r\n", m.Cc)
	}
	fmt.Fprintf(&h, "Subject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", mime(m.Subject), m.Date.Format(time.RFC1123Z), m.ID)
	if m.InReplyTo != "" {
		fmt.Fprintf(&h, "In-Reply-To: %s\r\n", m.InReplyTo)
	}
	if m.References != "" {
		fmt.Fprintf(&h, "References: %s\r\n", m.References)
	}
	h.WriteString(m.Headers)
	if m.ContentType == "" {
		m.ContentType = "text/plain; charset=utf-8"
	}
	h.WriteString("MIME-Version: 1.0\r\nContent-Type: " + m.ContentType + "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	h.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	raw := []byte(h.String())
	return e.process(raw, m.Unauthenticated)
}

// mime encodes a subject with non-ASCII letters (RFC 2047).
func mime(s string) string {
	for _, r := range s {
		if r > 127 {
			return stdmime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

var inboxSeq int

// process hands raw bytes to the assistant.
func (e *env) process(raw []byte, unauthenticated bool) (*inbox.Message, error) {
	e.t.Helper()
	hdr, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		e.t.Fatal(err)
	}
	mh := mail.Header{Header: gomessage.Header{Header: hdr}}
	from, _ := mh.AddressList("From")
	inboxSeq++
	im := &inbox.Message{ID: fmt.Sprintf("in_%d_%d", inboxSeq, time.Now().UnixNano()), AccountID: e.acct, Recipient: "assistant@acme.test",
		Source: inbox.SourceSMTP, Received: e.clock.Now(), Raw: raw, Header: mh}
	if len(from) > 0 {
		im.From = from[0]
	}
	return im, e.processAgain(im, unauthenticated)
}

// processAgain hands a message to the assistant (again, for redelivery
// tests).
func (e *env) processAgain(im *inbox.Message, unauthenticated bool) error {
	snd := inbox.Sender{Authenticated: !unauthenticated, Reason: "test"}
	if im.From != nil {
		snd.Address, snd.Name = strings.ToLower(im.From.Address), im.From.Name
	}
	if u, err := e.db.UserByEmail(context.Background(), e.acct, snd.Address); err == nil && snd.Authenticated {
		snd.UserID = u.ID
	}
	return e.a.Process(context.Background(), im, snd)
}

// mails lists the outbox, oldest first.
func (e *env) mails() []store.Mail {
	e.t.Helper()
	ms, err := e.db.Mails(context.Background(), e.acct, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

// mailsTo lists the outbox's mail to addr of kind ("" any), oldest first.
func (e *env) mailsTo(addr, kind string) []store.Mail {
	var out []store.Mail
	for _, m := range e.mails() {
		if len(m.Recipients) == 1 && m.Recipients[0] == addr && (kind == "" || m.Kind == kind) {
			out = append(out, m)
		}
	}
	return out
}

// waitMail waits for n mails to addr of kind and returns them.
func (e *env) waitMail(addr, kind string, n int) []store.Mail {
	e.t.Helper()
	var got []store.Mail
	e.waitFor(fmt.Sprintf("%d %s mail to %s", n, kind, addr), func() bool {
		got = e.mailsTo(addr, kind)
		return len(got) >= n
	})
	return got
}

// waitFor polls cond until it holds (30 s at most).
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitIdle waits until no job is pending.
func (e *env) waitIdle() {
	e.t.Helper()
	e.waitFor("jobs idle", func() bool {
		var n int
		err := e.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')
			AND kind <> 'assistant.remind'`).Scan(&n)
		return err == nil && n == 0
	})
}

// text returns a mail's plain text part, decoded.
func text(t *testing.T, m store.Mail) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no text part in %s: %v", m.Subject, err)
		}
		if ih, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := ih.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

// header returns a header field of a mail.
func header(t *testing.T, m store.Mail, name string) string {
	t.Helper()
	hdr, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	return hdr.Get(name)
}

// linkRE is an option's link (below its time, indented); allRE the
// guest's link to every option, alone on its line after them.
var (
	linkRE = regexp.MustCompile(`(?m)^   https://convene\.example/choose/([A-Za-z0-9_-]+)\r?$`)
	allRE  = regexp.MustCompile(`(?m)^https://convene\.example/choose/([A-Za-z0-9_-]+)\r?$`)
)

// links returns the choice tokens of a mail's options, in order.
func links(t *testing.T, m store.Mail) []string {
	t.Helper()
	var out []string
	for _, s := range linkRE.FindAllStringSubmatch(text(t, m), -1) {
		out = append(out, s[1])
	}
	return out
}

// allLink returns the token of a mail's link to every option.
func allLink(t *testing.T, m store.Mail) string {
	t.Helper()
	s := allRE.FindStringSubmatch(text(t, m))
	if s == nil {
		t.Fatalf("no link to every option in\n%s", text(t, m))
	}
	return s[1]
}

// thread returns the only thread of the account, decoded.
func (e *env) thread() (*store.Thread, *threadData) {
	e.t.Helper()
	var id string
	if err := e.db.SQL().QueryRow(`SELECT id FROM assistant_threads WHERE account_id = $1 ORDER BY created_ms DESC LIMIT 1`, e.acct).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	th, err := e.db.Thread(context.Background(), e.acct, id)
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := decodeData(th)
	if err != nil {
		e.t.Fatal(err)
	}
	return th, d
}

// meeting returns the meeting of the latest thread.
func (e *env) meeting() *store.Meeting {
	e.t.Helper()
	th, _ := e.thread()
	m, err := e.db.Meeting(context.Background(), e.acct, th.MeetingID)
	if err != nil {
		e.t.Fatalf("meeting of %s: %v", th.ID, err)
	}
	return m
}

// step returns the record of a step.
func (e *env) step(id string) *store.Step {
	e.t.Helper()
	st, err := e.db.Step(context.Background(), e.acct, id)
	if err != nil {
		e.t.Fatalf("step %s: %v", id, err)
	}
	return st
}

// notProcessed reports whether err is the inbox's "not processed".
func notProcessed(err error) bool { return errors.Is(err, inbox.ErrNotProcessed) }

// replyTo makes the threading headers of a reply to m.
func replyTo(t *testing.T, m store.Mail) (inReplyTo, refs string) {
	refs = header(t, m, "References")
	return m.MessageID, strings.TrimSpace(refs + " " + m.MessageID)
}

// frDays are the French weekday names, for guests' answers.
var frDays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// paris is the organizer's zone.
var paris, _ = time.LoadLocation("Europe/Paris")

// rows counts a table's rows of the account.
func (e *env) rows(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.SQL().QueryRow(`SELECT count(*) FROM `+table+` WHERE account_id = $1`, e.acct).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

var _ = message.AddressKey
