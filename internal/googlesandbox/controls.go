package googlesandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Test controls under /_sandbox. They are not Google's: tests use them to
// play the Workspace admin and the calendars' owners, to see what Google
// would have done, and to make it misbehave.

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decodeControl reads a control's JSON body (unknown fields refused).
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := readBody(r)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad body: "+err.Error())
		return false
	}
	return true
}

// handleControlDomains is GET /_sandbox/domains.
func (s *Server) handleControlDomains(w http.ResponseWriter, r *http.Request) {
	type domainOut struct {
		Domain      string              `json:"domain"`
		Users       []user              `json:"users"`
		Delegations map[string][]string `json:"delegations"`
	}
	s.mu.Lock()
	var out []domainOut
	for _, d := range s.st.Domains {
		do := domainOut{Domain: d.Name, Users: []user{}, Delegations: d.Delegations}
		for _, u := range s.st.Users {
			if domainOf(u.Email) == d.Name {
				do.Users = append(do.Users, *u)
			}
		}
		slices.SortFunc(do.Users, func(a, b user) int { return strings.Compare(a.Email, b.Email) })
		out = append(out, do)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b domainOut) int { return strings.Compare(a.Domain, b.Domain) })
	writeJSON(w, http.StatusOK, map[string]any{"domains": out})
}

// handleControlAddDomain is POST /_sandbox/domains {"domain"}.
func (s *Server) handleControlAddDomain(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Domain string `json:"domain"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	d := normalizeDomain(in.Domain)
	if d == "" || strings.ContainsAny(d, "@/ ") || slices.Contains(personalDomains, d) {
		controlError(w, http.StatusBadRequest, "domain must be a domain name")
		return
	}
	s.mu.Lock()
	s.addDomainLocked(d)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"domain": d})
}

// handleControlAddUser is POST /_sandbox/users {"email", "time_zone"?}.
func (s *Server) handleControlAddUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		TimeZone string `json:"time_zone"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if err := s.AddUser(in.Email, in.TimeZone); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"email": strings.ToLower(in.Email)})
}

// handleControlServiceAccount is POST /_sandbox/service-accounts
// {"project_id"?}: a new service account, answered as its JSON key file.
func (s *Server) handleControlServiceAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ProjectID string `json:"project_id"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	key, err := s.mintServiceAccount(in.ProjectID)
	if err != nil {
		controlError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, key)
}

type delegationIn struct {
	Domain   string   `json:"domain"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// handleControlDelegate is POST /_sandbox/delegations {"domain",
// "client_id", "scopes"}.
func (s *Server) handleControlDelegate(w http.ResponseWriter, r *http.Request) {
	var in delegationIn
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Domain == "" || in.ClientID == "" || len(in.Scopes) == 0 {
		controlError(w, http.StatusBadRequest, "domain, client_id and scopes are required")
		return
	}
	s.Delegate(in.Domain, in.ClientID, in.Scopes)
	writeJSON(w, http.StatusCreated, in)
}

// handleControlRevoke is DELETE /_sandbox/delegations {"domain",
// "client_id"}.
func (s *Server) handleControlRevoke(w http.ResponseWriter, r *http.Request) {
	var in delegationIn
	if !decodeControl(w, r, &in) {
		return
	}
	name := in.Domain
	if name != "*" {
		name = normalizeDomain(name)
	}
	s.mu.Lock()
	if d := s.st.Domains[name]; d != nil {
		delete(d.Delegations, in.ClientID)
		s.changedLocked()
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// ownerCalendarLocked is the calendar of an address for the controls.
func (s *Server) ownerCalendarLocked(w http.ResponseWriter, id string) *calendar {
	if s.userLocked(id) == nil {
		controlError(w, http.StatusNotFound, "no such user: "+id)
		return nil
	}
	return s.calendarOfLocked(id)
}

// handleControlEvents is GET /_sandbox/calendars/{calendarId}/events: every
// stored event with its change counter.
func (s *Server) handleControlEvents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.ownerCalendarLocked(w, r.PathValue("calendarId"))
	if cal == nil {
		return
	}
	recs := make([]*record, 0, len(cal.Events))
	for _, rec := range cal.Events {
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b *record) int { return int(a.Seq - b.Seq) })
	writeJSON(w, http.StatusOK, map[string]any{"events": recs})
}

// controlWriteOpts: the controls write as the owner in Google's web UI,
// which creates conferences on request; mails only with ?sendUpdates=.
func controlWriteOpts(r *http.Request) writeOpts {
	return writeOpts{SendUpdates: r.URL.Query().Get("sendUpdates"), ConferenceDataVersion: 1}
}

// handleControlInsert is POST /_sandbox/calendars/{calendarId}/events: an
// event added by the calendar's owner (an exception with recurringEventId
// and originalStartTime too). Channels are notified.
func (s *Server) handleControlInsert(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	ev, e := decodeEvent(b)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.ownerCalendarLocked(w, r.PathValue("calendarId"))
	if cal == nil {
		return
	}
	out, e := s.insertLocked(cal, ev, controlWriteOpts(r))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleControlPatch is PATCH /_sandbox/calendars/{calendarId}/events/{eventId}:
// the owner changes an event (or one instance) in Google.
func (s *Server) handleControlPatch(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.ownerCalendarLocked(w, r.PathValue("calendarId"))
	if cal == nil {
		return
	}
	id := r.PathValue("eventId")
	old, e := s.lookupLocked(cal, id)
	if e == nil {
		var out *event
		if out, e = s.changeLocked(cal, old.clone(), id, b, true, controlWriteOpts(r)); e == nil {
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	writeAPIError(w, e)
}

// handleControlDelete is DELETE /_sandbox/calendars/{calendarId}/events/{eventId}.
func (s *Server) handleControlDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.ownerCalendarLocked(w, r.PathValue("calendarId"))
	if cal == nil {
		return
	}
	if e := s.deleteLocked(cal, r.PathValue("eventId"), controlWriteOpts(r)); e != nil {
		writeAPIError(w, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleControlInvalidate is POST /_sandbox/sync-tokens/invalidate
// {"calendar_id"?}: the sync tokens issued so far (of one calendar, or of
// all) answer 410 fullSyncRequired.
func (s *Server) handleControlInvalidate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CalendarID string `json:"calendar_id"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	s.mu.Lock()
	n := 0
	for _, cal := range s.st.Calendars {
		if in.CalendarID == "" || strings.EqualFold(in.CalendarID, cal.ID) {
			cal.Epoch++
			n++
		}
	}
	s.changedLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"invalidated": n})
}

// handleControlMails is GET /_sandbox/mails[?to=…]: the e-mails Google
// would have sent, oldest first.
func (s *Server) handleControlMails(w http.ResponseWriter, r *http.Request) {
	to := strings.ToLower(r.URL.Query().Get("to"))
	s.mu.Lock()
	out := []mail{}
	for _, m := range s.st.Mails {
		if to == "" || m.To == to {
			out = append(out, *m)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"mails": out})
}

// handleControlChannels is GET /_sandbox/channels.
func (s *Server) handleControlChannels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := []channel{}
	for _, ch := range s.st.Channels {
		out = append(out, *ch)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b channel) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
}

// handleControlPushes is GET /_sandbox/pushes: notifications sent (the
// last 1,000) and how many are still queued.
func (s *Server) handleControlPushes(w http.ResponseWriter, r *http.Request) {
	recs, pending := s.pushes.snapshot()
	writeJSON(w, http.StatusOK, map[string]any{"pushes": recs, "pending": pending})
}

// handleControlRequests is GET /_sandbox/requests: calls counted per
// method ("events.insert", "token", …).
func (s *Server) handleControlRequests(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"calls": out})
}
