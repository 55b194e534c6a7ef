package googlesandbox

import (
	"html"
	"net/http"
	"regexp"
	"strings"
)

// meetIcon is the icon Google gives Meet's conferenceSolution.
const meetIcon = "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"

// conferenceLocked applies conferenceData of a write: with
// conferenceDataVersion=1 a createRequest with a new requestId creates a
// Google Meet conference (Calendar guide, "Create events with
// conferences"); with version 0 the body's conferenceData is ignored and
// the stored one kept.
func (s *Server) conferenceLocked(cal *calendar, next, old *event, o writeOpts) *apiError {
	var oldConf *conferenceData
	oldLink := ""
	if old != nil {
		oldConf, oldLink = old.ConferenceData, old.HangoutLink
	}
	if o.ConferenceDataVersion < 1 {
		next.ConferenceData, next.HangoutLink = oldConf, oldLink
		return nil
	}
	cd := next.ConferenceData
	switch {
	case cd == nil:
		next.HangoutLink = ""
		return nil
	case cd.CreateRequest == nil:
		// A conference copied from another event, or the stored one.
		if oldConf != nil && cd.ConferenceID == oldConf.ConferenceID {
			next.ConferenceData, next.HangoutLink = oldConf, oldLink
		}
		return nil
	case oldConf != nil && oldConf.CreateRequest != nil && oldConf.CreateRequest.RequestID == cd.CreateRequest.RequestID:
		// The same request again: the same conference.
		next.ConferenceData, next.HangoutLink = oldConf, oldLink
		return nil
	}
	req := cd.CreateRequest
	if req.RequestID == "" {
		return errInvalid("Invalid conference create request: requestId is required.")
	}
	typ := "hangoutsMeet"
	if req.ConferenceSolutionKey != nil && req.ConferenceSolutionKey.Type != "" {
		typ = req.ConferenceSolutionKey.Type
	}
	out := &conferenceData{CreateRequest: &createRequest{RequestID: req.RequestID, ConferenceSolutionKey: &solutionKey{Type: typ}}}
	out.CreateRequest.Status = &struct {
		StatusCode string `json:"statusCode,omitempty"`
	}{StatusCode: "success"}
	if typ != "hangoutsMeet" {
		// Workspace calendars offer Meet only.
		out.CreateRequest.Status.StatusCode = "failure"
		next.ConferenceData, next.HangoutLink = out, ""
		return nil
	}
	letters := "abcdefghijklmnopqrstuvwxyz"
	code := s.randFrom(letters, 3) + "-" + s.randFrom(letters, 4) + "-" + s.randFrom(letters, 3)
	pin := s.randDigits(9)
	video := s.opts.BaseURL + "/meet/" + code
	phone := "+1 555-01" + s.randDigits(2) + "-" + s.randDigits(4)
	out.ConferenceID = code
	out.ConferenceSolution = &conferenceSolution{Key: solutionKey{Type: typ}, Name: "Google Meet", IconURI: meetIcon}
	out.EntryPoints = []entryPoint{
		{EntryPointType: "video", URI: video, Label: strings.TrimPrefix(strings.TrimPrefix(video, "https://"), "http://")},
		{EntryPointType: "phone", URI: "tel:" + strings.ReplaceAll(strings.ReplaceAll(phone, " ", "-"), "--", "-"), Label: phone, Pin: pin, RegionCode: "US"},
		{EntryPointType: "more", URI: video + "/phones?pin=" + pin, Pin: pin},
	}
	next.ConferenceData, next.HangoutLink = out, video
	if s.pendingCreates > 0 {
		// Google answers the create as pending; the conference appears
		// after the event is read again (Calendar guide: poll events.get
		// until the status is success or failure).
		s.pendingCreates--
		s.pending[cal.ID+"/"+next.ID] = &pendingConference{conf: out, link: video, reads: s.pendingReads}
		next.ConferenceData = &conferenceData{CreateRequest: &createRequest{RequestID: req.RequestID,
			ConferenceSolutionKey: &solutionKey{Type: typ}, Status: &struct {
				StatusCode string `json:"statusCode,omitempty"`
			}{StatusCode: "pending"}}}
		next.HangoutLink = ""
	}
	return nil
}

// pendingConference is a Meet conference Google has not finished creating.
type pendingConference struct {
	conf  *conferenceData
	link  string
	reads int
}

// settleLocked counts a read of an event whose conference is pending; at
// the last one the conference is there (a change: channels are notified).
func (s *Server) settleLocked(cal *calendar, id string) {
	p := s.pending[cal.ID+"/"+id]
	rec := cal.Events[id]
	if p == nil || rec == nil {
		return
	}
	if p.reads--; p.reads > 0 {
		return
	}
	delete(s.pending, cal.ID+"/"+id)
	ev := rec.Event.clone()
	if ev.ConferenceData == nil || ev.ConferenceData.CreateRequest == nil || ev.ConferenceData.CreateRequest.RequestID != p.conf.CreateRequest.RequestID {
		return // changed meanwhile
	}
	ev.ConferenceData, ev.HangoutLink = p.conf, p.link
	s.bumpLocked(cal, ev)
}

// handleControlPending is POST /_sandbox/conferences/pending {"times",
// "reads"}: the next times Meet conferences are answered "pending" and
// are created after reads reads of their event (default 1).
func (s *Server) handleControlPending(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Times int `json:"times"`
		Reads int `json:"reads"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Times < 0 || in.Reads < 0 || in.Times > 1000 || in.Reads > 1000 {
		controlError(w, http.StatusBadRequest, "times and reads are 0 to 1000")
		return
	}
	s.mu.Lock()
	s.pendingCreates, s.pendingReads = in.Times, max(in.Reads, 1)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, in)
}

var meetCode = regexp.MustCompile(`^[a-z]{3}-[a-z]{4}-[a-z]{3}$`)

// handleMeetPage is the page a Meet link opens: the meeting's code.
func (s *Server) handleMeetPage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !meetCode.MatchString(code) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!doctype html><title>Meet " + html.EscapeString(code) +
		"</title><h1>Google Meet (sandbox)</h1><p>Meeting " + html.EscapeString(code) + "</p>\n"))
}
