package calendar

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

func TestAvailabilityAcrossZones(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.now = mustTime("2026-03-02T06:00:00Z") // a Monday
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	bob := f.user("bob@acme.test", "America/New_York", store.RoleMember)
	ctx := context.Background()
	// Ann is busy Monday 15:00-16:00 Paris (14:00Z); Bob has a weekly
	// meeting at 09:00 New York (14:00Z in winter, 13:00Z after March 8).
	if _, err := f.svc.Import(ctx, principal(ann), ann.Email, strings.NewReader(ics(
		vevent("a1", "DTSTART;TZID=Europe/Paris:20260302T150000", "DTEND;TZID=Europe/Paris:20260302T160000")))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Import(ctx, principal(bob), bob.Email, strings.NewReader(ics(
		vevent("b1", "DTSTART;TZID=America/New_York:20260302T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY")))); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Availability(ctx, principal(ann), AvailabilityRequest{Attendees: []string{ann.Email, bob.Email},
		Duration: 30 * time.Minute, From: f.now, To: f.now.Add(7 * 24 * time.Hour), Location: time.UTC, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	// Overlap of 09:00-17:00 Paris (08:00-16:00Z) and 09:00-17:00 New
	// York (14:00-22:00Z): 14:00-16:00Z, minus Bob's 14:00-15:00Z and
	// Ann's 14:00-15:00Z: 15:00-16:00Z on Monday.
	if len(res.Slots) != 5 || !res.Slots[0].Start.Equal(mustTime("2026-03-02T15:00:00Z")) ||
		!res.Slots[1].Start.Equal(mustTime("2026-03-02T15:15:00Z")) || !res.Slots[2].Start.Equal(mustTime("2026-03-02T15:30:00Z")) {
		t.Errorf("slots: %+v", res.Slots)
	}
	if res.TimeZone != "UTC" || len(res.Problems) != 0 {
		t.Errorf("answer: %+v", res)
	}
	// External addresses cannot be checked: refused by name.
	_, err = f.svc.Availability(ctx, principal(ann), AvailabilityRequest{Attendees: []string{ann.Email, "guest@example.org", "x@beta.test"},
		Duration: 30 * time.Minute, From: f.now, To: f.now.Add(24 * time.Hour)})
	fe, ok := failure.As(err)
	if !ok || fe.Kind != failure.Invalid || !strings.Contains(fe.Detail, "guest@example.org, x@beta.test are not a user") ||
		!strings.Contains(fe.Detail, "external") {
		t.Errorf("external attendees: %v", err)
	}
	for _, bad := range []AvailabilityRequest{
		{Attendees: nil, Duration: time.Hour, From: f.now, To: f.now.Add(time.Hour)},
		{Attendees: []string{ann.Email}, Duration: 0, From: f.now, To: f.now.Add(time.Hour)},
		{Attendees: []string{ann.Email}, Duration: time.Hour, From: f.now, To: f.now},
		{Attendees: []string{ann.Email}, Duration: time.Hour, From: f.now, To: f.now.Add(200 * 24 * time.Hour)},
		{Attendees: []string{"not an address"}, Duration: time.Hour, From: f.now, To: f.now.Add(time.Hour)},
	} {
		if _, err := f.svc.Availability(ctx, principal(ann), bad); failure.KindOf(err) != failure.Invalid {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestAvailabilityNeverOverlapsBusy: on random calendars (single and
// recurring events in four zones), no slot overlaps any attendee's busy
// time or leaves their working hours.
func TestAvailabilityNeverOverlapsBusy(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.now = mustTime("2026-03-20T00:00:00Z")
	ctx := context.Background()
	zones := []string{"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
	rng := rand.New(rand.NewPCG(7, 11))
	var users []*store.User
	for i, z := range zones {
		u := f.user(strings.ToLower(strings.Split(z, "/")[1])+"@acme.test", z, store.RoleMember)
		users = append(users, u)
		var evs []string
		for j := range 60 {
			start := f.now.Add(time.Duration(rng.IntN(21*24*4)) * 15 * time.Minute)
			dur := time.Duration(15*(1+rng.IntN(8))) * time.Minute
			uid := "e" + string(rune('a'+i)) + "-" + itoa(j)
			if j%10 == 0 {
				evs = append(evs, vevent(uid, "DTSTART;TZID="+z+":"+start.In(mustZone(z)).Format("20060102T150405"),
					"DURATION:PT"+itoa(int(dur.Minutes()))+"M", "RRULE:FREQ=WEEKLY;COUNT=4"))
			} else {
				evs = append(evs, vevent(uid, "DTSTART:"+start.Format("20060102T150405Z"), "DTEND:"+start.Add(dur).Format("20060102T150405Z")))
			}
		}
		if _, err := f.svc.Import(ctx, principal(u), u.Email, strings.NewReader(ics(evs...))); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for trial := range 8 {
		a, b := users[trial%4], users[(trial+1+trial/4)%4]
		res, err := f.svc.Availability(ctx, principal(a), AvailabilityRequest{Attendees: []string{a.Email, b.Email},
			Duration: time.Duration(15*(1+trial%4)) * time.Minute, From: f.now, To: f.now.Add(28 * 24 * time.Hour), Limit: 50,
			Ranking: availability.Ranking(trial % 2)})
		if err != nil {
			t.Fatal(err)
		}
		total += len(res.Slots)
		busy, _, _ := f.svc.Busy(ctx, "acc_1", []string{a.ID, b.ID}, f.now, f.now.Add(29*24*time.Hour))
		for _, sl := range res.Slots {
			for _, u := range []*store.User{a, b} {
				if busy[u.ID].Overlaps(availability.Interval{Start: sl.Start, End: sl.End}) {
					t.Errorf("slot %s-%s overlaps busy time of %s", sl.Start, sl.End, u.Email)
				}
				loc := mustZone(u.TimeZone)
				s, e := sl.Start.In(loc), sl.End.Add(-time.Second).In(loc)
				if s.Weekday() == time.Saturday || s.Weekday() == time.Sunday || s.Hour() < 9 || e.Hour() >= 17 || s.YearDay() != e.YearDay() {
					t.Errorf("slot %s-%s is outside the working hours of %s (%s)", sl.Start, sl.End, u.Email, s)
				}
			}
		}
	}
	if total < 50 {
		t.Errorf("only %d slots in all trials: the property is barely tested", total)
	}
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func itoa(n int) string { return strconv.Itoa(n) }
