package calendar

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// fixture is a calendar Service over a fresh store with one account.
type fixture struct {
	t     testing.TB
	db    *store.DB
	svc   *Service
	box   *seal.Box
	now   time.Time
	users map[string]*store.User
}

func newFixture(t testing.TB, engine string) *fixture {
	t.Helper()
	db := storetest.Open(t, engine)
	key := make([]byte, 32)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, box: box, now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), users: map[string]*store.User{}}
	f.svc = New(db, box, Options{Now: func() time.Time { return f.now }, AllowPrivate: true})
	ctx := context.Background()
	if err := db.CreateAccount(ctx, &store.Account{ID: "acc_1", Name: "Acme", Language: "en", Created: f.now}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAccount(ctx, &store.Account{ID: "acc_2", Name: "Beta", Language: "en", Created: f.now}); err != nil {
		t.Fatal(err)
	}
	return f
}

// user adds a user of acc_1 (acc_2 when the address is @beta.test).
func (f *fixture) user(email, tz string, role store.Role) *store.User {
	f.t.Helper()
	acc := "acc_1"
	if strings.HasSuffix(email, "@beta.test") {
		acc = "acc_2"
	}
	u := &store.User{ID: "usr_" + strings.NewReplacer("@", "_", ".", "_").Replace(email), AccountID: acc, Email: email,
		Name: email, Role: role, TimeZone: tz, WorkingHours: account.DefaultWorkingHours, DefaultDuration: 30, Created: f.now}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	f.users[email] = u
	return u
}

func principal(u *store.User) account.Principal {
	return account.Principal{AccountID: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role}
}

// ics wraps VEVENT (and VTIMEZONE) text into a VCALENDAR.
func ics(components ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for _, c := range components {
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(c), "\n", "\r\n"))
		b.WriteString("\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// vevent builds a VEVENT from property lines.
func vevent(uid string, lines ...string) string {
	return "BEGIN:VEVENT\nUID:" + uid + "\nDTSTAMP:20260101T000000Z\n" + strings.Join(lines, "\n") + "\nEND:VEVENT"
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// spans formats busy intervals as "start/end" in UTC, for comparisons.
func spans(b *availability.Busy) string {
	var parts []string
	for _, iv := range b.Intervals() {
		parts = append(parts, iv.Start.Format("01-02T15:04")+"/"+iv.End.Format("01-02T15:04"))
	}
	return fmt.Sprint(parts)
}
