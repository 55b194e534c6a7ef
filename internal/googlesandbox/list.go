package googlesandbox

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxPageSize is Google's largest maxResults of events lists.
const maxPageSize = 2500

// listQuery is the parsed query of events.list and events.instances.
type listQuery struct {
	TimeMin, TimeMax time.Time
	SingleEvents     bool
	ShowDeleted      bool
	MaxResults       int
	OrderBy          string
	PageToken        string
	SyncToken        string
	Q                string
	ICalUID          string
	UpdatedMin       time.Time
	EventTypes       []string
	TimeZone         string
	// noSyncToken is set by parameters with which Google issues no
	// nextSyncToken.
	noSyncToken bool
}

// parseListQuery reads the query parameters of events.list (discovery
// document, events.list.parameters).
func parseListQuery(v url.Values, pageSize int) (*listQuery, *apiError) {
	q := &listQuery{MaxResults: pageSize, OrderBy: v.Get("orderBy"), PageToken: v.Get("pageToken"),
		SyncToken: v.Get("syncToken"), Q: v.Get("q"), ICalUID: v.Get("iCalUID"), TimeZone: v.Get("timeZone")}
	var e *apiError
	parseTime := func(name string) time.Time {
		s := v.Get(name)
		if s == "" || e != nil {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			e = errInvalidParam(name, "Bad Request")
		}
		return t
	}
	parseBool := func(name string) bool {
		s := v.Get(name)
		if s == "" || e != nil {
			return false
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			e = errInvalidParam(name, "Invalid boolean value: '"+s+"'.")
		}
		return b
	}
	q.TimeMin, q.TimeMax, q.UpdatedMin = parseTime("timeMin"), parseTime("timeMax"), parseTime("updatedMin")
	q.SingleEvents, q.ShowDeleted = parseBool("singleEvents"), parseBool("showDeleted")
	if e != nil {
		return nil, e
	}
	if s := v.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, errInvalidParam("maxResults", "Invalid value '"+s+"'. Values must be within the range: [1, 2500]")
		}
		q.MaxResults = min(n, maxPageSize)
	}
	if q.TimeZone != "" {
		if _, err := time.LoadLocation(q.TimeZone); err != nil {
			return nil, errInvalidParam("timeZone", "Invalid time zone definition.")
		}
	}
	switch q.OrderBy {
	case "", "updated":
	case "startTime":
		if !q.SingleEvents {
			return nil, errBadRequest("The requested ordering is not available for the particular query.")
		}
	default:
		return nil, errInvalidParam("orderBy", "Invalid value for orderBy.")
	}
	for _, t := range v["eventTypes"] {
		if !slices.Contains(eventTypes, t) {
			return nil, errInvalidParam("eventTypes", "Invalid event type: "+t)
		}
		q.EventTypes = append(q.EventTypes, t)
	}
	if !q.TimeMin.IsZero() && !q.TimeMax.IsZero() && !q.TimeMax.After(q.TimeMin) {
		return nil, errTimeRangeEmpty()
	}
	incompatible := []string{"iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"}
	for _, name := range incompatible {
		if v.Has(name) {
			if q.SyncToken != "" {
				// Calendar guide, "Synchronize resources efficiently".
				return nil, errInvalidParam(name, "The sync token cannot be used with the parameter "+name+".")
			}
			if name != "timeMin" && name != "timeMax" {
				q.noSyncToken = true
			}
		}
	}
	return q, nil
}

// syncToken is what a nextSyncToken holds.
type syncToken struct {
	Calendar string `json:"c"`
	Epoch    int64  `json:"e"`
	Counter  int64  `json:"n"`
}

// pageToken is what a nextPageToken holds: the counter the first page saw
// (later pages show the calendar as it was then; later changes come with
// the sync token) and the sort key of the last item sent.
type pageToken struct {
	Query   string `json:"q"`
	Counter int64  `json:"n"`
	Seq     int64  `json:"s"`
	Start   int64  `json:"t"`
	Updated string `json:"u"`
	ID      string `json:"i"`
}

func encodeToken(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken reads a token made by encodeToken.
func decodeToken(s string, v any) bool {
	if len(s) > 4096 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// fingerprint ties a page token to its query.
func fingerprint(v url.Values) string {
	cp := url.Values{}
	for k, vs := range v {
		if k != "pageToken" && k != "maxResults" {
			cp[k] = vs
		}
	}
	return cp.Encode()
}

// item is one event of a listing and its sort keys.
type item struct {
	ev    *event
	seq   int64
	start time.Time
}

// listResult is a page of events.
type listResult struct {
	Items         []*event
	NextPageToken string
	NextSyncToken string
}

// listLocked lists the calendar's events for q (events.list), page by page.
func (s *Server) listLocked(cal *calendar, q *listQuery, raw url.Values) (*listResult, *apiError) {
	calTZ := s.timeZoneLocked(cal.ID)
	var pt pageToken
	counter := s.st.Counter
	if q.PageToken != "" {
		if !decodeToken(q.PageToken, &pt) || pt.Query != fingerprint(raw) || pt.Counter > s.st.Counter {
			return nil, errInvalidParam("pageToken", "Invalid page token value.")
		}
		counter = pt.Counter
	}
	var items []item
	if q.SyncToken != "" {
		var st syncToken
		if !decodeToken(q.SyncToken, &st) {
			return nil, errInvalidParam("syncToken", "Invalid sync token value.")
		}
		if st.Calendar != cal.ID || st.Epoch != cal.Epoch || st.Counter > s.st.Counter {
			return nil, errFullSyncRequired()
		}
		items = s.changedSinceLocked(cal, q, st.Counter, counter, calTZ)
	} else {
		items = s.fullListLocked(cal, q, counter, calTZ)
	}
	s.sortItems(items, q.OrderBy)
	if q.PageToken != "" {
		i, _ := slices.BinarySearchFunc(items, pt, func(it item, pt pageToken) int {
			return s.compareKey(it, pt, q.OrderBy)
		})
		// Skip the last item sent and anything before it.
		for i < len(items) && s.compareKey(items[i], pt, q.OrderBy) <= 0 {
			i++
		}
		items = items[i:]
	}
	res := &listResult{}
	if len(items) > q.MaxResults {
		last := items[q.MaxResults-1]
		res.NextPageToken = encodeToken(pageToken{Query: fingerprint(raw), Counter: counter, Seq: last.seq,
			Start: last.start.UnixNano(), Updated: last.ev.Updated, ID: last.ev.ID})
		items = items[:q.MaxResults]
	} else if !q.noSyncToken {
		res.NextSyncToken = encodeToken(syncToken{Calendar: cal.ID, Epoch: cal.Epoch, Counter: counter})
	}
	for _, it := range items {
		res.Items = append(res.Items, it.ev)
	}
	return res, nil
}

func (s *Server) sortItems(items []item, orderBy string) {
	slices.SortFunc(items, func(a, b item) int {
		return s.compareKey(a, pageToken{Seq: b.seq, Start: b.start.UnixNano(), Updated: b.ev.Updated, ID: b.ev.ID}, orderBy)
	})
}

// compareKey orders an item against a page token's key.
func (s *Server) compareKey(it item, k pageToken, orderBy string) int {
	switch orderBy {
	case "startTime":
		return cmp.Or(cmp.Compare(it.start.UnixNano(), k.Start), strings.Compare(it.ev.ID, k.ID))
	case "updated":
		return cmp.Or(strings.Compare(it.ev.Updated, k.Updated), strings.Compare(it.ev.ID, k.ID))
	}
	return cmp.Or(cmp.Compare(it.seq, k.Seq), strings.Compare(it.ev.ID, k.ID))
}

// matches applies the filters other than the window.
func (q *listQuery) matches(ev *event) bool {
	if len(q.EventTypes) > 0 && !slices.Contains(q.EventTypes, cmp.Or(ev.EventType, "default")) {
		return false
	}
	if q.ICalUID != "" && ev.ICalUID != q.ICalUID {
		return false
	}
	if !q.UpdatedMin.IsZero() {
		if u, err := time.Parse(time.RFC3339Nano, ev.Updated); err == nil && u.Before(q.UpdatedMin) {
			return false
		}
	}
	if q.Q != "" {
		text := strings.ToLower(ev.Summary + " " + ev.Description + " " + ev.Location)
		for _, a := range ev.Attendees {
			text += " " + strings.ToLower(a.Email+" "+a.DisplayName)
		}
		for _, w := range strings.Fields(strings.ToLower(q.Q)) {
			if !strings.Contains(text, w) {
				return false
			}
		}
	}
	return true
}

// window is the listing's time window, open ends made finite.
func (q *listQuery) window(now time.Time) (time.Time, time.Time) {
	from, to := q.TimeMin, q.TimeMax
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = later(now, from).Add(expansionHorizon)
	}
	return from, to
}

// overlaps reports whether [start, end) meets the query's window (timeMin
// bounds the end, timeMax the start, both exclusive).
func (q *listQuery) overlaps(start, end time.Time) bool {
	if !q.TimeMin.IsZero() && !end.After(q.TimeMin) {
		return false
	}
	if !q.TimeMax.IsZero() && !start.Before(q.TimeMax) {
		return false
	}
	return true
}

// fullListLocked is a listing without sync token over the records changed
// at or before counter.
func (s *Server) fullListLocked(cal *calendar, q *listQuery, counter int64, calTZ string) []item {
	var items []item
	from, to := q.window(s.now())
	for _, rec := range cal.Events {
		ev := rec.Event
		if rec.Seq > counter || !q.matches(ev) {
			continue
		}
		switch {
		case ev.RecurringEventID != "":
			// An exception. Cancelled instances are listed when singleEvents
			// and showDeleted are both false, or with showDeleted
			// (events.list, showDeleted).
			if ev.Status == "cancelled" && q.SingleEvents && !q.ShowDeleted {
				continue
			}
			start, end, ok := exceptionSpan(ev, calTZ)
			if !ok || !q.overlaps(start, end) {
				continue
			}
			shown := view(ev)
			if ev.Status == "cancelled" {
				shown = tombstone(ev)
			}
			items = append(items, item{ev: shown, seq: rec.Seq, start: start})
		case len(ev.Recurrence) > 0:
			if ev.Status == "cancelled" {
				if q.ShowDeleted && !q.SingleEvents {
					items = append(items, item{ev: tombstone(ev), seq: rec.Seq})
				}
				continue
			}
			sr, err := newSeries(ev, calTZ)
			if err != nil {
				continue
			}
			if !q.SingleEvents {
				// The series is listed when one occurrence meets the window
				// (open ends stay open).
				lo, hi := q.TimeMin, q.TimeMax
				if hi.IsZero() {
					hi = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
				}
				if os, _ := sr.between(lo, hi, 1); len(os) > 0 || q.TimeMin.IsZero() && q.TimeMax.IsZero() {
					start, _, _ := ev.span(calTZ)
					items = append(items, item{ev: view(ev), seq: rec.Seq, start: start})
				}
				continue
			}
			starts, _ := sr.between(from, to, maxInstances)
			for _, o := range starts {
				if cal.Events[instanceID(ev.ID, o, sr.allDay)] != nil {
					continue // the exception is listed by its own times
				}
				items = append(items, item{ev: sr.instance(ev, o), seq: rec.Seq, start: o})
			}
		default:
			if ev.Status == "cancelled" && !q.ShowDeleted {
				continue
			}
			start, end, err := ev.span(calTZ)
			if err != nil || !q.overlaps(start, end) {
				continue
			}
			items = append(items, item{ev: view(ev), seq: rec.Seq, start: start})
		}
	}
	return items
}

// changedSinceLocked is a sync listing: every record changed after since
// and at or before counter, deleted ones as tombstones.
func (s *Server) changedSinceLocked(cal *calendar, q *listQuery, since, counter int64, calTZ string) []item {
	var items []item
	now := s.now()
	for _, rec := range cal.Events {
		ev := rec.Event
		if rec.Seq <= since || rec.Seq > counter || !q.matches(ev) {
			continue
		}
		start, _, _ := ev.span(calTZ)
		if ev.Status == "cancelled" {
			items = append(items, item{ev: tombstone(ev), seq: rec.Seq, start: start})
			continue
		}
		if len(ev.Recurrence) > 0 && q.SingleEvents {
			sr, err := newSeries(ev, calTZ)
			if err != nil {
				continue
			}
			starts, _ := sr.between(start, now.Add(expansionHorizon), maxInstances)
			for _, o := range starts {
				if cal.Events[instanceID(ev.ID, o, sr.allDay)] == nil {
					items = append(items, item{ev: sr.instance(ev, o), seq: rec.Seq, start: o})
				}
			}
			continue
		}
		items = append(items, item{ev: view(ev), seq: rec.Seq, start: start})
	}
	return items
}

// exceptionSpan is an exception's times; a cancelled one has its original
// start (and no end: one minute is assumed for the window).
func exceptionSpan(ev *event, calTZ string) (time.Time, time.Time, bool) {
	if ev.Start != nil && ev.End != nil {
		start, end, err := ev.span(calTZ)
		return start, end, err == nil
	}
	if ev.OriginalStartTime == nil {
		return time.Time{}, time.Time{}, false
	}
	t, err := ev.OriginalStartTime.instant(calTZ)
	return t, t.Add(time.Minute), err == nil
}

// view is the event as a listing shows it.
func view(ev *event) *event { return ev }

// tombstone is a deleted event as a listing shows it: Google guarantees
// only its id (and, for an instance, its series and original start).
func tombstone(ev *event) *event {
	return &event{Kind: "calendar#event", Etag: ev.Etag, ID: ev.ID, Status: "cancelled", Updated: ev.Updated,
		RecurringEventID: ev.RecurringEventID, OriginalStartTime: ev.OriginalStartTime}
}
