package pages

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The user's own settings: preferences (zone, working hours, buffers,
// notice, default length, provider, language), password, booking page;
// connected calendars and how to subscribe to the built-in one; API
// tokens.

// hoursRow is one weekday of the working hours grid: up to two ranges,
// from and to each.
type hoursRow struct {
	Label  string
	Inputs []hoursInput
}

type hoursInput struct {
	Name, Value, Label string
}

// weekdays in the grid's order, Monday first (availability's JSON keys).
var gridDays = []struct {
	key string
	day time.Weekday
}{{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday}, {"thu", time.Thursday}, {"fri", time.Friday},
	{"sat", time.Saturday}, {"sun", time.Sunday}}

// preferencesData is what the preferences page shows.
type preferencesData struct {
	Zones     []zoneGroup
	Zone      string
	Days      []hoursRow
	Providers []choice
	Languages []choice
}

// preferencesForm is the form of a user's current settings.
func preferencesForm(u *store.User) *Form {
	v := url.Values{
		"timezone": {u.TimeZone}, "default_duration": {strconv.Itoa(u.DefaultDuration)},
		"buffer_before": {strconv.Itoa(u.BufferBefore)}, "buffer_after": {strconv.Itoa(u.BufferAfter)},
		"min_notice": {strconv.Itoa(u.MinNotice)}, "provider": {u.VideoProvider}, "language": {u.Language},
	}
	wh, err := availability.ParseWorkingHours(u.WorkingHours)
	if err != nil {
		wh = availability.DefaultWorkingHours()
	}
	for _, d := range gridDays {
		for i, r := range wh.Days[d.day] {
			if i > 1 {
				break
			}
			n := strconv.Itoa(i + 1)
			v.Set(d.key+"_from"+n, r.Start.String())
			v.Set(d.key+"_to"+n, r.End.String())
		}
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

func (s *Server) preferencesData(req *Request, f *Form) preferencesData {
	d := preferencesData{Zones: timeZones(), Zone: f.Value("timezone")}
	for _, g := range gridDays {
		row := hoursRow{Label: req.L.T("weekday." + g.key[:2])}
		for _, n := range []string{"1", "2"} {
			for _, end := range []string{"from", "to"} {
				name := g.key + "_" + end + n
				row.Inputs = append(row.Inputs, hoursInput{Name: name, Value: f.Value(name), Label: row.Label + " " + req.L.T("prefs."+end) + " " + n})
			}
		}
		d.Days = append(d.Days, row)
	}
	d.Providers = s.providerChoices(req, f.Value("provider"))
	for _, l := range []string{"", "en", "fr"} {
		d.Languages = append(d.Languages, choice{Value: l, Label: req.L.T("language." + providerKey(l)), Selected: f.Value("language") == l})
	}
	return d
}

func (s *Server) preferencesPage(req *Request) error {
	f := preferencesForm(req.me())
	return req.Render(http.StatusOK, "organizer_preferences", f, s.preferencesData(req, f))
}

// preferencesSubmit saves the preferences (account.UpdateMe checks them).
// The language chosen is the user's: the pages, their mail and the
// assistant's use it, on every browser (the language switch's cookie,
// for this browser only, is cleared so that it does not hide the choice).
func (s *Server) preferencesSubmit(req *Request) error {
	f := formOf(req.R)
	var patch account.UserPatch
	num := func(name string) *int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Value(name)))
		if err != nil {
			f.Errors[name] = req.L.T("err.parse_number")
			return nil
		}
		return &n
	}
	tz, lang, provider := f.Value("timezone"), f.Value("language"), f.Value("provider")
	patch.TimeZone, patch.Language, patch.VideoProvider = &tz, &lang, &provider
	patch.DefaultDuration, patch.MinNotice = num("default_duration"), num("min_notice")
	before, after := num("buffer_before"), num("buffer_after")
	if before != nil && after != nil {
		patch.Buffers = &account.Buffers{Before: *before, After: *after}
	}
	if wh, err := hoursOfForm(f); err != nil {
		f.Errors["working_hours"] = req.L.T("err.working_hours")
	} else {
		patch.WorkingHours = &wh
	}
	if f.Invalid() {
		return req.Render(http.StatusUnprocessableEntity, "organizer_preferences", f, s.preferencesData(req, f))
	}
	if _, err := s.opts.Accounts.UpdateMe(req.R.Context(), req.Session.Principal, patch); err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"timezone": "timezone", "language": "language",
			"video_provider": "provider", "default_duration": "default_duration", "buffers": "buffer_before",
			"min_notice": "min_notice", "working_hours": "working_hours"})
		if !ok {
			return err
		}
		return req.Render(status, "organizer_preferences", f, s.preferencesData(req, f))
	}
	if lang != "" {
		s.setCookie(req.W, langCookie, "", -1)
	}
	req.Redirect("/preferences", "saved")
	return nil
}

// hoursOfForm reads the working hours grid (DAY_fromN, DAY_toN) the way
// the API reads its JSON, with availability's parser: it checks the
// clocks, the order and overlaps of the ranges, and that some day has
// working time.
func hoursOfForm(f *Form) (availability.WorkingHours, error) {
	var js bytes.Buffer
	js.WriteByte('{')
	first := true
	for _, d := range gridDays {
		var ranges []string
		for _, n := range []string{"1", "2"} {
			from, to := strings.TrimSpace(f.Value(d.key+"_from"+n)), strings.TrimSpace(f.Value(d.key+"_to"+n))
			if from == "" && to == "" {
				continue
			}
			ranges = append(ranges, strconv.Quote(from)+","+strconv.Quote(to))
		}
		if len(ranges) == 0 {
			continue
		}
		if !first {
			js.WriteByte(',')
		}
		first = false
		js.WriteString(`"` + d.key + `":[[` + strings.Join(ranges, "],[") + `]]`)
	}
	js.WriteByte('}')
	if first {
		return availability.WorkingHours{}, errors.New("no working time on any day")
	}
	return availability.ParseWorkingHours(js.Bytes())
}

// passwordData is what the password page shows.
type passwordData struct {
	HasPassword bool
	Email       string
}

func (s *Server) passwordForm(req *Request) error {
	has, err := s.opts.Accounts.HasPassword(req.R.Context(), req.Session.Principal)
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "organizer_password", nil, passwordData{HasPassword: has, Email: req.me().Email})
}

// passwordSubmit changes the password; the user's other sessions end.
func (s *Server) passwordSubmit(req *Request) error {
	f := formOf(req.R)
	has, err := s.opts.Accounts.HasPassword(req.R.Context(), req.Session.Principal)
	if err != nil {
		return err
	}
	d := passwordData{HasPassword: has, Email: req.me().Email}
	if f.Value("password") != f.Value("password_confirm") {
		f.Errors["password_confirm"] = req.L.T("err.password_mismatch")
		return req.Render(http.StatusUnprocessableEntity, "organizer_password", f, d)
	}
	err = s.opts.Accounts.ChangePassword(req.R.Context(), req.Session.Principal, f.Value("current_password"), f.Value("password"))
	if err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"current_password": "current_password", "password": "password"})
		if !ok {
			return err
		}
		return req.Render(status, "organizer_password", f, d)
	}
	req.Redirect("/preferences", "password_changed")
	return nil
}

// bookingPageData is what the booking page settings show.
type bookingPageData struct {
	Enabled bool
	URL     string
}

func (s *Server) bookingPageForm(req *Request) error {
	bp, err := s.opts.Accounts.BookingPage(req.R.Context(), req.Session.Principal)
	if err != nil {
		return err
	}
	var ds []string
	for _, d := range bp.Durations {
		ds = append(ds, strconv.Itoa(d))
	}
	f := &Form{Values: url.Values{"slug": {bp.Slug}, "durations": {strings.Join(ds, ", ")}, "days": {strconv.Itoa(bp.Days)}, "intro": {bp.Intro}}, Errors: map[string]string{}}
	if bp.Enabled {
		f.Values.Set("enabled", "on")
	}
	return req.Render(http.StatusOK, "organizer_booking_page", f, bookingPageData{Enabled: bp.Enabled, URL: s.opts.BaseURL + "/u/" + bp.Slug})
}

// bookingPageSubmit saves the booking page: its switch, slug, lengths,
// days ahead and intro (account.SetBookingPage checks them).
func (s *Server) bookingPageSubmit(req *Request) error {
	f := formOf(req.R)
	in := account.BookingPageSettings{Slug: f.Value("slug"), Enabled: f.Value("enabled") == "on", Intro: f.Value("intro")}
	for _, part := range strings.FieldsFunc(f.Value("durations"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(part)
		if err != nil {
			f.Errors["durations"] = req.L.T("err.durations")
			break
		}
		in.Durations = append(in.Durations, n)
	}
	if v := strings.TrimSpace(f.Value("days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Errors["days"] = req.L.T("err.parse_number")
		}
		in.Days = n
	}
	d := bookingPageData{Enabled: in.Enabled, URL: s.opts.BaseURL + "/u/" + strings.ToLower(strings.TrimSpace(in.Slug))}
	if f.Invalid() {
		return req.Render(http.StatusUnprocessableEntity, "organizer_booking_page", f, d)
	}
	if _, err := s.opts.Accounts.SetBookingPage(req.R.Context(), req.Session.Principal, in); err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"slug": "slug", "durations": "durations", "days": "days", "intro": "intro"})
		if !ok {
			return err
		}
		return req.Render(status, "organizer_booking_page", f, d)
	}
	req.Redirect("/preferences/booking-page", "saved")
	return nil
}

// userCalendarsData is what the calendars page shows.
type userCalendarsData struct {
	Calendars []calendarRow
	// DAV is the CalDAV URL clients discover the built-in calendar from;
	// WellKnown the discovery URL of RFC 6764; Collection the built-in
	// calendar itself.
	DAV, WellKnown, Collection, Email string
	// Connections are the user's own accounts at apps installed in
	// personal-account mode (Google).
	Connections []apps.ConnectionView
}

type calendarRow struct {
	calendar.CalendarView
	Builtin           bool
	StatusLabel, Sync string
}

func (s *Server) userCalendarsData(req *Request) (*userCalendarsData, error) {
	me := req.me()
	list, err := s.opts.Calendars.Calendars(req.R.Context(), req.Session.Principal, me.Email)
	if err != nil {
		return nil, err
	}
	d := &userCalendarsData{DAV: s.opts.BaseURL + "/dav/", WellKnown: s.opts.BaseURL + "/.well-known/caldav", Email: me.Email}
	if s.opts.Admin.Apps != nil {
		if d.Connections, err = s.opts.Admin.Apps.Connections(req.R.Context(), req.Session.Principal); err != nil {
			return nil, err
		}
	}
	loc := req.zone()
	for _, c := range list {
		row := calendarRow{CalendarView: c, Builtin: c.Kind == store.CalendarBuiltin, StatusLabel: req.L.T("calendars.status." + c.Status)}
		if row.Builtin {
			d.Collection = s.opts.BaseURL + c.CalDAVPath
		}
		if c.LastSync != nil {
			t := c.LastSync.In(loc)
			row.Sync = dayLabel(t, req.now().In(loc), req.L.Lang) + ", " + clockLabel(t, req.L.Lang)
		}
		d.Calendars = append(d.Calendars, row)
	}
	return d, nil
}

func (s *Server) calendarsPage(req *Request) error {
	d, err := s.userCalendarsData(req)
	if err != nil {
		return err
	}
	f := &Form{Values: url.Values{"kind": {"ics"}}, Errors: map[string]string{}}
	return req.Render(http.StatusOK, "organizer_calendars", f, d)
}

// addCalendarSubmit adds a CalDAV account or an ICS feed; the core syncs
// it once before answering, and says why it failed.
func (s *Server) addCalendarSubmit(req *Request) error {
	f := formOf(req.R)
	in := calendar.SourceInput{Kind: f.Value("kind"), URL: f.Value("url"), Username: f.Value("username"), Password: f.Value("cal_password"), Name: f.Value("cal_name")}
	if _, err := s.opts.Calendars.AddSource(req.R.Context(), req.Session.Principal, req.me().Email, in); err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"kind": "kind", "url": "url", "username": "username", "password": "cal_password", "name": "cal_name"})
		if !ok {
			return err
		}
		d, err := s.userCalendarsData(req)
		if err != nil {
			return err
		}
		f.Values.Del("cal_password")
		return req.Render(status, "organizer_calendars", f, d)
	}
	req.Redirect("/calendars", "calendar_added")
	return nil
}

func (s *Server) syncCalendarSubmit(req *Request) error {
	if _, err := s.opts.Calendars.SyncSource(req.R.Context(), req.Session.Principal, req.me().Email, req.R.PathValue("id")); err != nil {
		if failure.KindOf(err) == failure.Internal {
			return err
		}
		// The sync's problem is on the calendar's row.
	}
	req.Redirect("/calendars", "calendar_synced")
	return nil
}

// connectAppSubmit sends the user's browser to the provider's consent
// page to connect their own account (per-user mode).
func (s *Server) connectAppSubmit(req *Request) error {
	if s.opts.Admin.Apps == nil {
		return failure.New(failure.Unavailable, "apps are not served here")
	}
	u, err := s.opts.Admin.Apps.Connect(req.R.Context(), req.Session.Principal, req.R.PathValue("app"))
	if err != nil {
		return err
	}
	http.Redirect(req.W, req.R, u, http.StatusSeeOther)
	return nil
}

// disconnectAppSubmit revokes and forgets the user's own account.
func (s *Server) disconnectAppSubmit(req *Request) error {
	if s.opts.Admin.Apps == nil {
		return failure.New(failure.Unavailable, "apps are not served here")
	}
	res, err := s.opts.Admin.Apps.Disconnect(req.R.Context(), req.Session.Principal, req.R.PathValue("app"))
	if err != nil {
		return err
	}
	if !res.Revoked {
		req.Redirect("/calendars", "app_forgotten")
		return nil
	}
	req.Redirect("/calendars", "app_disconnected")
	return nil
}

func (s *Server) removeCalendarSubmit(req *Request) error {
	if err := s.opts.Calendars.DeleteSource(req.R.Context(), req.Session.Principal, req.me().Email, req.R.PathValue("id")); err != nil {
		return err
	}
	req.Redirect("/calendars", "calendar_removed")
	return nil
}

// tokensData is what the API tokens page shows.
type tokensData struct {
	Tokens []tokenRow
	// NewToken is a token just created, shown this once.
	NewToken string
}

type tokenRow struct {
	ID, Name, Created, Used string
}

func (s *Server) tokensData(req *Request, secret string) (*tokensData, error) {
	list, err := s.opts.Accounts.Tokens(req.R.Context(), req.Session.Principal)
	if err != nil {
		return nil, err
	}
	loc, now := req.zone(), req.now()
	d := &tokensData{NewToken: secret}
	for _, t := range list {
		row := tokenRow{ID: t.ID, Name: t.Name, Created: dayLabel(t.Created.In(loc), now.In(loc), req.L.Lang), Used: req.L.T("tokens.never")}
		if !t.LastUsed.IsZero() {
			row.Used = dayLabel(t.LastUsed.In(loc), now.In(loc), req.L.Lang)
		}
		if row.Name == "" {
			row.Name = t.ID
		}
		d.Tokens = append(d.Tokens, row)
	}
	return d, nil
}

func (s *Server) tokensPage(req *Request) error {
	d, err := s.tokensData(req, "")
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "organizer_tokens", nil, d)
}

// newTokenSubmit issues a token and shows its secret once, on the page
// (never in a redirect or a cookie).
func (s *Server) newTokenSubmit(req *Request) error {
	f := formOf(req.R)
	name := strings.TrimSpace(f.Value("name"))
	if name == "" {
		name = "web"
	}
	_, secret, err := s.opts.Accounts.CreateToken(req.R.Context(), req.Session.Principal, name)
	status := http.StatusCreated
	if err != nil {
		st, ok := req.takeFailureAs(f, err, map[string]string{"name": "name"})
		if !ok {
			return err
		}
		status, secret = st, ""
	}
	d, err := s.tokensData(req, secret)
	if err != nil {
		return err
	}
	return req.Render(status, "organizer_tokens", f, d)
}

// revokeTokenSubmit revokes one of the user's own tokens (the core scopes
// it to the user).
func (s *Server) revokeTokenSubmit(req *Request) error {
	if err := s.opts.Accounts.DeleteToken(req.R.Context(), req.Session.Principal, req.R.PathValue("id")); err != nil {
		return err
	}
	req.Redirect("/tokens", "token_revoked")
	return nil
}
