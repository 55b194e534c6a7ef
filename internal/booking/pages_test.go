package booking_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// The core of the web pages' flows: personal booking pages (a visitor's
// request, confirmed by mail), a guest's answer to a proposal, and "find
// a time". Each runs on both engines over the real services, without a
// video provider.

type noDNS struct{}

func (noDNS) LookupTXT(context.Context, string) ([]string, error) { return nil, nil }

type env struct {
	t     *testing.T
	db    *store.DB
	acc   *account.Service
	cals  *calendar.Service
	bk    *booking.Service
	clock *clocktest.Clock
	owner account.Principal // ann@acme.test, Europe/Paris, Mon–Fri 09:00–17:00
	bob   account.Principal // bob@acme.test, a member
}

// monday is 2026-03-02, 08:00 in Paris.
var monday = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	e := &env{t: t, db: storetest.Open(t, engine), clock: clocktest.New(monday)}
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	e.acc = account.New(e.db, noDNS{}, "operator")
	e.acc.SandboxReservedNames = true
	e.acc.Now = e.clock.Now
	key := make([]byte, 32)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e.cals = calendar.New(e.db, box, calendar.Options{Log: log, Now: e.clock.Now})
	if err := jobs.Migrate(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	q := jobs.New(e.db, jobs.Options{Log: log})
	e.bk = &booking.Service{Store: e.db, Accounts: e.acc, Jobs: q, Box: box, Calendars: e.cals,
		Composer: booking.InviteComposer{Now: e.clock.Now}, BaseURL: "https://convene.test", Log: log, Now: e.clock.Now}
	e.bk.Register(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	res, err := e.acc.Setup(ctx, account.SetupInput{Account: "Acme", AdminEmail: "ann@acme.test", AdminName: "Ann", TimeZone: "Europe/Paris"}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.owner = account.PrincipalOf(res.User)
	if _, err := e.acc.AddDomain(ctx, e.owner, "acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.VerifyDomain(ctx, e.owner, "acme.test"); err != nil {
		t.Fatal(err)
	}
	bob, _, err := e.acc.CreateUser(ctx, e.owner, account.NewUser{Email: "bob@acme.test", Name: "Bob", TimeZone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	e.bob = account.PrincipalOf(bob)
	return e
}

// enablePage switches ann's booking page on at /u/ann.
func (e *env) enablePage() {
	e.t.Helper()
	if _, err := e.acc.SetBookingPage(context.Background(), e.owner, account.BookingPageSettings{Slug: "ann", Enabled: true, Durations: []int{30, 60}, Days: 14}); err != nil {
		e.t.Fatal(err)
	}
}

var linkRe = regexp.MustCompile(`https://convene\.test/u/ann/confirm/([A-Za-z0-9_-]{43})`)

// pageMails returns the confirmation mails in the outbox, oldest first,
// with the token of each one's link.
func (e *env) pageMails() (tokens []string, mails []store.Mail) {
	e.t.Helper()
	ms, err := e.db.Mails(context.Background(), e.owner.AccountID, "", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Kind != booking.MailPageRequest {
			continue
		}
		ent, err := message.Read(strings.NewReader(string(ms[i].Raw)))
		if err != nil {
			e.t.Fatal(err)
		}
		body, _ := io.ReadAll(ent.Body)
		m := linkRe.FindStringSubmatch(string(body))
		if m == nil {
			e.t.Fatalf("no link in %s", body)
		}
		tokens = append(tokens, m[1])
		mails = append(mails, ms[i])
	}
	return tokens, mails
}

func (e *env) meetings(p account.Principal) []booking.View {
	e.t.Helper()
	vs, err := e.bk.List(context.Background(), p, monday, monday.AddDate(0, 1, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	return vs
}

// TestBookingPageRequestAndConfirm: the page offers free times in the
// owner's working hours; a request books nothing and mails a link; the
// link books once, with the visitor as guest; a second click shows the
// same meeting; the link of another page, a cut link and an expired link
// do not work.
func TestBookingPageRequestAndConfirm(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background()
			if _, err := e.bk.PageSlots(ctx, "ann", booking.PageQuery{}); failure.KindOf(err) != failure.NotFound {
				t.Fatalf("a page switched off: %v", err)
			}
			e.enablePage()
			ny, _ := time.LoadLocation("America/New_York")
			ps, err := e.bk.PageSlots(ctx, "ann", booking.PageQuery{Duration: 60, Location: ny})
			if err != nil {
				t.Fatal(err)
			}
			// Monday 09:00 in Paris (08:00 UTC) is the first start: now is
			// 08:00 Paris.
			if len(ps.Slots) != 48 || !ps.Slots[0].Start.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) ||
				ps.Slots[0].Start.Location().String() != "America/New_York" || ps.Later.IsZero() || ps.OwnerName != "Ann" {
				t.Fatalf("slots: %d, first %v, later %v", len(ps.Slots), ps.Slots[0].Start, ps.Later)
			}
			if ps.Slots[1].Start.Sub(ps.Slots[0].Start) != 30*time.Minute {
				t.Errorf("times every %v, want 30 minutes", ps.Slots[1].Start.Sub(ps.Slots[0].Start))
			}
			if _, err := e.bk.PageSlots(ctx, "ann", booking.PageQuery{Duration: 45}); failure.KindOf(err) != failure.Invalid {
				t.Errorf("a length the page does not offer: %v", err)
			}

			start := time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC) // Tuesday 14:00 Paris
			r, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "Vera Visitor", Email: "Vera@Example.org",
				Start: start, Duration: 30, TimeZone: "America/New_York", Language: "fr", Note: "About the offer"})
			if err != nil {
				t.Fatal(err)
			}
			if r.VisitorEmail != "vera@example.org" || len(e.meetings(e.owner)) != 0 {
				t.Fatalf("the request booked something, or kept the address as typed: %+v", r)
			}
			tokens, mails := e.pageMails()
			if len(tokens) != 1 || mails[0].Recipients[0] != "vera@example.org" || !strings.HasPrefix(mails[0].Subject, "Confirmez votre rendez-vous avec Ann") {
				t.Fatalf("mails: %v", mails)
			}
			if strings.Contains(string(mails[0].Raw), r.TokenHash) {
				t.Error("the mail carries the stored hash")
			}
			ent, err := message.Read(strings.NewReader(string(mails[0].Raw)))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(ent.Body)
			body := string(raw)
			if !strings.Contains(body, "mardi 3 mars 2026, 08:00 – 08:30 (heure de New York)") {
				t.Errorf("the mail does not say when in the visitor's zone and language:\n%s", body)
			}
			tok := tokens[0]
			// Wrong links: cut, made up, or ann's request on bob's page.
			if _, err := e.acc.SetBookingPage(ctx, e.bob, account.BookingPageSettings{Slug: "bob-page", Enabled: true}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []struct{ slug, tok string }{{"ann", tok[:40]}, {"ann", strings.Repeat("A", 43)}, {"bob-page", tok}} {
				if _, err := e.bk.PendingPageRequest(ctx, bad.slug, bad.tok); !errors.Is(err, booking.ErrPageLinkInvalid) {
					t.Errorf("pending %v: %v", bad, err)
				}
				if _, err := e.bk.ConfirmPageBooking(ctx, bad.slug, bad.tok); !errors.Is(err, booking.ErrPageLinkInvalid) {
					t.Errorf("link %v: %v", bad, err)
				}
			}
			pending, err := e.bk.PendingPageRequest(ctx, "ann", tok)
			if err != nil || pending.VisitorName != "Vera Visitor" || !pending.Start.Equal(start) || pending.MeetingID != "" {
				t.Fatalf("pending: %+v %v", pending, err)
			}
			done, err := e.bk.ConfirmPageBooking(ctx, "ann", tok)
			if err != nil || done.MeetingID == "" {
				t.Fatalf("confirm: %+v %v", done, err)
			}
			ms := e.meetings(e.owner)
			if len(ms) != 1 || ms[0].ID != done.MeetingID || ms[0].Status != store.MeetingBooked || ms[0].Subject != "Meeting with Vera Visitor" ||
				len(ms[0].Attendees) != 1 || ms[0].Attendees[0].Email != "vera@example.org" || ms[0].Description != "About the offer" {
				t.Fatalf("booked: %+v", ms)
			}
			again, err := e.bk.ConfirmPageBooking(ctx, "ann", tok)
			if err != nil || again.MeetingID != done.MeetingID || len(e.meetings(e.owner)) != 1 {
				t.Fatalf("second click: %+v %v, %d meetings", again, err, len(e.meetings(e.owner)))
			}

			// An expired link.
			if _, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "Vera Visitor", Email: "vera@example.org",
				Start: start.Add(2 * time.Hour), Duration: 30}); err != nil {
				t.Fatal(err)
			}
			tokens, _ = e.pageMails()
			second := tokens[0]
			if second == tok {
				second = tokens[1]
			}
			e.clock.Advance(booking.PageLinkTTL)
			if _, err := e.bk.ConfirmPageBooking(ctx, "ann", second); !errors.Is(err, booking.ErrPageLinkInvalid) {
				t.Fatalf("an expired link: %v", err)
			}
			if len(e.meetings(e.owner)) != 1 {
				t.Fatal("an expired link booked")
			}
		})
	}
}

// TestBookingPageSlotTaken: a time the owner booked meanwhile is no longer
// free: the confirmation books nothing and says so; a time outside the
// owner's working hours cannot be asked for at all.
func TestBookingPageSlotTaken(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background()
			e.enablePage()
			start := time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC)
			if _, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "Vera", Email: "vera@example.org", Start: start, Duration: 60}); err != nil {
				t.Fatal(err)
			}
			tokens, _ := e.pageMails()
			if _, err := e.bk.Create(ctx, e.owner, booking.Request{Subject: "Taken", StartTime: start.Add(30 * time.Minute).Format(time.RFC3339), Duration: 30}); err != nil {
				t.Fatal(err)
			}
			_, err := e.bk.ConfirmPageBooking(ctx, "ann", tokens[0])
			if !errors.Is(err, booking.ErrSlotTaken) || failure.KindOf(err) != failure.Conflict {
				t.Fatalf("confirming a taken time: %v", err)
			}
			if ms := e.meetings(e.owner); len(ms) != 1 || ms[0].Subject != "Taken" {
				t.Fatalf("meetings: %+v", ms)
			}
			// Busy meanwhile in a calendar (no meeting holds it): the
			// confirmation checks the owner's calendars again.
			later := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
			if _, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "Vera", Email: "vera@example.org", Start: later, Duration: 30}); err != nil {
				t.Fatal(err)
			}
			ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:dentist\r\nDTSTAMP:20260301T000000Z\r\n" +
				"DTSTART:20260304T084500Z\r\nDTEND:20260304T094500Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			if _, err := e.cals.Import(ctx, e.owner, "ann@acme.test", strings.NewReader(ics)); err != nil {
				t.Fatal(err)
			}
			tokens, _ = e.pageMails()
			var latest string
			for _, tk := range tokens {
				if p, err := e.bk.PendingPageRequest(ctx, "ann", tk); err == nil && p.Start.Equal(later) {
					latest = tk
				}
			}
			if _, err := e.bk.ConfirmPageBooking(ctx, "ann", latest); !errors.Is(err, booking.ErrSlotTaken) {
				t.Fatalf("confirming a time busy in the calendar: %v", err)
			}
			if ms := e.meetings(e.owner); len(ms) != 1 {
				t.Fatalf("%d meetings after confirming a busy time", len(ms))
			}
			// Outside working hours (Tuesday 07:00 Paris), or at a taken time.
			for _, at := range []time.Time{time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC), start.Add(30 * time.Minute)} {
				_, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "Vera", Email: "vera@example.org", Start: at, Duration: 30})
				if !errors.Is(err, booking.ErrSlotTaken) {
					t.Errorf("asking for %v: %v", at, err)
				}
			}
		})
	}
}

// TestBookingPageRequestRules: the fields are checked, and one address
// may have at most MaxOpenPageRequests requests waiting on a page.
func TestBookingPageRequestRules(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	e.enablePage()
	start := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in    booking.PageRequest
		field string
	}{
		{booking.PageRequest{Name: "", Email: "v@example.org", Start: start, Duration: 30}, "name"},
		{booking.PageRequest{Name: "V\r\nBcc: x@y", Email: "v@example.org", Start: start, Duration: 30}, "name"},
		{booking.PageRequest{Name: "V", Email: "not an address", Start: start, Duration: 30}, "email"},
		{booking.PageRequest{Name: "V", Email: "v@example.org", Start: start, Duration: 45}, "duration"},
		{booking.PageRequest{Name: "V", Email: "v@example.org", Start: monday.AddDate(0, 0, 15), Duration: 30}, "start"},
		{booking.PageRequest{Name: "V", Email: "v@example.org", Start: start, Duration: 30, Note: strings.Repeat("n", 501)}, "note"},
		{booking.PageRequest{Name: "V", Email: "ann@acme.test", Start: start, Duration: 30}, "email"},
	} {
		c.in.Slug = "ann"
		_, err := e.bk.RequestPageBooking(ctx, c.in)
		fe, ok := failure.As(err)
		if !ok || fe.Kind != failure.Invalid || len(fe.Fields) == 0 || fe.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want a problem with %s", c.in, err, c.field)
		}
	}
	for i := 0; i < booking.MaxOpenPageRequests; i++ {
		if _, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "V", Email: "v@example.org", Start: start.Add(time.Duration(i) * time.Hour), Duration: 30}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "V", Email: "V@example.org", Start: start.Add(5 * time.Hour), Duration: 30})
	if failure.KindOf(err) != failure.Conflict {
		t.Fatalf("a request past the open ones: %v", err)
	}
	if tokens, _ := e.pageMails(); len(tokens) != booking.MaxOpenPageRequests {
		t.Fatalf("%d mails, want %d", len(tokens), booking.MaxOpenPageRequests)
	}
	// Another address is not affected.
	if _, err := e.bk.RequestPageBooking(ctx, booking.PageRequest{Slug: "ann", Name: "W", Email: "w@example.org", Start: start, Duration: 30}); err != nil {
		t.Fatal(err)
	}
}

// propose makes ann propose a meeting to an external guest and bob.
func (e *env) propose() *booking.View {
	e.t.Helper()
	v, err := e.bk.Create(context.Background(), e.owner, booking.Request{Subject: "Offer", Duration: 30, TimeZone: "Europe/Paris",
		Window:    &booking.Window{From: "2026-03-03T09:00", To: "2026-03-06T17:00"},
		Attendees: []booking.AttendeeInput{{Email: "gus@guest.example", Name: "Gus"}, {Email: "bob@acme.test"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if v.Status != store.MeetingProposed || len(v.Options) != booking.Proposals {
		e.t.Fatalf("proposal: %+v", v)
	}
	return v
}

// TestGuestAnswers: a guest sees a proposal's options, picks one (the
// meeting is booked, a second click changes nothing, another time is
// refused), or says none works (the organizer gets the note); anyone not
// invited is told there is no such meeting.
func TestGuestAnswers(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background()
			v := e.propose()
			gus := booking.Guest{AccountID: e.owner.AccountID, MeetingID: v.ID, Email: "Gus@Guest.example"}
			gp, err := e.bk.GuestProposal(ctx, gus)
			if err != nil || gp.Subject != "Offer" || len(gp.Options) != booking.Proposals || gp.Organizer.Name != "Ann" || gp.GuestName != "Gus" {
				t.Fatalf("guest's view: %+v %v", gp, err)
			}
			for _, who := range []booking.Guest{
				{AccountID: e.owner.AccountID, MeetingID: v.ID, Email: "eve@guest.example"},
				{AccountID: "acc_other", MeetingID: v.ID, Email: "gus@guest.example"},
				{AccountID: e.owner.AccountID, MeetingID: "mtg_none", Email: "gus@guest.example"},
			} {
				if _, err := e.bk.GuestProposal(ctx, who); failure.KindOf(err) != failure.NotFound {
					t.Errorf("%+v sees the proposal: %v", who, err)
				}
				if _, err := e.bk.GuestChoose(ctx, who, gp.Options[0].Start); failure.KindOf(err) != failure.NotFound {
					t.Errorf("%+v picks: %v", who, err)
				}
			}
			if _, err := e.bk.GuestChoose(ctx, gus, gp.Options[0].Start.Add(time.Minute)); failure.KindOf(err) != failure.Invalid {
				t.Fatalf("a time not proposed: %v", err)
			}
			pick := gp.Options[1].Start
			got, err := e.bk.GuestChoose(ctx, gus, pick)
			if err != nil || got.Status != store.MeetingBooked || !got.Start.Equal(pick) || got.Response != "accepted" {
				t.Fatalf("pick: %+v %v", got, err)
			}
			if got, err := e.bk.GuestChoose(ctx, gus, pick); err != nil || !got.Start.Equal(pick) {
				t.Fatalf("the same pick again: %+v %v", got, err)
			}
			if _, err := e.bk.GuestChoose(ctx, gus, gp.Options[2].Start); failure.KindOf(err) != failure.Conflict {
				t.Fatalf("another pick after booking: %v", err)
			}
			if _, err := e.bk.GuestDecline(ctx, gus, "no"); failure.KindOf(err) != failure.Conflict {
				t.Fatalf("declining a booked meeting: %v", err)
			}

			// None works: the organizer is told, with the note.
			v2 := e.propose()
			gus2 := booking.Guest{AccountID: e.owner.AccountID, MeetingID: v2.ID, Email: "gus@guest.example"}
			if _, err := e.bk.GuestDecline(ctx, gus2, strings.Repeat("x", 1001)); failure.KindOf(err) != failure.Invalid {
				t.Fatalf("a long note: %v", err)
			}
			got, err = e.bk.GuestDecline(ctx, gus2, "I am away that week; the week after works.")
			if err != nil || got.Response != "declined" || got.Status != store.MeetingProposed {
				t.Fatalf("decline: %+v %v", got, err)
			}
			mail := e.waitMail(v2.ID, "notice")
			if mail.Recipients[0] != "ann@acme.test" || !strings.Contains(string(mail.Raw), "I am away that week; the week after works.") ||
				!strings.Contains(string(mail.Raw), "Gus <gus@guest.example> says none of the proposed times works.") {
				t.Fatalf("notice: %s", mail.Raw)
			}
		})
	}
}

// waitMail waits for the meeting's mail of a kind (the notice job runs in
// the background).
func (e *env) waitMail(meetingID, kind string) store.Mail {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := e.db.Mails(context.Background(), e.owner.AccountID, meetingID, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, m := range ms {
			if m.Kind == kind {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond) // polling the outbox for the job's mail
	}
	e.t.Fatalf("no %s mail for %s", kind, meetingID)
	return store.Mail{}
}

// TestFindTimes: the organizer's and internal attendees' calendars count;
// external guests make the answer a proposal's options.
func TestFindTimes(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	from, to := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	// Bob is busy Tuesday morning, in his calendar.
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:busy-1\r\nDTSTAMP:20260301T000000Z\r\n" +
		"DTSTART:20260303T080000Z\r\nDTEND:20260303T110000Z\r\nSUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if _, err := e.cals.Import(ctx, e.bob, "bob@acme.test", strings.NewReader(ics)); err != nil {
		t.Fatal(err)
	}
	res, err := e.bk.FindTimes(ctx, e.owner, booking.FindRequest{Attendees: []booking.AttendeeInput{{Email: "bob@acme.test"}}, Duration: 60, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if res.Proposal || len(res.External) != 0 || len(res.Internal) != 2 || len(res.Slots) != 10 ||
		!res.Slots[0].Start.Equal(time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("internal only: %+v", res)
	}
	res, err = e.bk.FindTimes(ctx, e.owner, booking.FindRequest{Attendees: []booking.AttendeeInput{{Email: "bob@acme.test"}, {Email: "gus@guest.example"}},
		Duration: 60, From: from, To: to})
	if err != nil || !res.Proposal || len(res.External) != 1 || len(res.Slots) != booking.Proposals {
		t.Fatalf("with a guest: %+v %v", res, err)
	}
	if _, err := e.bk.FindTimes(ctx, e.owner, booking.FindRequest{Attendees: []booking.AttendeeInput{{Email: "nope"}}, From: from, To: to}); failure.KindOf(err) != failure.Invalid {
		t.Fatalf("a bad address: %v", err)
	}
}
