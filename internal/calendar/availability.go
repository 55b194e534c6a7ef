package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/redact"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Bounds of an availability request.
const (
	MaxAttendees      = 50
	MaxAvailability   = 92 * 24 * time.Hour // the widest window searched
	MaxAvailableSlots = 50
)

// AvailabilityRequest asks when some users of the caller's account can
// meet (GET /api/v1/availability).
type AvailabilityRequest struct {
	// Attendees are addresses of users of the account, the first one
	// counting as the organizer (slots align to their clock, their
	// preferred times count in the balanced ranking).
	Attendees []string
	Duration  time.Duration
	From, To  time.Time
	// Location is where the answer's times are written.
	Location *time.Location
	Ranking  availability.Ranking
	Limit    int
	// Granularity spaces the slots' starts (availability.Query's); zero
	// means availability.DefaultGranularity.
	Granularity time.Duration
	// Propose, when above zero, asks for that many well-spread options
	// (different days, then half-days) to offer guests instead of the
	// best slots; they come in time order.
	Propose int
}

// Slot is a time that suits every attendee.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Score float64   `json:"score"`
}

// AvailabilityResult is the answer: the best slots first, and the
// calendars Convene could not vouch for (counted busy by FailurePolicy).
type AvailabilityResult struct {
	Slots    []Slot            `json:"slots"`
	TimeZone string            `json:"timezone"`
	Problems []AttendeeProblem `json:"problems"`
}

// AttendeeProblem is an attendee whose availability is uncertain, as the
// caller may see it: the calendar's owner and the account's admins see
// which calendar failed and why (URLs redacted); anyone else sees only
// that the attendee counts as busy, and when.
type AttendeeProblem struct {
	Email      string    `json:"attendee"`
	CalendarID string    `json:"calendar_id,omitempty"`
	Kind       string    `json:"kind,omitempty"`
	Host       string    `json:"host,omitempty"`
	App        string    `json:"app,omitempty"`
	Problem    string    `json:"problem"`
	Since      time.Time `json:"since,omitzero"`
	BusyFrom   time.Time `json:"busy_from"`
	BusyTo     time.Time `json:"busy_to"`
}

// uncertain is what a problem says to those who may not see its source.
const uncertain = "Convene cannot read all of this attendee's calendars now, so they count as busy in this time"

// problemsFor returns the problems as p may see them.
func problemsFor(p account.Principal, problems []SourceProblem) []AttendeeProblem {
	out := []AttendeeProblem{}
	vague := map[string]int{} // attendee → index in out
	for _, sp := range problems {
		if sp.UserID == p.UserID || p.IsAdmin() {
			out = append(out, AttendeeProblem{Email: sp.Email, CalendarID: sp.CalendarID, Kind: sp.Kind, Host: sp.Host, App: sp.App,
				Problem: redact.Text(sp.Problem), Since: sp.Since, BusyFrom: sp.BusyFrom, BusyTo: sp.BusyTo})
			continue
		}
		if i, ok := vague[sp.Email]; ok {
			out[i].BusyFrom, out[i].BusyTo = minTime(out[i].BusyFrom, sp.BusyFrom), maxTime(out[i].BusyTo, sp.BusyTo)
			continue
		}
		vague[sp.Email] = len(out)
		out = append(out, AttendeeProblem{Email: sp.Email, Problem: uncertain, BusyFrom: sp.BusyFrom, BusyTo: sp.BusyTo})
	}
	return out
}

// Availability searches the slots at which every attendee is free: busy
// time from all their calendars (Busy), inside their working hours in
// their own time zones, with their buffers and minimum notice. Attendees
// must be users of the caller's account: the calendars of anyone else are
// unknown to Convene, and an address that is not a user is refused by
// name.
func (s *Service) Availability(ctx context.Context, p account.Principal, req AvailabilityRequest) (*AvailabilityResult, error) {
	var fs failure.Fields
	var emails []string
	for _, a := range req.Attendees {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		e, err := account.NormalizeEmail(a)
		if err != nil {
			fs.Add("attendees", "%v", err)
			continue
		}
		if !slices.Contains(emails, e) {
			emails = append(emails, e)
		}
	}
	switch {
	case len(emails) == 0 && len(fs) == 0:
		fs.Add("attendees", "give at least one attendee address, separated by commas")
	case len(emails) > MaxAttendees:
		fs.Add("attendees", "at most %d attendees", MaxAttendees)
	}
	if req.Duration < time.Minute || req.Duration > 24*time.Hour {
		fs.Add("duration", "give a duration of 1 to 1440 minutes")
	}
	if !req.To.After(req.From) {
		fs.Add("to", "to must be after from")
	} else if req.To.Sub(req.From) > MaxAvailability {
		fs.Add("to", "the window may span at most %d days", int(MaxAvailability.Hours()/24))
	}
	if req.Limit < 0 || req.Limit > MaxAvailableSlots {
		fs.Add("limit", "give a limit of 1 to %d", MaxAvailableSlots)
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	var users []*store.User
	var unknown []string
	for _, e := range emails {
		u, err := s.store.UserByEmail(ctx, p.AccountID, e)
		if errors.Is(err, store.ErrNotFound) {
			unknown = append(unknown, e)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("calendar: availability: %w", err)
		}
		users = append(users, u)
	}
	if len(unknown) > 0 {
		return nil, failure.Field("attendees", "%s %s not a user of this account: Convene knows the calendars of its users only and cannot check external addresses; leave them out here, and propose times to them by e-mail (POST /api/v1/meetings with a window)",
			strings.Join(unknown, ", "), map[bool]string{true: "is", false: "are"}[len(unknown) == 1]).With("unknown_attendees", unknown)
	}
	// Busy time must cover the buffers around the window's slots.
	var maxBuf time.Duration
	people := make([]*availability.Person, 0, len(users))
	ids := make([]string, 0, len(users))
	appHours, err := s.appWorkingHours(ctx, p.AccountID, users)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		hours, err := availability.ParseWorkingHours(u.WorkingHours)
		if err != nil {
			return nil, fmt.Errorf("calendar: availability: working hours of %s: %w", u.Email, err)
		}
		loc := userZone(u)
		if ah, ok := appHours[u.ID]; ok && reflect.DeepEqual(hours, availability.DefaultWorkingHours()) {
			hours, loc = ah.hours, ah.loc
		}
		person := &availability.Person{ID: u.Email, Location: loc, Hours: hours,
			BufferBefore: time.Duration(u.BufferBefore) * time.Minute, BufferAfter: time.Duration(u.BufferAfter) * time.Minute,
			MinNotice: time.Duration(u.MinNotice) * time.Minute}
		maxBuf = max(maxBuf, person.BufferBefore, person.BufferAfter)
		people = append(people, person)
		ids = append(ids, u.ID)
	}
	busy, problems, err := s.Busy(ctx, p.AccountID, ids, req.From.Add(-maxBuf), req.To.Add(maxBuf))
	if err != nil {
		return nil, err
	}
	// The meetings each attendee organizes are busy from the moment they
	// are booked (their holds), not only once their calendar events are
	// written, which happens later, after the video meeting exists.
	holds, err := s.store.OrganizerHolds(ctx, p.AccountID, ids, req.From.Add(-maxBuf), req.To.Add(maxBuf))
	if err != nil {
		return nil, fmt.Errorf("calendar: availability: %w", err)
	}
	held := map[string][]availability.Interval{}
	for _, h := range holds {
		held[h.OrganizerID] = append(held[h.OrganizerID], availability.Interval{Start: h.Start, End: h.End})
	}
	for i, u := range users {
		people[i].Busy = busy[u.ID]
		if len(held[u.ID]) > 0 {
			people[i].Busy = availability.NewBusy(held[u.ID]).Union(people[i].Busy)
		}
	}
	loc := req.Location
	if loc == nil {
		loc = time.UTC
	}
	q := availability.Query{People: people, Duration: req.Duration, From: req.From, To: req.To,
		Now: s.now(), Limit: req.Limit, Ranking: req.Ranking, Granularity: req.Granularity}
	var slots []availability.Slot
	if req.Propose > 0 {
		slots, err = availability.Propose(q, req.Propose)
	} else {
		slots, err = availability.Search(q)
	}
	if err != nil {
		if errors.Is(err, availability.ErrInvalidQuery) {
			return nil, failure.New(failure.Invalid, "%v", err)
		}
		return nil, fmt.Errorf("calendar: availability: %w", err)
	}
	out := &AvailabilityResult{Slots: make([]Slot, 0, len(slots)), TimeZone: loc.String(), Problems: problemsFor(p, problems)}
	for _, sl := range slots {
		out.Slots = append(out.Slots, Slot{Start: sl.Start.In(loc), End: sl.End.In(loc), Score: sl.Score})
	}
	return out, nil
}

// appHours are a user's working hours as an app keeps them.
type appHours struct {
	hours availability.WorkingHours
	loc   *time.Location
}

// appWorkingHours returns, for the users whose app calendar's last full
// sync read working hours from the provider (Graph's mailboxSettings),
// those hours and their time zone. Availability uses them for a user who
// has not set their own: whose hours are Convene's default (DESIGN §4,
// Monday to Friday 09:00-17:00), which is what a user who never chose
// has. Hours the provider gives in a zone Convene does not know, or with
// no working day, are not used.
func (s *Service) appWorkingHours(ctx context.Context, accountID string, users []*store.User) (map[string]appHours, error) {
	if s.opts.Apps == nil || len(users) == 0 {
		return nil, nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	cals, err := s.store.UserCalendars(ctx, accountID, ids)
	if err != nil {
		return nil, fmt.Errorf("calendar: availability: %w", err)
	}
	out := map[string]appHours{}
	for _, c := range cals {
		if c.Kind != store.CalendarApp || len(c.RemoteState) == 0 {
			continue
		}
		var st remoteState
		if json.Unmarshal(c.RemoteState, &st) != nil || st.App == nil || st.App.WorkingHours == nil {
			continue
		}
		if ah, ok := providerHours(st.App.WorkingHours); ok {
			if _, seen := out[c.UserID]; !seen {
				out[c.UserID] = ah
			}
		}
	}
	return out, nil
}

// providerHours turns a provider's working hours into Convene's.
func providerHours(wh *video.WorkingHours) (appHours, bool) {
	loc, err := recur.LoadLocation(wh.TimeZone)
	if err != nil || len(wh.Days) == 0 {
		return appHours{}, false
	}
	days := map[string][][2]string{}
	for _, d := range wh.Days {
		if d < time.Sunday || d > time.Saturday {
			return appHours{}, false
		}
		days[strings.ToLower(d.String()[:3])] = [][2]string{{wh.Start, wh.End}}
	}
	data, err := json.Marshal(days)
	if err != nil {
		return appHours{}, false
	}
	hours, err := availability.ParseWorkingHours(data)
	if err != nil {
		return appHours{}, false
	}
	return appHours{hours: hours, loc: loc}, true
}
