package calendar

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
)

// withLimits returns a Service over f's store with other limits.
func (f *fixture) withLimits(l Limits) *Service {
	key := make([]byte, 32)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		f.t.Fatal(err)
	}
	return New(f.db, box, Options{Now: func() time.Time { return f.now }, AllowPrivate: true, Limits: l})
}

// denseEvents returns n events that repeat every five minutes for a
// minute (the densest Convene stores).
func denseEvents(n int) string {
	var evs []string
	for i := range n {
		evs = append(evs, vevent(fmt.Sprintf("five-%d", i), fmt.Sprintf("DTSTART:20260301T0000%02dZ", i%60), "DURATION:PT1M", "RRULE:FREQ=MINUTELY;INTERVAL=5"))
	}
	return ics(evs...)
}

// TestAvailabilityTooDense is issue 8 item 1: a member's calendar whose
// events fill a window with more instances than one request may expand
// makes GET /api/v1/availability fail with a clear Invalid failure (422)
// naming that member, instead of expanding them all.
func TestAvailabilityTooDense(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleAdmin)
	bob := f.user("bob@acme.test", "Europe/Paris", store.RoleMember)
	svc := f.withLimits(Limits{BusyInstances: 5000})
	res, err := svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(denseEvents(30)))
	if err != nil || res.Added != 30 {
		t.Fatalf("import: %+v %v", res, err)
	}
	// A week: 30 events × 2,016 instances.
	req := AvailabilityRequest{Attendees: []string{"bob@acme.test", "ann@acme.test"}, Duration: 30 * time.Minute,
		From: mustTime("2026-03-02T00:00:00Z"), To: mustTime("2026-03-09T00:00:00Z")}
	_, err = svc.Availability(context.Background(), principal(bob), req)
	fe, ok := failure.As(err)
	if !ok || fe.Kind != failure.Invalid || !errors.Is(err, ErrTooDense) || !errors.Is(err, recur.ErrBudget) {
		t.Fatalf("err %v, want an Invalid failure wrapping ErrTooDense", err)
	}
	if got := fe.Extra["dense_attendees"]; !slices.Equal(got.([]string), []string{"ann@acme.test"}) {
		t.Errorf("dense attendees %v", got)
	}
	if !strings.Contains(fe.Detail, "ann@acme.test") || !strings.Contains(fe.Detail, "shorter window") {
		t.Errorf("detail %q", fe.Detail)
	}
	// Half a day fits the budget: 30 × 144 instances.
	req.To = req.From.Add(12 * time.Hour)
	if _, err := svc.Availability(context.Background(), principal(bob), req); err != nil {
		t.Errorf("half a day: %v", err)
	}
}

// TestBusyCappedEventCountsBusy: past Limits.EventInstances in the
// window, the rest of an event's window counts as busy and the event is
// listed among the problems; a rule that gives up before reaching the
// window (here one stored by a CalDAV client, whose COUNT makes it walk
// from 2020) makes the whole window busy instead of free.
func TestBusyCappedEventCountsBusy(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	svc := f.withLimits(Limits{EventInstances: 100})
	ctx := context.Background()
	if _, err := svc.Import(ctx, principal(ann), ann.Email, strings.NewReader(denseEvents(1))); err != nil {
		t.Fatal(err)
	}
	from, to := mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-03T00:00:00Z")
	busy, problems, err := svc.Busy(ctx, ann.AccountID, []string{ann.ID}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	// 100 instances, 00:00 to 08:15, then busy from the 101st, 08:20.
	ivs := busy[ann.ID].Intervals()
	if len(ivs) != 101 || !ivs[99].Start.Equal(mustTime("2026-03-02T08:15:00Z")) ||
		!ivs[100].Start.Equal(mustTime("2026-03-02T08:20:00Z")) || !ivs[100].End.Equal(to) {
		t.Errorf("busy: %d intervals, %v", len(ivs), ivs[max(0, len(ivs)-2):])
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Problem, "more than 100 times") || !problems[0].BusyFrom.Equal(ivs[100].Start) {
		t.Errorf("problems %+v", problems)
	}

	bob := f.user("bob@acme.test", "UTC", store.RoleMember)
	cal, err := svc.Builtin(ctx, bob.AccountID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(ics(vevent("walker", "DTSTART:20200101T090000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY;BYHOUR=9;COUNT=1000000000")))
	if err := f.db.PutCalendarObject(ctx, &store.CalendarObject{AccountID: bob.AccountID, CalendarID: cal.ID, Name: "walker.ics",
		UID: "walker", Origin: store.OriginClient, ETag: etagOf(data), Data: data, Start: mustTime("2020-01-01T09:00:00Z"),
		End: farFuture, Busy: store.BusyExpand, Seq: 1, Modified: f.now}); err != nil {
		t.Fatal(err)
	}
	busy, problems, err = svc.Busy(ctx, bob.AccountID, []string{bob.ID}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if got := spans(busy[bob.ID]); got != "[03-02T00:00/03-03T00:00]" || len(problems) != 1 {
		t.Errorf("a rule capped before the window: busy %s, problems %+v", got, problems)
	}
}

// TestBusyStopsWithItsContext: once the request's context ends, the
// expansion stops and the query fails as Unavailable, wrapping the
// context's error.
func TestBusyStopsWithItsContext(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	if _, err := f.svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(denseEvents(5))); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	// The store still answers (its context is live); the expansion's
	// budget carries the request's.
	_, _, err := f.svc.BusyFor(context.Background(), BusyQuery{AccountID: ann.AccountID, UserIDs: []string{ann.ID},
		From: mustTime("2026-03-02T00:00:00Z"), To: mustTime("2026-03-09T00:00:00Z"), Budget: recur.NewBudget(gone, 0, 0)})
	if failure.KindOf(err) != failure.Unavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want Unavailable wrapping context.Canceled", err)
	}
}

// TestImportRefusesDenseEvents: an event with more than MaxDailyInstances
// instances in 24 hours is skipped with its reason (the import of issue 8
// item 1 held 2,000 of them); one every 5 minutes is kept; a CalDAV PUT of
// a dense event fails with ErrTooDenseEvent.
func TestImportRefusesDenseEvents(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	var rdates []string
	for i := range 300 {
		rdates = append(rdates, mustTime("2027-05-04T00:00:00Z").Add(time.Duration(i)*4*time.Minute).Format("20060102T150405Z"))
	}
	body := ics(
		vevent("every-7s", "DTSTART:20260101T000000Z", "DTEND:20260101T000001Z", "RRULE:FREQ=SECONDLY;INTERVAL=7"),
		vevent("every-4min-at-nine", "DTSTART:20260101T090000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY;INTERVAL=4;BYHOUR=9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,0,1,2,3,4"),
		vevent("rdates-later", "DTSTART:20260101T090000Z", "DURATION:PT1M", "RDATE:"+strings.Join(rdates, ",")),
		vevent("every-5min", "DTSTART:20260101T000000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY;INTERVAL=5"),
		vevent("standup", "DTSTART:20260302T090000Z", "DURATION:PT15M", "RRULE:FREQ=DAILY"),
	)
	res, err := f.svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.UID)
		if !strings.Contains(s.Reason, "repeats too often") || !strings.Contains(s.Reason, "288") {
			t.Errorf("reason for %s: %q", s.UID, s.Reason)
		}
	}
	if res.Added != 2 || !slices.Equal(skipped, []string{"every-7s", "every-4min-at-nine", "rdates-later"}) {
		t.Errorf("added %d, skipped %v", res.Added, skipped)
	}
	cal, err := decodeOne([]byte(ics(vevent("dense-put", "DTSTART:20260101T000000Z", "RRULE:FREQ=MINUTELY"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.PutClientObject(context.Background(), ann, "dense-put.ics", []byte("x"), cal, Conditions{}); !errors.Is(err, ErrTooDenseEvent) || !errors.Is(err, ErrInvalidObject) {
		t.Errorf("CalDAV PUT of a dense event: %v", err)
	}
}

// TestImportStepBudget: an import whose rules take more expansion work
// than Limits.ImportSteps fails with an Invalid failure, and stops there.
func TestImportStepBudget(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	svc := f.withLimits(Limits{ImportSteps: 300_000})
	var evs []string
	for i := range 100 {
		// No instance for 100,000 steps each.
		evs = append(evs, vevent(fmt.Sprintf("never-%d", i), "DTSTART:20260101T000000Z", "RRULE:FREQ=SECONDLY;BYSETPOS=2"))
	}
	_, err := svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(ics(evs...)))
	if fe, ok := failure.As(err); !ok || fe.Kind != failure.Invalid || !errors.Is(err, ErrTooDense) {
		t.Fatalf("err %v, want an Invalid failure wrapping ErrTooDense", err)
	}
	objs, err := f.db.CalendarObjects(context.Background(), ann.AccountID, mustBuiltin(t, svc, ann).ID, false)
	if err != nil || len(objs) != 0 {
		t.Errorf("%d objects stored, %v", len(objs), err)
	}
}

func mustBuiltin(t *testing.T, svc *Service, u *store.User) *store.Calendar {
	t.Helper()
	c, err := svc.Builtin(context.Background(), u.AccountID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestImportOutlookExport (issue 8 item 16): Outlook's export, byte order
// mark, Windows zone names and all, imports, and its meetings are busy at
// the instants tzdata gives.
func TestImportOutlookExport(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "Europe/Berlin", store.RoleMember)
	data, err := os.ReadFile("../recur/testdata/exports/outlook.ics")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(string(data)))
	if err != nil || res.Added != 4 || len(res.Skipped) != 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	busy, _, err := f.svc.Busy(context.Background(), ann.AccountID, []string{ann.ID}, mustTime("2026-03-09T00:00:00Z"), mustTime("2026-03-10T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if got := spans(busy[ann.ID]); got != "[03-09T09:00/03-09T09:30 03-09T13:00/03-09T13:30]" {
		t.Errorf("busy on March 9: %s", got)
	}
}

// TestAvailabilityPropertyDenseCalendars drives random imports through
// availability under a memory and time budget (issue 8, "done means"):
// random dense calendars (every few minutes to every few hours, with
// COUNT, UNTIL, limits, EXDATE and overrides), imported for up to three
// attendees, then availability over up to 92 days. Each query either
// answers or fails with ErrTooDense, its allocations stay under a bound
// set by the budget (not by the calendars or the window), and it returns
// within a deadline.
func TestAvailabilityPropertyDenseCalendars(t *testing.T) {
	f := newFixture(t, "sqlite")
	svc := f.withLimits(Limits{BusyInstances: 20_000, BusySteps: 2_000_000})
	rng := mrand.New(mrand.NewPCG(2026, 81))
	ctx := context.Background()
	var dense, answered int
	for i := range 12 {
		var people []string
		for j := range 1 + rng.IntN(3) {
			u := f.user(fmt.Sprintf("p%d-%d@acme.test", i, j), []string{"UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"}[rng.IntN(4)], store.RoleMember)
			people = append(people, u.Email)
			if _, err := svc.Import(ctx, principal(u), u.Email, strings.NewReader(randomCalendar(rng, 1+rng.IntN(60)))); err != nil {
				t.Fatalf("import: %v", err)
			}
		}
		from := mustTime("2026-03-02T00:00:00Z").Add(time.Duration(rng.IntN(60*24)) * time.Hour)
		to := from.Add(time.Duration(1+rng.IntN(92*24)) * time.Hour)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := svc.Availability(ctx, principal(f.users[people[0]]), AvailabilityRequest{Attendees: people,
			Duration: 30 * time.Minute, From: from, To: to, Limit: 10})
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		switch {
		case errors.Is(err, ErrTooDense):
			dense++
		case err != nil:
			t.Fatalf("query %d: %v", i, err)
		default:
			answered++
			if len(res.Slots) > 10 {
				t.Errorf("query %d: %d slots", i, len(res.Slots))
			}
		}
		// 20,000 instances of ~200 bytes, their intervals and the
		// store's rows: far under 64 MB (the unbounded expansion of
		// issue 8 took 11.9 GB).
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("query %d: %d MB allocated", i, alloc>>20)
		}
		if elapsed > 30*time.Second {
			t.Errorf("query %d took %v", i, elapsed)
		}
	}
	if dense == 0 || answered == 0 {
		t.Errorf("want both outcomes: %d too dense, %d answered", dense, answered)
	}
}

// randomCalendar returns n events of random density, at most one every 5
// minutes (denser ones are refused at import).
func randomCalendar(rng *mrand.Rand, n int) string {
	var evs []string
	for i := range n {
		start := time.Date(2025+rng.IntN(2), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 5*rng.IntN(12), 0, 0, time.UTC)
		rule := []string{
			fmt.Sprintf("FREQ=MINUTELY;INTERVAL=%d", 5+5*rng.IntN(12)),
			fmt.Sprintf("FREQ=HOURLY;INTERVAL=%d", 1+rng.IntN(6)),
			"FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10,11,14,15,16",
			"FREQ=DAILY;BYHOUR=8,12,17",
			fmt.Sprintf("FREQ=MINUTELY;INTERVAL=10;COUNT=%d", 1+rng.IntN(200_000)),
			"FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270101T000000Z",
		}[rng.IntN(6)]
		lines := []string{"DTSTART:" + start.Format("20060102T150405Z"), fmt.Sprintf("DURATION:PT%dM", 1+rng.IntN(4)), "RRULE:" + rule}
		if rng.IntN(4) == 0 {
			lines = append(lines, "EXDATE:"+start.Add(time.Duration(1+rng.IntN(100))*24*time.Hour).Format("20060102T150405Z"))
		}
		evs = append(evs, vevent(fmt.Sprintf("r%d-%x", i, rng.Uint64()), lines...))
	}
	return ics(evs...)
}
