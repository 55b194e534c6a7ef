package zoomsandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// recoverWindow: Zoom keeps deleted meetings recoverable for 7 days.
const recoverWindow = 7 * 24 * time.Hour

// handleStatus is PUT /v2/meetings/{meetingId}/status (operationId
// meetingStatus, zoom-api.md §1.2) with {"action": "end" | "recover"}: 204.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var body struct {
		Action *string `json:"action"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil || json.Unmarshal(b, &body) != nil {
		return errBadRequest(300, msgBadJSON)
	}
	if body.Action == nil || (*body.Action != "end" && *body.Action != "recover") {
		return errValidation(fieldError{Field: "action", Message: msgInvalidField})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idStr := r.PathValue("meetingId")
	if *body.Action == "recover" {
		id, _ := strconv.ParseInt(idStr, 10, 64)
		if m := s.st.Trash[id]; m != nil && m.AccountID == c.account.ID && s.now().Sub(m.DeletedAt) < recoverWindow {
			delete(s.st.Trash, id)
			m.DeletedAt = time.Time{}
			s.st.Meetings[id] = m
			s.meetingChanged(id)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	m, aerr := s.findMeeting(c, idStr)
	if aerr != nil {
		return aerr
	}
	if *body.Action == "end" && m.Status == "started" {
		m.Status = "waiting"
		s.meetingChanged(m.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
