package davserver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav/caldav"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// report answers every REPORT itself: go-webdav v0.7.0 knows only
// calendar-query and calendar-multiget, ignores CALDAV:expand and the
// calendar-data options (RFC 4791 §9.6), matches recurring events through
// rrule-go (wrong in DST gaps, STYLE.md) and re-encodes every object it
// returns; here time ranges go through the stored bounds and
// internal/recur, and the stored octets go out as they are.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, rq *request) {
	body, ok := readXMLBody(w, r, "REPORT")
	if !ok {
		return
	}
	name, err := rootName(body)
	if err != nil {
		http.Error(w, "the REPORT body is not XML: "+err.Error(), http.StatusBadRequest)
		return
	}
	b := newBudget(r.Context(), h.Limits)
	decode := func(v any) error {
		if err := xml.Unmarshal(body, v); err != nil {
			return badf("the REPORT body is not a valid %s: %v", name.Local, err)
		}
		return nil
	}
	switch name {
	case xmlName(nsCalDAV, "calendar-query"):
		var q calendarQueryXML
		if err = decode(&q); err == nil {
			err = h.calendarQuery(w, r, rq, b, &q)
		}
	case xmlName(nsCalDAV, "calendar-multiget"):
		var q multigetXML
		if err = decode(&q); err == nil {
			err = h.multiget(w, r, rq, b, &q)
		}
	case xmlName(nsDAV, "sync-collection"):
		var q syncCollectionXML
		if err = decode(&q); err == nil {
			err = h.syncCollection(w, r, rq, b, &q)
		}
	case xmlName(nsCalDAV, "free-busy-query"):
		var q freeBusyQueryXML
		if err = decode(&q); err == nil {
			err = h.freeBusy(w, r, rq, b, &q)
		}
	default:
		// RFC 3253 §3.6: DAV:supported-report.
		writeError(w, http.StatusForbidden, xmlName(nsDAV, "supported-report"),
			fmt.Sprintf("REPORT %s is not supported here (calendar-query, calendar-multiget, sync-collection, free-busy-query are)", name.Local))
		return
	}
	var be *badRequest
	var ol *overLimit
	switch {
	case err == nil:
	case errors.As(err, &be):
		http.Error(w, be.msg, http.StatusBadRequest)
	case errors.As(err, &ol):
		// RFC 4791 §7.8 and §7.10: DAV:number-of-matches-within-limits.
		h.Log.Info("caldav: report refused over a limit", "report", name.Local, "user", rq.user.ID, "why", ol.msg)
		writeError(w, http.StatusForbidden, xmlName(nsDAV, "number-of-matches-within-limits"), ol.msg)
	case errors.Is(err, errNotCalendar):
		writeError(w, http.StatusForbidden, xmlName(nsDAV, "supported-report"), "this REPORT applies to "+h.calendarPath(rq.user))
	case r.Context().Err() != nil:
		// The client left: nobody reads an answer.
		h.Log.Debug("caldav: report abandoned by the client", "report", name.Local, "err", err)
	default:
		h.Log.Warn("caldav: report", "report", name.Local, "err", err)
		http.Error(w, "the report failed", http.StatusInternalServerError)
	}
}

type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

var errNotCalendar = errors.New("not the calendar collection")

// propRequest is what a REPORT asks of each object.
type propRequest struct {
	names      []xml.Name
	allprop    bool
	expand     bool
	expandFrom time.Time
	expandTo   time.Time
}

func newPropRequest(p *propXML, allprop *struct{}) (propRequest, error) {
	pr := propRequest{allprop: allprop != nil || p == nil}
	if p != nil {
		pr.names = p.names()
		if cd := p.CalendarData; cd != nil && cd.Expand != nil {
			from, to, err := cd.Expand.parse()
			if err != nil {
				return pr, badf("CALDAV:expand: %v", err)
			}
			pr.expand, pr.expandFrom, pr.expandTo = true, from, to
		}
	}
	return pr, nil
}

// expands reports whether the answer holds expanded calendar data.
func (pr propRequest) expands() bool {
	return pr.expand && (pr.allprop || slices.Contains(pr.names, nameCalendarData))
}

// objectProps returns the requested properties of o. Expanded calendar
// data is written when the answer is, by the value's write function,
// with the instances counted against b.
func (h *Handler) objectProps(rq *request, o *store.CalendarObject, pr propRequest, b *budget) ([]propValue, []xml.Name) {
	names := pr.names
	if pr.allprop {
		names = []xml.Name{nameGetETag, nameGetContentType, nameGetContentLength, nameGetLastModified, nameResourceType, nameCalendarData}
	}
	var found []propValue
	var missing []xml.Name
	for _, n := range names {
		switch n {
		case nameGetETag:
			found = append(found, propValue{name: n, text: []byte(`"` + o.ETag + `"`)})
		case nameGetContentType:
			found = append(found, propValue{name: n, text: []byte("text/calendar; charset=utf-8; component=VEVENT")})
		case nameGetContentLength:
			found = append(found, propValue{name: n, text: []byte(strconv.Itoa(len(o.Data)))})
		case nameGetLastModified:
			found = append(found, propValue{name: n, text: []byte(httpDate(o.Modified))})
		case nameResourceType:
			found = append(found, propValue{name: n, raw: ""})
		case nameCalendarData:
			if pr.expand {
				found = append(found, propValue{name: n, write: func(w io.Writer) error {
					return h.writeExpanded(w, rq, o, pr.expandFrom, pr.expandTo, b)
				}})
				continue
			}
			found = append(found, propValue{name: n, text: o.Data})
		default:
			missing = append(missing, n)
		}
	}
	return found, missing
}

// item is one response of a multistatus REPORT: an object's properties,
// or a status alone (obj nil).
type item struct {
	href string
	obj  *store.CalendarObject
	code int
}

// flushAt is the size at which a REPORT's answer goes out.
const flushAt = 64 << 10

// writeReport answers a multistatus of items. When it expands, it first
// measures the expansion against the budget, without keeping it, so that
// a REPORT over a limit is refused before any of it is written; the
// answer then goes out response by response, never whole in memory.
func (h *Handler) writeReport(w http.ResponseWriter, rq *request, b *budget, pr propRequest, items []item, tail func(*msWriter)) error {
	if pr.expands() {
		for _, it := range items {
			if it.obj == nil {
				continue
			}
			c := &counter{max: max(b.bytes, 0)}
			err := h.writeExpanded(c, rq, it.obj, pr.expandFrom, pr.expandTo, b)
			if err != nil && !errors.Is(err, errCounterFull) {
				return err
			}
			if err := b.spend(c.n); err != nil {
				return err
			}
		}
	}
	// The second pass spends the same again: a budget of its own.
	again := newBudget(b.ctx, b.lim)
	out := newMultistatus()
	out.stream = w
	fail := func(err error) error {
		if out.started {
			// Part of a 207 is out: cut the connection, so that the
			// client sees a broken answer rather than a short one.
			h.Log.Warn("caldav: report cut short", "user", rq.user.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
		return err
	}
	for _, it := range items {
		if err := b.ctx.Err(); err != nil {
			return fail(err)
		}
		if it.obj == nil {
			out.status(it.href, it.code)
			continue
		}
		found, missing := h.objectProps(rq, it.obj, pr, again)
		if err := out.response(it.href, found, missing); err != nil {
			return fail(err)
		}
		if err := out.flush(flushAt); err != nil {
			return fail(err)
		}
	}
	if tail != nil {
		tail(out)
	}
	out.finish(w)
	return nil
}

// calendarQuery answers CALDAV:calendar-query (RFC 4791 §7.8).
func (h *Handler) calendarQuery(w http.ResponseWriter, r *http.Request, rq *request, b *budget, q *calendarQueryXML) error {
	if !h.isCalendarPath(rq.user, r.URL.Path) {
		return errNotCalendar
	}
	pr, err := newPropRequest(q.Prop, q.AllProp)
	if err != nil {
		return err
	}
	pl, err := planQuery(q.Filter.Comp)
	if err != nil {
		return err
	}
	if pl.none {
		return h.writeReport(w, rq, b, pr, nil, nil)
	}
	st := h.Calendars.Store()
	var objs []store.CalendarObject
	if pl.ranged {
		objs, err = st.CalendarObjectsInRange(r.Context(), rq.user.AccountID, []string{rq.cal.ID}, pl.from, pl.to)
	} else {
		objs, err = st.CalendarObjects(r.Context(), rq.user.AccountID, rq.cal.ID, true)
	}
	if err != nil {
		return err
	}
	loc := zoneOf(rq.user)
	items := make([]item, 0, len(objs))
	for i := range objs {
		if err := r.Context().Err(); err != nil {
			return err
		}
		o := &objs[i]
		ok, err := h.matches(b, o, pl, loc)
		if err != nil {
			return err
		}
		if ok {
			items = append(items, item{href: h.calendarPath(rq.user) + o.Name, obj: o})
		}
	}
	return h.writeReport(w, rq, b, pr, items, nil)
}

// queryPlan is a calendar-query filter split into what the stored bounds
// and internal/recur answer (a time range on VEVENT) and the rest, which
// go-webdav's matcher answers on the parsed object.
type queryPlan struct {
	none     bool // the filter asks for components this calendar never holds
	ranged   bool
	from, to time.Time
	rest     *caldav.CompFilter // nil when nothing else is asked
}

func planQuery(top *compFilterXML) (queryPlan, error) {
	var pl queryPlan
	if top == nil {
		return pl, badf("CALDAV:filter needs a comp-filter for VCALENDAR (RFC 4791 §9.7)")
	}
	if !strings.EqualFold(top.Name, ical.CompCalendar) {
		return pl, badf("the top comp-filter must name VCALENDAR, not %q", top.Name)
	}
	if top.IsNotDefined != nil {
		pl.none = true
		return pl, nil
	}
	needRest := len(top.Props) > 0 || top.TimeRange != nil
	for i := range top.Comps {
		c := &top.Comps[i]
		switch strings.ToUpper(c.Name) {
		case ical.CompEvent:
			if c.IsNotDefined != nil {
				pl.none = true // every object here holds a VEVENT
				return pl, nil
			}
			if c.TimeRange != nil {
				from, to, err := c.TimeRange.parse()
				if err != nil {
					return pl, badf("time-range: %v", err)
				}
				if pl.ranged {
					from, to = maxT(from, pl.from), minT(to, pl.to)
				}
				pl.ranged, pl.from, pl.to = true, from, to
			}
			if len(c.Props) > 0 || len(c.Comps) > 0 {
				needRest = true
			}
		case ical.CompTimezone:
			needRest = true
		default:
			if c.IsNotDefined == nil {
				pl.none = true // no VTODO, VJOURNAL, VFREEBUSY here
				return pl, nil
			}
		}
	}
	if pl.ranged && !pl.to.After(pl.from) {
		pl.none = true
		return pl, nil
	}
	if needRest {
		cf := toCompFilter(top, true)
		pl.rest = &cf
	}
	return pl, nil
}

// toCompFilter converts a filter for go-webdav's matcher, leaving out the
// time ranges of VEVENT comp-filters (answered by matches) when dropTR.
func toCompFilter(c *compFilterXML, dropTR bool) caldav.CompFilter {
	cf := caldav.CompFilter{Name: strings.ToUpper(c.Name), IsNotDefined: c.IsNotDefined != nil}
	if c.TimeRange != nil && !(dropTR && strings.EqualFold(c.Name, ical.CompEvent)) {
		cf.Start, cf.End, _ = c.TimeRange.parse()
	}
	for _, p := range c.Props {
		pf := caldav.PropFilter{Name: strings.ToUpper(p.Name), IsNotDefined: p.IsNotDefined != nil}
		if p.TimeRange != nil {
			pf.Start, pf.End, _ = p.TimeRange.parse()
		}
		if p.TextMatch != nil {
			pf.TextMatch = &caldav.TextMatch{Text: p.TextMatch.Text, NegateCondition: p.TextMatch.NegateCondition == "yes"}
		}
		for _, pa := range p.Params {
			pp := caldav.ParamFilter{Name: strings.ToUpper(pa.Name), IsNotDefined: pa.IsNotDefined != nil}
			if pa.TextMatch != nil {
				pp.TextMatch = &caldav.TextMatch{Text: pa.TextMatch.Text, NegateCondition: pa.TextMatch.NegateCondition == "yes"}
			}
			pf.ParamFilter = append(pf.ParamFilter, pp)
		}
		cf.Props = append(cf.Props, pf)
	}
	for i := range c.Comps {
		cf.Comps = append(cf.Comps, toCompFilter(&c.Comps[i], dropTR))
	}
	return cf
}

// matches applies the parts of the plan the store's range query did not.
func (h *Handler) matches(b *budget, o *store.CalendarObject, pl queryPlan, loc *time.Location) (bool, error) {
	needExpand := pl.ranged && o.Busy != store.BusyExact // only single events have exact bounds
	if !needExpand && pl.rest == nil {
		return true, nil
	}
	cal, err := h.Calendars.Parsed(o.ETag, o.Data)
	if err != nil {
		return false, err
	}
	if needExpand {
		// RFC 4791 §9.9: a recurring component matches when any instance
		// overlaps the range; floating times are the user's.
		hit, err := b.overlaps(cal, pl.from, pl.to, recur.Options{Floating: loc, KeepCancelled: true})
		if err != nil || !hit {
			return false, err
		}
	}
	if pl.rest != nil {
		return caldav.Match(*pl.rest, &caldav.CalendarObject{Data: cal})
	}
	return true, nil
}

// writeExpanded writes o with its recurrence expanded in [from, to)
// (RFC 4791 §9.6.5): one VEVENT per instance, without RRULE, RDATE and
// EXDATE, with DTSTART, DTEND and RECURRENCE-ID in UTC (dates stay dates,
// floating times stay floating). The instances are counted against b; an
// object without any in the range goes out as stored. Each instance is
// encoded as it is made, so that no copy of the whole expansion is held.
func (h *Handler) writeExpanded(w io.Writer, rq *request, o *store.CalendarObject, from, to time.Time, b *budget) error {
	cal, err := h.Calendars.Parsed(o.ETag, o.Data)
	if err != nil {
		return err
	}
	insts, _, err := b.expand(cal, o.UID, from, to, recur.Options{Floating: zoneOf(rq.user), KeepCancelled: true}, false)
	if err != nil {
		return err
	}
	if len(insts) == 0 {
		_, err := w.Write(o.Data)
		return err
	}
	if _, err := io.WriteString(w, "BEGIN:VCALENDAR\r\nPRODID:-//Convene//Convene Calendar//EN\r\nVERSION:2.0\r\n"); err != nil {
		return err
	}
	enc := ical.NewEncoder(w)
	for _, in := range insts {
		src := in.Component
		recurring := src.Props.Get(ical.PropRecurrenceID) != nil || src.Props.Get(ical.PropRecurrenceRule) != nil ||
			src.Props.Get(ical.PropRecurrenceDates) != nil
		c := ical.NewComponent(ical.CompEvent)
		for name, props := range src.Props {
			switch name {
			case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE",
				ical.PropRecurrenceID, ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration:
				continue
			}
			c.Props[name] = props // read only: the encoder does not change them
		}
		c.Children = src.Children
		c.Props.Set(timeProp(ical.PropDateTimeStart, in.Start, in.AllDay, in.Floating))
		c.Props.Set(timeProp(ical.PropDateTimeEnd, in.End, in.AllDay, in.Floating))
		if recurring {
			c.Props.Set(timeProp(ical.PropRecurrenceID, in.RecurrenceID, in.AllDay, in.Floating))
		}
		// A lone VEVENT: go-ical's Encode writes the component it is
		// given, here without a VCALENDAR around it.
		if err := enc.Encode(&ical.Calendar{Component: c}); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "END:VCALENDAR\r\n")
	return err
}

// timeProp writes an instant as a DATE (all-day), a floating DATE-TIME
// (wall time) or a UTC DATE-TIME.
func timeProp(name string, t time.Time, allDay, floating bool) *ical.Prop {
	p := ical.NewProp(name)
	switch {
	case allDay:
		p.Params.Set(ical.ParamValue, "DATE")
		p.Value = t.Format("20060102")
	case floating:
		p.Value = t.Format("20060102T150405")
	default:
		p.Value = t.UTC().Format("20060102T150405Z")
	}
	return p
}

// multiget answers CALDAV:calendar-multiget (RFC 4791 §7.9).
func (h *Handler) multiget(w http.ResponseWriter, r *http.Request, rq *request, b *budget, q *multigetXML) error {
	pr, err := newPropRequest(q.Prop, q.AllProp)
	if err != nil {
		return err
	}
	type ref struct{ href, name string }
	refs := make([]ref, 0, len(q.Hrefs))
	var names []string
	for _, href := range q.Hrefs {
		href = strings.TrimSpace(href)
		p := href
		if u, err := url.Parse(href); err == nil {
			p = u.Path
		}
		name := h.objectName(rq.user, p)
		refs = append(refs, ref{href: p, name: name})
		if name != "" {
			names = append(names, name)
		}
	}
	objs, err := h.Calendars.Store().CalendarObjectsByName(r.Context(), rq.user.AccountID, rq.cal.ID, names)
	if err != nil {
		return err
	}
	byName := make(map[string]*store.CalendarObject, len(objs))
	for i := range objs {
		byName[objs[i].Name] = &objs[i]
	}
	items := make([]item, 0, len(refs))
	for _, rf := range refs {
		if o := byName[rf.name]; o != nil {
			items = append(items, item{href: h.calendarPath(rq.user) + o.Name, obj: o})
		} else {
			items = append(items, item{href: rf.href, code: http.StatusNotFound})
		}
	}
	return h.writeReport(w, rq, b, pr, items, nil)
}

// syncTokenPrefix makes sync tokens URIs (RFC 6578 §3.2); the number after
// it is the calendar's change sequence.
const syncTokenPrefix = "http://convene.dev/ns/sync/"

func syncToken(seq int64) string { return syncTokenPrefix + strconv.FormatInt(seq, 10) }

// syncCollection answers DAV:sync-collection (RFC 6578 §3) from the
// calendar's change log: the members changed since the token with the
// properties asked for, the members removed as 404, and a new token. A
// token that is not this server's, is ahead of it, or older than the
// pruned log gets 403 DAV:valid-sync-token, upon which clients sync from
// scratch (§3.2).
func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, rq *request, b *budget, q *syncCollectionXML) error {
	if !h.isCalendarPath(rq.user, r.URL.Path) {
		return errNotCalendar
	}
	if lvl := strings.TrimSpace(q.SyncLevel); lvl != "" && lvl != "1" {
		return badf("sync-level %q: the calendar has one level (1)", lvl)
	}
	pr, err := newPropRequest(q.Prop, nil)
	if err != nil {
		return err
	}
	st := h.Calendars.Store()
	// Read the sequence first: every change at or below it is committed
	// (writers of a calendar take turns on its row), and a change the
	// log shows beyond it is merely sent twice.
	cal, err := st.Calendar(r.Context(), rq.user.AccountID, rq.cal.ID)
	if err != nil {
		return err
	}
	var since int64
	initial := strings.TrimSpace(q.SyncToken) == ""
	if !initial {
		tok := strings.TrimSpace(q.SyncToken)
		n, err := strconv.ParseInt(strings.TrimPrefix(tok, syncTokenPrefix), 10, 64)
		if !strings.HasPrefix(tok, syncTokenPrefix) || err != nil || n < cal.SyncFloor || n > cal.SyncSeq {
			writeError(w, http.StatusForbidden, xmlName(nsDAV, "valid-sync-token"), "the sync token is unknown or too old; sync again without one")
			return nil
		}
		since = n
	}
	changes, err := st.CalendarChanges(r.Context(), rq.user.AccountID, rq.cal.ID, since)
	if err != nil {
		return err
	}
	if initial {
		changes = slices.DeleteFunc(changes, func(c store.CalendarChange) bool { return c.Deleted })
	}
	token := cal.SyncSeq
	truncated := false
	if q.Limit != nil && q.Limit.NResults > 0 && len(changes) > q.Limit.NResults {
		// RFC 6578 §3.6: answer part, with a token for the rest; the cut
		// falls between two sequence numbers so nothing is skipped.
		cut := q.Limit.NResults
		for cut > 0 && changes[cut-1].Seq == changes[cut].Seq {
			cut--
		}
		if cut > 0 {
			token = changes[cut-1].Seq
			changes = changes[:cut]
			truncated = true
		}
	}
	var names []string
	for _, c := range changes {
		if !c.Deleted {
			names = append(names, c.Name)
		}
	}
	objs, err := st.CalendarObjectsByName(r.Context(), rq.user.AccountID, rq.cal.ID, names)
	if err != nil {
		return err
	}
	byName := make(map[string]*store.CalendarObject, len(objs))
	for i := range objs {
		byName[objs[i].Name] = &objs[i]
	}
	base := h.calendarPath(rq.user)
	items := make([]item, 0, len(changes))
	for _, c := range changes {
		o := byName[c.Name]
		if c.Deleted || o == nil {
			if !initial {
				items = append(items, item{href: base + c.Name, code: http.StatusNotFound})
			}
			continue
		}
		items = append(items, item{href: base + o.Name, obj: o})
	}
	return h.writeReport(w, rq, b, pr, items, func(out *msWriter) {
		if truncated {
			// RFC 6578 §3.6: the rest is for the next request.
			out.statusError(base, http.StatusInsufficientStorage, xmlName(nsDAV, "number-of-matches-within-limits"))
		}
		out.syncToken(syncToken(token))
	})
}

// freeBusy answers CALDAV:free-busy-query (RFC 4791 §7.10), which
// go-webdav does not know: a VFREEBUSY of the calendar's busy time in the
// range, BUSY and BUSY-TENTATIVE periods in UTC; transparent, cancelled
// and declined events are free.
func (h *Handler) freeBusy(w http.ResponseWriter, r *http.Request, rq *request, b *budget, q *freeBusyQueryXML) error {
	if !h.isCalendarPath(rq.user, r.URL.Path) {
		return errNotCalendar
	}
	if q.TimeRange == nil {
		return badf("free-busy-query needs a CALDAV:time-range (RFC 4791 §9.10)")
	}
	from, to, err := q.TimeRange.parse()
	if err != nil {
		return badf("time-range: %v", err)
	}
	objs, err := h.Calendars.Store().CalendarObjectsInRange(r.Context(), rq.user.AccountID, []string{rq.cal.ID}, from, to)
	if err != nil {
		return err
	}
	var busy, tentative []availability.Interval
	loc := zoneOf(rq.user)
	for i := range objs {
		o := &objs[i]
		if o.Busy == store.BusyFree {
			continue
		}
		cal, err := h.Calendars.Parsed(o.ETag, o.Data)
		if err != nil {
			return err
		}
		insts, capped, err := b.expand(cal, o.UID, from, to, recur.Options{Floating: loc}, true)
		if err != nil {
			return err
		}
		if capped {
			// More instances than an object may expand to: a rule firing
			// every few seconds. What was expanded is busy, and so is the
			// rest of the range.
			busy = append(busy, availability.Interval{Start: maxT(insts[len(insts)-1].Start, from), End: to})
		}
		for _, in := range insts {
			if in.Transparent || calendar.DeclinedBy(in.Component, rq.user.Email) {
				continue
			}
			iv := availability.Interval{Start: maxT(in.Start, from), End: minT(in.End, to)}
			if in.Status == "TENTATIVE" {
				tentative = append(tentative, iv)
			} else {
				busy = append(busy, iv)
			}
		}
	}
	fb := ical.NewComponent(ical.CompFreeBusy)
	fb.Props.SetText(ical.PropUID, "freebusy-"+strconv.FormatInt(from.Unix(), 10)+"-"+rq.cal.ID)
	fb.Props.Set(timeProp(ical.PropDateTimeStamp, h.Calendars.Now(), false, false))
	fb.Props.Set(timeProp(ical.PropDateTimeStart, from, false, false))
	fb.Props.Set(timeProp(ical.PropDateTimeEnd, to, false, false))
	for _, kind := range []struct {
		fbtype string
		ivs    []availability.Interval
	}{{"BUSY", busy}, {"BUSY-TENTATIVE", tentative}} {
		for _, iv := range availability.NewBusy(kind.ivs).Intervals() {
			p := ical.NewProp(ical.PropFreeBusy)
			p.Params.Set(ical.ParamFreeBusyType, kind.fbtype)
			p.Value = iv.Start.Format("20060102T150405Z") + "/" + iv.End.Format("20060102T150405Z")
			fb.Props.Add(p)
		}
	}
	out := ical.NewCalendar()
	out.Props.SetText(ical.PropProductID, "-//Convene//Convene Calendar//EN")
	out.Props.SetText(ical.PropVersion, "2.0")
	out.Children = []*ical.Component{fb}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(out); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

func zoneOf(u *store.User) *time.Location {
	if loc, err := recur.LoadLocation(u.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

func minT(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxT(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
