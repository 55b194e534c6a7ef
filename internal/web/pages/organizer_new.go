package pages

import (
	"bytes"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The new meeting form: a fixed time, or "find a time" in a window. Find
// a time lists the free times of the organizer and the internal
// attendees (booking.FindTimes): each a radio that books it. With
// external guests the times are what a proposal would offer them, and
// booking sends the proposal. Without JavaScript a "Find times" button
// shows them; with it, the form asks /meetings/slots as it is filled in
// (static/organizer.js) and shows the same fragment.

// choice is an option of a select or a radio group.
type choice struct {
	Value, Label string
	Selected     bool
}

// newMeetingData is what the new meeting form shows.
type newMeetingData struct {
	Providers, Recurrences, Modes []choice
	Weekdays                      []choice
	Slots                         *slotsData
	Zone                          string
}

// slotsData is the fragment of found times (templates/organizer_new.html,
// "slots"), the same with or without JavaScript.
type slotsData struct {
	L        *Locale
	Searched bool
	Slots    []choice
	Proposal bool
	External string
	Problems []string
	Error    string
}

// maxFormSlots is how many times "find a time" offers.
const maxFormSlots = 12

var weekdayKeys = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

func (s *Server) newMeetingData(req *Request, f *Form) *newMeetingData {
	d := &newMeetingData{Zone: req.me().TimeZone}
	d.Providers = s.providerChoices(req, f.Value("provider"))
	for _, r := range []string{"", "weekly", "biweekly", "monthly"} {
		d.Recurrences = append(d.Recurrences, choice{Value: r, Label: req.L.T("recurrence." + providerKey(r)), Selected: f.Value("recurrence") == r})
	}
	for _, m := range []string{"fixed", "find"} {
		d.Modes = append(d.Modes, choice{Value: m, Label: req.L.T("new.mode." + m), Selected: f.Value("mode") == m})
	}
	for _, k := range weekdayKeys {
		d.Weekdays = append(d.Weekdays, choice{Value: k, Label: req.L.T("weekday." + strings.ToLower(k)), Selected: contains(f.Values["byday"], k)})
	}
	return d
}

// providerChoices are the video providers an organizer may choose: the
// account's default, each app of the catalog, none.
func (s *Server) providerChoices(req *Request, selected string) []choice {
	values := append(append([]string{""}, s.opts.Booking.VideoApps().IDs()...), "none")
	out := make([]choice, 0, len(values))
	for _, p := range values {
		out = append(out, choice{Value: p, Label: s.providerLabel(req, p), Selected: selected == p})
	}
	return out
}

// providerLabel names a video provider value: the catalog's wording of
// the default and of none, and each app by the message of its own when the
// catalog words it, else by its name.
func (s *Server) providerLabel(req *Request, v string) string {
	key := "provider." + providerKey(v)
	if a, ok := s.opts.Booking.VideoApps().Lookup(v); ok && !req.L.Has(key) {
		return a.Name
	}
	return req.L.T(key)
}

// providerKey is the catalog key of a provider or recurrence value ("" is
// "default").
func providerKey(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

// newMeetingForm shows the form, filled with the user's defaults: find a
// time in the coming week.
func (s *Server) newMeetingForm(req *Request) error {
	loc, me := req.zone(), req.me()
	tomorrow := startOfDay(req.now().In(loc)).AddDate(0, 0, 1)
	f := &Form{Values: url.Values{
		"mode": {"find"}, "duration": {strconv.Itoa(me.DefaultDuration)}, "zone": {me.TimeZone},
		"from": {tomorrow.Format("2006-01-02")}, "to": {tomorrow.AddDate(0, 0, 7).Format("2006-01-02")},
		"date": {tomorrow.Format("2006-01-02")}, "time": {"10:00"}, "count": {"10"},
	}, Errors: map[string]string{}}
	return req.Render(http.StatusOK, "organizer_new", f, s.newMeetingData(req, f))
}

// meetingForm is the form read into the core's request.
type meetingForm struct {
	in       booking.Request
	loc      *time.Location
	from, to time.Time // the window of "find a time"
}

// fieldsOfNew maps the core's fields to the form's.
var fieldsOfNew = map[string]string{
	"subject": "subject", "description": "description", "password": "passcode", "timezone": "zone",
	"duration": "duration", "attendees": "attendees", "video_provider": "provider", "start_time": "date",
	"window": "from", "recurrence": "recurrence", "type": "recurrence", "settings": "provider", "to": "to", "from": "from",
}

// readMeetingForm reads the form; problems it finds itself are put in f.
func (req *Request) readMeetingForm(f *Form) *meetingForm {
	mf := &meetingForm{}
	in := &mf.in
	in.Subject = f.Value("subject")
	in.Description = f.Value("description")
	if pw := f.Value("passcode"); pw != "" {
		in.Password = &pw
	}
	in.VideoProvider = f.Value("provider")
	in.TimeZone = strings.TrimSpace(f.Value("zone"))
	if in.TimeZone == "" {
		in.TimeZone = req.me().TimeZone
	}
	mf.loc = time.UTC
	if loc, err := time.LoadLocation(in.TimeZone); err == nil && in.TimeZone != "Local" {
		mf.loc = loc
	} else {
		f.Errors["zone"] = req.L.T("err.zone")
	}
	if v := strings.TrimSpace(f.Value("duration")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Errors["duration"] = req.L.T("err.parse_number")
		}
		in.Duration = n
	}
	in.Attendees = parseAttendees(f.Value("attendees"))
	if f.Value("mode") == "find" {
		from, err1 := time.ParseInLocation("2006-01-02", f.Value("from"), mf.loc)
		to, err2 := time.ParseInLocation("2006-01-02", f.Value("to"), mf.loc)
		if err1 != nil {
			f.Errors["from"] = req.L.T("err.parse_date")
		}
		if err2 != nil {
			f.Errors["to"] = req.L.T("err.parse_date")
		}
		// The window runs to the end of its last day.
		mf.from, mf.to = from, to.AddDate(0, 0, 1)
		return mf
	}
	in.StartTime = f.Value("date") + "T" + f.Value("time")
	if _, err := time.Parse("2006-01-02T15:04", in.StartTime); err != nil {
		f.Errors["date"] = req.L.T("err.parse_date_time")
	}
	if r := f.Value("recurrence"); r != "" {
		rule, err := recurrenceRule(r, f, in.StartTime, mf.loc)
		if err != nil {
			f.Errors["recurrence"] = req.L.T(err.Error())
		} else {
			in.Type, in.Recurrence = "recurring", &booking.RecurrenceInput{RRule: rule}
		}
	}
	return mf
}

// parseAttendees reads the attendees field: one or more addresses a line
// (RFC 5322 address lists: "Ann Lee <ann@example.com>, bob@example.com"),
// or, where a line is no address list, its parts between commas and
// semicolons as they are (the core then says which is not an address).
func parseAttendees(text string) []booking.AttendeeInput {
	var out []booking.AttendeeInput
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if list, err := mail.ParseAddressList(line); err == nil {
			for _, a := range list {
				out = append(out, booking.AttendeeInput{Email: a.Address, Name: a.Name})
			}
			continue
		}
		for _, part := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' }) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if a, err := mail.ParseAddress(part); err == nil {
				out = append(out, booking.AttendeeInput{Email: a.Address, Name: a.Name})
			} else {
				out = append(out, booking.AttendeeInput{Email: part})
			}
		}
	}
	if len(out) > booking.MaxAttendees+1 {
		out = out[:booking.MaxAttendees+1] // the core refuses more than MaxAttendees
	}
	return out
}

// recurrenceRule writes the RRULE of a preset (RFC 5545 §3.3.10): weekly
// or every other week on the chosen weekdays (default: the start's),
// monthly on the start's day of the month; ending after count times or on
// the until date (its end, in loc). It fails with a catalog key.
func recurrenceRule(preset string, f *Form, start string, loc *time.Location) (string, error) {
	var b strings.Builder
	st, err := time.ParseInLocation("2006-01-02T15:04", start, loc)
	if err != nil {
		return "", fmt.Errorf("err.parse_date_time")
	}
	days := f.Values["byday"]
	var valid []string
	for _, d := range days {
		if contains(weekdayKeys, d) {
			valid = append(valid, d)
		}
	}
	if len(valid) == 0 {
		valid = []string{weekdayKeys[(int(st.Weekday())+6)%7]}
	}
	switch preset {
	case "weekly":
		b.WriteString("FREQ=WEEKLY;BYDAY=" + strings.Join(valid, ","))
	case "biweekly":
		b.WriteString("FREQ=WEEKLY;INTERVAL=2;BYDAY=" + strings.Join(valid, ","))
	case "monthly":
		b.WriteString("FREQ=MONTHLY;BYMONTHDAY=" + strconv.Itoa(st.Day()))
	default:
		return "", fmt.Errorf("err.recurrence")
	}
	count, until := strings.TrimSpace(f.Value("count")), strings.TrimSpace(f.Value("until"))
	switch {
	case until != "":
		u, err := time.ParseInLocation("2006-01-02", until, loc)
		if err != nil {
			return "", fmt.Errorf("err.parse_date")
		}
		// UNTIL of a DTSTART with a zone is in UTC (RFC 5545 §3.3.10).
		b.WriteString(";UNTIL=" + u.AddDate(0, 0, 1).Add(-time.Second).UTC().Format("20060102T150405Z"))
	case count != "":
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 {
			return "", fmt.Errorf("err.count")
		}
		b.WriteString(";COUNT=" + strconv.Itoa(n))
	default:
		return "", fmt.Errorf("err.count")
	}
	return b.String(), nil
}

// newMeetingSubmit finds times ("action=find") or books.
func (s *Server) newMeetingSubmit(req *Request) error {
	f := formOf(req.R)
	data := s.newMeetingData(req, f)
	mf := req.readMeetingForm(f)
	find := f.Value("mode") == "find"
	if find {
		data.Slots = s.findSlots(req, f, mf)
	}
	if f.Value("action") == "find" || len(f.Errors) > 0 {
		status := http.StatusOK
		if f.Invalid() {
			status = http.StatusUnprocessableEntity
		}
		return req.Render(status, "organizer_new", f, data)
	}
	in := mf.in
	if find {
		if slot := f.Value("slot"); slot != "" {
			in.StartTime = slot // a time found: booked as it is
		} else {
			in.Window = &booking.Window{From: mf.from.Format(time.RFC3339), To: mf.to.Format(time.RFC3339)}
		}
	}
	v, err := s.opts.Booking.Create(req.R.Context(), req.Session.Principal, in)
	if err != nil {
		status, ok := req.takeFailureAs(f, err, fieldsOfNew)
		if !ok {
			return err
		}
		if id, _ := failureExtra(err, "meeting_id").(string); id != "" {
			// Recorded but not booked (the provider refused): its page
			// says why.
			req.Redirect("/meetings/"+id, "")
			return nil
		}
		return req.Render(status, "organizer_new", f, data)
	}
	flash := "booked"
	switch v.Status {
	case store.MeetingProposed:
		flash = "proposed"
	case store.MeetingBooking:
		flash = "booking"
	}
	req.Redirect("/meetings/"+v.ID, flash)
	return nil
}

// failureExtra is a member of a failure's problem document.
func failureExtra(err error, key string) any {
	if fe, ok := failure.As(err); ok {
		return fe.Extra[key]
	}
	return nil
}

// findSlots searches the times of the form's window.
func (s *Server) findSlots(req *Request, f *Form, mf *meetingForm) *slotsData {
	d := &slotsData{L: req.L, Searched: true}
	if f.Errors["from"] != "" || f.Errors["to"] != "" || f.Errors["zone"] != "" || f.Errors["duration"] != "" {
		return d
	}
	res, err := s.opts.Booking.FindTimes(req.R.Context(), req.Session.Principal, booking.FindRequest{
		Attendees: mf.in.Attendees, Duration: mf.in.Duration, From: mf.from, To: mf.to, Location: mf.loc, Limit: maxFormSlots})
	if err != nil {
		ff := &Form{Errors: map[string]string{}}
		if _, ok := req.takeFailureAs(ff, err, fieldsOfNew); !ok {
			req.s.opts.Log.Error("pages: find times", "err", err)
			d.Error = req.L.T("err.kind.internal")
			return d
		}
		for k, v := range ff.Errors {
			f.Errors[k] = v
		}
		d.Error = ff.Error
		if d.Error == "" {
			d.Error = req.L.T("new.fix_fields")
		}
		return d
	}
	d.Proposal, d.External = res.Proposal, strings.Join(res.External, ", ")
	chosen := f.Value("slot")
	for i, sl := range res.Slots {
		v := sl.Start.UTC().Format(time.RFC3339)
		c := choice{Value: v, Label: rangeLabel(sl.Start, sl.End, mf.loc.String(), req.L.Lang), Selected: v == chosen || (chosen == "" && i == 0)}
		d.Slots = append(d.Slots, c)
	}
	for _, p := range res.Problems {
		d.Problems = append(d.Problems, p.Email+": "+p.Problem)
	}
	return d
}

// liveSlots answers the form's script: the fragment of found times for
// the form as filled in so far, as JSON {"html": …}. Like every unsafe
// method of the pages it needs the session's CSRF token (X-CSRF-Token).
func (s *Server) liveSlots(req *Request) error {
	// The CSRF check read the header, not the body.
	if err := req.R.ParseForm(); err != nil {
		return failure.New(failure.Malformed, "the form could not be read: %v", err)
	}
	f := formOf(req.R)
	f.Values.Set("mode", "find")
	mf := req.readMeetingForm(f)
	d := s.findSlots(req, f, mf)
	if d.Error == "" && len(f.Errors) > 0 {
		d.Error = req.L.T("new.fix_fields")
	}
	html, err := req.partial("organizer_new", "slots", d)
	if err != nil {
		return err
	}
	return req.JSON(http.StatusOK, map[string]string{"html": html})
}

// partial renders one template of a page (a fragment) with data.
func (req *Request) partial(page, name string, data any) (string, error) {
	pt, ok := req.s.templates[page]
	if !ok {
		return "", fmt.Errorf("pages: no template %q", page)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("pages: render %s/%s: %w", page, name, err)
	}
	return buf.String(), nil
}
