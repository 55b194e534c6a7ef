package understand

import (
	"fmt"
	"strconv"
)

// This file reads clock times, ranges of times, durations and the zones
// named after a time (R1, R7, R9, R10).

// meridiem reads "am", "pm", "a.m.", "p.m." at i.
func (p *parser) meridiem(i int) (int8, int) {
	t := p.tok(i)
	if t.kind != tkWord {
		return 0, i
	}
	switch t.text {
	case "am":
		if p.punct(i+1, '.') && p.tok(i+1).glued {
			return 1, i + 2
		}
		return 1, i + 1
	case "pm":
		if p.punct(i+1, '.') && p.tok(i+1).glued {
			return 2, i + 2
		}
		return 2, i + 1
	case "a", "p":
		// "a.m." and "p.m.": a . m .
		if p.punct(i+1, '.') && p.w(i+2, "m") && p.tok(i+2).glued {
			j := i + 3
			if p.punct(j, '.') {
				j++
			}
			if t.text == "a" {
				return 1, j
			}
			return 2, j
		}
	}
	return 0, i
}

// timeCtx reports whether the word before i introduces a time, so that a
// bare number there is an hour ("at 3", "vers 5", "from 10").
func (p *parser) timeCtx(i int) bool {
	t := p.tok(i - 1)
	if t.kind == tkPunct {
		return t.text == "@"
	}
	switch t.text {
	case "at", "around", "about", "vers", "a", "by", "from", "between", "until", "till", "after", "before", "apres", "avant",
		"entre", "des", "say", "circa", "de", "jusqu", "to", "and", "et", "ou", "or", "starting":
		return true
	}
	return false
}

// clock reads a clock time at i. It returns the time and the index after
// it (and after a zone or a "du soir" that follows).
func (p *parser) clock(i int) (clk, int, bool) {
	t := p.tok(i)
	var c clk
	j := i
	switch {
	case t.kind == tkNum && t.ndig <= 2:
		h := int(t.num)
		c.h = h
		c.zero = t.ndig == 2 && t.text[0] == '0'
		switch {
		case p.punct(i+1, ':') && p.tok(i+1).glued && p.tok(i+2).kind == tkNum && p.tok(i+2).glued && p.tok(i+2).ndig == 2:
			// 14:30, 9:15
			c.m = int(p.tok(i + 2).num)
			j = i + 3
			if p.punct(j, ':') && p.tok(j+1).kind == tkNum && p.tok(j+1).ndig == 2 { // seconds
				j += 2
			}
		case p.punct(i+1, '.') && p.tok(i+1).glued && p.tok(i+2).kind == tkNum && p.tok(i+2).glued && p.tok(i+2).ndig == 2:
			// 9.30am: the dotted form needs a meridiem
			if m, k := p.meridiem(i + 3); m != 0 {
				c.m = int(p.tok(i + 2).num)
				c.mer = m
				j = k
			} else {
				return c, i, false
			}
		case p.w(i+1, "h") && !p.dateAhead(i+2):
			// 15h, 15h30, 15 h 30
			c.frH = true
			j = i + 2
			if n := p.tok(j); n.kind == tkNum && n.ndig <= 2 && n.num < 60 && !p.punct(j+1, '/') && !p.w(j+1, "h") && !p.has(j+1, cUnit) {
				c.m = int(n.num)
				j++
			}
			j = p.frMinutes(j, &c)
		case p.wAny(i+1, "heure", "heures") && p.frTimeCtx(i, i+2):
			j = i + 2
			if n := p.tok(j); n.kind == tkNum && n.ndig <= 2 && n.num < 60 {
				c.m = int(n.num)
				j++
			}
			c.frH = true
			j = p.frMinutes(j, &c)
		case p.w(i+1, "o") && p.w(i+2, "clock"):
			j = i + 3
		default:
			if m, k := p.meridiem(i + 1); m != 0 {
				c.mer = m
				j = k
			} else if p.timeCtx(i) && h <= 24 && !p.notHourAfter(i+1) {
				j = i + 1
			} else {
				return c, i, false
			}
		}
		if c.mer == 0 {
			if m, k := p.meridiem(j); m != 0 {
				c.mer, j = m, k
			}
		}
	case t.kind == tkWord && t.lex.has(cNoon):
		if t.hyph && p.wAny(i-1, "apres", "l") {
			return c, i, false // "après-midi" is a part of the day
		}
		c.h, c.noon = 12, true
		j = p.frMinutes(i+1, &c)
		if c.m != 0 || c.h != 12 {
			c.noon = false
		}
	case t.kind == tkWord && t.lex.has(cMidnight):
		c.h, c.midnight = 0, true
		j = i + 1
	case t.kind == tkWord && t.lex.has(cHalf) && t.text == "half":
		// "half nine" (9:30), "half past 10", "half 2"
		k := i + 1
		past := p.wAny(k, "past", "after")
		if past {
			k++
		}
		h, kk, ok := p.number(k)
		if !ok || h < 1 || h > 12 {
			return c, i, false
		}
		c.h, c.m, j = h, 30, kk
	case t.kind == tkWord && t.lex.has(cQuarter) && t.text == "quarter":
		k := i + 1
		to := false
		switch {
		case p.wAny(k, "past", "after"):
		case p.wAny(k, "to", "before", "til", "till"):
			to = true
		default:
			return c, i, false
		}
		h, kk, ok := p.number(k + 1)
		if !ok || h < 1 || h > 12 {
			return c, i, false
		}
		c.h, c.m, j = h, 15, kk
		if to {
			c.h, c.m = h-1, 45
			if c.h == 0 {
				c.h = 12
			}
		}
	case t.kind == tkWord && t.lex.has(cNumWord) && t.text != "a" && t.text != "an" && t.text != "un" && t.text != "une":
		h, k, ok := p.number(i)
		if !ok || h > 24 {
			return c, i, false
		}
		c.h = h
		switch {
		case p.wAny(k, "heure", "heures") && p.frTimeCtx(i, k+1):
			c.frH = true
			j = p.frMinutes(k+1, &c)
		case p.w(k, "o") && p.w(k+1, "clock"):
			j = k + 2
		case p.timeCtx(i) && (p.lang != French) && h >= 1 && h <= 12 && !p.notHourAfter(k) && (p.w(i-1, "at") || p.w(i-1, "around")):
			j = k
		default:
			if m, kk := p.meridiem(k); m != 0 {
				c.mer, j = m, kk
			} else {
				return c, i, false
			}
		}
	default:
		return c, i, false
	}
	if !c.noon && !c.midnight && (c.h > 24 || c.m > 59 || c.h == 24 && c.m > 0) {
		return c, i, false
	}
	if c.mer != 0 && (c.h == 0 || c.h > 12) {
		return c, i, false
	}
	c.set = true
	j = p.timeTail(j, &c)
	if z, jj := p.zoneAt(j); z != "" {
		c.zone, j = z, jj
	}
	return c, j, true
}

// notHourAfter reports whether the token at i shows that the number before it
// is not an hour ("at 3 people", "at 2 weeks", "at 5/7").
func (p *parser) notHourAfter(i int) bool {
	t := p.tok(i)
	switch {
	case t.kind == tkWord:
		l := t.lex
		return l.has(cUnit|cMonth|cMonthAbbr|cCount) || t.text == "people" || t.text == "personnes" || t.text == "percent" || t.glued && !l.has(cMeridiem) && t.text != "h"
	case t.kind == tkPunct:
		return (t.text == "/" || t.text == "%" || t.text == "." || t.text == ",") && p.tok(i+1).kind == tkNum && p.tok(i+1).glued
	case t.kind == tkNum:
		return t.glued
	}
	return false
}

// dateAhead reports whether the tokens at i continue a date ("15h" could not
// be followed by "/"); used to refuse "h" readings inside other words.
func (p *parser) dateAhead(i int) bool {
	return p.punct(i, '/')
}

// frTimeCtx decides whether "N heures" at [i, k) is a time ("à deux heures",
// "à 10 heures", "deux heures de l'après-midi") rather than a duration.
func (p *parser) frTimeCtx(i, k int) bool {
	if p.timeCtx(i) && !p.w(i-1, "de") && !p.w(i-1, "d") {
		return true
	}
	if p.w(k, "du") && p.wAny(k+1, "matin", "soir") || p.w(k, "de") && p.w(k+1, "l") && p.wAny(k+2, "apres", "aprem") {
		return true
	}
	if p.w(k, "et") && p.wAny(k+1, "demie", "quart") && p.timeCtx(i) {
		return true
	}
	return false
}

// frMinutes reads what may follow a French hour: "et demie", "et quart",
// "moins le quart", "moins 10", "quinze".
func (p *parser) frMinutes(j int, c *clk) int {
	switch {
	case p.w(j, "et") && p.wAny(j+1, "demi", "demie"):
		c.m = 30
		return j + 2
	case p.w(j, "et") && p.w(j+1, "quart"):
		c.m = 15
		return j + 2
	case p.w(j, "moins") && p.w(j+1, "le") && p.w(j+2, "quart"):
		c.m = 45
		c.h--
		return j + 3
	case p.w(j, "moins") && p.w(j+1, "quart"):
		c.m = 45
		c.h--
		return j + 2
	case p.w(j, "moins"):
		if n, k, ok := p.number(j + 1); ok && n > 0 && n < 60 && !p.has(k, cUnit) || ok && p.wAny(k, "minutes", "min") {
			if p.wAny(k, "minutes", "min") {
				k++
			}
			c.m = 60 - n
			c.h--
			return k
		}
	}
	if c.h < 0 {
		c.h += 24
	}
	return j
}

// timeTail reads what may follow a time: "du matin", "de l'après-midi",
// "du soir", "in the morning", "tonight", and a zone.
func (p *parser) timeTail(j int, c *clk) int {
	switch {
	case p.w(j, "du") && p.w(j+1, "matin"):
		c.force, j = 1, j+2
	case p.w(j, "du") && p.w(j+1, "soir"):
		c.force, j = 2, j+2
	case p.w(j, "de") && p.w(j+1, "l") && p.wAny(j+2, "apres", "aprem"):
		c.force, j = 2, j+3
		if p.w(j, "midi") {
			j++
		}
	case p.w(j, "in") && p.w(j+1, "the") && p.w(j+2, "morning"):
		c.force, j = 1, j+3
	case p.w(j, "in") && p.w(j+1, "the") && p.wAny(j+2, "afternoon", "evening"):
		c.force, j = 2, j+3
	case p.w(j, "at") && p.w(j+1, "night"):
		c.force, j = 2, j+2
	}
	return j
}

// zoneAt reads a zone named at i: "PT", "CET", a glued "Z", "(CET)",
// "London time", "Paris time", "heure de Paris", "Pacific", "UTC".
func (p *parser) zoneAt(i int) (string, int) {
	k := i
	paren := p.punct(k, '(')
	if paren {
		k++
	}
	t := p.tok(k)
	if t.kind != tkWord {
		return "", i
	}
	end := func(z string, j int) (string, int) {
		if paren {
			if !p.punct(j, ')') {
				return "", i
			}
			j++
		}
		return z, j
	}
	if (t.text == "utc" || t.text == "gmt") && (p.punct(k+1, '+') || p.punct(k+1, '-')) && p.tok(k+1).glued && p.tok(k+2).kind == tkNum && p.tok(k+2).glued {
		// "UTC+2", "GMT-5", "UTC+05:30", "UTC+0530"
		sign := 1
		if p.punct(k+1, '-') {
			sign = -1
		}
		n := p.tok(k + 2)
		h, m, j := int(n.num), 0, k+3
		if n.ndig == 4 {
			h, m = int(n.num)/100, int(n.num)%100
		} else if p.punct(j, ':') && p.tok(j+1).kind == tkNum && p.tok(j+1).ndig == 2 {
			m, j = int(p.tok(j+1).num), j+2
		}
		if h > 14 || m >= 60 {
			return "", i
		}
		if m == 0 {
			if h == 0 {
				return end("UTC", j)
			}
			// IANA's Etc zones count the other way: UTC+2 is Etc/GMT-2.
			name := "Etc/GMT" + map[int]string{1: "-", -1: "+"}[sign] + strconv.Itoa(h)
			return end(name, j)
		}
		return end(fixedZoneName(sign, h, m), j)
	}
	if t.lex.has(cZone) {
		switch t.text {
		case "et", "est", "ist", "pt", "ct", "mt", "cst", "mst", "edt", "pst", "pdt", "cdt", "mdt", "bst", "sgt", "hkt", "jst":
			// ordinary words or easily taken for ones: only in capitals
			if !p.upper(k) {
				return "", i
			}
		case "z":
			if !t.glued {
				return "", i
			}
		case "pacific", "eastern", "central", "mountain":
			j := k + 1
			if p.w(j, "time") || p.w(j, "standard") && p.w(j+1, "time") {
				j++
			}
			return end(t.lex.zone, j)
		}
		return end(t.lex.zone, k+1)
	}
	// "<city> time" and "heure de <city>".
	if z, j := p.city(k); z != "" && p.w(j, "time") {
		return end(z, j+1)
	}
	if t.text == "heure" && p.wAny(k+1, "de", "d") {
		if z, j := p.city(k + 2); z != "" {
			return end(z, j)
		}
	}
	return "", i
}

// city reads a city or region whose zone people name ("London", "New York",
// "Montréal") at i.
func (p *parser) city(i int) (string, int) {
	t := p.tok(i)
	if t.kind != tkWord {
		return "", i
	}
	if t.text == "new" && p.w(i+1, "york") {
		return "America/New_York", i + 2
	}
	if t.text == "los" && p.w(i+1, "angeles") || t.text == "san" && p.w(i+1, "francisco") {
		return "America/Los_Angeles", i + 2
	}
	if z, ok := cities[t.text]; ok {
		return z, i + 1
	}
	return "", i
}

// fixedZoneName names a fixed offset that no IANA zone has ("UTC+05:30");
// loadZone turns the name back into a fixed zone.
func fixedZoneName(sign, h, m int) string {
	c := "+"
	if sign < 0 {
		c = "-"
	}
	return fmt.Sprintf("UTC%s%02d:%02d", c, h, m)
}

var cities = map[string]string{
	"london": "Europe/London", "londres": "Europe/London", "paris": "Europe/Paris", "france": "Europe/Paris",
	"berlin": "Europe/Berlin", "madrid": "Europe/Madrid", "rome": "Europe/Rome", "brussels": "Europe/Brussels",
	"bruxelles": "Europe/Brussels", "geneva": "Europe/Zurich", "geneve": "Europe/Zurich", "zurich": "Europe/Zurich",
	"dublin": "Europe/Dublin", "lisbon": "Europe/Lisbon", "lisbonne": "Europe/Lisbon", "amsterdam": "Europe/Amsterdam",
	"montreal": "America/Toronto", "quebec": "America/Toronto", "toronto": "America/Toronto", "chicago": "America/Chicago",
	"denver": "America/Denver", "seattle": "America/Los_Angeles", "vancouver": "America/Vancouver", "boston": "America/New_York",
	"singapore": "Asia/Singapore", "singapour": "Asia/Singapore", "tokyo": "Asia/Tokyo", "india": "Asia/Kolkata",
	"inde": "Asia/Kolkata", "mumbai": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "delhi": "Asia/Kolkata",
	"sydney": "Australia/Sydney", "dubai": "Asia/Dubai", "utc": "UTC", "gmt": "UTC",
}

// timeRange reads "between 2 and 4pm", "from 10 to 11:30", "2-3pm",
// "de 14h à 16h", "entre 10h et midi", "10:30-11:15" at i (R9).
func (p *parser) timeRange(i int) (clk, clk, string, int, bool) {
	k := i
	lead := p.wAny(k, "between", "from", "entre", "de", "des")
	if lead {
		k++
	}
	a, k2, ok := p.clock(k)
	bare := false
	if !ok {
		// a bare first hour: "2-3pm", "between 2 and 4pm", "from 10 to 11:30"
		t := p.tok(k)
		if n, kk, ok2 := p.number(k); ok2 && n >= 0 && n <= 24 && (t.kind == tkNum && t.ndig <= 2 || lead && t.kind == tkWord) {
			a = clk{h: n, set: true, zero: t.kind == tkNum && t.ndig == 2 && t.text[0] == '0'}
			k2, bare = kk, true
		} else {
			return clk{}, clk{}, "", i, false
		}
	}
	sep := k2
	switch {
	case p.punct(sep, '-'):
		sep++
	case p.wAny(sep, "to", "till", "until", "a", "au", "jusqu", "and", "et", "thru", "through"):
		if p.w(sep, "jusqu") && p.wAny(sep+1, "a", "au") {
			sep++
		}
		sep++
		if !lead && !p.punct(k2-1, '-') && (p.wAny(sep-1, "and", "et")) {
			return clk{}, clk{}, "", i, false
		}
	default:
		return clk{}, clk{}, "", i, false
	}
	b, j, ok := p.clock(sep)
	if !ok {
		n, jj, ok2 := p.number(sep)
		t := p.tok(sep)
		if !ok2 || n > 24 || t.kind != tkNum && !lead || p.notHourAfter(jj) {
			return clk{}, clk{}, "", i, false
		}
		if bare && !lead {
			return clk{}, clk{}, "", i, false // "3-4" alone is not a time
		}
		b = clk{h: n, set: true, zero: t.kind == tkNum && t.ndig == 2 && t.text[0] == '0'}
		j = jj
		if m, jm := p.meridiem(j); m != 0 {
			b.mer, j = m, jm
		}
		j = p.timeTail(j, &b)
	}
	if bare && !lead && b.mer == 0 && !b.frH && !a.frH {
		return clk{}, clk{}, "", i, false
	}
	// R9: the meridiem of the end applies to the start when it fits.
	if a.mer == 0 && b.mer != 0 && !a.zero && a.h <= 12 && a.h > 0 {
		cand := a
		cand.mer = b.mer
		if hourOf(cand) <= hourOf(b) {
			a.mer = b.mer
		}
	}
	if a.force == 0 {
		a.force = b.force
	}
	z, j2 := p.zoneAt(j)
	return a, b, z, j2, true
}

// hourOf returns minutes after midnight of a clock with a written meridiem.
func hourOf(c clk) int {
	h := c.h
	if c.mer == 1 && h == 12 {
		h = 0
	}
	if c.mer == 2 && h < 12 {
		h += 12
	}
	return h*60 + c.m
}

// duration reads a meeting length at i (R10): "30 minutes", "an hour and a
// half", "1h30" (after "for", "pour", "de"...), "une heure et quart", "trois
// quarts d'heure", "une vingtaine de minutes", "45-minute".
func (p *parser) duration(i int) (int, int, bool) {
	t := p.tok(i)
	k := i
	// "half an hour", "a half hour", "une demi-heure", "une demie heure"
	if p.wAny(k, "a", "une", "un") && p.wAny(k+1, "half", "demi", "demie") && p.wAny(k+2, "hour", "heure") {
		return 30, k + 3, true
	}
	if p.w(k, "half") && p.wAny(k+1, "an", "a") && p.w(k+2, "hour") {
		return 30, k + 3, true
	}
	if p.wAny(k, "demi", "demie") && p.w(k+1, "heure") {
		return 30, k + 2, true
	}
	// "un quart d'heure", "trois quarts d'heure"
	if n, kk, ok := p.number(k); ok && p.wAny(kk, "quart", "quarts") && p.w(kk+1, "d") && p.w(kk+2, "heure") {
		return 15 * n, kk + 3, true
	}
	if p.w(k, "quart") && p.w(k+1, "d") && p.w(k+2, "heure") {
		return 15, k + 3, true
	}
	// "une vingtaine de minutes": approximate (R10)
	if p.wAny(k, "une", "a") {
		if n, ok := approx[p.tok(k+1).text]; ok && p.wAny(k+2, "de", "d") && p.has(k+3, cUnit) && p.lx(k+3).unit == uMinute {
			return n, k + 4, true
		}
	}
	// N unit, N.N unit, "an hour", "1h30"
	n, kk, ok := p.number(k)
	article := false
	if !ok && p.wAny(k, "a", "an", "one") {
		n, kk, ok, article = 1, k+1, true, true
	}
	if !ok {
		return 0, i, false
	}
	frac := 0
	if p.punct(kk, '.') || p.punct(kk, ',') {
		if f := p.tok(kk + 1); f.kind == tkNum && f.glued && p.tok(kk).glued && f.ndig == 1 {
			frac = int(f.num)
			kk += 2
		}
	}
	u := p.lx(kk)
	if u == nil || u.cat&cUnit == 0 {
		// "1h30", "2h" as lengths: only where a length is expected
		if p.w(kk, "h") && t.kind == tkNum && !article && p.durCtx(i) {
			m := n * 60
			j := kk + 1
			if f := p.tok(j); f.kind == tkNum && f.ndig == 2 && f.glued && f.num < 60 {
				m += int(f.num)
				j++
			}
			return m, j, true
		}
		return 0, i, false
	}
	var base int
	switch u.unit {
	case uMinute:
		base = 1
	case uHour:
		base = 60
		if (p.tok(kk).text == "heure" || p.tok(kk).text == "heures") && p.frTimeCtx(i, kk+1) {
			return 0, i, false
		}
	default:
		return 0, i, false
	}
	m := n*base + frac*base/10
	j := kk + 1
	if base == 60 {
		// "an hour and a half", "une heure et demie", "une heure et quart",
		// "1 hour 30", "an hour and 15 minutes"
		switch {
		case p.w(j, "and") && p.w(j+1, "a") && p.w(j+2, "half"):
			m, j = m+30, j+3
		case p.w(j, "et") && p.wAny(j+1, "demi", "demie"):
			m, j = m+30, j+2
		case p.w(j, "et") && p.w(j+1, "quart"):
			m, j = m+15, j+2
		case p.w(j, "and") && p.w(j+1, "a") && p.w(j+2, "quarter"):
			m, j = m+15, j+3
		default:
			jj := j
			if p.wAny(jj, "and", "et") {
				jj++
			}
			if f := p.tok(jj); f.kind == tkNum && f.num < 60 {
				if p.has(jj+1, cUnit) && p.lx(jj+1).unit == uMinute {
					m, j = m+int(f.num), jj+2
				} else if jj == j && !p.has(jj+1, cUnit) {
					m, j = m+int(f.num), jj+1
				}
			}
		}
	}
	if m <= 0 || m > 24*60*7 {
		return 0, i, false
	}
	return m, j, true
}

var approx = map[string]int{"dizaine": 10, "quinzaine": 15, "vingtaine": 20, "trentaine": 30, "quarantaine": 40, "cinquantaine": 50, "soixantaine": 60}

// durCtx reports whether a length is expected at i: "for 1h30", "pour 2h",
// "de 2h", "d'1h", "durée 1 h", "pendant 2h".
func (p *parser) durCtx(i int) bool {
	switch p.tok(i - 1).text {
	case "for", "pour", "pendant", "de", "d", "duree", "durant", "environ", "about", "lasting", "takes", "prevoir", "prevois", "faut":
		return true
	}
	return false
}
