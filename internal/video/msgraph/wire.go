package msgraph

import (
	"fmt"
	"strings"
	"time"
)

// The Graph v1.0 resource types Convene reads and writes, with the
// properties it uses (names as in Microsoft's metadata and in the npm
// package @microsoft/microsoft-graph-types).

// dateTimeTimeZone is Graph's wall-clock time with its zone name.
type dateTimeTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// graphTimeLayout is how Graph writes dateTime ("2026-12-07T09:00:00.0000000").
const graphTimeLayout = "2006-01-02T15:04:05.9999999"

// instant reads d as an instant: its wall clock in its zone (a Windows or
// IANA name; UTC when the Prefer header was honoured).
func (d dateTimeTimeZone) instant() (time.Time, error) {
	loc := time.UTC
	if d.TimeZone != "" && d.TimeZone != "UTC" {
		name, err := IANAZone(d.TimeZone)
		if err != nil {
			return time.Time{}, err
		}
		if loc, err = time.LoadLocation(name); err != nil {
			return time.Time{}, fmt.Errorf("msgraph: zone %s: %w", name, err)
		}
	}
	s := strings.TrimSuffix(d.DateTime, "Z")
	t, err := time.ParseInLocation(graphTimeLayout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("msgraph: dateTime %q: %w", d.DateTime, err)
	}
	return t, nil
}

// wallClock writes t as Graph's dateTimeTimeZone in zone (an IANA name),
// naming it as Windows does when CLDR knows it (Outlook clients read those
// best), else by its IANA name (Graph accepts both).
func wallClock(t time.Time, zone string) (dateTimeTimeZone, error) {
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return dateTimeTimeZone{}, fmt.Errorf("msgraph: zone %q: %w", zone, err)
	}
	name := zone
	if w, ok := WindowsZone(zone); ok {
		name = w
	}
	return dateTimeTimeZone{DateTime: t.In(loc).Format("2006-01-02T15:04:05"), TimeZone: name}, nil
}

type emailAddress struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

type attendee struct {
	EmailAddress emailAddress    `json:"emailAddress"`
	Type         string          `json:"type,omitempty"` // required, optional, resource
	Status       *responseStatus `json:"status,omitempty"`
}

type responseStatus struct {
	// Response: none, organizer, tentativelyAccepted, accepted, declined,
	// notResponded.
	Response string `json:"response"`
}

type itemBody struct {
	ContentType string `json:"contentType"` // text, html
	Content     string `json:"content"`
}

type location struct {
	DisplayName string `json:"displayName"`
}

type recurrencePattern struct {
	Type           string   `json:"type"` // daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly
	Interval       int      `json:"interval"`
	Month          int      `json:"month,omitempty"`
	DayOfMonth     int      `json:"dayOfMonth,omitempty"`
	DaysOfWeek     []string `json:"daysOfWeek,omitempty"`
	FirstDayOfWeek string   `json:"firstDayOfWeek,omitempty"`
	Index          string   `json:"index,omitempty"` // first, second, third, fourth, last
}

type recurrenceRange struct {
	Type                string `json:"type"` // endDate, noEnd, numbered
	StartDate           string `json:"startDate"`
	EndDate             string `json:"endDate,omitempty"`
	RecurrenceTimeZone  string `json:"recurrenceTimeZone,omitempty"`
	NumberOfOccurrences int    `json:"numberOfOccurrences,omitempty"`
}

type patternedRecurrence struct {
	Pattern recurrencePattern `json:"pattern"`
	Range   recurrenceRange   `json:"range"`
}

type phone struct {
	Number string `json:"number"`
	Type   string `json:"type"`
}

// onlineMeetingInfo is an event's Teams meeting.
type onlineMeetingInfo struct {
	JoinURL         string   `json:"joinUrl"`
	ConferenceID    string   `json:"conferenceId"`
	TollNumber      string   `json:"tollNumber"`
	TollFreeNumbers []string `json:"tollFreeNumbers"`
	QuickDial       string   `json:"quickDial"`
	Phones          []phone  `json:"phones"`
}

// event is Graph's event.
type event struct {
	ID             string            `json:"id,omitempty"`
	ICalUID        string            `json:"iCalUId,omitempty"`
	ETag           string            `json:"@odata.etag,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	Body           *itemBody         `json:"body,omitempty"`
	Start          *dateTimeTimeZone `json:"start,omitempty"`
	End            *dateTimeTimeZone `json:"end,omitempty"`
	OriginalStart  string            `json:"originalStart,omitempty"`
	IsAllDay       bool              `json:"isAllDay,omitempty"`
	IsCancelled    bool              `json:"isCancelled,omitempty"`
	IsOrganizer    bool              `json:"isOrganizer,omitempty"`
	ShowAs         string            `json:"showAs,omitempty"` // free, tentative, busy, oof, workingElsewhere, unknown
	Type           string            `json:"type,omitempty"`   // singleInstance, occurrence, exception, seriesMaster
	SeriesMasterID string            `json:"seriesMasterId,omitempty"`
	Sensitivity    string            `json:"sensitivity,omitempty"`
	ResponseStatus *responseStatus   `json:"responseStatus,omitempty"`
	Organizer      *struct {
		EmailAddress emailAddress `json:"emailAddress"`
	} `json:"organizer,omitempty"`
	Attendees             []attendee           `json:"attendees,omitempty"`
	Location              *location            `json:"location,omitempty"`
	Recurrence            *patternedRecurrence `json:"recurrence,omitempty"`
	IsOnlineMeeting       bool                 `json:"isOnlineMeeting,omitempty"`
	OnlineMeetingProvider string               `json:"onlineMeetingProvider,omitempty"`
	OnlineMeeting         *onlineMeetingInfo   `json:"onlineMeeting,omitempty"`
	TransactionID         string               `json:"transactionId,omitempty"`
	WebLink               string               `json:"webLink,omitempty"`
	LastModifiedDateTime  string               `json:"lastModifiedDateTime,omitempty"`
	// Removed is set in a delta answer for an event deleted (or moved
	// out of the window): {"reason": "deleted"|"changed"}.
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed,omitempty"`
}
