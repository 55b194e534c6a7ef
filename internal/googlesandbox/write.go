package googlesandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// writeOpts are the query parameters of a write (insert, patch, update,
// delete).
type writeOpts struct {
	// SendUpdates is all, externalOnly or none (the default).
	SendUpdates string
	// ConferenceDataVersion 1 lets the request create or change a
	// conference; 0 ignores conferenceData.
	ConferenceDataVersion int
}

// bump records a change of an event: a new counter, etag and updated time,
// and a push to the calendar's channels.
func (s *Server) bumpLocked(cal *calendar, ev *event) {
	s.st.Counter++
	rec := cal.Events[ev.ID]
	if rec == nil {
		rec = &record{}
		cal.Events[ev.ID] = rec
	}
	rec.Seq = s.st.Counter
	rec.Event = ev
	ev.Kind = "calendar#event"
	ev.Updated = formatTime(s.now())
	ev.Etag = fmt.Sprintf(`"%d"`, 3_000_000_000_000_000+s.st.Counter)
	s.changedLocked()
	s.pushes.notifyLocked(cal.ID)
}

// prepareLocked fills what Google fills on a new event of cal.
func (s *Server) prepareLocked(cal *calendar, ev *event) {
	now := formatTime(s.now())
	if ev.ID == "" {
		ev.ID = s.randFrom("abcdefghijklmnopqrstuv0123456789", 26)
	}
	if ev.Status == "" {
		ev.Status = "confirmed"
	}
	if ev.EventType == "" {
		ev.EventType = "default"
	}
	if ev.Transparency == "" && ev.EventType == "workingLocation" {
		ev.Transparency = "transparent"
	}
	if ev.ICalUID == "" {
		ev.ICalUID = ev.ID + "@google.com"
	}
	if ev.Reminders == nil {
		ev.Reminders = json.RawMessage(`{"useDefault":true}`) // as Google fills it
	}
	ev.Created = now
	ev.HTMLLink = s.htmlLink(cal.ID, ev.ID)
	ev.Creator = &person{Email: cal.ID, Self: true}
	if ev.Organizer == nil || ev.Organizer.Email == "" {
		ev.Organizer = &person{Email: cal.ID}
	}
	ev.Organizer.Self = strings.EqualFold(ev.Organizer.Email, cal.ID)
	ev.normalizeTimes()
	s.markAttendeesLocked(cal, ev)
}

// markAttendeesLocked sets organizer and self on attendees and the
// default response status.
func (s *Server) markAttendeesLocked(cal *calendar, ev *event) {
	seen := map[string]bool{}
	var out []*attendee
	for _, a := range ev.Attendees {
		a.Email = strings.ToLower(strings.TrimSpace(a.Email))
		if seen[a.Email] {
			continue // Google keeps one entry per address
		}
		seen[a.Email] = true
		a.Self = a.Email == cal.ID
		a.Organizer = ev.Organizer != nil && strings.EqualFold(a.Email, ev.Organizer.Email)
		if a.ResponseStatus == "" {
			a.ResponseStatus = "needsAction"
			if a.Organizer {
				a.ResponseStatus = "accepted"
			}
		}
		out = append(out, a)
	}
	ev.Attendees = out
}

// insertLocked stores a new event in cal.
func (s *Server) insertLocked(cal *calendar, ev *event, o writeOpts) (*event, *apiError) {
	if ev.RecurringEventID != "" {
		return s.insertExceptionLocked(cal, ev, o)
	}
	if e := ev.check(); e != nil {
		return nil, e
	}
	if ev.ID != "" && cal.Events[ev.ID] != nil {
		return nil, errDuplicate()
	}
	ev.Etag, ev.Kind, ev.HangoutLink, ev.Sequence, ev.RecurringEventID, ev.OriginalStartTime = "", "", "", 0, "", nil
	s.prepareLocked(cal, ev)
	if e := s.conferenceLocked(cal, ev, nil, o); e != nil {
		return nil, e
	}
	s.bumpLocked(cal, ev)
	s.mailLocked(cal, nil, ev, o.SendUpdates)
	return ev, nil
}

// insertExceptionLocked stores a changed instance given with its
// recurringEventId and originalStartTime (the sandbox's controls; Google's
// API reaches instances by their id).
func (s *Server) insertExceptionLocked(cal *calendar, ev *event, o writeOpts) (*event, *apiError) {
	master, sr, e := s.seriesLocked(cal, ev.RecurringEventID)
	if e != nil {
		return nil, e
	}
	if ev.OriginalStartTime == nil {
		return nil, errRequired("Missing originalStartTime.")
	}
	orig, err := ev.OriginalStartTime.instant(sr.loc.String())
	if err != nil || !sr.has(orig) {
		return nil, errInvalid("Invalid originalStartTime.")
	}
	id := instanceID(master.ID, orig, sr.allDay)
	base := s.instanceLocked(cal, master, sr, orig)
	b, _ := json.Marshal(ev)
	return s.changeLocked(cal, base, id, b, true, o)
}

// seriesLocked finds a recurring event and its occurrences.
func (s *Server) seriesLocked(cal *calendar, id string) (*event, *series, *apiError) {
	rec := cal.Events[id]
	if rec == nil || len(rec.Event.Recurrence) == 0 {
		return nil, nil, errNotFound()
	}
	if rec.Event.Status == "cancelled" {
		return nil, nil, errDeleted()
	}
	sr, err := newSeries(rec.Event, s.timeZoneLocked(cal.ID))
	if err != nil {
		return nil, nil, errInvalid("Invalid recurrence rule.")
	}
	return rec.Event, sr, nil
}

// instanceLocked is the stored exception at orig, or the unmodified
// instance.
func (s *Server) instanceLocked(cal *calendar, master *event, sr *series, orig time.Time) *event {
	id := instanceID(master.ID, orig, sr.allDay)
	if rec := cal.Events[id]; rec != nil {
		return rec.Event.clone()
	}
	return sr.instance(master, orig)
}

// lookupLocked finds an event by id: a stored event (cancelled ones
// included) or an unmodified instance of a recurring event.
func (s *Server) lookupLocked(cal *calendar, id string) (*event, *apiError) {
	if rec := cal.Events[id]; rec != nil {
		return rec.Event, nil
	}
	seriesID, start, allDay, ok := parseInstanceID(id)
	if !ok {
		return nil, errNotFound()
	}
	master, sr, e := s.seriesLocked(cal, seriesID)
	if e != nil {
		return nil, errNotFound()
	}
	if allDay {
		start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, sr.loc)
	}
	if allDay != sr.allDay || !sr.has(start) {
		return nil, errNotFound()
	}
	return sr.instance(master, start), nil
}

// changeLocked applies a patch (merge) or an update (replace) to the event
// old, stored under id.
func (s *Server) changeLocked(cal *calendar, old *event, id string, body []byte, merge bool, o writeOpts) (*event, *apiError) {
	var next *event
	if merge {
		merged, err := mergePatch(old, body)
		if err != nil {
			return nil, errBadRequest("Invalid JSON payload received. " + jsonErrorText(err))
		}
		next = merged
	} else {
		ev, e := decodeEvent(body)
		if e != nil {
			return nil, e
		}
		next = ev
	}
	// Read-only fields stay Google's.
	next.ID, next.Kind, next.ICalUID, next.Created, next.Creator, next.HTMLLink = id, old.Kind, old.ICalUID, old.Created, old.Creator, old.HTMLLink
	next.RecurringEventID, next.OriginalStartTime, next.HangoutLink = old.RecurringEventID, old.OriginalStartTime, old.HangoutLink
	if next.ICalUID == "" {
		next.ICalUID = id + "@google.com"
	}
	if next.Organizer == nil || next.Organizer.Email == "" {
		next.Organizer = old.Organizer
	}
	if next.Status == "" {
		next.Status = "confirmed"
	}
	if next.EventType == "" {
		next.EventType = old.EventType
	}
	if e := next.check(); e != nil {
		return nil, e
	}
	if next.RecurringEventID != "" && len(next.Recurrence) > 0 {
		return nil, errBadRequest("An instance of a recurring event cannot have a recurrence.")
	}
	if next.Created == "" {
		next.Created = formatTime(s.now())
		next.HTMLLink = s.htmlLink(cal.ID, id)
		next.Creator = &person{Email: cal.ID, Self: true}
	}
	next.normalizeTimes()
	s.markAttendeesLocked(cal, next)
	// Google raises the sequence when the time or the recurrence changes.
	next.Sequence = max(next.Sequence, old.Sequence)
	if !sameTime(old.Start, next.Start) || !sameTime(old.End, next.End) || !slices.Equal(old.Recurrence, next.Recurrence) {
		next.Sequence = old.Sequence + 1
	}
	if e := s.conferenceLocked(cal, next, old, o); e != nil {
		return nil, e
	}
	var prev *event
	if rec := cal.Events[id]; rec != nil && rec.Event.Status != "cancelled" {
		prev = rec.Event
	} else if rec == nil && old.RecurringEventID != "" {
		prev = old // an unmodified instance becomes an exception
	}
	s.bumpLocked(cal, next)
	s.mailLocked(cal, prev, next, o.SendUpdates)
	return next, nil
}

func sameTime(a, b *eventTime) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// mergePatch applies a patch body to ev with the semantics of Google's
// patch: fields present replace, nested objects merge, arrays replace,
// null clears.
func mergePatch(ev *event, body []byte) (*event, error) {
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		return nil, err
	}
	cur, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var base map[string]any
	if err := json.Unmarshal(cur, &base); err != nil {
		return nil, err
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	mergeInto(base, p)
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	var out event
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	out.clearNulls()
	return &out, nil
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sv, sok := v.(map[string]any)
		dv, dok := dst[k].(map[string]any)
		if sok && dok {
			mergeInto(dv, sv)
			continue
		}
		dst[k] = v
	}
}

// deleteLocked cancels an event (a series with its exceptions, or one
// instance).
func (s *Server) deleteLocked(cal *calendar, id string, o writeOpts) *apiError {
	ev, e := s.lookupLocked(cal, id)
	if e != nil {
		return e
	}
	if ev.Status == "cancelled" {
		return errDeleted()
	}
	gone := ev.clone()
	gone.Status = "cancelled"
	if cal.Events[id] == nil {
		gone.Sequence++ // an instance becomes a cancelled exception
	}
	s.bumpLocked(cal, gone)
	s.mailLocked(cal, ev, gone, o.SendUpdates)
	if len(ev.Recurrence) > 0 {
		for _, rec := range cal.Events {
			if rec.Event.RecurringEventID == id && rec.Event.Status != "cancelled" {
				x := rec.Event.clone()
				x.Status = "cancelled"
				s.bumpLocked(cal, x)
			}
		}
	}
	return nil
}

// mailLocked records the e-mails Google would send for a change from prev
// (nil: new) to next under sendUpdates: invitations to new attendees,
// updates to the others, cancellations to removed ones or all when the
// event is cancelled. The organizer gets none; externalOnly mails only
// addresses outside the organizer's domain; none (the default) mails
// nobody.
func (s *Server) mailLocked(cal *calendar, prev, next *event, sendUpdates string) {
	if sendUpdates != "all" && sendUpdates != "externalOnly" {
		return
	}
	organizer := cal.ID
	if next.Organizer != nil && next.Organizer.Email != "" {
		organizer = strings.ToLower(next.Organizer.Email)
	}
	wants := func(email string) bool {
		if email == organizer {
			return false
		}
		return sendUpdates == "all" || domainOf(email) != domainOf(organizer)
	}
	had := map[string]bool{}
	if prev != nil && prev.Status != "cancelled" {
		for _, a := range prev.Attendees {
			had[a.Email] = true
		}
	}
	add := func(to, kind string) {
		if !wants(to) {
			return
		}
		s.st.Mails = append(s.st.Mails, &mail{To: to, Kind: kind, CalendarID: cal.ID, EventID: next.ID,
			Summary: next.Summary, At: s.now().UTC()})
	}
	now := map[string]bool{}
	for _, a := range next.Attendees {
		now[a.Email] = true
		switch {
		case next.Status == "cancelled":
			if had[a.Email] {
				add(a.Email, "cancellation")
			}
		case had[a.Email]:
			add(a.Email, "update")
		default:
			add(a.Email, "invitation")
		}
	}
	for a := range had {
		if !now[a] {
			add(a, "cancellation")
		}
	}
	// Bounded: the last 10,000 mails are kept.
	if n := len(s.st.Mails); n > 10000 {
		s.st.Mails = slices.Clone(s.st.Mails[n-10000:])
	}
}
