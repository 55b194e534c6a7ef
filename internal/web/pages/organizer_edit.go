package pages

import (
	"net/http"
	"net/mail"
	"net/url"
	"strings"

	"github.com/convene/convene/internal/booking"
)

// The edit page changes what a meeting is about: its subject, description
// and attendees (booking.Change, as PATCH /api/v1/meetings/{id} does).
// The core sends the updated invitation to every attendee, those added
// included, and a cancellation to those removed. Of a series it changes
// the whole series, or, from an occurrence (?occurrence=), this one and
// the following ones (the core splits the series there); it refuses these
// fields for one occurrence alone, so the page does not offer it.

// fieldsOfEdit maps the core's fields to the edit form's.
var fieldsOfEdit = map[string]string{
	"subject": "subject", "description": "description", "attendees": "attendees", "scope": "scope", "occurrence": "scope",
}

// formatAttendees writes a meeting's attendees for the attendees field,
// one a line, as parseAttendees reads them back: the address alone, or
// the name quoted before it. A name no address line can carry (control
// characters) is left out: saving the form then drops it.
func formatAttendees(as []booking.AttendeeView) string {
	var b strings.Builder
	for _, a := range as {
		line := a.Email
		if a.Name != "" {
			quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a.Name) + `" <` + a.Email + ">"
			if p, err := mail.ParseAddress(quoted); err == nil && p.Name == a.Name && p.Address == a.Email {
				line = quoted
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// sameAttendees reports whether the attendees typed are the meeting's, in
// the same order with the same names.
func sameAttendees(in []booking.AttendeeInput, have []booking.AttendeeView) bool {
	if len(in) != len(have) {
		return false
	}
	for i := range in {
		if !strings.EqualFold(strings.TrimSpace(in[i].Email), have[i].Email) || strings.TrimSpace(in[i].Name) != have[i].Name {
			return false
		}
	}
	return true
}

// editTarget loads the meeting as changeTarget does; of a series, from an
// occurrence, the scope offered first is "this and the following ones".
func (s *Server) editTarget(req *Request, occurrence string) (*changeData, error) {
	d, err := s.changeTarget(req, occurrence)
	if err != nil {
		return nil, err
	}
	if d.Occurrence != "" {
		d.Scope = booking.ScopeFollowing
	}
	return d, nil
}

func (s *Server) editForm(req *Request) error {
	d, err := s.editTarget(req, req.R.URL.Query().Get("occurrence"))
	if err != nil {
		return err
	}
	f := &Form{Values: url.Values{"subject": {d.V.Subject}, "description": {d.V.Description},
		"attendees": {formatAttendees(d.V.Attendees)}}, Errors: map[string]string{}}
	return req.Render(http.StatusOK, "organizer_edit", f, d)
}

// editSubmit sends the core the fields that changed; the core checks who
// may change the meeting and what.
func (s *Server) editSubmit(req *Request) error {
	f := formOf(req.R)
	d, err := s.editTarget(req, f.Value("occurrence"))
	if err != nil {
		return err
	}
	d.Scope = f.Value("scope")
	c := booking.Change{Scope: d.Scope, Occurrence: d.Occurrence}
	if sub := f.Value("subject"); strings.TrimSpace(sub) != d.V.Subject {
		c.Subject = &sub
	}
	// Browsers send a textarea's lines with CRLF.
	if desc := strings.ReplaceAll(f.Value("description"), "\r\n", "\n"); strings.TrimSpace(desc) != strings.ReplaceAll(d.V.Description, "\r\n", "\n") {
		c.Description = &desc
	}
	if in := parseAttendees(f.Value("attendees")); !sameAttendees(in, d.V.Attendees) {
		if in == nil {
			in = []booking.AttendeeInput{}
		}
		c.Attendees = &in
	}
	if c.Subject == nil && c.Description == nil && c.Attendees == nil {
		// Nothing to change: above all no series split for nothing.
		req.Redirect("/meetings/"+d.V.ID, "unchanged")
		return nil
	}
	v, err := s.opts.Booking.Reschedule(req.R.Context(), req.Session.Principal, d.V.ID, c)
	if err != nil {
		status, ok := req.takeFailureAs(f, err, fieldsOfEdit)
		if !ok {
			return err
		}
		return req.Render(status, "organizer_edit", f, d)
	}
	flash := "edited"
	if v.ID != d.V.ID {
		flash = "edited_following" // the series was split: v is the new one
	}
	req.Redirect("/meetings/"+v.ID, flash)
	return nil
}
