package googlesandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Bounds of freebusy.query: calendarExpansionMax's maximum (discovery
// document, FreeBusyRequest) and the longest window the sandbox answers.
const (
	maxFreeBusyCalendars = 50
	maxFreeBusyRange     = 93 * 24 * time.Hour
)

// freeBusyRequest is FreeBusyRequest.
type freeBusyRequest struct {
	TimeMin              string `json:"timeMin"`
	TimeMax              string `json:"timeMax"`
	TimeZone             string `json:"timeZone"`
	GroupExpansionMax    int    `json:"groupExpansionMax"`
	CalendarExpansionMax int    `json:"calendarExpansionMax"`
	Items                []struct {
		ID string `json:"id"`
	} `json:"items"`
}

type busyPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// freeBusyError is Error of FreeBusyCalendar: a domain and a reason only.
type freeBusyError struct {
	Domain string `json:"domain"`
	Reason string `json:"reason"`
}

type freeBusyCalendar struct {
	Busy   []busyPeriod    `json:"busy"`
	Errors []freeBusyError `json:"errors,omitempty"`
}

// parseFreeBusy reads and checks a freebusy.query body.
func parseFreeBusy(b []byte) (*freeBusyRequest, time.Time, time.Time, *time.Location, *apiError) {
	var req freeBusyRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, time.Time{}, time.Time{}, nil, errBadRequest("Invalid JSON payload received. " + jsonErrorText(err))
	}
	if req.TimeMin == "" {
		return nil, time.Time{}, time.Time{}, nil, errRequired("Missing timeMin parameter.")
	}
	if req.TimeMax == "" {
		return nil, time.Time{}, time.Time{}, nil, errRequired("Missing timeMax parameter.")
	}
	from, err1 := time.Parse(time.RFC3339Nano, req.TimeMin)
	to, err2 := time.Parse(time.RFC3339Nano, req.TimeMax)
	if err1 != nil || err2 != nil {
		return nil, time.Time{}, time.Time{}, nil, errBadRequest("Bad Request")
	}
	if !to.After(from) {
		return nil, time.Time{}, time.Time{}, nil, errTimeRangeEmpty()
	}
	if to.Sub(from) > maxFreeBusyRange {
		return nil, time.Time{}, time.Time{}, nil, &apiError{Status: http.StatusBadRequest, Domain: "calendar",
			Reason: "timeRangeTooLong", Message: "The requested time range is too long.", LocationType: "parameter", Location: "timeMax"}
	}
	if req.CalendarExpansionMax < 0 || req.CalendarExpansionMax > maxFreeBusyCalendars {
		return nil, time.Time{}, time.Time{}, nil, errInvalidParam("calendarExpansionMax", "Invalid calendarExpansionMax value.")
	}
	limit := maxFreeBusyCalendars
	if req.CalendarExpansionMax > 0 {
		limit = req.CalendarExpansionMax
	}
	if len(req.Items) > limit {
		return nil, time.Time{}, time.Time{}, nil, &apiError{Status: http.StatusBadRequest, Domain: "calendar",
			Reason: "tooManyCalendarsRequested", Message: "The number of calendars requested is too large."}
	}
	loc, err := location(req.TimeZone, "UTC")
	if err != nil {
		return nil, time.Time{}, time.Time{}, nil, errInvalidParam("timeZone", "Invalid time zone definition.")
	}
	return &req, from, to, loc, nil
}

// handleFreeBusy is freebusy.query: the busy periods of many calendars in
// one call. Transparent events, cancelled ones and those the calendar's
// owner declined are not busy; recurring events are expanded within the
// window (bounded); overlapping periods are merged and clipped to the
// window. The caller sees the calendars of its own Workspace domain; a
// personal account sees only its own (gmail.com is no organization);
// others answer notFound.
func (s *Server) handleFreeBusy(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(freeBusyScopes) {
		return errInsufficientScopes()
	}
	body, err := readBody(r)
	if err != nil {
		return errBadRequest("Could not read the request body.")
	}
	req, from, to, loc, e := parseFreeBusy(body)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*freeBusyCalendar{}
	for _, it := range req.Items {
		id := it.ID
		key := id
		if id == "primary" {
			id = c.token.Subject
		}
		id = strings.ToLower(id)
		owner := s.userLocked(id)
		if domainOf(id) != domainOf(c.token.Subject) || owner == nil || (owner.Personal && id != c.token.Subject) {
			out[key] = &freeBusyCalendar{Busy: []busyPeriod{}, Errors: []freeBusyError{{Domain: "global", Reason: "notFound"}}}
			continue
		}
		busy, bounded := s.busyLocked(s.calendarOfLocked(id), from, to)
		fc := &freeBusyCalendar{Busy: []busyPeriod{}}
		if bounded {
			// An expansion stopped at its budget: the busy time may be
			// incomplete, and the caller is told so rather than shown
			// free time.
			fc.Errors = []freeBusyError{{Domain: "calendar", Reason: "internalError"}}
		}
		for _, b := range busy {
			fc.Busy = append(fc.Busy, busyPeriod{Start: b[0].In(loc).Format(time.RFC3339), End: b[1].In(loc).Format(time.RFC3339)})
		}
		out[key] = fc
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "calendar#freeBusy", "timeMin": from.UTC().Format(time.RFC3339),
		"timeMax": to.UTC().Format(time.RFC3339), "calendars": out})
	return nil
}

// busyLocked is the calendar's merged busy periods within [from, to), and
// whether an expansion stopped at its budget.
func (s *Server) busyLocked(cal *calendar, from, to time.Time) ([][2]time.Time, bool) {
	bounded := false
	calTZ := s.timeZoneLocked(cal.ID)
	var spans [][2]time.Time
	add := func(ev *event, start, end time.Time) {
		if !busyEvent(ev, cal.ID) || !end.After(from) || !start.Before(to) {
			return
		}
		spans = append(spans, [2]time.Time{later(start, from), earlier(end, to)})
	}
	for _, rec := range cal.Events {
		ev := rec.Event
		switch {
		case ev.Status == "cancelled":
		case len(ev.Recurrence) > 0:
			sr, err := newSeries(ev, calTZ)
			if err != nil {
				continue
			}
			starts, stopped := sr.between(from, to, maxInstances)
			bounded = bounded || stopped
			for _, o := range starts {
				if cal.Events[instanceID(ev.ID, o, sr.allDay)] != nil {
					continue // the exception counts by itself
				}
				add(ev, o, o.Add(sr.duration))
			}
		default:
			start, end, err := ev.span(calTZ)
			if err == nil {
				add(ev, start, end)
			}
		}
	}
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var merged [][2]time.Time
	for _, sp := range spans {
		if n := len(merged); n > 0 && !sp[0].After(merged[n-1][1]) {
			merged[n-1][1] = later(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	return merged, bounded
}

// busyEvent reports whether an event blocks its owner's time.
func busyEvent(ev *event, owner string) bool {
	if ev.Transparency == "transparent" || ev.EventType == "workingLocation" {
		return false
	}
	for _, a := range ev.Attendees {
		if strings.EqualFold(a.Email, owner) && a.ResponseStatus == "declined" {
			return false
		}
	}
	return true
}
