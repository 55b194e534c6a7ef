package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/convene/convene/internal/calendar/davclient"
	"github.com/convene/convene/internal/redact"
	"github.com/convene/convene/internal/store"
)

// remoteState is what a source's sync remembers between runs.
type remoteState struct {
	// ICS feeds: the validators of the last answer (RFC 9110 §13) and
	// the problem its content had (kept across 304 answers).
	ETag           string `json:"etag,omitempty"`
	LastModified   string `json:"last_modified,omitempty"`
	ContentProblem string `json:"content_problem,omitempty"`
	// CalDAV accounts: each calendar's ctag and sync token.
	Collections []collectionState `json:"collections,omitempty"`
	// App calendars: the provider's cursor and working hours.
	App *appState `json:"app,omitempty"`
}

type collectionState struct {
	Path      string `json:"path"`
	CTag      string `json:"ctag,omitempty"`
	SyncToken string `json:"sync_token,omitempty"`
}

// statusError is an HTTP answer a sync did not expect.
type statusError struct {
	what string
	code int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.what, e.code, http.StatusText(e.code))
}

// errTooLarge: a remote answer is over Limits.MaxBytes.
var errTooLarge = errors.New("the answer is too large")

// limitTransport cuts every response body at max bytes: a source cannot
// make Convene read without end.
type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", errTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// syncSource fetches a source and brings its copy up to date.
func (s *Service) syncSource(ctx context.Context, c *store.Calendar) error {
	u, err := s.store.User(ctx, c.AccountID, c.UserID)
	if err != nil {
		return fmt.Errorf("load the source's user: %w", err)
	}
	var st remoteState
	if len(c.RemoteState) > 0 {
		json.Unmarshal(c.RemoteState, &st) // a bad memo only costs a full sync
	}
	if c.Kind == store.CalendarApp {
		// The channel is opened (or renewed) before the sync, so that a
		// change made while the sync runs is notified and synced next,
		// instead of waiting for the periodic sync.
		s.ensureChannel(ctx, c, u)
		err = s.syncApp(ctx, c, u, &st)
		if b, merr := json.Marshal(st); merr == nil {
			c.RemoteState = b
		}
		return err
	}
	password, err := s.box.Open(c.Secret, sealPlace(c.ID))
	if err != nil {
		return fmt.Errorf("the stored password cannot be opened (was the data key changed?): %w", err)
	}
	switch c.Kind {
	case store.CalendarICS:
		err = s.syncICS(ctx, c, u, password, &st)
	case store.CalendarCalDAV:
		err = s.syncCalDAV(ctx, c, u, password, &st)
	default:
		return fmt.Errorf("calendar %s is not a source", c.ID)
	}
	if b, merr := json.Marshal(st); merr == nil {
		c.RemoteState = b
	}
	return err
}

// syncICS fetches an ICS feed with a conditional GET (If-None-Match,
// If-Modified-Since: RFC 9110 §13.1) and replaces the source's events by
// the feed's.
func (s *Service) syncICS(ctx context.Context, c *store.Calendar, u *store.User, password string, st *remoteState) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	req.Header.Set("User-Agent", "Convene calendar sync")
	if c.Username != "" {
		req.SetBasicAuth(c.Username, password)
	}
	if st.ETag != "" {
		req.Header.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		req.Header.Set("If-Modified-Since", st.LastModified)
	}
	resp, err := s.limited().Do(req)
	if err != nil {
		return fmt.Errorf("fetch the feed: %w", redact.Error(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		if st.ContentProblem != "" {
			return errors.New(st.ContentProblem)
		}
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{what: "the feed", code: resp.StatusCode}
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the feed: %w", err)
	}
	st.ETag, st.LastModified, st.ContentProblem = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), ""
	cals, err := decodeAll(data)
	if err != nil {
		st.ContentProblem = "the feed is not iCalendar: " + reason(err)
		return errors.New(st.ContentProblem)
	}
	objs, skipped := splitCalendars(cals, u.Email, s.opts.Limits.MaxObjects)
	var bad []string
	for _, sk := range skipped {
		if sk.UID != "" {
			bad = append(bad, sk.UID+": "+sk.Reason)
		}
	}
	puts := make([]store.CalendarObject, 0, len(objs))
	for _, o := range objs {
		puts = append(puts, store.CalendarObject{Name: ObjectName(o.uid), UID: o.uid, ETag: etagOf(o.data), Data: o.data,
			Start: o.a.start, End: o.a.end, Busy: o.a.busy})
	}
	if err := s.applyRemote(ctx, c, puts, nil, func(string) bool { return true }); err != nil {
		return err
	}
	if len(bad) > 0 {
		// The policy: events whose times cannot be read make their user
		// busy until the feed is fixed.
		st.ContentProblem = fmt.Sprintf("%d event(s) of the feed cannot be read: %s", len(bad), strings.Join(bad[:min(len(bad), 3)], "; "))
		return errors.New(st.ContentProblem)
	}
	return nil
}

// limited returns the HTTP client of syncs, its answers cut at MaxBytes.
func (s *Service) limited() *http.Client {
	c := *s.http
	c.Transport = limitTransport{base: s.http.Transport, max: s.opts.Limits.MaxBytes}
	return &c
}

// applyRemote writes a sync's outcome into the source's copy in one
// transaction: puts (objects with Name, UID, ETag, RemoteETag, Data,
// bounds) and removals by name; when full is not nil, every stored object
// for which full(name) holds and that puts does not name is removed too.
// Objects whose ETag did not change are not rewritten.
func (s *Service) applyRemote(ctx context.Context, c *store.Calendar, puts []store.CalendarObject, removed []string, full func(name string) bool) error {
	return s.store.Tx(ctx, func(tx store.Store) error {
		existing, err := tx.CalendarObjects(ctx, c.AccountID, c.ID, false)
		if err != nil {
			return err
		}
		byName := make(map[string]*store.CalendarObject, len(existing))
		for i := range existing {
			byName[existing[i].Name] = &existing[i]
		}
		var seq int64
		bump := func() error {
			if seq != 0 {
				return nil
			}
			seq, err = tx.BumpCalendarSeq(ctx, c.AccountID, c.ID)
			return err
		}
		keep := make(map[string]bool, len(puts))
		total := len(existing)
		for i := range puts {
			o := &puts[i]
			keep[o.Name] = true
			cur := byName[o.Name]
			if cur != nil && cur.ETag == o.ETag && cur.RemoteETag == o.RemoteETag {
				continue
			}
			if cur == nil {
				total++
				if total > s.opts.Limits.MaxObjects {
					return fmt.Errorf("the source holds over %d events, the limit per calendar", s.opts.Limits.MaxObjects)
				}
			}
			if err := bump(); err != nil {
				return err
			}
			o.AccountID, o.CalendarID, o.Origin, o.Seq, o.Modified = c.AccountID, c.ID, store.OriginRemote, seq, s.now().UTC()
			if err := tx.PutCalendarObject(ctx, o); err != nil {
				return err
			}
		}
		gone := slices.Clone(removed)
		if full != nil {
			for _, e := range existing {
				if !keep[e.Name] && full(e.Name) {
					gone = append(gone, e.Name)
				}
			}
		}
		for _, name := range gone {
			if byName[name] == nil || keep[name] {
				continue
			}
			if err := bump(); err != nil {
				return err
			}
			if err := tx.DeleteCalendarObject(ctx, c.AccountID, c.ID, name, seq); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

// syncCalDAV brings the copy of a CalDAV account up to date: it finds the
// account's calendars, skips those whose ctag did not change, and asks the
// others what changed (sync-collection from the last token, or the ETag
// listing when the server has no sync tokens), then fetches only what
// changed.
func (s *Service) syncCalDAV(ctx context.Context, c *store.Calendar, u *store.User, password string, st *remoteState) error {
	cl, err := davclient.New(s.limited(), c.URL, c.Username, password)
	if err != nil {
		return err
	}
	cols, err := cl.Discover(ctx)
	if err != nil {
		return err
	}
	prev := map[string]collectionState{}
	for _, cs := range st.Collections {
		prev[cs.Path] = cs
	}
	existing, err := s.store.CalendarObjects(ctx, c.AccountID, c.ID, false)
	if err != nil {
		return err
	}
	remoteETag := make(map[string]string, len(existing))
	for _, o := range existing {
		remoteETag[o.Name] = o.RemoteETag
	}
	var next []collectionState
	for _, col := range cols {
		cs, err := s.syncCollection(ctx, cl, c, u, col.Path, prev[col.Path], remoteETag)
		if err != nil {
			return fmt.Errorf("calendar %s: %w", col.Path, err)
		}
		next = append(next, cs)
	}
	// Calendars that are gone take their events with them.
	inSome := func(name string) bool {
		for _, cs := range next {
			if strings.HasPrefix(name, strings.TrimSuffix(cs.Path, "/")+"/") {
				return true
			}
		}
		return false
	}
	if err := s.applyRemote(ctx, c, nil, nil, func(name string) bool { return !inSome(name) }); err != nil {
		return err
	}
	st.Collections = next
	return nil
}

// fetchBatch bounds the hrefs of one calendar-multiget.
const fetchBatch = 100

func (s *Service) syncCollection(ctx context.Context, cl *davclient.Client, c *store.Calendar, u *store.User, path string,
	prev collectionState, remoteETag map[string]string) (collectionState, error) {
	state, err := cl.State(ctx, path)
	if err != nil {
		return prev, err
	}
	cs := collectionState{Path: path, CTag: state.CTag, SyncToken: state.SyncToken}
	if prev.Path != "" && state.CTag != "" && state.CTag == prev.CTag {
		cs.SyncToken = prev.SyncToken
		return cs, nil // nothing changed (CalendarServer's ctag)
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	var changed []davclient.Member
	var removed []string
	full := true
	if state.SyncToken != "" {
		token := prev.SyncToken
		for range 100 { // RFC 6578 §3.6: follow truncated answers, boundedly
			ch, err := cl.Sync(ctx, path, token)
			if errors.Is(err, davclient.ErrInvalidSyncToken) {
				token, changed, removed = "", nil, nil
				continue
			}
			if err != nil {
				return prev, err
			}
			if prev.SyncToken != "" && token != "" {
				full = false
			}
			changed = append(changed, ch.Changed...)
			removed = append(removed, ch.Removed...)
			cs.SyncToken = ch.Token
			if !ch.More || ch.Token == "" || ch.Token == token {
				break
			}
			token = ch.Token
		}
	} else {
		if changed, err = cl.List(ctx, path); err != nil {
			return prev, err
		}
	}
	var need []string
	listed := make(map[string]string, len(changed))
	for _, m := range changed {
		listed[m.Path] = m.ETag
		if old, ok := remoteETag[m.Path]; !ok || old != m.ETag || m.ETag == "" {
			need = append(need, m.Path)
		}
	}
	var puts []store.CalendarObject
	for len(need) > 0 {
		n := min(len(need), fetchBatch)
		objs, err := cl.Get(ctx, path, need[:n])
		if err != nil {
			return prev, err
		}
		for _, o := range objs {
			puts = append(puts, s.remoteObject(o.Path, o.Data, firstNonEmpty(o.ETag, listed[o.Path]), u.Email))
		}
		need = need[n:]
	}
	var fullFn func(string) bool
	if full {
		fullFn = func(name string) bool {
			_, ok := listed[name]
			return strings.HasPrefix(name, prefix) && !ok
		}
	}
	if err := s.applyRemote(ctx, c, puts, removed, fullFn); err != nil {
		return prev, err
	}
	for _, p := range puts {
		remoteETag[p.Name] = p.RemoteETag
	}
	return cs, nil
}

// remoteObject makes the stored copy of a fetched object. One whose times
// cannot be read is kept with bounds over all time: the busy-time query
// then reports it and counts its user busy (FailurePolicy), rather than
// the sync dropping it unseen.
func (s *Service) remoteObject(name string, data []byte, remoteETag, owner string) store.CalendarObject {
	o := store.CalendarObject{Name: name, ETag: etagOf(data), RemoteETag: remoteETag, Data: data}
	cal, err := decodeOne(data)
	var a *analysis
	if err == nil {
		cal.Props.Del("METHOD")
		a, err = analyze(cal, owner)
	}
	if err != nil {
		o.UID, o.Start, o.End, o.Busy = "", farPast, farFuture, store.BusyExpand
		if cal != nil {
			for _, ch := range cal.Children {
				if uid, e := ch.Props.Text("UID"); e == nil && uid != "" {
					o.UID = uid
					break
				}
			}
		}
		s.log.Warn("calendar source: unreadable event kept as busy", "source_object", redact.Path(name), "err", err)
		return o
	}
	o.UID, o.Start, o.End, o.Busy = a.uid, a.start, a.end, a.busy
	return o
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
