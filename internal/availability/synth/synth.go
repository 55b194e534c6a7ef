// Package synth generates seeded, realistic synthetic calendars for the
// availability benchmarks and the bench/slotsearch harness: a team spread
// over three time zones whose members each have thousands of busy intervals.
//
// It is imported only by benchmarks, tests and bench/; like availability it
// must never import store, web or any front end.
package synth

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/convene/convene/internal/availability"
)

// Base is the DESIGN §7 scenario at scale 1: 20 attendees with 2,000 busy
// intervals each over 8 weeks, in 3 time zones.
const (
	BasePeople    = 20
	BaseIntervals = 2000
	BaseWeeks     = 8
)

// Start is the Monday the scenarios begin: the window crosses the US (8
// March) and European (29 March) clock changes.
var Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// Scenario is a generated team and the window its calendars cover.
type Scenario struct {
	// People are the attendees with merged Busy; People[0] is the
	// organizer (in Paris, with preferred times).
	People []*availability.Person
	// Raw are the unmerged busy intervals of each person, for measuring
	// the preparation (availability.NewBusy).
	Raw [][]availability.Interval
	// From and To bound the time the calendars cover.
	From, To time.Time
	// Weeks and Intervals are the size: weeks covered, intervals per person.
	Weeks, Intervals int
}

// profile is one time zone's working pattern.
type profile struct {
	zone  string
	hours [][2]string // Monday to Friday
	// shared are the local hours in which this zone overlaps the others,
	// where cross-zone meetings happen.
	shared [2]string
}

var profiles = []profile{
	{"Europe/Paris", [][2]string{{"09:00", "12:30"}, {"13:30", "18:30"}}, [2]string{"14:00", "17:00"}},
	{"America/New_York", [][2]string{{"08:00", "12:00"}, {"13:00", "17:00"}}, [2]string{"08:00", "11:00"}},
	{"Asia/Kolkata", [][2]string{{"12:00", "14:00"}, {"15:00", "21:00"}}, [2]string{"18:30", "21:00"}},
}

// Scale returns the scenario at a scale: BasePeople attendees with
// BaseIntervals×scale busy intervals each over BaseWeeks×scale weeks, so
// the density of busy time stays that of the DESIGN §7 target.
func Scale(seed uint64, scale int) (*Scenario, error) {
	return Generate(seed, BasePeople, BaseIntervals*scale, BaseWeeks*scale)
}

// Generate builds people attendees (zones in turn Paris, New York,
// Kolkata) with exactly intervals raw busy intervals each over weeks weeks
// from Start. Each weekday a person has a few meetings of their own (15 to
// 120 minutes, mostly in the hours their zone does not share with the
// others), now and then one in the shared hours, and the team meetings
// (twice a week in the shared hours, each with about 40 % of the team). Every
// meeting shows in several calendars (exact or shifted copies, rooms inside
// it), so many intervals overlap; the rest of the quota is reminders in
// working hours, personal events before and after work and at weekends,
// and about one all-day absence per person in 8 weeks. The result depends
// only on the arguments.
func Generate(seed uint64, people, intervals, weeks int) (*Scenario, error) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	sc := &Scenario{From: Start, To: Start.AddDate(0, 0, 7*weeks), Weeks: weeks, Intervals: intervals}
	locs := make([]*time.Location, len(profiles))
	for i, pr := range profiles {
		loc, err := time.LoadLocation(pr.zone)
		if err != nil {
			return nil, fmt.Errorf("synth: load zone: %w", err)
		}
		locs[i] = loc
	}
	days := 7 * weeks

	// Team meetings: Tuesdays and Thursdays in the shared hours (Paris
	// clock), each with a seeded 40 % of the team.
	type team struct {
		iv      availability.Interval
		members map[int]bool
	}
	var teams []team
	for d := 0; d < days; d++ {
		day := Start.AddDate(0, 0, d)
		if wd := day.Weekday(); wd != time.Tuesday && wd != time.Thursday {
			continue
		}
		s := time.Date(day.Year(), day.Month(), day.Day(), 14+r.IntN(3), 15*r.IntN(2), 0, 0, locs[0])
		tm := team{iv: availability.Interval{Start: s, End: s.Add(time.Duration(30+30*r.IntN(2)) * time.Minute)}, members: map[int]bool{}}
		for p := 0; p < people; p++ {
			if r.IntN(10) < 4 {
				tm.members[p] = true
			}
		}
		teams = append(teams, tm)
	}

	for p := 0; p < people; p++ {
		pi := p % len(profiles)
		pr, loc := profiles[pi], locs[pi]
		var wh availability.WorkingHours
		for wd := time.Monday; wd <= time.Friday; wd++ {
			for _, h := range pr.hours {
				wh.Days[wd] = append(wh.Days[wd], availability.ClockRange{Start: clock(h[0]), End: clock(h[1])})
			}
		}
		person := &availability.Person{ID: fmt.Sprintf("p%02d@%s", p, pr.zone), Location: loc, Hours: wh}
		if p%4 == 1 {
			person.BufferBefore, person.BufferAfter = 10*time.Minute, 5*time.Minute
		}
		if p%5 == 2 {
			person.MinNotice = 4 * time.Hour
		}
		if p%7 == 3 {
			// A half day off on the second Friday.
			fri := Start.AddDate(0, 0, 11)
			person.Overrides = []availability.DateOverride{{
				Date:   availability.Date{Year: fri.Year(), Month: fri.Month(), Day: fri.Day()},
				Ranges: []availability.ClockRange{{Start: clock(pr.hours[0][0]), End: clock(pr.hours[0][1])}},
			}}
		}
		if p == 0 {
			var pref availability.WorkingHours
			for wd := time.Monday; wd <= time.Thursday; wd++ {
				pref.Days[wd] = []availability.ClockRange{{Start: clock("14:00"), End: clock("16:00")}}
			}
			person.Preferred = &pref
		}

		raw := make([]availability.Interval, 0, intervals)
		// Quotas: weekdays carry most of the intervals.
		weight := func(d int) int {
			if wd := Start.AddDate(0, 0, d).Weekday(); wd == time.Saturday || wd == time.Sunday {
				return 1
			}
			return 4
		}
		total := 0
		for d := 0; d < days; d++ {
			total += weight(d)
		}
		absent := map[int]bool{r.IntN(days): true}
		for _, tm := range teams {
			if tm.members[p] {
				raw = append(raw, tm.iv)
			}
		}
		given := len(raw)
		for d := 0; d < days; d++ {
			quota := (intervals-len(teams)/2)*weight(d)/total + boolInt(r.IntN(total) < (intervals*weight(d))%total)
			date := Start.AddDate(0, 0, d)
			at := func(hhmm clk) time.Time {
				return time.Date(date.Year(), date.Month(), date.Day(), int(hhmm)/60, int(hhmm)%60, 0, 0, loc)
			}
			weekday := date.Weekday() != time.Saturday && date.Weekday() != time.Sunday
			var own []availability.Interval
			if absent[d] {
				raw = append(raw, availability.Interval{Start: at(0), End: at(24 * 60)})
				quota--
			}
			if weekday {
				// Own meetings outside the shared hours.
				for range 3 + r.IntN(3) {
					own = append(own, meeting(r, at, pr.hours, pr.shared, false))
				}
				// Now and then one in the shared hours.
				if r.IntN(6) == 0 {
					own = append(own, meeting(r, at, pr.hours, pr.shared, true))
				}
			}
			for _, m := range own {
				if quota > 0 {
					raw = append(raw, m)
					quota--
				}
			}
			for ; quota > 0; quota-- {
				k := r.IntN(20)
				switch {
				case len(own) > 0 && k < 5:
					// The same meeting in another calendar: exact, a room
					// booking inside it, or shifted by a quarter.
					m := own[r.IntN(len(own))]
					switch r.IntN(4) {
					case 0:
						m.Start = m.Start.Add(-15 * time.Minute)
					case 1:
						m.End = m.End.Add(15 * time.Minute)
					case 2:
						if m.End.Sub(m.Start) > 15*time.Minute {
							m.End = m.End.Add(-15 * time.Minute)
						}
					}
					raw = append(raw, m)
				case weekday && k < 12:
					// A reminder or short block in the person's own hours.
					m := meeting(r, at, pr.hours, pr.shared, false)
					s := m.Start.Add(time.Duration(5*r.IntN(3)) * time.Minute)
					raw = append(raw, availability.Interval{Start: s, End: s.Add(5 * time.Minute)})
				default:
					// Personal: before or after work, any day.
					d := time.Duration(5*(1+r.IntN(6))) * time.Minute
					first, last := clock(pr.hours[0][0]), clock(pr.hours[len(pr.hours)-1][1])
					var s time.Time
					if r.IntN(2) == 0 {
						s = at(first - clk(30+5*r.IntN(36))).Add(-d)
					} else {
						s = at(last + clk(5*r.IntN(36)))
					}
					raw = append(raw, availability.Interval{Start: s, End: s.Add(d)})
				}
			}
		}
		// Trim or pad to exactly the requested number.
		for len(raw) > intervals && len(raw) > given {
			raw = raw[:len(raw)-1]
		}
		for len(raw) < intervals {
			s := at0(Start.AddDate(0, 0, r.IntN(days)), loc, clock(pr.hours[len(pr.hours)-1][1])+clk(15*r.IntN(8)))
			raw = append(raw, availability.Interval{Start: s, End: s.Add(30 * time.Minute)})
		}
		person.Busy = availability.NewBusy(raw)
		sc.People = append(sc.People, person)
		sc.Raw = append(sc.Raw, raw)
	}
	return sc, nil
}

// clk is availability.Clock, shortened.
type clk = availability.Clock

func clock(s string) clk {
	c, err := availability.ParseClock(s)
	if err != nil {
		panic(err)
	}
	return c
}

func at0(date time.Time, loc *time.Location, c clk) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), int(c)/60, int(c)%60, 0, 0, loc)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var durations = []time.Duration{15, 30, 30, 30, 45, 60, 60, 90, 120}

// meeting returns a meeting of 15 to 120 minutes on a quarter hour, inside
// the shared hours or inside working hours outside them.
func meeting(r *rand.Rand, at func(clk) time.Time, hours [][2]string, shared [2]string, inShared bool) availability.Interval {
	d := durations[r.IntN(len(durations))] * time.Minute
	if inShared {
		lo, hi := clock(shared[0]), clock(shared[1])
		s := lo + clk(15*r.IntN(int(hi-lo)/15))
		return availability.Interval{Start: at(s), End: at(s).Add(d)}
	}
	for {
		h := hours[r.IntN(len(hours))]
		lo, hi := clock(h[0]), clock(h[1])
		s := lo + clk(15*r.IntN(int(hi-lo)/15))
		e := s + clk(d/time.Minute)
		sl, sh := clock(shared[0]), clock(shared[1])
		if e <= sl || s >= sh {
			return availability.Interval{Start: at(s), End: at(s).Add(d)}
		}
	}
}

// Query returns the benchmark query over the whole scenario: all
// attendees, 30 minutes, 15-minute grid, the best 10, now an hour before
// the window opens.
func (sc *Scenario) Query(ranking availability.Ranking) availability.Query {
	return availability.Query{
		People:   sc.People,
		Duration: 30 * time.Minute,
		From:     sc.From,
		To:       sc.To,
		Now:      sc.From.Add(-time.Hour),
		Limit:    10,
		Ranking:  ranking,
	}
}

// Dense returns the stress variant of Scale: the same team, hours and
// window, but every busy interval is a separate 5-minute block on a
// 10-minute grid outside the shared hours, so none overlap and the merged
// Busy is as long as the raw list (BaseIntervals×scale per person), while
// the shared hours stay mostly free and offer many candidate slots.
func Dense(seed uint64, scale int) (*Scenario, error) {
	sc, err := Scale(seed, scale)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0xde75e))
	days := 7 * sc.Weeks
	intervals := sc.Intervals
	for p, person := range sc.People {
		pr := profiles[p%len(profiles)]
		lo, hi := clock(pr.shared[0])-30, clock(pr.shared[1])+30
		var free []clk // 10-minute positions outside the shared hours
		for c := clk(0); c < 24*60; c += 10 {
			if c+5 <= lo || c >= hi {
				free = append(free, c)
			}
		}
		raw := make([]availability.Interval, 0, intervals)
		for d := 0; d < days && len(raw) < intervals; d++ {
			quota := (intervals - len(raw)) / (days - d)
			if r.IntN(days-d) < (intervals-len(raw))%(days-d) {
				quota++
			}
			quota = min(quota, len(free))
			// A partial Fisher-Yates shuffle picks quota distinct positions.
			for i, n := 0, 0; i < len(free) && n < quota; i++ {
				j := i + r.IntN(len(free)-i)
				free[i], free[j] = free[j], free[i]
				s := at0(Start.AddDate(0, 0, d), person.Location, free[i])
				if l := s.In(person.Location); clk(l.Hour()*60+l.Minute()) != free[i] {
					continue // skipped by a clock change
				}
				raw = append(raw, availability.Interval{Start: s, End: s.Add(5 * time.Minute)})
				n++
			}
		}
		person.Busy = availability.NewBusy(raw)
		sc.Raw[p] = raw
	}
	return sc, nil
}
