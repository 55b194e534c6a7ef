package graphsandbox

import (
	"net/http"
	"slices"
	"time"
)

// page is the rest of a delta answer behind a $skiptoken.
type page struct {
	userID string
	items  []map[string]any
	delta  string // the deltaLink's token, sent with the last page
	epoch  int64
	size   int
}

// window reads startDateTime and endDateTime, required and bounded by
// MaxWindow.
func window(r *http.Request) (from, to time.Time, gerr *graphError) {
	q := r.URL.Query()
	fs, ts := q.Get("startDateTime"), q.Get("endDateTime")
	if fs == "" || ts == "" {
		return from, to, errGraph(http.StatusBadRequest, "ErrorInvalidParameter",
			"This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
	}
	var ok1, ok2 bool
	from, ok1 = parseDateTimeOffset(fs)
	to, ok2 = parseDateTimeOffset(ts)
	switch {
	case !ok1 || !ok2:
		return from, to, errGraph(http.StatusBadRequest, "ErrorInvalidParameter", "The value of StartDateTime or EndDateTime is not a valid date and time.")
	case !to.After(from):
		return from, to, errGraph(http.StatusBadRequest, "ErrorInvalidParameter", "The EndDateTime must be later than the StartDateTime.")
	case to.Sub(from) > MaxWindow:
		return from, to, errGraph(http.StatusBadRequest, "ErrorInvalidParameter", "The time window is longer than the sandbox's bound (MaxWindow, five years).")
	}
	return from, to, nil
}

// userInstances are u's instances in [from, to), ordered by start, bounded
// by MaxInstances. Called with s.mu held.
func (s *Server) userInstances(u *user, from, to time.Time, only func(*event) bool) ([]instance, *graphError) {
	var out []instance
	for _, e := range s.st.Events {
		if e.UserID != u.ID || only != nil && !only(e) {
			continue
		}
		ins, ok := e.instances(from, to, MaxInstances-len(out))
		if !ok {
			return nil, errGraph(http.StatusBadRequest, "ErrorInvalidParameter", "The time window holds more instances than the sandbox's bound (MaxInstances); ask for a smaller one.")
		}
		out = append(out, ins...)
	}
	slices.SortFunc(out, func(a, b instance) int {
		if c := a.f.Start.Compare(b.f.Start); c != 0 {
			return c
		}
		if a.ev.ID != b.ev.ID {
			if a.ev.ID < b.ev.ID {
				return -1
			}
			return 1
		}
		if a.date < b.date {
			return -1
		}
		if a.date > b.date {
			return 1
		}
		return 0
	})
	return out, nil
}

// handleCalendarView is GET /users/{id}/calendarView: instances in the
// window, paged with $top and $skip.
func (s *Server) handleCalendarView(r *http.Request, c *call) (any, *graphError) {
	from, to, gerr := window(r)
	if gerr != nil {
		return nil, gerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	ins, gerr := s.userInstances(u, from, to, nil)
	if gerr != nil {
		return nil, gerr
	}
	items := make([]map[string]any, 0, len(ins))
	for _, in := range ins {
		items = append(items, s.render(in, c))
	}
	return s.pageBySkip(r, c, items, "/v1.0/$metadata#users('"+u.ID+"')/calendarView")
}

// handleInstances is GET /users/{id}/events/{id}/instances: the
// occurrences and exceptions of one series master in the window
// (startDateTime and endDateTime, both required), by start, paged like
// calendarView. An event that is not a series has no instances to list:
// Graph answers it with an empty collection.
func (s *Server) handleInstances(r *http.Request, c *call) (any, *graphError) {
	from, to, gerr := window(r)
	if gerr != nil {
		return nil, gerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		return nil, gerr
	}
	items := []map[string]any{}
	if date == "" && e.Recurrence != nil {
		ins, gerr := s.userInstances(u, from, to, func(x *event) bool { return x == e })
		if gerr != nil {
			return nil, gerr
		}
		for _, in := range ins {
			items = append(items, s.render(in, c))
		}
	}
	return s.pageBySkip(r, c, items, "/v1.0/$metadata#users('"+u.ID+"')/events('"+e.ID+"')/instances")
}

// handleDelta is GET /users/{id}/calendarView/delta: with a window, every
// instance in it; with $deltatoken, what changed since; with $skiptoken,
// the next page. The last page carries @odata.deltaLink.
func (s *Server) handleDelta(r *http.Request, c *call) (any, *graphError) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	gone := errGraph(http.StatusGone, "syncStateNotFound", "The sync state generation is not found or has expired. Restart the synchronization without a token.")
	context := "/v1.0/$metadata#Collection(event)"
	if tok := q.Get("$skiptoken"); tok != "" {
		p := s.pages[tok]
		if p == nil || p.epoch != s.st.Epoch || p.userID != u.ID {
			return nil, gone
		}
		return s.deltaPage(u, p, context), nil
	}
	var items []map[string]any
	var ds *deltaState
	if tok := q.Get("$deltatoken"); tok != "" {
		old := s.st.Deltas[tok]
		if old == nil || old.Epoch != s.st.Epoch || old.UserID != u.ID {
			return nil, gone
		}
		var gerr *graphError
		if items, gerr = s.deltaChanges(u, old, c); gerr != nil {
			return nil, gerr
		}
		ds = &deltaState{UserID: u.ID, Start: old.Start, End: old.End, Immutable: c.immutable}
	} else {
		from, to, gerr := window(r)
		if gerr != nil {
			return nil, gerr
		}
		ins, gerr := s.userInstances(u, from, to, nil)
		if gerr != nil {
			return nil, gerr
		}
		for _, in := range ins {
			items = append(items, s.render(in, c))
		}
		ds = &deltaState{UserID: u.ID, Start: from, End: to, Immutable: c.immutable}
	}
	ds.Seq, ds.Epoch = s.st.Seq, s.st.Epoch
	dt := s.rnd.opaque()
	s.st.Deltas[dt] = ds
	s.pruneDeltas()
	s.changed()
	p := &page{userID: u.ID, items: items, delta: dt, epoch: s.st.Epoch, size: c.maxPage}
	return s.deltaPage(u, p, context), nil
}

// deltaChanges are the instances of events changed since old, and
// @removed entries for deleted events and cancelled occurrences. Called
// with s.mu held.
func (s *Server) deltaChanges(u *user, old *deltaState, c *call) ([]map[string]any, *graphError) {
	ins, gerr := s.userInstances(u, old.Start, old.End, func(e *event) bool { return e.Seq > old.Seq })
	if gerr != nil {
		return nil, gerr
	}
	var items []map[string]any
	seen := map[string]bool{}
	for _, in := range ins {
		items = append(items, s.render(in, c))
		seen[in.ev.ID] = true
	}
	removed := func(id string) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph.event", "id": id, "@removed": map[string]string{"reason": "deleted"}}
	}
	for _, e := range s.st.Events {
		if e.UserID != u.ID || e.Seq <= old.Seq {
			continue
		}
		id := idOf(e, c.immutable)
		if !seen[e.ID] && e.Recurrence == nil {
			// Moved out of the window: gone from the client's view.
			items = append(items, removed(id))
		}
		for d := range e.Cancelled {
			items = append(items, removed(occurrenceID(id, d)))
		}
	}
	for _, t := range s.st.Removed {
		if t.UserID == u.ID && t.Seq > old.Seq {
			id := t.RegularID
			if c.immutable {
				id = t.ID
			}
			items = append(items, removed(id))
		}
	}
	return items, nil
}

// deltaPage answers p's first page; the rest stays behind a skip token.
// Called with s.mu held.
func (s *Server) deltaPage(u *user, p *page, context string) map[string]any {
	n := min(p.size, len(p.items))
	out := map[string]any{"@odata.context": s.opts.BaseURL + context, "value": nonNil(p.items[:n])}
	base := s.opts.BaseURL + "/v1.0/users/" + u.ID + "/calendarView/delta?"
	if n < len(p.items) {
		rest := &page{userID: p.userID, items: p.items[n:], delta: p.delta, epoch: p.epoch, size: p.size}
		tok := s.rnd.opaque()
		s.pages[tok] = rest
		s.pageOrder = append(s.pageOrder, tok)
		for len(s.pageOrder) > maxCursors {
			delete(s.pages, s.pageOrder[0])
			s.pageOrder = s.pageOrder[1:]
		}
		out["@odata.nextLink"] = base + "$skiptoken=" + tok
	} else {
		out["@odata.deltaLink"] = base + "$deltatoken=" + p.delta
	}
	return out
}

func nonNil(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

// pruneDeltas keeps the newest maxCursors delta tokens. Called with s.mu
// held.
func (s *Server) pruneDeltas() {
	for len(s.st.Deltas) > maxCursors {
		var oldK string
		var oldS int64 = -1
		for k, d := range s.st.Deltas {
			if oldS < 0 || d.Seq < oldS {
				oldK, oldS = k, d.Seq
			}
		}
		delete(s.st.Deltas, oldK)
	}
}
