package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestBookingPageRules: a page is off until switched on; its slug is
// checked and unique on the server (also across accounts); lengths and
// days are bounded; a page of a disabled user is not found, exactly as
// one nobody has.
func TestBookingPageRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := account.New(db, &noDNS{}, "operator")
		svc.SandboxReservedNames = true
		svc.Now = func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
		a, err := svc.Setup(ctx, account.SetupInput{Account: "A", AdminEmail: "ann.lee@a.test", AdminName: "Ann"}, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := svc.Setup(ctx, account.SetupInput{Account: "B", AdminEmail: "bob@b.test", AdminName: "Bob"}, true)
		if err != nil {
			t.Fatal(err)
		}
		pa := account.Principal{AccountID: a.Account.ID, UserID: a.User.ID, Email: "ann.lee@a.test", Role: store.RoleOwner}
		pb := account.Principal{AccountID: b.Account.ID, UserID: b.User.ID, Email: "bob@b.test", Role: store.RoleOwner}

		// Never saved: off, a slug from the address, the default length.
		bp, err := svc.BookingPage(ctx, pa)
		if err != nil || bp.Enabled || bp.Slug != "ann-lee" || len(bp.Durations) != 1 || bp.Durations[0] != 30 || bp.Days != account.DefaultBookingDays {
			t.Fatalf("default page: %+v %v", bp, err)
		}
		if _, _, err := svc.PublicBookingPage(ctx, "ann-lee"); failure.KindOf(err) != failure.NotFound {
			t.Fatalf("a page never switched on: %v", err)
		}
		if _, err := svc.SetBookingPage(ctx, pa, account.BookingPageSettings{Slug: "ann-lee", Durations: []int{30, 15, 30}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.PublicBookingPage(ctx, "ann-lee"); failure.KindOf(err) != failure.NotFound {
			t.Fatalf("a page saved but off: %v", err)
		}
		bp, err = svc.SetBookingPage(ctx, pa, account.BookingPageSettings{Slug: "Ann-Lee", Enabled: true, Durations: []int{60, 15}, Days: 30})
		if err != nil || bp.Slug != "ann-lee" || len(bp.Durations) != 2 || bp.Durations[0] != 15 {
			t.Fatalf("switched on: %+v %v", bp, err)
		}
		got, owner, err := svc.PublicBookingPage(ctx, "ANN-LEE")
		if err != nil || owner.Email != "ann.lee@a.test" || got.Days != 30 {
			t.Fatalf("public page: %+v %+v %v", got, owner, err)
		}

		for _, c := range []struct {
			in    account.BookingPageSettings
			field string
		}{
			{account.BookingPageSettings{Slug: "ab"}, "slug"},
			{account.BookingPageSettings{Slug: "-ann"}, "slug"},
			{account.BookingPageSettings{Slug: "ann--lee"}, "slug"},
			{account.BookingPageSettings{Slug: "ann/lee"}, "slug"},
			{account.BookingPageSettings{Slug: "ann-lee", Days: 61}, "days"},
			{account.BookingPageSettings{Slug: "ann-lee", Durations: []int{4}}, "durations"},
			{account.BookingPageSettings{Slug: "ann-lee", Durations: []int{10, 20, 30, 40, 50, 60, 70}}, "durations"},
		} {
			_, err := svc.SetBookingPage(ctx, pa, c.in)
			fe, ok := failure.As(err)
			if !ok || fe.Kind != failure.Invalid || len(fe.Fields) == 0 || fe.Fields[0].Field != c.field {
				t.Errorf("%+v: %v, want a problem with %s", c.in, err, c.field)
			}
		}
		// Unique on the server: another account cannot take it.
		_, err = svc.SetBookingPage(ctx, pb, account.BookingPageSettings{Slug: "ann-lee", Enabled: true})
		if fe, ok := failure.As(err); !ok || fe.Kind != failure.Invalid || fe.Fields[0].Field != "slug" {
			t.Fatalf("a taken slug: %v", err)
		}
		if got, owner, err := svc.PublicBookingPage(ctx, "ann-lee"); err != nil || owner.ID != a.User.ID || got.AccountID != a.Account.ID {
			t.Fatalf("the page after another account's try: %+v %v", got, err)
		}

		// A disabled user's page is gone while they are.
		if err := db.SetUserAccess(ctx, a.Account.ID, a.User.ID, store.RoleOwner, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.PublicBookingPage(ctx, "ann-lee"); failure.KindOf(err) != failure.NotFound {
			t.Fatalf("a disabled user's page: %v", err)
		}
	})
}

// TestBookingPageIntro: a page's intro is plain text of at most 1,000
// characters (runes, not bytes) and 20 lines, without control characters
// but line breaks (a browser's CRLF counts as one); it is trimmed, and
// empty means none. A refused intro leaves the saved page as it was.
func TestBookingPageIntro(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := account.New(db, &noDNS{}, "operator")
		svc.SandboxReservedNames = true
		a, err := svc.Setup(ctx, account.SetupInput{Account: "A", AdminEmail: "ann@a.test", AdminName: "Ann"}, false)
		if err != nil {
			t.Fatal(err)
		}
		pa := account.Principal{AccountID: a.Account.ID, UserID: a.User.ID, Email: "ann@a.test", Role: store.RoleOwner}
		lines := func(n int) string { return strings.TrimSuffix(strings.Repeat("line\n", n), "\n") }
		for _, c := range []struct {
			name, in string
			want     string // saved; "!" when refused
		}{
			{"empty", "", ""},
			{"blank is empty", " \n\t \n", ""},
			{"trimmed", "  Bring your questions.\n\n", "Bring your questions."},
			{"inner line breaks kept", "What for.\n\nWhat to prepare.", "What for.\n\nWhat to prepare."},
			{"CRLF from a browser", "a\r\nb", "a\nb"},
			{"1,000 runes", strings.Repeat("é", 1000), strings.Repeat("é", 1000)},
			{"1,000 runes after trimming", " " + strings.Repeat("x", 1000) + "\n", strings.Repeat("x", 1000)},
			{"1,001 runes", strings.Repeat("é", 1001), "!"},
			{"20 lines", lines(20), lines(20)},
			{"21 lines", lines(21), "!"},
			{"21 lines of blanks inside", "a" + strings.Repeat("\n", 20) + "b", "!"},
			{"a NUL", "a\x00b", "!"},
			{"an escape", "a\x1b[31mb", "!"},
			{"a lone CR", "a\rb", "!"},
			{"a C1 control", "a\u0085b", "!"},
			{"a tab", "a\tb", "!"},
			{"invalid UTF-8", "a\xffb", "!"},
		} {
			t.Run(c.name, func(t *testing.T) {
				// A known intro first, so a refusal shows it is kept.
				if _, err := svc.SetBookingPage(ctx, pa, account.BookingPageSettings{Slug: "ann", Intro: "before"}); err != nil {
					t.Fatal(err)
				}
				bp, err := svc.SetBookingPage(ctx, pa, account.BookingPageSettings{Slug: "ann", Intro: c.in})
				if c.want == "!" {
					fe, ok := failure.As(err)
					if !ok || fe.Kind != failure.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != "intro" {
						t.Fatalf("%q: %v, want a problem with intro", c.in, err)
					}
					if got, err := svc.BookingPage(ctx, pa); err != nil || got.Intro != "before" {
						t.Fatalf("after a refused intro: %q %v", got.Intro, err)
					}
					return
				}
				if err != nil || bp.Intro != c.want {
					t.Fatalf("%q: %+v %v, want %q", c.in, bp, err, c.want)
				}
				if got, err := svc.BookingPage(ctx, pa); err != nil || got.Intro != c.want {
					t.Fatalf("%q read back: %q %v, want %q", c.in, got.Intro, err, c.want)
				}
			})
		}
	})
}

func TestSuggestSlug(t *testing.T) {
	for in, want := range map[string]string{"ann.lee@x.test": "ann-lee", "Bob_O'Neil+cal@x.test": "bob-o-neil-cal", "x@y": "x", "..a..@y": "a"} {
		if got := account.SuggestSlug(in); got != want {
			t.Errorf("SuggestSlug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUpdateMeChecksWorkingHours: working hours built by a caller (a web
// form) are checked like the API's JSON: ranges in order, not empty, and
// some working time in the week.
func TestUpdateMeChecksWorkingHours(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	svc := account.New(db, &noDNS{}, "")
	res, err := svc.Setup(ctx, account.SetupInput{Account: "A", AdminEmail: "ann@a.test", AdminName: "Ann"}, false)
	if err != nil {
		t.Fatal(err)
	}
	p := account.PrincipalOf(res.User)
	var empty, inverted, overlapping availability.WorkingHours
	inverted.Days[time.Monday] = []availability.ClockRange{{Start: 17 * 60, End: 9 * 60}}
	overlapping.Days[time.Monday] = []availability.ClockRange{{Start: 9 * 60, End: 13 * 60}, {Start: 12 * 60, End: 17 * 60}}
	for name, wh := range map[string]availability.WorkingHours{"empty": empty, "inverted": inverted, "overlapping": overlapping} {
		_, err := svc.UpdateMe(ctx, p, account.UserPatch{WorkingHours: &wh})
		if fe, ok := failure.As(err); !ok || fe.Kind != failure.Invalid || fe.Fields[0].Field != "working_hours" {
			t.Errorf("%s working hours: %v", name, err)
		}
	}
	var ok availability.WorkingHours
	ok.Days[time.Saturday] = []availability.ClockRange{{Start: 10 * 60, End: 12 * 60}}
	u, err := svc.UpdateMe(ctx, p, account.UserPatch{WorkingHours: &ok})
	if err != nil || string(u.WorkingHours) != `{"sat":[["10:00","12:00"]]}` {
		t.Fatalf("saturday mornings: %s %v", u.WorkingHours, err)
	}
}

// FuzzSuggestSlug: a suggested slug holds only what a slug may, with no
// hyphen at either end or twice in a row, and at most 40 characters.
func FuzzSuggestSlug(f *testing.F) {
	for _, s := range []string{"ann.lee@x.test", "Bob_O'Neil+cal@x.test", "..@y", "é@x", strings.Repeat("a-", 40) + "@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		s := account.SuggestSlug(email)
		if len(s) > 40 || strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-") || strings.Contains(s, "--") ||
			strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("SuggestSlug(%q) = %q", email, s)
		}
	})
}
