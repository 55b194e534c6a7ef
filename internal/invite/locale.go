package invite

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/convene/convene/internal/recur"
)

// Languages are the languages invitations are written in; the first is the
// fallback.
var Languages = []string{"en", "fr"}

// normLang maps a BCP 47 tag ("fr-CA", "EN_gb") to a supported language,
// or "" when it is none of them.
func normLang(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(strings.ReplaceAll(tag, "_", "-"))), "-")
	for _, l := range Languages {
		if base == l {
			return l
		}
	}
	return ""
}

// pickLang returns the first supported of the tags, else English.
func pickLang(tags ...string) string {
	for _, t := range tags {
		if l := normLang(t); l != "" {
			return l
		}
	}
	return Languages[0]
}

var (
	enDays   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	enMonths = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	frMonths = [...]string{"", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// formatDate writes a date in full: "Tuesday, March 3, 2026",
// "dimanche 1er mars 2026".
func formatDate(t time.Time, lang string) string {
	if lang == "fr" {
		day := strconv.Itoa(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return fmt.Sprintf("%s %s %s %d", frDays[t.Weekday()], day, frMonths[t.Month()], t.Year())
	}
	return fmt.Sprintf("%s, %s %d, %d", enDays[t.Weekday()], enMonths[t.Month()], t.Day(), t.Year())
}

// formatClock writes a time of day: "2:00 PM" (12:00 PM is noon), "14:00".
func formatClock(t time.Time, lang string) string {
	if lang == "fr" {
		return t.Format("15:04")
	}
	return t.Format("3:04 PM")
}

// dash separates the two ends of a range (an en dash between spaces, in
// both languages).
const dash = " – "

// formatRange writes a meeting's times in a zone: "Tuesday, March 3, 2026,
// 2:00 – 2:30 PM (Paris time)", "mardi 3 mars 2026, 14:00 – 14:30 (heure de
// Paris)", with both dates when it ends on another day.
func formatRange(start, end time.Time, loc *time.Location, tzid, lang string) string {
	s, e := start.In(loc), end.In(loc)
	var b strings.Builder
	b.WriteString(formatDate(s, lang))
	b.WriteString(", ")
	sameDay := s.Year() == e.Year() && s.YearDay() == e.YearDay()
	switch {
	case !sameDay:
		b.WriteString(formatClock(s, lang) + dash + formatDate(e, lang) + ", " + formatClock(e, lang))
	case lang == "en" && s.Format("PM") == e.Format("PM"):
		// "2:00 – 2:30 PM": the half of the day once.
		b.WriteString(s.Format("3:04") + dash + formatClock(e, lang))
	default:
		b.WriteString(formatClock(s, lang) + dash + formatClock(e, lang))
	}
	b.WriteString(" (" + zoneLabel(tzid, loc, s, lang) + ")")
	return b.String()
}

// frCities are the French names of zone cities that have one.
var frCities = map[string]string{
	"London": "Londres", "Brussels": "Bruxelles", "Lisbon": "Lisbonne", "Vienna": "Vienne",
	"Warsaw": "Varsovie", "Athens": "Athènes", "Moscow": "Moscou", "Copenhagen": "Copenhague",
	"Mexico City": "Mexico", "Sao Paulo": "São Paulo", "Algiers": "Alger", "Singapore": "Singapour",
	"Bucharest": "Bucarest", "Belgrade": "Belgrade", "Kiev": "Kiev", "Kyiv": "Kyiv", "Cairo": "Le Caire",
	"Havana": "La Havane", "New York": "New York", "Montreal": "Montréal", "Quebec": "Québec",
	"Beirut": "Beyrouth", "Jerusalem": "Jérusalem", "Tokyo": "Tokyo", "Riyadh": "Riyad",
}

// zoneLabel names a zone for people: "Paris time" / "heure de Paris", from
// the IANA name's city; offsets for zones without one ("UTC−05:00").
func zoneLabel(tzid string, loc *time.Location, at time.Time, lang string) string {
	city := tzid
	if i := strings.LastIndexByte(city, '/'); i >= 0 {
		city = city[i+1:]
	}
	city = strings.ReplaceAll(city, "_", " ")
	if tzid == "" || strings.HasPrefix(tzid, "Etc/") || !strings.Contains(tzid, "/") {
		_, off := at.In(loc).Zone()
		if off == 0 {
			return "UTC"
		}
		sign := "+"
		if off < 0 {
			sign, off = "−", -off
		}
		return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off/60%60)
	}
	if lang == "fr" {
		if fr, ok := frCities[city]; ok {
			city = fr
		}
		if r, _ := utf8.DecodeRuneInString(city); strings.ContainsRune("AEIOUÉÈÎÔ", unicode.ToUpper(r)) {
			return "heure d'" + city
		}
		return "heure de " + city
	}
	return city + " time"
}

// formatDuration writes a length of time: "30 minutes", "1 hour 30
// minutes"; "1 heure", "1 h 30".
func formatDuration(d time.Duration, lang string) string {
	mins := int(d.Round(time.Minute) / time.Minute)
	h, m := mins/60, mins%60
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	if lang == "fr" {
		switch {
		case h == 0:
			return plural(m, "minute", "minutes")
		case m == 0:
			return plural(h, "heure", "heures")
		default:
			return fmt.Sprintf("%d h %02d", h, m)
		}
	}
	switch {
	case h == 0:
		return plural(m, "minute", "minutes")
	case m == 0:
		return plural(h, "hour", "hours")
	default:
		return plural(h, "hour", "hours") + " " + plural(m, "minute", "minutes")
	}
}

// listJoin joins "a, b and c" / "a, b et c".
func listJoin(items []string, lang string) string {
	and := " and "
	if lang == "fr" {
		and = " et "
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + and + items[len(items)-1]
}

var (
	enOrdinals = map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}
	frOrdinals = map[int]string{1: "premier", 2: "deuxième", 3: "troisième", 4: "quatrième", 5: "cinquième", -1: "dernier", -2: "avant-dernier"}
)

// describeRule writes a recurrence for people ("Every 2 weeks on Monday and
// Thursday, 10 times"; "Toutes les semaines le mardi, jusqu'au mardi 30 juin
// 2026"). Rules beyond the common shapes get a generic sentence: the exact
// rule is in the calendar attachment.
func describeRule(rrule string, start time.Time, loc *time.Location, lang string) string {
	r, err := recur.ParseRule(rrule)
	generic := map[string]string{"en": "Repeats on a custom schedule", "fr": "Récurrence personnalisée"}[lang]
	if err != nil {
		return generic
	}
	if len(r.BySecond)+len(r.ByMinute)+len(r.ByHour)+len(r.ByYearDay)+len(r.ByWeekNo)+len(r.BySetPos) > 0 || r.Freq < recur.Daily {
		return generic
	}
	s := start.In(loc)
	fr := lang == "fr"
	n := max(r.Interval, 1)
	every := func(enOne, enMany, frOne, frMany string) string {
		switch {
		case fr && n == 1:
			return frOne
		case fr:
			return strings.Replace(frMany, "N", strconv.Itoa(n), 1)
		case n == 1:
			return enOne
		}
		return strings.Replace(enMany, "N", strconv.Itoa(n), 1)
	}
	dayNames := func(days []recur.WeekdayNum) ([]string, bool) {
		var out []string
		for _, d := range days {
			if d.N != 0 {
				return nil, false
			}
			if fr {
				out = append(out, "le "+frDays[d.Day])
			} else {
				out = append(out, enDays[d.Day])
			}
		}
		return out, true
	}
	weekdays := len(r.ByDay) == 5
	for _, d := range r.ByDay {
		if d.N != 0 || d.Day == time.Saturday || d.Day == time.Sunday {
			weekdays = false
		}
	}
	var out string
	switch r.Freq {
	case recur.Daily:
		if len(r.ByMonth)+len(r.ByMonthDay) > 0 {
			return generic
		}
		switch {
		case weekdays && n == 1:
			out = map[bool]string{false: "Every weekday (Monday to Friday)", true: "Du lundi au vendredi"}[fr]
		case len(r.ByDay) > 0:
			return generic
		default:
			out = every("Every day", "Every N days", "Tous les jours", "Tous les N jours")
		}
	case recur.Weekly:
		if len(r.ByMonth)+len(r.ByMonthDay) > 0 {
			return generic
		}
		if weekdays && n == 1 {
			out = map[bool]string{false: "Every weekday (Monday to Friday)", true: "Du lundi au vendredi"}[fr]
			break
		}
		days := r.ByDay
		if len(days) == 0 {
			days = []recur.WeekdayNum{{Day: s.Weekday()}}
		}
		names, ok := dayNames(days)
		if !ok {
			return generic
		}
		if fr {
			out = every("Toutes les semaines", "", "Toutes les semaines", "Toutes les N semaines") + " " + listJoin(names, lang)
		} else {
			out = every("Every week", "Every N weeks", "", "") + " on " + listJoin(names, lang)
		}
	case recur.Monthly:
		if len(r.ByMonth) > 0 {
			return generic
		}
		base := every("Every month", "Every N months", "Tous les mois", "Tous les N mois")
		switch {
		case len(r.ByDay) == 0 && len(r.ByMonthDay) <= 1:
			day := s.Day()
			if len(r.ByMonthDay) == 1 {
				day = r.ByMonthDay[0]
			}
			switch {
			case day == -1 && fr:
				out = base + " le dernier jour"
			case day == -1:
				out = base + " on the last day"
			case day < 1:
				return generic
			case fr && day == 1:
				out = base + " le 1er"
			case fr:
				out = base + " le " + strconv.Itoa(day)
			default:
				out = base + " on day " + strconv.Itoa(day)
			}
		case len(r.ByDay) == 1 && len(r.ByMonthDay) == 0 && r.ByDay[0].N != 0:
			d := r.ByDay[0]
			ord, ok := enOrdinals[d.N]
			if fr {
				ord, ok = frOrdinals[d.N]
			}
			if !ok {
				return generic
			}
			if fr {
				out = base + " le " + ord + " " + frDays[d.Day]
			} else {
				out = base + " on the " + ord + " " + enDays[d.Day]
			}
		default:
			return generic
		}
	case recur.Yearly:
		if len(r.ByDay)+len(r.ByMonthDay) > 0 || len(r.ByMonth) > 1 || (len(r.ByMonth) == 1 && r.ByMonth[0] != int(s.Month())) {
			return generic
		}
		if fr {
			day := strconv.Itoa(s.Day())
			if s.Day() == 1 {
				day = "1er"
			}
			out = every("Tous les ans", "", "Tous les ans", "Tous les N ans") + " le " + day + " " + frMonths[s.Month()]
		} else {
			out = every("Every year", "Every N years", "", "") + " on " + enMonths[s.Month()] + " " + strconv.Itoa(s.Day())
		}
	}
	switch {
	case r.Count > 0 && fr:
		out += fmt.Sprintf(", %d fois", r.Count)
	case r.Count > 0:
		out += fmt.Sprintf(", %d times", r.Count)
	case !r.Until.IsZero():
		until := r.Until
		if r.UntilKind != recur.UntilUTC {
			until = time.Date(until.Year(), until.Month(), until.Day(), 12, 0, 0, 0, loc)
		}
		if fr {
			out += ", jusqu'au " + formatDate(until.In(loc), lang)
		} else {
			out += ", until " + formatDate(until.In(loc), lang)
		}
	}
	return out
}
