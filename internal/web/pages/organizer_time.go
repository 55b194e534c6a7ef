package pages

import (
	"fmt"
	"strconv"
	"time"

	"github.com/convene/convene/internal/invite"
)

// Dates and times as the organizer's and guests' pages write them, in the
// reader's language: "Tue 3 Mar" / "mar. 3 mars" for a day, "2:00 PM" /
// "14:00" for a time of day (the forms of the invitations, whose full
// ranges invite.FormatRange writes).

var (
	shortDaysEN   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	shortDaysFR   = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	longDaysEN    = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	longDaysFR    = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	shortMonthsEN = [...]string{"", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	shortMonthsFR = [...]string{"", "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
)

// dayLabel writes a day: "Tue 3 Mar", "mar. 3 mars"; with the year when
// it is not now's.
func dayLabel(t, now time.Time, lang string) string {
	var s string
	if lang == "fr" {
		s = fmt.Sprintf("%s %d %s", shortDaysFR[t.Weekday()], t.Day(), shortMonthsFR[t.Month()])
	} else {
		s = fmt.Sprintf("%s %d %s", shortDaysEN[t.Weekday()], t.Day(), shortMonthsEN[t.Month()])
	}
	if t.Year() != now.Year() {
		s += " " + strconv.Itoa(t.Year())
	}
	return s
}

// longDay writes a day in full: "Tuesday 3 March 2026".
func longDay(t time.Time, lang string) string {
	if lang == "fr" {
		return fmt.Sprintf("%s %d %s %d", longDaysFR[t.Weekday()], t.Day(), shortMonthsFR[t.Month()], t.Year())
	}
	return fmt.Sprintf("%s %d %s %d", longDaysEN[t.Weekday()], t.Day(), shortMonthsEN[t.Month()], t.Year())
}

// clockLabel writes a time of day: "2:00 PM", "14:00".
func clockLabel(t time.Time, lang string) string {
	if lang == "fr" {
		return t.Format("15:04")
	}
	return t.Format("3:04 PM")
}

// spanLabel writes the times of a meeting within its day: "2:00 – 2:30
// PM", "14:00 – 14:30".
func spanLabel(start, end time.Time, lang string) string {
	return clockLabel(start, lang) + " – " + clockLabel(end, lang)
}

// rangeLabel writes a meeting's times in full in a zone, as invitations
// do: "Tuesday, March 3, 2026, 2:00 – 2:30 PM (Paris time)".
func rangeLabel(start, end time.Time, zone, lang string) string {
	return invite.FormatRange(start, end, zone, lang)
}

// durationLabel writes a length: "30 minutes", "1 h 30".
func durationLabel(minutes int, lang string) string {
	return invite.FormatDuration(time.Duration(minutes)*time.Minute, lang)
}

// zoneOf loads a zone, UTC when it is not one.
func zoneOf(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" && name != "Local" {
		return loc
	}
	return time.UTC
}

// startOfDay is midnight of t's day in t's zone.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// mondayOf is midnight of the Monday of t's week (ISO 8601 weeks).
func mondayOf(t time.Time) time.Time {
	d := startOfDay(t)
	off := (int(d.Weekday()) + 6) % 7
	return d.AddDate(0, 0, -off)
}
