package calendar

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Limits bound what one import, feed or sync may hold and take.
type Limits struct {
	// MaxBytes bounds an import body, an ICS feed and each CalDAV answer
	// (default 16 MiB).
	MaxBytes int64
	// MaxObjects bounds the events of one calendar (default 20,000).
	MaxObjects int
	// MaxObjectBytes bounds one event (calendar object) a user stores in
	// their built-in calendar, by CalDAV or import (default
	// DefaultMaxObjectBytes, 1 MiB; CALDAV:max-resource-size).
	MaxObjectBytes int64
	// MaxUserObjects and MaxUserBytes are a user's quota: what their
	// built-in calendar may hold (defaults DefaultMaxUserObjects, 10,000
	// events, and DefaultMaxUserBytes, 50 MiB). Meetings Convene books
	// count, but are written even past it.
	MaxUserObjects int
	MaxUserBytes   int64
	// SyncTimeout bounds one sync of one source (default 60 s).
	SyncTimeout time.Duration
	// BusyInstances and BusySteps are the budget of one busy-time query
	// (GET /api/v1/availability, the search of a booking), shared by all
	// its attendees' calendars: the event instances it may expand and the
	// expansion work it may do (defaults recur.DefaultBudgetInstances and
	// recur.DefaultBudgetSteps). Past it the query fails with an Invalid
	// failure wrapping ErrTooDense.
	BusyInstances, BusySteps int
	// EventInstances caps the instances of one event in a query's window
	// (default 30,000: one every 5 minutes for 92 days); past it the rest
	// of the window counts as busy, and the event is reported.
	EventInstances int
	// ImportSteps bounds the recurrence expansion work of one import or
	// feed body (finding where each event's instances lie; default
	// 50,000,000 steps, about a second): past it the import fails.
	ImportSteps int
}

func (l *Limits) defaults() {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 16 << 20
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = 20_000
	}
	if l.SyncTimeout <= 0 {
		l.SyncTimeout = 60 * time.Second
	}
	if l.MaxObjectBytes <= 0 {
		l.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if l.MaxUserObjects <= 0 {
		l.MaxUserObjects = DefaultMaxUserObjects
	}
	if l.MaxUserBytes <= 0 {
		l.MaxUserBytes = DefaultMaxUserBytes
	}
	if l.EventInstances <= 0 {
		l.EventInstances = 30_000
	}
	if l.ImportSteps <= 0 {
		l.ImportSteps = 50_000_000
	}
}

// Options configure a Service.
type Options struct {
	Log *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// AllowPrivate lets sources use loopback, private and link-local
	// addresses (config.AllowPrivateCalendarURLs); off, they are refused
	// when the connection is made (against SSRF).
	AllowPrivate bool
	// SyncInterval is the time between two syncs of a source (default 15
	// minutes); after a failure the next try comes sooner (RetryInterval,
	// default 2 minutes).
	SyncInterval, RetryInterval time.Duration
	// StaleAfter: a source not synced for this long counts as failing
	// (default 3 × SyncInterval).
	StaleAfter time.Duration
	// SyncWorkers bounds the syncs the worker runs at once, over all
	// accounts, and SyncPerAccount those of one account (defaults
	// DefaultSyncWorkers, DefaultSyncPerAccount): one account's slow
	// sources cannot hold every worker.
	SyncWorkers, SyncPerAccount int
	Limits                      Limits
	// Transport, when set, replaces the guarded HTTP transport (tests).
	Transport http.RoundTripper
	// DAVPath is where the CalDAV server is mounted (default "/dav/").
	DAVPath string
	// Apps connects the calendars of installed apps (apps.Service), and
	// Registry is the catalog saying which apps have calendars; nil: no
	// app calendars (apps.go).
	Apps     AppConnector
	Registry *video.Registry
	// BaseURL is Convene's public URL: app calendars' channels notify
	// BaseURL/webhooks/{app}. Empty: no channels; the periodic sync
	// alone keeps app calendars fresh.
	BaseURL string
	// ChannelRenewBefore: a channel expiring within it is renewed by the
	// calendar's next sync (default 24 hours; providers' channels last
	// days: Graph's event subscriptions at most about 3, Google's about
	// a week).
	ChannelRenewBefore time.Duration
}

// Service is the calendar core.
type Service struct {
	store store.Store
	box   *seal.Box
	log   *slog.Logger
	now   func() time.Time
	opts  Options
	http  *http.Client
	cache *objectCache

	mu   sync.Mutex
	rand io.Reader
	// wake makes the sync worker look for due calendars before its tick
	// (a calendar notification, a new app calendar).
	wake chan struct{}
}

// New returns a Service over st that seals source passwords with box.
func New(st store.Store, box *seal.Box, opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 15 * time.Minute
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = 2 * time.Minute
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 3 * opts.SyncInterval
	}
	if opts.SyncWorkers <= 0 {
		opts.SyncWorkers = DefaultSyncWorkers
	}
	if opts.SyncPerAccount <= 0 {
		opts.SyncPerAccount = DefaultSyncPerAccount
	}
	opts.SyncPerAccount = min(opts.SyncPerAccount, opts.SyncWorkers)
	if opts.DAVPath == "" {
		opts.DAVPath = "/dav/"
	}
	if opts.ChannelRenewBefore <= 0 {
		opts.ChannelRenewBefore = 24 * time.Hour
	}
	opts.Limits.defaults()
	s := &Service{store: st, box: box, log: opts.Log, now: opts.Now, opts: opts, cache: newObjectCache(4096), rand: rand.Reader,
		wake: make(chan struct{}, 1)}
	tr := opts.Transport
	if tr == nil {
		tr = guardedTransport(opts.AllowPrivate)
	}
	s.http = &http.Client{Transport: tr, Timeout: opts.Limits.SyncTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
			}
			return nil
		}}
	return s
}

// Store returns the store the service works on.
func (s *Service) Store() store.Store { return s.store }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// DAVPath returns where the CalDAV server is mounted, e.g. "/dav/".
func (s *Service) DAVPath() string { return s.opts.DAVPath }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) newID(prefix string) (string, error) {
	var b [10]byte
	s.mu.Lock()
	_, err := io.ReadFull(s.rand, b[:])
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("calendar: random: %w", err)
	}
	return prefix + strings.ToLower(b32.EncodeToString(b[:])), nil
}

// BuiltinID is the ID of a user's built-in calendar.
func BuiltinID(userID string) string { return "bi_" + userID }

// builtin returns the user's built-in calendar, creating it on first use.
func (s *Service) builtin(ctx context.Context, st store.Store, accountID, userID string) (*store.Calendar, error) {
	id := BuiltinID(userID)
	c, err := st.Calendar(ctx, accountID, id)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("calendar: load built-in calendar: %w", err)
	}
	// A removed user's calendars were deleted with them: a late write (a
	// job cancelling their meetings) must not bring one back.
	if u, err := st.User(ctx, accountID, userID); err == nil && !u.Removed.IsZero() {
		return nil, errUserRemoved
	}
	now := s.now().UTC()
	c = &store.Calendar{ID: id, AccountID: accountID, UserID: userID, Kind: store.CalendarBuiltin, Name: "Convene",
		Created: now, Updated: now}
	if err := st.CreateCalendar(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("calendar: create built-in calendar: %w", err)
	}
	c, err = st.Calendar(ctx, accountID, id)
	if err != nil {
		return nil, fmt.Errorf("calendar: load built-in calendar: %w", err)
	}
	return c, nil
}

// Builtin returns a user's built-in calendar (created on first use); for
// the CalDAV server and the handlers, after their own checks.
func (s *Service) Builtin(ctx context.Context, accountID, userID string) (*store.Calendar, error) {
	return s.builtin(ctx, s.store, accountID, userID)
}

// target returns the user whose calendars p acts on: p's own, or, for an
// admin, any user of p's account. Anyone else gets NotFound, which does not
// tell whether the address is a user elsewhere.
func (s *Service) target(ctx context.Context, p account.Principal, email string) (*store.User, error) {
	// The answers do not repeat the address: it may be another
	// account's user.
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return nil, failure.New(failure.NotFound, "no such user in this account")
	}
	if norm != strings.ToLower(p.Email) && !p.IsAdmin() {
		return nil, failure.New(failure.Forbidden, "you may use your own calendars only; an admin of the account may use any user's")
	}
	u, err := s.store.UserByEmail(ctx, p.AccountID, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no such user in this account")
	}
	if err != nil {
		return nil, fmt.Errorf("calendar: load user %s: %w", norm, err)
	}
	return u, nil
}

// userZone returns the location of a user's time zone, UTC if unknown.
func userZone(u *store.User) *time.Location {
	if loc, err := recur.LoadLocation(u.TimeZone); err == nil {
		return loc // cached, unlike time.LoadLocation
	}
	return time.UTC
}
