package zoom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/convene/convene/internal/video"
)

// flexInt is an integer Zoom writes as a JSON number, and that the client
// also accepts as a string of digits. Meeting ids are int64 and exceed 2^32
// (zoom-api.md §1.1), so it never goes through float64.
type flexInt int64

// UnmarshalJSON reads a number, a string of digits or null.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*n = flexInt(v)
	return nil
}

// flexString is a string Zoom sometimes writes as a number (passcodes,
// PMIs).
type flexString string

// UnmarshalJSON reads a string, a number (kept as written) or null.
func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	default:
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return fmt.Errorf("not a string or number: %s", b)
		}
		*s = flexString(num)
	}
	return nil
}

// wireMeeting is a meeting as Zoom's create, get and list answers write it
// (zoom-api.md §1.6, §1.7, §1.10). Every field is optional.
type wireMeeting struct {
	UUID              string                `json:"uuid,omitempty"`
	ID                flexInt               `json:"id,omitempty"`
	HostID            string                `json:"host_id,omitempty"`
	HostEmail         string                `json:"host_email,omitempty"`
	AssistantID       string                `json:"assistant_id,omitempty"`
	Topic             string                `json:"topic,omitempty"`
	Type              flexInt               `json:"type,omitempty"`
	Status            string                `json:"status,omitempty"`
	StartTime         string                `json:"start_time,omitempty"`
	Duration          flexInt               `json:"duration,omitempty"`
	Timezone          string                `json:"timezone,omitempty"`
	Agenda            string                `json:"agenda,omitempty"`
	CreatedAt         string                `json:"created_at,omitempty"`
	StartURL          string                `json:"start_url,omitempty"`
	JoinURL           string                `json:"join_url,omitempty"`
	RegistrationURL   string                `json:"registration_url,omitempty"`
	Password          flexString            `json:"password,omitempty"`
	H323Password      flexString            `json:"h323_password,omitempty"`
	PSTNPassword      flexString            `json:"pstn_password,omitempty"`
	EncryptedPassword flexString            `json:"encrypted_password,omitempty"`
	PMI               flexString            `json:"pmi,omitempty"`
	Occurrences       []wireOccurrence      `json:"occurrences,omitempty"`
	Recurrence        *video.Recurrence     `json:"recurrence,omitempty"`
	Settings          *video.Settings       `json:"settings,omitempty"`
	TrackingFields    []video.TrackingField `json:"tracking_fields,omitempty"`
}

// wireOccurrence is one occurrence of a recurring meeting.
type wireOccurrence struct {
	OccurrenceID flexString `json:"occurrence_id"`
	StartTime    string     `json:"start_time,omitempty"`
	Duration     flexInt    `json:"duration,omitempty"`
	Status       string     `json:"status,omitempty"`
}

// locations caches time.LoadLocation's zones, up to maxLocations of them
// (Zoom's zone list is a few hundred names).
var (
	locations    sync.Map // name → *time.Location
	nLocations   atomic.Int32
	maxLocations = int32(1000)
)

// location returns the IANA zone name, or nil when the name is empty or
// unknown.
func location(name string) *time.Location {
	if name == "" || name == "Local" || len(name) > 64 {
		// "Local" is the process's zone to LoadLocation, never Zoom's.
		return nil
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	if nLocations.Load() < maxLocations {
		if _, loaded := locations.LoadOrStore(name, l); !loaded {
			nLocations.Add(1)
		}
	}
	return l
}

// meeting converts w to the provider-neutral model. Start times without an
// offset are wall times in the meeting's timezone.
func (w *wireMeeting) meeting() (*video.Meeting, error) {
	loc := location(w.Timezone)
	m := &video.Meeting{
		Provider:          "zoom",
		UUID:              w.UUID,
		HostID:            w.HostID,
		HostEmail:         w.HostEmail,
		AssistantID:       w.AssistantID,
		Topic:             w.Topic,
		Type:              video.MeetingType(w.Type),
		Status:            w.Status,
		Duration:          int(w.Duration),
		Timezone:          w.Timezone,
		Password:          string(w.Password),
		H323Password:      string(w.H323Password),
		PSTNPassword:      string(w.PSTNPassword),
		EncryptedPassword: string(w.EncryptedPassword),
		JoinURL:           w.JoinURL,
		StartURL:          w.StartURL,
		RegistrationURL:   w.RegistrationURL,
		Agenda:            w.Agenda,
		PMI:               string(w.PMI),
		Recurrence:        w.Recurrence,
		TrackingFields:    w.TrackingFields,
	}
	if w.ID != 0 {
		m.ID = strconv.FormatInt(int64(w.ID), 10)
	}
	if w.Settings != nil {
		m.Settings = *w.Settings
	}
	var err error
	if w.StartTime != "" {
		if m.StartTime, err = video.ParseTime(w.StartTime, loc); err != nil {
			return nil, fmt.Errorf("start_time: %w", err)
		}
	}
	if w.CreatedAt != "" {
		if m.CreatedAt, err = video.ParseTime(w.CreatedAt, nil); err != nil {
			return nil, fmt.Errorf("created_at: %w", err)
		}
	}
	for _, o := range w.Occurrences {
		occ := video.Occurrence{ID: string(o.OccurrenceID), Duration: int(o.Duration), Status: o.Status}
		if o.StartTime != "" {
			if occ.StartTime, err = video.ParseTime(o.StartTime, loc); err != nil {
				return nil, fmt.Errorf("occurrence %s start_time: %w", o.OccurrenceID, err)
			}
		}
		m.Occurrences = append(m.Occurrences, occ)
	}
	return m, nil
}

// wireFrom writes m as Zoom writes a meeting. It is meeting's inverse for
// the fields Zoom sends.
func wireFrom(m *video.Meeting) wireMeeting {
	w := wireMeeting{
		UUID:              m.UUID,
		HostID:            m.HostID,
		HostEmail:         m.HostEmail,
		AssistantID:       m.AssistantID,
		Topic:             m.Topic,
		Type:              flexInt(m.Type),
		Status:            m.Status,
		Duration:          flexInt(m.Duration),
		Timezone:          m.Timezone,
		Agenda:            m.Agenda,
		StartURL:          m.StartURL,
		JoinURL:           m.JoinURL,
		RegistrationURL:   m.RegistrationURL,
		Password:          flexString(m.Password),
		H323Password:      flexString(m.H323Password),
		PSTNPassword:      flexString(m.PSTNPassword),
		EncryptedPassword: flexString(m.EncryptedPassword),
		PMI:               flexString(m.PMI),
		Recurrence:        m.Recurrence,
		TrackingFields:    m.TrackingFields,
	}
	if id, err := strconv.ParseInt(m.ID, 10, 64); err == nil {
		w.ID = flexInt(id)
	}
	if !m.Settings.IsZero() {
		s := m.Settings
		w.Settings = &s
	}
	if !m.StartTime.IsZero() {
		w.StartTime = video.FormatTime(m.StartTime)
	}
	if !m.CreatedAt.IsZero() {
		w.CreatedAt = video.FormatTime(m.CreatedAt)
	}
	for _, o := range m.Occurrences {
		wo := wireOccurrence{OccurrenceID: flexString(o.ID), Duration: flexInt(o.Duration), Status: o.Status}
		if !o.StartTime.IsZero() {
			wo.StartTime = video.FormatTime(o.StartTime)
		}
		w.Occurrences = append(w.Occurrences, wo)
	}
	return w
}

// DecodeMeeting reads a meeting as Zoom's create and get answers (and the
// items of its list answer) write it.
func DecodeMeeting(b []byte) (*video.Meeting, error) {
	var w wireMeeting
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("zoom: decode meeting: %w", err)
	}
	m, err := w.meeting()
	if err != nil {
		return nil, fmt.Errorf("zoom: decode meeting: %w", err)
	}
	return m, nil
}

// EncodeMeeting writes m as Zoom writes a meeting: id as a number,
// start_time in UTC with Z. DecodeMeeting reads it back unchanged.
func EncodeMeeting(m *video.Meeting) ([]byte, error) {
	return json.Marshal(wireFrom(m))
}

// wireSpec is the body of a create (POST) or update (PATCH) request
// (zoom-api.md §1.3, §1.8): only set fields are written.
type wireSpec struct {
	Topic           string                `json:"topic,omitempty"`
	Type            int                   `json:"type,omitempty"`
	StartTime       string                `json:"start_time,omitempty"`
	Duration        int                   `json:"duration,omitempty"`
	Timezone        string                `json:"timezone,omitempty"`
	Password        *string               `json:"password,omitempty"`
	DefaultPassword *bool                 `json:"default_password,omitempty"`
	Agenda          *string               `json:"agenda,omitempty"`
	PreSchedule     *bool                 `json:"pre_schedule,omitempty"`
	ScheduleFor     string                `json:"schedule_for,omitempty"`
	TemplateID      string                `json:"template_id,omitempty"`
	Recurrence      *video.Recurrence     `json:"recurrence,omitempty"`
	Settings        *video.Settings       `json:"settings,omitempty"`
	TrackingFields  []video.TrackingField `json:"tracking_fields,omitempty"`
}

// specBody builds the request body of spec; create gives the defaults of a
// new meeting (type 2). It checks Zoom's documented limits first, so that an
// invalid request costs no call against the host's daily limit.
func specBody(spec video.Spec, create bool) (*wireSpec, error) {
	if err := validate(spec, create); err != nil {
		return nil, err
	}
	w := &wireSpec{
		Topic:           spec.Topic,
		Type:            int(spec.Type),
		Duration:        spec.Duration,
		Timezone:        spec.Timezone,
		Password:        spec.Password,
		DefaultPassword: spec.DefaultPassword,
		Agenda:          spec.Agenda,
		PreSchedule:     spec.PreSchedule,
		ScheduleFor:     spec.ScheduleFor,
		TemplateID:      spec.TemplateID,
		Recurrence:      spec.Recurrence,
		TrackingFields:  spec.TrackingFields,
	}
	if create && w.Type == 0 {
		w.Type = int(video.Scheduled)
	}
	if !spec.StartTime.IsZero() {
		// LESSONS "Wrong start time": always the instant in UTC with Z, and
		// the organizer's IANA zone beside it.
		w.StartTime = video.FormatTime(spec.StartTime)
		if w.Timezone == "" {
			if name := spec.StartTime.Location().String(); name != "Local" && name != "UTC" && location(name) != nil {
				w.Timezone = name
			}
		}
	}
	if !spec.Settings.IsZero() {
		s := spec.Settings
		w.Settings = &s
	}
	return w, nil
}

// validate checks the limits Zoom documents (zoom-api.md §1.3-§1.5, §9.2).
func validate(spec video.Spec, create bool) error {
	var fields []video.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, video.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if n := utf8.RuneCountInString(spec.Topic); n > 200 {
		bad("topic", "is %d characters long; Zoom allows 200", n)
	}
	if spec.Agenda != nil {
		if n := utf8.RuneCountInString(*spec.Agenda); n > 2000 {
			bad("agenda", "is %d characters long; Zoom allows 2,000", n)
		}
	}
	if spec.Password != nil && len(*spec.Password) > 10 {
		bad("password", "is longer than Zoom's 10 characters")
	}
	switch spec.Type {
	case 0, video.Instant, video.Scheduled, video.RecurringNoFixedTime, video.RecurringFixedTime, video.ScreenShareOnly:
	default:
		bad("type", "%d is not a meeting type Zoom creates (1, 2, 3, 8, 10)", spec.Type)
	}
	if spec.Duration < 0 {
		bad("duration", "is negative")
	}
	if spec.Timezone != "" && location(spec.Timezone) == nil {
		bad("timezone", "%q is not an IANA time zone", spec.Timezone)
	}
	if create && spec.Type == video.RecurringFixedTime && spec.Recurrence == nil {
		bad("recurrence", "is required for a recurring meeting with a fixed time")
	}
	if r := spec.Recurrence; r != nil {
		limit := map[video.RecurrenceType]int{video.Daily: 90, video.Weekly: 12, video.Monthly: 3}
		if _, ok := limit[r.Type]; !ok {
			bad("recurrence.type", "%d is not 1 (daily), 2 (weekly) or 3 (monthly)", r.Type)
		} else if r.RepeatInterval < 0 || r.RepeatInterval > limit[r.Type] {
			bad("recurrence.repeat_interval", "%d is out of range (at most %d)", r.RepeatInterval, limit[r.Type])
		}
		for _, d := range r.WeeklyDays {
			if d < 1 || d > 7 {
				bad("recurrence.weekly_days", "%d is not a day from 1 (Sunday) to 7 (Saturday)", d)
			}
		}
		if r.Type == video.Weekly && len(r.WeeklyDays) == 0 {
			bad("recurrence.weekly_days", "is required for a weekly recurrence")
		}
		if r.MonthlyDay < 0 || r.MonthlyDay > 31 {
			bad("recurrence.monthly_day", "%d is not a day of the month", r.MonthlyDay)
		}
		if r.MonthlyWeek != 0 && (r.MonthlyWeek < -1 || r.MonthlyWeek > 4) {
			bad("recurrence.monthly_week", "%d is not -1 (last) or 1-4", r.MonthlyWeek)
		}
		if r.MonthlyWeekDay < 0 || r.MonthlyWeekDay > 7 || (r.MonthlyWeek != 0) != (r.MonthlyWeekDay != 0) {
			bad("recurrence.monthly_week_day", "must be 1-7 and go with monthly_week")
		}
		if r.EndTimes < 0 || r.EndTimes > 365 {
			bad("recurrence.end_times", "%d is out of range (at most 365)", r.EndTimes)
		}
		if r.EndTimes != 0 && !r.EndDateTime.IsZero() {
			bad("recurrence.end_times", "cannot be given with end_date_time")
		}
	}
	if j := spec.Settings.JBHTime; j != nil && *j != 0 && *j != 5 && *j != 10 && *j != 15 {
		bad("settings.jbh_time", "%d is not 0, 5, 10 or 15", *j)
	}
	if len(fields) == 0 {
		return nil
	}
	return &video.ValidationError{Field: fields[0].Field, Message: fields[0].Message, Fields: fields}
}

// errNoID is returned for an empty meeting id.
var errNoID = &video.ValidationError{Field: "id", Message: "no meeting id"}

// meetingPath returns the escaped path of the meeting id: a meeting number,
// or a UUID, which "must be URL-encoded twice" when it begins with "/" or
// contains "//" (zoom-api.md §1.1).
func meetingPath(id string) (string, error) {
	if id == "" {
		return "", errNoID
	}
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		return "/meetings/" + id, nil
	}
	if strings.ContainsAny(id, "\x00\r\n") {
		return "", &video.ValidationError{Field: "id", Message: "invalid meeting id"}
	}
	p := url.PathEscape(id)
	if strings.HasPrefix(id, "/") || strings.Contains(id, "//") {
		p = url.PathEscape(p)
	}
	return "/meetings/" + p, nil
}

// userPath returns the escaped path of a Zoom user: an e-mail address, a
// user id, or "me".
func userPath(user string) (string, error) {
	if strings.TrimSpace(user) == "" {
		return "", &video.ValidationError{Field: "host", Message: "no Zoom user (organizer e-mail) given"}
	}
	return "/users/" + url.PathEscape(user), nil
}
