package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// FailurePolicy is what Convene does when it cannot know a calendar's busy
// time (a source that fails to sync, is not synced yet or no longer, an
// event that cannot be expanded): its user counts as busy for the whole
// window asked about, and the problem is stored and shown to the user and
// the account's admins (GET /api/v1/users/{email}/calendars, the
// availability answer, Busy's SourceProblems). It is never silently
// ignored (LESSONS.md: Cal.com #29896 double-booked by ignoring a broken
// connection, #23506 blocked every slot with no word why).
const FailurePolicy = "busy"

// SourceProblem is a calendar whose busy time Convene could not know for a
// query, and which the failure policy turned into busy time.
type SourceProblem struct {
	UserID     string `json:"-"`
	Email      string `json:"attendee"`
	CalendarID string `json:"calendar_id"`
	Kind       string `json:"kind"`
	// Host is the source's host name (its whole URL may hold a secret).
	Host    string    `json:"host,omitempty"`
	Problem string    `json:"problem"`
	Since   time.Time `json:"since"`
	// BusyFrom and BusyTo bound the time counted busy because of it.
	BusyFrom time.Time `json:"busy_from"`
	BusyTo   time.Time `json:"busy_to"`
}

// BusyQuery asks for the busy time of some users of one account.
type BusyQuery struct {
	AccountID string
	UserIDs   []string
	From, To  time.Time
	// IgnoreUIDs are events that do not count (the meeting being
	// rescheduled).
	IgnoreUIDs []string
}

// Busy returns each user's busy time in [from, to) from all their
// calendars (the built-in one and every synced source): recurring events
// expanded with their exceptions in the user's own time zone (floating and
// all-day events are read there), transparent, cancelled and declined
// events left out, and FailurePolicy applied to every source Convene
// cannot vouch for, which is listed in the SourceProblems. The map has an
// entry for every user asked about. An unknown user ID is an error that
// wraps store.ErrNotFound.
func (s *Service) Busy(ctx context.Context, accountID string, userIDs []string, from, to time.Time) (map[string]*availability.Busy, []SourceProblem, error) {
	return s.BusyFor(ctx, BusyQuery{AccountID: accountID, UserIDs: userIDs, From: from, To: to})
}

// BusyFor is Busy with every option.
func (s *Service) BusyFor(ctx context.Context, q BusyQuery) (map[string]*availability.Busy, []SourceProblem, error) {
	if !q.To.After(q.From) {
		return nil, nil, fmt.Errorf("calendar: busy: empty window %s to %s", q.From, q.To)
	}
	type person struct {
		u   *store.User
		loc *time.Location
		raw []availability.Interval
	}
	people := map[string]*person{}
	ids := slices.Compact(slices.Sorted(slices.Values(q.UserIDs)))
	for _, id := range ids {
		u, err := s.store.User(ctx, q.AccountID, id)
		if err != nil {
			return nil, nil, fmt.Errorf("calendar: busy: %w", err)
		}
		people[id] = &person{u: u, loc: userZone(u)}
	}
	cals, err := s.store.UserCalendars(ctx, q.AccountID, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("calendar: busy: %w", err)
	}
	now := s.now()
	var problems []SourceProblem
	owner := map[string]*person{}
	calIDs := make([]string, 0, len(cals))
	for i := range cals {
		c := &cals[i]
		p := people[c.UserID]
		owner[c.ID] = p
		calIDs = append(calIDs, c.ID)
		if why, since := s.untrusted(c, now); why != "" {
			p.raw = append(p.raw, availability.Interval{Start: q.From, End: q.To})
			problems = append(problems, SourceProblem{UserID: c.UserID, Email: p.u.Email, CalendarID: c.ID, Kind: c.Kind,
				Host: hostOf(c.URL), Problem: why, Since: since, BusyFrom: q.From, BusyTo: q.To})
		}
	}
	objs, err := s.store.BusyObjectsInRange(ctx, q.AccountID, calIDs, q.From, q.To, q.IgnoreUIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("calendar: busy: %w", err)
	}
	for _, o := range objs {
		p := owner[o.CalendarID]
		if o.Busy == store.BusyExact {
			p.raw = append(p.raw, availability.Interval{Start: o.Start, End: o.End})
			continue
		}
		ivs, err := s.expandBusy(o.ETag, o.Data, p.u.Email, p.loc, q.From, q.To)
		if err != nil {
			// The policy: what cannot be read counts as busy.
			p.raw = append(p.raw, availability.Interval{Start: q.From, End: q.To})
			problems = append(problems, SourceProblem{UserID: p.u.ID, Email: p.u.Email, CalendarID: o.CalendarID,
				Problem: fmt.Sprintf("event %s cannot be expanded: %v", o.UID, err), Since: o.Modified, BusyFrom: q.From, BusyTo: q.To})
			continue
		}
		p.raw = append(p.raw, ivs...)
	}
	out := make(map[string]*availability.Busy, len(people))
	for id, p := range people {
		out[id] = availability.NewBusy(p.raw)
	}
	return out, problems, nil
}

// untrusted says why Convene cannot vouch for a calendar's events now, and
// since when; "" for a built-in calendar and a source synced recently.
func (s *Service) untrusted(c *store.Calendar, now time.Time) (string, time.Time) {
	switch {
	case c.Kind == store.CalendarBuiltin:
		return "", time.Time{}
	case c.Problem != "":
		return c.Problem, c.ProblemSince
	case c.LastSync.IsZero():
		return "not synced yet", c.Created
	case now.Sub(c.LastSync) > s.opts.StaleAfter:
		return fmt.Sprintf("not synced since %s (the sync worker may be stopped)", c.LastSync.UTC().Format(time.RFC3339)), c.LastSync
	}
	return "", time.Time{}
}

// expandBusy returns the busy intervals in [from, to), for owner whose
// zone is loc, of the object with etag and data.
func (s *Service) expandBusy(etag string, data []byte, owner string, loc *time.Location, from, to time.Time) ([]availability.Interval, error) {
	cal, err := s.cache.parse(etag, data)
	if err != nil {
		return nil, err
	}
	insts, err := recur.ExpandCalendar(cal, from, to, recur.Options{Floating: loc})
	if err != nil && !errors.Is(err, recur.ErrCapped) {
		return nil, err
	}
	out := make([]availability.Interval, 0, len(insts))
	for _, in := range insts {
		if in.Transparent || in.Status == "CANCELLED" || declinedBy(in.Component, owner) {
			continue
		}
		out = append(out, availability.Interval{Start: in.Start, End: in.End})
	}
	if err != nil {
		// More instances than the cap in the window: a rule firing every
		// minute. What was expanded is busy, and so is the rest.
		if n := len(insts); n > 0 {
			out = append(out, availability.Interval{Start: insts[n-1].Start, End: to})
		}
	}
	return out, nil
}

// Parsed returns the parse of a stored object's data, shared through a
// cache keyed by its ETag: callers must not modify it.
func (s *Service) Parsed(etag string, data []byte) (*ical.Calendar, error) {
	return s.cache.parse(etag, data)
}

// hostOf returns the host of a URL, "" if it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
