package graphsandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
)

// event is an event of a user's default calendar, as stored: times as
// instants, with the time zones it was given in.
type event struct {
	ID            string    `json:"id"`        // immutable id
	RegularID     string    `json:"regularId"` // changes on a move between folders
	UserID        string    `json:"userId"`
	ICalUID       string    `json:"iCalUId"`
	Seq           int64     `json:"seq"`
	Created       time.Time `json:"created"`
	Modified      time.Time `json:"modified"`
	TransactionID string    `json:"transactionId,omitempty"`
	fields
	Recurrence *recurrence `json:"recurrence,omitempty"`
	// Exceptions are changed occurrences by their original date
	// (2006-01-02 in the series' zone); Cancelled the deleted ones.
	Exceptions map[string]*exception `json:"exceptions,omitempty"`
	Cancelled  map[string]bool       `json:"cancelled,omitempty"`
}

// fields are what an occurrence can change of its series.
type fields struct {
	Subject     string     `json:"subject"`
	Body        itemBody   `json:"body"`
	Start       time.Time  `json:"start"`
	End         time.Time  `json:"end"`
	StartTZ     string     `json:"startTimeZone"`
	EndTZ       string     `json:"endTimeZone"`
	IsAllDay    bool       `json:"isAllDay"`
	ShowAs      string     `json:"showAs"`
	Response    string     `json:"response"`
	Importance  string     `json:"importance"`
	Sensitivity string     `json:"sensitivity"`
	IsCancelled bool       `json:"isCancelled,omitempty"`
	Location    location   `json:"location"`
	Attendees   []attendee `json:"attendees"`
	Categories  []string   `json:"categories"`
	Online      bool       `json:"isOnlineMeeting"`
	Provider    string     `json:"onlineMeetingProvider"`
	JoinURL     string     `json:"joinUrl,omitempty"`
	Conference  string     `json:"conferenceId,omitempty"`
	ReminderOn  bool       `json:"isReminderOn"`
	Reminder    int        `json:"reminderMinutesBeforeStart"`
	RespReq     bool       `json:"responseRequested"`
	NewTimes    bool       `json:"allowNewTimeProposals"`
}

type exception struct {
	fields
	Seq int64 `json:"seq"`
}

type itemBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type location struct {
	DisplayName  string `json:"displayName"`
	LocationType string `json:"locationType,omitempty"`
	UniqueID     string `json:"uniqueId,omitempty"`
	UniqueIDType string `json:"uniqueIdType,omitempty"`
}

type emailAddress struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type responseStatus struct {
	Response string `json:"response"`
	Time     string `json:"time"`
}

type attendee struct {
	Type         string         `json:"type"`
	Status       responseStatus `json:"status"`
	EmailAddress emailAddress   `json:"emailAddress"`
}

type dateTimeTZ struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// eventInput is a POST or PATCH body: pointers tell a property sent from
// one left out.
type eventInput struct {
	Subject                    *string          `json:"subject"`
	Body                       *itemBody        `json:"body"`
	Start                      *dateTimeTZ      `json:"start"`
	End                        *dateTimeTZ      `json:"end"`
	IsAllDay                   *bool            `json:"isAllDay"`
	ShowAs                     *string          `json:"showAs"`
	Importance                 *string          `json:"importance"`
	Sensitivity                *string          `json:"sensitivity"`
	Location                   *location        `json:"location"`
	Attendees                  *[]attendee      `json:"attendees"`
	Categories                 *[]string        `json:"categories"`
	IsOnlineMeeting            *bool            `json:"isOnlineMeeting"`
	OnlineMeetingProvider      *string          `json:"onlineMeetingProvider"`
	Recurrence                 *json.RawMessage `json:"recurrence"`
	TransactionID              *string          `json:"transactionId"`
	IsReminderOn               *bool            `json:"isReminderOn"`
	ReminderMinutesBeforeStart *int             `json:"reminderMinutesBeforeStart"`
	ResponseRequested          *bool            `json:"responseRequested"`
	AllowNewTimeProposals      *bool            `json:"allowNewTimeProposals"`
	// ResponseStatus is accepted only from the test controls (an event
	// made in Outlook that its owner accepted tentatively).
	ResponseStatus *responseStatus `json:"responseStatus"`
}

// eventProperties are the properties a client may send; any other is
// refused as Graph refuses a property its model lacks. Read-only
// properties Graph ignores on write are accepted and ignored.
var eventProperties = map[string]bool{
	"subject": true, "body": true, "start": true, "end": true, "isAllDay": true, "showAs": true,
	"importance": true, "sensitivity": true, "location": true, "attendees": true, "categories": true,
	"isOnlineMeeting": true, "onlineMeetingProvider": true, "recurrence": true, "transactionId": true,
	"isReminderOn": true, "reminderMinutesBeforeStart": true, "responseRequested": true,
	"allowNewTimeProposals": true, "@odata.type": true, "locations": true, "hideAttendees": true,
	"id": true, "changeKey": true, "organizer": true, "bodyPreview": true, "type": true, "webLink": true,
	"iCalUId": true, "createdDateTime": true, "lastModifiedDateTime": true, "isOrganizer": true,
	"seriesMasterId": true, "originalStartTimeZone": true, "originalEndTimeZone": true, "@odata.etag": true,
	"onlineMeeting": true, "isCancelled": true, "isDraft": true, "hasAttachments": true,
}

// parseEventInput decodes and checks an event body; control also
// accepts responseStatus.
func parseEventInput(b []byte, control bool) (*eventInput, *graphError) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errGraph(http.StatusBadRequest, "ErrorInvalidRequest", "Empty Payload. JSON content expected.")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, errGraph(http.StatusBadRequest, "RequestBodyRead", "Invalid JSON: "+err.Error())
	}
	for k := range keys {
		if !eventProperties[k] && !(control && k == "responseStatus") {
			return nil, errGraph(http.StatusBadRequest, "RequestBodyRead",
				fmt.Sprintf("The property '%s' does not exist on type 'microsoft.graph.event'. Make sure to only use property names that are defined by the type or mark the type as open type.", trunc(k, 80)))
		}
	}
	var in eventInput
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, errGraph(http.StatusBadRequest, "RequestBodyRead", "Cannot convert the literal to the expected type: "+err.Error())
	}
	if in.Subject != nil && len(*in.Subject) > 255 {
		return nil, errInvalidRequest("The subject is longer than 255 characters.")
	}
	if in.Body != nil && len(in.Body.Content) > 512<<10 {
		return nil, errInvalidRequest("The body is too large.")
	}
	if in.Attendees != nil {
		if len(*in.Attendees) > 500 {
			return nil, errInvalidRequest("An event can have at most 500 attendees.")
		}
		for i, a := range *in.Attendees {
			if _, err := mail.ParseAddress(a.EmailAddress.Address); err != nil || len(a.EmailAddress.Address) > 320 {
				return nil, errInvalidRequest(fmt.Sprintf("Attendee %d has no valid emailAddress.address.", i))
			}
			switch a.Type {
			case "":
				(*in.Attendees)[i].Type = "required"
			case "required", "optional", "resource":
			default:
				return nil, errBadRequest("Requested value '" + trunc(a.Type, 40) + "' was not found (attendee type).")
			}
		}
	}
	if in.Categories != nil && len(*in.Categories) > 50 {
		return nil, errInvalidRequest("Too many categories.")
	}
	if in.ShowAs != nil && !oneOf(*in.ShowAs, "free", "tentative", "busy", "oof", "workingElsewhere", "unknown") {
		return nil, errBadRequest("Requested value '" + trunc(*in.ShowAs, 40) + "' was not found (showAs).")
	}
	if in.Importance != nil && !oneOf(*in.Importance, "low", "normal", "high") {
		return nil, errBadRequest("Requested value '" + trunc(*in.Importance, 40) + "' was not found (importance).")
	}
	if in.Sensitivity != nil && !oneOf(*in.Sensitivity, "normal", "personal", "private", "confidential") {
		return nil, errBadRequest("Requested value '" + trunc(*in.Sensitivity, 40) + "' was not found (sensitivity).")
	}
	if in.OnlineMeetingProvider != nil && !oneOf(*in.OnlineMeetingProvider, "teamsForBusiness", "skypeForBusiness", "skypeForConsumer", "unknown") {
		return nil, errBadRequest("Requested value '" + trunc(*in.OnlineMeetingProvider, 40) + "' was not found (onlineMeetingProvider).")
	}
	if in.TransactionID != nil && len(*in.TransactionID) > 255 {
		return nil, errInvalidRequest("transactionId is longer than 255 characters.")
	}
	if in.ReminderMinutesBeforeStart != nil && (*in.ReminderMinutesBeforeStart < 0 || *in.ReminderMinutesBeforeStart > 40320) {
		return nil, errInvalidRequest("reminderMinutesBeforeStart is out of range.")
	}
	if control && in.ResponseStatus != nil && !oneOf(in.ResponseStatus.Response, "none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded") {
		return nil, errBadRequest("Requested value was not found (responseStatus.response).")
	}
	return &in, nil
}

// apply sets the sent properties on f. start and end are checked
// together: both present on create.
func (in *eventInput) apply(f *fields) *graphError {
	if in.Subject != nil {
		f.Subject = *in.Subject
	}
	if in.Body != nil {
		f.Body = *in.Body
		if f.Body.ContentType == "" {
			f.Body.ContentType = "text"
		}
		if !oneOf(f.Body.ContentType, "text", "html") {
			return errBadRequest("Requested value '" + trunc(f.Body.ContentType, 40) + "' was not found (body.contentType).")
		}
	}
	if in.IsAllDay != nil {
		f.IsAllDay = *in.IsAllDay
	}
	if in.Start != nil {
		t, tz, gerr := in.Start.instant("start")
		if gerr != nil {
			return gerr
		}
		f.Start, f.StartTZ = t, tz
	}
	if in.End != nil {
		t, tz, gerr := in.End.instant("end")
		if gerr != nil {
			return gerr
		}
		f.End, f.EndTZ = t, tz
	}
	if f.End.Before(f.Start) {
		return errInvalidRequest("The Event's end time must be later than its start time.")
	}
	if f.End.Sub(f.Start) > 5*365*24*time.Hour {
		return errInvalidRequest("The event is longer than five years.")
	}
	if f.IsAllDay {
		sl, _ := loadZone(f.StartTZ)
		el, _ := loadZone(f.EndTZ)
		if !isMidnight(f.Start.In(sl)) || !isMidnight(f.End.In(el)) || f.StartTZ != f.EndTZ || !f.End.After(f.Start) {
			return errInvalidRequest("Your request can't be completed. If you use the IsAllDay property, the start and end times must be at midnight and in the same time zone.")
		}
	}
	if in.ShowAs != nil {
		f.ShowAs = *in.ShowAs
	}
	if in.Importance != nil {
		f.Importance = *in.Importance
	}
	if in.Sensitivity != nil {
		f.Sensitivity = *in.Sensitivity
	}
	if in.Location != nil {
		f.Location = *in.Location
		if f.Location.LocationType == "" {
			f.Location.LocationType = "default"
		}
	}
	if in.Attendees != nil {
		f.Attendees = append([]attendee(nil), (*in.Attendees)...)
		for i := range f.Attendees {
			f.Attendees[i].Status = responseStatus{Response: "none", Time: "0001-01-01T00:00:00Z"}
		}
	}
	if in.Categories != nil {
		f.Categories = append([]string{}, (*in.Categories)...)
	}
	if in.IsOnlineMeeting != nil {
		f.Online = *in.IsOnlineMeeting
	}
	if in.OnlineMeetingProvider != nil {
		f.Provider = *in.OnlineMeetingProvider
	}
	if in.IsReminderOn != nil {
		f.ReminderOn = *in.IsReminderOn
	}
	if in.ReminderMinutesBeforeStart != nil {
		f.Reminder = *in.ReminderMinutesBeforeStart
	}
	if in.ResponseRequested != nil {
		f.RespReq = *in.ResponseRequested
	}
	if in.AllowNewTimeProposals != nil {
		f.NewTimes = *in.AllowNewTimeProposals
	}
	if in.ResponseStatus != nil {
		f.Response = in.ResponseStatus.Response
	}
	return nil
}

// instant parses a dateTimeTimeZone.
func (d *dateTimeTZ) instant(what string) (time.Time, string, *graphError) {
	tz := d.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	loc, ok := loadZone(tz)
	if !ok {
		return time.Time{}, "", errGraph(http.StatusBadRequest, "TimeZoneNotSupportedException",
			fmt.Sprintf("A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", trunc(tz, 100)))
	}
	t, ok := parseLocalDateTime(d.DateTime, loc)
	if !ok {
		return time.Time{}, "", errBadRequest(fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.DateTime' (%s.dateTime).", trunc(d.DateTime, 60), what))
	}
	if t.Year() < 1900 || t.Year() > 2999 {
		return time.Time{}, "", errInvalidRequest("The " + what + " time is out of range.")
	}
	return t, tz, nil
}

func isMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// changeKey is Outlook's version stamp of an item.
func changeKey(seq int64) string {
	var b [12]byte
	copy(b[:4], "DwAA")
	binary.BigEndian.PutUint64(b[4:], uint64(seq))
	return base64.StdEncoding.EncodeToString(b[:])
}

// occurrenceID names one occurrence of a series: the series' id, a dot
// and the occurrence's original date. Outlook's are opaque; so must a
// client treat these.
func occurrenceID(seriesID, date string) string {
	return seriesID + "." + strings.ReplaceAll(date, "-", "")
}

// parseOccurrenceID splits an occurrence id; ok is false for a plain id.
func parseOccurrenceID(id string) (seriesID, date string, ok bool) {
	i := strings.LastIndexByte(id, '.')
	if i < 0 || len(id)-i-1 != 8 {
		return "", "", false
	}
	d := id[i+1:]
	date = d[:4] + "-" + d[4:6] + "-" + d[6:]
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return "", "", false
	}
	return id[:i], date, true
}
