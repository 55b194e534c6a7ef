package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
)

// FindRequest asks when a meeting could be, before it is booked: the
// "find a time" of the web form.
type FindRequest struct {
	Attendees []AttendeeInput
	// Duration in minutes; 0: the organizer's default.
	Duration int
	From, To time.Time
	// Location writes the answer's times.
	Location *time.Location
	Limit    int
}

// FindResult is when a meeting could be.
type FindResult struct {
	Slots []calendar.Slot
	// Internal are the attendees whose calendars count (the organizer
	// first); External those Convene cannot read, to whom a booking with
	// a window proposes Proposals options instead.
	Internal, External []string
	// Proposal: with external guests, Slots are the well-spread options a
	// proposal would offer, not the best slots.
	Proposal bool
	Duration int
	Problems []calendar.AttendeeProblem
}

// FindTimes searches the times at which the organizer and the internal
// attendees are free, the way Create with a window does: with external
// guests, the options a proposal would offer them; otherwise the best
// slots, any of which Create with that start_time books.
func (s *Service) FindTimes(ctx context.Context, p account.Principal, in FindRequest) (*FindResult, error) {
	if s.Calendars == nil {
		return nil, failure.New(failure.Invalid, "this Convene cannot read calendars")
	}
	organizer, err := s.Store.User(ctx, p.AccountID, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("booking: organizer: %w", err)
	}
	var fs failure.Fields
	attendees := normalizeAttendees(in.Attendees, organizer.Email, &fs)
	if err := fs.Err(); err != nil {
		return nil, err
	}
	d := in.Duration
	if d == 0 {
		d = organizer.DefaultDuration
	}
	users, err := attendeeUsers(ctx, s.Store, p.AccountID, attendees)
	if err != nil {
		return nil, err
	}
	res := &FindResult{Internal: []string{organizer.Email}, Duration: d}
	for _, a := range attendees {
		if users[a.Email] != "" {
			res.Internal = append(res.Internal, a.Email)
		} else {
			res.External = append(res.External, a.Email)
		}
	}
	limit := in.Limit
	if limit == 0 {
		limit = 10
	}
	req := calendar.AvailabilityRequest{Attendees: res.Internal, Duration: time.Duration(d) * time.Minute, From: in.From, To: in.To,
		Location: in.Location, Ranking: availability.Earliest, Limit: limit, Granularity: granularityFor(d)}
	if len(res.External) > 0 {
		req.Propose, res.Proposal = Proposals, true
	}
	ar, err := s.Calendars.Availability(ctx, p, req)
	if err != nil {
		return nil, err
	}
	res.Slots, res.Problems = ar.Slots, ar.Problems
	return res, nil
}
