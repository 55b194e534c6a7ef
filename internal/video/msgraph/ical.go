package msgraph

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// prodID names Convene's converter in the objects it writes.
const prodID = "-//Convene//Microsoft Graph events//EN"

// eventICS converts one Graph event of user's calendar (as calendarView
// delta gives it: an occurrence, an exception or a single event, times
// in UTC) into the iCalendar object the calendar core stores for it, in
// the form a CalDAV source's would take:
//
//   - showAs free (and workingElsewhere, see FreeBusy) → TRANSP:TRANSPARENT;
//   - showAs tentative → STATUS:TENTATIVE; isCancelled → STATUS:CANCELLED;
//   - the user's own declined response → their ATTENDEE with
//     PARTSTAT=DECLINED;
//   - an all-day event → DTSTART/DTEND as dates (RFC 5545 §3.6.1), its
//     dates read in the event's own day, not shifted by a zone;
//   - occurrences come expanded from calendarView, each its own object
//     with the occurrence's own id and iCalUId (Graph gives each
//     occurrence a distinct iCalUId), so no series is rebuilt.
//
// now stamps DTSTAMP when Graph gave no lastModifiedDateTime.
func eventICS(ev *event, user string, now time.Time) ([]byte, error) {
	if ev.Start == nil || ev.End == nil {
		return nil, fmt.Errorf("msgraph: event %s has no start or end", ev.ID)
	}
	uid := ev.ICalUID
	if uid == "" {
		uid = ev.ID
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, prodID)
	ve := ical.NewEvent()
	ve.Props.SetText(ical.PropUID, uid)
	stamp := now.UTC()
	if t, err := time.Parse(time.RFC3339Nano, ev.LastModifiedDateTime); err == nil {
		stamp = t.UTC()
	}
	ve.Props.SetDateTime(ical.PropDateTimeStamp, stamp.Truncate(time.Second))
	if ev.IsAllDay {
		// An all-day event's dateTime is midnight of its dates.
		s, err := allDayDate(ev.Start.DateTime)
		if err != nil {
			return nil, err
		}
		e, err := allDayDate(ev.End.DateTime)
		if err != nil {
			return nil, err
		}
		if !e.After(s) {
			e = s.AddDate(0, 0, 1)
		}
		ve.Props.SetDate(ical.PropDateTimeStart, s)
		ve.Props.SetDate(ical.PropDateTimeEnd, e)
	} else {
		s, err := ev.Start.instant()
		if err != nil {
			return nil, err
		}
		e, err := ev.End.instant()
		if err != nil {
			return nil, err
		}
		if e.Before(s) {
			return nil, fmt.Errorf("msgraph: event %s ends before it starts", ev.ID)
		}
		ve.Props.SetDateTime(ical.PropDateTimeStart, s.UTC())
		ve.Props.SetDateTime(ical.PropDateTimeEnd, e.UTC())
	}
	if ev.Subject != "" {
		ve.Props.SetText(ical.PropSummary, ev.Subject)
	}
	if ev.Sensitivity == "private" || ev.Sensitivity == "confidential" {
		ve.Props.SetText(ical.PropClass, "PRIVATE")
	}
	switch ev.ShowAs {
	case "free", "workingElsewhere":
		ve.Props.SetText(ical.PropTransparency, "TRANSPARENT")
	default:
		ve.Props.SetText(ical.PropTransparency, "OPAQUE")
	}
	switch {
	case ev.IsCancelled:
		ve.SetStatus(ical.EventCancelled)
	case ev.ShowAs == "tentative":
		ve.SetStatus(ical.EventTentative)
	default:
		ve.SetStatus(ical.EventConfirmed)
	}
	if ev.Organizer != nil && ev.Organizer.EmailAddress.Address != "" {
		p := ical.NewProp(ical.PropOrganizer)
		p.Value = "mailto:" + ev.Organizer.EmailAddress.Address
		ve.Props.Add(p)
	}
	// The user's own attendance: their response (responseStatus is the
	// user's, as the calendar owner) on their ATTENDEE line.
	if ev.ResponseStatus != nil && !ev.IsOrganizer && ev.ResponseStatus.Response != "organizer" {
		p := ical.NewProp(ical.PropAttendee)
		p.Value = "mailto:" + user
		p.Params.Set(ical.ParamParticipationStatus, partStat(ev.ResponseStatus.Response))
		ve.Props.Add(p)
	}
	cal.Children = append(cal.Children, ve.Component)
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		return nil, fmt.Errorf("msgraph: event %s: %w", ev.ID, err)
	}
	return b.Bytes(), nil
}

// partStat maps Graph's responseType onto RFC 5545 §3.2.12's PARTSTAT.
func partStat(response string) string {
	switch response {
	case "accepted":
		return "ACCEPTED"
	case "declined":
		return "DECLINED"
	case "tentativelyAccepted":
		return "TENTATIVE"
	default: // none, notResponded
		return "NEEDS-ACTION"
	}
}

// allDayDate reads the date of an all-day event's dateTime.
func allDayDate(s string) (time.Time, error) {
	if len(s) < 10 {
		return time.Time{}, fmt.Errorf("msgraph: all-day dateTime %q", s)
	}
	d, err := time.Parse(time.DateOnly, s[:10])
	if err != nil {
		return time.Time{}, fmt.Errorf("msgraph: all-day dateTime %q: %w", s, err)
	}
	if rest := strings.TrimRight(strings.TrimPrefix(s[10:], "T"), "0:.Z"); rest != "" {
		return time.Time{}, fmt.Errorf("msgraph: all-day dateTime %q is not at midnight", s)
	}
	return d, nil
}
