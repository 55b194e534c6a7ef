package understand

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// recurrence is a recurring meeting as read from the text; it becomes an
// RFC 5545 RRULE once its first occurrence is known.
type recurrence struct {
	freq     string // DAILY, WEEKLY, MONTHLY, YEARLY
	interval int
	days     uint8 // BYDAY, bit 0 = Monday
	setpos   int   // with MONTHLY and one day: BYDAY=1MO, -1FR
	monthday int   // BYMONTHDAY
	count    int
	until    day
	hasUntil bool
	periodN  int // "for 6 weeks": turned into COUNT or UNTIL
	periodU  unit
}

const weekdaysMask = 0b0011111

var bydayNames = [...]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// weekdayList reads "Monday", "Mon and Thu", "mardis et jeudis", "le lundi et
// le jeudi", "Tuesday, Thursday and Friday" at i.
func (p *parser) weekdayList(i int) (uint8, int) {
	var mask uint8
	k := p.skipWords(i, "on", "le", "les", "the")
	j := i
	for {
		wd, ok := p.weekdayAt(k)
		if !ok {
			break
		}
		mask |= 1 << wd
		j = k + 1
		k = j
		if p.punct(k, ',') || p.punct(k, '&') || p.punct(k, '/') || p.wAny(k, "and", "et", "or") || p.tok(k).hyph && p.has(k, cWeekday|cWeekdayAbbr) {
			if !p.tok(k).hyph || p.tok(k).kind != tkWord || !p.has(k, cWeekday|cWeekdayAbbr) {
				k++
			}
			k = p.skipWords(k, "le", "the", "on")
			continue
		}
		break
	}
	return mask, j
}

// recurrenceAt reads the start of a recurrence at i: "every other Tuesday",
// "every weekday", "tous les lundis", "toutes les deux semaines le jeudi",
// "un mardi sur deux", "twice a week on Mon and Thu", "monthly on the first
// Monday", "the third Friday of every month", "daily", "weekly sync on
// Wednesdays", "un point hebdomadaire le lundi".
func (p *parser) recurrenceAt(i int) int {
	r := recurrence{interval: 1}
	k := i
	t := p.tok(i)
	if t.kind != tkWord {
		return i
	}
	switch {
	case t.text == "every" || t.text == "each" || t.text == "chaque" || (t.text == "tous" || t.text == "toutes") && p.wAny(i+1, "les"):
		k++
		k = p.skipWords(k, "les", "the")
		if l := p.lx(k); l.has(cOrdinal) || p.tok(k).kind == tkNum && p.ordSuffix(k+1) {
			// "every 2nd Tuesday of the month", "every last Friday of the month"
			n, kk := 0, k+1
			if l.has(cOrdinal) {
				n = int(l.ord)
			} else {
				n, kk = int(p.tok(k).num), k+2
			}
			if wd, ok := p.weekdayAt(kk); ok && n != 0 && n <= 5 && p.wAny(kk+1, "of", "in") && p.wAny(kk+2, "the", "each", "every") && p.w(kk+3, "month") {
				r.freq, r.days, r.setpos = "MONTHLY", 1<<wd, n
				p.recs = append(p.recs, r)
				p.atoms = append(p.atoms, atom{kind: aRecur, i: i, j: kk + 4, rec: len(p.recs) - 1, wd: -1, spec: 1})
				return kk + 4
			}
		}
		if p.wAny(k, "other", "second") {
			r.interval, k = 2, k+1
		} else if n, kk, ok := p.number(k); ok && n > 1 && n < 100 && p.has(kk, cUnit) {
			r.interval, k = n, kk
		}
		switch {
		case p.wAny(k, "weekday", "weekdays") || p.wAny(k, "working", "business", "work") && p.wAny(k+1, "day", "days"):
			r.freq, r.days = "WEEKLY", weekdaysMask
			k++
			if p.wAny(k, "day", "days") {
				k++
			}
		case p.wAny(k, "jours", "jour") && p.wAny(k+1, "ouvres", "ouvrables", "ouvre"):
			r.freq, r.days, k = "WEEKLY", weekdaysMask, k+2
		case p.wAny(k, "jours", "jour") && p.w(k+1, "de") && p.w(k+2, "la") && p.w(k+3, "semaine"):
			r.freq, r.days, k = "WEEKLY", weekdaysMask, k+4
		case p.has(k, cUnit):
			switch p.lx(k).unit {
			case uDay:
				r.freq = "DAILY"
			case uWeek:
				r.freq = "WEEKLY"
			case uFortnight:
				r.freq, r.interval = "WEEKLY", 2
			case uMonth:
				r.freq = "MONTHLY"
			case uYear:
				r.freq = "YEARLY"
			default:
				return i
			}
			k++
		case p.has(k, cPart):
			r.freq = "DAILY" // "every morning": the part stays for the time
		default:
			mask, j := p.weekdayList(k)
			if mask == 0 {
				return i
			}
			r.freq, r.days, k = "WEEKLY", mask, j
		}
	case t.text == "daily" || t.text == "quotidien" || t.text == "quotidienne":
		r.freq, k = "DAILY", i+1
	case t.text == "weekly" || t.text == "hebdomadaire" || t.text == "hebdo":
		r.freq, k = "WEEKLY", i+1
	case t.text == "biweekly" || t.text == "fortnightly":
		r.freq, r.interval, k = "WEEKLY", 2, i+1
	case t.text == "monthly" || t.text == "mensuel" || t.text == "mensuelle":
		r.freq, k = "MONTHLY", i+1
	case (t.text == "twice" || t.lex.has(cNumWord) || t.kind == tkNum) && (p.wAny(i+1, "a", "per", "par") || p.wAny(i+1, "times", "fois") && p.wAny(i+2, "a", "per", "par")):
		kk := i + 1
		if p.wAny(kk, "times", "fois") {
			kk++
		}
		if !p.wAny(kk+1, "week", "semaine") {
			return i
		}
		r.freq, k = "WEEKLY", kk+2
	case (t.text == "un" || t.text == "une") && p.w(i+2, "sur") && p.wAny(i+3, "deux", "2"):
		if wd, ok := p.weekdayAt(i + 1); ok {
			r.freq, r.interval, r.days, k = "WEEKLY", 2, 1<<wd, i+4
		} else if p.w(i+1, "semaine") {
			r.freq, r.interval, k = "WEEKLY", 2, i+4
		} else {
			return i
		}
	default:
		// "the third Friday of every month", "le premier lundi de chaque mois"
		kk := p.skipWords(i, "the", "le", "on")
		l := p.lx(kk)
		if !l.has(cOrdinal) {
			return i
		}
		wd, ok := p.weekdayAt(kk + 1)
		if !ok || !p.wAny(kk+2, "of", "de", "du") || !(p.wAny(kk+3, "every", "each", "chaque") && p.wAny(kk+4, "month", "mois") ||
			p.w(kk+3, "tous") && p.w(kk+4, "les") && p.w(kk+5, "mois")) {
			return i
		}
		r.freq, r.days, r.setpos = "MONTHLY", 1<<wd, int(l.ord)
		k = kk + 5
		if p.w(kk+3, "tous") {
			k++
		}
	}
	// What may follow: the days, or the day of the month.
	k = p.recurTail(k, &r)
	p.recs = append(p.recs, r)
	p.atoms = append(p.atoms, atom{kind: aRecur, i: i, j: k, rec: len(p.recs) - 1, wd: -1, spec: 1})
	return k
}

// recurTail reads what completes a recurrence: "on Thursday", "le jeudi",
// "on Mon and Thu", "on the first Monday", "on the 15th", "le 15".
func (p *parser) recurTail(k int, r *recurrence) int {
	start := k
	// a noun between: "weekly sync on Wednesdays", "un point hebdomadaire le lundi"
	if r.days == 0 && p.tok(k).kind == tkWord && !p.has(k, cWeekday|cOrdinal|cGlue|cUnit) && p.wAny(k+1, "on", "le", "every") {
		k++
	}
	if p.punct(k, ',') {
		k++
	}
	kk := p.skipWords(k, "on", "le", "the", "les")
	if l := p.lx(kk); l.has(cOrdinal) && r.freq == "MONTHLY" {
		if wd, ok := p.weekdayAt(kk + 1); ok {
			r.days, r.setpos = 1<<wd, int(l.ord)
			return kk + 2
		}
	}
	if r.freq == "MONTHLY" || r.freq == "" {
		if dn, j, _, ok := p.dayNumber(kk); ok && kk > k && !p.notADay(kk) {
			r.monthday = dn
			return j
		}
	}
	if r.days == 0 && (r.freq == "WEEKLY" || r.freq == "") {
		if mask, j := p.weekdayList(k); mask != 0 {
			r.days = mask
			if r.freq == "" {
				r.freq = "WEEKLY"
			}
			return j
		}
	}
	if k > start && r.days == 0 {
		return start
	}
	return k
}

// untilAt reads the end of a series: "until June" (through 31 May),
// "until April 14", "jusqu'au 14 avril", "jusqu'en juin", "until the end of
// June", "through June 30".
func (p *parser) untilAt(i int) int {
	if !p.has(i, cUntil) {
		return i
	}
	k := i + 1
	if p.w(i, "jusqu") && p.wAny(k, "en", "au", "a", "fin") || p.w(i, "jusque") {
		if !p.w(k, "fin") {
			k++
		}
	}
	k = p.skipWords(k, "the", "le")
	end := false
	if p.wAny(k, "end", "fin") {
		end = true
		k = p.skipWords(k+1, "of", "de", "d")
	}
	save := len(p.atoms)
	if j := p.monthDate(k); j > k {
		a := p.atoms[len(p.atoms)-1]
		p.atoms = p.atoms[:save]
		if a.invalid {
			return i
		}
		p.atoms = append(p.atoms, atom{kind: aUntil, i: i, j: j, d: a.d, wd: -1})
		return j
	}
	if m, j, ok, weak := p.monthAt(k); ok && (!weak || p.lang == English || end) {
		y, tm, _ := p.today.date()
		if time.Month(m) < tm {
			y++
		}
		if yy, k3, oky := p.year(j); oky {
			y, j = yy, k3
		}
		first := mkday(y, time.Month(m), 1)
		last := first - 1
		if end {
			last = mkday(y, time.Month(m), daysIn(y, time.Month(m)))
		}
		p.atoms = append(p.atoms, atom{kind: aUntil, i: i, j: j, d: last, wd: -1})
		return j
	}
	return i
}

// periodAt reads how long a series runs: "for 6 weeks", "pendant 6
// semaines", "dure six semaines", "runs for six weeks".
func (p *parser) periodAt(i int) int {
	if !p.wAny(i, "for", "pendant", "durant", "dure", "durera", "over") {
		return i
	}
	n, k, ok := p.number(i + 1)
	if !ok || n < 1 || n > 500 || !p.has(k, cUnit) {
		return i
	}
	u := p.lx(k).unit
	if u != uDay && u != uWeek && u != uMonth && u != uYear && u != uFortnight {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aPeriod, i: i, j: k + 1, dur: n, part: part(u), wd: -1})
	return k + 1
}

// countAt reads the number of meetings of a series: "10 sessions", "four
// training sessions", "quatre séances de formation", "6 fois".
func (p *parser) countAt(i int) int {
	n, k, ok := p.number(i)
	if !ok || n < 2 || n > 500 {
		return i
	}
	for s := 0; s < 2 && p.tok(k).kind == tkWord && !p.has(k, cCount); s++ {
		k++
	}
	if !p.has(k, cCount) || p.wAny(k+1, "a", "per", "par") {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aCount, i: i, j: k + 1, dur: n, wd: -1})
	return k + 1
}

// matches reports whether day d is an occurrence of r's BYxxx parts.
func (r *recurrence) matches(d day) bool {
	switch r.freq {
	case "WEEKLY":
		return r.days == 0 || r.days&(1<<d.weekday()) != 0
	case "MONTHLY":
		y, m, dd := d.date()
		if r.setpos != 0 && r.days != 0 {
			wd := bits.TrailingZeros8(r.days)
			n, ok := nthWeekday(y, m, wd, r.setpos)
			return ok && n == d
		}
		if r.monthday != 0 {
			return dd == r.monthday
		}
		return true
	case "DAILY":
		return r.days == 0 || r.days&(1<<d.weekday()) != 0
	}
	return true
}

// rrule writes r in RFC 5545 §3.3.10 form, parts in the order of
// internal/recur's Rule.String (FREQ, UNTIL or COUNT, INTERVAL, BYDAY,
// BYMONTHDAY), once the first occurrence is known. UNTIL is a UTC
// date-time at the end of the last day when the meeting has a time (RFC
// 5545: UNTIL must then be UTC), a DATE otherwise.
func (r *recurrence) rrule(first day, timed bool, loc *time.Location) string {
	count, until, hasUntil := r.count, r.until, r.hasUntil
	if r.periodN > 0 && count == 0 && !hasUntil {
		n, u := r.periodN, unit(r.periodU)
		per := max(1, bits.OnesCount8(r.days))
		iv := max(1, r.interval)
		switch {
		case u == uWeek && r.freq == "WEEKLY":
			count = n / iv * per
		case u == uFortnight && r.freq == "WEEKLY":
			count = 2 * n / iv * per
		case u == uWeek && r.freq == "DAILY":
			count = n * 7 / iv
		case u == uDay && r.freq == "DAILY":
			count = n / iv
		case u == uMonth && r.freq == "MONTHLY":
			count = n / iv
		case u == uYear && r.freq == "YEARLY":
			count = n / iv
		default:
			switch u {
			case uDay:
				until = first + day(n) - 1
			case uWeek:
				until = first + day(7*n) - 1
			case uFortnight:
				until = first + day(14*n) - 1
			case uMonth:
				until = first.addMonths(n) - 1
			case uYear:
				until = first.addMonths(12*n) - 1
			}
			hasUntil = true
		}
	}
	var b strings.Builder
	b.WriteString("FREQ=")
	b.WriteString(r.freq)
	switch {
	case hasUntil:
		b.WriteString(";UNTIL=")
		y, m, d := until.date()
		if timed {
			t, _ := at(until, 86399, loc)
			b.WriteString(t.UTC().Format("20060102T150405Z"))
		} else {
			b.WriteString(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format("20060102"))
		}
	case count > 0:
		b.WriteString(";COUNT=")
		b.WriteString(strconv.Itoa(count))
	}
	if r.interval > 1 {
		b.WriteString(";INTERVAL=")
		b.WriteString(strconv.Itoa(r.interval))
	}
	if r.days != 0 && !(r.freq == "DAILY" && r.days == 0x7f) {
		b.WriteString(";BYDAY=")
		sep := ""
		for wd := 0; wd < 7; wd++ {
			if r.days&(1<<wd) != 0 {
				b.WriteString(sep)
				if r.setpos != 0 {
					b.WriteString(strconv.Itoa(r.setpos))
				}
				b.WriteString(bydayNames[wd])
				sep = ","
			}
		}
	}
	if r.monthday != 0 {
		b.WriteString(";BYMONTHDAY=")
		b.WriteString(strconv.Itoa(r.monthday))
	}
	return b.String()
}
