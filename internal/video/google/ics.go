package google

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"google.golang.org/api/calendar/v3"

	"github.com/convene/convene/internal/recur"
)

// The form of Google's events in Convene's copy: each series (or single
// event) is one iCalendar object (RFC 5545), as the calendar core stores a
// CalDAV source's:
//
//   - the master's recurrence lines (RRULE, EXRULE, RDATE, EXDATE, which
//     Google keeps as iCalendar lines) are copied as they are;
//   - each modified instance is a VEVENT with the series' UID and
//     RECURRENCE-ID its originalStartTime (§3.8.4.4);
//   - each cancelled instance is an EXDATE of the master (§3.8.5.1);
//   - transparency "transparent" is TRANSP:TRANSPARENT (§3.8.2.7), status
//     STATUS (§3.8.1.11);
//   - the user's own attendee (self) is an ATTENDEE with its PARTSTAT
//     (§3.2.12): a declined invitation frees the time;
//   - all-day events (start.date) are VALUE=DATE;
//   - eventType workingLocation is free (TRANSP:TRANSPARENT: where one
//     works, not a meeting), outOfOffice busy (OPAQUE, whatever Google
//     says of its transparency);
//   - times keep their IANA zone (TZID=Europe/Paris, no VTIMEZONE: the
//     core resolves IANA names), so series expand across DST as Google
//     does.
//
// Nothing else of the event is copied but its summary: descriptions,
// locations and other attendees stay at Google.

// maxRecurrenceLines bounds an event's recurrence lines.
const maxRecurrenceLines = 100

// toICS converts a series (or a single event) of user's calendar.
func toICS(g *series, user string, now time.Time) ([]byte, error) {
	m := g.master
	if m == nil {
		return nil, errors.New("no master event")
	}
	uid := m.ICalUID
	if uid == "" {
		uid = m.Id + "@google.com"
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, "-//Convene//Google Calendar copy//EN")
	cal.Props.SetText(ical.PropVersion, "2.0")
	master, err := vevent(m, uid, user, now)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", m.Id, err)
	}
	if len(m.Recurrence) > maxRecurrenceLines {
		return nil, fmt.Errorf("event %s: %d recurrence lines, more than %d", m.Id, len(m.Recurrence), maxRecurrenceLines)
	}
	if len(m.Recurrence) > 0 {
		props, err := recurrenceProps(m.Recurrence)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", m.Id, err)
		}
		for _, p := range props {
			master.Props.Add(&p)
		}
	}
	cal.Children = append(cal.Children, master)
	for _, x := range g.instances {
		if x.OriginalStartTime == nil {
			continue
		}
		if x.Status == "cancelled" {
			p, err := dateProp(ical.PropExceptionDates, x.OriginalStartTime)
			if err != nil {
				return nil, fmt.Errorf("event %s: cancelled instance %s: %w", m.Id, x.Id, err)
			}
			master.Props.Add(p)
			continue
		}
		ve, err := vevent(x, uid, user, now)
		if err != nil {
			return nil, fmt.Errorf("event %s: instance %s: %w", m.Id, x.Id, err)
		}
		rid, err := dateProp(ical.PropRecurrenceID, x.OriginalStartTime)
		if err != nil {
			return nil, fmt.Errorf("event %s: instance %s: %w", m.Id, x.Id, err)
		}
		ve.Props.Set(rid)
		cal.Children = append(cal.Children, ve)
	}
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// vevent is one Google event as a VEVENT, without its recurrence.
func vevent(e *calendar.Event, uid, user string, now time.Time) (*ical.Component, error) {
	c := ical.NewComponent(ical.CompEvent)
	c.Props.SetText(ical.PropUID, uid)
	stamp := now.UTC()
	if t, err := time.Parse(time.RFC3339, e.Updated); err == nil {
		stamp = t.UTC()
	}
	c.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
	if e.Start == nil || e.End == nil {
		return nil, errors.New("no start or end")
	}
	start, err := dateProp(ical.PropDateTimeStart, e.Start)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	end, err := dateProp(ical.PropDateTimeEnd, e.End)
	if err != nil {
		return nil, fmt.Errorf("end: %w", err)
	}
	c.Props.Set(start)
	c.Props.Set(end)
	if e.Summary != "" {
		c.Props.SetText(ical.PropSummary, e.Summary)
	}
	switch e.Status {
	case "tentative":
		c.Props.SetText(ical.PropStatus, "TENTATIVE")
	case "cancelled":
		c.Props.SetText(ical.PropStatus, "CANCELLED")
	default:
		c.Props.SetText(ical.PropStatus, "CONFIRMED")
	}
	transp := "OPAQUE"
	switch {
	case e.EventType == "workingLocation":
		transp = "TRANSPARENT"
	case e.EventType == "outOfOffice":
		transp = "OPAQUE"
	case e.Transparency == "transparent":
		transp = "TRANSPARENT"
	}
	c.Props.SetText(ical.PropTransparency, transp)
	for _, a := range e.Attendees {
		if !a.Self && !strings.EqualFold(a.Email, user) {
			continue
		}
		p := ical.NewProp(ical.PropAttendee)
		p.Value = "mailto:" + user
		p.Params.Set(ical.ParamParticipationStatus, partstat(a.ResponseStatus))
		c.Props.Add(p)
		break
	}
	return c, nil
}

// partstat maps Google's responseStatus onto RFC 5545 §3.2.12.
func partstat(s string) string {
	switch s {
	case "declined":
		return "DECLINED"
	case "tentative":
		return "TENTATIVE"
	case "accepted":
		return "ACCEPTED"
	}
	return "NEEDS-ACTION"
}

// dateProp is a Google EventDateTime as a DATE or DATE-TIME property: a
// date (all-day) as VALUE=DATE, a time in its timeZone when Google names
// one (TZID, local time), else in UTC.
func dateProp(name string, d *calendar.EventDateTime) (*ical.Prop, error) {
	p := ical.NewProp(name)
	if d.Date != "" {
		t, err := time.Parse("2006-01-02", d.Date)
		if err != nil {
			return nil, fmt.Errorf("date %q: %w", d.Date, err)
		}
		p.SetDate(t)
		return p, nil
	}
	t, err := time.Parse(time.RFC3339, d.DateTime)
	if err != nil {
		return nil, fmt.Errorf("dateTime %q: %w", d.DateTime, err)
	}
	t = t.UTC()
	if d.TimeZone != "" && d.TimeZone != "UTC" {
		if loc, err := time.LoadLocation(d.TimeZone); err == nil {
			t = t.In(loc)
		}
	}
	p.SetDateTime(t)
	return p, nil
}

// recurrenceProps parses Google's recurrence lines ("RRULE:FREQ=WEEKLY",
// "EXDATE;TZID=Europe/Paris:20260105T090000") with go-ical's own parser:
// only RRULE, EXRULE, RDATE and EXDATE are taken, each a single line.
func recurrenceProps(lines []string) ([]ical.Prop, error) {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\n")
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			return nil, errors.New("a recurrence line spans lines")
		}
		name := strings.ToUpper(l[:strings.IndexAny(l+":", ";:")])
		switch name {
		case ical.PropRecurrenceRule, "EXRULE", ical.PropRecurrenceDates, ical.PropExceptionDates:
		default:
			return nil, fmt.Errorf("recurrence line %.40q is not RRULE, EXRULE, RDATE or EXDATE", l)
		}
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	// recur.Decode is Convene's one way to read iCalendar (it turns
	// go-ical's panics on malformed lines into errors).
	cals, err := recur.Decode([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("recurrence: %w", err)
	}
	cal := cals[0]
	if len(cals) != 1 || len(cal.Children) != 1 {
		return nil, errors.New("recurrence: unreadable")
	}
	var out []ical.Prop
	for _, name := range []string{ical.PropRecurrenceRule, "EXRULE", ical.PropRecurrenceDates, ical.PropExceptionDates} {
		out = append(out, cal.Children[0].Props.Values(name)...)
	}
	return out, nil
}
