package understand

import "time"

// This file reads calendar days and spans of days (R2-R6, R12, R13).

// recentDays is how far back a passed month-day counts as "recently passed"
// and so ambiguous with this year (R3).
const recentDays = 90

// weekdayAt reads a weekday name at i. Abbreviations ("Mon", "Thu", "mar.")
// count only in company that shows they are weekdays: a number or another
// weekday next to them, or "on", "every", "next" before them; "Mon" in
// "Mon vol atterrit" is a French possessive.
func (p *parser) weekdayAt(i int) (int, bool) {
	t := p.tok(i)
	if t.kind != tkWord || t.lex == nil {
		return 0, false
	}
	l := t.lex
	if l.cat&cWeekday != 0 {
		return int(l.wd), true
	}
	if l.cat&cWeekdayAbbr == 0 {
		return 0, false
	}
	frAbbr := len(t.text) == 3 && (t.text == "lun" || t.text == "mar" || t.text == "mer" || t.text == "jeu" || t.text == "ven" || t.text == "sam" || t.text == "dim")
	next := p.tok(i + 1)
	if frAbbr {
		return int(l.wd), next.kind == tkPunct && next.text == "." && p.tok(i+2).kind == tkNum
	}
	if p.lang == French && t.text == "mon" {
		return 0, false
	}
	switch {
	case next.kind == tkNum, next.kind == tkPunct && (next.text == "." || next.text == "," || next.text == "-" || next.text == "/" || next.text == "&"):
		return int(l.wd), true
	case p.has(i+1, cWeekday|cWeekdayAbbr) && p.tok(i+1).hyph:
		return int(l.wd), true
	case p.wAny(i+1, "and", "or", "to", "through"):
		_, ok := p.weekdayFull(i + 2)
		return int(l.wd), ok || p.has(i+2, cWeekdayAbbr)
	case p.wAny(i-1, "on", "every", "next", "this", "and", "or", "each", "till", "until", "to", "from"):
		return int(l.wd), true
	}
	return 0, false
}

func (p *parser) weekdayFull(i int) (int, bool) {
	if l := p.lx(i); l.has(cWeekday) {
		return int(l.wd), true
	}
	return 0, false
}

// monthAt reads a month name at i ("march", "mars", "déc.", "Sept").
// "May" and "March" are verbs too: they need a day number beside them,
// which the callers check (mustNum).
func (p *parser) monthAt(i int) (int, int, bool, bool) {
	t := p.tok(i)
	if t.kind != tkWord || t.lex == nil || t.lex.cat&(cMonth|cMonthAbbr) == 0 {
		return 0, i, false, false
	}
	j := i + 1
	if t.lex.cat&cMonthAbbr != 0 && p.punct(j, '.') && p.tok(j).glued {
		j++
	}
	weak := t.lex.abbr
	if t.lex.cat&cMonth == 0 && p.lang == French && t.text == "mar" {
		weak = true
	}
	return int(t.lex.mon), j, true, weak
}

// resolveMonthDay resolves a month-day without a year (R3): the next
// occurrence on or after today, else next year; a date passed within the
// last recentDays is ambiguous with this year.
func (p *parser) resolveMonthDay(m, d, y int, hasYear bool) (day, day, bool, bool) {
	if hasYear {
		if !validDate(y, time.Month(m), d) {
			return 0, 0, false, false
		}
		return mkday(y, time.Month(m), d), 0, false, true
	}
	ty, _, _ := p.today.date()
	if !validDate(ty, time.Month(m), d) && !validDate(ty+1, time.Month(m), d) {
		return 0, 0, false, false
	}
	if validDate(ty, time.Month(m), d) {
		if dd := mkday(ty, time.Month(m), d); dd >= p.today {
			return dd, 0, false, true
		} else if validDate(ty+1, time.Month(m), d) {
			nd := mkday(ty+1, time.Month(m), d)
			return nd, dd, p.today-dd <= recentDays, true
		}
	}
	for y := ty + 1; y < ty+9; y++ { // 29 February
		if validDate(y, time.Month(m), d) {
			return mkday(y, time.Month(m), d), 0, false, true
		}
	}
	return 0, 0, false, false
}

// resolveDayOfMonth resolves a day of the month alone (R3): this month if
// the day is not past, otherwise the next month that has that day; when a
// month without that day was skipped, the clamped day of the next month is
// the alternative ("le 30" said on 31 January: 30 March, or 28 February).
func (p *parser) resolveDayOfMonth(d int) (day, day, bool, bool) {
	if d < 1 || d > 31 {
		return 0, 0, false, false
	}
	y, m, td := p.today.date()
	if d >= td && validDate(y, m, d) {
		return mkday(y, m, d), 0, false, true
	}
	first := true
	for k := 1; k <= 12; k++ {
		ny, nm := y, m+time.Month(k)
		for nm > 12 {
			nm -= 12
			ny++
		}
		if validDate(ny, nm, d) {
			if !first {
				// alternative: the day clamped into the month skipped
				sy, sm := y, m+1
				if sm > 12 {
					sm, sy = 1, sy+1
				}
				return mkday(ny, nm, d), mkday(sy, sm, daysIn(sy, sm)), true, true
			}
			return mkday(ny, nm, d), 0, false, true
		}
		first = false
	}
	return 0, 0, false, false
}

// dayGuard reports whether the number at i reads as a time or a length
// rather than a day of the month ("Friday 2-3pm", "lundi 9h", "Monday 9:00").
func (p *parser) notADay(i int) bool {
	n := p.tok(i + 1)
	switch {
	case n.kind == tkPunct && (n.text == ":" || n.text == "-" || n.text == "/" || n.text == "." && p.tok(i+2).kind == tkNum && p.tok(i+2).glued):
		return true
	case n.kind == tkWord && (n.text == "h" || n.lex.has(cMeridiem|cUnit|cCount) || n.text == "heure" || n.text == "heures" || n.text == "o"):
		return true
	case n.kind == tkWord && (n.text == "a" || n.text == "p") && p.punct(i+2, '.'):
		return true
	}
	return false
}

// isoDate reads "2026-04-14" and "2026-03-20T14:00Z".
func (p *parser) isoDate(i int) int {
	t := p.tok(i)
	if t.kind != tkNum || t.ndig != 4 || !p.punct(i+1, '-') || p.tok(i+2).kind != tkNum || !p.punct(i+3, '-') || p.tok(i+4).kind != tkNum {
		return i
	}
	if !p.tok(i+1).glued || !p.tok(i+2).glued || !p.tok(i+4).glued {
		return i
	}
	y, m, d := int(t.num), int(p.tok(i+2).num), int(p.tok(i+4).num)
	j := i + 5
	a := atom{kind: aDate, i: i, hasYear: true, wd: -1, spec: 2}
	if !validDate(y, time.Month(m), d) {
		a.invalid = true
	} else {
		a.d = mkday(y, time.Month(m), d)
	}
	// "T14:00" glued, then "Z"
	if p.w(j, "t") && p.tok(j).glued && p.tok(j+1).kind == tkNum && p.tok(j+1).glued && p.punct(j+2, ':') {
		c := clk{h: int(p.tok(j + 1).num), set: true, zero: true}
		k := j + 3
		if p.tok(k).kind == tkNum {
			c.m = int(p.tok(k).num)
			k++
		}
		if p.punct(k, ':') && p.tok(k+1).kind == tkNum {
			k += 2
		}
		if z, kk := p.zoneAt(k); z != "" {
			c.zone, k = z, kk
		}
		a.j = j
		p.atoms = append(p.atoms, a)
		p.atoms = append(p.atoms, atom{kind: aTime, i: j, j: k, tm: c, wd: -1, spec: 2})
		return k
	}
	a.j = j
	p.atoms = append(p.atoms, a)
	return j
}

// numericDate reads "14/04", "4/5", "06/30/2026", "24.03.2026" (R12): French
// is always day/month; English a/b with both at most 12 is month/day in an
// America/* zone and day/month elsewhere, and ambiguous.
func (p *parser) numericDate(i int) int {
	t := p.tok(i)
	if t.kind != tkNum || t.ndig > 2 || p.tok(i).glued && p.tok(i-1).kind == tkNum {
		return i
	}
	sep := p.tok(i + 1)
	if sep.kind != tkPunct || (sep.text != "/" && sep.text != ".") || !sep.glued {
		return i
	}
	b := p.tok(i + 2)
	if b.kind != tkNum || !b.glued || b.ndig > 2 {
		return i
	}
	j := i + 3
	y, hasYear := 0, false
	if p.punct(j, sep.text[0]) && p.tok(j).glued && p.tok(j+1).kind == tkNum && p.tok(j+1).glued {
		yt := p.tok(j + 1)
		switch yt.ndig {
		case 4:
			y, hasYear = int(yt.num), true
		case 2:
			y, hasYear = 2000+int(yt.num), true
		default:
			return i
		}
		j += 2
	} else if sep.text == "." {
		return i // "24.03" alone reads as a decimal
	}
	if p.punct(j, '/') || p.has(j, cUnit) && p.lx(j).unit == uHour && p.w(j, "hour") {
		return i // "1/2/3/4", "1/2 hour"
	}
	x, z := int(t.num), int(b.num)
	d, m := x, z // day/month
	a := atom{kind: aDate, i: i, j: j, hasYear: hasYear, wd: -1, spec: 2}
	if sep.text == "/" && p.lang != French {
		switch {
		case x > 12 && z <= 12:
		case z > 12 && x <= 12:
			d, m = z, x
		case x <= 12 && z <= 12:
			if p.america {
				d, m = z, x
			}
			a.altRule, a.altWhy = "R12", "a/b with both numbers at most 12"
		}
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return i
	}
	dd, alt, amb, ok := p.resolveMonthDay(m, d, y, hasYear)
	if !ok {
		a.invalid = true
	} else {
		a.d = dd
		if a.altRule != "" {
			// the other order
			if ad, _, _, ok2 := p.resolveMonthDay(d, m, y, hasYear); ok2 && d <= 12 {
				a.alt = ad
			} else {
				a.altRule = ""
			}
		} else if amb {
			a.alt, a.altRule, a.altWhy = alt, "R3", "a recently passed date: this year"
		}
	}
	p.atoms = append(p.atoms, a)
	return j
}

// monthDay reads "20 March [2026]", "March 20th[, 2026]", "le 1er mai", "the
// 2nd of April", "Monday, March 23rd", "jeudi le 3 décembre". It does not
// append; it returns month, day, year and the end.
func (p *parser) monthDay(i int) (m, d, y int, hasYear bool, wd int, j int, ok bool) {
	k := i
	wd = -1
	if p.wAny(k, "the", "le", "l", "on") {
		k++
	}
	if w, okw := p.weekdayAt(k); okw {
		kk := k + 1
		if p.punct(kk, ',') {
			kk++
		}
		kk = p.skipWords(kk, "the", "le")
		if _, _, _, isDay := p.dayNumber(kk); isDay {
			wd, k = w, kk
		} else if _, _, okm, _ := p.monthAt(kk); okm {
			wd, k = w, kk
		}
	}
	// DAY [of|de] MONTH
	if dn, kk, _, okd := p.dayNumber(k); okd {
		if p.wAny(kk, "of", "de") {
			kk++
		}
		if mm, k2, okm, _ := p.monthAt(kk); okm {
			m, d, j = mm, dn, k2
			if yy, k3, oky := p.year(j); oky {
				y, hasYear, j = yy, true, k3
			}
			return m, d, y, hasYear, wd, j, true
		}
	}
	// MONTH DAY
	if mm, kk, okm, _ := p.monthAt(k); okm {
		if dn, k2, _, okd := p.dayNumber(kk); okd && (!p.notADay(kk) || p.punct(kk+1, '-')) && !(p.tok(kk).kind == tkNum && p.punct(k2, ':')) {
			m, d, j = mm, dn, k2
			jj := j
			if p.punct(jj, ',') {
				jj++
			}
			if yy, k3, oky := p.year(jj); oky {
				y, hasYear, j = yy, true, k3
			}
			return m, d, y, hasYear, wd, j, true
		}
	}
	return 0, 0, 0, false, -1, i, false
}

// monthDate appends the date read by monthDay.
func (p *parser) monthDate(i int) int {
	m, d, y, hasYear, wd, j, ok := p.monthDay(i)
	if !ok {
		return i
	}
	a := atom{kind: aDate, i: i, j: j, hasYear: hasYear, wd: int8(wd), spec: 2}
	dd, alt, amb, valid := p.resolveMonthDay(m, d, y, hasYear)
	if !valid {
		a.invalid = true
	} else {
		a.d = dd
		if amb {
			a.alt, a.altRule, a.altWhy = alt, "R3", "a recently passed date: this year"
		}
	}
	p.atoms = append(p.atoms, a)
	return j
}

// dateRange reads a range of days: "March 18-20", "18-20 March", "du 18 au
// 20 mars", "du 29 juin au 1er juillet", "June 29 - July 1", "between June 15
// and June 17", "entre le 15 et le 17 juin", "from Monday to Wednesday", "du
// lundi au mercredi" (R2: the end is 00:00 after the last day).
func (p *parser) dateRange(i int) int {
	k := i
	lead := p.wAny(k, "from", "between", "du", "entre", "de")
	if lead {
		k++
	}
	k = p.skipWords(k, "the", "le")
	// weekday to weekday
	if w1, ok := p.weekdayAt(k); ok && !p.has(k+1, cNext|cLast) {
		s := k + 1
		and := lead && (p.w(i, "between") || p.w(i, "entre")) && p.wAny(s, "and", "et")
		if !(and || p.wAny(s, "to", "through", "till", "until", "au", "a", "thru") || p.punct(s, '-') || p.tok(s).hyph && p.has(s, cWeekday|cWeekdayAbbr)) || !lead && !p.punct(s, '-') && !p.tok(s).hyph {
			return i
		}
		if !p.tok(s).hyph {
			s++
		}
		s = p.skipWords(s, "le")
		w2, ok2 := p.weekdayAt(s)
		if !ok2 {
			return i
		}
		d1 := p.today + day((w1-p.today.weekday()+7)%7)
		if d1 == p.today {
			d1 += 7
		}
		d2 := d1 + day((w2-w1+7)%7)
		p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: s + 1, d: d1, d2: d2 + 1, wd: -1, spec: 2})
		return s + 1
	}
	// first day: with its month, or a bare day whose month comes later
	m1, d1, y1, hy1, _, k1, ok := p.monthDay(k)
	if !ok {
		dn, kk, _, okd := p.dayNumber(k)
		if !okd || p.notADay(k) && !p.punct(k+1, '-') {
			return i
		}
		d1, k1 = dn, kk
	}
	s := k1
	switch {
	case p.punct(s, '-'):
		s++
	case p.wAny(s, "to", "through", "till", "until", "au", "thru"):
		s++
	case lead && p.wAny(s, "and", "et", "a"):
		s++
	default:
		return i
	}
	s = p.skipWords(s, "the", "le")
	m2, d2, y2, hy2, _, k2, ok2 := p.monthDay(s)
	if !ok2 {
		dn, kk, _, okd := p.dayNumber(s)
		if !okd || m1 == 0 || p.notADay(s) {
			return i
		}
		m2, d2, y2, hy2, k2 = m1, dn, y1, hy1, kk
		if yy, k3, oky := p.year(k2); oky {
			y2, hy2, k2 = yy, true, k3
			if !hy1 {
				y1, hy1 = yy, true
			}
		}
	}
	if m1 == 0 {
		m1, y1, hy1 = m2, y2, hy2
	}
	// resolve the end first when the start borrowed its month
	var from, to day
	if hy1 {
		if !validDate(y1, time.Month(m1), d1) {
			return p.invalidSpan(i, k2)
		}
		from = mkday(y1, time.Month(m1), d1)
	} else {
		f, _, _, v := p.resolveMonthDay(m1, d1, 0, false)
		if !v {
			return p.invalidSpan(i, k2)
		}
		from = f
	}
	fy, _, _ := from.date()
	if !hy2 {
		y2 = fy
	}
	if !validDate(y2, time.Month(m2), d2) {
		return p.invalidSpan(i, k2)
	}
	to = mkday(y2, time.Month(m2), d2)
	if to < from && !hy2 {
		to = mkday(y2+1, time.Month(m2), d2)
	}
	if to < from || to-from > 366 {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: k2, d: from, d2: to + 1, wd: -1, spec: 2})
	return k2
}

func (p *parser) invalidSpan(i, j int) int {
	p.atoms = append(p.atoms, atom{kind: aDate, i: i, j: j, invalid: true, wd: -1, spec: 2})
	return j
}

// dayOfMonth reads a day of the month alone: "the 25th", "on the 5th", "le
// 25", "le 1er", "du 26" (R3).
func (p *parser) dayOfMonth(i int) int {
	k := i
	if !p.wAny(k, "the", "le", "du") {
		return i
	}
	k++
	dn, j, ord, ok := p.dayNumber(k)
	if !ok || p.notADay(k) || p.has(j, cMonth|cMonthAbbr) || p.punct(j, '/') {
		return i
	}
	if p.w(i, "the") && !ord {
		return i // "the 25" without "th" is too weak in English
	}
	if p.tok(k).kind == tkNum && p.tok(k).ndig > 2 {
		return i
	}
	a := atom{kind: aDate, i: i, j: j, wd: -1, spec: 2}
	d, alt, amb, valid := p.resolveDayOfMonth(dn)
	if !valid {
		return i
	}
	a.d = d
	if amb {
		a.alt, a.altRule, a.altWhy = alt, "R3", "a day of the month skipped over a shorter month"
	}
	p.atoms = append(p.atoms, a)
	return j
}

// nthWeekdayOf reads "the first Monday of July", "le premier lundi de
// juillet", "le dernier vendredi du mois" (a one-off: recurrences are read
// before).
func (p *parser) nthWeekdayOf(i int) int {
	k := p.skipWords(i, "the", "le", "on")
	l := p.lx(k)
	if !l.has(cOrdinal) {
		return i
	}
	n := int(l.ord)
	wd, ok := p.weekdayAt(k + 1)
	if !ok {
		return i
	}
	j := k + 2
	if !p.wAny(j, "of", "de", "du", "in", "en", "d") {
		return i
	}
	j++
	ty, tm, _ := p.today.date()
	var y int
	var m time.Month
	switch {
	case p.w(j-1, "du") && p.w(j, "mois") || p.w(j, "the") && p.w(j+1, "month") || p.w(j, "this") && p.w(j+1, "month"):
		if p.w(j, "mois") {
			j++
		} else {
			j += 2
		}
		y, m = ty, tm
		if d, ok := nthWeekday(y, m, wd, n); !ok || d < p.today {
			m++
			if m > 12 {
				m, y = 1, y+1
			}
		}
	default:
		mm, jj, okm, _ := p.monthAt(j)
		if !okm {
			return i
		}
		j = jj
		m = time.Month(mm)
		y = ty
		if yy, k3, oky := p.year(j); oky {
			y, j = yy, k3
		} else if d, ok := nthWeekday(y, m, wd, n); !ok || d < p.today {
			y++
		}
	}
	d, ok := nthWeekday(y, m, wd, n)
	a := atom{kind: aDate, i: i, j: j, wd: -1, spec: 2}
	if !ok {
		a.invalid = true
	} else {
		a.d = d
	}
	p.atoms = append(p.atoms, a)
	return j
}

// weekdayExpr reads the weekday expressions of R4: "Friday", "this Friday",
// "next Friday", "vendredi prochain", "last Friday", "vendredi dernier",
// "vendredi en huit", "jeudi en quinze", "Tuesday week", "a week on Friday",
// "a week from Friday", "Friday the 20th", "lundi 23".
func (p *parser) weekdayExpr(i int) int {
	today := p.today
	tw := today.weekday()
	coming := func(wd int) day { // the first one strictly after today
		n := (wd - tw + 7) % 7
		if n == 0 {
			n = 7
		}
		return today + day(n)
	}
	this := func(wd int) day { return today + day((wd-tw+7)%7) }

	// "a week on Friday", "a week from Friday"
	if p.wAny(i, "a", "one") && p.w(i+1, "week") {
		k := i + 2
		from := p.w(k, "from")
		if from || p.w(k, "on") {
			k++
		}
		if wd, ok := p.weekdayAt(k); ok {
			d := coming(wd) + 7 // "a week on Friday", "a week Thursday"
			if from {
				d = this(wd) + 7
			}
			p.atoms = append(p.atoms, atom{kind: aDate, i: i, j: k + 1, d: d, wd: -1, spec: 2})
			return k + 1
		}
		return i
	}
	k := i
	mod := ""
	switch {
	case p.has(k, cThis) && !p.w(k, "ces"):
		mod = "this"
	case p.w(k, "coming"):
		mod = "coming"
	case p.w(k, "next"):
		mod = "next"
	case p.wAny(k, "last", "past", "previous"):
		mod = "last"
	}
	if mod != "" {
		if _, ok := p.weekdayAt(k + 1); !ok {
			return i
		}
		k++
	}
	wd, ok := p.weekdayAt(k)
	if !ok {
		return i
	}
	j := k + 1
	if mod == "" {
		switch {
		case p.wAny(j, "prochain", "prochaine", "prochains", "suivant"):
			mod, j = "prochain", j+1
		case p.wAny(j, "dernier", "derniere"):
			mod, j = "last", j+1
		case p.w(j, "en") && p.w(j+1, "huit"):
			mod, j = "huit", j+2
		case p.w(j, "en") && p.w(j+1, "quinze"):
			mod, j = "quinze", j+2
		case p.w(j, "week") && !p.tok(j+1).hyph && !p.w(j+1, "end") && p.lang != French:
			mod, j = "week", j+1
		}
	}
	a := atom{kind: aDate, i: i, wd: int8(wd), spec: 2}
	switch mod {
	case "":
		// "Friday the 20th", "lundi 23"
		kk := p.skipWords(j, "the", "le")
		if dn, k2, _, okd := p.dayNumber(kk); okd && !p.notADay(kk) && !p.has(k2, cMonth|cMonthAbbr) && p.tok(kk).ndig <= 2 &&
			!(p.tok(kk).kind == tkNum && p.timeCtx(kk) && kk == j) {
			if d, alt, amb, valid := p.resolveDayOfMonth(dn); valid {
				a.d, a.j = d, k2
				a.wd = -1
				if amb {
					a.alt, a.altRule, a.altWhy = alt, "R3", "a day of the month skipped over a shorter month"
				}
				p.atoms = append(p.atoms, a)
				return k2
			}
		}
		a.d = coming(wd)
		a.dayOnly = true
		if wd == tw {
			a.alt, a.altRule, a.altWhy = today, "R4", "a bare weekday said on that weekday: today"
		}
	case "this":
		a.d = this(wd)
	case "coming":
		a.d = coming(wd)
	case "next":
		a.d = today.monday() + 7 + day(wd)
		if wd > tw {
			a.alt, a.altRule, a.altWhy = coming(wd), "R4", "next X said while X is still ahead this week: the coming X"
		} else if a.d == today+1 {
			a.alt, a.altRule, a.altWhy = a.d+7, "R4", "next X said the day before: the one after"
		}
	case "prochain":
		a.d = coming(wd)
		if a.d < today.monday()+7 {
			a.alt, a.altRule, a.altWhy = a.d+7, "R4", "X prochain falling this week: next week's X"
		} else if a.d == today+1 {
			a.alt, a.altRule, a.altWhy = a.d+7, "R4", "X prochain said the day before: the one after"
		}
	case "last":
		n := (tw - wd + 7) % 7
		if n == 0 {
			n = 7
		}
		a.d = today - day(n)
	case "huit":
		a.d = this(wd) + 7
	case "quinze":
		a.d = this(wd) + 14
	case "week":
		a.d = coming(wd) + 7
	}
	a.j = j
	p.atoms = append(p.atoms, a)
	return j
}

// relDay reads today, tomorrow, the day after tomorrow, après-demain,
// yesterday, tonight, ce soir, this afternoon...
func (p *parser) relDay(i int) int {
	t := p.tok(i)
	if t.kind != tkWord {
		return i
	}
	add := func(d day, j int) int {
		p.atoms = append(p.atoms, atom{kind: aDate, i: i, j: j, d: d, wd: -1, spec: 2})
		return j
	}
	switch t.text {
	case "today", "2day":
		return add(p.today, i+1)
	case "aujourd":
		if p.w(i+1, "hui") {
			return add(p.today, i+2)
		}
		return add(p.today, i+1)
	case "tomorrow", "tmrw", "tmr", "tomorow", "demain":
		return add(p.today+1, i+1)
	case "yesterday", "hier":
		return add(p.today-1, i+1)
	case "tonight":
		j := add(p.today, i+1)
		p.atoms = append(p.atoms, atom{kind: aPart, i: i, j: i + 1, part: pEvening, wd: -1, spec: 1})
		return j
	case "apres":
		if p.w(i+1, "demain") {
			return add(p.today+2, i+2)
		}
	case "avant":
		if p.w(i+1, "hier") && p.tok(i+1).hyph {
			return add(p.today-2, i+2)
		}
	case "the":
		if p.w(i+1, "day") && p.w(i+2, "after") && p.w(i+3, "tomorrow") {
			return add(p.today+2, i+4)
		}
	}
	// "this afternoon", "ce soir", "cet après-midi", "ce matin"
	if t.lex.has(cThis) && t.text != "ces" {
		if pt, j := p.partAt(i + 1); pt != pNone && !p.wAny(j, "la", "là") {
			j2 := add(p.today, j)
			p.atoms = append(p.atoms, atom{kind: aPart, i: i, j: j, part: pt, wd: -1, spec: 1})
			return j2
		}
	}
	return i
}

// weekSpan reads weeks and weekends (R5): "next week", "la semaine
// prochaine", "this week", "the week after next", "early next week", "en
// début de semaine prochaine", "this weekend", "ce week-end", "next
// weekend", "le week-end prochain", "en fin de semaine", "the week of June
// 22", "la semaine du 22 juin".
func (p *parser) weekSpan(i int) int {
	k := i
	mon := p.today.monday()
	early, late := false, false
	switch {
	case p.wAny(k, "early", "debut", "beginning", "start"):
		early = true
		k++
	case p.w(k, "en") && p.wAny(k+1, "debut"):
		early = true
		k += 2
	case p.w(k, "later") && p.wAny(k+1, "this", "in") && p.wAny(k+2, "week", "the"):
		// "later this week", "later in the week": tomorrow to Sunday
		j := k + 3
		if p.w(k+2, "the") {
			j++
		}
		end := p.today.monday() + 7
		if p.today+1 >= end {
			return i
		}
		p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: j, d: p.today + 1, d2: end, wd: -1, spec: 1})
		return j
	case (p.wAny(k, "end", "fin") || p.w(k, "en") && p.w(k+1, "fin")) && p.monthEnd(k) > k:
		return p.monthEnd(k)
	case p.wAny(k, "late", "end") || p.w(k, "en") && p.w(k+1, "fin") || p.w(k, "fin"):
		late = true
		if p.w(k, "en") {
			k++
		}
		k++
	}
	if early || late {
		k = p.skipWords(k, "of", "de", "la", "the", "d")
	}
	// "the week after next"
	if p.skipWords(k, "the") != k && p.w(k+1, "week") && p.w(k+2, "after") && p.w(k+3, "next") {
		p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: k + 4, d: mon + 14, d2: mon + 21, week: true, relWeek: true, wd: -1, spec: 1})
		return k + 4
	}
	// "fin de semaine" (Québec weekend, R5)
	if late && p.w(k, "semaine") && !p.has(k+1, cNext|cLast) && !p.w(k-1, "la") && !p.w(k+1, "du") {
		sat := mon + 5
		if p.today.weekday() == 6 {
			sat -= 7
		}
		p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: k + 1, d: sat, d2: sat + 2, wd: -1, spec: 1,
			alt: mon + 3, altRule: "R5", altWhy: "fin de semaine: the end of the working week in France"})
		return k + 1
	}
	// modifiers before the noun
	mod := ""
	kk := k
	switch {
	case p.wAny(kk, "next", "coming", "following"):
		mod, kk = "next", kk+1
	case p.wAny(kk, "this", "cette", "ce", "current"):
		mod, kk = "this", kk+1
	case p.wAny(kk, "last", "past", "previous"):
		mod, kk = "last", kk+1
	case p.wAny(kk, "the", "la", "le"):
		mod, kk = "the", kk+1
		if p.wAny(kk, "prochain", "prochaine") {
			mod, kk = "next", kk+1
		}
	}
	weekend := false
	switch {
	case p.w(kk, "weekend") || p.w(kk, "weekends"):
		weekend = true
		kk++
	case p.w(kk, "week") && p.w(kk+1, "end") && p.tok(kk+1).hyph:
		weekend = true
		kk += 2
	case p.wAny(kk, "week", "semaine"):
		kk++
	default:
		return i
	}
	switch {
	case p.wAny(kk, "prochain", "prochaine", "suivante", "suivant"):
		mod, kk = "next", kk+1
	case p.wAny(kk, "derniere", "dernier", "passee", "passe"):
		mod, kk = "last", kk+1
	}
	// "the week of June 22", "la semaine du 22 juin"
	if !weekend && (mod == "the" || mod == "") && p.wAny(kk, "of", "du", "de") {
		save := len(p.atoms)
		j := p.monthDate(kk + 1)
		if j == kk+1 {
			j = p.dayOfMonth(kk)
			if j == kk {
				return i
			}
		}
		a := p.atoms[len(p.atoms)-1]
		p.atoms = p.atoms[:save]
		if a.invalid {
			return p.invalidSpan(i, j)
		}
		m := a.d.monday()
		p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: j, d: m, d2: m + 7, week: true, wd: -1, spec: 2})
		return j
	}
	if mod == "" && !weekend {
		return i
	}
	a := atom{kind: aSpan, i: i, j: kk, wd: -1, spec: 1}
	if weekend {
		sat := mon + 5
		if p.today.weekday() >= 5 {
			sat = mon + 5
		}
		switch mod {
		case "next":
			a.d, a.d2 = sat+7, sat+9
			if p.today.weekday() < 5 {
				a.alt, a.altRule, a.altWhy = sat, "R5", "next weekend said on a weekday: this weekend"
			}
		case "last":
			a.d, a.d2 = sat-7, sat-5
		default:
			a.d, a.d2 = sat, sat+2
		}
	} else {
		a.week, a.relWeek = true, true
		switch mod {
		case "next":
			a.d = mon + 7
		case "last":
			a.d = mon - 7
		default:
			a.d = mon
		}
		a.d2 = a.d + 7
		switch {
		case early:
			a.d2 = a.d + 2
			a.week = false
		case late:
			a.d, a.d2 = a.d+3, a.d+5
			a.week = false
		}
	}
	p.atoms = append(p.atoms, a)
	return kk
}

// monthEnd reads "the end of the month", "fin du mois", "en fin de mois":
// days 21 to the end of this month (or of the next, past the 21st... the
// rest of this month, from today, when today is already late in it).
func (p *parser) monthEnd(i int) int {
	k := i
	if p.w(k, "en") {
		k++
	}
	k++ // end, fin
	k = p.skipWords(k, "of", "the", "du", "de", "this", "ce")
	if !p.wAny(k, "month", "mois") || p.w(k+1, "prochain") || p.w(k+1, "next") {
		return i
	}
	y, m, d := p.today.date()
	from, to := mkday(y, m, 21), mkday(y, m, daysIn(y, m))+1
	if d > 21 {
		from = p.today
	}
	p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: k + 1, d: from, d2: to, wd: -1, spec: 1})
	return k + 1
}

// monthSpan reads a month alone after a word that makes it a time: "in
// July", "en juillet", "early July", "début juillet", "fin juin", "mid-July".
func (p *parser) monthSpan(i int) int {
	k := i
	lo, hi := 1, 31
	switch {
	case p.wAny(k, "in", "en", "during", "durant"):
		k++
	case p.wAny(k, "early", "debut", "beginning"):
		hi = 10
		k++
	case p.wAny(k, "mid", "mi"):
		lo, hi = 11, 20
		k++
	case p.wAny(k, "late", "fin", "end"):
		lo = 21
		k++
	default:
		return i
	}
	k = p.skipWords(k, "of", "de", "d")
	m, j, ok, _ := p.monthAt(k)
	if !ok {
		return i
	}
	y, tm, _ := p.today.date()
	if time.Month(m) < tm {
		y++
	}
	if yy, k3, oky := p.year(j); oky {
		y, j = yy, k3
	}
	n := daysIn(y, time.Month(m))
	if hi > n {
		hi = n
	}
	p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: j, d: mkday(y, time.Month(m), lo), d2: mkday(y, time.Month(m), hi) + 1, wd: -1, spec: 1})
	return j
}

// holidayAt reads the holidays of R13 and a few more.
func (p *parser) holidayAt(i int) int {
	t := p.tok(i)
	if t.kind != tkWord {
		return i
	}
	var h holiday
	j := i + 1
	switch {
	case t.text == "new" && p.wAny(i+1, "year", "years"):
		h, j = hNewYear, i+2
		if p.w(j, "s") {
			j++
		}
		if p.w(j, "day") {
			j++
		} else if p.w(j, "eve") {
			h, j = hNewYearEve, j+1
		}
	case t.text == "jour" && p.w(i+1, "de") && p.w(i+2, "l") && p.w(i+3, "an"):
		h, j = hNewYear, i+4
	case t.text == "nouvel" && p.w(i+1, "an"):
		h, j = hNewYear, i+2
	case (t.text == "easter" || t.text == "whit") && p.w(i+1, "monday"):
		h, j = hEasterMonday, i+2
		if t.text == "whit" {
			h = hWhitMonday
		}
	case t.text == "lundi" && p.w(i+1, "de") && p.wAny(i+2, "paques", "pentecote"):
		h, j = hEasterMonday, i+3
		if p.w(i+2, "pentecote") {
			h = hWhitMonday
		}
	case t.text == "memorial" && p.w(i+1, "day"):
		h, j = hMemorialDay, i+2
	case t.text == "christmas" && p.w(i+1, "eve"):
		h, j = hChristmasEve, i+2
	case t.text == "veille" && p.w(i+1, "de") && p.w(i+2, "noel"):
		h, j = hChristmasEve, i+3
	case t.text == "saint" && p.w(i+1, "sylvestre"):
		h, j = hNewYearEve, i+2
	case t.text == "christmas":
		h = hChristmas
		if p.w(j, "day") {
			j++
		}
	case t.lex.has(cHoliday) && t.text != "memorial" && t.text != "whit":
		h = t.lex.hol
		if t.text == "pentecote" {
			h = hWhitMonday + 100 // Sunday
		}
	default:
		return i
	}
	ty, _, _ := p.today.date()
	at := func(y int) day {
		switch h {
		case hNewYear:
			return mkday(y, 1, 1)
		case hEasterMonday:
			return easter(y) + 1
		case hWhitMonday:
			return easter(y) + 50
		case hWhitMonday + 100:
			return easter(y) + 49
		case hMemorialDay:
			d, _ := nthWeekday(y, time.May, 0, -1)
			return d
		case hHalloween:
			return mkday(y, 10, 31)
		case hToussaint:
			return mkday(y, 11, 1)
		case hChristmas:
			return mkday(y, 12, 25)
		case hChristmasEve:
			return mkday(y, 12, 24)
		case hNewYearEve:
			return mkday(y, 12, 31)
		case hEaster:
			return easter(y)
		case hAscension:
			return easter(y) + 39
		}
		return 0
	}
	a := atom{kind: aDate, i: i, j: j, holiday: true, wd: -1, spec: 2}
	d := at(ty)
	if d >= p.today {
		a.d = d
	} else {
		a.d = at(ty + 1)
		if p.today-d <= recentDays {
			a.alt, a.altRule, a.altWhy = d, "R3", "a recently passed holiday: this year"
		}
	}
	p.atoms = append(p.atoms, a)
	return j
}

// relative reads relative dates and times (R6): "in 3 days", "dans huit
// jours", "in a fortnight", "in 3 hours", "dans septante minutes", "one week
// from now", "in 2 months".
func (p *parser) relative(i int) int {
	k := i
	fromNow := false
	if !p.wAny(k, "in", "dans", "within", "over") {
		// "N units from now", "a week from now"
		n, kk, ok := p.number(k)
		if !ok && p.wAny(k, "a", "an", "one") {
			n, kk, ok = 1, k+1, true
		}
		if !ok || !p.has(kk, cUnit) || !p.w(kk+1, "from") || !p.wAny(kk+2, "now", "today") {
			return i
		}
		u := p.lx(kk).unit
		fromNow = p.w(kk+2, "now")
		return p.relAppend(i, kk+3, n, u, fromNow)
	}
	k++
	// "in the next two weeks", "dans les 15 prochains jours": from today
	if p.wAny(k, "the", "les") && (p.w(k+1, "next") || p.wAny(k+2, "prochains", "prochaines")) {
		kk := k + 2
		if p.w(k+1, "next") {
			kk = k + 2
		} else {
			kk = k + 1
		}
		n, ku, ok := p.number(kk)
		if !ok {
			n, ku = 1, kk
		}
		if p.wAny(ku, "prochains", "prochaines") {
			ku++
		}
		if p.has(ku, cUnit) && n >= 1 && n <= 366 {
			days := 0
			switch p.lx(ku).unit {
			case uDay:
				days = n
			case uWeek:
				days = 7 * n
			case uFortnight:
				days = 14 * n
			case uMonth:
				days = int(p.today.addMonths(n) - p.today)
			}
			if days > 0 {
				p.atoms = append(p.atoms, atom{kind: aSpan, i: i, j: ku + 1, d: p.today, d2: p.today + day(days), wd: -1, spec: 1})
				return ku + 1
			}
		}
	}
	// lengths first: "in half an hour", "dans une demi-heure", "in an hour and a half", "dans 90 minutes"
	if m, j, ok := p.duration(k); ok {
		p.atoms = append(p.atoms, atom{kind: aElapsed, i: i, j: j, inst: p.now.Add(time.Duration(m) * time.Minute), wd: -1, spec: 3})
		return j
	}
	// "dans une quinzaine", "dans huit jours", "dans quinze jours"
	if p.wAny(k, "une", "a") && p.w(k+1, "quinzaine") {
		j := k + 2
		if p.w(j, "de") && p.w(j+1, "jours") {
			j += 2
		}
		return p.relAppend(i, j, 14, uDay, false)
	}
	n, kk, ok := p.number(k)
	if !ok && p.w(k, "a") && p.w(k+1, "couple") && p.w(k+2, "of") {
		n, kk, ok = 2, k+3, true // "in a couple of days"
	}
	if !ok && p.wAny(k, "a", "an", "one", "un", "une") {
		n, kk, ok = 1, k+1, true
	}
	if !ok || !p.has(kk, cUnit) || n > 1000 {
		return i
	}
	u := p.lx(kk).unit
	if p.w(kk, "an") || p.w(kk, "ans") && n == 1 && p.tok(k).kind != tkNum {
		return i
	}
	return p.relAppend(i, kk+1, n, u, fromNow)
}

func (p *parser) relAppend(i, j, n int, u unit, fromNow bool) int {
	a := atom{kind: aDate, i: i, j: j, wd: -1, spec: 2, fromNow: fromNow}
	switch u {
	case uMinute, uHour:
		m := n
		if u == uHour {
			m *= 60
		}
		p.atoms = append(p.atoms, atom{kind: aElapsed, i: i, j: j, inst: p.now.Add(time.Duration(m) * time.Minute), wd: -1, spec: 3})
		return j
	case uDay:
		a.d = p.today + day(n)
		if p.lang == French && (n == 8 || n == 15) && p.tok(i+1).kind == tkWord {
			a.d = p.today + day(n-1) // "dans huit jours" = 7, "dans quinze jours" = 14 (R6)
		}
	case uWeek:
		a.d = p.today + day(7*n)
	case uFortnight:
		a.d = p.today + day(14*n)
	case uMonth:
		a.d = p.today.addMonths(n)
	case uYear:
		a.d = p.today.addMonths(12 * n)
	default:
		return i
	}
	p.atoms = append(p.atoms, a)
	if fromNow {
		p.atoms = append(p.atoms, atom{kind: aSameTime, i: i, j: j, wd: -1, spec: 2, fromNow: true})
	}
	return j
}

// sameTime reads "same time", "this time", "à la même heure", "même heure".
func (p *parser) sameTime(i int) int {
	switch {
	case p.wAny(i, "same", "this") && p.w(i+1, "time") && !p.w(i+2, "zone"):
		if p.w(i, "this") && !p.has(i+2, cRelDay|cNext) && !p.w(i+2, "next") {
			return i
		}
		p.atoms = append(p.atoms, atom{kind: aSameTime, i: i, j: i + 2, wd: -1, spec: 2})
		return i + 2
	case p.w(i, "a") && p.w(i+1, "la") && p.w(i+2, "meme") && p.w(i+3, "heure"):
		p.atoms = append(p.atoms, atom{kind: aSameTime, i: i, j: i + 4, wd: -1, spec: 2})
		return i + 4
	case p.w(i, "meme") && p.w(i+1, "heure"):
		p.atoms = append(p.atoms, atom{kind: aSameTime, i: i, j: i + 2, wd: -1, spec: 2})
		return i + 2
	}
	return i
}
