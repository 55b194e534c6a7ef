package googlesandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// event is a Calendar v3 Event resource as the sandbox keeps and shows it
// (discovery document, schemas.Event). Fields the sandbox does not
// interpret are kept as raw JSON.
type event struct {
	Kind                      string          `json:"kind"`
	Etag                      string          `json:"etag"`
	ID                        string          `json:"id"`
	Status                    string          `json:"status,omitempty"`
	HTMLLink                  string          `json:"htmlLink,omitempty"`
	Created                   string          `json:"created,omitempty"`
	Updated                   string          `json:"updated,omitempty"`
	Summary                   string          `json:"summary,omitempty"`
	Description               string          `json:"description,omitempty"`
	Location                  string          `json:"location,omitempty"`
	ColorID                   string          `json:"colorId,omitempty"`
	Creator                   *person         `json:"creator,omitempty"`
	Organizer                 *person         `json:"organizer,omitempty"`
	Start                     *eventTime      `json:"start,omitempty"`
	End                       *eventTime      `json:"end,omitempty"`
	EndTimeUnspecified        bool            `json:"endTimeUnspecified,omitempty"`
	Recurrence                []string        `json:"recurrence,omitempty"`
	RecurringEventID          string          `json:"recurringEventId,omitempty"`
	OriginalStartTime         *eventTime      `json:"originalStartTime,omitempty"`
	Transparency              string          `json:"transparency,omitempty"`
	Visibility                string          `json:"visibility,omitempty"`
	ICalUID                   string          `json:"iCalUID,omitempty"`
	Sequence                  int64           `json:"sequence"`
	Attendees                 []*attendee     `json:"attendees,omitempty"`
	AttendeesOmitted          bool            `json:"attendeesOmitted,omitempty"`
	GuestsCanInviteOthers     *bool           `json:"guestsCanInviteOthers,omitempty"`
	GuestsCanModify           *bool           `json:"guestsCanModify,omitempty"`
	GuestsCanSeeOtherGuests   *bool           `json:"guestsCanSeeOtherGuests,omitempty"`
	AnyoneCanAddSelf          *bool           `json:"anyoneCanAddSelf,omitempty"`
	PrivateCopy               *bool           `json:"privateCopy,omitempty"`
	Locked                    *bool           `json:"locked,omitempty"`
	HangoutLink               string          `json:"hangoutLink,omitempty"`
	ConferenceData            *conferenceData `json:"conferenceData,omitempty"`
	Reminders                 json.RawMessage `json:"reminders,omitempty"`
	ExtendedProperties        json.RawMessage `json:"extendedProperties,omitempty"`
	Source                    json.RawMessage `json:"source,omitempty"`
	Attachments               json.RawMessage `json:"attachments,omitempty"`
	EventType                 string          `json:"eventType,omitempty"`
	WorkingLocationProperties json.RawMessage `json:"workingLocationProperties,omitempty"`
	OutOfOfficeProperties     json.RawMessage `json:"outOfOfficeProperties,omitempty"`
	FocusTimeProperties       json.RawMessage `json:"focusTimeProperties,omitempty"`
}

type person struct {
	ID          string `json:"id,omitempty"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Self        bool   `json:"self,omitempty"`
}

type attendee struct {
	ID               string `json:"id,omitempty"`
	Email            string `json:"email,omitempty"`
	DisplayName      string `json:"displayName,omitempty"`
	Organizer        bool   `json:"organizer,omitempty"`
	Self             bool   `json:"self,omitempty"`
	Resource         bool   `json:"resource,omitempty"`
	Optional         bool   `json:"optional,omitempty"`
	ResponseStatus   string `json:"responseStatus,omitempty"`
	Comment          string `json:"comment,omitempty"`
	AdditionalGuests int64  `json:"additionalGuests,omitempty"`
}

// eventTime is EventDateTime: a date (all-day) or a date-time with an
// optional IANA time zone.
type eventTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

type conferenceData struct {
	CreateRequest      *createRequest      `json:"createRequest,omitempty"`
	EntryPoints        []entryPoint        `json:"entryPoints,omitempty"`
	ConferenceSolution *conferenceSolution `json:"conferenceSolution,omitempty"`
	ConferenceID       string              `json:"conferenceId,omitempty"`
	Signature          string              `json:"signature,omitempty"`
	Notes              string              `json:"notes,omitempty"`
}

type createRequest struct {
	RequestID             string       `json:"requestId,omitempty"`
	ConferenceSolutionKey *solutionKey `json:"conferenceSolutionKey,omitempty"`
	Status                *struct {
		StatusCode string `json:"statusCode,omitempty"`
	} `json:"status,omitempty"`
}

type solutionKey struct {
	Type string `json:"type,omitempty"`
}

type entryPoint struct {
	EntryPointType string `json:"entryPointType,omitempty"`
	URI            string `json:"uri,omitempty"`
	Label          string `json:"label,omitempty"`
	Pin            string `json:"pin,omitempty"`
	AccessCode     string `json:"accessCode,omitempty"`
	MeetingCode    string `json:"meetingCode,omitempty"`
	Passcode       string `json:"passcode,omitempty"`
	Password       string `json:"password,omitempty"`
	RegionCode     string `json:"regionCode,omitempty"`
}

type conferenceSolution struct {
	Key     solutionKey `json:"key"`
	Name    string      `json:"name,omitempty"`
	IconURI string      `json:"iconUri,omitempty"`
}

// Enumerations of Event fields (discovery document descriptions).
var (
	eventStatuses    = []string{"confirmed", "tentative", "cancelled"}
	transparencies   = []string{"opaque", "transparent"}
	visibilities     = []string{"default", "public", "private", "confidential"}
	eventTypes       = []string{"default", "outOfOffice", "workingLocation", "focusTime", "birthday", "fromGmail"}
	responseStatuses = []string{"needsAction", "declined", "tentative", "accepted"}
)

// decodeEvent parses an Event request body. Unknown fields are ignored, as
// Google ignores them.
func decodeEvent(b []byte) (*event, *apiError) {
	var ev event
	if len(bytes.TrimSpace(b)) == 0 {
		return &ev, nil
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, errBadRequest("Invalid JSON payload received. " + jsonErrorText(err))
	}
	ev.clearNulls()
	return &ev, nil
}

// jsonErrorText shortens a decoding error for an answer.
func jsonErrorText(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// clearNulls drops raw fields sent as null.
func (ev *event) clearNulls() {
	for _, f := range []*json.RawMessage{&ev.Reminders, &ev.ExtendedProperties, &ev.Source, &ev.Attachments,
		&ev.WorkingLocationProperties, &ev.OutOfOfficeProperties, &ev.FocusTimeProperties} {
		if t := bytes.TrimSpace(*f); len(t) == 0 || string(t) == "null" {
			*f = nil
		}
	}
}

// clone is a deep copy.
func (ev *event) clone() *event {
	b, err := json.Marshal(ev)
	if err != nil {
		panic("googlesandbox: clone event: " + err.Error())
	}
	var cp event
	if err := json.Unmarshal(b, &cp); err != nil {
		panic("googlesandbox: clone event: " + err.Error())
	}
	return &cp
}

// check validates the fields a client wrote.
func (ev *event) check() *apiError {
	if ev.ID != "" && ev.RecurringEventID == "" && !validEventID(ev.ID) {
		return errInvalid("Invalid resource id value.")
	}
	if ev.Status != "" && !slices.Contains(eventStatuses, ev.Status) {
		return errInvalid("Invalid value for: status")
	}
	if ev.Transparency != "" && !slices.Contains(transparencies, ev.Transparency) {
		return errInvalid("Invalid value for: transparency")
	}
	if ev.Visibility != "" && !slices.Contains(visibilities, ev.Visibility) {
		return errInvalid("Invalid value for: visibility")
	}
	if ev.EventType != "" && !slices.Contains(eventTypes, ev.EventType) {
		return errInvalid("Invalid event type.")
	}
	seen := map[string]bool{}
	for _, a := range ev.Attendees {
		if a == nil || a.Email == "" {
			return errRequired("Missing attendee email.")
		}
		if !strings.Contains(a.Email, "@") {
			return errInvalid("Invalid attendee email.")
		}
		if a.ResponseStatus != "" && !slices.Contains(responseStatuses, a.ResponseStatus) {
			return errInvalid("Invalid value for: responseStatus")
		}
		seen[strings.ToLower(a.Email)] = true
	}
	if ev.Status == "cancelled" && ev.RecurringEventID != "" {
		return nil // a cancelled instance needs no times
	}
	if ev.Start == nil || (ev.Start.Date == "" && ev.Start.DateTime == "") {
		return errRequired("Missing start time.")
	}
	if ev.End == nil || (ev.End.Date == "" && ev.End.DateTime == "") {
		return errRequired("Missing end time.")
	}
	if (ev.Start.Date != "") != (ev.End.Date != "") {
		return errBadRequest("Start and end times must either both be date or both be dateTime.")
	}
	if len(ev.Recurrence) > 0 && ev.Start.DateTime != "" && ev.Start.TimeZone == "" {
		return errBadRequest("Missing time zone definition for start time.")
	}
	start, err := ev.Start.instant("UTC")
	if err != nil {
		return errBadRequest("Invalid start time.")
	}
	end, err := ev.End.instant("UTC")
	if err != nil {
		return errBadRequest("Invalid end time.")
	}
	if !end.After(start) {
		return errTimeRangeEmpty()
	}
	if len(ev.Recurrence) > 0 {
		if ev.RecurringEventID != "" {
			return errBadRequest("An instance of a recurring event cannot have a recurrence.")
		}
		if _, err := newSeries(ev, "UTC"); err != nil {
			return errInvalid("Invalid recurrence rule.")
		}
	}
	return nil
}

// validEventID is Google's rule for client-given ids: base32hex characters
// (a-v, 0-9), 5 to 1024 of them (Event.id). Instance ids add "_" and a
// timestamp.
func validEventID(id string) bool {
	if len(id) < 5 || len(id) > 1024 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'v' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// location resolves an IANA zone name; empty is def.
func location(name, def string) (*time.Location, error) {
	if name == "" {
		name = def
	}
	if name == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(name)
}

// instant is the start of the time: a date's midnight in its time zone
// (default def), or the date-time (a local date-time is read in the time
// zone).
func (t *eventTime) instant(def string) (time.Time, error) {
	if t == nil {
		return time.Time{}, fmt.Errorf("no time")
	}
	loc, err := location(t.TimeZone, def)
	if err != nil {
		return time.Time{}, err
	}
	if t.Date != "" {
		return time.ParseInLocation(time.DateOnly, t.Date, loc)
	}
	if ts, err := time.Parse(time.RFC3339Nano, t.DateTime); err == nil {
		return ts, nil
	}
	if t.TimeZone == "" {
		return time.Time{}, fmt.Errorf("missing time zone for %q", t.DateTime)
	}
	return time.ParseInLocation("2006-01-02T15:04:05", t.DateTime, loc)
}

// allDay reports whether the event's times are dates.
func (ev *event) allDay() bool { return ev.Start != nil && ev.Start.Date != "" }

// span is the event's start and end instants, all-day dates read in the
// calendar's time zone.
func (ev *event) span(calTZ string) (time.Time, time.Time, error) {
	start, err := ev.Start.instant(calTZ)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	end, err := ev.End.instant(calTZ)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, end, nil
}

// formatTime is Google's RFC 3339 form of created/updated.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// instanceID is the id of an occurrence of a recurring event: the series'
// id, "_" and the original start (UTC date-time, or the date).
func instanceID(seriesID string, start time.Time, allDay bool) string {
	if allDay {
		return seriesID + "_" + start.Format("20060102")
	}
	return seriesID + "_" + start.UTC().Format("20060102T150405Z")
}

// htmlLink is the event's link in the sandbox's web view.
func (s *Server) htmlLink(calID, eventID string) string {
	eid := base64.RawURLEncoding.EncodeToString([]byte(eventID + " " + calID))
	return s.opts.BaseURL + "/calendar/event?eid=" + eid
}

// normalizeTimes writes date-times as Google answers them: RFC 3339 with
// the offset of their time zone (a local date-time gets one).
func (ev *event) normalizeTimes() {
	for _, t := range []*eventTime{ev.Start, ev.End, ev.OriginalStartTime} {
		if t == nil || t.DateTime == "" {
			continue
		}
		ts, err := t.instant("UTC")
		if err != nil {
			continue
		}
		if loc, err := location(t.TimeZone, ""); err == nil && t.TimeZone != "" {
			ts = ts.In(loc)
		}
		t.DateTime = ts.Format(time.RFC3339)
	}
}
