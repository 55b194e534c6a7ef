package graphsandbox

import (
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// graphStamp is Graph's createdDateTime form: seven fractional digits, Z.
const graphStamp = "2006-01-02T15:04:05.0000000Z"

// idOf is e's id as the call asks for it.
func idOf(e *event, immutable bool) string {
	if immutable {
		return e.ID
	}
	return e.RegularID
}

// dtz renders an instant in the call's zone; an all-day time keeps its
// date (all-day events float).
func dtz(t time.Time, allDay bool, origTZ string, c *call) dateTimeTZ {
	if allDay {
		loc, _ := loadZone(origTZ)
		l := t.In(loc)
		return dateTimeTZ{DateTime: time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC).Format(graphTime), TimeZone: c.tzName}
	}
	return dateTimeTZ{DateTime: t.In(c.tz).Format(graphTime), TimeZone: c.tzName}
}

// render is an instance as Graph shows an event.
func (s *Server) render(in instance, c *call) map[string]any {
	e, f := in.ev, in.f
	owner := s.st.Users[e.UserID]
	id := idOf(e, c.immutable)
	var seriesMaster, recur any
	typ := "singleInstance"
	if e.Recurrence != nil {
		if in.date == "" {
			typ, recur = "seriesMaster", e.Recurrence
		} else {
			typ, seriesMaster, id = in.kind, id, occurrenceID(id, in.date)
		}
	}
	preview := f.Body.Content
	if f.Body.ContentType == "html" {
		preview = stripTags(preview)
	}
	preview = trunc(strings.TrimSpace(preview), 255)
	var online any
	if f.Online && f.JoinURL != "" {
		online = map[string]any{"joinUrl": f.JoinURL, "conferenceId": f.Conference, "tollNumber": "+1 206-555-0100", "tollFreeNumbers": []string{}, "phones": []any{}}
	}
	provider := "unknown"
	if f.Online {
		provider = f.Provider
	}
	categories := f.Categories
	if categories == nil {
		categories = []string{}
	}
	attendees := f.Attendees
	if attendees == nil {
		attendees = []attendee{}
	}
	loc := f.Location
	locs := []location{}
	if loc.DisplayName != "" {
		locs = append(locs, loc)
	} else {
		loc = location{DisplayName: "", LocationType: "default", UniqueIDType: "unknown"}
	}
	var txn any
	if e.TransactionID != "" {
		txn = e.TransactionID
	}
	resp := f.Response
	if resp == "" {
		resp = "organizer"
	}
	out := map[string]any{
		"@odata.etag":                `W/"` + changeKey(e.Seq) + `"`,
		"id":                         id,
		"createdDateTime":            e.Created.UTC().Format(graphStamp),
		"lastModifiedDateTime":       e.Modified.UTC().Format(graphStamp),
		"changeKey":                  changeKey(e.Seq),
		"categories":                 categories,
		"transactionId":              txn,
		"originalStartTimeZone":      f.StartTZ,
		"originalEndTimeZone":        f.EndTZ,
		"iCalUId":                    e.ICalUID,
		"reminderMinutesBeforeStart": f.Reminder,
		"isReminderOn":               f.ReminderOn,
		"hasAttachments":             false,
		"subject":                    f.Subject,
		"bodyPreview":                preview,
		"importance":                 f.Importance,
		"sensitivity":                f.Sensitivity,
		"isAllDay":                   f.IsAllDay,
		"isCancelled":                f.IsCancelled,
		"isOrganizer":                resp == "organizer",
		"responseRequested":          f.RespReq,
		"seriesMasterId":             seriesMaster,
		"showAs":                     f.ShowAs,
		"type":                       typ,
		"webLink":                    s.opts.BaseURL + "/owa/?itemid=" + url.QueryEscape(id) + "&exvsurl=1&path=/calendar/item",
		"onlineMeetingUrl":           nil,
		"isOnlineMeeting":            f.Online,
		"onlineMeetingProvider":      provider,
		"allowNewTimeProposals":      f.NewTimes,
		"isDraft":                    false,
		"hideAttendees":              false,
		"responseStatus":             responseStatus{Response: resp, Time: "0001-01-01T00:00:00Z"},
		"body":                       f.Body,
		"start":                      dtz(f.Start, f.IsAllDay, f.StartTZ, c),
		"end":                        dtz(f.End, f.IsAllDay, f.EndTZ, c),
		"location":                   loc,
		"locations":                  locs,
		"recurrence":                 recur,
		"attendees":                  attendees,
		"organizer":                  map[string]any{"emailAddress": emailAddress{Name: owner.DisplayName, Address: owner.Mail}},
		"onlineMeeting":              online,
	}
	if typ == "seriesMaster" {
		cancelled := []string{}
		for d := range e.Cancelled {
			cancelled = append(cancelled, occurrenceID(id, d))
		}
		sort.Strings(cancelled)
		out["cancelledOccurrences"] = cancelled
	}
	if in.date != "" {
		out["originalStart"] = originalStart(e, in.date).UTC().Format("2006-01-02T15:04:05Z")
	}
	return out
}

// originalStart is the start an occurrence had before an exception moved
// it.
func originalStart(e *event, date string) time.Time {
	loc, _ := loadZone(e.Recurrence.Range.RecurrenceTimeZone)
	d, _ := time.Parse("2006-01-02", date)
	ls := e.Start.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), ls.Hour(), ls.Minute(), ls.Second(), 0, loc)
}

func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// readBody reads a request body, bounded by the MaxBytesReader of graph.
func readBody(r *http.Request) ([]byte, *graphError) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errGraph(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large.")
	}
	return b, nil
}

// findEvent resolves an event or occurrence id of u (regular or
// immutable, whatever the call's preference). Called with s.mu held.
func (s *Server) findEvent(u *user, id string) (e *event, date string, gerr *graphError) {
	base := id
	if sid, d, ok := parseOccurrenceID(id); ok {
		base, date = sid, d
	}
	key := base
	if imm, ok := s.st.byRegular[base]; ok {
		key = imm
	}
	e = s.st.Events[key]
	if e == nil || e.UserID != u.ID {
		return nil, "", errItemNotFound()
	}
	if date != "" {
		if _, ok := e.occurrence(date); !ok {
			return nil, "", errItemNotFound()
		}
	}
	return e, date, nil
}

// newEvent builds an event of u from a create body. Called with s.mu held.
func (s *Server) newEvent(u *user, in *eventInput) (*event, *graphError) {
	if in.Start == nil || in.End == nil {
		return nil, errInvalidRequest("Your request can't be completed. The start and end times are required.")
	}
	n := 0
	for _, e := range s.st.Events {
		if e.UserID == u.ID {
			n++
		}
	}
	if n >= maxEvents {
		return nil, errGraph(http.StatusForbidden, "ErrorQuotaExceeded", "The mailbox has reached its quota of events.")
	}
	now := s.now().UTC()
	e := &event{
		ID: s.rnd.outlookID(true), RegularID: s.rnd.outlookID(false), UserID: u.ID,
		ICalUID: "040000008200E00074C5B7101A82E008" + strings.ToUpper(strings.ReplaceAll(s.rnd.guid(), "-", "")),
		Created: now, Modified: now,
		fields: fields{ShowAs: "busy", Response: "organizer", Importance: "normal", Sensitivity: "normal",
			Body: itemBody{ContentType: "text"}, ReminderOn: true, Reminder: 15, RespReq: true, NewTimes: true},
	}
	if gerr := in.apply(&e.fields); gerr != nil {
		return nil, gerr
	}
	if in.TransactionID != nil {
		e.TransactionID = *in.TransactionID
	}
	if in.Recurrence != nil {
		rc, gerr := parseRecurrence(*in.Recurrence, e.Start, e.StartTZ)
		if gerr != nil {
			return nil, gerr
		}
		e.Recurrence = rc
	}
	s.meetingFor(&e.fields, in.OnlineMeetingProvider == nil)
	s.st.Seq++
	e.Seq = s.st.Seq
	s.st.Events[e.ID] = e
	s.st.byRegular[e.RegularID] = e.ID
	return e, nil
}

// meetingFor gives an online event its Teams meeting: isOnlineMeeting
// with teamsForBusiness (the tenant's default provider when none is
// named) has a joinUrl.
func (s *Server) meetingFor(f *fields, defaultProvider bool) {
	if !f.Online {
		return
	}
	if defaultProvider && (f.Provider == "" || f.Provider == "unknown") {
		f.Provider = "teamsForBusiness"
	}
	if f.Provider == "teamsForBusiness" && f.JoinURL == "" {
		f.JoinURL, f.Conference = s.joinURL(), itoa(100000000+int(s.rnd.bytes(1)[0])*1000+int(s.rnd.bytes(1)[0]))
	}
}

// joinURL is a Teams meeting link on the sandbox.
func (s *Server) joinURL() string {
	return s.opts.BaseURL + "/l/meetup-join/19%3ameeting_" + s.rnd.opaque() + "%40thread.v2/0?context=%7b%22Tid%22%3a%22sandbox%22%7d"
}

// handleEventCreate is POST /users/{id}/events. A transactionId already
// used by an event of the user returns that event instead of a second
// one.
func (s *Server) handleEventCreate(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseEventInput(b, false)
	if gerr != nil {
		return nil, gerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	if in.TransactionID != nil && *in.TransactionID != "" {
		for _, e := range s.st.Events {
			if e.UserID == u.ID && e.TransactionID == *in.TransactionID {
				return &response{status: http.StatusCreated, body: s.withContext(s.render(instance{ev: e, f: &e.fields}, c), u)}, nil
			}
		}
	}
	e, gerr := s.newEvent(u, in)
	if gerr != nil {
		return nil, gerr
	}
	s.changed()
	s.notify(u, e, "created")
	return &response{status: http.StatusCreated, body: s.withContext(s.render(instance{ev: e, f: &e.fields}, c), u)}, nil
}

func (s *Server) withContext(m map[string]any, u *user) map[string]any {
	m["@odata.context"] = s.opts.BaseURL + "/v1.0/$metadata#users('" + u.ID + "')/events/$entity"
	return m
}

// handleEventList is GET /users/{id}/events: singles and series masters,
// paged with $top and $skip.
func (s *Server) handleEventList(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	var list []*event
	for _, e := range s.st.Events {
		if e.UserID == u.ID {
			list = append(list, e)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Start.Before(list[j].Start) || list[i].Start.Equal(list[j].Start) && list[i].ID < list[j].ID
	})
	items := make([]map[string]any, 0, len(list))
	for _, e := range list {
		items = append(items, s.render(instance{ev: e, f: &e.fields}, c))
	}
	return s.pageBySkip(r, c, items, "/v1.0/$metadata#users('"+u.ID+"')/events")
}

// pageBySkip answers a page of items with $top and $skip and a nextLink.
func (s *Server) pageBySkip(r *http.Request, c *call, items []map[string]any, context string) (any, *graphError) {
	q := r.URL.Query()
	top := c.maxPage
	if v := q.Get("$top"); v != "" {
		n, ok := atoiBounded(v, 1, 1000)
		if !ok {
			return nil, errBadRequest("Invalid value for $top.")
		}
		top = n
	}
	skip := 0
	if v := q.Get("$skip"); v != "" {
		n, ok := atoiBounded(v, 0, 999999)
		if !ok {
			return nil, errBadRequest("Invalid value for $skip.")
		}
		skip = n
	}
	skip = min(skip, len(items))
	end := min(skip+top, len(items))
	out := map[string]any{"@odata.context": s.opts.BaseURL + context, "value": items[skip:end]}
	if end < len(items) {
		q.Set("$skip", itoa(end))
		out["@odata.nextLink"] = s.opts.BaseURL + "/v1.0" + r.URL.Path + "?" + q.Encode()
	}
	return out, nil
}

// handleEventGet is GET /users/{id}/events/{id}: an event or occurrence.
func (s *Server) handleEventGet(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		return nil, gerr
	}
	in := instance{ev: e, f: &e.fields}
	if date != "" {
		in, _ = e.occurrence(date)
	}
	return s.withContext(s.render(in, c), u), nil
}

// handleEventPatch is PATCH /users/{id}/events/{id}; on an occurrence it
// makes an exception.
func (s *Server) handleEventPatch(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseEventInput(b, false)
	if gerr != nil {
		return nil, gerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		return nil, gerr
	}
	out, gerr := s.patchEvent(e, date, in)
	if gerr != nil {
		return nil, gerr
	}
	s.changed()
	s.notify(u, e, "updated")
	return s.withContext(s.render(out, c), u), nil
}

// patchEvent applies in to e (or to its occurrence on date). Called with
// s.mu held.
func (s *Server) patchEvent(e *event, date string, in *eventInput) (instance, *graphError) {
	if date != "" {
		if in.Recurrence != nil {
			return instance{}, errInvalidRequest("An occurrence of a series cannot have a recurrence.")
		}
		occ, _ := e.occurrence(date)
		x := &exception{fields: *occ.f}
		if gerr := in.apply(&x.fields); gerr != nil {
			return instance{}, gerr
		}
		s.meetingFor(&x.fields, false)
		s.st.Seq++
		x.Seq = s.st.Seq
		if e.Exceptions == nil {
			e.Exceptions = map[string]*exception{}
		}
		e.Exceptions[date] = x
		e.Seq, e.Modified = s.st.Seq, s.now().UTC()
		return instance{ev: e, f: &x.fields, date: date, kind: "exception"}, nil
	}
	f := e.fields
	if gerr := in.apply(&f); gerr != nil {
		return instance{}, gerr
	}
	rc := e.Recurrence
	if in.Recurrence != nil {
		var gerr *graphError
		if rc, gerr = parseRecurrence(*in.Recurrence, f.Start, f.StartTZ); gerr != nil {
			return instance{}, gerr
		}
	}
	s.meetingFor(&f, false)
	if rc != e.Recurrence || !f.Start.Equal(e.Start) {
		// A new pattern or a moved series drops its exceptions, as Outlook does.
		e.Exceptions, e.Cancelled = nil, nil
	}
	e.fields, e.Recurrence = f, rc
	s.st.Seq++
	e.Seq, e.Modified = s.st.Seq, s.now().UTC()
	return instance{ev: e, f: &e.fields}, nil
}

// handleEventDelete is DELETE /users/{id}/events/{id}: 204.
func (s *Server) handleEventDelete(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		return nil, gerr
	}
	s.deleteEvent(u, e, date)
	return &response{status: http.StatusNoContent}, nil
}

// deleteEvent removes e, or cancels its occurrence on date, and notifies.
// Called with s.mu held.
func (s *Server) deleteEvent(u *user, e *event, date string) {
	s.st.Seq++
	if date != "" {
		if e.Cancelled == nil {
			e.Cancelled = map[string]bool{}
		}
		e.Cancelled[date] = true
		delete(e.Exceptions, date)
		e.Seq, e.Modified = s.st.Seq, s.now().UTC()
		s.changed()
		s.notify(u, e, "updated")
		return
	}
	delete(s.st.Events, e.ID)
	delete(s.st.byRegular, e.RegularID)
	s.st.Removed[e.ID] = &tombstone{ID: e.ID, RegularID: e.RegularID, UserID: u.ID, Seq: s.st.Seq}
	s.pruneTombstones()
	s.changed()
	s.notify(u, e, "deleted")
}

// pruneTombstones keeps the newest 10,000; a delta token older than the
// oldest dropped one is refused (syncStateNotFound). Called with s.mu held.
func (s *Server) pruneTombstones() {
	const keep = 10_000
	if len(s.st.Removed) <= keep {
		return
	}
	var oldest *tombstone
	for _, t := range s.st.Removed {
		if oldest == nil || t.Seq < oldest.Seq {
			oldest = t
		}
	}
	delete(s.st.Removed, oldest.ID)
	s.st.Epoch++ // tokens from before may have missed it
}

// handleEventCancel is POST /users/{id}/events/{id}/cancel: the organizer
// cancels the event (or one occurrence) and Outlook mails the attendees;
// 202.
func (s *Server) handleEventCancel(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	if len(b) > 0 {
		var body struct {
			Comment string `json:"Comment"`
		}
		if err := jsonStrict(b, &body); err != nil {
			return nil, errGraph(http.StatusBadRequest, "RequestBodyRead", "Invalid cancel body: "+err.Error())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		return nil, gerr
	}
	if e.Response != "organizer" && e.Response != "" {
		return nil, errGraph(http.StatusBadRequest, "ErrorAccessDenied", "Your request can't be completed. You need to be an organizer to cancel a meeting.")
	}
	s.deleteEvent(u, e, date)
	return &response{status: http.StatusAccepted}, nil
}
