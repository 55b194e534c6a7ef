package pages

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// meetingEntry is one meeting (or one occurrence of a series) in a list.
type meetingEntry struct {
	ID, Subject, Status, When string
	Start                     time.Time
	Link                      string
	Organizer, Series         bool
}

// dayGroup is a day of the list or the week.
type dayGroup struct {
	Label   string
	Today   bool
	Entries []meetingEntry
}

// meetingsData is what the meetings page shows.
type meetingsData struct {
	Week                 bool
	Title                string
	Days                 []dayGroup
	Proposals            []meetingEntry
	Prev, Next, Switch   string
	Zone                 string
	Empty                bool
	ListLink, WeekLink   string
	PrevLabel, NextLabel string
}

// maxListed bounds the entries one page lists (a series of daily
// meetings over a month is 30).
const maxListed = 500

// meetingsPage lists the user's meetings (organized or attended) in their
// zone: the next 30 days from ?from (a date, default today), or with
// ?view=week the 7 days of from's week.
func (s *Server) meetingsPage(req *Request) error {
	loc, now := req.zone(), req.now()
	today := startOfDay(now.In(loc))
	from := today
	q := req.R.URL.Query()
	if v := q.Get("from"); v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return failure.Field("from", "%q is not a date like 2026-03-02", v)
		}
		from = d
	}
	week := q.Get("view") == "week"
	days := 30
	if week {
		from, days = mondayOf(from), 7
	}
	to := from.AddDate(0, 0, days)
	list, err := s.opts.Booking.List(req.R.Context(), req.Session.Principal, from, to)
	if err != nil {
		return err
	}
	data := meetingsData{Week: week, Zone: loc.String()}
	byDay := map[string]*dayGroup{}
	var order []string
	add := func(day time.Time) *dayGroup {
		key := day.Format("2006-01-02")
		if g, ok := byDay[key]; ok {
			return g
		}
		g := &dayGroup{Label: longDay(day, req.L.Lang), Today: day.Equal(today)}
		byDay[key] = g
		order = append(order, key)
		return g
	}
	if week {
		for i := 0; i < 7; i++ {
			add(from.AddDate(0, 0, i))
		}
	}
	listed := 0
	for i := range list {
		v := &list[i]
		e := meetingEntry{ID: v.ID, Subject: v.Subject, Status: v.Status, Link: "/meetings/" + v.ID,
			Organizer: v.Organizer.Email == req.me().Email, Series: v.Recurrence != nil}
		switch v.Status {
		case store.MeetingCancelled:
			continue
		case store.MeetingProposed:
			e.When = req.L.T("meetings.options", len(v.Options))
			data.Proposals = append(data.Proposals, e)
			continue
		}
		for _, span := range occurrencesIn(v, from, to) {
			if listed >= maxListed {
				break
			}
			listed++
			st, en := span[0].In(loc), span[1].In(loc)
			e.Start, e.When = st, spanLabel(st, en, req.L.Lang)
			g := add(startOfDay(st))
			g.Entries = append(g.Entries, e)
		}
	}
	sort.Strings(order)
	for _, k := range order {
		g := byDay[k]
		sort.SliceStable(g.Entries, func(i, j int) bool { return g.Entries[i].Start.Before(g.Entries[j].Start) })
		data.Days = append(data.Days, *g)
	}
	data.Empty = listed == 0
	f := from.Format("2006-01-02")
	if week {
		data.Title = req.L.T("meetings.week_of", longDay(from, req.L.Lang))
		data.Prev = "/meetings?view=week&from=" + from.AddDate(0, 0, -7).Format("2006-01-02")
		data.Next = "/meetings?view=week&from=" + to.Format("2006-01-02")
		data.PrevLabel, data.NextLabel = req.L.T("meetings.prev_week"), req.L.T("meetings.next_week")
		data.ListLink, data.WeekLink = "/meetings?from="+f, ""
	} else {
		data.Title = req.L.T("meetings.from", longDay(from, req.L.Lang))
		data.Prev = "/meetings?from=" + from.AddDate(0, 0, -30).Format("2006-01-02")
		data.Next = "/meetings?from=" + to.Format("2006-01-02")
		data.PrevLabel, data.NextLabel = req.L.T("meetings.prev"), req.L.T("meetings.next")
		data.ListLink, data.WeekLink = "", "/meetings?view=week&from="+f
	}
	return req.Render(http.StatusOK, "organizer_meetings", nil, data)
}

// seriesTime is an occurrence of a series.
type seriesTime struct {
	// Key names it to the core: its occurrence_id when the core recorded
	// the occurrences, else its start (RFC 3339, UTC); ID is the former.
	Key, ID    string
	Start, End time.Time
	Status     string
}

// seriesTimes lists up to n occurrences of a series that end after from:
// those the core recorded, else the rule's.
func seriesTimes(v *booking.View, from time.Time, n int) []seriesTime {
	var out []seriesTime
	if v.Recurrence == nil {
		return nil
	}
	if len(v.Recurrence.Occurrences) > 0 {
		for _, o := range v.Recurrence.Occurrences {
			s, err1 := time.Parse(time.RFC3339, o.StartTime)
			e, err2 := time.Parse(time.RFC3339, o.EndTime)
			if err1 != nil || err2 != nil || !e.After(from) {
				continue
			}
			out = append(out, seriesTime{Key: o.OccurrenceID, ID: o.OccurrenceID, Start: s, End: e, Status: o.Status})
			if len(out) == n {
				break
			}
		}
		return out
	}
	if first, err := time.Parse(time.RFC3339, v.StartTime); err == nil && from.Before(first) {
		from = first
	}
	for _, sp := range occurrencesIn(v, from, from.AddDate(10, 0, 0)) {
		out = append(out, seriesTime{Key: sp[0].UTC().Format(time.RFC3339), Start: sp[0], End: sp[1]})
		if len(out) == n {
			break
		}
	}
	return out
}

// occurrencesIn returns the times of a meeting in [from, to): its own,
// or those of its series that are not cancelled.
func occurrencesIn(v *booking.View, from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	in := func(s, e time.Time) {
		if s.Before(to) && e.After(from) {
			out = append(out, [2]time.Time{s, e})
		}
	}
	if v.Recurrence == nil {
		s, err1 := time.Parse(time.RFC3339, v.StartTime)
		e, err2 := time.Parse(time.RFC3339, v.EndTime)
		if err1 == nil && err2 == nil {
			in(s, e)
		}
		return out
	}
	if len(v.Recurrence.Occurrences) > 0 {
		for _, o := range v.Recurrence.Occurrences {
			s, err1 := time.Parse(time.RFC3339, o.StartTime)
			e, err2 := time.Parse(time.RFC3339, o.EndTime)
			if err1 == nil && err2 == nil && o.Status != "cancelled" {
				in(s, e)
			}
		}
		return out
	}
	// Occurrences not recorded yet: the rule's, from the first start in
	// the meeting's zone (the core keeps the two the same).
	rule, err := recur.ParseRule(v.Recurrence.RRule)
	start, err2 := time.Parse(time.RFC3339, v.StartTime)
	if err != nil || err2 != nil {
		return out
	}
	start = start.In(zoneOf(v.TimeZone))
	d := time.Duration(v.Duration) * time.Minute
	starts, _ := rule.Between(start, from.Add(-d), to, maxListed)
	for _, s := range starts {
		in(s, s.Add(d))
	}
	return out
}

// meetingData is what a meeting's page shows.
type meetingData struct {
	V *booking.View
	// When is the meeting's time in the viewer's zone; InZone in the
	// meeting's own zone when it differs.
	When, InZone string
	// Organizer: the viewer organizes it; CanChange: the viewer may
	// change it (its organizer, or an admin: the core decides on submit).
	Organizer, CanChange, Changeable bool
	Options                          []string
	Occurrences                      []occurrenceView
	Settings                         [][2]string
	Attendees                        []attendeeView
	Duration                         string
	Provider                         string
}

type occurrenceView struct {
	ID, Label, Status string
	Cancelled         bool
	Link              string
}

type attendeeView struct {
	Name, Email, Response string
}

// meetingPage shows a meeting with every detail of its video meeting (the
// start link only to its organizer: the core leaves it out for anyone
// else) and the attendees' responses.
func (s *Server) meetingPage(req *Request) error {
	v, err := s.opts.Booking.Get(req.R.Context(), req.Session.Principal, req.R.PathValue("id"))
	if err != nil {
		return err
	}
	loc, lang := req.zone(), req.L.Lang
	d := meetingData{V: v, Organizer: v.Organizer.Email == req.me().Email, Duration: durationLabel(v.Duration, lang),
		Provider: s.providerLabel(req, v.VideoProvider)}
	d.CanChange = d.Organizer || req.Session.Principal.IsAdmin()
	d.Changeable = v.Status != store.MeetingCancelled && v.Status != store.MeetingFailed && v.Status != store.MeetingProposed
	st, err1 := time.Parse(time.RFC3339, v.StartTime)
	en, err2 := time.Parse(time.RFC3339, v.EndTime)
	if err1 == nil && err2 == nil {
		d.When = rangeLabel(st, en, loc.String(), lang)
		if v.TimeZone != loc.String() {
			d.InZone = rangeLabel(st, en, v.TimeZone, lang)
		}
	}
	for _, o := range v.Options {
		os, err1 := time.Parse(time.RFC3339, o.StartTime)
		oe, err2 := time.Parse(time.RFC3339, o.EndTime)
		if err1 == nil && err2 == nil {
			d.Options = append(d.Options, rangeLabel(os, oe, loc.String(), lang))
		}
	}
	if v.Recurrence != nil {
		for _, o := range seriesTimes(v, req.now(), 20) {
			d.Occurrences = append(d.Occurrences, occurrenceView{ID: o.Key, Label: rangeLabel(o.Start, o.End, loc.String(), lang), Status: o.Status,
				Cancelled: o.Status == "cancelled", Link: "?occurrence=" + url.QueryEscape(o.Key)})
		}
	}
	for _, a := range v.Attendees {
		d.Attendees = append(d.Attendees, attendeeView{Name: a.Name, Email: a.Email, Response: req.L.T("response." + responseKey(a.Response))})
	}
	if v.Video != nil {
		d.Settings = settingsRows(v.Video.Settings)
	}
	return req.Render(http.StatusOK, "organizer_meeting", nil, d)
}

// responseKey is the catalog key of an attendee's response.
func responseKey(r string) string {
	switch r {
	case "accepted", "declined", "tentative":
		return r
	}
	return "needs-action"
}

// settingsRows lists the video meeting's settings as the provider
// returned them: name and value, in name order.
func settingsRows(settings any) [][2]string {
	b, err := json.Marshal(settings)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case float64:
			v = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			raw, _ := json.Marshal(x)
			v = string(raw)
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

// changeData is what the reschedule and cancel pages show.
type changeData struct {
	V          *booking.View
	When       string
	Series     bool
	Occurrence string
	// OccurrenceLabel is the occurrence's time when one is chosen.
	OccurrenceLabel string
	Scope           string
	Zone            string
	// Date, Time and Duration prefill the reschedule form.
	Date, Time string
	Duration   int
}

// changeTarget loads the meeting to change and the occurrence named by
// ?occurrence (or the form's occurrence).
func (s *Server) changeTarget(req *Request, occurrence string) (*changeData, error) {
	v, err := s.opts.Booking.Get(req.R.Context(), req.Session.Principal, req.R.PathValue("id"))
	if err != nil {
		return nil, err
	}
	loc, lang := req.zone(), req.L.Lang
	d := &changeData{V: v, Series: v.Recurrence != nil, Zone: loc.String(), Duration: v.Duration, Scope: booking.ScopeAll}
	st, err1 := time.Parse(time.RFC3339, v.StartTime)
	en, err2 := time.Parse(time.RFC3339, v.EndTime)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pages: meeting %s: bad times", v.ID)
	}
	d.When = rangeLabel(st, en, loc.String(), lang)
	if d.Series && occurrence != "" {
		// The core finds the occurrence by its id or its start.
		d.Occurrence, d.Scope = occurrence, booking.ScopeThis
		for _, o := range seriesTimes(v, time.Time{}, maxListed) {
			if o.Key == occurrence || o.ID == occurrence {
				d.OccurrenceLabel, st = rangeLabel(o.Start, o.End, loc.String(), lang), o.Start
			}
		}
	}
	d.Date, d.Time = st.In(loc).Format("2006-01-02"), st.In(loc).Format("15:04")
	return d, nil
}

func (s *Server) rescheduleForm(req *Request) error {
	d, err := s.changeTarget(req, req.R.URL.Query().Get("occurrence"))
	if err != nil {
		return err
	}
	f := &Form{Values: url.Values{"date": {d.Date}, "time": {d.Time}, "duration": {strconv.Itoa(d.Duration)}}, Errors: map[string]string{}}
	return req.Render(http.StatusOK, "organizer_reschedule", f, d)
}

// rescheduleSubmit moves a meeting (or what the scope says of its
// series) to the date and time given in the user's zone.
func (s *Server) rescheduleSubmit(req *Request) error {
	f := formOf(req.R)
	d, err := s.changeTarget(req, f.Value("occurrence"))
	if err != nil {
		return err
	}
	d.Scope = f.Value("scope")
	c := booking.Change{Scope: d.Scope, Occurrence: d.Occurrence}
	start, err := wallInstant("date", f.Value("date"), f.Value("time"), req.zone())
	if err != nil {
		status, _ := req.takeFailureAs(f, err, map[string]string{"date": "date"})
		return req.Render(status, "organizer_reschedule", f, d)
	}
	st := start.Format(time.RFC3339)
	c.StartTime = &st
	if n, err := strconv.Atoi(f.Value("duration")); err != nil {
		f.Errors["duration"] = req.L.T("err.parse_number")
		return req.Render(http.StatusUnprocessableEntity, "organizer_reschedule", f, d)
	} else if n != d.V.Duration {
		c.Duration = &n
	}
	v, err := s.opts.Booking.Reschedule(req.R.Context(), req.Session.Principal, d.V.ID, c)
	if err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"start_time": "date", "duration": "duration", "scope": "scope", "occurrence": "scope"})
		if !ok {
			return err
		}
		return req.Render(status, "organizer_reschedule", f, d)
	}
	req.Redirect("/meetings/"+v.ID, "rescheduled")
	return nil
}

func (s *Server) cancelForm(req *Request) error {
	d, err := s.changeTarget(req, req.R.URL.Query().Get("occurrence"))
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "organizer_cancel", nil, d)
}

// cancelSubmit cancels a meeting, or what the scope says of its series.
func (s *Server) cancelSubmit(req *Request) error {
	f := formOf(req.R)
	d, err := s.changeTarget(req, f.Value("occurrence"))
	if err != nil {
		return err
	}
	v, err := s.opts.Booking.Cancel(req.R.Context(), req.Session.Principal, d.V.ID, f.Value("scope"), d.Occurrence)
	if err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"scope": "scope", "occurrence": "scope"})
		if !ok {
			return err
		}
		return req.Render(status, "organizer_cancel", f, d)
	}
	req.Redirect("/meetings/"+v.ID, "cancelled")
	return nil
}

// wallInstant reads a date and a time of day typed in loc (a date input
// and a time input) as an instant; a time that does not exist there (the
// spring-forward gap) or exists twice is refused by the core's rule.
func wallInstant(field, date, clock string, loc *time.Location) (time.Time, error) {
	wall, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, time.UTC)
	if err != nil {
		return time.Time{}, failure.Field(field, "give a date (2026-03-05) and a time (14:00)")
	}
	return booking.ResolveWall(field, wall, loc)
}
