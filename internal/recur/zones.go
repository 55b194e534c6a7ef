package recur

import (
	_ "embed"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/winzones"
)

// Zones resolves the TZID parameters of one calendar into locations (RFC
// 5545 §3.2.19). A name the time zone database knows wins over the
// calendar's own definition: first the name as an IANA zone, then as a
// Windows zone name or an Outlook display name ("(UTC+01:00) Amsterdam,
// Berlin, ..."), mapped to IANA through CLDR's windowsZones table, then
// behind a vendor prefix ("/mozilla.org/20050126_1/Europe/Berlin"); only a
// name none of those know is read from the calendar's VTIMEZONE with that
// TZID (§3.6.5).
//
// That is what Google Calendar, Apple Calendar and Outlook do, and for a
// reason: a VTIMEZONE is a copy of the rules its writer knew. Exports
// written before 2007 still carry the old US rules under
// America/New_York (daylight time from the first Sunday of April), and
// Outlook writes its Windows zones as one rule starting in 1601, so that
// following them puts March meetings, or every meeting before the last
// rule change, an hour off. The standards leave room for it: RFC 5545
// §3.2.19 suggests the TZ database's names for TZIDs, and RFC 7809 lets
// CalDAV peers leave out the VTIMEZONE of such a standard name
// altogether, since the name says which zone it is.
//
// Locations are built once per TZID. A Zones is safe for concurrent use.
type Zones struct {
	mu   sync.Mutex
	defs map[string]*ical.Component
	locs map[string]*time.Location
	errs map[string]error
}

// NewZones returns the resolver of the TZIDs of cal (which may be nil: then
// only IANA and Windows names resolve).
func NewZones(cal *ical.Calendar) *Zones {
	z := &Zones{defs: map[string]*ical.Component{}, locs: map[string]*time.Location{}, errs: map[string]error{}}
	if cal != nil && cal.Component != nil {
		for _, c := range cal.Children {
			if c.Name != ical.CompTimezone {
				continue
			}
			if id, err := c.Props.Text(ical.PropTimezoneID); err == nil && id != "" {
				if _, dup := z.defs[id]; !dup {
					z.defs[id] = c
				}
			}
		}
	}
	return z
}

// Location returns the location of tzid.
func (z *Zones) Location(tzid string) (*time.Location, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if l, ok := z.locs[tzid]; ok {
		return l, nil
	}
	if err, ok := z.errs[tzid]; ok {
		return nil, err
	}
	l, err := LoadLocation(tzid)
	if def, ok := z.defs[tzid]; ok && err != nil {
		l, err = LocationFromVTimezone(def)
	}
	if err != nil {
		z.errs[tzid] = err
		return nil, err
	}
	z.locs[tzid] = l
	return l, nil
}

var ianaCache sync.Map // string → *time.Location or error

// IANA is time.LoadLocation, which reads and parses the zone database on
// every call, with the zones found kept (up to a thousand names; the IANA
// database has about six hundred): for code that turns the same few zones
// into locations on every request. It accepts what time.LoadLocation
// accepts, no more (see LoadLocation for Windows and vendor names).
func IANA(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	if zoneCount.Load() < maxZones {
		if _, loaded := zoneCache.LoadOrStore(name, l); !loaded {
			zoneCount.Add(1)
		}
	}
	return l, nil
}

var (
	zoneCache sync.Map // name → *time.Location
	zoneCount atomic.Int32
)

// maxZones bounds zoneCache (a variable for the tests).
var maxZones = int32(1000)

// LoadLocation resolves a TZID without a VTIMEZONE: an IANA name, a Windows
// zone name ("W. Europe Standard Time"), an Outlook display name, or either
// behind a vendor prefix ("/mozilla.org/20050126_1/Europe/Berlin"). The
// machine's own zone ("Local", "") is never used.
func LoadLocation(tzid string) (*time.Location, error) {
	if v, ok := ianaCache.Load(tzid); ok {
		if l, ok := v.(*time.Location); ok {
			return l, nil
		}
		return nil, v.(error)
	}
	l, err := loadLocation(tzid)
	if err != nil {
		ianaCache.Store(tzid, err)
		return nil, err
	}
	ianaCache.Store(tzid, l)
	return l, nil
}

func loadLocation(tzid string) (*time.Location, error) {
	name := strings.TrimSpace(strings.Trim(tzid, `"`))
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, fmt.Errorf("recur: unknown time zone %q", tzid)
	}
	if strings.EqualFold(name, "UTC") || strings.EqualFold(name, "Z") || name == "GMT" || name == "Etc/UTC" {
		return time.UTC, nil
	}
	if l, err := time.LoadLocation(name); err == nil {
		return l, nil
	}
	if iana, ok := windowsZone(name); ok {
		if l, err := time.LoadLocation(iana); err == nil {
			return l, nil
		}
	}
	// Vendor prefixes: keep the longest trailing Area/City that loads.
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		cand := strings.Join(parts[i:], "/")
		if cand == "" || !strings.Contains(cand, "/") && i < len(parts)-1 {
			continue
		}
		if l, err := time.LoadLocation(cand); err == nil && cand != "Local" {
			return l, nil
		}
	}
	return nil, fmt.Errorf("recur: unknown time zone %q (not in the calendar's VTIMEZONEs, not an IANA or Windows name)", tzid)
}

// windowsZones.xml is CLDR's windowsZones table as Debian's
// unicode-cldr-core package ships it (typeVersion 2021a, otherVersion
// 7e11800, Unicode license). It serves here only for the comment before
// each group of rows: the display name Outlook gives that Windows zone
// ("(UTC+01:00) Amsterdam, Berlin, …"), which Outlook also writes as a
// TZID. The Windows names themselves map to IANA through internal/winzones,
// Convene's one mapping table (a newer CLDR); so does a display name,
// through the Windows name of its group. Windows names resolve before any
// VTIMEZONE of the calendar (see Zones).
//
//go:embed windowszones.xml
var windowsZonesXML []byte

// displayNames maps an Outlook display name, in lower case, to its Windows
// zone name.
var displayNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	dec := xml.NewDecoder(strings.NewReader(string(windowsZonesXML)))
	var comment string
	for {
		tok, err := dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				panic("recur: embedded windowsZones.xml: " + err.Error())
			}
			return m
		}
		switch tok := tok.(type) {
		case xml.Comment:
			comment = strings.TrimSpace(string(tok))
		case xml.StartElement:
			if tok.Name.Local != "mapZone" || !strings.HasPrefix(comment, "(UTC") {
				continue
			}
			var other, territory string
			for _, a := range tok.Attr {
				switch a.Name.Local {
				case "other":
					other = a.Value
				case "territory":
					territory = a.Value
				}
			}
			if territory == "001" && other != "" {
				m[strings.ToLower(comment)] = other
			}
		}
	}
})

// windowsZone maps a Windows zone name or Outlook display name to IANA.
func windowsZone(name string) (string, bool) {
	if iana, ok := winzones.IANA(name); ok {
		return iana, true
	}
	if w, ok := displayNames()[strings.ToLower(name)]; ok {
		return winzones.IANA(w)
	}
	return "", false
}

// LocationFromVTimezone builds a location from a VTIMEZONE component (RFC
// 5545 §3.6.5): its STANDARD and DAYLIGHT observances, with their DTSTART,
// RDATE and RRULE onsets, become the transitions of a TZif description
// (RFC 8536) that time.LoadLocationFromTZData reads. When the definition
// ends with one open-ended standard rule and one daylight rule of the
// "n-th weekday of month" kind, that pair becomes the POSIX TZ footer that
// governs every later year; otherwise transitions are listed up to 2200.
//
// Go has no other way to make a *time.Location with arbitrary
// transitions, and callers need one to print times in the event's zone.
func LocationFromVTimezone(c *ical.Component) (*time.Location, error) {
	tzid, _ := c.Props.Text(ical.PropTimezoneID)
	fail := func(format string, args ...any) (*time.Location, error) {
		return nil, fmt.Errorf("recur: VTIMEZONE %q: %s", tzid, fmt.Sprintf(format, args...))
	}
	if tzid == "" {
		return fail("no TZID")
	}
	type onset struct {
		at       int64 // instant of the transition
		from, to int   // offsets before and after it
		dst      bool
		name     string
	}
	type openRule struct {
		rule       Rule
		from, to   int
		clock      int64 // seconds after midnight, in the "from" offset
		dst        bool
		name       string
		startCivil int64
	}
	var onsets []onset
	var open []openRule
	lastFinite := int64(-1 << 62)
	horizon := daysFromCivil(2200, 1, 1) * secondsPerDay
	for _, ob := range c.Children {
		if ob.Name != ical.CompTimezoneStandard && ob.Name != ical.CompTimezoneDaylight {
			continue
		}
		dst := ob.Name == ical.CompTimezoneDaylight
		from, err := propOffset(ob, ical.PropTimezoneOffsetFrom)
		if err != nil {
			return fail("%s: %v", ob.Name, err)
		}
		to, err := propOffset(ob, ical.PropTimezoneOffsetTo)
		if err != nil {
			return fail("%s: %v", ob.Name, err)
		}
		name, _ := ob.Props.Text(ical.PropTimezoneName)
		dp := ob.Props.Get(ical.PropDateTimeStart)
		if dp == nil {
			return fail("%s without DTSTART", ob.Name)
		}
		// RFC 5545 §3.6.5: DTSTART of an observance is a local time (in
		// the offset before the onset), without TZID.
		sv, err := parseDateTime(strings.TrimSpace(dp.Value), nil, time.UTC)
		if err != nil {
			return fail("%s: DTSTART: %v", ob.Name, err)
		}
		startCivil := civilOf(sv.Time)
		fromLoc := time.FixedZone("", from)
		add := func(at int64) {
			onsets = append(onsets, onset{at: at, from: from, to: to, dst: dst, name: name})
		}
		add(startCivil - int64(from))
		lastFinite = max(lastFinite, startCivil-int64(from))
		for _, rp := range ob.Props.Values(ical.PropRecurrenceDates) {
			for raw := range strings.SplitSeq(rp.Value, ",") {
				v, err := parseDateTime(strings.TrimSpace(raw), nil, time.UTC)
				if err != nil {
					return fail("%s: RDATE: %v", ob.Name, err)
				}
				at := civilOf(v.Time) - int64(from)
				if !v.Floating && !v.Date {
					at = v.Time.Unix()
				}
				add(at)
				lastFinite = max(lastFinite, at)
			}
		}
		for _, rp := range ob.Props.Values(ical.PropRecurrenceRule) {
			r, err := ParseRule(rp.Value)
			if err != nil {
				return fail("%s: %v", ob.Name, err)
			}
			if r.Count == 0 && r.Until.IsZero() {
				// Expanded below, once it is known how far.
				open = append(open, openRule{rule: r, from: from, to: to, clock: startCivil - floorDiv(startCivil, secondsPerDay)*secondsPerDay,
					dst: dst, name: name, startCivil: startCivil})
				continue
			}
			it := r.Iterator(time.Unix(startCivil-int64(from), 0).In(fromLoc), 100_000)
			for {
				t, ok := it.Next()
				if !ok || t.Unix() > horizon {
					break
				}
				add(t.Unix())
				lastFinite = max(lastFinite, t.Unix())
			}
		}
	}
	// A POSIX footer for the open-ended pair, when it can be written.
	footer := ""
	cut := horizon
	if len(open) == 2 {
		a, b := open[0], open[1]
		if a.dst == b.dst {
			// Both named alike: daylight time is the larger offset.
			a.dst, b.dst = a.to > b.to, b.to > a.to
		}
		if b.dst {
			a, b = b, a
		}
		// a: into daylight time; b: back to standard time.
		ra, oka := posixRule(a.rule)
		rb, okb := posixRule(b.rule)
		if oka && okb && a.dst && !b.dst && a.from == b.to && b.from == a.to {
			footer = fmt.Sprintf("%s%s%s%s,%s/%s,%s/%s",
				posixName(b.name, b.to), posixOffset(b.to), posixName(a.name, a.to), posixOffset(a.to),
				ra, posixClock(a.clock), rb, posixClock(b.clock))
			// Explicit transitions until both rules are in force and
			// every finite onset is past, then the footer.
			y, _, _ := civilFromDays(floorDiv(max(lastFinite, a.startCivil, b.startCivil), secondsPerDay))
			cut = daysFromCivil(y+2, 1, 1) * secondsPerDay
		}
	}
	for _, o := range open {
		fromLoc := time.FixedZone("", o.from)
		it := o.rule.Iterator(time.Unix(o.startCivil-int64(o.from), 0).In(fromLoc), 100_000)
		for {
			t, ok := it.Next()
			if !ok || t.Unix() > cut {
				break
			}
			onsets = append(onsets, onset{at: t.Unix(), from: o.from, to: o.to, dst: o.dst, name: o.name})
		}
	}
	if len(onsets) == 0 {
		return fail("no STANDARD or DAYLIGHT observance")
	}
	slices.SortStableFunc(onsets, func(a, b onset) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	// Before the first onset, the offset is the one that onset leaves.
	before := onsets[0].from

	type ttype struct {
		off  int
		dst  bool
		name string
	}
	var types []ttype
	typeIndex := func(t ttype) int {
		for i, x := range types {
			if x == t {
				return i
			}
		}
		types = append(types, t)
		return len(types) - 1
	}
	beforeName := ""
	for _, o := range onsets {
		if o.to == before {
			beforeName = o.name
			break
		}
	}
	typeIndex(ttype{off: before, dst: false, name: zoneAbbrev(beforeName, before)})
	var times []int64
	var idx []byte
	times = append(times, -1<<59)
	idx = append(idx, 0)
	for _, o := range onsets {
		if o.at > cut {
			break
		}
		if len(times) > 0 && times[len(times)-1] == o.at {
			// Two observances at the same instant: the later wins.
			times, idx = times[:len(times)-1], idx[:len(idx)-1]
		}
		i := typeIndex(ttype{off: o.to, dst: o.dst, name: zoneAbbrev(o.name, o.to)})
		if i > 255 {
			return fail("too many distinct offsets")
		}
		times = append(times, o.at)
		idx = append(idx, byte(i))
	}
	var chars []byte
	nameAt := map[string]int{}
	for _, t := range types {
		if _, ok := nameAt[t.name]; !ok {
			nameAt[t.name] = len(chars)
			chars = append(chars, t.name...)
			chars = append(chars, 0)
		}
	}
	// RFC 8536: a version 2 file whose version 1 block is empty.
	var buf []byte
	header := func(timecnt, typecnt, charcnt int) {
		buf = append(buf, "TZif2"...)
		buf = append(buf, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			buf = binary.BigEndian.AppendUint32(buf, uint32(n))
		}
	}
	header(0, 0, 0)
	header(len(times), len(types), len(chars))
	for _, t := range times {
		buf = binary.BigEndian.AppendUint64(buf, uint64(t))
	}
	buf = append(buf, idx...)
	for _, t := range types {
		buf = binary.BigEndian.AppendUint32(buf, uint32(int32(t.off)))
		if t.dst {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
		buf = append(buf, byte(nameAt[t.name]))
	}
	buf = append(buf, chars...)
	buf = append(buf, '\n')
	buf = append(buf, footer...)
	buf = append(buf, '\n')
	l, err := time.LoadLocationFromTZData(tzid, buf)
	if err != nil {
		return fail("%v", err)
	}
	return l, nil
}

func propOffset(c *ical.Component, name string) (int, error) {
	p := c.Props.Get(name)
	if p == nil {
		return 0, fmt.Errorf("no %s", name)
	}
	n, err := parseUTCOffset(p.Value)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", name, err)
	}
	return n, nil
}

// posixRule writes a yearly onset rule as a POSIX TZ "Mm.w.d" date, when it
// is one: FREQ=YEARLY, one BYMONTH, and either one BYDAY with an ordinal
// 1..4 or -1, or a weekday with seven consecutive BYMONTHDAYs (the older
// "Sunday on or after the 8th" form).
func posixRule(r Rule) (string, bool) {
	if r.Freq != Yearly || max(r.Interval, 1) != 1 || len(r.ByMonth) != 1 || len(r.ByDay) != 1 ||
		r.ByYearDay != nil || r.ByWeekNo != nil || r.BySetPos != nil || r.ByHour != nil || r.ByMinute != nil || r.BySecond != nil {
		return "", false
	}
	m, w := r.ByMonth[0], r.ByDay[0]
	week := 0
	switch {
	case r.ByMonthDay == nil && w.N >= 1 && w.N <= 4:
		week = w.N
	case r.ByMonthDay == nil && w.N == -1:
		week = 5
	case w.N == 0 && len(r.ByMonthDay) == 7:
		days := slices.Clone(r.ByMonthDay)
		slices.Sort(days)
		for i := 1; i < 7; i++ {
			if days[i] != days[0]+i {
				return "", false
			}
		}
		switch {
		case days[0] == -7:
			week = 5
		case days[0] > 0 && (days[0]-1)%7 == 0 && days[0] <= 22:
			week = (days[0]-1)/7 + 1
		default:
			return "", false
		}
	default:
		return "", false
	}
	return fmt.Sprintf("M%d.%d.%d", m, week, int(w.Day)), true
}

func posixClock(sec int64) string {
	return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

// posixOffset writes a UTC offset the POSIX way: hours west of UTC.
func posixOffset(off int) string {
	sign := ""
	if off > 0 {
		sign = "-"
	}
	if off < 0 {
		off = -off
	}
	return fmt.Sprintf("%s%d:%02d:%02d", sign, off/3600, off/60%60, off%60)
}

// posixName quotes a zone abbreviation for a POSIX TZ string.
func posixName(name string, off int) string {
	return "<" + zoneAbbrev(name, off) + ">"
}

// zoneAbbrev keeps the characters of a TZNAME that a TZ string allows, or
// writes the offset ("+0530") when nothing usable is left.
func zoneAbbrev(name string, off int) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() >= 3 && b.Len() <= 16 {
		return b.String()
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	s := fmt.Sprintf("%c%02d%02d", sign, off/3600, off/60%60)
	if off%60 != 0 {
		s += strconv.Itoa(off % 60)
	}
	return s
}
