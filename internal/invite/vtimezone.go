package invite

// This file writes VTIMEZONE components (RFC 5545 §3.6.5) from Go's time
// zone data. It is hand-written because no Go library does it:
// emersion/go-ical writes DTSTART;TZID=Europe/Paris without a definition
// (shared/STYLE.md), and Outlook then guesses the zone, or shows the UTC
// time. Go's time package has the data but exposes it only through
// Time.ZoneBounds, which is what this code walks.
//
// Two forms are written:
//
//   - the compact form every calendar client understands, one STANDARD and
//     one DAYLIGHT observance with a yearly RRULE ("last Sunday of March"),
//     as Google Calendar and Outlook send it, when the zone follows one
//     such rule pair over the whole span of the meeting (checked
//     transition by transition against Go's data, from two years before
//     the span to its end, or ten years ahead for an unbounded series);
//   - otherwise (a rule change inside the span, a zone with irregular
//     dates such as Africa/Casablanca, Friday-before-last-Sunday rules) one
//     observance per transition, with no RRULE.
//
// A zone without transitions over the span (Asia/Kolkata) gets a single
// STANDARD observance.

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-ical"
)

// transition is one change of a zone's UTC offset, abbreviation or
// daylight-saving flag.
type transition struct {
	at       time.Time // the instant, in UTC
	from, to int       // UTC offsets before and after, in seconds
	name     string    // abbreviation after
	dst      bool      // daylight saving time after
}

// onset is the local time (in the offset before the transition) RFC 5545
// writes as the DTSTART of an observance.
func (tr transition) onset() time.Time {
	return tr.at.Add(time.Duration(tr.from) * time.Second).UTC()
}

const (
	// maxTransitions bounds the explicit form; the last observance
	// written stays in force after it.
	maxTransitions = 400
	// lookBack is how far before the span the zone's rules are checked,
	// so that both compact observances start before the meeting.
	lookBackYears = 2
	// openEndedYears is the span assumed for a series without an end.
	openEndedYears = 10
)

// observanceAt returns the transition that began the zone period containing
// t. For a zone without any earlier transition (UTC, Etc/GMT+5) its at is
// zero and from equals to.
func observanceAt(loc *time.Location, t time.Time) transition {
	lt := t.In(loc)
	name, off := lt.Zone()
	start, _ := lt.ZoneBounds()
	tr := transition{at: start, to: off, from: off, name: name, dst: lt.IsDST()}
	if !start.IsZero() {
		_, tr.from = start.Add(-time.Second).In(loc).Zone()
		tr.at = start.UTC()
	}
	return tr
}

// transitionsIn returns the transitions of loc in (from, to], at most max;
// more reports whether there were more.
func transitionsIn(loc *time.Location, from, to time.Time, max int) (trs []transition, more bool) {
	cur := from.In(loc)
	for {
		_, end := cur.ZoneBounds()
		if end.IsZero() || end.After(to) {
			return trs, false
		}
		if len(trs) == max {
			return trs, true
		}
		_, before := cur.Zone()
		next := end.In(loc)
		name, after := next.Zone()
		trs = append(trs, transition{at: end.UTC(), from: before, to: after, name: name, dst: next.IsDST()})
		cur = next
	}
}

// vtimezone returns the VTIMEZONE of loc, named tzid, valid for every
// instant in [from, to].
func vtimezone(tzid string, loc *time.Location, from, to time.Time) (*ical.Component, error) {
	if to.Before(from) {
		from, to = to, from
	}
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, tzid)

	if c := compactObservances(loc, from, to); c != nil {
		tz.Children = c
		return tz, nil
	}
	// The explicit form.
	first := observanceAt(loc, from)
	trs, _ := transitionsIn(loc, from, to, maxTransitions)
	all := append([]transition{first}, trs...)
	// Name the observances by offset, not by Go's DST flag: the tz
	// database marks Ireland's winter and Morocco's Ramadan time as
	// "daylight saving" with a negative save, while Outlook, Google and
	// python-icalendar (which needs a STANDARD to exist) expect the
	// smaller offset to be standard time, as the rearguard tz data has it.
	std := all[0].to
	for _, tr := range all {
		std = min(std, tr.to)
	}
	for _, tr := range all {
		tr.dst = tr.to > std
		tz.Children = append(tz.Children, observance(tr, ""))
	}
	return tz, nil
}

// observance writes one STANDARD or DAYLIGHT sub-component.
func observance(tr transition, rrule string) *ical.Component {
	name := ical.CompTimezoneStandard
	if tr.dst {
		name = ical.CompTimezoneDaylight
	}
	c := ical.NewComponent(name)
	start := ical.NewProp(ical.PropDateTimeStart)
	if tr.at.IsZero() {
		// No transition ever: any onset before the meeting will do.
		start.Value = "19700101T000000"
	} else {
		start.Value = tr.onset().Format("20060102T150405")
	}
	c.Props.Set(start)
	if rrule != "" {
		p := ical.NewProp(ical.PropRecurrenceRule)
		p.Value = rrule
		c.Props.Set(p)
	}
	c.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetFrom, Params: ical.Params{}, Value: utcOffset(tr.from)})
	c.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetTo, Params: ical.Params{}, Value: utcOffset(tr.to)})
	if tr.name != "" {
		c.Props.SetText(ical.PropTimezoneName, tr.name)
	}
	return c
}

// utcOffset formats an offset as RFC 5545 §3.3.14 UTC-OFFSET: +hhmm, with
// seconds only when there are some (local mean time).
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign = "-"
		sec = -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// yearlyRule is "the Nth weekday of a month at a wall time", the form of
// nearly every daylight-saving rule in force, with N = -1 for the last.
type yearlyRule struct {
	month   time.Month
	weekday time.Weekday
	n       int
	clock   int // seconds after midnight, wall time in the offset before
}

func (r yearlyRule) String() string {
	return "FREQ=YEARLY;BYMONTH=" + strconv.Itoa(int(r.month)) + ";BYDAY=" + strconv.Itoa(r.n) + weekdayCode[r.weekday]
}

var weekdayCode = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// instant is the transition the rule gives in year, for the offset before.
func (r yearlyRule) instant(year, fromOffset int) time.Time {
	day := nthWeekday(year, r.month, r.weekday, r.n)
	wall := time.Date(year, r.month, day, 0, 0, r.clock, 0, time.UTC)
	return wall.Add(-time.Duration(fromOffset) * time.Second)
}

// nthWeekday returns the day of the month of the nth (n < 0: from the end)
// weekday wd of month.
func nthWeekday(year int, month time.Month, wd time.Weekday, n int) int {
	if n > 0 {
		first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC).Weekday()
		return 1 + (int(wd)-int(first)+7)%7 + 7*(n-1)
	}
	lastDay := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC)
	back := (int(lastDay.Weekday()) - int(wd) + 7) % 7
	return lastDay.Day() - back - 7*(-n-1)
}

// rulesOf returns the yearly rules a transition fits: the Nth weekday, and
// the last one when it is.
func rulesOf(tr transition) []yearlyRule {
	w := tr.onset()
	clock := w.Hour()*3600 + w.Minute()*60 + w.Second()
	n := (w.Day()-1)/7 + 1
	rules := []yearlyRule{}
	// The last weekday first: when a span fits both "last Sunday" and
	// "4th Sunday", the zone's rule is nearly always the former.
	if w.Day()+7 > time.Date(w.Year(), w.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		rules = append(rules, yearlyRule{w.Month(), w.Weekday(), -1, clock})
	}
	if n <= 4 {
		rules = append(rules, yearlyRule{w.Month(), w.Weekday(), n, clock})
	}
	return rules
}

// compactObservances returns one STANDARD and one DAYLIGHT observance with
// yearly rules when they reproduce every transition of loc from two years
// before from to to (at least a year after from), or nil.
func compactObservances(loc *time.Location, from, to time.Time) []*ical.Component {
	winStart := from.AddDate(-lookBackYears, 0, 0)
	winEnd := to
	if min := from.AddDate(1, 0, 0); winEnd.Before(min) {
		winEnd = min
	}
	// A zone on a yearly rule pair has two transitions a year.
	years := winEnd.Year() - winStart.Year() + 1
	trs, more := transitionsIn(loc, winStart, winEnd, 2*years+2)
	if more {
		return nil
	}
	if len(trs) == 0 {
		// No change over the span: the period in force is the only
		// observance.
		return []*ical.Component{observance(observanceAt(loc, from), "")}
	}
	// Two alternating kinds of transitions, each on a yearly rule.
	type group struct {
		first transition
		rules []yearlyRule
	}
	var groups []*group
	key := func(tr transition) string {
		return fmt.Sprint(tr.from, tr.to, tr.name, tr.dst)
	}
	byKey := map[string]*group{}
	for _, tr := range trs {
		g := byKey[key(tr)]
		if g == nil {
			g = &group{first: tr, rules: rulesOf(tr)}
			byKey[key(tr)] = g
			groups = append(groups, g)
			continue
		}
		g.rules = slices.DeleteFunc(g.rules, func(r yearlyRule) bool { return !slices.Contains(rulesOf(tr), r) })
	}
	if len(groups) != 2 || groups[0].first.to == groups[1].first.to ||
		groups[0].first.to != groups[1].first.from || groups[1].first.to != groups[0].first.from {
		return nil
	}
	// The larger offset is daylight time, whatever Go's flag says (see
	// vtimezone).
	groups[0].first.dst = groups[0].first.to > groups[1].first.to
	groups[1].first.dst = !groups[0].first.dst
	for _, g := range groups {
		if len(g.rules) == 0 {
			return nil
		}
	}
	// Check: the two rules, from their first onsets, give exactly the
	// transitions Go knows of in the window.
	var want []time.Time
	for _, g := range groups {
		r := g.rules[0]
		for y := g.first.onset().Year(); ; y++ {
			at := r.instant(y, g.first.from)
			if at.Before(g.first.at) {
				continue
			}
			if at.After(winEnd) {
				break
			}
			want = append(want, at)
		}
	}
	slices.SortFunc(want, func(a, b time.Time) int { return a.Compare(b) })
	if len(want) != len(trs) {
		return nil
	}
	for i := range want {
		if !want[i].Equal(trs[i].at) {
			return nil
		}
	}
	out := []*ical.Component{
		observance(groups[0].first, groups[0].rules[0].String()),
		observance(groups[1].first, groups[1].rules[0].String()),
	}
	// STANDARD first, as Outlook and Google write them.
	if groups[0].first.dst {
		out[0], out[1] = out[1], out[0]
	}
	return out
}
