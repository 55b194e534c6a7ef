package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Request is a meeting request as the API takes it (DESIGN.md §4).
type Request struct {
	Subject       string           `json:"subject"`
	Type          string           `json:"type"`
	StartTime     string           `json:"start_time"`
	Window        *Window          `json:"window"`
	TimeZone      string           `json:"timezone"`
	Duration      int              `json:"duration"`
	Recurrence    *RecurrenceInput `json:"recurrence"`
	Password      *string          `json:"password"`
	Description   string           `json:"description"`
	Attendees     []AttendeeInput  `json:"attendees"`
	VideoProvider string           `json:"video_provider"`
	Settings      json.RawMessage  `json:"settings"`
}

// Window is a span to search for a time in.
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// RecurrenceInput is a series' rule.
type RecurrenceInput struct {
	RRule string `json:"rrule"`
}

// AttendeeInput is an invitee.
type AttendeeInput struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Limits of a request.
const (
	MaxSubject     = 200  // Zoom's topic limit
	MaxDescription = 2000 // Zoom's agenda limit
	MinDuration    = 1
	MaxDuration    = 24 * 60
	MaxAttendees   = 300
	// maxSeries bounds the occurrences of a series Convene holds time for
	// when no provider limits it.
	maxSeries = 366
)

// plan is a validated request.
type plan struct {
	subject, description string
	typ                  string // scheduled, recurring, instant
	loc                  *time.Location
	start                time.Time // first occurrence
	duration             time.Duration
	rule                 *recur.Rule
	rrule                string
	occurrences          []time.Time // starts; one for a single meeting
	password             *string
	attendees            []AttendeeInput
	provider             string // "" or the ID of an app of the catalog
	settings             video.Settings
	window               *[2]time.Time
	// commit is the caller's writes, in the transaction that records
	// the meeting (CreateWith).
	commit Commit
}

// runCommit runs the plan's commit, if any, in tx.
func (p *plan) runCommit(ctx context.Context, tx *store.DB, m *store.Meeting) error {
	if p.commit == nil {
		return nil
	}
	return p.commit(ctx, tx, m)
}

// validate checks a request and resolves its times. provider is the video
// provider already resolved from the request and the user's and account's
// defaults, app its entry in the catalog (whose Rules the request must
// keep; zero for none). now is the service's clock.
func validate(in Request, provider string, app video.App, defaultDuration int, organizerEmail string, now time.Time) (*plan, error) {
	var fs failure.Fields
	p := &plan{provider: provider}
	p.subject = strings.TrimSpace(in.Subject)
	if p.subject == "" || len([]rune(p.subject)) > MaxSubject {
		fs.Add("subject", "give a subject of 1 to %d characters", MaxSubject)
	}
	p.description = strings.TrimSpace(in.Description)
	if len([]rune(p.description)) > MaxDescription {
		fs.Add("description", "use at most %d characters (Zoom's limit)", MaxDescription)
	}
	p.typ = in.Type
	if p.typ == "" {
		p.typ = "scheduled"
		if in.Recurrence != nil {
			p.typ = "recurring"
		}
	}
	switch p.typ {
	case "scheduled", "instant":
		if in.Recurrence != nil {
			fs.Add("recurrence", "a %s meeting has no recurrence; use type recurring", p.typ)
		}
	case "recurring":
		if in.Recurrence == nil || strings.TrimSpace(in.Recurrence.RRule) == "" {
			fs.Add("recurrence", "a recurring meeting needs recurrence.rrule, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10")
		}
	default:
		fs.Add("type", "%q is not scheduled, recurring or instant", in.Type)
	}
	tz := in.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := recur.IANA(tz)
	if err != nil || tz == "Local" {
		fs.Add("timezone", "%q is not an IANA time zone such as Europe/Paris", in.TimeZone)
		loc = time.UTC
	}
	p.loc = loc
	minutes := in.Duration
	if minutes == 0 {
		minutes = defaultDuration
	}
	if minutes < MinDuration || minutes > MaxDuration {
		fs.Add("duration", "%d minutes is out of bounds: use %d to %d", in.Duration, MinDuration, MaxDuration)
	}
	p.duration = time.Duration(minutes) * time.Minute

	// Start: a time, a window to search, or now.
	switch {
	case p.typ == "instant":
		if in.StartTime != "" || in.Window != nil {
			fs.Add("start_time", "an instant meeting starts now: send no start_time or window")
		}
		p.start = now.Truncate(time.Second)
	case in.StartTime != "" && in.Window != nil:
		fs.Add("start_time", "send start_time or window, not both")
	case in.StartTime != "":
		start, err := ParseStart("start_time", in.StartTime, loc)
		if err != nil {
			return nil, err // carries the instants of a DST gap or overlap
		}
		p.start = start
		if !start.After(now.Add(-5 * time.Minute)) {
			fs.Add("start_time", "%s is in the past", start.Format(time.RFC3339))
		}
	case in.Window != nil:
		from, err1 := ParseStart("window.from", in.Window.From, loc)
		to, err2 := ParseStart("window.to", in.Window.To, loc)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if !to.After(from) {
			fs.Add("window", "window.to must be after window.from")
		}
		p.window = &[2]time.Time{from, to}
	default:
		fs.Add("start_time", "send start_time (2026-03-05T14:00 in timezone) or window {from, to}")
	}

	if in.Password != nil {
		pw := *in.Password
		msg := ""
		if app.Rules.Password != nil {
			msg = app.Rules.Password(pw)
		}
		switch {
		case msg != "":
			fs.Add("password", "%s", msg)
		case len(pw) > 64:
			fs.Add("password", "use at most 64 characters")
		}
		p.password = &pw
	}
	if len(in.Settings) > 0 && string(in.Settings) != "null" {
		if !app.Rules.Settings {
			fs.Add("settings", "the video provider here is %q, which takes no meeting settings", providerName(provider))
		} else if err := json.Unmarshal(in.Settings, &p.settings); err != nil {
			fs.Add("settings", "not %s's settings object: %v", app.Name, err)
		}
	}

	p.attendees = normalizeAttendees(in.Attendees, organizerEmail, &fs)

	if p.typ == "recurring" && in.Recurrence != nil && strings.TrimSpace(in.Recurrence.RRule) != "" {
		raw := strings.TrimPrefix(strings.TrimSpace(in.Recurrence.RRule), "RRULE:")
		r, err := recur.ParseRule(raw)
		if err != nil {
			fs.Add("recurrence.rrule", "%v", err)
		} else {
			p.rule, p.rrule = &r, r.String()
			if app.Rules.Recurrence != nil && !p.start.IsZero() {
				if _, err := app.Rules.Recurrence(r, p.start.In(loc)); err != nil {
					fs.Add("recurrence.rrule", "%v", err)
				}
			}
		}
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	if p.window == nil {
		if err := p.expand(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// normalizeAttendees returns the attendees as bare lower-case addresses,
// without duplicates or the organizer, and adds what is wrong to fs.
func normalizeAttendees(in []AttendeeInput, organizerEmail string, fs *failure.Fields) []AttendeeInput {
	seen := map[string]bool{organizerEmail: true}
	if len(in) > MaxAttendees {
		fs.Add("attendees", "at most %d attendees", MaxAttendees)
	}
	var out []AttendeeInput
	for i, a := range in {
		email, err := account.NormalizeEmail(a.Email)
		if err != nil {
			fs.Add(fmt.Sprintf("attendees[%d].email", i), "%v", err)
			continue
		}
		if seen[email] {
			continue
		}
		seen[email] = true
		name := strings.TrimSpace(a.Name)
		if len(name) > 200 || strings.ContainsAny(name, "\r\n") {
			fs.Add(fmt.Sprintf("attendees[%d].name", i), "use one line of at most 200 characters")
		}
		out = append(out, AttendeeInput{Email: email, Name: name})
	}
	return out
}

// expand computes the occurrences of the plan from its start.
func (p *plan) expand() error {
	if p.rule == nil {
		p.occurrences = []time.Time{p.start}
		return nil
	}
	limit := maxSeries
	if p.rule.Count > 0 && p.rule.Count < limit {
		limit = p.rule.Count
	}
	start := p.start.In(p.loc)
	occ, err := p.rule.Between(start, start, start.AddDate(10, 0, 0), limit)
	if err != nil && len(occ) == 0 {
		return failure.Field("recurrence.rrule", "cannot expand the rule: %v", err)
	}
	if len(occ) == 0 {
		return failure.Field("recurrence.rrule", "the rule has no occurrence on or after %s", start.Format(time.RFC3339))
	}
	// RFC 5545 counts DTSTART as the first instance even when the rule
	// does not produce it; a provider (Zoom) starts at the first date the
	// rule produces. To keep both the same, the start must be one.
	if !occ[0].Equal(start) {
		return failure.Field("start_time", "%s is not an occurrence of %s; the first one after it is %s: start the series there",
			start.Format(time.RFC3339), p.rrule, occ[0].Format(time.RFC3339)).
			With("first_occurrence", occ[0].Format(time.RFC3339))
	}
	p.occurrences = occ
	return nil
}

func providerName(p string) string {
	if p == "" {
		return "none"
	}
	return p
}
