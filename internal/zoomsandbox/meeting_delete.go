package zoomsandbox

import (
	"net/http"
)

// handleDelete is DELETE /v2/meetings/{meetingId} (operationId
// meetingDelete, zoom-api.md §1.9): 204. occurrence_id deletes one
// occurrence; schedule_for_reminder and cancel_meeting_reminder are
// accepted (the sandbox sends no e-mail).
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	for _, name := range []string{"schedule_for_reminder", "cancel_meeting_reminder"} {
		if _, aerr := queryBool(r, name); aerr != nil {
			return aerr
		}
	}
	s.mu.Lock()
	ev, aerr := s.delete(c, r.PathValue("meetingId"), r.URL.Query().Get("occurrence_id"))
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	s.hooks.send(ev)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// delete removes a meeting (to the trash, from which PUT status "recover"
// restores it) or one occurrence. s.mu is held.
func (s *Server) delete(c *call, idStr, occID string) (*event, *apiError) {
	m, aerr := s.findMeeting(c, idStr)
	if aerr != nil {
		return nil, aerr
	}
	if m.Status == "started" {
		return nil, errBadRequest(3002, msgInProgress)
	}
	host := s.st.Users[m.HostID]
	if occID != "" {
		o, ok := m.findOccurrence(occID)
		if !ok || o.Deleted {
			return nil, errBadRequest(3000, msgInvalidOccurrence)
		}
		if m.Occurrences == nil {
			m.Occurrences = map[string]*occurrenceState{}
		}
		st := m.Occurrences[occID]
		if st == nil {
			st = &occurrenceState{}
			m.Occurrences[occID] = st
		}
		st.Deleted = true
		ev := s.meetingEvent("meeting.deleted", c, m, host, &o)
		if len(occurrenceTimes(m)) == 0 {
			// The last occurrence gone, the meeting is gone.
			s.trash(m)
		}
		s.meetingChanged(m.ID)
		return ev, nil
	}
	ev := s.meetingEvent("meeting.deleted", c, m, host, nil)
	s.trash(m)
	s.meetingChanged(m.ID)
	return ev, nil
}

// trash moves a meeting to the trash. s.mu is held.
func (s *Server) trash(m *meeting) {
	delete(s.st.Meetings, m.ID)
	m.DeletedAt = s.now().UTC()
	s.st.Trash[m.ID] = m
}
