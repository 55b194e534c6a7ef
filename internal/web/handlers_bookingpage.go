package web

import (
	"net/http"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
)

// bookingPageRoutes: the caller's own booking page (/u/{slug}), as the
// settings page edits it.
func (s *Server) bookingPageRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/users/me/booking-page", auth: authToken,
			summary: "The caller's booking page settings (one never saved comes back switched off, with a suggested slug)",
			resp:    map[int]string{200: "BookingPage"}, handle: s.getBookingPage},
		{method: "PATCH", path: "/api/v1/users/me/booking-page", auth: authToken,
			summary: "Change the caller's booking page: the fields given replace those saved",
			request: "BookingPagePatch", resp: map[int]string{200: "BookingPage", 422: "Problem"}, handle: s.patchBookingPage},
	}
}

// bookingPageView is a booking page as the API shows it.
type bookingPageView struct {
	Slug      string `json:"slug"`
	Path      string `json:"path"` // where visitors open it, under the server's base URL
	Enabled   bool   `json:"enabled"`
	Durations []int  `json:"durations"`
	Days      int    `json:"days"`
	Intro     string `json:"intro"`
}

func viewBookingPage(bp *store.BookingPage) bookingPageView {
	durations := bp.Durations
	if durations == nil {
		durations = []int{}
	}
	return bookingPageView{Slug: bp.Slug, Path: "/u/" + bp.Slug, Enabled: bp.Enabled, Durations: durations, Days: bp.Days, Intro: bp.Intro}
}

func (s *Server) getBookingPage(w http.ResponseWriter, r *http.Request) error {
	bp, err := s.Accounts.BookingPage(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewBookingPage(bp))
	return nil
}

func (s *Server) patchBookingPage(w http.ResponseWriter, r *http.Request) error {
	var patch account.BookingPagePatch
	if err := decodeJSON(w, r, &patch); err != nil {
		return err
	}
	saved, err := s.Accounts.UpdateBookingPage(r.Context(), principal(r), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewBookingPage(saved))
	return nil
}
