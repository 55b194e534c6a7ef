package availability

import (
	"fmt"
	"time"
)

// Reason says why a start time does not suit an attendee.
type Reason int

// Reasons of a Conflict.
const (
	// ReasonWindow: the meeting does not lie inside [From, To).
	ReasonWindow Reason = iota + 1
	// ReasonNotice: the meeting starts before Now plus the person's minimum notice.
	ReasonNotice
	// ReasonHours: the meeting is not inside the person's working hours.
	ReasonHours
	// ReasonBusy: the meeting or its buffers overlap the person's busy time.
	ReasonBusy
)

// String returns a short English description.
func (r Reason) String() string {
	switch r {
	case ReasonWindow:
		return "outside the search window"
	case ReasonNotice:
		return "less than the minimum notice from now"
	case ReasonHours:
		return "outside working hours"
	case ReasonBusy:
		return "busy"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Conflict is one reason why a start time does not suit one attendee.
type Conflict struct {
	// Person is the index in Query.People, or -1 for ReasonWindow.
	Person int
	// ID is that person's ID.
	ID     string
	Reason Reason
}

// String says who and why, for logs and messages to the organizer.
func (c Conflict) String() string {
	if c.Person < 0 {
		return c.Reason.String()
	}
	return fmt.Sprintf("%s: %s", c.ID, c.Reason)
}

// Check tells whether a meeting of q.Duration starting at start suits every
// attendee by the rules of Search, and if not, why, for each attendee (an
// empty result means it suits everyone). Unlike Search it does not require
// start to be on the granularity grid: organizers may ask for 10:05. It is
// what the booking code runs before holding a time chosen by a person.
func Check(q Query, start time.Time) ([]Conflict, error) {
	if _, _, err := q.validate(); err != nil {
		return nil, err
	}
	s := ceilSeconds(start)
	d := int64(q.Duration / time.Second)
	e := s + d
	var out []Conflict
	if s < ceilSeconds(q.From) || e > floorDiv(q.To.UnixNano(), 1e9) {
		out = append(out, Conflict{-1, "", ReasonWindow})
	}
	for i, p := range q.People {
		if start.Before(q.Now.Add(p.MinNotice)) {
			out = append(out, Conflict{i, p.ID, ReasonNotice})
		}
		week := &p.Hours.Days
		if p.Hours.IsZero() {
			week = &defaultHours.Days
		}
		over, days, err := overrideDays(p.Overrides, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: attendee %d (%s): %w", ErrInvalidQuery, i+1, p.name(), err)
		}
		var g hoursGen
		g.init(newZoneCache(p.Location), week, over, days, s, e)
		inside := false
		for {
			w, ok := g.next()
			if !ok || w.s > s {
				break
			}
			if w.e >= e {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, Conflict{i, p.ID, ReasonHours})
		}
		if p.Busy != nil && p.Busy.overlaps(s-int64(p.BufferBefore/time.Second), e+int64(p.BufferAfter/time.Second)) {
			out = append(out, Conflict{i, p.ID, ReasonBusy})
		}
	}
	return out, nil
}
