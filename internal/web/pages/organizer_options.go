package pages

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The organizer's pages (signed in: meetings, a new meeting, reschedule,
// edit and cancel, preferences, calendars, API tokens) and the guests' pages
// (public: a guest's answer to a proposal, personal booking pages). They
// render what the core answers (booking, calendar, account) and decide
// nothing themselves: who may see or change a meeting, which times are
// free, what a slug may be, all come from the core.

// OrganizerOptions are what the organizer's and guests' pages need.
type OrganizerOptions struct {
	// Booking books, lists and changes meetings; without it the
	// organizer's and guests' pages are not served.
	Booking *booking.Service
	// Calendars lists and changes a user's calendars.
	Calendars *calendar.Service
	// BookingLimit bounds the requests sent from booking pages per client
	// address (a token bucket, like failed sign-ins); nil: 5 at once, then
	// one every 12 minutes. It trusts the proxies AuthLimit trusts only if
	// made with the same TrustedProxies.
	BookingLimit *authlimit.Limiter
	// Guests answers the guest pages of proposals; nil: Booking. The
	// e-mail assistant may put its own in front, to record a guest's
	// answer in its conversation too.
	Guests GuestAnswers
	// GuestLinks, when set, serves the page behind guests' proposal links
	// (guest_proposal.go): the e-mail assistant's links.
	GuestLinks *GuestLinks
}

// Booking page requests per client address: a burst of 5, then one every
// 12 minutes (5 an hour).
const (
	bookingBurst  = 5
	bookingRefill = 12 * time.Minute
)

// organizerRoutes: the signed-in user's meetings, settings, calendars and
// tokens.
func (s *Server) organizerRoutes() []pageRoute {
	if s.opts.Booking == nil {
		return nil
	}
	if s.opts.BookingLimit == nil {
		s.opts.BookingLimit = authlimit.New(authlimit.Options{Burst: bookingBurst, Refill: bookingRefill, Now: s.opts.Now})
	}
	if s.opts.Guests == nil {
		s.opts.Guests = s.opts.Booking
	}
	return []pageRoute{
		{method: "GET", path: "/meetings", access: signedIn, handle: s.meetingsPage},
		{method: "GET", path: "/meetings/new", access: signedIn, handle: s.newMeetingForm},
		{method: "POST", path: "/meetings/new", access: signedIn, handle: s.newMeetingSubmit},
		{method: "POST", path: "/meetings/slots", access: signedIn, handle: s.liveSlots},
		{method: "GET", path: "/meetings/{id}", access: signedIn, handle: s.meetingPage},
		{method: "GET", path: "/meetings/{id}/reschedule", access: signedIn, handle: s.rescheduleForm},
		{method: "POST", path: "/meetings/{id}/reschedule", access: signedIn, handle: s.rescheduleSubmit},
		{method: "GET", path: "/meetings/{id}/edit", access: signedIn, handle: s.editForm},
		{method: "POST", path: "/meetings/{id}/edit", access: signedIn, handle: s.editSubmit},
		{method: "GET", path: "/meetings/{id}/cancel", access: signedIn, handle: s.cancelForm},
		{method: "POST", path: "/meetings/{id}/cancel", access: signedIn, handle: s.cancelSubmit},
		{method: "GET", path: "/preferences", access: signedIn, handle: s.preferencesPage},
		{method: "POST", path: "/preferences", access: signedIn, handle: s.preferencesSubmit},
		{method: "GET", path: "/preferences/password", access: signedIn, handle: s.passwordForm},
		{method: "POST", path: "/preferences/password", access: signedIn, handle: s.passwordSubmit},
		{method: "GET", path: "/preferences/booking-page", access: signedIn, handle: s.bookingPageForm},
		{method: "POST", path: "/preferences/booking-page", access: signedIn, handle: s.bookingPageSubmit},
		{method: "GET", path: "/calendars", access: signedIn, handle: s.calendarsPage},
		{method: "POST", path: "/calendars", access: signedIn, handle: s.addCalendarSubmit},
		{method: "POST", path: "/calendars/{id}/sync", access: signedIn, handle: s.syncCalendarSubmit},
		{method: "POST", path: "/calendars/{id}/remove", access: signedIn, handle: s.removeCalendarSubmit},
		{method: "POST", path: "/calendars/apps/{app}/connect", access: signedIn, handle: s.connectAppSubmit},
		{method: "POST", path: "/calendars/apps/{app}/disconnect", access: signedIn, handle: s.disconnectAppSubmit},
		{method: "GET", path: "/tokens", access: signedIn, handle: s.tokensPage},
		{method: "POST", path: "/tokens/new", access: signedIn, handle: s.newTokenSubmit},
		{method: "POST", path: "/tokens/{id}/revoke", access: signedIn, handle: s.revokeTokenSubmit},
	}
}

// me is the signed-in user.
func (req *Request) me() *store.User { return req.Session.User }

// zone is the signed-in user's time zone.
func (req *Request) zone() *time.Location { return zoneOf(req.me().TimeZone) }

// now is the pages' clock.
func (req *Request) now() time.Time { return req.s.opts.Now() }

// JSON writes v as a JSON answer.
func (req *Request) JSON(status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := req.W.Header()
	h.Set("Content-Type", "application/json")
	req.W.WriteHeader(status)
	req.W.Write(b)
	return nil
}

// noReferrer keeps a page's URL (a link's secret) out of any Referer.
func (req *Request) noReferrer() { req.W.Header().Set("Referrer-Policy", "no-referrer") }

// takeFailureAs puts a core failure into the form, as takeFailure does,
// with the core's field names mapped to the form's: {"start_time":
// "date"}; a core field maps by its name before any index or member too
// ("attendees[2].email" as "attendees"). Problems of fields the form does
// not have, and failures without fields, become the form's error.
func (req *Request) takeFailureAs(f *Form, err error, fields map[string]string) (int, bool) {
	fe, ok := failure.As(err)
	if !ok || fe.Kind == failure.Internal {
		return 0, false
	}
	for _, cause := range knownCauses {
		if errors.Is(err, cause.err) {
			if name, ok := fields[cause.field]; ok {
				f.Errors[name] = req.L.T(cause.key)
				return statusOf(fe.Kind), true
			}
		}
	}
	unmapped := false
	for _, p := range fe.Fields {
		base := p.Field
		if i := strings.IndexAny(base, "[."); i > 0 {
			base = base[:i]
		}
		name, ok := fields[p.Field]
		if !ok {
			name, ok = fields[base]
		}
		if !ok {
			unmapped = true
			continue
		}
		msg := p.Message
		if req.L.Lang != "en" && req.L.Has("err."+name) {
			msg = req.L.T("err." + name)
		}
		if f.Errors[name] == "" {
			f.Errors[name] = msg
		}
	}
	if len(f.Errors) == 0 || unmapped {
		f.Error = req.failureText(fe)
	}
	return statusOf(fe.Kind), true
}
