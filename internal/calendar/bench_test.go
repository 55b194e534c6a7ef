package calendar

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// benchCalendar writes a realistic year for one user: n events, most of
// them single meetings of 30 to 90 minutes in working hours, one in
// twenty a weekly series (a third of those with a moved and a cancelled
// instance), a few all-day and declined events.
func benchCalendar(rng *rand.Rand, zone string, n int) string {
	loc, _ := time.LoadLocation(zone)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, loc)
	var evs []string
	for i := range n {
		day := start.AddDate(0, 0, rng.IntN(365))
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, 2)
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), 8+rng.IntN(9), 15*rng.IntN(4), 0, 0, loc)
		dur := time.Duration(30*(1+rng.IntN(3))) * time.Minute
		uid := fmt.Sprintf("ev-%d", i)
		local := func(t time.Time) string { return "TZID=" + zone + ":" + t.Format("20060102T150405") }
		switch {
		case i%20 == 0:
			evs = append(evs, vevent(uid, "DTSTART;"+local(at), "DURATION:PT"+fmt.Sprint(int(dur.Minutes()))+"M", "RRULE:FREQ=WEEKLY;COUNT=26",
				"SUMMARY:weekly "+uid))
			if i%60 == 0 {
				moved := at.AddDate(0, 0, 14)
				evs = append(evs, vevent(uid, "RECURRENCE-ID;"+local(moved), "DTSTART;"+local(moved.Add(2*time.Hour)), "DURATION:PT30M"),
					vevent(uid, "RECURRENCE-ID;"+local(at.AddDate(0, 0, 21)), "DTSTART;"+local(at.AddDate(0, 0, 21)), "DURATION:PT30M", "STATUS:CANCELLED"))
			}
		case i%50 == 1:
			evs = append(evs, vevent(uid, "DTSTART;VALUE=DATE:"+day.Format("20060102"), "SUMMARY:all day"))
		case i%25 == 2:
			evs = append(evs, vevent(uid, "DTSTART;"+local(at), "DURATION:PT1H", "ATTENDEE;PARTSTAT=DECLINED:mailto:someone@acme.test"))
		default:
			evs = append(evs, vevent(uid, "DTSTART;"+local(at), "DTEND;"+local(at.Add(dur)), "SUMMARY:meeting "+uid))
		}
	}
	return ics(evs...)
}

// BenchmarkBusy measures Busy over 8 weeks for 1 and 20 users, each with
// a year of 1,000 events, on SQLite (store query, expansion of the
// recurring events, merge).
func BenchmarkBusy(b *testing.B) {
	f := newFixture(b, "sqlite")
	ctx := context.Background()
	zones := []string{"Europe/Paris", "America/New_York", "Asia/Kolkata"}
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []string
	for i := range 20 {
		z := zones[i%3]
		u := f.user(fmt.Sprintf("u%02d@acme.test", i), z, store.RoleMember)
		res, err := f.svc.Import(ctx, principal(u), u.Email, strings.NewReader(benchCalendar(rng, z, 1000)))
		if err != nil || len(res.Skipped) != 0 {
			b.Fatal(err, res.Skipped)
		}
		ids = append(ids, u.ID)
	}
	from := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC)
	to := from.Add(8 * 7 * 24 * time.Hour)
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			intervals := 0
			for b.Loop() {
				busy, problems, err := f.svc.Busy(ctx, "acc_1", ids[:n], from, to)
				if err != nil || len(problems) != 0 {
					b.Fatal(err, problems)
				}
				intervals = 0
				for _, bz := range busy {
					intervals += bz.Len()
				}
			}
			b.ReportMetric(float64(intervals)/float64(n), "intervals/user")
		})
	}
}
