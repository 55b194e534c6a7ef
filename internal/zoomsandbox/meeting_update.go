package zoomsandbox

import (
	"net/http"
)

// handleUpdate is PATCH /v2/meetings/{meetingId} (operationId
// meetingUpdate, zoom-api.md §1.8): partial update, 204 without a body.
// With occurrence_id only agenda, start_time, duration and some settings of
// that occurrence change.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	in, aerr := decodeMeetingInput(r)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	ev, aerr := s.update(c, r.PathValue("meetingId"), r.URL.Query().Get("occurrence_id"), in)
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	s.hooks.send(ev)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// update applies a PATCH. s.mu is held.
func (s *Server) update(c *call, idStr, occID string, in *meetingInput) (*event, *apiError) {
	m, aerr := s.findMeeting(c, idStr)
	if aerr != nil {
		return nil, aerr
	}
	host := s.st.Users[m.HostID]
	if m.Status == "started" {
		return nil, errBadRequest(3000, msgStartedNoUpdate)
	}
	if aerr := s.countCreateUpdate(host.ID); aerr != nil {
		return nil, aerr
	}
	if errs := in.validateCommon(); len(errs) > 0 {
		return nil, errValidation(errs...)
	}
	if in.Settings != nil && in.Settings.EnforceLoginDomains != nil && !validEnforceLoginDomains(*in.Settings.EnforceLoginDomains) {
		return nil, errBadRequest(300, msgEnforceDomains)
	}
	if in.ScheduleFor != nil && *in.ScheduleFor != "" && s.userByEmail(c.account, *in.ScheduleFor) == nil && s.st.Users[*in.ScheduleFor] == nil {
		return nil, errBadRequest(300, msgBadScheduleFor)
	}
	before := s.webhookObject(m, host)
	if occID != "" {
		if aerr := s.updateOccurrence(m, occID, in); aerr != nil {
			return nil, aerr
		}
		s.meetingChanged(m.ID)
		return s.updatedEvent(c, m, host, before, occID), nil
	}

	next := *m // apply to a copy, commit when valid
	var errs []fieldError
	if in.Type != nil {
		next.Type = *in.Type
	}
	if in.Topic != nil {
		next.Topic = *in.Topic
	}
	if in.Agenda != nil {
		next.Agenda = *in.Agenda
	}
	if in.Duration != nil {
		next.Duration = *in.Duration
	}
	if in.Timezone != nil && *in.Timezone != "" {
		next.Timezone = *in.Timezone
	}
	if in.PreSchedule != nil {
		if *in.PreSchedule && next.Type != typeScheduled && next.Type != typeRecurringNoFixed {
			return nil, errBadRequest(3000, msgPreSchedule)
		}
		next.PreSchedule = *in.PreSchedule
	}
	if in.StartTime != nil {
		t, ok := parseStartTime(*in.StartTime, next.location())
		switch {
		case !ok:
			errs = append(errs, fieldError{Field: "start_time", Message: msgInvalidField})
		case next.Type == typeRecurringFixed && t.Before(s.now()):
			// SPEC23: a start_time in the past is ignored for recurring
			// meetings.
		default:
			next.StartTime = t
		}
	}
	if in.Recurrence != nil {
		rec, rerrs := in.Recurrence.validate()
		errs = append(errs, rerrs...)
		next.Recurrence = rec
	}
	if next.Type == typeRecurringFixed && next.Recurrence == nil {
		errs = append(errs, fieldError{Field: "recurrence", Message: "Required field."})
	}
	if len(errs) > 0 {
		return nil, errValidation(errs...)
	}
	if next.Type != typeRecurringFixed && next.Type != typeRecurringNoFixed {
		next.Recurrence = nil
	}
	if in.Settings != nil {
		patch := *in.Settings
		patch.GlobalDialInNumbers = nil
		patch.AdditionalDataCenterRegions = nil // create only (SPEC23)
		next.Settings.merge(&patch)
	}
	if in.TrackingFields != nil {
		next.TrackingFields = nil
		for _, f := range *in.TrackingFields {
			next.TrackingFields = append(next.TrackingFields, trackingField{Field: *f.Field, Value: f.Value, Visible: true})
		}
	}
	if in.Password != nil && *in.Password != m.Password {
		s.credentials(&next, in.Password)
	}
	if next.Type == typeRecurringFixed && (in.StartTime != nil || in.Recurrence != nil || in.Type != nil) {
		if occ := next.allOccurrences(); len(occ) > 0 {
			next.StartTime = occ[0].Start
		}
	}
	*m = next
	s.meetingChanged(m.ID)
	return s.updatedEvent(c, m, host, before, ""), nil
}

// updateOccurrence changes one occurrence (SPEC23 meetingUpdate
// occurrence_id: agenda, start_time, duration and settings host_video,
// participant_video, join_before_host, mute_upon_entry, waiting_room,
// watermark, auto_recording). s.mu is held.
func (s *Server) updateOccurrence(m *meeting, occID string, in *meetingInput) *apiError {
	o, ok := m.findOccurrence(occID)
	if !ok || o.Deleted {
		return errBadRequest(3000, msgInvalidOccurrence)
	}
	st := &occurrenceState{}
	if o.state != nil {
		cp := *o.state
		st = &cp
	}
	if in.StartTime != nil {
		t, ok := parseStartTime(*in.StartTime, m.location())
		if !ok {
			return errValidation(fieldError{Field: "start_time", Message: msgInvalidField})
		}
		st.StartTime = &t
	}
	if in.Duration != nil {
		st.Duration = ptr(*in.Duration)
	}
	if in.Agenda != nil {
		st.Agenda = ptr(*in.Agenda)
	}
	if in.Settings != nil {
		kept, _ := in.Settings.occurrenceSettingsOnly()
		if st.Settings == nil {
			st.Settings = &settings{}
		}
		st.Settings.merge(kept)
	}
	if m.Occurrences == nil {
		m.Occurrences = map[string]*occurrenceState{}
	}
	m.Occurrences[occID] = st
	return nil
}

// occurrenceTimes lists a recurring meeting's occurrences that are not
// deleted, for webhooks.
func occurrenceTimes(m *meeting) []map[string]any {
	var out []map[string]any
	for _, o := range m.allOccurrences() {
		if o.Deleted {
			continue
		}
		out = append(out, map[string]any{"occurrence_id": o.ID, "start_time": o.Start.Format(zoomTime), "duration": o.Duration, "status": "available"})
	}
	return out
}
