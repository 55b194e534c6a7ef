package invite

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/convene/convene/internal/recur"
)

// Method is an iTIP method (RFC 5546 §1.4), written both as the iCalendar
// METHOD property and as the method parameter of the text/calendar MIME type
// (RFC 6047 §2.4), which must be equal.
type Method string

// The iTIP methods Convene sends (REQUEST, CANCEL) and reads (REPLY).
const (
	MethodRequest Method = "REQUEST"
	MethodCancel  Method = "CANCEL"
	MethodReply   Method = "REPLY"
)

// PartStat is an attendee's participation status (RFC 5545 §3.2.12).
type PartStat string

// The participation statuses of a VEVENT attendee.
const (
	PartStatNeedsAction PartStat = "NEEDS-ACTION"
	PartStatAccepted    PartStat = "ACCEPTED"
	PartStatDeclined    PartStat = "DECLINED"
	PartStatTentative   PartStat = "TENTATIVE"
	PartStatDelegated   PartStat = "DELEGATED"
)

// Role is an attendee's role (RFC 5545 §3.2.16).
type Role string

// The attendee roles of RFC 5545.
const (
	RoleChair          Role = "CHAIR"
	RoleRequired       Role = "REQ-PARTICIPANT"
	RoleOptional       Role = "OPT-PARTICIPANT"
	RoleNonParticipant Role = "NON-PARTICIPANT"
)

// CUType is the kind of calendar user an attendee is (RFC 5545 §3.2.3).
type CUType string

// The calendar user types of RFC 5545.
const (
	CUTypeIndividual CUType = "INDIVIDUAL"
	CUTypeGroup      CUType = "GROUP"
	CUTypeResource   CUType = "RESOURCE"
	CUTypeRoom       CUType = "ROOM"
	CUTypeUnknown    CUType = "UNKNOWN"
)

// Person is a name and an e-mail address.
type Person struct {
	Name  string
	Email string
}

// Attendee is one ATTENDEE of a meeting (RFC 5545 §3.8.4.1). Zero fields take
// the defaults of an invited person: REQ-PARTICIPANT, NEEDS-ACTION,
// INDIVIDUAL, RSVP=TRUE.
type Attendee struct {
	Person
	Role     Role
	PartStat PartStat
	CUType   CUType
	// NoRSVP writes RSVP=FALSE, for the organizer listed among the
	// attendees or a room; everyone else is asked to answer (Outlook shows
	// no Accept/Decline buttons without RSVP=TRUE).
	NoRSVP bool
}

// Video is the video meeting attached to a meeting, as its provider reported
// it. Only JoinURL is required; the other fields are shown when present
// (paid Zoom accounts may have no passcode: shared/LESSONS.md, Lost links).
type Video struct {
	// Provider is the display name ("Zoom", "Jitsi").
	Provider string
	// JoinURL is the attendees' link: LOCATION, CONFERENCE and the mail.
	JoinURL   string
	MeetingID string
	Passcode  string
	// Invitation is the provider's own invitation text (Zoom's is CRLF
	// separated), with dial-in numbers; it is appended to DESCRIPTION.
	Invitation string
}

// Recurrence makes a meeting a series (RFC 5545 §3.8.5). Dates are instants;
// they are written in the meeting's time zone.
type Recurrence struct {
	// RRule is the value of the RRULE property ("FREQ=WEEKLY;BYDAY=TU").
	// A floating or date UNTIL is rewritten as the UTC instant RFC 5545
	// §3.3.10 requires when DTSTART has a TZID.
	RRule string
	// RDates are added occurrences (their starts).
	RDates []time.Time
	// ExDates are the original starts of removed occurrences.
	ExDates []time.Time
}

// Occurrence narrows a message to one occurrence of a series, named by its
// original start (RECURRENCE-ID, RFC 5545 §3.8.4.4), or to that occurrence
// and every later one (RANGE=THISANDFUTURE).
//
// Calendar clients support THISANDFUTURE unevenly (Google and Outlook ignore
// it); the usual alternative, which this package supports as well, is to end
// the series with UNTIL in a REQUEST for its UID and to start a new series
// under a new UID.
type Occurrence struct {
	RecurrenceID  time.Time
	ThisAndFuture bool
}

// Override is a moved occurrence of a series, sent with the series in one
// REQUEST as a second VEVENT with the same UID and its RECURRENCE-ID.
type Override struct {
	RecurrenceID time.Time
	Start, End   time.Time
}

// Meeting is the provider-neutral description of a meeting that invitations
// are built from.
type Meeting struct {
	// UID is stable for the life of the meeting (series): every REQUEST
	// and CANCEL about it carries it (RFC 5545 §3.8.4.7).
	UID string
	// Sequence is raised by the caller on every change that is sent
	// (RFC 5545 §3.8.7.4, RFC 5546 §2.1.4); a CANCEL needs a higher
	// sequence than the last REQUEST.
	Sequence    int
	Summary     string
	Description string
	// Start and End are instants; TimeZone is the organizer's IANA zone,
	// the one DTSTART, DTEND and the recurrence are written in.
	Start, End time.Time
	TimeZone   string
	Recurrence *Recurrence
	// Overrides are moved occurrences sent along with a series.
	Overrides []Override
	// Occurrence, when set, makes the message about that occurrence only
	// (or it and the following ones); Start and End are then its new times.
	Occurrence *Occurrence
	// URL is the meeting's page (RFC 5545 §3.8.4.6).
	URL string
	// Location is a place, used as LOCATION when there is no video meeting.
	Location  string
	Organizer Person
	Attendees []Attendee
	Video     *Video
}

// Error is the error of an invalid Meeting or request: Field names what is
// wrong, in the terms of this package's API.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return "invite: " + e.Field + ": " + e.Reason }

// ErrLostJoinURL is wrapped by the error of an update whose previous version
// had a join URL and whose new version has none: the booking core must
// re-read the meeting from its provider instead of sending an invitation
// without its link (shared/LESSONS.md, Lost links).
var ErrLostJoinURL = errors.New("invite: update has no join URL but the meeting had one")

func invalid(field, format string, args ...any) error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// maxAttendees bounds the attendees of one meeting; a larger list is a bug
// upstream, not an invitation.
const maxAttendees = 500

// validate checks what every method needs and returns the location.
func (m *Meeting) validate(method Method) (*time.Location, error) {
	if m == nil {
		return nil, invalid("meeting", "missing")
	}
	if strings.TrimSpace(m.UID) == "" {
		return nil, invalid("uid", "empty")
	}
	if strings.ContainsAny(m.UID, "\r\n") {
		return nil, invalid("uid", "contains a line break")
	}
	if m.Sequence < 0 {
		return nil, invalid("sequence", "negative (%d)", m.Sequence)
	}
	if m.Start.IsZero() || m.End.IsZero() {
		return nil, invalid("start", "start and end are required")
	}
	if !m.End.After(m.Start) {
		return nil, invalid("end", "%s is not after the start %s", m.End.UTC().Format(time.RFC3339), m.Start.UTC().Format(time.RFC3339))
	}
	loc, err := loadZone(m.TimeZone)
	if err != nil {
		return nil, invalid("time_zone", "%v", err)
	}
	if _, err := mailbox(m.Organizer.Email); err != nil {
		return nil, invalid("organizer", "%v", err)
	}
	if len(m.Attendees) == 0 {
		// RFC 5546 §3.2.2: a REQUEST has at least one ATTENDEE; so has a
		// CANCEL (the attendees it is sent to).
		return nil, invalid("attendees", "%s needs at least one attendee", method)
	}
	if len(m.Attendees) > maxAttendees {
		return nil, invalid("attendees", "%d attendees, at most %d", len(m.Attendees), maxAttendees)
	}
	seen := map[string]bool{}
	for i, a := range m.Attendees {
		addr, err := mailbox(a.Email)
		if err != nil {
			return nil, invalid(fmt.Sprintf("attendees[%d]", i), "%v", err)
		}
		if seen[strings.ToLower(addr)] {
			return nil, invalid(fmt.Sprintf("attendees[%d]", i), "%s is listed twice", addr)
		}
		seen[strings.ToLower(addr)] = true
		if a.PartStat != "" && !validPartStat(a.PartStat) {
			return nil, invalid(fmt.Sprintf("attendees[%d]", i), "unknown PARTSTAT %q", a.PartStat)
		}
	}
	if m.Video != nil && m.Video.JoinURL != "" {
		if err := checkURL(m.Video.JoinURL); err != nil {
			return nil, invalid("video.join_url", "%v", err)
		}
	}
	if m.URL != "" {
		if err := checkURL(m.URL); err != nil {
			return nil, invalid("url", "%v", err)
		}
	}
	if m.Occurrence != nil {
		if m.Recurrence == nil {
			return nil, invalid("occurrence", "the meeting is not a series")
		}
		if m.Occurrence.RecurrenceID.IsZero() {
			return nil, invalid("occurrence", "no recurrence id")
		}
	}
	if len(m.Overrides) > 0 && m.Recurrence == nil {
		return nil, invalid("overrides", "the meeting is not a series")
	}
	for i, o := range m.Overrides {
		if o.RecurrenceID.IsZero() || !o.End.After(o.Start) {
			return nil, invalid(fmt.Sprintf("overrides[%d]", i), "needs a recurrence id and an end after its start")
		}
	}
	return loc, nil
}

// mailbox checks an e-mail address and returns it without a display name.
func mailbox(s string) (string, error) {
	if s == "" {
		return "", errors.New("no e-mail address")
	}
	if strings.ContainsAny(s, "\r\n<>\" ") {
		return "", fmt.Errorf("invalid e-mail address %q", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("invalid e-mail address %q: %w", s, err)
	}
	return a.Address, nil
}

func checkURL(s string) error {
	// No space, control character, quote or angle bracket anywhere: mail
	// clients and browsers drop some of them inside a scheme
	// ("java\tscript:"), and the others would end an attribute.
	if strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("\"'<>\\`", r)
	}) >= 0 {
		return fmt.Errorf("invalid URL %q", s)
	}
	// The scheme in lower case, as written: "HTTPS://" is refused rather
	// than folded, since nothing needs it.
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return fmt.Errorf("URL %q is not http or https", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", s, err)
	}
	if u.Host == "" {
		return fmt.Errorf("URL %q has no host", s)
	}
	return nil
}

func validPartStat(p PartStat) bool {
	switch p {
	case PartStatNeedsAction, PartStatAccepted, PartStatDeclined, PartStatTentative, PartStatDelegated:
		return true
	}
	return false
}

// loadZone resolves the organizer's IANA zone. UTC is allowed and written
// with the "Z" form, without VTIMEZONE. Local is refused: it would depend on
// the machine Convene runs on.
func loadZone(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errors.New("no time zone")
	case "Local":
		return nil, errors.New(`time zone "Local" depends on the server`)
	case "UTC", "Etc/UTC", "Z":
		return time.UTC, nil
	}
	loc, err := recur.IANA(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}
