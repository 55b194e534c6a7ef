package calendar

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/calendar/radicaletest"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// feed is an ICS feed server whose answers a test controls.
type feed struct {
	mu        sync.Mutex
	body      string
	status    int
	delay     time.Duration
	requests  atomic.Int32
	notMod    atomic.Int32
	lastAuth  string
	etagCount int
}

func (f *feed) set(body string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.status = body, status
	f.etagCount++
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	body, status, delay := f.body, f.status, f.delay
	etag := fmt.Sprintf(`"v%d"`, f.etagCount)
	if u, p, ok := r.BasicAuth(); ok {
		f.lastAuth = u + ":" + p
	}
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if status != 200 {
		http.Error(w, "broken", status)
		return
	}
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		f.notMod.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "text/calendar")
	w.Write([]byte(body))
}

func TestICSFeedSource(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	admin := f.user("admin@acme.test", "UTC", store.RoleAdmin)
	fd := &feed{}
	fd.set(ics(vevent("f1", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"),
		vevent("f2", "DTSTART;TZID=Europe/Paris:20260303T090000", "DURATION:PT30M", "RRULE:FREQ=DAILY;COUNT=2")), 200)
	srv := httptest.NewServer(fd)
	defer srv.Close()
	ctx := context.Background()
	v, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "ics", URL: strings.Replace(srv.URL, "http://", "webcal://", 1),
		Username: "feeduser", Password: "s3cret-feed-password"})
	if failure.KindOf(err) != failure.Invalid && err == nil {
		// webcal:// is read as https://, which this plain server does not
		// speak: the source is added and failing.
		if v.Status != "failing" || !strings.Contains(v.URL, "https://") {
			t.Errorf("webcal source: %+v", v)
		}
	}
	v, err = f.svc.AddSource(ctx, principal(admin), ann.Email, SourceInput{Kind: "ics", URL: srv.URL + "/feed.ics",
		Username: "feeduser", Password: "s3cret-feed-password", Name: "Team feed"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "ok" || v.Events != 2 || v.Name != "Team feed" || v.LastSync == nil || fd.lastAuth != "feeduser:s3cret-feed-password" {
		t.Fatalf("added source: %+v (auth %q)", v, fd.lastAuth)
	}
	// The password is sealed at rest.
	c, _ := f.db.Calendar(ctx, "acc_1", v.ID)
	if strings.Contains(c.Secret, "s3cret") || c.Secret == "" {
		t.Errorf("stored secret %q", c.Secret)
	}
	from, to := mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-05T00:00:00Z")
	// The webcal source added first is failing: Ann is busy all along.
	busy, problems, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	if got := spans(busy[ann.ID]); got != "[03-02T00:00/03-05T00:00]" || len(problems) != 1 || !strings.Contains(problems[0].Problem, "HTTPS") {
		t.Errorf("busy %s, problems %+v", got, problems)
	}
	// Remove the failing one; then no problem.
	for _, cv := range mustCalendars(t, f, ann) {
		if cv.Status == "failing" {
			if err := f.svc.DeleteSource(ctx, principal(ann), ann.Email, cv.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	busy, problems, _ = f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	if got := spans(busy[ann.ID]); len(problems) != 0 || got != "[03-02T09:00/03-02T10:00 03-03T08:00/03-03T08:30 03-04T08:00/03-04T08:30]" {
		t.Errorf("after removing the failing source: %s %+v", spans(busy[ann.ID]), problems)
	}
	// A sync without change is a conditional GET answered 304.
	if _, err := f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); err != nil {
		t.Fatal(err)
	}
	if fd.notMod.Load() != 1 {
		t.Errorf("304 answers: %d, want 1", fd.notMod.Load())
	}
	// The feed changes: f1 moves, f2 goes.
	fd.set(ics(vevent("f1", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z")), 200)
	if v, err = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); err != nil || v.Events != 1 {
		t.Fatalf("after the change: %+v %v", v, err)
	}
	busy, _, _ = f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	if got := spans(busy[ann.ID]); got != "[03-02T14:00/03-02T15:00]" {
		t.Errorf("busy after the change: %s", got)
	}
	// The feed breaks: the policy makes Ann busy for the whole window,
	// and says why, in the list and in Busy.
	fd.set("", 500)
	v, err = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID)
	if err != nil || v.Status != "failing" || !strings.Contains(v.Problem, "500") || v.ProblemSince == nil {
		t.Fatalf("failing feed: %+v %v", v, err)
	}
	busy, problems, _ = f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	if got := spans(busy[ann.ID]); got != "[03-02T00:00/03-05T00:00]" || len(problems) != 1 ||
		problems[0].Email != ann.Email || !problems[0].BusyFrom.Equal(from) || problems[0].Host != "127.0.0.1" {
		t.Errorf("busy with a failing source: %s %+v", got, problems)
	}
	// Not iCalendar, and an unreadable event: failing too.
	fd.set("<html>login</html>", 200)
	if v, _ = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); v.Status != "failing" || !strings.Contains(v.Problem, "not iCalendar") {
		t.Errorf("HTML feed: %+v", v)
	}
	fd.set(ics(vevent("ok", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z"), vevent("bad", "DTSTART;TZID=Mars/Olympus:20260302T140000")), 200)
	if v, _ = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); v.Status != "failing" || !strings.Contains(v.Problem, "bad:") {
		t.Errorf("feed with an unreadable event: %+v", v)
	}
	// A 304 keeps that content problem.
	if v, _ = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); v.Status != "failing" {
		t.Errorf("304 cleared a content problem: %+v", v)
	}
	// Fixed: ok again.
	fd.set(ics(vevent("ok", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z")), 200)
	if v, _ = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); v.Status != "ok" || v.Problem != "" {
		t.Errorf("fixed feed: %+v", v)
	}
	// Another member may not see or change Ann's sources.
	bob := f.user("bob@acme.test", "UTC", store.RoleMember)
	if _, err := f.svc.Calendars(ctx, principal(bob), ann.Email); failure.KindOf(err) != failure.Forbidden {
		t.Errorf("Bob lists Ann's calendars: %v", err)
	}
	if err := f.svc.DeleteSource(ctx, principal(bob), bob.Email, v.ID); failure.KindOf(err) != failure.NotFound {
		t.Errorf("Bob deletes Ann's source as his own: %v", err)
	}
}

func mustCalendars(t *testing.T, f *fixture, u *store.User) []CalendarView {
	t.Helper()
	vs, err := f.svc.Calendars(context.Background(), principal(u), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestSourceLimits(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.svc.opts.Limits.MaxBytes = 4096
	f.svc.opts.Limits.SyncTimeout = 300 * time.Millisecond
	f.svc.http.Timeout = 300 * time.Millisecond
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	ctx := context.Background()
	big := &feed{}
	big.set(ics(vevent("big", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z", "DESCRIPTION:"+strings.Repeat("x", 5000))), 200)
	srv := httptest.NewServer(big)
	defer srv.Close()
	v, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "ics", URL: srv.URL})
	if err != nil || v.Status != "failing" || !strings.Contains(v.Problem, "too large") {
		t.Errorf("feed over the size limit: %+v %v", v, err)
	}
	slow := &feed{delay: 2 * time.Second}
	slow.set(ics(vevent("s", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z")), 200)
	srv2 := httptest.NewServer(slow)
	defer srv2.Close()
	start := time.Now()
	v, err = f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "ics", URL: srv2.URL})
	if err != nil || v.Status != "failing" || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("slow feed: %+v %v after %s", v, err, time.Since(start))
	}
	for _, in := range []SourceInput{
		{Kind: "exchange", URL: srv.URL},
		{Kind: "ics", URL: "ftp://example.com/x.ics"},
		{Kind: "ics", URL: "https://user:pw@example.com/x.ics"},
		{Kind: "caldav", URL: "not a url"},
	} {
		if _, err := f.svc.AddSource(ctx, principal(ann), ann.Email, in); failure.KindOf(err) != failure.Invalid {
			t.Errorf("%+v: %v, want Invalid", in, err)
		}
	}
}

// TestPrivateAddressesRefused: without the operator's permission, literal
// private addresses are refused when added, and host names are checked
// against the address they resolve to when connecting (so a name that
// resolves, or re-resolves, to a private address cannot get through).
func TestPrivateAddressesRefused(t *testing.T) {
	f := newFixture(t, "sqlite")
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := seal.New(key)
	guarded := New(f.db, box, Options{Now: func() time.Time { return f.now }})
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	fd := &feed{}
	fd.set(ics(vevent("x", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z")), 200)
	srv := httptest.NewServer(fd)
	defer srv.Close()
	ctx := context.Background()
	port := srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":")+1:]
	for _, u := range []string{srv.URL, "http://[::1]:" + port, "http://10.1.2.3/x.ics", "http://169.254.169.254/latest/meta-data", "http://localhost:" + port} {
		if _, err := guarded.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "ics", URL: u}); failure.KindOf(err) != failure.Invalid ||
			!strings.Contains(err.Error(), "CONVENE_ALLOW_PRIVATE_CALENDAR_URLS") {
			t.Errorf("%s: %v", u, err)
		}
	}
	// A host name resolving to loopback (as a rebinding name would) is
	// refused when connecting: a source stored with one fails to sync.
	src := &store.Calendar{ID: "src_rebind", AccountID: "acc_1", UserID: ann.ID, Kind: store.CalendarICS,
		URL: "http://localhost:" + port + "/x", Created: f.now, Updated: f.now}
	if err := f.db.CreateCalendar(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := guarded.Sync(ctx, src); err != nil {
		t.Fatal(err)
	}
	if src.Problem == "" || !strings.Contains(src.Problem, "refused") || !strings.Contains(src.Problem, "not a public address") {
		t.Errorf("a name of a loopback address: problem %q", src.Problem)
	}
	cl := &http.Client{Transport: guardedTransport(false)}
	_, err := cl.Get("http://localhost:" + port + "/")
	if !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("guarded transport to localhost: %v", err)
	}
	if fd.requests.Load() != 0 {
		t.Errorf("the feed got %d requests", fd.requests.Load())
	}
	for _, c := range []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.0.0.1", true}, {"172.16.5.4", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"100.64.0.1", true}, {"0.0.0.0", true}, {"::", true}, {"fe80::1", true},
		{"fc00::1", true}, {"::ffff:127.0.0.1", true}, {"64:ff9b::7f00:1", true}, {"224.0.0.1", true},
		{"8.8.8.8", false}, {"2606:4700::1111", false}, {"93.184.216.34", false},
	} {
		if got := blocked(netip.MustParseAddr(c.ip)); got != c.blocked {
			t.Errorf("blocked(%s) = %v", c.ip, got)
		}
	}
}

func TestSyncWorker(t *testing.T) {
	f := newFixture(t, "sqlite")
	events := f.withEvents(Options{})
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	fd := &feed{}
	fd.set(ics(vevent("w1", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z")), 200)
	srv := httptest.NewServer(fd)
	defer srv.Close()
	ctx := context.Background()
	v, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "ics", URL: srv.URL})
	if err != nil || v.Status != "ok" {
		t.Fatal(v, err)
	}
	fd.set(ics(vevent("w1", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z"), vevent("w2", "DTSTART:20260303T140000Z", "DTEND:20260303T150000Z")), 200)
	// Not due yet: nothing happens.
	if n := f.svc.SyncDue(ctx); n != 0 {
		t.Errorf("synced %d sources before they were due", n)
	}
	if ev := events.next(t, "the first sync"); ev != "synced "+v.ID {
		t.Fatalf("event %q", ev)
	}
	f.now = f.now.Add(16 * time.Minute)
	stop := f.svc.StartWorker(ctx, time.Hour)
	if ev := events.next(t, "the worker's sync"); ev != "synced "+v.ID {
		t.Fatalf("event %q", ev)
	}
	stop()
	if vs := mustCalendars(t, f, ann); vs[1].Events != 2 {
		t.Fatalf("the worker did not sync: %+v", vs)
	}
	// A source not synced for longer than StaleAfter counts as busy.
	f.now = f.now.Add(2 * time.Hour)
	_, problems, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-03T00:00:00Z"))
	if len(problems) != 1 || !strings.Contains(problems[0].Problem, "not synced since") {
		t.Errorf("stale source: %+v", problems)
	}
}

// countingTransport counts requests by method, for the incremental sync
// checks.
type countingTransport struct {
	mu     sync.Mutex
	counts map[string]int
	bodies []string
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.counts[req.Method]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = map[string]int{}
	return out
}

// TestCalDAVSourceRadicale syncs a real Radicale account: discovery from
// the server's root, a full sync, an incremental one through
// sync-collection that fetches only what changed, a no-change one that
// stops at the ctag, and the wrong password.
func TestCalDAVSourceRadicale(t *testing.T) {
	rad := radicaletest.StartT(t)
	ctx := context.Background()
	if err := rad.MkCalendar(ctx, "/ann/work/", "Work"); err != nil {
		t.Fatal(err)
	}
	if err := rad.MkCalendar(ctx, "/ann/home/", "Home"); err != nil {
		t.Fatal(err)
	}
	put := func(path, body string) {
		t.Helper()
		if _, err := rad.Put(ctx, path, body); err != nil {
			t.Fatal(err)
		}
	}
	put("/ann/work/a.ics", ics(vevent("a", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")))
	put("/ann/work/b.ics", ics(vevent("b", "DTSTART;TZID=America/New_York:20260307T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=2")))
	put("/ann/home/c.ics", ics(vevent("c", "DTSTART:20260302T180000Z", "DTEND:20260302T190000Z", "TRANSP:TRANSPARENT")))
	put("/ann/home/d.ics", ics(vevent("d", "DTSTART:20260303T180000Z", "DTEND:20260303T190000Z")))

	f := newFixture(t, "sqlite")
	ct := &countingTransport{counts: map[string]int{}}
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := seal.New(key)
	f.svc = New(f.db, box, Options{Now: func() time.Time { return f.now }, AllowPrivate: true, Transport: ct})
	ann := f.user("ann@acme.test", "America/New_York", store.RoleMember)
	v, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "caldav", URL: rad.URL + "/", Username: rad.User, Password: rad.Password})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "ok" || v.Events != 4 {
		t.Fatalf("after the first sync: %+v", v)
	}
	from, to := mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-10T00:00:00Z")
	busy, problems, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	// b: 09:00 New York on 03-07 (EST) and 03-08 (EDT).
	want := "[03-02T09:00/03-02T10:00 03-03T18:00/03-03T19:00 03-07T14:00/03-07T15:00 03-08T13:00/03-08T14:00]"
	if got := spans(busy[ann.ID]); got != want || len(problems) != 0 {
		t.Errorf("busy from Radicale\n got %s\nwant %s\n%+v", got, want, problems)
	}
	ct.take()
	// No change: the ctags say so, nothing is listed or fetched.
	if v, err = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); err != nil || v.Status != "ok" {
		t.Fatal(v, err)
	}
	if n := ct.take(); n["REPORT"] != 0 {
		t.Errorf("a sync without changes sent %v", n)
	}
	// Change a, delete d, add e: sync-collection, then one multiget.
	put("/ann/work/a.ics", ics(vevent("a", "DTSTART:20260302T110000Z", "DTEND:20260302T120000Z")))
	if err := rad.Delete(ctx, "/ann/home/d.ics"); err != nil {
		t.Fatal(err)
	}
	put("/ann/home/e.ics", ics(vevent("e", "DTSTART:20260304T180000Z", "DTEND:20260304T190000Z")))
	if v, err = f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); err != nil || v.Status != "ok" || v.Events != 4 {
		t.Fatalf("incremental sync: %+v %v", v, err)
	}
	if n := ct.take(); n["REPORT"] != 4 { // a sync-collection and a multiget per changed calendar
		t.Errorf("incremental sync sent %v, want 4 REPORTs", n)
	}
	busy, _, _ = f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	want = "[03-02T11:00/03-02T12:00 03-04T18:00/03-04T19:00 03-07T14:00/03-07T15:00 03-08T13:00/03-08T14:00]"
	if got := spans(busy[ann.ID]); got != want {
		t.Errorf("busy after remote changes\n got %s\nwant %s", got, want)
	}
	objs, _ := f.db.CalendarObjects(ctx, "acc_1", v.ID, false)
	for _, o := range objs {
		if o.RemoteETag == "" || !strings.HasPrefix(o.Name, "/ann/") {
			t.Errorf("stored remote object %+v", o)
		}
	}
	// A wrong password: failing, said plainly, user busy.
	bad, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "caldav", URL: rad.URL + "/ann/work/", Username: rad.User, Password: "wrong"})
	if err != nil || bad.Status != "failing" || !strings.Contains(bad.Problem, "401") {
		t.Errorf("wrong password: %+v %v", bad, err)
	}
	if err := f.svc.DeleteSource(ctx, principal(ann), ann.Email, bad.ID); err != nil {
		t.Fatal(err)
	}
	// A calendar URL selects that calendar only.
	work, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "caldav", URL: rad.URL + "/ann/work/", Username: rad.User, Password: rad.Password, Name: "work only"})
	if err != nil || work.Status != "ok" || work.Events != 2 {
		t.Errorf("one calendar: %+v %v", work, err)
	}
}

// TestSyncSourceWhileSyncing: a sync asked for by its user while a sync of
// the source runs (the worker's) starts no second one beside it: the
// answer is a conflict, nothing is fetched, and the next sync is due as
// soon as the running one ends.
func TestSyncSourceWhileSyncing(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
			fd := &feed{}
			fd.set(ics(vevent("f1", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")), 200)
			srv := httptest.NewServer(fd)
			defer srv.Close()
			ctx := context.Background()
			v, err := f.svc.AddSource(ctx, principal(ann), ann.Email, SourceInput{Kind: "ics", URL: srv.URL + "/feed.ics"})
			if err != nil {
				t.Fatal(err)
			}
			// The worker claims it, as when its sync is due.
			c, err := f.db.Calendar(ctx, "acc_1", v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := f.db.ClaimCalendarSync(ctx, "acc_1", v.ID, c.NextSync, f.now.Add(time.Minute)); err != nil || !ok {
				t.Fatalf("the worker's claim: %v %v", ok, err)
			}
			fetched := fd.requests.Load()
			if _, err := f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); failure.KindOf(err) != failure.Conflict {
				t.Fatalf("a sync beside the running one: %v", err)
			}
			if fd.requests.Load() != fetched {
				t.Fatal("the feed was fetched by a second sync")
			}
			// The running sync ends (its outcome saved an hour ahead): the
			// next one is due at once.
			c.LastAttempt, c.LastSync, c.NextSync, c.Updated = f.now, f.now, f.now.Add(time.Hour), f.now
			if err := f.db.SaveCalendarSync(ctx, c); err != nil {
				t.Fatal(err)
			}
			if c, _ = f.db.Calendar(ctx, "acc_1", v.ID); !c.NextSync.Equal(f.now) {
				t.Fatalf("next sync %s, want at the end of the running one (%s)", c.NextSync, f.now)
			}
			if _, err := f.svc.SyncSource(ctx, principal(ann), ann.Email, v.ID); err != nil {
				t.Fatalf("a sync once none runs: %v", err)
			}
		})
	}
}
