package account_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// mailbox records the account mail the service asks to send.
type mailbox struct {
	mu    sync.Mutex
	mails []account.AccountMail
	keys  map[string]bool
}

func (m *mailbox) SendAccountMail(_ context.Context, am account.AccountMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]bool{}
	}
	if m.keys[am.DedupeKey] { // the outbox keeps one mail per key
		return nil
	}
	m.keys[am.DedupeKey] = true
	m.mails = append(m.mails, am)
	return nil
}

func (m *mailbox) last(t *testing.T) account.AccountMail {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.mails) == 0 {
		t.Fatal("no mail sent")
	}
	return m.mails[len(m.mails)-1]
}

func (m *mailbox) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.mails) }

// noDNS is a resolver that finds no TXT record and counts its lookups.
type noDNS struct {
	mu      sync.Mutex
	lookups int
}

func (r *noDNS) LookupTXT(context.Context, string) ([]string, error) {
	r.mu.Lock()
	r.lookups++
	r.mu.Unlock()
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// fastParams keeps the tests quick; one test checks the defaults.
var fastParams = account.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type fixture struct {
	svc   *account.Service
	clock *clocktest.Clock
	mail  *mailbox
	dns   *noDNS
	owner *account.SetupResult
	admin account.Principal
}

const ownerPassword = "correct horse battery"

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{clock: clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), mail: &mailbox{}, dns: &noDNS{}}
	f.svc = account.New(db, f.dns, "")
	f.svc.Now = f.clock.Now
	f.svc.Web = account.WebOptions{
		IdleTimeout: time.Hour, MaxAge: 8 * time.Hour, ResetKey: []byte("0123456789abcdef0123456789abcdef"),
		ResetTTL: 30 * time.Minute, ResetURL: func(tok string) string { return "https://convene.test/reset/" + tok },
		Mailer: f.mail, PasswordParams: fastParams,
	}
	res, err := f.svc.Setup(context.Background(), account.SetupInput{Account: "Acme", AdminEmail: "ann@acme.test",
		AdminName: "Ann", TimeZone: "Europe/Paris", Password: ownerPassword}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Token != "" {
		t.Errorf("a setup with a password issued an API token")
	}
	f.owner = res
	f.admin = account.Principal{AccountID: res.Account.ID, UserID: res.User.ID, Email: res.User.Email, Role: store.RoleOwner}
	return f
}

// addMember verifies acme.test (sandbox rule) and adds a member without a
// password, as the API does.
func (f *fixture) addMember(t *testing.T, email string) *store.User {
	t.Helper()
	ctx := context.Background()
	f.svc.SandboxReservedNames = true
	defer func() { f.svc.SandboxReservedNames = false }()
	if _, err := f.svc.AddDomain(ctx, f.admin, "acme.test"); err != nil && failure.KindOf(err) != failure.Conflict {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyDomain(ctx, f.admin, "acme.test"); err != nil {
		t.Fatal(err)
	}
	u, _, err := f.svc.CreateUser(ctx, f.admin, account.NewUser{Email: email, Name: "Member"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantKind(t *testing.T, what string, err error, kind failure.Kind) {
	t.Helper()
	if err == nil || failure.KindOf(err) != kind {
		t.Fatalf("%s: %v, want a %s failure", what, err, kind)
	}
}

func TestIsReservedName(t *testing.T) {
	cases := map[string]bool{
		"acme.test": true, "a.b.acme.test": true, "acme.example": true, "x.invalid": true, "app.localhost": true,
		"example.com": true, "mail.example.com": true, "example.net": true, "a.example.org": true,
		"test": true, "example": true, "localhost": true, "invalid": true, "Acme.Example.": true,
		"acme.com": false, "notexample.com": false, "example.com.evil.org": false, "example.co": false,
		"test.com": false, "testing": false, "acme.tests": false, "myexample": false, "example.com.au": false,
		"acme.internal": false, "localhost.net": false,
	}
	for name, want := range cases {
		if got := account.IsReservedName(name); got != want {
			t.Errorf("IsReservedName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestReservedNamesVerifyOnlyOnTheSandbox: on the built-in sandbox a name
// reserved for testing is verified at once without a DNS lookup, and says
// so; any other name still needs DNS; without the sandbox, reserved names
// need DNS too.
func TestReservedNamesVerifyOnlyOnTheSandbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		for _, name := range []string{"acme.example", "corp.example.com", "acme.net"} {
			if _, err := f.svc.AddDomain(ctx, f.admin, name); err != nil {
				t.Fatal(err)
			}
		}
		// Not on the sandbox: DNS decides, and finds nothing.
		_, err := f.svc.VerifyDomain(ctx, f.admin, "acme.example")
		wantKind(t, "reserved name without the sandbox", err, failure.Invalid)
		if f.dns.lookups != 1 {
			t.Fatalf("DNS lookups: %d, want 1", f.dns.lookups)
		}

		f.svc.SandboxReservedNames = true
		for _, name := range []string{"acme.example", "corp.example.com"} {
			d, err := f.svc.VerifyDomain(ctx, f.admin, name)
			if err != nil || !d.Verified || d.VerifiedBy != store.VerifiedByReservedName {
				t.Fatalf("%s on the sandbox: %+v, %v", name, d, err)
			}
			stored, err := db.Domain(ctx, f.admin.AccountID, name)
			if err != nil || !stored.Verified || stored.VerifiedBy != store.VerifiedByReservedName {
				t.Fatalf("%s stored: %+v, %v", name, stored, err)
			}
		}
		if f.dns.lookups != 1 {
			t.Errorf("reserved names looked up in DNS on the sandbox: %d lookups", f.dns.lookups)
		}
		_, err = f.svc.VerifyDomain(ctx, f.admin, "acme.net")
		wantKind(t, "a real name on the sandbox", err, failure.Invalid)
		if f.dns.lookups != 2 {
			t.Errorf("acme.net was not looked up in DNS: %d lookups", f.dns.lookups)
		}
	})
}

func TestPasswordHash(t *testing.T) {
	enc, err := account.HashPassword("s3cret passphrase", account.DefaultPasswordParams, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q", enc)
	}
	h, err := account.ParsePasswordHash(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Matches("s3cret passphrase") || h.Matches("s3cret passphrasE") || h.Matches("") {
		t.Error("Matches")
	}
	again, _ := account.HashPassword("s3cret passphrase", account.DefaultPasswordParams, rand.Reader)
	if again == enc {
		t.Error("two hashes of one password are equal: no salt")
	}
	// Written by the reference implementation's CLI (Debian's argon2):
	// echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e
	ref := "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	h, err = account.ParsePasswordHash(ref)
	if err != nil || !h.Matches("password") {
		t.Errorf("reference vector: %v", err)
	}
	for _, bad := range []string{
		"", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", // 4 GiB
		"$argon2id$v=19$m=65536,t=1000,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=200$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFh",
		"$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	} {
		if _, err := account.ParsePasswordHash(bad); !errors.Is(err, account.ErrBadHash) {
			t.Errorf("ParsePasswordHash(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}

// FuzzParsePasswordHash: any input either fails or stays within the
// bounds that keep a check's cost bounded, and round-trips its key.
func FuzzParsePasswordHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := account.ParsePasswordHash(s)
		if err != nil {
			return
		}
		p := h.Params
		if p.Memory > 256*1024 || p.Time > 16 || p.Threads == 0 || p.Threads > 16 || p.Memory < 8*uint32(p.Threads) ||
			len(h.Salt) < 8 || len(h.Key) < 16 || len(h.Key) > 64 {
			t.Fatalf("out of bounds: %+v", p)
		}
	})
}

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)

		ws, secret, err := f.svc.SignIn(ctx, "Ann@ACME.test", ownerPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "cvs_") || len(secret) < 40 || ws.Principal.UserID != f.owner.User.ID || ws.Principal.SessionID == "" {
			t.Fatalf("session %+v %q", ws.Principal, secret)
		}
		if ws.Principal.SessionID != account.HashToken(secret) || strings.Contains(ws.Principal.SessionID, secret) {
			t.Error("the session is not stored by the hash of its secret")
		}
		if got, err := f.svc.Session(ctx, secret); err != nil || got.Principal.Email != "ann@acme.test" || got.Principal.Role != store.RoleOwner {
			t.Fatalf("Session: %+v, %v", got, err)
		}

		// Wrong password, unknown user, no password: one answer.
		for _, c := range []struct{ email, pw string }{
			{"ann@acme.test", "wrong password!"}, {"nobody@acme.test", ownerPassword}, {"not an address", "x"},
			{"ann@acme.test", ""}, {"ann@acme.test", strings.Repeat("x", 2000)},
		} {
			_, _, err := f.svc.SignIn(ctx, c.email, c.pw, "")
			wantKind(t, "sign in "+c.email, err, failure.Unauthenticated)
			if !strings.Contains(err.Error(), "wrong e-mail address or password") {
				t.Errorf("%s: %v", c.email, err)
			}
		}
		member := f.addMember(t, "max@acme.test")
		_, _, err = f.svc.SignIn(ctx, member.Email, "", "")
		wantKind(t, "user without a password", err, failure.Unauthenticated)

		// Rotation: signing in again ends the browser's previous session.
		_, second, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, secret)
		if err != nil {
			t.Fatal(err)
		}
		if second == secret {
			t.Fatal("the session secret was not rotated")
		}
		_, err = f.svc.Session(ctx, secret)
		wantKind(t, "the previous session after a new sign-in", err, failure.Unauthenticated)
		if _, err := f.svc.Session(ctx, second); err != nil {
			t.Fatal(err)
		}

		// Single sign-on matches existing users only.
		if ws, _, err := f.svc.SignInVerifiedEmail(ctx, "ANN@acme.test", ""); err != nil || ws.Principal.UserID != f.owner.User.ID {
			t.Fatalf("SSO of ann: %v", err)
		}
		_, _, err = f.svc.SignInVerifiedEmail(ctx, "stranger@acme.test", "")
		wantKind(t, "SSO of a stranger", err, failure.Forbidden)

		// Garbage secrets.
		for _, s := range []string{"", "cvs_", "cvs_unknown", "cvn_" + secret[4:], strings.Repeat("a", 500)} {
			_, err := f.svc.Session(ctx, s)
			wantKind(t, "session "+s, err, failure.Unauthenticated)
		}
	})
}

// TestSessionExpiry: a session ends after its idle timeout, and at its
// maximum age however much it is used (the clock is injected).
func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db) // idle 1 h, max age 8 h

		_, idle, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(59 * time.Minute)
		if _, err := f.svc.Session(ctx, idle); err != nil {
			t.Fatalf("59 min idle: %v", err)
		}
		f.clock.Advance(59 * time.Minute) // used at 59 min: still alive
		if _, err := f.svc.Session(ctx, idle); err != nil {
			t.Fatalf("used every 59 min: %v", err)
		}
		f.clock.Advance(time.Hour)
		_, err = f.svc.Session(ctx, idle)
		wantKind(t, "an hour idle", err, failure.Unauthenticated)
		if _, err := db.SessionByHash(ctx, account.HashToken(idle)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the expired session is still stored: %v", err)
		}

		_, busy, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 15; i++ { // used every 30 min for 7.5 h
			f.clock.Advance(30 * time.Minute)
			if _, err := f.svc.Session(ctx, busy); err != nil {
				t.Fatalf("after %v: %v", time.Duration(i+1)*30*time.Minute, err)
			}
		}
		f.clock.Advance(30 * time.Minute) // 8 h after sign-in
		_, err = f.svc.Session(ctx, busy)
		wantKind(t, "at the maximum age", err, failure.Unauthenticated)
	})
}

// TestDisabledUserSessions: disabling a user ends their sessions, and a
// session of a user disabled behind the service's back is refused too;
// a disabled user cannot sign in, even with the right password.
func TestDisabledUserSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		member := f.addMember(t, "max@acme.test")
		mp := account.Principal{AccountID: member.AccountID, UserID: member.ID, Role: member.Role}
		if err := f.svc.ChangePassword(ctx, mp, "", "max's own password"); err != nil {
			t.Fatal(err)
		}
		_, s1, err := f.svc.SignIn(ctx, "max@acme.test", "max's own password", "")
		if err != nil {
			t.Fatal(err)
		}
		disabled := true
		if _, err := f.svc.UpdateAccess(ctx, f.admin, "max@acme.test", account.AccessPatch{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.DeleteUserSessions(ctx, member.AccountID, member.ID, ""); n != 0 {
			t.Errorf("disabling left %d sessions", n)
		}
		_, err = f.svc.Session(ctx, s1)
		wantKind(t, "session of a disabled user", err, failure.Unauthenticated)
		_, _, err = f.svc.SignIn(ctx, "max@acme.test", "max's own password", "")
		wantKind(t, "sign-in of a disabled user", err, failure.Forbidden)
		_, _, err = f.svc.SignInVerifiedEmail(ctx, "max@acme.test", "")
		wantKind(t, "SSO of a disabled user", err, failure.Forbidden)
		err = f.svc.RequestPasswordReset(ctx, "max@acme.test")
		if err != nil || f.mail.count() != 0 {
			t.Errorf("reset of a disabled user: %v, %d mails", err, f.mail.count())
		}

		// Disabled in the store directly, sessions left behind: refused.
		enabled := false
		if _, err := f.svc.UpdateAccess(ctx, f.admin, "max@acme.test", account.AccessPatch{Disabled: &enabled}); err != nil {
			t.Fatal(err)
		}
		_, s2, err := f.svc.SignIn(ctx, "max@acme.test", "max's own password", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetUserAccess(ctx, member.AccountID, member.ID, store.RoleMember, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Session(ctx, s2)
		wantKind(t, "session of a user disabled in the store", err, failure.Unauthenticated)

		// Removed: password and sessions gone.
		if err := db.SetUserAccess(ctx, member.AccountID, member.ID, store.RoleMember, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.SignIn(ctx, "max@acme.test", "max's own password", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RemoveUser(ctx, f.admin, "max@acme.test"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.UserPassword(ctx, member.AccountID, member.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a removed user's password stays: %v", err)
		}
		if n, _ := db.DeleteUserSessions(ctx, member.AccountID, member.ID, ""); n != 0 {
			t.Errorf("removal left %d sessions", n)
		}
	})
}

func TestSignOutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		var secrets []string
		for i := 0; i < 3; i++ {
			_, s, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, s)
		}
		ws, err := f.svc.Session(ctx, secrets[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SignOut(ctx, secrets[2]); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.SignOutEverywhere(ctx, ws.Principal); err != nil || n != 2 {
			t.Fatalf("sign out everywhere: %d, %v; want 2", n, err)
		}
		for _, s := range secrets {
			_, err := f.svc.Session(ctx, s)
			wantKind(t, "after sign-out everywhere", err, failure.Unauthenticated)
		}
	})
}

// TestSessionsPerUserBounded: past MaxSessions, the oldest sessions end.
func TestSessionsPerUserBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.svc.Web.MaxSessions = 3
		var secrets []string
		for i := 0; i < 5; i++ {
			f.clock.Advance(time.Second)
			_, s, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, s)
		}
		for i, s := range secrets {
			_, err := f.svc.Session(ctx, s)
			if (err == nil) != (i >= 2) {
				t.Errorf("session %d: %v", i, err)
			}
		}
	})
}

func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		member := f.addMember(t, "max@acme.test")

		// Unknown addresses get the same answer and no mail.
		if err := f.svc.RequestPasswordReset(ctx, "nobody@acme.test"); err != nil || f.mail.count() != 0 {
			t.Fatalf("unknown address: %v, %d mails", err, f.mail.count())
		}
		wantKind(t, "a malformed address", f.svc.RequestPasswordReset(ctx, "not an address"), failure.Invalid)

		// A user created through the API sets their first password.
		if err := f.svc.RequestPasswordReset(ctx, "MAX@acme.test"); err != nil {
			t.Fatal(err)
		}
		m := f.mail.last(t)
		if m.Kind != account.MailPasswordReset || m.To.Email != "max@acme.test" || m.AccountID != member.AccountID ||
			!m.Expires.Equal(f.clock.Now().Add(30*time.Minute).Truncate(time.Second)) {
			t.Fatalf("mail %+v", m)
		}
		tok := strings.TrimPrefix(m.Link, "https://convene.test/reset/")
		// A second request within the quarter hour sends nothing more.
		if err := f.svc.RequestPasswordReset(ctx, "max@acme.test"); err != nil || f.mail.count() != 1 {
			t.Fatalf("second request: %v, %d mails", err, f.mail.count())
		}
		if u, err := f.svc.CheckResetToken(ctx, tok); err != nil || u.ID != member.ID {
			t.Fatalf("CheckResetToken: %v", err)
		}
		// Forged and cut links.
		for _, bad := range []string{tok[:len(tok)-2], tok + "x", strings.Replace(tok, member.ID, f.owner.User.ID, 1),
			"", "a.b.c.d", strings.Repeat("a", 300)} {
			_, err := f.svc.CheckResetToken(ctx, bad)
			if !errors.Is(err, account.ErrBadResetToken) {
				t.Errorf("token %q: %v", bad, err)
			}
		}
		wantKind(t, "a short new password", func() error { _, _, err := f.svc.ResetPassword(ctx, tok, "short", ""); return err }(), failure.Invalid)

		// An existing session of the user ends with the reset.
		if err := f.svc.ChangePassword(ctx, account.Principal{AccountID: member.AccountID, UserID: member.ID}, "", "first password of max"); err != nil {
			t.Fatal(err)
		}
		// The link was bound to "no password": setting one voided it.
		_, err := f.svc.CheckResetToken(ctx, tok)
		if !errors.Is(err, account.ErrBadResetToken) {
			t.Fatalf("a link sent before the password changed still works: %v", err)
		}
		f.clock.Advance(16 * time.Minute)
		if err := f.svc.RequestPasswordReset(ctx, "max@acme.test"); err != nil || f.mail.count() != 2 {
			t.Fatalf("request after a quarter hour: %v, %d mails", err, f.mail.count())
		}
		tok = strings.TrimPrefix(f.mail.last(t).Link, "https://convene.test/reset/")
		_, old, err := f.svc.SignIn(ctx, "max@acme.test", "first password of max", "")
		if err != nil {
			t.Fatal(err)
		}
		ws, fresh, err := f.svc.ResetPassword(ctx, tok, "a brand new password", "")
		if err != nil || ws.Principal.UserID != member.ID || ws.Session.Method != account.SignedInByReset {
			t.Fatalf("ResetPassword: %+v, %v", ws, err)
		}
		_, err = f.svc.Session(ctx, old)
		wantKind(t, "a session from before the reset", err, failure.Unauthenticated)
		if _, err := f.svc.Session(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		// Used once: the second use fails.
		_, _, err = f.svc.ResetPassword(ctx, tok, "yet another password", "")
		if !errors.Is(err, account.ErrBadResetToken) {
			t.Fatalf("second use of a reset link: %v", err)
		}
		if _, _, err := f.svc.SignIn(ctx, "max@acme.test", "a brand new password", ""); err != nil {
			t.Fatal(err)
		}

		// Expired.
		f.clock.Advance(16 * time.Minute)
		if err := f.svc.RequestPasswordReset(ctx, "max@acme.test"); err != nil {
			t.Fatal(err)
		}
		tok = strings.TrimPrefix(f.mail.last(t).Link, "https://convene.test/reset/")
		f.clock.Advance(30 * time.Minute)
		_, _, err = f.svc.ResetPassword(ctx, tok, "too late for this one", "")
		if !errors.Is(err, account.ErrBadResetToken) {
			t.Fatalf("an expired link: %v", err)
		}
	})
}

func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ws, keep, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.ChangePassword(ctx, ws.Principal, "not the password", "a new long password")
		wantKind(t, "wrong current password", err, failure.Invalid)
		err = f.svc.ChangePassword(ctx, ws.Principal, ownerPassword, "short")
		if !errors.Is(err, account.ErrPasswordTooShort) {
			t.Fatalf("short: %v", err)
		}
		if err := f.svc.ChangePassword(ctx, ws.Principal, ownerPassword, "a new long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Session(ctx, keep); err != nil {
			t.Errorf("the session that changed the password ended: %v", err)
		}
		_, err = f.svc.Session(ctx, other)
		wantKind(t, "another session after a password change", err, failure.Unauthenticated)
		_, _, err = f.svc.SignIn(ctx, "ann@acme.test", ownerPassword, "")
		wantKind(t, "the old password", err, failure.Unauthenticated)
	})
}

// TestDefaultParamsSignIn signs in once with the production costs.
func TestDefaultParamsSignIn(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	f := newFixture(t, db)
	f.svc.Web.PasswordParams = account.PasswordParams{}
	mp := account.Principal{AccountID: f.admin.AccountID, UserID: f.admin.UserID}
	if err := f.svc.ChangePassword(context.Background(), mp, ownerPassword, "the production-cost password"); err != nil {
		t.Fatal(err)
	}
	enc, _, err := db.UserPassword(context.Background(), mp.AccountID, mp.UserID)
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored %q, %v", enc, err)
	}
	start := time.Now()
	if _, _, err := f.svc.SignIn(context.Background(), "ann@acme.test", "the production-cost password", ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("sign-in with the default argon2id costs: %v", time.Since(start))
}
