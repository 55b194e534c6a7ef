package zoomsandbox

import (
	"net/http"
	"strings"
	"time"
)

// handleCreate is POST /v2/users/{userId}/meetings (operationId
// meetingCreate, zoom-api.md §1.3, §1.6): 201 with the meeting.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	in, aerr := decodeMeetingInput(r)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	v, ev, aerr := s.create(c, r.PathValue("userId"), in)
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	s.hooks.send(ev)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// create validates and stores a new meeting. s.mu is held.
func (s *Server) create(c *call, userID string, in *meetingInput) (meetingView, *event, *apiError) {
	host, aerr := s.resolveUser(c, userID)
	if aerr != nil {
		return meetingView{}, nil, aerr
	}
	if aerr := s.countCreateUpdate(host.ID); aerr != nil {
		return meetingView{}, nil, aerr
	}
	errs := in.validateCommon()
	typ := typeScheduled // SPEC23 default
	if in.Type != nil {
		typ = *in.Type
	}
	m := &meeting{
		UUID: s.rnd.meetingUUID(), AccountID: c.account.ID, HostID: host.ID, Type: typ, Status: "waiting",
		Duration: 60, Timezone: host.Timezone, CreatedAt: s.now().UTC().Truncate(time.Second),
		ZAK: s.rnd.token(),
	}
	if in.ScheduleFor != nil && *in.ScheduleFor != "" {
		if typ == typeInstant {
			return meetingView{}, nil, errBadRequest(3000, msgInstantScheduleFr)
		}
		var other *user
		if strings.Contains(*in.ScheduleFor, "@") {
			other = s.userByEmail(c.account, *in.ScheduleFor)
		} else if u := s.st.Users[*in.ScheduleFor]; u != nil && u.AccountID == c.account.ID {
			other = u
		}
		if other == nil {
			return meetingView{}, nil, errBadRequest(300, msgBadScheduleFor)
		}
		if other.ID != host.ID {
			m.AssistantID, m.HostID, host = host.ID, other.ID, other
		}
	}
	if in.PreSchedule != nil && *in.PreSchedule {
		if typ != typeScheduled && typ != typeRecurringNoFixed {
			return meetingView{}, nil, errBadRequest(3000, msgPreSchedule)
		}
		m.PreSchedule = true
	}
	if in.Settings != nil && in.Settings.EnforceLoginDomains != nil && !validEnforceLoginDomains(*in.Settings.EnforceLoginDomains) {
		return meetingView{}, nil, errBadRequest(300, msgEnforceDomains)
	}
	if in.Timezone != nil && *in.Timezone != "" {
		m.Timezone = *in.Timezone
	}
	if in.Topic != nil {
		m.Topic = *in.Topic
	}
	if m.Topic == "" {
		m.Topic = "Zoom meeting" // Zoom's default topic
	}
	if in.Duration != nil {
		m.Duration = *in.Duration
	}
	if in.Agenda != nil {
		m.Agenda = *in.Agenda
	}
	m.StartTime = m.CreatedAt
	if in.StartTime != nil && typ != typeInstant && typ != typeRecurringNoFixed {
		t, ok := parseStartTime(*in.StartTime, m.location())
		if !ok {
			errs = append(errs, fieldError{Field: "start_time", Message: msgInvalidField})
		}
		m.StartTime = t
	}
	if in.Recurrence != nil && (typ == typeRecurringFixed || typ == typeRecurringNoFixed) {
		rec, rerrs := in.Recurrence.validate()
		errs = append(errs, rerrs...)
		m.Recurrence = rec
	}
	if typ == typeRecurringFixed && in.Recurrence == nil {
		errs = append(errs, fieldError{Field: "recurrence", Message: "Required field."})
	}
	if len(errs) > 0 {
		return meetingView{}, nil, errValidation(errs...)
	}
	if in.Settings != nil {
		m.Settings = *in.Settings
		m.Settings.GlobalDialInNumbers = nil // answer-only
	}
	if in.TrackingFields != nil {
		for _, f := range *in.TrackingFields {
			m.TrackingFields = append(m.TrackingFields, trackingField{Field: *f.Field, Value: f.Value, Visible: true})
		}
	}
	s.credentials(m, in.Password)
	if typ == typeRecurringFixed {
		// start_time is the first occurrence's (a weekly rule may not
		// include the requested day).
		if occ := m.allOccurrences(); len(occ) > 0 {
			m.StartTime = occ[0].Start
		}
	}
	for m.ID == 0 || s.st.Meetings[m.ID] != nil || s.st.Trash[m.ID] != nil {
		m.ID = s.rnd.meetingID()
	}
	s.st.Meetings[m.ID] = m
	s.meetingChanged(m.ID)
	v := s.view(m, host, nil, false)
	return v, s.meetingEvent("meeting.created", c, m, host, nil), nil
}
