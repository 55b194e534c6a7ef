package recur

import (
	"testing"
	"time"

	rrulego "github.com/teambition/rrule-go"
)

// benchCases are the rules of the comparison with teambition/rrule-go
// (DESIGN §7: "faster than teambition/rrule-go on the same rules, in one
// benchmark run"). Each expands the instances in [from, to).
var benchCases = []struct {
	name     string
	rule     string
	zone     string
	dtstart  time.Time // wall clock, read in zone
	from, to time.Time // wall clock, read in zone
}{
	{"daily-1y", "FREQ=DAILY", "Europe/Paris", wall(2026, 1, 5, 9, 0), wall(2026, 1, 5, 0, 0), wall(2027, 1, 5, 0, 0)},
	{"weekly-byday-1y", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "America/New_York", wall(2026, 1, 5, 9, 30), wall(2026, 1, 5, 0, 0), wall(2027, 1, 5, 0, 0)},
	{"monthly-last-weekday-10y", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "Asia/Kolkata", wall(2026, 1, 30, 17, 0), wall(2026, 1, 1, 0, 0), wall(2036, 1, 1, 0, 0)},
	{"yearly-byweekno-50y", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "UTC", wall(2026, 5, 11, 8, 0), wall(2026, 1, 1, 0, 0), wall(2076, 1, 1, 0, 0)},
	{"hourly-across-dst-1w", "FREQ=HOURLY;BYHOUR=8,9,10,11,12,13,14,15,16,17", "Australia/Lord_Howe", wall(2026, 4, 1, 8, 0), wall(2026, 4, 1, 0, 0), wall(2026, 4, 8, 0, 0)},
	{"count-weekly", "FREQ=WEEKLY;COUNT=200;BYDAY=TU,TH", "Europe/Paris", wall(2026, 1, 6, 14, 0), wall(2026, 1, 1, 0, 0), wall(2030, 1, 1, 0, 0)},
	// Far from DTSTART: a window one week long, 30 years after DTSTART.
	{"far-15min-30y", "FREQ=MINUTELY;INTERVAL=15", "Europe/Paris", wall(1996, 1, 1, 0, 0), wall(2026, 3, 23, 0, 0), wall(2026, 3, 30, 0, 0)},
	{"far-daily-36y", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "America/New_York", wall(1990, 1, 1, 9, 0), wall(2026, 3, 1, 0, 0), wall(2026, 4, 1, 0, 0)},
}

func wall(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

func benchSetup(b *testing.B, i int) (Rule, *rrulego.RRule, time.Time, time.Time, time.Time) {
	c := benchCases[i]
	loc := mustLoad(b, c.zone)
	dtstart, from, to := At(c.dtstart, loc), At(c.from, loc), At(c.to, loc)
	r, err := ParseRule(c.rule)
	if err != nil {
		b.Fatal(err)
	}
	o, err := rrulego.StrToROption(c.rule)
	if err != nil {
		b.Fatal(err)
	}
	o.Dtstart = dtstart
	rg, err := rrulego.NewRRule(*o)
	if err != nil {
		b.Fatal(err)
	}
	return r, rg, dtstart, from, to
}

// BenchmarkExpand runs every rule through this package (recur) and through
// rrule-go, with the same window, in one run.
func BenchmarkExpand(b *testing.B) {
	for i, c := range benchCases {
		r, rg, dtstart, from, to := benchSetup(b, i)
		want, err := r.Between(dtstart, from, to, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/recur", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := r.Between(dtstart, from, to, 0)
				if err != nil || len(got) != len(want) {
					b.Fatalf("%d instances, %v", len(got), err)
				}
			}
			b.ReportMetric(float64(len(want)), "instances")
		})
		b.Run(c.name+"/rrule-go", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got := rg.Between(from, to.Add(-time.Second), true)
				if len(got) == 0 {
					b.Fatal("no instances")
				}
			}
		})
	}
}

// BenchmarkExpandCalendar expands a calendar of 200 recurring events (a
// busy person's calendar) over eight weeks, as the availability search does.
func BenchmarkExpandCalendar(b *testing.B) {
	var text []byte
	text = append(text, "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:bench\n"...)
	rules := []string{"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "FREQ=MONTHLY;BYDAY=1WE", "FREQ=MONTHLY;BYMONTHDAY=15"}
	zones := []string{"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
	for i := range 200 {
		start := time.Date(2020+i%5, time.Month(1+i%12), 1+i%27, 8+i%9, 15*(i%4), 0, 0, time.UTC).Format("20060102T150405")
		text = append(text, "BEGIN:VEVENT\nUID:bench-"...)
		text = append(text, time.Duration(i).String()...)
		text = append(text, "\nDTSTART;TZID="+zones[i%4]+":"+start+"\nDURATION:PT45M\nRRULE:"+rules[i%5]+"\nSUMMARY:x\nEND:VEVENT\n"...)
	}
	text = append(text, "END:VCALENDAR\n"...)
	cal := decodeCal(b, string(text))
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 56)
	b.ReportAllocs()
	for b.Loop() {
		got, err := ExpandCalendar(cal, from, to, Options{})
		if err != nil || len(got) == 0 {
			b.Fatalf("%d instances, %v", len(got), err)
		}
	}
}
