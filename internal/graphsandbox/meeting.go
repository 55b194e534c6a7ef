package graphsandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

// onlineMeeting is a Teams meeting made through /onlineMeetings.
type onlineMeeting struct {
	ID            string          `json:"id"`
	UserID        string          `json:"userId"`
	ExternalID    string          `json:"externalId,omitempty"`
	Subject       string          `json:"subject"`
	Start         time.Time       `json:"start"`
	End           time.Time       `json:"end"`
	Created       time.Time       `json:"created"`
	JoinURL       string          `json:"joinUrl"`
	VTCID         string          `json:"vtcId"`
	ConferenceID  string          `json:"conferenceId"`
	JoinMeetingID string          `json:"joinMeetingId"`
	Passcode      string          `json:"passcode"`
	Thread        string          `json:"thread"`
	Attendees     json.RawMessage `json:"attendees,omitempty"`
}

// meetingInput is a POST, createOrGet or PATCH body.
type meetingInput struct {
	Subject       *string         `json:"subject"`
	StartDateTime *string         `json:"startDateTime"`
	EndDateTime   *string         `json:"endDateTime"`
	ExternalID    *string         `json:"externalId"`
	Participants  json.RawMessage `json:"participants"`
	// Settings Graph accepts and the sandbox ignores.
	LobbyBypassSettings json.RawMessage `json:"lobbyBypassSettings"`
	AllowedPresenters   json.RawMessage `json:"allowedPresenters"`
	ODataType           string          `json:"@odata.type"`
}

func parseMeetingInput(b []byte) (*meetingInput, *graphError) {
	var in meetingInput
	if err := jsonStrict(b, &in); err != nil {
		return nil, errGraph(http.StatusBadRequest, "BadRequest", "Invalid onlineMeeting body: "+err.Error())
	}
	if in.Subject != nil && len(*in.Subject) > 255 {
		return nil, errBadRequest("The subject is longer than 255 characters.")
	}
	if in.ExternalID != nil && len(*in.ExternalID) > 255 {
		return nil, errBadRequest("The externalId is longer than 255 characters.")
	}
	return &in, nil
}

// apply sets the sent properties on m; a meeting without times starts now
// and lasts an hour, as Graph's does.
func (in *meetingInput) apply(m *onlineMeeting, now time.Time) *graphError {
	if in.Subject != nil {
		m.Subject = *in.Subject
	}
	if in.StartDateTime != nil {
		t, ok := parseDateTimeOffset(*in.StartDateTime)
		if !ok {
			return errBadRequest("Invalid startDateTime.")
		}
		m.Start = t
	}
	if in.EndDateTime != nil {
		t, ok := parseDateTimeOffset(*in.EndDateTime)
		if !ok {
			return errBadRequest("Invalid endDateTime.")
		}
		m.End = t
	}
	if m.Start.IsZero() {
		m.Start = now
	}
	if m.End.IsZero() {
		m.End = m.Start.Add(time.Hour)
	}
	if m.End.Before(m.Start) {
		return errBadRequest("The end time must not be before the start time.")
	}
	if len(in.Participants) > 0 && string(in.Participants) != "null" {
		var p struct {
			Attendees json.RawMessage `json:"attendees"`
			Organizer json.RawMessage `json:"organizer"`
		}
		if err := json.Unmarshal(in.Participants, &p); err != nil {
			return errBadRequest("Invalid participants.")
		}
		m.Attendees = p.Attendees
	}
	return nil
}

func (s *Server) newMeeting(u *user) *onlineMeeting {
	thread := "19:meeting_" + s.rnd.opaque() + "@thread.v2"
	b := s.rnd.bytes(8)
	digits := func(n int, src []byte) string {
		out := make([]byte, n)
		for i := range out {
			out[i] = '0' + src[i%len(src)]%10
			src[i%len(src)] /= 3
		}
		return string(out)
	}
	return &onlineMeeting{
		ID: base64.RawURLEncoding.EncodeToString([]byte("1*" + u.ID + "*0**" + thread)), UserID: u.ID,
		Created: s.now().UTC(), JoinURL: s.joinURL(), Thread: thread,
		VTCID: digits(7, b[:3]), ConferenceID: digits(9, b[3:6]), JoinMeetingID: digits(12, b[6:]), Passcode: s.rnd.opaque()[:6],
	}
}

// meetingView is an onlineMeeting as Graph shows it.
func (s *Server) meetingView(m *onlineMeeting) map[string]any {
	owner := s.st.Users[m.UserID]
	attendees := json.RawMessage("[]")
	if len(m.Attendees) > 0 && string(m.Attendees) != "null" {
		attendees = m.Attendees
	}
	var ext any
	if m.ExternalID != "" {
		ext = m.ExternalID
	}
	return map[string]any{
		"@odata.context":        s.opts.BaseURL + "/v1.0/$metadata#users('" + m.UserID + "')/onlineMeetings/$entity",
		"id":                    m.ID,
		"creationDateTime":      m.Created.Format(graphStamp),
		"startDateTime":         m.Start.UTC().Format(graphStamp),
		"endDateTime":           m.End.UTC().Format(graphStamp),
		"joinWebUrl":            m.JoinURL,
		"subject":               m.Subject,
		"externalId":            ext,
		"isBroadcast":           false,
		"allowedPresenters":     "everyone",
		"videoTeleconferenceId": m.VTCID,
		"audioConferencing": map[string]any{
			"conferenceId": m.ConferenceID, "tollNumber": "+12065550100", "tollFreeNumber": "+18005550100",
			"tollNumbers": []string{"+12065550100"}, "tollFreeNumbers": []string{"+18005550100"},
			"dialinUrl": s.opts.BaseURL + "/dialin/" + m.ConferenceID,
		},
		"chatInfo":              map[string]any{"threadId": m.Thread, "messageId": "0", "replyChainMessageId": nil},
		"joinMeetingIdSettings": map[string]any{"isPasscodeRequired": true, "joinMeetingId": m.JoinMeetingID, "passcode": m.Passcode},
		"participants": map[string]any{
			"organizer": map[string]any{"upn": owner.Mail, "role": "presenter",
				"identity": map[string]any{"user": map[string]any{"id": owner.ID, "displayName": owner.DisplayName}}},
			"attendees": attendees,
		},
	}
}

// handleMeetingCreate is POST /users/{id}/onlineMeetings: 201.
func (s *Server) handleMeetingCreate(r *http.Request, c *call) (any, *graphError) {
	return s.createMeeting(r, c, false)
}

// handleMeetingCreateOrGet is POST …/onlineMeetings/createOrGet: the
// meeting with that externalId (200), or a new one (201).
func (s *Server) handleMeetingCreateOrGet(r *http.Request, c *call) (any, *graphError) {
	return s.createMeeting(r, c, true)
}

func (s *Server) createMeeting(r *http.Request, c *call, orGet bool) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseMeetingInput(b)
	if gerr != nil {
		return nil, gerr
	}
	if orGet && (in.ExternalID == nil || *in.ExternalID == "") {
		return nil, errBadRequest("externalId is required for createOrGet.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	if orGet {
		for _, m := range s.st.Meetings {
			if m.UserID == u.ID && m.ExternalID == *in.ExternalID {
				return s.meetingView(m), nil
			}
		}
	}
	if len(s.st.Meetings) >= maxUsers*10 {
		return nil, errGraph(http.StatusForbidden, "Forbidden", "Too many online meetings in the sandbox.")
	}
	m := s.newMeeting(u)
	if in.ExternalID != nil {
		m.ExternalID = *in.ExternalID
	}
	if gerr := in.apply(m, s.now().UTC()); gerr != nil {
		return nil, gerr
	}
	s.st.Meetings[m.ID] = m
	s.changed()
	return &response{status: http.StatusCreated, body: s.meetingView(m)}, nil
}

func (s *Server) findMeeting(r *http.Request, c *call) (*onlineMeeting, *graphError) {
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	m := s.st.Meetings[r.PathValue("id")]
	if m == nil || m.UserID != u.ID {
		return nil, errGraph(http.StatusNotFound, "NotFound", "The meeting was not found.")
	}
	return m, nil
}

// handleMeetingGet is GET /users/{id}/onlineMeetings/{id}.
func (s *Server) handleMeetingGet(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, gerr := s.findMeeting(r, c)
	if gerr != nil {
		return nil, gerr
	}
	return s.meetingView(m), nil
}

// handleMeetingPatch is PATCH /users/{id}/onlineMeetings/{id}.
func (s *Server) handleMeetingPatch(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseMeetingInput(b)
	if gerr != nil {
		return nil, gerr
	}
	if in.ExternalID != nil {
		return nil, errBadRequest("externalId cannot be changed.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, gerr := s.findMeeting(r, c)
	if gerr != nil {
		return nil, gerr
	}
	cp := *m
	if gerr := in.apply(&cp, s.now().UTC()); gerr != nil {
		return nil, gerr
	}
	*m = cp
	s.changed()
	return s.meetingView(m), nil
}

// handleMeetingDelete is DELETE /users/{id}/onlineMeetings/{id}: 204.
func (s *Server) handleMeetingDelete(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, gerr := s.findMeeting(r, c)
	if gerr != nil {
		return nil, gerr
	}
	delete(s.st.Meetings, m.ID)
	s.changed()
	return &response{status: http.StatusNoContent}, nil
}
