package pages

import (
	"net/mail"
	"unicode"
	"unicode/utf8"

	"github.com/convene/convene/internal/booking"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// FuzzHoursOfForm: any grid either reads as valid working hours or is
// refused; it never panics.
func FuzzHoursOfForm(f *testing.F) {
	f.Add("09:00", "17:00", "", "", "10:00", "12:00")
	f.Add("09:00", "12:00", "13:00", "17:30", "", "")
	f.Add("17:00", "09:00", "", "", "", "")
	f.Add("24:00", "25:00", "\"", "\\", "\xff", "00:00")
	f.Fuzz(func(t *testing.T, f1, t1, f2, t2, f3, t3 string) {
		form := &Form{Values: url.Values{"mon_from1": {f1}, "mon_to1": {t1}, "mon_from2": {f2}, "mon_to2": {t2}, "sat_from1": {f3}, "sat_to1": {t3}}}
		wh, err := hoursOfForm(form)
		if err != nil {
			return
		}
		if err := wh.Validate(); err != nil || wh.IsZero() {
			t.Fatalf("accepted %v: %v", wh, err)
		}
	})
}

// FuzzMeetingForm: any new meeting form is read without panicking; a
// recurrence it writes is a rule the core parses.
func FuzzMeetingForm(f *testing.F) {
	f.Add("ann@example.com, Bob <bob@example.com>", "weekly", "2027-01-04", "10:00", "10", "", "MO")
	f.Add("x", "monthly", "2027-01-31", "23:30", "", "2027-06-30", "")
	f.Add("\"a\" <", "biweekly", "2027-01-04", "10:00", "-1", "bad", "ZZ")
	f.Add("", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, attendees, recurrence, date, clock, count, until, byday string) {
		req := &Request{s: &Server{}, L: localeOf("en"), Session: &account.WebSession{User: &store.User{TimeZone: "UTC", DefaultDuration: 30}}}
		form := &Form{Values: url.Values{"mode": {"fixed"}, "subject": {"x"}, "attendees": {attendees}, "recurrence": {recurrence},
			"date": {date}, "time": {clock}, "count": {count}, "until": {until}, "byday": strings.Split(byday, ","), "zone": {"Europe/Paris"}},
			Errors: map[string]string{}}
		mf := req.readMeetingForm(form)
		for _, a := range mf.in.Attendees {
			if strings.TrimSpace(a.Email) == "" {
				t.Fatalf("an attendee without address from %q", attendees)
			}
		}
		paris, _ := time.LoadLocation("Europe/Paris")
		rule, err := recurrenceRule(recurrence, form, date+"T"+clock, paris)
		if err != nil {
			return
		}
		if _, err := recur.ParseRule(rule); err != nil {
			t.Fatalf("%q wrote %q: %v", recurrence, rule, err)
		}
	})
}

// FuzzFormatAttendees: an attendee with any one-line name reads back from
// the edit form's attendees field as they were.
func FuzzFormatAttendees(f *testing.F) {
	f.Add("Ann Lee", "ann@example.com")
	f.Add(`"Lee, Carl" \`, "carl@example.com")
	f.Add("Zoé; <x@y>", "z@example.com")
	f.Add("", "bob@example.com")
	f.Add("Ann\x07Lee", "ann") // found by the fuzzer: no address line carries a control character
	f.Fuzz(func(t *testing.T, name, local string) {
		name = strings.TrimSpace(name)
		if strings.ContainsAny(name, "\r\n") || !utf8.ValidString(name) || len(name) > 200 {
			return // the core refuses such names
		}
		in := []booking.AttendeeView{{Email: "", Name: name}, {Email: "other@example.com"}}
		if strings.IndexFunc(name, unicode.IsControl) >= 0 {
			// No address line carries it: the address alone.
			in[0].Email = "x@example.com"
			if got := parseAttendees(formatAttendees(in)); len(got) != 2 || got[0].Email != "x@example.com" || got[0].Name != "" {
				t.Fatalf("%q: %+v", name, got)
			}
			return
		}
		email := strings.ToLower(local) + "@example.com"
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			return
		}
		in[0].Email = email
		if got := parseAttendees(formatAttendees(in)); !sameAttendees(got, in) {
			t.Fatalf("%q <%s> reads back as %+v", name, email, got)
		}
	})
}
