package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
)

// calendarRoutes: built-in calendars, external sources and availability.
// The CalDAV server itself is a mount (/dav/), outside this table.
func (s *Server) calendarRoutes() []route {
	return []route{
		{method: "PUT", path: "/api/v1/users/{email}/calendar", auth: authToken,
			summary: "Replace the imported events of a user's built-in calendar with an iCalendar file (the user, or an admin)",
			reqType: "text/calendar", resp: map[int]string{200: "CalendarImport"}, handle: s.importCalendar},
		{method: "GET", path: "/api/v1/users/{email}/calendars", auth: authToken,
			summary: "A user's calendars: the built-in one and the sources, with their sync state and problems (the user, or an admin)",
			resp:    map[int]string{200: "CalendarList"}, handle: s.listCalendars},
		{method: "POST", path: "/api/v1/users/{email}/calendars", auth: authToken,
			summary: "Add a CalDAV account or an ICS feed to a user's busy time; it syncs once before the answer (the user, or an admin)",
			request: "CalendarSourceCreate", resp: map[int]string{201: "Calendar"}, handle: s.addCalendarSource},
		{method: "POST", path: "/api/v1/users/{email}/calendars/{calendar}/sync", auth: authToken,
			summary: "Sync a source now; 409 while a sync of it runs (another sync then follows as soon as it ends)",
			resp:    map[int]string{200: "Calendar"}, handle: s.syncCalendarSource},
		{method: "DELETE", path: "/api/v1/users/{email}/calendars/{calendar}", auth: authToken,
			summary: "Remove a source and its events",
			resp:    map[int]string{204: ""}, handle: s.deleteCalendarSource},
		{method: "GET", path: "/api/v1/availability", auth: authToken,
			summary: "Times at which every attendee (users of the account) is free, best first",
			query: []param{
				{name: "attendees", typ: "string", required: true, doc: "comma-separated addresses of users of the account; the first counts as the organizer"},
				{name: "duration", typ: "integer", doc: "minutes (default: the caller's default duration)"},
				{name: "from", typ: "string", doc: "RFC 3339, or a local time without offset in timezone (default now)"},
				{name: "to", typ: "string", doc: "RFC 3339, or a local time without offset in timezone (default from + 14 days; at most 92 days after from)"},
				{name: "timezone", typ: "string", doc: "IANA zone of local times and of the answer (default the caller's)"},
				{name: "ranking", typ: "string", doc: "earliest (default) or balanced"},
				{name: "limit", typ: "integer", doc: "number of slots, 1 to 50 (default 10)"},
			},
			resp: map[int]string{200: "Availability"}, handle: s.getAvailability},
	}
}

func (s *Server) importCalendar(w http.ResponseWriter, r *http.Request) error {
	// Any Content-Type is read as iCalendar (text/calendar is right, but
	// curl sends application/x-www-form-urlencoded): the parser decides.
	res, err := s.Calendars.Import(r.Context(), principal(r), r.PathValue("email"), r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) listCalendars(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Calendars.Calendars(r.Context(), principal(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"calendars": list, "failure_policy": calendar.FailurePolicy})
	return nil
}

func (s *Server) addCalendarSource(w http.ResponseWriter, r *http.Request) error {
	var in calendar.SourceInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Calendars.AddSource(r.Context(), principal(r), r.PathValue("email"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+r.PathValue("email")+"/calendars/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) syncCalendarSource(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Calendars.SyncSource(r.Context(), principal(r), r.PathValue("email"), r.PathValue("calendar"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteCalendarSource(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calendars.DeleteSource(r.Context(), principal(r), r.PathValue("email"), r.PathValue("calendar")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// defaultAvailabilityWindow is searched when the request gives no end.
const defaultAvailabilityWindow = 14 * 24 * time.Hour

func (s *Server) getAvailability(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	q := r.URL.Query()
	me, err := s.Accounts.User(r.Context(), p, p.UserID)
	if err != nil {
		return err
	}
	var fs failure.Fields
	tz := q.Get("timezone")
	if tz == "" {
		tz = me.TimeZone
	}
	loc := time.UTC
	if err := account.CheckTimeZone(tz); err != nil {
		fs.Add("timezone", "%v", err)
	} else {
		loc, _ = time.LoadLocation(tz)
	}
	duration := me.DefaultDuration
	if v := q.Get("duration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fs.Add("duration", "%q is not a number of minutes", v)
		}
		duration = n
	}
	now := s.Now()
	from, to := now, time.Time{}
	if v := q.Get("from"); v != "" {
		t, err := parseInstant(v, loc)
		if err != nil {
			fs.Add("from", "%v", err)
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := parseInstant(v, loc)
		if err != nil {
			fs.Add("to", "%v", err)
		}
		to = t
	} else {
		to = from.Add(defaultAvailabilityWindow)
	}
	ranking, err := availability.ParseRanking(q.Get("ranking"))
	if err != nil {
		fs.Add("ranking", "%q is not earliest or balanced", q.Get("ranking"))
	}
	limit := queryLimit(&fs, q, calendar.MaxAvailableSlots)
	if err := fs.Err(); err != nil {
		return err
	}
	res, err := s.Calendars.Availability(r.Context(), p, calendar.AvailabilityRequest{
		Attendees: strings.Split(q.Get("attendees"), ","), Duration: time.Duration(duration) * time.Minute,
		From: from, To: to, Location: loc, Ranking: ranking, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// parseInstant reads RFC 3339, or a local date-time without offset
// ("2026-03-02T09:00", seconds optional) as wall time in loc.
func parseInstant(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2026-03-02T09:00:00Z) or a local time (2026-03-02T09:00)", v)
}
