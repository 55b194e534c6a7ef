package calendar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/calendar/davclient"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/redact"
	"github.com/convene/convene/internal/store"
)

// maxSources bounds the sources of one user.
const maxSources = 20

// SourceInput adds an external calendar (POST /api/v1/users/{email}/calendars).
type SourceInput struct {
	// Kind is "caldav" (an account: the URL of a calendar, a calendar
	// home or the server, discovered from there) or "ics" (a feed URL;
	// webcal:// is read as https://).
	Kind     string `json:"kind"`
	URL      string `json:"url"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// Name is shown in lists; the URL's host by default.
	Name string `json:"name,omitempty"`
}

// CalendarView is a calendar as the API shows it to its user and the
// account's admins. Credentials never appear in it.
type CalendarView struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// URL of a source, without credentials and with its secret-looking
	// parts redacted (package redact).
	URL      string `json:"url,omitempty"`
	Username string `json:"username,omitempty"`
	// App is the app of an app calendar ("app" kind): its catalog ID.
	App string `json:"app,omitempty"`
	// CalDAVPath is where CalDAV clients find the built-in calendar.
	CalDAVPath string `json:"caldav_path,omitempty"`
	Events     int    `json:"events"`
	// Status is "ok", "pending" (not synced yet), "stale" (not synced
	// for too long) or "failing".
	Status        string     `json:"status"`
	Problem       string     `json:"problem,omitempty"`
	ProblemSince  *time.Time `json:"problem_since,omitempty"`
	LastSync      *time.Time `json:"last_sync,omitempty"`
	NextSync      *time.Time `json:"next_sync,omitempty"`
	FailurePolicy string     `json:"failure_policy"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (s *Service) view(u *store.User, c *store.Calendar, events int) CalendarView {
	// A source's URL may be its only credential (Google's secret
	// address): shown redacted, even to its owner.
	v := CalendarView{ID: c.ID, Kind: c.Kind, Name: c.Name, URL: redact.URL(c.URL), Username: c.Username, App: c.App, Events: events,
		Status: "ok", LastSync: timePtr(c.LastSync), FailurePolicy: FailurePolicy}
	if c.Kind == store.CalendarBuiltin {
		v.CalDAVPath = strings.TrimSuffix(s.opts.DAVPath, "/") + "/" + u.Email + "/calendars/default/"
		v.LastSync = nil
		return v
	}
	v.NextSync = timePtr(c.NextSync)
	if why, since := s.untrusted(c, s.now()); why != "" {
		v.Problem, v.ProblemSince = redact.Text(why), timePtr(since)
		switch {
		case c.Problem != "":
			v.Status = "failing"
		case c.LastSync.IsZero():
			v.Status = "pending"
		default:
			v.Status = "stale"
		}
	}
	return v
}

// Calendars lists the calendars of the user with address email: the
// built-in one first, then the sources with their sync state and
// problems.
func (s *Service) Calendars(ctx context.Context, p account.Principal, email string) ([]CalendarView, error) {
	u, err := s.target(ctx, p, email)
	if err != nil {
		return nil, err
	}
	if _, err := s.builtin(ctx, s.store, u.AccountID, u.ID); err != nil {
		return nil, err
	}
	cals, err := s.store.UserCalendars(ctx, u.AccountID, []string{u.ID})
	if err != nil {
		return nil, fmt.Errorf("calendar: list calendars: %w", err)
	}
	ids := make([]string, len(cals))
	for i, c := range cals {
		ids[i] = c.ID
	}
	counts, err := s.store.CalendarObjectCounts(ctx, u.AccountID, ids)
	if err != nil {
		return nil, fmt.Errorf("calendar: list calendars: %w", err)
	}
	out := make([]CalendarView, 0, len(cals))
	for i := range cals {
		v := s.view(u, &cals[i], counts[cals[i].ID])
		if cals[i].Kind == store.CalendarBuiltin {
			out = append([]CalendarView{v}, out...)
		} else {
			out = append(out, v)
		}
	}
	return out, nil
}

// checkSourceURL validates a source URL and returns it normalized: http or
// https (webcal read as https), a host, no credentials in it (they go in
// username and password), and, unless private addresses are allowed, no
// literal private address (host names are checked when connecting).
func (s *Service) checkSourceURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, failure.Field("url", "give an absolute http or https URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "webcal", "webcals":
		u.Scheme = "https"
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, failure.Field("url", "the scheme must be http, https or webcal, not %q", u.Scheme)
	}
	if u.User != nil {
		return nil, failure.Field("url", "put the user name and password in username and password, not in the URL")
	}
	if len(u.String()) > 2000 {
		return nil, failure.Field("url", "the URL is over 2000 characters")
	}
	if !s.opts.AllowPrivate {
		host := u.Hostname()
		if ip, err := netip.ParseAddr(host); err == nil && blocked(ip) {
			return nil, failure.Field("url", "%s is not a public address; the operator may allow private ones with CONVENE_ALLOW_PRIVATE_CALENDAR_URLS", host)
		}
		if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
			return nil, failure.Field("url", "%s is this machine; the operator may allow private addresses with CONVENE_ALLOW_PRIVATE_CALENDAR_URLS", host)
		}
	}
	u.Fragment = ""
	return u, nil
}

// AddSource adds an external calendar to the user with address email and
// syncs it once before answering: the view says whether that worked, and,
// when it did not, the problem (the source is kept, and its user counts as
// busy until it syncs, FailurePolicy).
func (s *Service) AddSource(ctx context.Context, p account.Principal, email string, in SourceInput) (*CalendarView, error) {
	u, err := s.target(ctx, p, email)
	if err != nil {
		return nil, err
	}
	var fs failure.Fields
	kind := strings.ToLower(strings.TrimSpace(in.Kind))
	if kind != store.CalendarCalDAV && kind != store.CalendarICS {
		fs.Add("kind", "%q is not caldav or ics", in.Kind)
	}
	su, err := s.checkSourceURL(in.URL)
	if err != nil {
		fe, _ := failure.As(err)
		fs = append(fs, fe.Fields...)
	}
	if len(in.Username) > 256 || len(in.Password) > 1024 {
		fs.Add("password", "the user name or password is too long")
	}
	if kind == store.CalendarICS && in.Username == "" && in.Password != "" {
		fs.Add("username", "a password needs a user name")
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > 200 {
		fs.Add("name", "use at most 200 characters")
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	if name == "" {
		name = su.Hostname()
	}
	cals, err := s.store.UserCalendars(ctx, u.AccountID, []string{u.ID})
	if err != nil {
		return nil, fmt.Errorf("calendar: add source: %w", err)
	}
	n := 0
	for _, c := range cals {
		if c.Kind != store.CalendarBuiltin {
			n++
			if c.URL == su.String() && c.Username == in.Username {
				return nil, failure.New(failure.Conflict, "this source is already added (id %s)", c.ID)
			}
		}
	}
	if n >= maxSources {
		return nil, failure.New(failure.Invalid, "a user may have at most %d sources", maxSources)
	}
	id, err := s.newID("src_")
	if err != nil {
		return nil, err
	}
	secret, err := s.box.Seal(in.Password, sealPlace(id))
	if err != nil {
		return nil, fmt.Errorf("calendar: add source: %w", err)
	}
	now := s.now().UTC()
	c := &store.Calendar{ID: id, AccountID: u.AccountID, UserID: u.ID, Kind: kind, Name: name, URL: su.String(),
		Username: in.Username, Secret: secret, NextSync: now, Created: now, Updated: now}
	if err := s.store.CreateCalendar(ctx, c); err != nil {
		return nil, fmt.Errorf("calendar: add source: %w", err)
	}
	s.log.Info("calendar source added", "account", u.AccountID, "user", u.ID, "source", id, "kind", kind, "host", su.Hostname())
	return s.syncAndView(ctx, u, c)
}

// sealPlace binds a source's sealed password to its row.
func sealPlace(id string) string { return "calendar-source/" + id + "/password" }

func (s *Service) syncAndView(ctx context.Context, u *store.User, c *store.Calendar) (*CalendarView, error) {
	now := s.now()
	ok, err := s.store.ClaimCalendarSyncNow(ctx, c.AccountID, c.ID, now, now.Add(2*s.opts.Limits.SyncTimeout))
	if err != nil {
		return nil, err
	}
	if !ok {
		// A sync of it runs (the worker's, or another request's): not a
		// second one beside it, whose outcomes would race; the next one
		// comes as soon as it ends.
		if _, err := s.store.ScheduleCalendarSync(ctx, c.AccountID, c.ID, now); err != nil {
			return nil, err
		}
		return nil, failure.New(failure.Conflict, "calendar %s is being synced now; it will be synced again as soon as that ends", c.ID)
	}
	if err := s.Sync(ctx, c); err != nil {
		return nil, err
	}
	c, err = s.store.Calendar(ctx, c.AccountID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("calendar: reload source: %w", err)
	}
	counts, err := s.store.CalendarObjectCounts(ctx, c.AccountID, []string{c.ID})
	if err != nil {
		return nil, fmt.Errorf("calendar: count events: %w", err)
	}
	v := s.view(u, c, counts[c.ID])
	return &v, nil
}

// sourceOf returns a source of the user with address email.
func (s *Service) sourceOf(ctx context.Context, p account.Principal, email, id string) (*store.User, *store.Calendar, error) {
	u, err := s.target(ctx, p, email)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.store.Calendar(ctx, u.AccountID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.UserID != u.ID) {
		return nil, nil, failure.New(failure.NotFound, "no calendar %s for this user", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("calendar: load source: %w", err)
	}
	return u, c, nil
}

// SyncSource syncs a source now and returns its view.
func (s *Service) SyncSource(ctx context.Context, p account.Principal, email, id string) (*CalendarView, error) {
	u, c, err := s.sourceOf(ctx, p, email, id)
	if err != nil {
		return nil, err
	}
	if c.Kind == store.CalendarBuiltin {
		return nil, failure.New(failure.Invalid, "the built-in calendar is Convene's own: there is nothing to sync")
	}
	return s.syncAndView(ctx, u, c)
}

// DeleteSource removes a source and its events.
func (s *Service) DeleteSource(ctx context.Context, p account.Principal, email, id string) error {
	_, c, err := s.sourceOf(ctx, p, email, id)
	if err != nil {
		return err
	}
	if c.Kind == store.CalendarBuiltin {
		return failure.New(failure.Invalid, "the built-in calendar cannot be removed; import an empty calendar to empty it")
	}
	if err := s.store.DeleteCalendar(ctx, c.AccountID, c.ID); err != nil {
		return fmt.Errorf("calendar: delete source: %w", err)
	}
	return nil
}

// Sync syncs one source now and records the outcome: on success its events
// are current and its problem cleared; on failure the problem is stored
// (and so counts as busy time, FailurePolicy) and the next try is sooner.
// A sync cut short because ctx ended (shutdown, a client that left) is
// not the source's failure: nothing is recorded, and the claim made before
// it brings the source back later. The error is only about recording the
// outcome.
func (s *Service) Sync(ctx context.Context, c *store.Calendar) error {
	start := s.now()
	sctx, cancel := context.WithTimeout(ctx, s.opts.Limits.SyncTimeout)
	defer cancel()
	err := func() (err error) {
		// A bug met in one source's data must not take the worker, and
		// the process, down: it becomes that source's problem.
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("internal error while syncing: %v", v)
			}
		}()
		return s.syncSource(sctx, c)
	}()
	if err != nil && ctx.Err() != nil {
		s.log.Debug("calendar source sync interrupted", "source", c.ID, "err", ctx.Err())
		return nil
	}
	now := s.now().UTC()
	c.LastAttempt, c.Updated = now, now
	if err == nil {
		c.Problem, c.ProblemSince, c.LastSync, c.NextSync = "", time.Time{}, now, now.Add(s.opts.SyncInterval)
	} else {
		if c.Problem == "" {
			c.ProblemSince = now
		}
		if c.Kind == store.CalendarApp {
			c.Problem = s.describeAppError(c, err)
			s.appSyncFailed(ctx, c, err)
		} else {
			c.Problem = describeSyncError(err, s.opts.Limits.SyncTimeout)
		}
		c.NextSync = now.Add(s.opts.RetryInterval)
	}
	// The outcome is saved even when the request that asked for it ends.
	if err := s.store.SaveCalendarSync(context.WithoutCancel(ctx), c); err != nil {
		return fmt.Errorf("calendar: record sync of %s: %w", c.ID, err)
	}
	if err == nil {
		s.log.Debug("calendar source synced", "account", c.AccountID, "source", c.ID, "took", s.now().Sub(start))
	} else {
		s.log.Warn("calendar source failing; its user counts as busy", "account", c.AccountID, "user", c.UserID,
			"source", c.ID, "host", hostOf(c.URL), "problem", c.Problem)
	}
	return nil
}

// describeSyncError says what went wrong in words for the user and admin,
// without the secrets of the source's URL (the message of a *url.Error
// holds the whole URL).
func describeSyncError(err error, timeout time.Duration) string {
	var se *statusError
	var de *davclient.StatusError
	var dnsErr *net.DNSError
	msg := redact.Text(err.Error())
	code := 0
	switch {
	case errors.As(err, &se):
		code = se.code
	case errors.As(err, &de):
		code = de.Code
	}
	switch {
	case errors.Is(err, ErrBlockedAddress):
		msg = "refused: " + msg
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("the sync did not finish within %s", timeout)
	case code == 401 || code == 403:
		msg = fmt.Sprintf("the server refused the credentials (%d); add the source again with the right user name and password", code)
	case errors.As(err, &dnsErr):
		msg = "the host name does not resolve: " + dnsErr.Name
	}
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}
