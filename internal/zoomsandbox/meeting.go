package zoomsandbox

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// zoomTime is how Zoom writes instants: UTC with Z, whole seconds
// (zoom-api.md §1.6: start_time "always UTC Z").
const zoomTime = "2006-01-02T15:04:05Z"

// Meeting types (zoom-api.md §1.3).
const (
	typeInstant          = 1
	typeScheduled        = 2
	typeRecurringNoFixed = 3
	typePMI              = 4
	typeRecurringFixed   = 8
	typeScreenShare      = 10
)

// meetingView is a meeting as Zoom's create, get and the test listing
// answer it (zoom-api.md §1.6, §1.7), fields in Zoom's order.
type meetingView struct {
	UUID              string           `json:"uuid"`
	ID                int64            `json:"id"`
	HostID            string           `json:"host_id"`
	HostEmail         string           `json:"host_email"`
	AssistantID       string           `json:"assistant_id,omitempty"`
	Topic             string           `json:"topic"`
	Type              int              `json:"type"`
	Status            string           `json:"status"`
	StartTime         string           `json:"start_time,omitempty"`
	Duration          int              `json:"duration"`
	Timezone          string           `json:"timezone,omitempty"`
	Agenda            string           `json:"agenda,omitempty"`
	CreatedAt         string           `json:"created_at"`
	StartURL          string           `json:"start_url"`
	JoinURL           string           `json:"join_url"`
	Password          string           `json:"password,omitempty"`
	H323Password      string           `json:"h323_password,omitempty"`
	PSTNPassword      string           `json:"pstn_password,omitempty"`
	EncryptedPassword string           `json:"encrypted_password,omitempty"`
	PMI               string           `json:"pmi,omitempty"`
	PreSchedule       bool             `json:"pre_schedule"`
	Occurrences       []occurrenceView `json:"occurrences,omitempty"`
	Recurrence        *recurrence      `json:"recurrence,omitempty"`
	Settings          settings         `json:"settings"`
	TrackingFields    []trackingField  `json:"tracking_fields,omitempty"`
	CreationSource    string           `json:"creation_source,omitempty"`
}

// occurrenceView is one entry of a recurring meeting's occurrences.
type occurrenceView struct {
	OccurrenceID string `json:"occurrence_id"`
	StartTime    string `json:"start_time"`
	Duration     int    `json:"duration"`
	Status       string `json:"status"`
}

// occurrence is one computed occurrence with its changes applied.
type occurrence struct {
	ID       string
	Start    time.Time
	Duration int
	Deleted  bool
	state    *occurrenceState
}

// occurrenceID is Zoom's occurrence id: the occurrence's original start in
// epoch milliseconds (zoom-api.md §1.6, e.g. "1648194360000").
func occurrenceID(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// location is the meeting's time zone (UTC when unknown).
func (m *meeting) location() *time.Location {
	if loc, err := loadLocation(m.Timezone); err == nil && m.Timezone != "" {
		return loc
	}
	return time.UTC
}

// locations caches time.LoadLocation, which reads the zone database each
// time.
var locations sync.Map // string → *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// allOccurrences expands a type 8 meeting's recurrence and applies each
// occurrence's changes.
func (m *meeting) allOccurrences() []occurrence {
	if m.Type != typeRecurringFixed || m.Recurrence == nil {
		return nil
	}
	var out []occurrence
	for _, t := range m.Recurrence.occurrences(m.StartTime, m.location()) {
		o := occurrence{ID: occurrenceID(t), Start: t.UTC(), Duration: m.Duration}
		if st := m.Occurrences[o.ID]; st != nil {
			o.state = st
			if st.StartTime != nil {
				o.Start = st.StartTime.UTC()
			}
			if st.Duration != nil {
				o.Duration = *st.Duration
			}
			o.Deleted = st.Deleted
		}
		out = append(out, o)
	}
	return out
}

// findOccurrence returns the occurrence with that id.
func (m *meeting) findOccurrence(id string) (occurrence, bool) {
	for _, o := range m.allOccurrences() {
		if o.ID == id {
			return o, true
		}
	}
	return occurrence{}, false
}

// nextOccurrence is the first occurrence not deleted that has not ended at
// now, or the last one.
func (m *meeting) nextOccurrence(now time.Time) (occurrence, bool) {
	occ := m.allOccurrences()
	var last occurrence
	found := false
	for _, o := range occ {
		if o.Deleted {
			continue
		}
		last, found = o, true
		if o.Start.Add(time.Duration(o.Duration) * time.Minute).After(now) {
			return o, true
		}
	}
	return last, found
}

// end is when the meeting (its last occurrence) ends; zero for meetings
// without a time.
func (m *meeting) end() time.Time {
	switch m.Type {
	case typeRecurringNoFixed:
		return time.Time{}
	case typeRecurringFixed:
		var end time.Time
		for _, o := range m.allOccurrences() {
			if e := o.Start.Add(time.Duration(o.Duration) * time.Minute); !o.Deleted && e.After(end) {
				end = e
			}
		}
		return end
	}
	return m.StartTime.Add(time.Duration(m.Duration) * time.Minute)
}

// view renders the meeting as Zoom's GET answers it. occ, when set, is the
// occurrence asked for with occurrence_id; showPrevious keeps occurrences
// that have ended (show_previous_occurrences).
func (s *Server) view(m *meeting, host *user, occ *occurrence, showPrevious bool) meetingView {
	v := meetingView{
		UUID:              m.UUID,
		ID:                m.ID,
		HostID:            m.HostID,
		AssistantID:       m.AssistantID,
		Topic:             m.Topic,
		Type:              m.Type,
		Status:            m.Status,
		Duration:          m.Duration,
		Timezone:          m.Timezone,
		Agenda:            m.Agenda,
		CreatedAt:         m.CreatedAt.UTC().Format(zoomTime),
		StartURL:          s.startURL(m),
		JoinURL:           s.joinURL(m),
		Password:          m.Password,
		H323Password:      m.H323Password,
		PSTNPassword:      m.PSTNPassword,
		EncryptedPassword: m.EncryptedPassword,
		PreSchedule:       m.PreSchedule,
		Recurrence:        m.Recurrence,
		Settings:          m.Settings.withDefaults(),
		TrackingFields:    m.TrackingFields,
		CreationSource:    "open_api",
	}
	if host != nil {
		v.HostEmail = host.Email
		if m.Settings.UsePMI != nil && *m.Settings.UsePMI {
			v.PMI = strconv.FormatInt(host.PMI, 10)
		}
	}
	switch m.Type {
	case typeInstant, typeRecurringNoFixed:
		// No start time (SPEC23 GET: "absent for instant meetings").
	default:
		v.StartTime = m.StartTime.UTC().Format(zoomTime)
	}
	now := s.now()
	for _, o := range m.allOccurrences() {
		if !showPrevious && o.Start.Add(time.Duration(o.Duration)*time.Minute).Before(now) {
			continue
		}
		status := "available"
		if o.Deleted {
			status = "deleted"
		}
		v.Occurrences = append(v.Occurrences, occurrenceView{
			OccurrenceID: o.ID, StartTime: o.Start.Format(zoomTime), Duration: o.Duration, Status: status,
		})
	}
	if occ != nil {
		v.StartTime = occ.Start.Format(zoomTime)
		v.Duration = occ.Duration
		if occ.state != nil {
			if occ.state.Agenda != nil {
				v.Agenda = *occ.state.Agenda
			}
			if occ.state.Settings != nil {
				merged := m.Settings
				merged.merge(occ.state.Settings)
				v.Settings = merged.withDefaults()
			}
		}
	}
	return v
}

// startURL and joinURL follow Zoom's shapes (zoom-api.md §9.2):
// …/s/{id}?zak=… and …/j/{id}?pwd={encrypted_password}.
func (s *Server) startURL(m *meeting) string {
	return fmt.Sprintf("%s/s/%d?zak=%s", s.opts.BaseURL, m.ID, m.ZAK)
}

func (s *Server) joinURL(m *meeting) string {
	u := fmt.Sprintf("%s/j/%d", s.opts.BaseURL, m.ID)
	if m.EncryptedPassword != "" {
		u += "?pwd=" + m.EncryptedPassword
	}
	return u
}

// meetingInput is a create or update request body (zoom-api.md §1.3, §1.8).
// Pointers tell absent fields from zero ones.
type meetingInput struct {
	Topic           *string               `json:"topic"`
	Type            *int                  `json:"type"`
	PreSchedule     *bool                 `json:"pre_schedule"`
	StartTime       *string               `json:"start_time"`
	Duration        *int                  `json:"duration"`
	ScheduleFor     *string               `json:"schedule_for"`
	Timezone        *string               `json:"timezone"`
	Password        *string               `json:"password"`
	DefaultPassword *bool                 `json:"default_password"`
	Agenda          *string               `json:"agenda"`
	TemplateID      *string               `json:"template_id"`
	Recurrence      *recurrenceInput      `json:"recurrence"`
	Settings        *settings             `json:"settings"`
	TrackingFields  *[]trackingFieldInput `json:"tracking_fields"`
}

type trackingFieldInput struct {
	Field *string `json:"field"`
	Value string  `json:"value"`
}

// Limits of SPEC23's create schema.
const (
	maxTopic    = 200
	maxAgenda   = 2000
	maxPassword = 10
	// listAgenda is how much of the agenda the list endpoint returns.
	listAgenda = 250
)

// validPassword reports whether p uses only the characters Zoom allows by
// default: letters, digits and @ - _ * (SPEC23 password description).
func validPassword(p string) bool {
	if utf8.RuneCountInString(p) > maxPassword {
		return false
	}
	for _, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '@' || r == '-' || r == '_' || r == '*'
		if !ok {
			return false
		}
	}
	return true
}

// validateCommon checks the fields create and update share and returns the
// invalid ones (code 300, zoom-api.md §9.2).
func (in *meetingInput) validateCommon() []fieldError {
	var errs []fieldError
	bad := func(f string) { errs = append(errs, fieldError{Field: f, Message: msgInvalidField}) }
	if in.Topic != nil && utf8.RuneCountInString(*in.Topic) > maxTopic {
		bad("topic")
	}
	if in.Agenda != nil && utf8.RuneCountInString(*in.Agenda) > maxAgenda {
		bad("agenda")
	}
	if in.Type != nil && !slices.Contains([]int{typeInstant, typeScheduled, typeRecurringNoFixed, typeRecurringFixed, typeScreenShare}, *in.Type) {
		bad("type")
	}
	if in.Password != nil && !validPassword(*in.Password) {
		bad("password")
	}
	if in.Duration != nil && *in.Duration < 0 {
		bad("duration")
	}
	if in.Timezone != nil && *in.Timezone != "" {
		if _, err := loadLocation(*in.Timezone); err != nil {
			bad("timezone")
		}
	}
	if in.TrackingFields != nil {
		for i, f := range *in.TrackingFields {
			if f.Field == nil || *f.Field == "" {
				bad(fmt.Sprintf("tracking_fields[%d].field", i))
			}
		}
	}
	if in.Settings != nil {
		errs = append(errs, in.Settings.validate()...)
	}
	return errs
}

// parseStartTime reads a request's start_time: "yyyy-MM-ddTHH:mm:ssZ" (or
// another RFC 3339 offset) is an instant; "yyyy-MM-ddTHH:mm:ss" is wall time
// in loc (zoom-api.md §1.3).
func parseStartTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", s, loc); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// validate checks the enums and limits of a settings object.
func (st *settings) validate() []fieldError {
	var errs []fieldError
	bad := func(f string) { errs = append(errs, fieldError{Field: "settings." + f, Message: msgInvalidField}) }
	intIn := func(p *int, name string, allowed ...int) {
		if p != nil && !slices.Contains(allowed, *p) {
			bad(name)
		}
	}
	strIn := func(p *string, name string, allowed ...string) {
		if p != nil && !slices.Contains(allowed, *p) {
			bad(name)
		}
	}
	intIn(st.JBHTime, "jbh_time", 0, 5, 10, 15)
	intIn(st.ApprovalType, "approval_type", 0, 1, 2)
	intIn(st.RegistrationType, "registration_type", 1, 2, 3)
	intIn(st.CalendarType, "calendar_type", 1, 2)
	intIn(st.WhoWillReceiveSummary, "who_will_receive_summary", 1, 2, 3, 4)
	intIn(st.WhoCanAskQuestions, "who_can_ask_questions", 1, 2, 3, 4, 5)
	strIn(st.Audio, "audio", "both", "telephony", "voip", "thirdParty")
	strIn(st.AutoRecording, "auto_recording", "local", "cloud", "none")
	strIn(st.EncryptionType, "encryption_type", "enhanced_encryption", "e2ee")
	if st.AudioConferenceInfo != nil && utf8.RuneCountInString(*st.AudioConferenceInfo) > 2048 {
		bad("audio_conference_info")
	}
	if a := st.ApprovedOrDeniedCountriesOrRegions; a != nil && a.Method != "" && a.Method != "approve" && a.Method != "deny" {
		bad("approved_or_denied_countries_or_regions.method")
	}
	if w := st.WaitingRoomOptions; w != nil {
		strIn(&w.Mode, "waiting_room_options.mode", "follow_setting", "custom")
		if w.WhoGoesToWaitingRoom != "" {
			strIn(&w.WhoGoesToWaitingRoom, "waiting_room_options.who_goes_to_waiting_room", "everyone",
				"users_not_in_account", "users_not_in_account_or_whitelisted_domains", "users_not_on_invite")
		}
	}
	if q := st.QuestionAndAnswer; q != nil && q.QuestionVisibility != "" {
		strIn(&q.QuestionVisibility, "question_and_answer.question_visibility", "answered", "all")
	}
	if st.CustomKeys != nil {
		if len(*st.CustomKeys) > 10 {
			bad("custom_keys")
		}
		for i, k := range *st.CustomKeys {
			if utf8.RuneCountInString(k.Key) > 64 || utf8.RuneCountInString(k.Value) > 256 {
				bad(fmt.Sprintf("custom_keys[%d]", i))
			}
		}
	}
	if st.Resources != nil {
		for i, r := range *st.Resources {
			if r.ResourceType != "whiteboard" {
				bad(fmt.Sprintf("resources[%d].resource_type", i))
			}
			if r.PermissionLevel != "" && !slices.Contains([]string{"editor", "commenter", "viewer"}, r.PermissionLevel) {
				bad(fmt.Sprintf("resources[%d].permission_level", i))
			}
		}
	}
	if st.MeetingInvitees != nil {
		for i, inv := range *st.MeetingInvitees {
			if !validEmail(inv.Email) {
				bad(fmt.Sprintf("meeting_invitees[%d].email", i))
			}
		}
	}
	return errs
}
