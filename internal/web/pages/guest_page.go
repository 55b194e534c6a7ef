package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
)

// Personal booking pages, /u/{name}: a user's free times (booking's
// PageSlots) in the visitor's zone; a visitor asks for one with a name and
// an address, and confirms from the link mailed to them
// (/u/{name}/confirm/{token}), which books it. Against abuse:
//   - requests count per client address in Options.BookingLimit (a token
//     bucket: 429 with Retry-After past it), before anything is checked;
//   - a honeypot field, hidden from people, that robots fill in: such a
//     request is answered like any other and does nothing;
//   - the core mails a link and books nothing before it is opened, and
//     bounds the requests waiting per address.

// guestRoutes: booking pages, and guest links when mounted.
func (s *Server) guestRoutes() []pageRoute {
	if s.opts.Booking == nil {
		return nil
	}
	rs := []pageRoute{
		{method: "GET", path: "/u/{name}", handle: s.bookingPage},
		{method: "POST", path: "/u/{name}", handle: s.bookingPageRequest},
		{method: "GET", path: "/u/{name}/sent", handle: s.bookingPageSent},
		{method: "GET", path: "/u/{name}/confirm/{token}", handle: s.bookingConfirmForm},
		{method: "POST", path: "/u/{name}/confirm/{token}", handle: s.bookingConfirmSubmit},
	}
	if gl := s.opts.GuestLinks; gl != nil {
		h := s.guestLink(gl.Verify)
		rs = append(rs, pageRoute{method: "GET", path: gl.Pattern, handle: h}, pageRoute{method: "POST", path: gl.Pattern, handle: h})
	}
	return rs
}

// honeypot is the field people never see (CSS hides it, and it is out of
// the tab order and the accessibility tree); a robot filling every input
// fills it.
const honeypot = "website"

// pageData is what a booking page shows.
type pageData struct {
	Slug, Owner string
	// Intro is the owner's plain text for visitors (empty: none).
	Intro     string
	Days      []slotDay
	Durations []choice
	Duration  int
	Zones     []zoneGroup
	Zone      string
	AutoZone  bool
	Later     string
	Honeypot  string
	// Taken is the time a visitor confirmed too late: it went meanwhile,
	// and the page offers the new times.
	Taken string
}

// slotDay is one day of a booking page's times.
type slotDay struct {
	Label string
	Slots []choice
}

// pageSlots loads the page's times for the visitor and fills pd.
func (s *Server) pageSlots(req *Request, slug string, f *Form) (*pageData, error) {
	q := req.R.URL.Query()
	if f != nil && f.Value("duration") != "" {
		q.Set("d", f.Value("duration"))
	}
	d, _ := strconv.Atoi(q.Get("d"))
	pq := booking.PageQuery{Duration: d}
	if v := q.Get("from"); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			pq.From = t
		}
	}
	// The owner's zone until the visitor says (the script tells the
	// browser's).
	bp, owner, err := s.opts.Accounts.PublicBookingPage(req.R.Context(), slug)
	if err != nil {
		return nil, err
	}
	zone, auto := req.guestZone(owner.TimeZone)
	loc := zoneOf(zone)
	pq.Location = loc
	ps, err := s.opts.Booking.PageSlots(req.R.Context(), slug, pq)
	if err != nil {
		if failure.KindOf(err) == failure.Invalid && d != 0 {
			// A length the page does not offer: its first one.
			pq.Duration = 0
			ps, err = s.opts.Booking.PageSlots(req.R.Context(), slug, pq)
		}
		if err != nil {
			return nil, err
		}
	}
	pd := &pageData{Slug: ps.Slug, Owner: ps.OwnerName, Intro: bp.Intro, Duration: ps.Duration, Zones: timeZones(), Zone: zone, AutoZone: auto, Honeypot: honeypot}
	for _, m := range ps.Durations {
		pd.Durations = append(pd.Durations, choice{Value: strconv.Itoa(m), Label: durationLabel(m, req.L.Lang), Selected: m == ps.Duration})
	}
	chosen := ""
	if f != nil {
		chosen = f.Value("start")
	}
	var cur *slotDay
	for _, sl := range ps.Slots {
		st := sl.Start.In(loc)
		label := longDay(st, req.L.Lang)
		if cur == nil || cur.Label != label {
			pd.Days = append(pd.Days, slotDay{Label: label})
			cur = &pd.Days[len(pd.Days)-1]
		}
		v := sl.Start.UTC().Format(time.RFC3339)
		cur.Slots = append(cur.Slots, choice{Value: v, Label: clockLabel(st, req.L.Lang), Selected: v == chosen})
	}
	if !ps.Later.IsZero() {
		pd.Later = "/u/" + url.PathEscape(ps.Slug) + "?d=" + strconv.Itoa(ps.Duration) + "&from=" + url.QueryEscape(ps.Later.UTC().Format(time.RFC3339))
	}
	return pd, nil
}

func (s *Server) bookingPage(req *Request) error {
	pd, err := s.pageSlots(req, req.R.PathValue("name"), nil)
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "guest_page", nil, pd)
}

// bookingPageRequest asks for a time: throttled per client address, a
// filled honeypot does nothing, then the core checks the request and
// mails the confirmation link.
func (s *Server) bookingPageRequest(req *Request) error {
	slug := req.R.PathValue("name")
	f := formOf(req.R)
	lim := s.opts.BookingLimit
	client := lim.Client(req.R)
	if wait := lim.Wait(client); wait > 0 {
		req.W.Header().Set("Retry-After", authlimit.RetryAfter(wait))
		pd, err := s.pageSlots(req, slug, f)
		if err != nil {
			return err
		}
		f.Error = req.L.T("err.booking_throttled", authlimit.RetryAfter(wait))
		return req.Render(http.StatusTooManyRequests, "guest_page", f, pd)
	}
	lim.Fail(client) // every request counts, granted or not
	if f.Value(honeypot) != "" {
		s.opts.Log.Info("pages: booking page request dropped: honeypot filled", "page", slug, "client", client.String())
		req.Redirect("/u/"+url.PathEscape(slug)+"/sent", "")
		return nil
	}
	start, _ := time.Parse(time.RFC3339, f.Value("start"))
	d, _ := strconv.Atoi(f.Value("duration"))
	zone, _ := req.guestZone("")
	_, err := s.opts.Booking.RequestPageBooking(req.R.Context(), booking.PageRequest{Slug: slug, Name: f.Value("visitor_name"), Email: f.Value("email"),
		Note: f.Value("note"), Start: start, Duration: d, TimeZone: zone, Language: req.L.Lang})
	if err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"name": "visitor_name", "email": "email", "note": "note", "start": "start", "duration": "start"})
		if !ok {
			return err
		}
		if errors.Is(err, booking.ErrSlotTaken) {
			f.Errors["start"] = req.L.T("page.taken")
			f.Error = ""
		}
		pd, perr := s.pageSlots(req, slug, f)
		if perr != nil {
			return perr
		}
		return req.Render(status, "guest_page", f, pd)
	}
	req.Redirect("/u/"+url.PathEscape(slug)+"/sent", "")
	return nil
}

// bookingPageSent says to look for the mail.
func (s *Server) bookingPageSent(req *Request) error {
	_, owner, err := s.opts.Accounts.PublicBookingPage(req.R.Context(), req.R.PathValue("name"))
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "guest_page_sent", nil, owner.Name)
}

// bookingConfirmData is what the confirmation page shows.
type bookingConfirmData struct {
	R        *booking.PendingPageBooking
	When     string
	Duration string
	Done     bool
}

func (s *Server) confirmView(req *Request, r *booking.PendingPageBooking) *bookingConfirmData {
	zone := r.TimeZone
	if tz, auto := req.guestZone(r.TimeZone); !auto {
		zone = tz
	}
	return &bookingConfirmData{R: r, When: rangeLabel(r.Start, r.End, zone, req.L.Lang), Duration: durationLabel(r.Duration, req.L.Lang), Done: r.MeetingID != ""}
}

// bookingConfirmForm shows the request a mailed link confirms, with the
// button that books it (a GET books nothing: mail scanners open links).
func (s *Server) bookingConfirmForm(req *Request) error {
	req.noReferrer()
	r, err := s.opts.Booking.PendingPageRequest(req.R.Context(), req.R.PathValue("name"), req.R.PathValue("token"))
	if err != nil {
		if failure.KindOf(err) == failure.NotFound {
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		return err
	}
	return req.Render(http.StatusOK, "guest_page_confirm", nil, s.confirmView(req, r))
}

// bookingConfirmSubmit books the request; a time taken meanwhile shows the
// page's new times.
func (s *Server) bookingConfirmSubmit(req *Request) error {
	req.noReferrer()
	slug, tok := req.R.PathValue("name"), req.R.PathValue("token")
	r, err := s.opts.Booking.ConfirmPageBooking(req.R.Context(), slug, tok)
	if err != nil {
		switch {
		case errors.Is(err, booking.ErrSlotTaken):
			pending, perr := s.opts.Booking.PendingPageRequest(req.R.Context(), slug, tok)
			if perr != nil {
				return perr
			}
			d := s.confirmView(req, pending)
			f := &Form{Values: url.Values{"visitor_name": {pending.VisitorName}, "email": {pending.VisitorEmail}, "duration": {strconv.Itoa(pending.Duration)}}, Errors: map[string]string{}}
			pd, err := s.pageSlots(req, slug, f)
			if err != nil {
				return err
			}
			pd.Taken = d.When
			return req.Render(http.StatusConflict, "guest_page", f, pd)
		case failure.KindOf(err) == failure.NotFound:
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		return err
	}
	return req.Render(http.StatusOK, "guest_page_confirm", nil, s.confirmView(req, r))
}
