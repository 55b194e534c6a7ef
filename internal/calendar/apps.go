package calendar

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// App calendars
//
// An app whose catalog entry has Calendar (Microsoft 365, Google
// Workspace) gives Convene its users' calendars. For every active user
// whose address is in one of the managed domains an install of such an app
// was given, the core keeps one calendar of kind store.CalendarApp (per
// user and app): made when the install is saved or its domains change
// (apps.Service.OnInstallChange), and by the worker for users added since
// (ReconcileApps); removed, with its channel stopped at the provider, when
// the install, the domain or the user goes.
//
// The sync worker syncs it like a CalDAV source (same claim, limits,
// budgets and failure policy) through video.Calendars.Changes, the
// provider's cursor kept in the calendar's remote state; a cursor the
// provider no longer honours (video.ErrSyncExpired) starts a full sync that
// replaces the copy. A provider that refuses the install's credentials
// (video.ErrUnauthorized) makes the install need re-authorization
// (AppConnector.CalendarsUnauthorized), and the calendar's users count as
// busy until it is fixed, with a SourceProblem naming the app.

// AppConnector is what the calendar core needs of the marketplace
// (apps.Service implements it).
type AppConnector interface {
	// Calendars connects the calendars of the account's install of app;
	// store.ErrNotFound when it is not installed, an error wrapping
	// video.ErrUnauthorized when it needs re-authorization.
	Calendars(ctx context.Context, accountID, app string) (video.Calendars, error)
	// CalendarsUnauthorized records that the provider refused the
	// install's credentials: the install needs re-authorization.
	CalendarsUnauthorized(ctx context.Context, accountID, app string, cause error) error
	// ForgetDeparted revokes and forgets the per-user grants of users
	// removed from the account a while ago, and reports how many.
	ForgetDeparted(ctx context.Context, accountID string) (int, error)
}

// Bounds of one sync of an app calendar.
const (
	// appSyncPast and appSyncAhead bound the events a full sync asks for,
	// around now (providers that sync by window use them).
	appSyncPast  = 31 * 24 * time.Hour
	appSyncAhead = 400 * 24 * time.Hour
	// appSyncCalls bounds the Changes calls of one sync: the incremental
	// one and, when its cursor expired, a full one.
	appSyncCalls = 2
	// appResyncEvery is how long a full sync's window serves: providers
	// that sync by window (Graph's calendarView delta) keep the window of
	// the full sync for every later cursor, so it must slide forward.
	appResyncEvery = 7 * 24 * time.Hour
	// appHoursMaxAge is how long working hours read from the provider
	// are used: neither delta queries nor notifications tell a change
	// of them (Graph's mailboxSettings), and a cursor may never expire,
	// so an incremental sync reads them again past this age.
	appHoursMaxAge = 12 * time.Hour
)

// AppCalendarID is the ID of user's calendar at app.
func AppCalendarID(app, userID string) string { return "ap_" + app + "_" + userID }

// calendarApps returns the apps of the catalog that have calendars.
func (s *Service) calendarApps() []video.App {
	var out []video.App
	for _, a := range s.opts.Registry.Apps() {
		if a.Calendar != nil {
			out = append(out, a)
		}
	}
	return out
}

// appName names an app for people.
func (s *Service) appName(app string) string { return s.opts.Registry.Name(app) }

// ReconcileApps makes the account's app calendars what its installs and
// users call for: one per active user in an install's domains and app
// with calendars (installed, or needing re-authorization: then its users
// count as busy until it is fixed); calendars no longer called for are
// removed, and channels whose calendar is gone are stopped at the
// provider. It is called when an install changes and by the worker.
func (s *Service) ReconcileApps(ctx context.Context, accountID string) error {
	if s.opts.Apps == nil {
		return nil
	}
	want := map[string]store.Calendar{}
	installs, err := s.store.Installs(ctx, accountID)
	if err != nil {
		return fmt.Errorf("calendar: app calendars: %w", err)
	}
	var users []store.User
	now := s.now().UTC()
	personal := false
	for _, in := range installs {
		a, ok := s.opts.Registry.Lookup(in.App)
		if !ok || a.Calendar == nil || (in.State != store.InstallInstalled && in.State != store.InstallNeedsReauthorization) {
			continue
		}
		if users == nil {
			if users, err = s.store.Users(ctx, accountID); err != nil {
				return fmt.Errorf("calendar: app calendars: %w", err)
			}
		}
		// Per-user mode: only users who connected their own account
		// (a grant needing re-authorization keeps its calendar, whose
		// user counts as busy until they reconnect).
		var granted map[string]bool
		if in.Mode == video.ModePersonal {
			personal = true
			grants, err := s.store.GrantsOfApp(ctx, accountID, a.ID)
			if err != nil {
				return fmt.Errorf("calendar: app calendars: %w", err)
			}
			granted = make(map[string]bool, len(grants))
			for _, g := range grants {
				granted[g.UserID] = true
			}
		}
		for _, u := range users {
			if !u.Active() || !slices.Contains(in.Domains, account.EmailDomain(u.Email)) {
				continue
			}
			if granted != nil && !granted[u.ID] {
				continue
			}
			id := AppCalendarID(a.ID, u.ID)
			want[id] = store.Calendar{ID: id, AccountID: accountID, UserID: u.ID, Kind: store.CalendarApp, App: a.ID,
				Name: a.Name, NextSync: now, Created: now, Updated: now}
		}
	}
	have, err := s.store.AppCalendars(ctx, accountID)
	if err != nil {
		return fmt.Errorf("calendar: app calendars: %w", err)
	}
	exists := map[string]bool{}
	for _, c := range have {
		exists[c.ID] = true
		if _, ok := want[c.ID]; ok {
			continue
		}
		if err := s.store.DeleteCalendar(ctx, accountID, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("calendar: remove app calendar: %w", err)
		}
		delete(exists, c.ID)
		s.log.Info("app calendar removed", "account", accountID, "calendar", c.ID, "app", c.App)
	}
	for id, c := range want {
		if exists[id] {
			continue
		}
		if err := s.store.CreateCalendar(ctx, &c); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("calendar: add app calendar: %w", err)
		}
		exists[id] = true
		s.log.Info("app calendar added", "account", accountID, "calendar", id, "app", c.App)
		s.wakeWorker()
	}
	// Per-user mode: the grants of users removed a while ago go too.
	if personal {
		if _, err := s.opts.Apps.ForgetDeparted(ctx, accountID); err != nil {
			s.log.Warn("app calendars: departed users' grants not forgotten", "account", accountID, "err", err)
		}
	}
	// Channels whose calendar went (its install, domain or user did) are
	// stopped at the provider, then forgotten.
	chans, err := s.store.CalendarChannels(ctx, accountID)
	if err != nil {
		return fmt.Errorf("calendar: app calendars: %w", err)
	}
	for _, ch := range chans {
		if exists[ch.CalendarID] {
			continue
		}
		s.stopChannel(ctx, &ch)
	}
	return nil
}

// InstallChanged is apps.Service.OnInstallChange: the app calendars of the
// account follow its installs at once.
func (s *Service) InstallChanged(ctx context.Context, accountID, app string) {
	if err := s.ReconcileApps(ctx, accountID); err != nil {
		s.log.Warn("app calendars not reconciled; the worker will try again", "account", accountID, "app", app, "err", err)
	}
}

// reconcileAllApps runs ReconcileApps for every account with an install of
// an app with calendars, or with app calendars left.
func (s *Service) reconcileAllApps(ctx context.Context) {
	if s.opts.Apps == nil {
		return
	}
	accounts, err := s.store.AppCalendarAccounts(ctx)
	if err != nil {
		s.log.Warn("app calendars: list accounts", "err", err)
		return
	}
	for _, a := range s.calendarApps() {
		ids, err := s.store.InstalledAccounts(ctx, a.ID)
		if err != nil {
			s.log.Warn("app calendars: list installs", "app", a.ID, "err", err)
			return
		}
		accounts = append(accounts, ids...)
	}
	slices.Sort(accounts)
	for _, id := range slices.Compact(accounts) {
		if ctx.Err() != nil {
			return
		}
		if err := s.ReconcileApps(ctx, id); err != nil {
			s.log.Warn("app calendars not reconciled", "account", id, "err", err)
		}
	}
}

// appState is an app calendar's sync memo (remoteState.App).
type appState struct {
	// Cursor is the provider's cursor of the next Changes call.
	Cursor string `json:"cursor,omitempty"`
	// WorkingHours are the user's working hours at the provider, read
	// at each full sync and at least every appHoursMaxAge.
	WorkingHours *video.WorkingHours `json:"working_hours,omitempty"`
	// FullAt is when the last full sync was made: its window
	// (appSyncPast before, appSyncAhead after) is the cursor's.
	FullAt time.Time `json:"full_at,omitzero"`
	// HoursRead is when WorkingHours were last read.
	HoursRead time.Time `json:"hours_read,omitzero"`
}

// syncApp brings the copy of an app calendar up to date through the app's
// Changes: incrementally from the stored cursor, or, with none or when the
// provider let it expire, a full sync that replaces the copy. The sync is
// bounded: at most appSyncCalls calls, Limits.MaxObjects events and
// Limits.MaxBytes of iCalendar text in one answer, each event at most
// Limits.MaxObjectBytes.
func (s *Service) syncApp(ctx context.Context, c *store.Calendar, u *store.User, st *remoteState) error {
	if s.opts.Apps == nil {
		return errors.New("no app connects calendars here")
	}
	cals, err := s.opts.Apps.Calendars(ctx, c.AccountID, c.App)
	if err != nil {
		return err
	}
	if st.App == nil {
		st.App = &appState{}
	}
	now := s.now()
	var cs *video.ChangeSet
	cursor := st.App.Cursor
	if cursor != "" && now.Sub(st.App.FullAt) >= appResyncEvery {
		// The cursor's window has slid too far behind now.
		cursor = ""
	}
	for call := 0; ; call++ {
		if call == appSyncCalls {
			return fmt.Errorf("the provider's sync cursor expired %d times in a row", appSyncCalls)
		}
		cs, err = cals.Changes(ctx, u.Email, cursor, now.Add(-appSyncPast), now.Add(appSyncAhead))
		if errors.Is(err, video.ErrSyncExpired) && cursor != "" {
			s.log.Info("app calendar: sync cursor expired; syncing in full", "account", c.AccountID, "calendar", c.ID)
			cursor = ""
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	full := cursor == "" || cs.Full
	if len(cs.Objects) > s.opts.Limits.MaxObjects || len(cs.Removed) > 10*s.opts.Limits.MaxObjects {
		return fmt.Errorf("the provider answered with over %d events, the limit per calendar", s.opts.Limits.MaxObjects)
	}
	var size int64
	puts := make([]store.CalendarObject, 0, len(cs.Objects))
	for _, o := range cs.Objects {
		n := int64(len(o.ICS))
		size += n
		switch {
		case o.ID == "" || len(o.ID) > 1024:
			return errors.New("the provider answered with an event without a usable id")
		case n > s.opts.Limits.MaxObjectBytes:
			return fmt.Errorf("event %s is %d bytes, over the limit of %d", o.ID, n, s.opts.Limits.MaxObjectBytes)
		case size > s.opts.Limits.MaxBytes:
			return fmt.Errorf("%w: the changes are over %d bytes", errTooLarge, s.opts.Limits.MaxBytes)
		}
		puts = append(puts, s.remoteObject(o.ID, o.ICS, o.ETag, u.Email))
	}
	var fullFn func(string) bool
	if full {
		fullFn = func(string) bool { return true }
	}
	if err := s.applyRemote(ctx, c, puts, cs.Removed, fullFn); err != nil {
		return err
	}
	st.App.Cursor = cs.Cursor
	if full {
		st.App.FullAt = now
	}
	if full || now.Sub(st.App.HoursRead) >= appHoursMaxAge {
		// Working hours change rarely: read with each full sync and
		// when they are old; a provider that cannot tell keeps the
		// last answer.
		if wh, err := cals.WorkingHours(ctx, u.Email); err == nil {
			st.App.WorkingHours, st.App.HoursRead = wh, now
		} else if ctx.Err() == nil {
			s.log.Debug("app calendar: working hours not read", "calendar", c.ID, "err", err)
		}
	}
	return nil
}

// appSyncFailed applies what a failed sync of an app calendar means
// beyond the failure policy: a refusal of the install's credentials makes
// the install need re-authorization.
func (s *Service) appSyncFailed(ctx context.Context, c *store.Calendar, err error) {
	if s.opts.Apps == nil || !errors.Is(err, video.ErrUnauthorized) {
		return
	}
	if err := s.opts.Apps.CalendarsUnauthorized(context.WithoutCancel(ctx), c.AccountID, c.App, err); err != nil {
		s.log.Warn("app calendar: install not marked for re-authorization", "account", c.AccountID, "app", c.App, "err", err)
	}
}

// describeAppError says what went wrong with an app calendar's sync, naming
// the app.
func (s *Service) describeAppError(c *store.Calendar, err error) string {
	name := s.appName(c.App)
	var rl *video.RateLimitError
	switch {
	case errors.Is(err, video.ErrNotConnected):
		return name + ": the user must connect their own account at " + name + " again (Calendars page): " + err.Error()
	case errors.Is(err, video.ErrUnauthorized):
		return name + " refused Convene's credentials: an admin of the account must install the app again"
	case errors.Is(err, video.ErrHostNotFound):
		return name + " has no user with this address"
	case errors.As(err, &rl):
		return name + " limited Convene's requests: " + err.Error()
	case errors.Is(err, store.ErrNotFound):
		return name + " is not installed for this account"
	}
	return name + ": " + describeSyncError(err, s.opts.Limits.SyncTimeout)
}

// Channels

// channelToken returns a new channel token: 32 random bytes, base64url.
func (s *Service) channelToken() (string, error) {
	var b [32]byte
	s.mu.Lock()
	_, err := io.ReadFull(s.rand, b[:])
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("calendar: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// channelPlace binds a channel's sealed token to its calendar.
func channelPlace(calendarID string) string { return "calendar-channel/" + calendarID + "/token" }

// webhookAddress is where app's channels notify: BaseURL/webhooks/{app}.
func (s *Service) webhookAddress(app string) string {
	return strings.TrimSuffix(s.opts.BaseURL, "/") + "/webhooks/" + app
}

// ensureChannel opens a channel for an app calendar that has none, and
// renews one that expires within Options.ChannelRenewBefore. Without a
// public base URL no channel is opened: the periodic sync alone keeps the
// copy fresh. A channel that cannot be opened is logged, not the
// calendar's failure: the next sync tries again.
func (s *Service) ensureChannel(ctx context.Context, c *store.Calendar, u *store.User) {
	if s.opts.BaseURL == "" || s.opts.Apps == nil {
		return
	}
	cur, err := s.store.CalendarChannel(ctx, c.AccountID, c.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("app calendar channel: load", "calendar", c.ID, "err", err)
		return
	}
	now := s.now()
	if cur != nil && cur.Expires.Sub(now) > s.opts.ChannelRenewBefore {
		return
	}
	cals, err := s.opts.Apps.Calendars(ctx, c.AccountID, c.App)
	if err != nil {
		return
	}
	var ch *video.Channel
	var token string
	if cur != nil && cur.Expires.After(now) {
		// A renewal keeps the token: a provider that makes a new channel
		// to renew gives it the same one.
		if token, err = s.box.Open(cur.Token, channelPlace(c.ID)); err == nil {
			ch, err = cals.Renew(ctx, video.Channel{ID: cur.ChannelID, Resource: cur.Resource, User: cur.UserEmail, Token: token, Expires: cur.Expires})
		}
	} else {
		if cur != nil {
			s.stopChannel(ctx, cur) // expired: forget it
		}
		if token, err = s.channelToken(); err == nil {
			ch, err = cals.Watch(ctx, u.Email, s.webhookAddress(c.App), token)
		}
	}
	if err != nil || ch == nil || ch.ID == "" {
		if ctx.Err() == nil {
			s.log.Warn("app calendar channel not opened; the periodic sync goes on", "account", c.AccountID, "calendar", c.ID, "app", c.App, "err", err)
		}
		return
	}
	rec := &store.CalendarChannel{CalendarID: c.ID, AccountID: c.AccountID, App: c.App, ChannelID: ch.ID, Resource: ch.Resource,
		UserEmail: u.Email, Expires: ch.Expires.UTC(), Created: now.UTC(), Updated: now.UTC()}
	if cur != nil && cur.ChannelID == ch.ID {
		rec.Created = cur.Created
	}
	if rec.Token, err = s.box.Seal(token, channelPlace(c.ID)); err == nil {
		err = s.store.PutCalendarChannel(context.WithoutCancel(ctx), rec)
	}
	if err != nil {
		s.log.Warn("app calendar channel not saved; stopping it", "calendar", c.ID, "err", err)
		if uerr := cals.Unwatch(context.WithoutCancel(ctx), *ch); uerr != nil {
			s.log.Warn("app calendar channel not stopped", "calendar", c.ID, "err", uerr)
		}
		return
	}
	s.log.Info("app calendar channel open", "account", c.AccountID, "calendar", c.ID, "app", c.App, "expires", rec.Expires)
}

// stopChannel stops a channel at the provider (when the install can still
// be reached) and forgets it.
func (s *Service) stopChannel(ctx context.Context, ch *store.CalendarChannel) {
	if cals, err := s.opts.Apps.Calendars(ctx, ch.AccountID, ch.App); err == nil {
		if err := cals.Unwatch(ctx, video.Channel{ID: ch.ChannelID, Resource: ch.Resource, User: ch.UserEmail, Expires: ch.Expires}); err != nil {
			s.log.Warn("app calendar channel not stopped at the provider; it expires on its own", "calendar", ch.CalendarID, "app", ch.App, "expires", ch.Expires, "err", err)
		}
	}
	if err := s.store.DeleteCalendarChannel(ctx, ch.AccountID, ch.CalendarID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("app calendar channel not forgotten", "calendar", ch.CalendarID, "err", err)
	}
}

// CalendarChanged applies a provider's video.EventCalendarChanged (its
// webhook decoded it): when the event names a channel Convene opened for
// that app and echoes its token (compared in constant time),
// the channel's calendar is synced soon; notifications arriving before
// that sync starts are served by it. Anything else (an unknown channel, a
// wrong token, another kind) changes nothing and is no error: the provider
// has nothing to deliver again. What changed is never taken from the
// notification: the sync asks the provider.
func (s *Service) CalendarChanged(ctx context.Context, ev video.Event) error {
	if ev.Kind != video.EventCalendarChanged || ev.Channel == "" {
		return nil
	}
	ch, err := s.store.CalendarChannelByID(ctx, ev.App, ev.Channel)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Info("calendar notification for an unknown channel ignored", "app", ev.App)
		return nil
	}
	if err != nil {
		return fmt.Errorf("calendar: notification: %w", err)
	}
	token, err := s.box.Open(ch.Token, channelPlace(ch.CalendarID))
	if err != nil {
		return fmt.Errorf("calendar: notification: the channel's token cannot be opened (was the data key changed?): %w", err)
	}
	// Equal lengths first is no leak: the tokens Convene makes all have
	// one length.
	if subtle.ConstantTimeCompare([]byte(ev.ChannelToken), []byte(token)) != 1 {
		s.log.Warn("calendar notification with a wrong channel token ignored", "app", ev.App, "calendar", ch.CalendarID)
		return nil
	}
	moved, err := s.store.ScheduleCalendarSync(ctx, ch.AccountID, ch.CalendarID, s.now())
	if err != nil {
		return fmt.Errorf("calendar: notification: %w", err)
	}
	if moved {
		s.wakeWorker()
	}
	return nil
}

// wakeWorker makes the sync worker look for due calendars now.
func (s *Service) wakeWorker() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already waiting
	}
}

// OrganizerApp returns the app whose calendar a user has (the first of the
// catalog's apps with calendars, when several), or "" when they have none:
// booking writes the meetings they organize there. It costs one lookup by
// key per app with calendars, none when the catalog has none.
func (s *Service) OrganizerApp(ctx context.Context, accountID, userID string) (string, error) {
	if s.opts.Apps == nil {
		return "", nil
	}
	for _, a := range s.calendarApps() {
		_, err := s.store.Calendar(ctx, accountID, AppCalendarID(a.ID, userID))
		if err == nil {
			return a.ID, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("calendar: organizer's app: %w", err)
		}
	}
	return "", nil
}

// AppCalendars returns the connection to app's calendars of the account's
// install (Options.Apps): booking writes meetings' events with it.
func (s *Service) AppCalendars(ctx context.Context, accountID, app string) (video.Calendars, error) {
	if s.opts.Apps == nil {
		return nil, fmt.Errorf("calendar: no app calendars here: %w", store.ErrNotFound)
	}
	return s.opts.Apps.Calendars(ctx, accountID, app)
}

// AppRegistry is the catalog of apps the core knows (nil: none).
func (s *Service) AppRegistry() *video.Registry { return s.opts.Registry }
