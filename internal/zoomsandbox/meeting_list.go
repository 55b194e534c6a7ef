package zoomsandbox

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// pageTokenLifetime: next_page_token expires after 15 minutes (zoom-api.md
// §1.10).
const pageTokenLifetime = 15 * time.Minute

// pageCursor is what a next_page_token stands for.
type pageCursor struct {
	userID, listType, from, to, tz string
	offset, pageSize               int
	expires                        time.Time
}

// listItem is one meeting of the list answer (SPEC23 meetings 200).
type listItem struct {
	UUID      string `json:"uuid"`
	ID        int64  `json:"id"`
	HostID    string `json:"host_id"`
	Topic     string `json:"topic"`
	Type      int    `json:"type"`
	StartTime string `json:"start_time,omitempty"`
	Duration  int    `json:"duration"`
	Timezone  string `json:"timezone,omitempty"`
	Agenda    string `json:"agenda,omitempty"`
	CreatedAt string `json:"created_at"`
	JoinURL   string `json:"join_url"`
	PMI       string `json:"pmi,omitempty"`
}

type listResponse struct {
	NextPageToken string     `json:"next_page_token"`
	PageCount     int        `json:"page_count"`
	PageNumber    int        `json:"page_number"`
	PageSize      int        `json:"page_size"`
	TotalRecords  int        `json:"total_records"`
	Meetings      []listItem `json:"meetings"`
}

// handleList is GET /v2/users/{userId}/meetings (operationId meetings,
// zoom-api.md §1.10): scheduled (not instant) meetings, agenda cut to 250
// characters, paged by next_page_token or page_number.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	host, aerr := s.resolveUser(c, r.PathValue("userId"))
	if aerr != nil {
		return aerr
	}
	cur := pageCursor{userID: host.ID, listType: q.Get("type"), from: q.Get("from"), to: q.Get("to"), tz: q.Get("timezone"), pageSize: 30}
	if cur.listType == "" {
		cur.listType = "scheduled"
	}
	if !slices.Contains([]string{"scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"}, cur.listType) {
		return errValidation(fieldError{Field: "type", Message: msgInvalidField})
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errValidation(fieldError{Field: "page_size", Message: msgInvalidField})
		}
		cur.pageSize = min(n, 300) // SPEC23 maximum 300
	}
	pageNumber := 0
	if v := q.Get("page_number"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errValidation(fieldError{Field: "page_number", Message: msgInvalidField})
		}
		pageNumber = n
		cur.offset = (n - 1) * cur.pageSize
	}
	if tok := q.Get("next_page_token"); tok != "" {
		saved := s.pages[tok]
		if saved == nil || saved.userID != host.ID || !s.now().Before(saved.expires) {
			return errValidation(fieldError{Field: "next_page_token", Message: "Invalid next_page_token."})
		}
		delete(s.pages, tok)
		cur = *saved
		pageNumber = 0
	}
	loc := time.UTC
	if cur.tz != "" {
		l, err := loadLocation(cur.tz)
		if err != nil {
			return errValidation(fieldError{Field: "timezone", Message: msgInvalidField})
		}
		loc = l
	}
	var from, to time.Time
	for _, d := range []struct {
		v   string
		t   *time.Time
		add int
		f   string
	}{{cur.from, &from, 0, "from"}, {cur.to, &to, 1, "to"}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.v, loc)
		if err != nil {
			return errValidation(fieldError{Field: d.f, Message: msgInvalidField})
		}
		*d.t = t.AddDate(0, 0, d.add)
	}

	now := s.now()
	type entry struct {
		m     *meeting
		start time.Time
	}
	var all []entry
	for _, m := range s.st.Meetings {
		if m.HostID != host.ID || m.Type == typeInstant {
			continue // "Only scheduled meetings are listed" (SPEC23)
		}
		start, end := m.StartTime, m.end()
		if m.Type == typeRecurringFixed {
			o, ok := m.nextOccurrence(now)
			if !ok {
				continue
			}
			start = o.Start
		}
		timed := m.Type != typeRecurringNoFixed
		ok := true
		switch cur.listType {
		case "live":
			ok = m.Status == "started"
		case "upcoming", "upcoming_meetings":
			ok = m.Status == "started" || !timed || end.After(now)
		case "previous_meetings":
			ok = timed && !end.After(now) && m.Status != "started"
		}
		if timed && !from.IsZero() && start.Before(from) || timed && !to.IsZero() && !start.Before(to) {
			ok = false
		}
		if ok {
			all = append(all, entry{m, start})
		}
	}
	slices.SortFunc(all, func(a, b entry) int {
		at, bt := a.m.Type == typeRecurringNoFixed, b.m.Type == typeRecurringNoFixed
		if at != bt {
			if at {
				return 1
			}
			return -1
		}
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.m.ID, b.m.ID))
	})

	resp := listResponse{PageSize: cur.pageSize, TotalRecords: len(all), Meetings: []listItem{}}
	resp.PageCount = (len(all) + cur.pageSize - 1) / cur.pageSize
	resp.PageNumber = cur.offset/cur.pageSize + 1
	if pageNumber > 0 {
		resp.PageNumber = pageNumber
	}
	lo := min(cur.offset, len(all))
	hi := min(lo+cur.pageSize, len(all))
	for _, e := range all[lo:hi] {
		m := e.m
		it := listItem{
			UUID: m.UUID, ID: m.ID, HostID: m.HostID, Topic: m.Topic, Type: m.Type, Duration: m.Duration,
			Timezone: m.Timezone, Agenda: truncateRunes(m.Agenda, listAgenda),
			CreatedAt: m.CreatedAt.UTC().Format(zoomTime), JoinURL: s.joinURL(m),
		}
		if m.Type != typeRecurringNoFixed {
			it.StartTime = e.start.UTC().Format(zoomTime)
		}
		if m.Settings.UsePMI != nil && *m.Settings.UsePMI {
			it.PMI = strconv.FormatInt(host.PMI, 10)
		}
		resp.Meetings = append(resp.Meetings, it)
	}
	if hi < len(all) {
		next := cur
		next.offset = hi
		next.expires = now.Add(pageTokenLifetime)
		tok := s.rnd.text(32, alnum)
		s.pages[tok] = &next
		resp.NextPageToken = tok
	}
	s.dropExpiredPages(now)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// dropExpiredPages forgets expired page tokens. s.mu is held.
func (s *Server) dropExpiredPages(now time.Time) {
	for k, p := range s.pages {
		if !now.Before(p.expires) {
			delete(s.pages, k)
		}
	}
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
