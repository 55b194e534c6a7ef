package davserver

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// backend is the go-webdav caldav.Backend of the built-in calendars: the
// user of each request comes from the handler, through the context.
type backend struct {
	h *Handler
}

var _ caldav.Backend = (*backend)(nil)

func xmlName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

func (b *backend) req(ctx context.Context) (*request, error) {
	rq := reqOf(ctx)
	if rq == nil {
		return nil, webdav.NewHTTPError(http.StatusUnauthorized, errors.New("caldav: no user"))
	}
	return rq, nil
}

// CurrentUserPrincipal implements webdav.UserPrincipalBackend (RFC 5397).
func (b *backend) CurrentUserPrincipal(ctx context.Context) (string, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return "", err
	}
	return b.h.principalPath(rq.user), nil
}

// CalendarHomeSetPath implements caldav.Backend (RFC 4791 §6.2.1).
func (b *backend) CalendarHomeSetPath(ctx context.Context) (string, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return "", err
	}
	return b.h.homePath(rq.user), nil
}

func (b *backend) calendarOf(rq *request) caldav.Calendar {
	return caldav.Calendar{
		Path:                  b.h.calendarPath(rq.user),
		Name:                  "Convene",
		Description:           "Meetings booked by Convene and imported events of " + rq.user.Email,
		MaxResourceSize:       b.h.Calendars.Limits().MaxObjectBytes,
		SupportedComponentSet: []string{ical.CompEvent},
	}
}

// CreateCalendar implements caldav.Backend: each user has one calendar.
func (b *backend) CreateCalendar(ctx context.Context, cal *caldav.Calendar) error {
	return webdav.NewHTTPError(http.StatusForbidden, errors.New("caldav: each user has one calendar, at calendars/default/"))
}

// ListCalendars implements caldav.Backend.
func (b *backend) ListCalendars(ctx context.Context) ([]caldav.Calendar, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return nil, err
	}
	return []caldav.Calendar{b.calendarOf(rq)}, nil
}

// GetCalendar implements caldav.Backend.
func (b *backend) GetCalendar(ctx context.Context, p string) (*caldav.Calendar, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return nil, err
	}
	if !b.h.isCalendarPath(rq.user, p) {
		return nil, webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("caldav: no calendar at %s", p))
	}
	c := b.calendarOf(rq)
	return &c, nil
}

// toDAV converts a stored object; data is parsed only when withData.
func (b *backend) toDAV(rq *request, o *store.CalendarObject, withData bool) (*caldav.CalendarObject, error) {
	co := &caldav.CalendarObject{
		Path:          b.h.calendarPath(rq.user) + o.Name,
		ModTime:       o.Modified,
		ContentLength: int64(len(o.Data)),
		ETag:          o.ETag,
	}
	if withData {
		cal, err := calendar.Decode(o.Data)
		if err != nil {
			return nil, fmt.Errorf("caldav: stored object %s: %w", o.Name, err)
		}
		co.Data = cal
	}
	return co, nil
}

// GetCalendarObject implements caldav.Backend (PROPFIND and OPTIONS of an
// object; GET is answered by the handler).
func (b *backend) GetCalendarObject(ctx context.Context, p string, req *caldav.CalendarCompRequest) (*caldav.CalendarObject, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return nil, err
	}
	name := b.h.objectName(rq.user, p)
	if name == "" {
		return nil, webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("caldav: no object at %s", p))
	}
	o, err := b.h.Calendars.Store().CalendarObject(ctx, rq.user.AccountID, rq.cal.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("caldav: no object at %s", p))
	}
	if err != nil {
		return nil, err
	}
	return b.toDAV(rq, o, true)
}

// ListCalendarObjects implements caldav.Backend (PROPFIND Depth: 1 of the
// calendar): without data unless the PROPFIND asks for it.
func (b *backend) ListCalendarObjects(ctx context.Context, p string, req *caldav.CalendarCompRequest) ([]caldav.CalendarObject, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := b.h.Calendars.Store().CalendarObjects(ctx, rq.user.AccountID, rq.cal.ID, rq.wantData)
	if err != nil {
		return nil, err
	}
	out := make([]caldav.CalendarObject, 0, len(objs))
	for i := range objs {
		co, err := b.toDAV(rq, &objs[i], rq.wantData)
		if err != nil {
			return nil, err
		}
		if !rq.wantData {
			co.ContentLength = 0 // not loaded; go-webdav then leaves it out
		}
		out = append(out, *co)
	}
	return out, nil
}

// QueryCalendarObjects implements caldav.Backend. The handler answers
// every REPORT itself (report.go), so go-webdav never calls it.
func (b *backend) QueryCalendarObjects(ctx context.Context, p string, query *caldav.CalendarQuery) ([]caldav.CalendarObject, error) {
	return nil, webdav.NewHTTPError(http.StatusNotImplemented, errors.New("caldav: calendar-query is answered by the REPORT handler"))
}

// PutCalendarObject implements caldav.Backend (RFC 4791 §5.3.2).
func (b *backend) PutCalendarObject(ctx context.Context, p string, cal *ical.Calendar, opts *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	rq, err := b.req(ctx)
	if err != nil {
		return nil, err
	}
	name := b.h.objectName(rq.user, p)
	if name == "" {
		return nil, webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("caldav: objects go in %s", b.h.calendarPath(rq.user)))
	}
	cond := calendar.Conditions{IfMatch: string(opts.IfMatch), IfNoneMatch: string(opts.IfNoneMatch)}
	o, _, err := b.h.Calendars.PutClientObject(ctx, rq.user, name, rq.raw, cal, cond)
	switch {
	case errors.Is(err, calendar.ErrPrecondition):
		return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, err)
	case errors.Is(err, calendar.ErrObjectTooLarge):
		// RFC 4791 §5.3.2.1: CALDAV:max-resource-size.
		rq.refusal = &refusal{http.StatusForbidden, xmlName(nsCalDAV, "max-resource-size"), detailOf(err)}
		return nil, webdav.NewHTTPError(http.StatusForbidden, err)
	case errors.Is(err, calendar.ErrQuotaExceeded):
		// RFC 4331 §6: DAV:quota-not-exceeded, 507 Insufficient Storage.
		rq.refusal = &refusal{http.StatusInsufficientStorage, xmlName(nsDAV, "quota-not-exceeded"), detailOf(err)}
		return nil, webdav.NewHTTPError(http.StatusInsufficientStorage, err)
	case errors.Is(err, calendar.ErrTooDenseEvent):
		// RFC 4791 §5.3.2.1: CALDAV:max-instances; the event repeats more
		// often than a stored event may (calendar.MaxDailyInstances).
		rq.refusal = &refusal{http.StatusForbidden, xmlName(nsCalDAV, "max-instances"), detailOf(err)}
		return nil, webdav.NewHTTPError(http.StatusForbidden, err)
	case errors.Is(err, calendar.ErrUIDConflict):
		// RFC 4791 §5.3.2.1: CALDAV:no-uid-conflict.
		return nil, caldav.NewPreconditionError(caldav.PreconditionNoUIDConflict)
	case errors.Is(err, calendar.ErrInvalidObject):
		b.h.Log.Debug("caldav: refused object", "name", name, "err", err)
		if strings.Contains(err.Error(), "events (VEVENT) only") {
			return nil, caldav.NewPreconditionError(caldav.PreconditionSupportedCalendarComponent)
		}
		return nil, caldav.NewPreconditionError(caldav.PreconditionValidCalendarObjectResource)
	case err != nil:
		return nil, err
	}
	return b.toDAV(rq, o, false)
}

// DeleteCalendarObject implements caldav.Backend, with the If-Match the
// handler kept (go-webdav does not pass it on).
func (b *backend) DeleteCalendarObject(ctx context.Context, p string) error {
	rq, err := b.req(ctx)
	if err != nil {
		return err
	}
	name := b.h.objectName(rq.user, p)
	if name == "" {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("caldav: only calendar objects can be deleted"))
	}
	err = b.h.Calendars.DeleteClientObject(ctx, rq.user, name, rq.ifMatch)
	switch {
	case errors.Is(err, calendar.ErrPrecondition):
		return webdav.NewHTTPError(http.StatusPreconditionFailed, err)
	case errors.Is(err, calendar.ErrNoObject):
		return webdav.NewHTTPError(http.StatusNotFound, err)
	}
	return err
}

// detailOf returns what a failure says to the client.
func detailOf(err error) string {
	if fe, ok := failure.As(err); ok {
		return fe.Detail
	}
	return err.Error()
}
