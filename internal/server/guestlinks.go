package server

import (
	"net/http"

	"github.com/convene/convene/internal/assistant"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/web/pages"
)

// guestLinkPattern is where the assistant's choice links land: the path
// every link it ever mailed names.
const guestLinkPattern = "/choose/{token}"

// assistantLinks serves the e-mail assistant's choice links with the
// guests' proposal page (internal/web/pages): the assistant vouches for
// the link (signature, expiry, single use, round, guest) and answers
// through it, so that a pick or "none works" on the page is the guest's
// event in its conversation; the page shows it. Neither package knows the
// other: this is the seam.
func assistantLinks(a *assistant.Service) *pages.GuestLinks {
	return &pages.GuestLinks{Pattern: guestLinkPattern, Verify: func(r *http.Request) (*pages.GuestLink, error) {
		token := r.PathValue("token")
		v, err := a.Describe(r.Context(), token)
		if err != nil {
			return nil, err
		}
		if v.MeetingID == "" {
			return nil, pages.ErrGuestLinkInvalid
		}
		link := &pages.GuestLink{Guest: booking.Guest{AccountID: v.AccountID, MeetingID: v.MeetingID, Email: v.Email},
			Answers: a.GuestAnswers(token), Selected: v.Selected, Language: v.Lang, TimeZone: v.TimeZone}
		if v.State == assistant.LinkConfirm {
			return link, nil
		}
		switch v.Problem {
		case assistant.ProblemUsed:
			link.Used = true
			return link, nil
		case assistant.ProblemClosed:
			switch v.MeetingStatus {
			case store.MeetingBooked, store.MeetingBooking, store.MeetingCancelled, store.MeetingFailed:
				return link, nil // the page says when, or that it is off
			}
			return nil, pages.ErrGuestLinkClosed
		case assistant.ProblemExpired:
			return nil, pages.ErrGuestLinkExpired
		case assistant.ProblemReplaced:
			return nil, pages.ErrGuestLinkReplaced
		}
		return nil, pages.ErrGuestLinkInvalid
	}}
}
