package calendar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
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
	Host string `json:"host,omitempty"`
	// App is the app of an app calendar.
	App     string    `json:"app,omitempty"`
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
	// Budget bounds the recurrence expansion of the query; nil: a budget
	// of Limits.BusyInstances and Limits.BusySteps bound to the query's
	// context.
	Budget *recur.Budget
}

// ErrTooDense is wrapped by the failure of a busy-time query whose
// calendars hold more event instances in its window than one query may
// expand (Limits.BusyInstances), or take more work to expand
// (Limits.BusySteps). The failure is Invalid (HTTP 422) and names the
// attendees whose calendars are the densest.
var ErrTooDense = errors.New("calendar: too many event instances in the window")

// Busy returns each user's busy time in [from, to) from all their
// calendars (the built-in one and every synced source): recurring events
// expanded with their exceptions in the user's own time zone (floating and
// all-day events are read there), transparent, cancelled and declined
// events left out, and FailurePolicy applied to every source Convene
// cannot vouch for, which is listed in the SourceProblems. The map has an
// entry for every user asked about. An unknown user ID is an error that
// wraps store.ErrNotFound.
//
// The work is bounded: instances are only expanded near the window, at
// most Limits.EventInstances per event (the rest of the window then counts
// as busy, and the event is listed in the problems), and all of the
// query's expansions share one budget (BusyQuery.Budget) bound to ctx:
// past it the query fails with ErrTooDense, and once ctx ends it stops
// with ctx's error.
func (s *Service) Busy(ctx context.Context, accountID string, userIDs []string, from, to time.Time) (map[string]*availability.Busy, []SourceProblem, error) {
	return s.BusyFor(ctx, BusyQuery{AccountID: accountID, UserIDs: userIDs, From: from, To: to})
}

// BusyFor is Busy with every option.
func (s *Service) BusyFor(ctx context.Context, q BusyQuery) (map[string]*availability.Busy, []SourceProblem, error) {
	if !q.To.After(q.From) {
		return nil, nil, fmt.Errorf("calendar: busy: empty window %s to %s", q.From, q.To)
	}
	budget := q.Budget
	if budget == nil {
		budget = recur.NewBudget(ctx, s.opts.Limits.BusyInstances, s.opts.Limits.BusySteps)
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
	// App calendars not synced yet are asked of their app instead.
	unsynced := map[string][]*store.Calendar{}
	for i := range cals {
		c := &cals[i]
		p := people[c.UserID]
		owner[c.ID] = p
		if c.Kind == store.CalendarApp && c.LastSync.IsZero() && s.opts.Apps != nil {
			// The provider answers for the whole calendar. What its
			// copy holds (a first sync storing as it goes, or one that
			// failed halfway) is not read beside that answer: an
			// occurrence moved at the provider would count at its old
			// time in the copy and at its new one in the answer.
			unsynced[c.App] = append(unsynced[c.App], c)
			continue
		}
		calIDs = append(calIDs, c.ID)
		if why, since := s.untrusted(c, now); why != "" {
			p.raw = append(p.raw, availability.Interval{Start: q.From, End: q.To})
			problems = append(problems, SourceProblem{UserID: c.UserID, Email: p.u.Email, CalendarID: c.ID, Kind: c.Kind,
				Host: hostOf(c.URL), App: c.App, Problem: why, Since: since, BusyFrom: q.From, BusyTo: q.To})
		}
	}
	for _, app := range slices.Sorted(maps.Keys(unsynced)) {
		fb := s.appFreeBusy(ctx, q.AccountID, app, unsynced[app], people, q.From, q.To)
		for _, c := range unsynced[app] {
			p := people[c.UserID]
			if r, ok := fb[c.ID]; ok && r.err == "" {
				p.raw = append(p.raw, r.busy...)
				continue
			}
			why := fb[c.ID].err
			if why == "" {
				why = s.appName(app) + " did not answer for this person"
			}
			p.raw = append(p.raw, availability.Interval{Start: q.From, End: q.To})
			problems = append(problems, SourceProblem{UserID: c.UserID, Email: p.u.Email, CalendarID: c.ID, Kind: c.Kind,
				App: c.App, Problem: "not synced yet, and " + why, Since: c.Created, BusyFrom: q.From, BusyTo: q.To})
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
		before, _ := budget.Used()
		ivs, complete, err := s.expandBusy(budget, o.ETag, o.Data, p.u.Email, p.loc, q.From, q.To)
		after, _ := budget.Used()
		p.instances += after - before
		if berr := budget.Err(); berr != nil {
			counts := make([]attendeeCount, 0, len(people))
			for _, other := range people {
				counts = append(counts, attendeeCount{other.u.Email, other.instances})
			}
			return nil, nil, s.budgetFailure(berr, q, counts)
		}
		if err != nil {
			// The policy: what cannot be read counts as busy.
			p.raw = append(p.raw, availability.Interval{Start: q.From, End: q.To})
			problems = append(problems, SourceProblem{UserID: p.u.ID, Email: p.u.Email, CalendarID: o.CalendarID,
				Problem: fmt.Sprintf("event %s cannot be expanded: %v", o.UID, err), Since: o.Modified, BusyFrom: q.From, BusyTo: q.To})
			continue
		}
		p.raw = append(p.raw, ivs...)
		if complete.Before(q.To) {
			// The policy again: past the cap, the event's time is
			// unknown, so it is busy.
			from := maxTime(complete, q.From)
			p.raw = append(p.raw, availability.Interval{Start: from, End: q.To})
			problems = append(problems, SourceProblem{UserID: p.u.ID, Email: p.u.Email, CalendarID: o.CalendarID,
				Problem: fmt.Sprintf("event %s repeats more than %d times in the window, or its rule takes too long to expand; from %s on it counts as busy",
					o.UID, s.opts.Limits.EventInstances, from.UTC().Format(time.RFC3339)),
				Since: o.Modified, BusyFrom: from, BusyTo: q.To})
		}
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
// zone is loc, of the object with etag and data, and the instant up to
// which they are complete: to, or earlier when the event has more than
// Limits.EventInstances instances in the window (or its rule more than
// the iteration cap before it). The expansion is charged to budget; when
// budget runs out the result is meaningless (the caller checks
// budget.Err()).
func (s *Service) expandBusy(budget *recur.Budget, etag string, data []byte, owner string, loc *time.Location, from, to time.Time) ([]availability.Interval, time.Time, error) {
	cal, err := s.cache.parse(etag, data)
	if err != nil {
		return nil, to, err
	}
	insts, err := recur.ExpandCalendar(cal, from, to, recur.Options{Floating: loc, MaxInstances: s.opts.Limits.EventInstances, Budget: budget})
	var ce *recur.ComponentError
	if errors.As(err, &ce) || err != nil && !errors.Is(err, recur.ErrCapped) {
		return nil, to, err
	}
	complete := to
	if t, ok := recur.CompleteUntil(err); ok && t.Before(to) {
		complete = t
	}
	out := make([]availability.Interval, 0, len(insts))
	for _, in := range insts {
		if in.Transparent || in.Status == "CANCELLED" || declinedBy(in.Component, owner) {
			continue
		}
		out = append(out, availability.Interval{Start: in.Start, End: in.End})
	}
	return out, complete, nil
}

// budgetFailure turns the error of a spent budget into the failure of a
// busy-time query: the context's end, or ErrTooDense naming the attendees
// whose calendars took most of the budget.
func (s *Service) budgetFailure(err error, q BusyQuery, counts []attendeeCount) error {
	if !errors.Is(err, recur.ErrBudget) {
		// The request was cancelled (the client left) or timed out.
		return failure.New(failure.Unavailable, "the request ended while its calendars were read; try again").
			Wrap(fmt.Errorf("calendar: busy: %w", err))
	}
	slices.SortFunc(counts, func(a, b attendeeCount) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.email, b.email)) })
	var total int64
	for _, c := range counts {
		total += c.n
	}
	// The densest calendars: the attendees who took a quarter of the
	// budget or more, at least the first.
	var dense []string
	for i, c := range counts {
		if i == 0 || c.n*4 >= total {
			dense = append(dense, c.email)
		}
	}
	var be *recur.BudgetError
	what := err.Error()
	if errors.As(err, &be) && be.Resource == "instances" {
		what = fmt.Sprintf("more than %d event instances", be.Limit)
	} else if be != nil {
		what = fmt.Sprintf("more than %d steps of recurrence expansion", be.Limit)
	}
	s.log.Info("busy-time query over budget", "account", q.AccountID, "attendees", dense, "from", q.From, "to", q.To, "err", err)
	return (&failure.Error{Kind: failure.Invalid, Title: "Calendars too dense for this window",
		Detail: fmt.Sprintf("the calendars of %s hold %s between %s and %s, more than one request may expand: ask for a shorter window, or remove the events that repeat every few seconds or minutes",
			strings.Join(dense, ", "), what, q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339))}).
		With("dense_attendees", dense).Wrap(fmt.Errorf("%w: %w", ErrTooDense, err))
}

// attendeeCount is the number of instances one attendee's calendars took.
type attendeeCount struct {
	email string
	n     int64
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

// person is one user of a busy-time query.
type person struct {
	u         *store.User
	loc       *time.Location
	raw       []availability.Interval
	instances int64 // charged to the budget
}

// appBusy is one app calendar's busy time from its app's FreeBusy, or why
// there is none.
type appBusy struct {
	busy []availability.Interval
	err  string
}

// appFreeBusy asks app, in one FreeBusy call for all of them, the busy
// time of the owners of cals (app calendars not synced yet) in [from, to),
// bounded by Limits.SyncTimeout and ctx. Tentative time counts as busy:
// Convene's rule for a TENTATIVE event of a synced calendar (only
// transparent, cancelled and declined events are free), so that a person's
// time does not depend on whether their copy was synced yet.
func (s *Service) appFreeBusy(ctx context.Context, accountID, app string, cals []*store.Calendar, people map[string]*person, from, to time.Time) map[string]appBusy {
	out := map[string]appBusy{}
	fail := func(why string) map[string]appBusy {
		for _, c := range cals {
			out[c.ID] = appBusy{err: why}
		}
		return out
	}
	conn, err := s.opts.Apps.Calendars(ctx, accountID, app)
	if err != nil {
		return fail(s.describeAppError(cals[0], err))
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Limits.SyncTimeout)
	defer cancel()
	emails := make([]string, 0, len(cals))
	for _, c := range cals {
		emails = append(emails, people[c.UserID].u.Email)
	}
	res, err := conn.FreeBusy(ctx, emails, from, to)
	if err != nil {
		return fail(s.describeAppError(cals[0], err))
	}
	for _, c := range cals {
		fb, ok := res[people[c.UserID].u.Email]
		if !ok {
			continue
		}
		if fb.Err != nil {
			out[c.ID] = appBusy{err: s.describeAppError(c, fb.Err)}
			continue
		}
		var ivs []availability.Interval
		for _, set := range [][]video.Interval{fb.Busy, fb.Tentative} {
			for _, iv := range set {
				// Bounded by the window: a provider's answer reaching
				// past it is cut.
				st, en := maxTime(iv.Start, from), minTime(iv.End, to)
				if en.After(st) {
					ivs = append(ivs, availability.Interval{Start: st, End: en})
				}
			}
		}
		out[c.ID] = appBusy{busy: ivs}
	}
	return out
}
