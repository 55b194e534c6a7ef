package googlesandbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// eventsPage is the Events resource of a listing.
type eventsPage struct {
	Kind             string   `json:"kind"`
	Etag             string   `json:"etag"`
	Summary          string   `json:"summary"`
	Description      string   `json:"description"`
	Updated          string   `json:"updated"`
	TimeZone         string   `json:"timeZone"`
	AccessRole       string   `json:"accessRole"`
	DefaultReminders []any    `json:"defaultReminders"`
	NextPageToken    string   `json:"nextPageToken,omitempty"`
	NextSyncToken    string   `json:"nextSyncToken,omitempty"`
	Items            []*event `json:"items"`
}

func (s *Server) pageLocked(cal *calendar, res *listResult) eventsPage {
	items := res.Items
	if items == nil {
		items = []*event{}
	}
	return eventsPage{Kind: "calendar#events", Etag: `"` + strconv.FormatInt(3_000_000_000_000_000+s.st.Counter, 10) + `"`,
		Summary: cal.ID, Updated: formatTime(s.now()), TimeZone: s.timeZoneLocked(cal.ID), AccessRole: "owner",
		DefaultReminders: []any{}, NextPageToken: res.NextPageToken, NextSyncToken: res.NextSyncToken, Items: items}
}

// handleList is events.list.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(readScopes) {
		return errInsufficientScopes()
	}
	q, e := parseListQuery(r.URL.Query(), s.opts.PageSize)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	res, e := s.listLocked(cal, q, r.URL.Query())
	if e != nil {
		return e
	}
	page := s.pageLocked(cal, res)
	if q.TimeZone != "" {
		page.TimeZone = q.TimeZone // "Time zone used in the response"
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// handleGet is events.get: deleted events are answered too, with status
// "cancelled".
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(readScopes) {
		return errInsufficientScopes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	s.settleLocked(cal, r.PathValue("eventId"))
	ev, e := s.lookupLocked(cal, r.PathValue("eventId"))
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// parseWriteOpts reads sendUpdates (or the deprecated sendNotifications)
// and conferenceDataVersion.
func parseWriteOpts(r *http.Request) (writeOpts, *apiError) {
	v := r.URL.Query()
	o := writeOpts{SendUpdates: v.Get("sendUpdates")}
	if o.SendUpdates != "" && !slices.Contains([]string{"all", "externalOnly", "none"}, o.SendUpdates) {
		return o, errInvalidParam("sendUpdates", "Invalid value for sendUpdates.")
	}
	if o.SendUpdates == "" && v.Get("sendNotifications") == "true" {
		o.SendUpdates = "all"
	}
	if s := v.Get("conferenceDataVersion"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1 {
			return o, errInvalidParam("conferenceDataVersion", "Invalid value '"+s+"'. Values must be within the range: [0, 1]")
		}
		o.ConferenceDataVersion = n
	}
	return o, nil
}

// handleInsert is events.insert.
func (s *Server) handleInsert(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(writeScopes) {
		return errInsufficientScopes()
	}
	o, e := parseWriteOpts(r)
	if e != nil {
		return e
	}
	body, err := readBody(r)
	if err != nil {
		return errBadRequest("Could not read the request body.")
	}
	ev, e := decodeEvent(body)
	if e != nil {
		return e
	}
	if ev.RecurringEventID != "" {
		return errBadRequest("Cannot insert an instance of a recurring event: change it by its id.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	out, e := s.insertLocked(cal, ev, o)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handlePatch is events.patch.
func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	return s.change(w, r, c, true)
}

// handleUpdate is events.update.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	return s.change(w, r, c, false)
}

func (s *Server) change(w http.ResponseWriter, r *http.Request, c *call, merge bool) *apiError {
	if !c.allows(writeScopes) {
		return errInsufficientScopes()
	}
	o, e := parseWriteOpts(r)
	if e != nil {
		return e
	}
	body, err := readBody(r)
	if err != nil {
		return errBadRequest("Could not read the request body.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	id := r.PathValue("eventId")
	old, e := s.lookupLocked(cal, id)
	if e != nil {
		return e
	}
	out, e := s.changeLocked(cal, old.clone(), id, body, merge, o)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleDelete is events.delete: 204, or 410 deleted for an event already
// deleted.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(writeScopes) {
		return errInsufficientScopes()
	}
	o, e := parseWriteOpts(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	if e := s.deleteLocked(cal, r.PathValue("eventId"), o); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleInstances is events.instances: the occurrences of a recurring
// event in the window, exceptions applied, by start time.
func (s *Server) handleInstances(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(readScopes) {
		return errInsufficientScopes()
	}
	v := r.URL.Query()
	q, e := parseListQuery(v, s.opts.PageSize)
	if e != nil {
		return e
	}
	q.OrderBy, q.noSyncToken = "startTime", true
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	master, sr, e := s.seriesLocked(cal, r.PathValue("eventId"))
	if e != nil {
		return e
	}
	calTZ := s.timeZoneLocked(cal.ID)
	start, _, _ := master.span(calTZ)
	from := later(q.TimeMin, start)
	to := q.TimeMax
	if to.IsZero() {
		to = later(s.now(), from).Add(expansionHorizon)
	}
	if os := v.Get("originalStart"); os != "" {
		t, err := time.Parse(time.RFC3339Nano, os)
		if err != nil {
			return errInvalidParam("originalStart", "Bad Request")
		}
		from, to = t, t.Add(time.Second)
	}
	var items []item
	starts, _ := sr.between(from, to, maxInstances)
	for _, o := range starts {
		inst := s.instanceLocked(cal, master, sr, o)
		if inst.Status == "cancelled" && !q.ShowDeleted {
			continue
		}
		items = append(items, item{ev: inst, seq: cal.Events[master.ID].Seq, start: o})
	}
	s.sortItems(items, "startTime")
	var pt pageToken
	if q.PageToken != "" {
		if !decodeToken(q.PageToken, &pt) || pt.Query != fingerprint(v) {
			return errInvalidParam("pageToken", "Invalid page token value.")
		}
		i := 0
		for i < len(items) && s.compareKey(items[i], pt, "startTime") <= 0 {
			i++
		}
		items = items[i:]
	}
	res := &listResult{}
	if len(items) > q.MaxResults {
		last := items[q.MaxResults-1]
		res.NextPageToken = encodeToken(pageToken{Query: fingerprint(v), Start: last.start.UnixNano(), ID: last.ev.ID})
		items = items[:q.MaxResults]
	}
	for _, it := range items {
		res.Items = append(res.Items, it.ev)
	}
	writeJSON(w, http.StatusOK, s.pageLocked(cal, res))
	return nil
}
