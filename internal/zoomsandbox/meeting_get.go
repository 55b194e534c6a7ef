package zoomsandbox

import (
	"net/http"
	"strconv"
)

// findMeeting returns the meeting a path's meetingId names, as the caller
// may see it. s.mu is held.
func (s *Server) findMeeting(c *call, idStr string) (*meeting, *apiError) {
	id, err := strconv.ParseInt(idStr, 10, 64)
	m := s.st.Meetings[id]
	if err != nil || m == nil || m.AccountID != c.account.ID {
		return nil, errMeetingNotFound(idStr)
	}
	if c.grant == grantSelf && m.HostID != c.user.ID {
		// A user-level token reaches only its own meetings.
		return nil, errBadRequest(3000, msgCannotAccess)
	}
	return m, nil
}

// queryBool reads an optional boolean query parameter ("true"/"false", as
// Rivet serializes them).
func queryBool(r *http.Request, name string) (bool, *apiError) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errValidation(fieldError{Field: name, Message: msgInvalidField})
	}
	return b, nil
}

// handleGet is GET /v2/meetings/{meetingId} (operationId meeting,
// zoom-api.md §1.7), with occurrence_id and show_previous_occurrences.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	showPrev, aerr := queryBool(r, "show_previous_occurrences")
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, aerr := s.findMeeting(c, r.PathValue("meetingId"))
	if aerr != nil {
		return aerr
	}
	var occ *occurrence
	if id := r.URL.Query().Get("occurrence_id"); id != "" {
		o, ok := m.findOccurrence(id)
		if !ok {
			return errBadRequest(3000, msgInvalidOccurrence)
		}
		occ = &o
	}
	writeJSON(w, http.StatusOK, s.view(m, s.st.Users[m.HostID], occ, showPrev))
	return nil
}
