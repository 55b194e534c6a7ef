package understand

import (
	"sync"
	"time"
)

// reading is one candidate answer: a group of atoms resolved against now.
type reading struct {
	a0, a1   int // atoms [a0, a1)
	i, j     int // tokens
	sent     int
	invalid  bool
	start    time.Time
	end      time.Time
	win      *Window
	dur      int
	loc      *time.Location
	zoneName string
	rrule    string
	amb      []Ambiguity
	spec     int
	dated    bool // says which day
	timed    bool // says which time of day
	durOnly  bool // only a length
	clock    bool // says a clock time (not only a part of the day)
	isRange  bool // a range of times: a window if a shorter length is stated
	hasRec   bool // has a recurrence
	score    float64
	eligible bool
}

var zoneCache sync.Map // name -> *time.Location

// loadZone loads an IANA zone once; the names come from the lexicon.
func loadZone(name string) *time.Location {
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location)
	}
	var loc *time.Location
	if len(name) == len("UTC+05:30") && name[:3] == "UTC" && (name[3] == '+' || name[3] == '-') {
		h := int(name[4]-'0')*10 + int(name[5]-'0')
		m := int(name[7]-'0')*10 + int(name[8]-'0')
		off := (h*60 + m) * 60
		if name[3] == '-' {
			off = -off
		}
		loc = time.FixedZone(name, off)
	} else {
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil
		}
		loc = l
	}
	zoneCache.Store(name, loc)
	return loc
}

// resolveClock applies R7 to a written time: the meridiem if written, the
// part of the day if any (force: 1 morning, 2 afternoon/evening), a 24-hour
// or zero-padded hour as is, else the business-hours rule (1-7 PM, 8-11
// AM, 12 noon). It returns minutes after midnight and, for a bare hour, the
// other reading.
func resolveClock(c clk, force int8) (int, int, bool) {
	if c.noon {
		return 12 * 60, 0, false
	}
	h := c.h
	switch {
	case c.mer == 1:
		if h == 12 {
			h = 0
		}
		return h*60 + c.m, 0, false
	case c.mer == 2:
		if h < 12 {
			h += 12
		}
		return h*60 + c.m, 0, false
	case h >= 13 || h == 0 || c.zero:
		if h == 24 {
			h = 0
		}
		return h*60 + c.m, 0, false
	}
	if c.force != 0 {
		force = c.force
	}
	switch force {
	case 2:
		if h < 12 {
			h += 12
		}
		return h*60 + c.m, 0, false
	case 1:
		if h == 12 {
			h = 0
		}
		return h*60 + c.m, 0, false
	}
	if h >= 1 && h <= 7 {
		return (h+12)*60 + c.m, h*60 + c.m, true
	}
	return h*60 + c.m, 0, false
}

// forceOf returns the meridiem a part of the day imposes on a bare hour.
func forceOf(pt part) int8 {
	switch pt {
	case pMorning, pLateMorning:
		return 1
	case pAfternoon, pEarlyAfternoon, pLateAfternoon, pEvening, pNight, pAfterLunch:
		return 2
	}
	return 0
}

// compose resolves the atoms of one group (and, for a merge, of two) into a
// reading, following the conventions.
func (p *parser) compose(idx []int) reading {
	r := reading{loc: p.loc, a0: idx[0], a1: idx[len(idx)-1] + 1}
	var (
		date, span, tm, rng, prt, bnd, ela, same, rec, dur *atom
	)
	for _, k := range idx {
		a := &p.atoms[k]
		r.spec += int(a.spec)
		switch a.kind {
		case aDate:
			if a.invalid {
				r.invalid = true
			}
			if date == nil {
				date = a
			}
		case aSpan:
			if span == nil {
				span = a
			}
		case aTime:
			if tm == nil && rng == nil {
				tm = a
			}
		case aRange:
			if rng == nil && tm == nil {
				rng = a
			}
		case aPart:
			if prt == nil {
				prt = a
			}
		case aBound:
			if bnd == nil {
				bnd = a
			}
		case aElapsed:
			if ela == nil {
				ela = a
			}
		case aSameTime:
			if same == nil {
				same = a
			}
		case aRecur:
			if rec == nil {
				rec = a
			}
		case aDuration:
			if dur == nil {
				dur = a
			}
		}
	}
	first := &p.atoms[idx[0]]
	last := &p.atoms[idx[len(idx)-1]]
	r.i, r.j = first.i, last.j
	if r.invalid {
		return r
	}
	// R1: a zone named with the time.
	zone := ""
	switch {
	case tm != nil && tm.tm.zone != "":
		zone = tm.tm.zone
	case rng != nil && rng.zone != "":
		zone = rng.zone
	}
	if zone != "" {
		if l := loadZone(zone); l != nil {
			r.loc, r.zoneName = l, zone
		}
	}
	loc := r.loc
	addAmb := func(rule, why string, alt Request) {
		r.amb = append(r.amb, Ambiguity{Rule: rule, Reason: why, Alternative: alt})
	}
	atWall := func(d day, min int) time.Time {
		t, fold := at(d, min*60, loc)
		if fold != wallExact {
			why := "a local time that does not exist (DST gap): moved forward"
			if fold == wallOverlap {
				why = "a local time that happens twice (DST overlap): the first"
			}
			addAmb("R11", why, Request{Start: altAt(d, min*60, loc)})
		}
		return t
	}

	// Which day.
	var d day
	hasDay := false
	var dayAlt day
	dayAltRule, dayAltWhy := "", ""
	if date != nil {
		d, hasDay = date.d, true
		if date.altRule != "" {
			dayAlt, dayAltRule, dayAltWhy = date.alt, date.altRule, date.altWhy
		}
		if span != nil && date.dayOnly && date.wd >= 0 && span.relWeek && span.d2-span.d >= 7 {
			d = span.d.monday() + day(date.wd) // "Friday next week", "jeudi de la semaine prochaine"
			dayAltRule = ""
			span = nil
		} else if span != nil && date.dayOnly && date.wd >= 0 && span.relWeek {
			d = span.d.monday() + day(date.wd)
			dayAltRule = ""
			span = nil
		}
	}
	if span != nil && !hasDay && same != nil && span.relWeek {
		// "same time next week": the same weekday in that week
		d, hasDay = p.today+(span.d-p.today.monday()), true
		span = nil
	}
	if rec != nil {
		r.rrule = "x" // set below
	}

	// Which time of day.
	force := int8(0)
	if prt != nil {
		force = forceOf(prt.part)
	}
	switch {
	case ela != nil:
		r.start = ela.inst.In(loc)
		r.dated, r.timed, r.clock = true, true, true
	case rng != nil:
		m1, alt1, amb1 := resolveClock(rng.tm, force)
		m2 := rangeEnd(rng.tm2, m1, force)
		if rng.tm.midnight {
			m1 = 0
		}
		if rng.tm2.midnight {
			m2 = 24 * 60
		}
		if !hasDay {
			d = p.today
			if t, _ := at(d, m1*60, loc); !t.After(p.now) {
				d++
			}
		}
		r.start = atWall(d, m1)
		e := d
		if m2 <= m1 || m2 >= 24*60 {
			e++ // R9: an end not after the start is on the next day
		}
		r.end = atWall(e, m2%(24*60))
		r.dur = int(r.end.Sub(r.start) / time.Minute)
		if amb1 {
			addAmb("R7", "a bare hour: the business-hours rule", Request{Start: p.wallAt(d, alt1, loc)})
		}
		r.dated, r.timed, r.clock, r.isRange = hasDay, true, true, true
		if dur != nil && dur.dur < r.dur {
			r.win = &Window{From: r.start, To: r.end}
			r.start, r.end, r.dur = time.Time{}, time.Time{}, dur.dur
		}
	case tm != nil && tm.tm.midnight:
		// R7: midnight alone is the coming 00:00; a day at midnight is the end
		// of that day (ambiguous with its start).
		if hasDay {
			r.start = atWall(d+1, 0)
			addAmb("R7", "a day at midnight: the start of that day", Request{Start: p.wallAt(d, 0, loc)})
		} else {
			r.start = atWall(p.today+1, 0)
		}
		r.dated, r.timed, r.clock = true, true, true
	case tm != nil:
		m, alt, amb := resolveClock(tm.tm, force)
		if !hasDay {
			d = p.today
			if t, _ := at(d, m*60, loc); !t.After(p.now) {
				d++
			}
		}
		r.start = atWall(d, m)
		if amb {
			why := "a bare hour: the business-hours rule (1-7 PM)"
			if tm.tm.frH {
				why = "French \"à 3h\": colloquial 15:00, 03:00 the alternative"
			}
			addAmb("R7", why, Request{Start: p.wallAt(d, alt, loc)})
		}
		r.dated, r.timed, r.clock = hasDay, true, true
	case same != nil && hasDay:
		r.start = atWall(d, p.nowSec/60)
		r.start = r.start.Add(time.Duration(p.nowSec%60) * time.Second)
		if same.fromNow {
			if el := p.now.Add(time.Duration(d-p.today) * 24 * time.Hour); !el.Equal(r.start) {
				addAmb("R6", "across a DST change: the same elapsed hours", Request{Start: el.In(loc)})
			}
		}
		r.dated, r.timed, r.clock = true, true, true
	case bnd != nil:
		m, _, _ := resolveClock(bnd.tm, force)
		if !hasDay {
			d = p.today
			if t, _ := at(d, m*60, loc); !t.After(p.now) && bnd.bound > 0 {
				d++
			}
		}
		lo, hi := 0, 24*60
		if prt != nil {
			lo, hi = partBounds[prt.part][0], partBounds[prt.part][1]
		}
		if bnd.bound > 0 {
			lo = m
		} else {
			hi = m
		}
		r.win = &Window{From: atWall(d, lo), To: p.wallEnd(d, hi, loc)}
		r.dated, r.timed = hasDay, true
	case prt != nil && (hasDay || span == nil || span.d2-span.d <= 1):
		// (a part of the day over a span of days cannot be one window:
		// the span stays, below)
		b := partBounds[prt.part]
		if !hasDay {
			d = p.today
			if t := p.wallEnd(d, b[1], loc); !t.After(p.now) {
				d++
			}
		}
		r.win = &Window{From: atWall(d, b[0]), To: p.wallEnd(d, b[1], loc)}
		r.dated, r.timed = hasDay, true
	case hasDay:
		r.win = &Window{From: atWall(d, 0), To: atWall(d+1, 0)}
		r.dated = true
	case span != nil:
		r.win = &Window{From: atWall(span.d, 0), To: atWall(span.d2, 0)}
		r.dated = true
		if span.altRule != "" {
			alt := span.alt
			n := span.d2 - span.d
			addAmb(span.altRule, span.altWhy, Request{Window: &Window{From: p.wallAt(alt, 0, loc), To: p.wallAt(alt+n, 0, loc)}})
		}
	case rec != nil:
	default:
		if dur != nil {
			r.durOnly = true
			r.dur = dur.dur
		}
		return r
	}
	if dur != nil && r.dur == 0 {
		r.dur = dur.dur
	}
	if dayAltRule != "" && hasDay {
		alt := Request{}
		switch {
		case !r.start.IsZero():
			alt.Start = p.wallAt(dayAlt, clockOf(r.start)/60, loc)
		case r.win != nil:
			n := int(r.win.To.Sub(r.win.From) / time.Minute)
			from := p.wallAt(dayAlt, clockOf(r.win.From)/60, loc)
			alt.Window = &Window{From: from, To: from.Add(time.Duration(n) * time.Minute)}
		}
		r.amb = append(r.amb, Ambiguity{Rule: dayAltRule, Reason: dayAltWhy, Alternative: alt})
	}
	if rec != nil {
		p.composeRecurrence(&r, rec, tm, rng, prt, date, span, force)
	}
	if !r.start.IsZero() && r.end.IsZero() && r.dur > 0 {
		r.end = r.start.Add(time.Duration(r.dur) * time.Minute)
	}
	return r
}

// rangeEnd resolves the end of a range of times (R9): a written meridiem or
// 24-hour time as is; a bare hour takes whichever of its AM and PM readings
// comes first after the start ("de 23h à 1h" ends at 01:00, "from 11 to 1"
// at 13:00).
func rangeEnd(c clk, start int, force int8) int {
	if c.noon {
		return 12 * 60
	}
	if c.midnight {
		return 24 * 60
	}
	m, _, _ := resolveClock(c, force)
	if c.mer != 0 || c.zero || c.h == 0 || c.h > 12 || c.force != 0 || force != 0 {
		return m
	}
	am := (c.h%12)*60 + c.m
	pm := am + 12*60
	after := func(x int) int { return ((x-start)%(24*60) + 24*60) % (24 * 60) }
	if after(am) > 0 && (after(am) < after(pm) || after(pm) == 0) {
		return am
	}
	return pm
}

// wallAt returns the instant of a wall time without recording ambiguity.
func (p *parser) wallAt(d day, min int, loc *time.Location) time.Time {
	t, _ := at(d, min*60, loc)
	return t
}

// wallEnd returns the end of a window at minutes min of day d; 24:00 is the
// next day's 00:00.
func (p *parser) wallEnd(d day, min int, loc *time.Location) time.Time {
	if min >= 24*60 {
		return p.wallAt(d+1, min-24*60, loc)
	}
	return p.wallAt(d, min, loc)
}

// composeRecurrence finds the first occurrence of a series and writes its
// RRULE. The first occurrence is the first instance strictly after now
// (when the meeting has a time) or strictly after today (when it has none),
// on or after a start the text gives ("starting April 29", "à partir du
// 26").
func (p *parser) composeRecurrence(r *reading, ra *atom, tm, rng, prt, date, span *atom, force int8) {
	rec := p.recs[ra.rec]
	loc := r.loc
	// Ends and counts in the same sentence.
	sent := p.sents[ra.i]
	anchor, hasAnchor := day(0), false
	// the atoms of the sentence, within maxRecurScope atoms of the series
	for k := max(0, ra.idx-maxRecurScope); k < len(p.atoms) && k <= ra.idx+maxRecurScope; k++ {
		a := &p.atoms[k]
		if a.i >= len(p.sents) || p.sents[a.i] != sent {
			continue
		}
		switch a.kind {
		case aUntil:
			rec.until, rec.hasUntil = a.d, true
		case aPeriod:
			rec.periodN, rec.periodU = a.dur, unit(a.part)
		case aCount:
			rec.count = a.dur
		case aDate, aSpan:
			if a.invalid {
				continue
			}
			if p.startLead(a.i) || a.kind == aDate && date == a && !a.dayOnly {
				anchor, hasAnchor = a.d, true
			}
		}
	}
	if rec.freq == "WEEKLY" && rec.days == 0 && date != nil && date.wd >= 0 {
		rec.days = 1 << date.wd
	}
	mins := -1
	switch {
	case tm != nil && !tm.tm.midnight:
		mins, _, _ = resolveClock(tm.tm, force)
	case rng != nil:
		mins, _, _ = resolveClock(rng.tm, force)
	}
	d := p.today + 1
	if mins >= 0 {
		d = p.today
	}
	if hasAnchor && anchor > d {
		d = anchor
	}
	if hasAnchor && anchor < p.today {
		d = p.today
	}
	found := false
	for n := 0; n < 800; n++ {
		if rec.matches(d) && (mins < 0 || p.wallAt(d, mins, loc).After(p.now)) {
			found = true
			break
		}
		d++
	}
	if !found {
		return
	}
	r.amb = r.amb[:0]
	switch {
	case rng != nil:
		m2 := rangeEnd(rng.tm2, mins, force)
		r.start = p.wallAt(d, mins, loc)
		e := d
		if m2 <= mins || m2 >= 24*60 {
			e++
		}
		r.end = p.wallAt(e, m2%(24*60), loc)
		r.dur = int(r.end.Sub(r.start) / time.Minute)
		r.win = nil
	case mins >= 0:
		r.start = p.wallAt(d, mins, loc)
		r.end = time.Time{}
		r.win = nil
	case prt != nil:
		b := partBounds[prt.part]
		r.win = &Window{From: p.wallAt(d, b[0], loc), To: p.wallEnd(d, b[1], loc)}
		r.start = time.Time{}
	default:
		r.win = &Window{From: p.wallAt(d, 0, loc), To: p.wallAt(d+1, 0, loc)}
		r.start = time.Time{}
	}
	r.dated, r.timed, r.clock, r.hasRec = true, mins >= 0 || prt != nil, mins >= 0, true
	if rec.freq == "" {
		return
	}
	r.rrule = rec.rrule(d, mins >= 0, loc)
}

// maxRecurScope bounds the atoms around a series searched for its start,
// end and count.
const maxRecurScope = 32

// startLead reports whether the atom at token i is introduced as the start
// of a series: "starting", "beginning", "from", "à partir du", "dès".
func (p *parser) startLead(i int) bool {
	for k := i - 1; k >= i-3 && k >= 0; k-- {
		switch p.tok(k).text {
		case "starting", "beginning", "partir", "des", "commencing", "effective":
			return true
		case "on", "the", "du", "de", "le", "la", "a", "cette", "ce", "this":
			continue
		}
		return false
	}
	return false
}
