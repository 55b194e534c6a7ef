package calendar

import (
	"context"
	"errors"
	"fmt"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Defaults of the limits on what users store in their built-in calendars
// (Limits.MaxObjectBytes, MaxUserObjects, MaxUserBytes). An event with a
// long description is a few kilobytes; a busy calendar of ten years holds
// a few thousand events.
const (
	DefaultMaxObjectBytes = 1 << 20
	DefaultMaxUserObjects = 10_000
	DefaultMaxUserBytes   = 50 << 20
)

// Typed causes of the failures of writes over a limit, for the CalDAV
// server to answer with the right condition; the failures themselves are
// *failure.Error of kind TooLarge (the API answers 413).
var (
	// ErrObjectTooLarge: one event is over Limits.MaxObjectBytes
	// (RFC 4791 §5.3.2.1, CALDAV:max-resource-size).
	ErrObjectTooLarge = errors.New("calendar object too large")
	// ErrQuotaExceeded: a write would take a user's built-in calendar over
	// Limits.MaxUserObjects or MaxUserBytes (RFC 4331 §6,
	// DAV:quota-not-exceeded).
	ErrQuotaExceeded = errors.New("calendar quota exceeded")
)

// Limits returns the limits the service applies.
func (s *Service) Limits() Limits { return s.opts.Limits }

// checkObjectSize refuses an event (uid, when known) of size bytes over
// the per-object limit.
func (s *Service) checkObjectSize(uid string, size int) error {
	max := s.opts.Limits.MaxObjectBytes
	if int64(size) <= max {
		return nil
	}
	what := "the event"
	if uid != "" {
		what = fmt.Sprintf("event %q", uid)
	}
	return failure.New(failure.TooLarge, "%s is %s, over the limit of %s per event; leave out large attachments and descriptions",
		what, sizeText(int64(size)), sizeText(max)).With("limit", "max_event_bytes").With("max", max).Wrap(ErrObjectTooLarge)
}

// Usage is what a user's built-in calendar holds against its quota.
type Usage struct {
	Objects, MaxObjects int
	Bytes, MaxBytes     int64
}

// Usage returns the quota and usage of u's built-in calendar (CalDAV's
// DAV:quota-used-bytes and DAV:quota-available-bytes, RFC 4331).
func (s *Service) Usage(ctx context.Context, u *store.User) (Usage, error) {
	use, err := s.store.CalendarUsage(ctx, u.AccountID, BuiltinID(u.ID))
	if err != nil {
		return Usage{}, fmt.Errorf("calendar: usage of %s: %w", u.Email, err)
	}
	return Usage{Objects: use.Objects, MaxObjects: s.opts.Limits.MaxUserObjects, Bytes: use.Bytes, MaxBytes: s.opts.Limits.MaxUserBytes}, nil
}

// checkGrowth refuses, inside the transaction of a write, a change of a
// built-in calendar from before to after that grows it past the user's
// quota. A change that does not grow the calendar passes, so that a user
// over quota (booked meetings are written whatever the quota) can still
// edit and delete.
func (s *Service) checkGrowth(before, after store.CalendarUsage) error {
	l := s.opts.Limits
	if after.Objects > l.MaxUserObjects && after.Objects > before.Objects {
		return failure.New(failure.TooLarge, "the calendar would hold %d events, over the limit of %d per user; remove old events first",
			after.Objects, l.MaxUserObjects).With("limit", "max_user_events").With("max", l.MaxUserObjects).Wrap(ErrQuotaExceeded)
	}
	if after.Bytes > l.MaxUserBytes && after.Bytes > before.Bytes {
		return failure.New(failure.TooLarge, "the calendar would hold %s, over the limit of %s per user; remove old events first",
			sizeText(after.Bytes), sizeText(l.MaxUserBytes)).With("limit", "max_user_bytes").With("max", l.MaxUserBytes).Wrap(ErrQuotaExceeded)
	}
	return nil
}

// sizeText writes a size for people: bytes, KiB or MiB.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkImport refuses an import one of whose events is over the
// per-object limit: the whole import, rather than storing part of it.
func (s *Service) checkImport(objs []parsedObject) error {
	for _, o := range objs {
		if err := s.checkObjectSize(o.uid, len(o.data)); err != nil {
			return err
		}
	}
	return nil
}

// checkPut refuses, inside the transaction of a CalDAV PUT, an object of
// size bytes replacing cur (nil: a new one) that grows the calendar past
// the quota.
func (s *Service) checkPut(ctx context.Context, tx store.Store, accountID, calendarID string, cur *store.CalendarObject, size int) error {
	before, err := tx.CalendarUsage(ctx, accountID, calendarID)
	if err != nil {
		return err
	}
	after := before
	after.Bytes += int64(size)
	if cur == nil {
		after.Objects++
	} else {
		after.Bytes -= int64(len(cur.Data))
	}
	return s.checkGrowth(before, after)
}

// checkUsage refuses, at the end of the transaction of an import, a
// calendar grown past the quota since before.
func (s *Service) checkUsage(ctx context.Context, tx store.Store, accountID, calendarID string, before store.CalendarUsage) error {
	after, err := tx.CalendarUsage(ctx, accountID, calendarID)
	if err != nil {
		return err
	}
	return s.checkGrowth(before, after)
}
