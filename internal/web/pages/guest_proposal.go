package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The page behind a guest's proposal link.
//
// The seam with the e-mail assistant: the assistant owns the links it
// mails to guests (their format, signature, expiry, single use) and the
// conversation their answers are part of; this package owns the page. A
// link's route is served by GuestHandler, given a GuestLinkVerifier that
// turns the request (its path, its token) into a verified GuestLink, or
// refuses it:
//
//	pg.GuestHandler(func(r *http.Request) (*pages.GuestLink, error) {
//		v, err := assistant.Describe(r.Context(), r.PathValue("token"))
//		…
//		return &pages.GuestLink{Guest: booking.Guest{AccountID: v.AccountID, MeetingID: v.MeetingID, Email: v.Email},
//			Answers: assistant.GuestAnswers(token), Selected: v.Selected, Language: v.Lang, TimeZone: v.TimeZone}, nil
//	})
//
// (internal/server/guestlinks.go is the real one)
//
// mounted with Options.GuestLinks (Pattern "/…/{token}", GET and POST),
// or by hand; internal/server mounts the assistant's at /choose/{token}.
// GET shows the meeting's options in the guest's time zone (?tz=, then the
// convene_tz cookie, then the link's zone, then the meeting's; the page's
// script switches to the browser's zone, and a select changes it), the
// link's own time first with a one-click "Confirm" (Selected), then the
// other times and "none of these works" with a note; it never answers
// (mail scanners fetch links). POST picks an option (action=pick,
// start=RFC 3339) or says none works (action=none, note=…), then shows
// the confirmation page. The forms post back to the link's own URL, so
// every POST is verified again: the link is the guest's authorization,
// nobody signs in. The CSRF token is the anonymous one of the sign-in
// pages (a cookie the link's page sets, and a hidden field), or the
// session's for a signed-in browser. The page is in the link's language
// (Language) unless the visitor chose one on this browser.
//
// The answers go to the link's Answers (the assistant's, bound to the
// link: the answer is the guest's event in its conversation, and uses the
// link up), else to Options.Guests (default: the booking service's
// GuestChoose and GuestDecline, which check that the address is the
// meeting's attendee); Answered, when set, runs after the core recorded
// an answer. A link that already answered (Used) shows what became of
// the answer and takes no other.

// GuestAnswers is what the guest pages ask of the core; booking.Service
// implements it, and so does the e-mail assistant for one link
// (assistant.GuestAnswers).
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
	// Answers, when set, answers through this link instead of
	// Options.Guests.
	Answers GuestAnswers
	// Selected is the time the link was mailed for: the page offers it
	// first, confirmed with one click. Zero: every time alike.
	Selected time.Time
	// Language is the guest's language ("en", "fr"), when known: the
	// page's, unless the visitor chose another on this browser.
	Language string
	// TimeZone is the guest's zone, when known: the page's until the
	// browser's (the page's script) or the visitor's choice.
	TimeZone string
	// Used says the link already carried the guest's answer (it works
	// once): the page shows what became of it and takes no other.
	Used bool
}

// GuestLinkVerifier verifies the link a request came with. An error
// wrapping ErrGuestLinkInvalid shows the guest that the link does not
// work (ErrGuestLinkExpired, ErrGuestLinkReplaced and ErrGuestLinkClosed
// say why); any other error is a failure of the server.
type GuestLinkVerifier func(r *http.Request) (*GuestLink, error)

// Refusals of a guest link.
var (
	// ErrGuestLinkInvalid: a guest link that is unknown, tampered with,
	// or not this guest's.
	ErrGuestLinkInvalid = errors.New("this link does not work")
	// ErrGuestLinkExpired: a genuine link past its end.
	ErrGuestLinkExpired = fmt.Errorf("%w: it expired", ErrGuestLinkInvalid)
	// ErrGuestLinkReplaced: a genuine link to times that newer ones
	// replaced.
	ErrGuestLinkReplaced = fmt.Errorf("%w: newer times replaced these", ErrGuestLinkInvalid)
	// ErrGuestLinkClosed: a genuine link to a negotiation the guest no
	// longer takes part in.
	ErrGuestLinkClosed = fmt.Errorf("%w: there is nothing more to choose", ErrGuestLinkInvalid)
)

// GuestLinks mounts the guest pages at Pattern (a net/http path with the
// link's parts, e.g. "/g/{token}"), for GET and POST.
type GuestLinks struct {
	Pattern string
	Verify  GuestLinkVerifier
}

// tzCookie keeps a guest's or visitor's time zone.
const tzCookie = "convene_tz"

// guestZone is the zone a guest's page shows times in: ?tz= (kept in a
// cookie), else the cookie, else the first known of defs; auto says the
// page's script may switch to the browser's zone.
func (req *Request) guestZone(defs ...string) (zone string, auto bool) {
	if tz := req.R.URL.Query().Get("tz"); tz != "" && knownZone(tz) {
		req.s.setCookie(req.W, tzCookie, tz, 365*24*time.Hour)
		return tz, false
	}
	if tz := req.s.cookie(req.R, tzCookie); knownZone(tz) {
		return tz, false
	}
	for _, def := range defs {
		if knownZone(def) {
			return def, true
		}
	}
	return "UTC", true
}

// guestData is what the guest's proposal page and its confirmation show.
type guestData struct {
	P        *booking.GuestProposal
	Zones    []zoneGroup
	Zone     string
	AutoZone bool
	// Selected is the link's own time, offered first (nil: none); Options
	// are the other times (all of them without one).
	Selected *choice
	Options  []choice
	When     string
	Duration string
	// Used: the link answered already; the page takes no other answer.
	Used              bool
	Booked, Cancelled bool
	// Outcome is what the answer did (booking.Guest*), on the
	// confirmation page.
	Outcome string
	Action  string
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
		req.W.Header().Set("X-Robots-Tag", "noindex")
		link, err := verify(req.R)
		if err != nil || link == nil {
			return s.guestRefused(req, err)
		}
		if validLang(link.Language) && !req.langChosen() {
			req.L = localeOf(link.Language)
		}
		answers := s.opts.Guests
		if link.Answers != nil {
			answers = link.Answers
		}
		if req.R.Method != http.MethodPost {
			return s.guestPage(req, link, answers, http.StatusOK, nil)
		}
		if link.Used {
			// Once only: a second answer (a double click, a replayed
			// form) records nothing and shows the first one's result.
			return s.guestPage(req, link, answers, http.StatusConflict, nil)
		}
		return s.guestAnswer(req, verify, link, answers)
	}
}

// guestRefused shows why a link does not work: 404 for a link that is
// not (or no longer) one, 410 for one that expired, was replaced or has
// nothing left to choose. An error that is no refusal is the server's.
func (s *Server) guestRefused(req *Request, err error) error {
	if err != nil && !errors.Is(err, ErrGuestLinkInvalid) {
		return err
	}
	s.opts.Log.Debug("pages: guest link refused", "err", err)
	for _, r := range []struct {
		err    error
		reason string
	}{{ErrGuestLinkExpired, "expired"}, {ErrGuestLinkReplaced, "replaced"}, {ErrGuestLinkClosed, "closed"}} {
		if errors.Is(err, r.err) {
			return req.Render(http.StatusGone, "guest_invalid", nil, r.reason)
		}
	}
	return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
}

// langChosen reports whether the visitor chose the pages' language on
// this browser (the language switch's cookie).
func (req *Request) langChosen() bool {
	c, err := req.R.Cookie(langCookie)
	return err == nil && validLang(c.Value)
}

func (s *Server) guestView(req *Request, link *GuestLink, p *booking.GuestProposal) *guestData {
	zone, auto := req.guestZone(link.TimeZone, p.TimeZone)
	d := &guestData{P: p, Zones: timeZones(), Zone: zone, AutoZone: auto, Duration: durationLabel(p.Duration, req.L.Lang),
		Action: req.R.URL.Path, Used: link.Used, Booked: p.Status == store.MeetingBooked || p.Status == store.MeetingBooking,
		Cancelled: p.Status == store.MeetingCancelled || p.Status == store.MeetingFailed}
	for _, o := range p.Options {
		c := choice{Value: o.Start.UTC().Format(time.RFC3339), Label: rangeLabel(o.Start, o.End, zone, req.L.Lang)}
		if !link.Selected.IsZero() && o.Start.Equal(link.Selected) && d.Selected == nil {
			d.Selected = &c
			continue
		}
		d.Options = append(d.Options, c)
	}
	if d.Booked {
		d.When = rangeLabel(p.Start, p.End, zone, req.L.Lang)
	}
	return d
}

// guestPage shows the proposal (or what became of it).
func (s *Server) guestPage(req *Request, link *GuestLink, answers GuestAnswers, status int, f *Form) error {
	p, err := answers.GuestProposal(req.R.Context(), link.Guest)
	if err != nil {
		if failure.KindOf(err) == failure.NotFound {
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		return err
	}
	return req.Render(status, "guest_proposal", f, s.guestView(req, link, p))
}

// guestAnswer records a guest's pick, or that no time works, and shows
// the confirmation.
func (s *Server) guestAnswer(req *Request, verify GuestLinkVerifier, link *GuestLink, answers GuestAnswers) error {
	f := formOf(req.R)
	ctx := req.R.Context()
	var p *booking.GuestProposal
	var err error
	switch f.Value("action") {
	case "pick":
		start, perr := time.Parse(time.RFC3339, f.Value("start"))
		if perr != nil {
			f.Errors["start"] = req.L.T("guest.choose_one")
			return s.guestPage(req, link, answers, http.StatusUnprocessableEntity, f)
		}
		p, err = answers.GuestChoose(ctx, link.Guest, start)
	case "none":
		p, err = answers.GuestDecline(ctx, link.Guest, f.Value("note"))
	default:
		return failure.New(failure.Malformed, "pick a time or say none works")
	}
	if err != nil {
		// The link may have changed meanwhile (used in another tab,
		// replaced by another guest's answer): say what it is now.
		if again, verr := verify(req.R); verr != nil || again == nil {
			if verr == nil || errors.Is(verr, ErrGuestLinkInvalid) {
				return s.guestRefused(req, verr)
			}
		} else if again.Used {
			again.Answers = link.Answers
			return s.guestPage(req, again, answers, http.StatusConflict, nil)
		}
		status, ok := req.takeFailureAs(f, err, map[string]string{"start_time": "start", "note": "note"})
		if !ok {
			return err
		}
		if status == http.StatusNotFound {
			return req.Render(http.StatusNotFound, "guest_invalid", nil, nil)
		}
		if status == http.StatusServiceUnavailable {
			req.W.Header().Set("Retry-After", "2")
		}
		return s.guestPage(req, link, answers, status, f)
	}
	if link.Answered != nil {
		if err := link.Answered(ctx); err != nil {
			return err
		}
	}
	d := s.guestView(req, link, p)
	d.Outcome = p.Outcome
	if d.Outcome == "" {
		// An answerer that does not say: a pick books, "none" tells.
		d.Outcome = booking.GuestTold
		if f.Value("action") == "pick" {
			d.Outcome = booking.GuestBooked
		}
	}
	status := http.StatusOK
	if d.Outcome == booking.GuestTaken || d.Outcome == booking.GuestFailed {
		status = http.StatusConflict
	}
	return req.Render(status, "guest_answered", nil, d)
}
