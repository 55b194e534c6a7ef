package pages

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The page behind a guest's proposal link.
//
// The seam with the e-mail assistant: the assistant owns the links it
// mails to guests (their format, signature, expiry, single use) and this
// package owns the pages. A link's route is served by GuestHandler, given
// a GuestLinkVerifier that turns the request (its path, its token) into a
// verified GuestLink, or refuses it:
//
//	pg.GuestHandler(func(r *http.Request) (*pages.GuestLink, error) {
//		g, err := links.Verify(r.Context(), r.PathValue("token"))
//		…
//		return &pages.GuestLink{Guest: booking.Guest{AccountID: …, MeetingID: …, Email: …},
//			Answered: func(ctx context.Context) error { return links.MarkUsed(ctx, …) }}, nil
//	})
//
// mounted with Options.GuestLinks (Pattern "/…/{token}", GET and POST),
// or by hand. GET shows the meeting's options in the guest's time zone
// (?tz=, then the convene_tz cookie, then the meeting's; the page's script
// switches to the browser's zone, and a select changes it); POST picks an
// option (action=pick, start=RFC 3339) or says none works (action=none,
// note=…), then shows the confirmation page. The forms post back to the
// link's own URL, so every POST is verified again; the CSRF token is
// the anonymous one of the sign-in pages (a cookie and a hidden field).
// The answers go to Options.Guests (default: the booking service's
// GuestChoose and GuestDecline, which check that the address is the
// meeting's attendee); Answered, when set, runs after the core recorded
// an answer.

// GuestAnswers is what the guest pages ask of the core; booking.Service
// implements it.
type GuestAnswers interface {
	GuestProposal(ctx context.Context, g booking.Guest) (*booking.GuestProposal, error)
	GuestChoose(ctx context.Context, g booking.Guest, start time.Time) (*booking.GuestProposal, error)
	GuestDecline(ctx context.Context, g booking.Guest, note string) (*booking.GuestProposal, error)
}

var _ GuestAnswers = (*booking.Service)(nil)

// GuestLink is a verified guest link: the guest and their meeting.
type GuestLink struct {
	booking.Guest
	// Answered, when set, runs once the guest's answer is recorded (a
	// single-use link marks itself used).
	Answered func(ctx context.Context) error
}

// GuestLinkVerifier verifies the link a request came with. An error
// wrapping ErrGuestLinkInvalid (or any failure) shows the guest that the
// link does not work.
type GuestLinkVerifier func(r *http.Request) (*GuestLink, error)

// ErrGuestLinkInvalid: a guest link that is unknown, expired or used.
var ErrGuestLinkInvalid = errors.New("this link does not work")

// GuestLinks mounts the guest pages at Pattern (a net/http path with the
// link's parts, e.g. "/g/{token}"), for GET and POST.
type GuestLinks struct {
	Pattern string
	Verify  GuestLinkVerifier
}

// tzCookie keeps a guest's or visitor's time zone.
const tzCookie = "convene_tz"

// guestZone is the zone a guest's page shows times in: ?tz= (kept in a
// cookie), else the cookie, else def; auto says the page's script may
// switch to the browser's zone.
func (req *Request) guestZone(def string) (zone string, auto bool) {
	if tz := req.R.URL.Query().Get("tz"); tz != "" && knownZone(tz) {
		req.s.setCookie(req.W, tzCookie, tz, 365*24*time.Hour)
		return tz, false
	}
	if tz := req.s.cookie(req.R, tzCookie); knownZone(tz) {
		return tz, false
	}
	if !knownZone(def) {
		def = "UTC"
	}
	return def, true
}

// guestData is what the guest's proposal page and its confirmation show.
type guestData struct {
	P                 *booking.GuestProposal
	Zones             []zoneGroup
	Zone              string
	AutoZone          bool
	Options           []choice
	When              string
	Duration          string
	Picked, Declined  bool
	Booked, Cancelled bool
	Action            string
}

// GuestHandler serves the page behind a guest's proposal link, with the
// pages' headers, CSRF check and language; verify vouches for the link.
func (s *Server) GuestHandler(verify GuestLinkVerifier) http.Handler {
	return s.wrap(pageRoute{method: "GET", handle: s.guestLink(verify)})
}

// guestLink is the handler of a guest link's route, GET and POST.
func (s *Server) guestLink(verify GuestLinkVerifier) func(*Request) error {
	return func(req *Request) error {
		req.noReferrer() // the link's secret stays here
		link, err := verify(req.R)
		if err != nil || link == nil {
			s.opts.Log.Debug("pages: guest link refused", "err", err)
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		if req.R.Method == http.MethodPost {
			return s.guestAnswer(req, link)
		}
		return s.guestPage(req, link, http.StatusOK, nil)
	}
}

func (s *Server) guestView(req *Request, p *booking.GuestProposal) *guestData {
	zone, auto := req.guestZone(p.TimeZone)
	d := &guestData{P: p, Zones: timeZones(), Zone: zone, AutoZone: auto, Duration: durationLabel(p.Duration, req.L.Lang),
		Action: req.R.URL.Path, Booked: p.Status == store.MeetingBooked || p.Status == store.MeetingBooking,
		Cancelled: p.Status == store.MeetingCancelled || p.Status == store.MeetingFailed}
	for _, o := range p.Options {
		d.Options = append(d.Options, choice{Value: o.Start.UTC().Format(time.RFC3339), Label: rangeLabel(o.Start, o.End, zone, req.L.Lang)})
	}
	if len(d.Options) > 0 {
		d.Options[0].Selected = true
	}
	if d.Booked {
		d.When = rangeLabel(p.Start, p.End, zone, req.L.Lang)
	}
	return d
}

// guestPage shows the proposal (or what became of it).
func (s *Server) guestPage(req *Request, link *GuestLink, status int, f *Form) error {
	p, err := s.opts.Guests.GuestProposal(req.R.Context(), link.Guest)
	if err != nil {
		if failure.KindOf(err) == failure.NotFound {
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		return err
	}
	return req.Render(status, "guest_proposal", f, s.guestView(req, p))
}

// guestAnswer records a guest's pick, or that no time works, and shows
// the confirmation.
func (s *Server) guestAnswer(req *Request, link *GuestLink) error {
	f := formOf(req.R)
	ctx := req.R.Context()
	var p *booking.GuestProposal
	var err error
	switch f.Value("action") {
	case "pick":
		start, perr := time.Parse(time.RFC3339, f.Value("start"))
		if perr != nil {
			f.Errors["start"] = req.L.T("guest.choose_one")
			return s.guestPage(req, link, http.StatusUnprocessableEntity, f)
		}
		p, err = s.opts.Guests.GuestChoose(ctx, link.Guest, start)
	case "none":
		p, err = s.opts.Guests.GuestDecline(ctx, link.Guest, f.Value("note"))
	default:
		return failure.New(failure.Malformed, "pick a time or say none works")
	}
	if err != nil {
		status, ok := req.takeFailureAs(f, err, map[string]string{"start_time": "start", "note": "note"})
		if !ok {
			return err
		}
		if status == http.StatusNotFound {
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		return s.guestPage(req, link, status, f)
	}
	if link.Answered != nil {
		if err := link.Answered(ctx); err != nil {
			return err
		}
	}
	d := s.guestView(req, p)
	d.Picked, d.Declined = f.Value("action") == "pick", f.Value("action") == "none"
	return req.Render(http.StatusOK, "guest_answered", nil, d)
}
