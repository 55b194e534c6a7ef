package calendar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
)

// fakeCalendars is an app's calendars held in memory: Convene's own
// interface (video.Calendars), so a fake of it is what tests the core.
// Changes keeps a version per event and per deletion: the cursor is the
// version of the last answer.
type fakeCalendars struct {
	mu      sync.Mutex
	version int
	events  map[string]map[string]fakeEvent // user → id → event
	gone    map[string]map[string]int       // user → id → version of its deletion
	// expired makes Changes refuse every cursor but "" (410).
	expired bool
	// err is returned by every call.
	err error
	// busy is FreeBusy's answer per user.
	busy  map[string]video.FreeBusy
	hours *video.WorkingHours

	changes, freeBusy [][]string // the users of each call
	// calls are the kinds of calls in order ("watch", "changes").
	calls     []string
	watched   []video.Channel
	renewed   []video.Channel
	unwatched []string
	channels  int
	// channelLife is how long a channel lasts.
	channelLife time.Duration
	now         func() time.Time
}

type fakeEvent struct {
	ics     string
	version int
}

func newFakeCalendars(now func() time.Time) *fakeCalendars {
	return &fakeCalendars{events: map[string]map[string]fakeEvent{}, gone: map[string]map[string]int{},
		busy: map[string]video.FreeBusy{}, channelLife: 72 * time.Hour, now: now}
}

// put adds or changes an event of user's calendar.
func (f *fakeCalendars) put(user, id, ics string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	if f.events[user] == nil {
		f.events[user] = map[string]fakeEvent{}
	}
	f.events[user][id] = fakeEvent{ics: ics, version: f.version}
	delete(f.gone[user], id)
}

// remove deletes an event of user's calendar.
func (f *fakeCalendars) remove(user, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	delete(f.events[user], id)
	if f.gone[user] == nil {
		f.gone[user] = map[string]int{}
	}
	f.gone[user][id] = f.version
}

func (f *fakeCalendars) FreeBusy(ctx context.Context, users []string, from, to time.Time) (map[string]video.FreeBusy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.freeBusy = append(f.freeBusy, slices.Clone(users))
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]video.FreeBusy{}
	for _, u := range users {
		if fb, ok := f.busy[u]; ok {
			out[u] = fb
		}
	}
	return out, nil
}

func (f *fakeCalendars) Changes(ctx context.Context, user, cursor string, from, to time.Time) (*video.ChangeSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = append(f.changes, []string{user, cursor})
	f.calls = append(f.calls, "changes")
	if f.err != nil {
		return nil, f.err
	}
	since := 0
	if cursor != "" {
		if f.expired {
			return nil, fmt.Errorf("fake: 410: %w", video.ErrSyncExpired)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(cursor, "v"))
		if err != nil {
			return nil, fmt.Errorf("fake: bad cursor: %w", video.ErrSyncExpired)
		}
		since = n
	}
	cs := &video.ChangeSet{Full: cursor == "", Cursor: "v" + strconv.Itoa(f.version)}
	for id, ev := range f.events[user] {
		if ev.version > since {
			cs.Objects = append(cs.Objects, video.RemoteObject{ID: id, ICS: []byte(ev.ics), ETag: strconv.Itoa(ev.version)})
		}
	}
	if cursor != "" {
		for id, v := range f.gone[user] {
			if v > since {
				cs.Removed = append(cs.Removed, id)
			}
		}
	}
	return cs, nil
}

func (f *fakeCalendars) Watch(ctx context.Context, user, address, token string) (*video.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.channels++
	f.calls = append(f.calls, "watch")
	ch := video.Channel{ID: "ch" + strconv.Itoa(f.channels), Resource: "res-" + user, User: user, Token: token, Expires: f.now().Add(f.channelLife)}
	f.watched = append(f.watched, ch)
	if !strings.HasPrefix(address, "https://convene.example/webhooks/fake") {
		return nil, fmt.Errorf("fake: address %s", address)
	}
	return &ch, nil
}

func (f *fakeCalendars) Renew(ctx context.Context, ch video.Channel) (*video.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewed = append(f.renewed, ch)
	ch.Expires = f.now().Add(f.channelLife)
	return &ch, nil
}

func (f *fakeCalendars) Unwatch(ctx context.Context, ch video.Channel) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unwatched = append(f.unwatched, ch.ID)
	return nil
}

func (f *fakeCalendars) PutEvent(ctx context.Context, organizer string, ev video.CalendarEvent) (*video.EventRef, error) {
	return nil, video.ErrNotSupported
}

func (f *fakeCalendars) DeleteEvent(ctx context.Context, organizer, id string, occurrence time.Time, notify bool) error {
	return video.ErrNotSupported
}

func (f *fakeCalendars) WorkingHours(ctx context.Context, user string) (*video.WorkingHours, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hours, nil
}

// appFixture is a fixture whose calendar core knows one app with
// calendars, "fake", through the real marketplace and a test registry.
type appFixture struct {
	*fixture
	fake   *fakeCalendars
	market *apps.Service
	events syncEvents
}

func newAppFixture(t testing.TB, db *store.DB) *appFixture {
	f := newFixture(t, "sqlite")
	f.db = db
	for _, id := range []string{"acc_1", "acc_2"} {
		if err := db.CreateAccount(context.Background(), &store.Account{ID: id, Name: id, Language: "en", Created: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	fake := newFakeCalendars(func() time.Time { return f.now })
	reg, err := video.NewRegistry(video.App{ID: "fake", Name: "Fake 365", Auth: video.Auth{Kind: video.AuthNone},
		Connect:  func(video.Connection) video.Provider { return nil },
		Calendar: func(video.Connection) video.Calendars { return fake }})
	if err != nil {
		t.Fatal(err)
	}
	market := &apps.Service{Store: db, Box: f.box, Registry: reg, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now }}
	af := &appFixture{fixture: f, fake: fake, market: market}
	af.events = f.withEvents(Options{Apps: market, Registry: reg, BaseURL: "https://convene.example"})
	return af
}

// install saves an install of the fake app for acc_1 in state for domains.
func (f *appFixture) install(state string, domains ...string) {
	f.t.Helper()
	in := &store.Install{AccountID: "acc_1", App: "fake", State: state, Domains: domains, Installed: f.now, Created: f.now, Updated: f.now}
	if err := f.db.SaveInstall(context.Background(), in); err != nil {
		f.t.Fatal(err)
	}
	if err := f.svc.ReconcileApps(context.Background(), "acc_1"); err != nil {
		f.t.Fatal(err)
	}
}

func (f *appFixture) appCalendars() []string {
	f.t.Helper()
	cals, err := f.db.AppCalendars(context.Background(), "acc_1")
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, c := range cals {
		ids = append(ids, c.ID)
	}
	return ids
}

// syncAll syncs every due calendar.
func (f *appFixture) syncAll() {
	f.t.Helper()
	f.svc.SyncDue(context.Background())
	for {
		select {
		case <-f.events:
		default:
			return
		}
	}
}

func (f *appFixture) busy(u *store.User, from, to string) (string, []SourceProblem) {
	f.t.Helper()
	b, problems, err := f.svc.Busy(context.Background(), "acc_1", []string{u.ID}, mustTime(from), mustTime(to))
	if err != nil {
		f.t.Fatal(err)
	}
	return spans(b[u.ID]), problems
}

func event(uid, start, end string, extra ...string) string {
	return ics(vevent(uid, append([]string{"DTSTART:" + start, "DTEND:" + end}, extra...)...))
}

// App calendars exist for the active users of the install's domains and
// follow the install: a domain dropped or the install removed takes them
// (and their channels, stopped at the provider) away.
func TestAppCalendarsFollowInstalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAppFixture(t, db)
		ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
		bob := f.user("bob@acme.test", "Europe/Paris", store.RoleMember)
		f.user("cid@other.test", "Europe/Paris", store.RoleMember)
		dan := f.user("dan@acme.test", "Europe/Paris", store.RoleMember)
		if err := db.SetUserAccess(context.Background(), "acc_1", dan.ID, store.RoleMember, f.now); err != nil {
			t.Fatal(err)
		}
		f.install(store.InstallPreApproved, "acme.test")
		if got := f.appCalendars(); len(got) != 0 {
			t.Fatalf("pre-approved only: %v", got)
		}
		f.install(store.InstallInstalled, "acme.test")
		want := []string{AppCalendarID("fake", ann.ID), AppCalendarID("fake", bob.ID)}
		slices.Sort(want)
		if got := f.appCalendars(); !slices.Equal(got, want) {
			t.Fatalf("installed for acme.test: %v, want %v", got, want)
		}
		// Synced, a channel is opened for each.
		f.syncAll()
		if len(f.fake.watched) != 2 {
			t.Fatalf("channels opened: %+v", f.fake.watched)
		}
		// A user added later gets one from the worker's reconciliation.
		eve := f.user("eve@acme.test", "Europe/Paris", store.RoleMember)
		f.svc.reconcileAllApps(context.Background())
		if got := f.appCalendars(); !slices.Contains(got, AppCalendarID("fake", eve.ID)) {
			t.Fatalf("eve: %v", got)
		}
		// Needing re-authorization keeps them (their users count busy).
		f.install(store.InstallNeedsReauthorization, "acme.test")
		if got := f.appCalendars(); len(got) != 3 {
			t.Fatalf("needs re-authorization: %v", got)
		}
		// Uninstalled: gone, channels stopped.
		f.install(store.InstallPreApproved)
		if got := f.appCalendars(); len(got) != 0 {
			t.Fatalf("uninstalled: %v", got)
		}
		chans, err := db.CalendarChannels(context.Background(), "acc_1")
		if err != nil || len(chans) != 0 {
			t.Fatalf("channels left: %v %v", chans, err)
		}
		// The install is gone, so the provider is not reachable through it:
		// its channels expire there on their own. With a reachable
		// install they are stopped (TestCalendarChannels).
		_ = f.fake.unwatched
	})
}

// An app calendar is synced through Changes like a CalDAV source: a full
// sync first, then only what changed from the cursor; an expired cursor
// gives a full sync that replaces the copy.
func TestAppCalendarSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAppFixture(t, db)
		ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
		f.fake.put(ann.Email, "e1", event("one", "20260302T090000Z", "20260302T100000Z"))
		f.fake.put(ann.Email, "e2", event("two", "20260303T090000Z", "20260303T100000Z"))
		f.fake.put(ann.Email, "e3", event("free", "20260304T090000Z", "20260304T100000Z", "TRANSP:TRANSPARENT"))
		f.fake.put(ann.Email, "e4", event("tent", "20260305T090000Z", "20260305T100000Z", "STATUS:TENTATIVE"))
		f.install(store.InstallInstalled, "acme.test")
		f.syncAll()
		// The channel is open before the first sync reads the calendar:
		// a change made during the sync is notified.
		if len(f.fake.calls) < 2 || f.fake.calls[0] != "watch" || f.fake.calls[1] != "changes" {
			t.Fatalf("calls %v, want the watch before the first changes", f.fake.calls)
		}
		const from, to = "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"
		if got, problems := f.busy(ann, from, to); got != "[03-02T09:00/03-02T10:00 03-03T09:00/03-03T10:00 03-05T09:00/03-05T10:00]" || len(problems) != 0 {
			t.Fatalf("after the full sync: %s %+v", got, problems)
		}
		// Incremental: one moved, one deleted.
		f.fake.put(ann.Email, "e1", event("one", "20260302T140000Z", "20260302T150000Z"))
		f.fake.remove(ann.Email, "e2")
		f.now = f.now.Add(time.Hour)
		f.syncAll()
		if got, _ := f.busy(ann, from, to); got != "[03-02T14:00/03-02T15:00 03-05T09:00/03-05T10:00]" {
			t.Fatalf("after the incremental sync: %s", got)
		}
		if last := f.fake.changes[len(f.fake.changes)-1]; last[1] == "" {
			t.Fatalf("the second sync was a full one: %v", f.fake.changes)
		}
		// The cursor expires while an event is deleted: the full sync
		// replaces the copy (a deletion the cursor would have said is
		// still seen).
		f.fake.remove(ann.Email, "e4")
		f.fake.gone = map[string]map[string]int{} // the provider forgot its deletions
		f.fake.expired = true
		f.now = f.now.Add(time.Hour)
		f.syncAll()
		if got, problems := f.busy(ann, from, to); got != "[03-02T14:00/03-02T15:00]" || len(problems) != 0 {
			t.Fatalf("after the expired cursor: %s %+v", got, problems)
		}
		n := len(f.fake.changes)
		if f.fake.changes[n-2][1] == "" || f.fake.changes[n-1][1] != "" {
			t.Fatalf("the expired cursor was not followed by a full sync: %v", f.fake.changes)
		}
		// A cursor keeps the window of its full sync (Graph's calendarView
		// delta): a week later the sync is a full one again, on a window
		// slid to the new now, then incremental once more.
		f.fake.expired = false
		f.now = f.now.Add(appResyncEvery)
		f.syncAll()
		if last := f.fake.changes[len(f.fake.changes)-1]; last[1] != "" {
			t.Fatalf("a week-old window was kept: %v", f.fake.changes)
		}
		f.now = f.now.Add(time.Hour)
		f.syncAll()
		if last := f.fake.changes[len(f.fake.changes)-1]; last[1] == "" {
			t.Fatalf("the sync after the new full one was a full one too: %v", f.fake.changes)
		}
	})
}

// A failing app calendar applies the failure policy with a problem naming
// the app; a refusal of the credentials makes the install need
// re-authorization; a sync over the limits fails instead of storing it.
func TestAppCalendarFailures(t *testing.T) {
	f := newAppFixture(t, storetest.Open(t, "sqlite"))
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	f.install(store.InstallInstalled, "acme.test")
	f.syncAll()
	const from, to = "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"

	f.fake.err = fmt.Errorf("fake: 503: %w", video.ErrUnavailable)
	f.now = f.now.Add(time.Hour)
	f.syncAll()
	got, problems := f.busy(ann, from, to)
	if got != "[03-02T00:00/03-03T00:00]" || len(problems) != 1 || !strings.HasPrefix(problems[0].Problem, "Fake 365") || problems[0].App != "fake" {
		t.Fatalf("unavailable: %s %+v", got, problems)
	}
	if in, _ := f.db.Install(context.Background(), "acc_1", "fake"); in.State != store.InstallInstalled {
		t.Fatalf("an outage marked the install %s", in.State)
	}

	f.fake.err = fmt.Errorf("fake: 401: %w", video.ErrUnauthorized)
	f.now = f.now.Add(time.Hour)
	f.syncAll()
	if in, _ := f.db.Install(context.Background(), "acc_1", "fake"); in.State != store.InstallNeedsReauthorization || in.Problem == "" {
		t.Fatalf("refused credentials: install %s %q", in.State, in.Problem)
	}
	got, problems = f.busy(ann, from, to)
	if got != "[03-02T00:00/03-03T00:00]" || len(problems) != 1 || !strings.Contains(problems[0].Problem, "install the app again") {
		t.Fatalf("unauthorized: %s %+v", got, problems)
	}

	// Over the limit of events per calendar: failing, nothing stored.
	f.install(store.InstallInstalled, "acme.test")
	f.fake.err = nil
	f.svc.opts.Limits.MaxObjects = 3
	for i := range 4 {
		f.fake.put(ann.Email, fmt.Sprint("x", i), event(fmt.Sprint("x", i), "20260310T090000Z", "20260310T100000Z"))
	}
	f.fake.expired = true // a full sync
	f.now = f.now.Add(time.Hour)
	f.syncAll()
	_, problems = f.busy(ann, from, to)
	if len(problems) != 1 || !strings.Contains(problems[0].Problem, "over 3 events") {
		t.Fatalf("over the limit: %+v", problems)
	}
	counts, _ := f.db.CalendarObjectCounts(context.Background(), "acc_1", []string{AppCalendarID("fake", ann.ID)})
	if counts[AppCalendarID("fake", ann.ID)] != 0 {
		t.Fatalf("stored past the limit: %v", counts)
	}
}

// A change notification syncs the channel's calendar only when the channel
// is Convene's and the token matches; channels are renewed before they
// expire, with the same token, and stopped when their calendar goes.
func TestCalendarChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAppFixture(t, db)
		ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
		f.install(store.InstallInstalled, "acme.test")
		f.syncAll()
		if len(f.fake.watched) != 1 {
			t.Fatalf("watched: %+v", f.fake.watched)
		}
		ch := f.fake.watched[0]
		if len(ch.Token) < 40 {
			t.Fatalf("token %q", ch.Token)
		}
		stored, err := db.CalendarChannel(context.Background(), "acc_1", AppCalendarID("fake", ann.ID))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored.Token, ch.Token) {
			t.Fatal("the channel's token is stored in the clear")
		}
		calID := AppCalendarID("fake", ann.ID)
		nextSync := func() time.Time {
			c, err := db.Calendar(context.Background(), "acc_1", calID)
			if err != nil {
				t.Fatal(err)
			}
			return c.NextSync
		}
		before := nextSync()
		if !before.After(f.now) {
			t.Fatalf("next sync %s not after now", before)
		}
		for _, ev := range []video.Event{
			{Kind: video.EventCalendarChanged, App: "fake", Channel: ch.ID, ChannelToken: "forged" + ch.Token[6:]},
			{Kind: video.EventCalendarChanged, App: "fake", Channel: ch.ID, ChannelToken: ""},
			{Kind: video.EventCalendarChanged, App: "fake", Channel: "nope", ChannelToken: ch.Token},
			{Kind: video.EventCalendarChanged, App: "other", Channel: ch.ID, ChannelToken: ch.Token},
			{Kind: video.EventUpdated, App: "fake", Channel: ch.ID, ChannelToken: ch.Token},
		} {
			if err := f.svc.CalendarChanged(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			if got := nextSync(); !got.Equal(before) {
				t.Fatalf("%+v moved the next sync to %s", ev, got)
			}
		}
		calls := len(f.fake.changes)
		f.syncAll()
		if len(f.fake.changes) != calls {
			t.Fatal("a forged notification synced")
		}
		f.fake.put(ann.Email, "e1", event("one", "20260302T090000Z", "20260302T100000Z"))
		for range 3 { // coalesced: three notifications, one sync
			if err := f.svc.CalendarChanged(context.Background(), video.Event{Kind: video.EventCalendarChanged, App: "fake", Channel: ch.ID, ChannelToken: ch.Token}); err != nil {
				t.Fatal(err)
			}
		}
		if got := nextSync(); got.After(f.now) {
			t.Fatalf("next sync %s after a true notification", got)
		}
		f.syncAll()
		if len(f.fake.changes) != calls+1 {
			t.Fatalf("syncs after three notifications: %d", len(f.fake.changes)-calls)
		}
		if got, _ := f.busy(ann, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"); got != "[03-02T09:00/03-02T10:00]" {
			t.Fatalf("after the notification: %s", got)
		}
		// Renewal: within a day of expiry, the next sync renews it with
		// the same token.
		f.now = ch.Expires.Add(-2 * time.Hour)
		f.syncAll()
		if len(f.fake.renewed) != 1 || f.fake.renewed[0].ID != ch.ID || f.fake.renewed[0].Token != ch.Token || len(f.fake.watched) != 1 {
			t.Fatalf("renewal: renewed %+v, watched %d", f.fake.renewed, len(f.fake.watched))
		}
		if got, _ := db.CalendarChannel(context.Background(), "acc_1", calID); !got.Expires.Equal(f.now.Add(72 * time.Hour)) {
			t.Fatalf("renewed channel expires %s", got.Expires)
		}
		// The user leaves the install's domains: the calendar goes and
		// its channel is stopped at the provider.
		f.install(store.InstallInstalled, "other.test")
		if !slices.Contains(f.fake.unwatched, ch.ID) {
			t.Fatalf("channel not stopped: %v", f.fake.unwatched)
		}
		if err := f.svc.CalendarChanged(context.Background(), video.Event{Kind: video.EventCalendarChanged, App: "fake", Channel: ch.ID, ChannelToken: ch.Token}); err != nil {
			t.Fatal(err)
		}
	})
}

// Attendees whose app calendar has not completed a sync are answered by
// one FreeBusy call per app for all of them; tentative time is busy; a
// person the provider cannot answer for is busy with a problem.
func TestAppFreeBusy(t *testing.T) {
	f := newAppFixture(t, storetest.Open(t, "sqlite"))
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	bob := f.user("bob@acme.test", "Europe/Paris", store.RoleMember)
	cid := f.user("cid@acme.test", "Europe/Paris", store.RoleMember)
	f.install(store.InstallInstalled, "acme.test")
	at := func(s string) time.Time { return mustTime("2026-03-02T" + s + ":00Z") }
	f.fake.busy[ann.Email] = video.FreeBusy{Busy: []video.Interval{{Start: at("09:00"), End: at("10:00")}},
		Tentative: []video.Interval{{Start: at("11:00"), End: at("12:00")}}}
	f.fake.busy[bob.Email] = video.FreeBusy{Busy: []video.Interval{{Start: mustTime("2026-03-01T22:00:00Z"), End: at("01:00")}}}
	f.fake.busy[cid.Email] = video.FreeBusy{Err: fmt.Errorf("fake: %w", video.ErrHostNotFound)}
	from, to := mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-03T00:00:00Z")
	b, problems, err := f.svc.Busy(context.Background(), "acc_1", []string{ann.ID, bob.ID, cid.ID}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.fake.freeBusy) != 1 || len(f.fake.freeBusy[0]) != 3 {
		t.Fatalf("FreeBusy calls: %v", f.fake.freeBusy)
	}
	if got := spans(b[ann.ID]); got != "[03-02T09:00/03-02T10:00 03-02T11:00/03-02T12:00]" {
		t.Errorf("ann: %s", got)
	}
	if got := spans(b[bob.ID]); got != "[03-02T00:00/03-02T01:00]" {
		t.Errorf("bob, cut at the window: %s", got)
	}
	if got := spans(b[cid.ID]); got != "[03-02T00:00/03-03T00:00]" {
		t.Errorf("cid: %s", got)
	}
	if len(problems) != 1 || problems[0].Email != cid.Email || !strings.Contains(problems[0].Problem, "Fake 365 has no user") {
		t.Errorf("problems: %+v", problems)
	}
	// Once synced, the copy answers and FreeBusy is not asked.
	f.fake.put(ann.Email, "e1", event("planning", "20260302T140000Z", "20260302T150000Z"))
	f.syncAll()
	b, _, err = f.svc.Busy(context.Background(), "acc_1", []string{ann.ID, bob.ID}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.fake.freeBusy) != 1 {
		t.Fatalf("FreeBusy asked after the sync: %v", f.fake.freeBusy)
	}
	if got := spans(b[ann.ID]); got != "[03-02T14:00/03-02T15:00]" {
		t.Errorf("ann, from the copy: %s", got)
	}
	// A copy whose sync never completed (stored as it went, then cut
	// short) is not read beside the provider's answer, which alone is
	// whole: the event moved at the provider meanwhile counts once.
	cals, err := f.db.UserCalendars(context.Background(), "acc_1", []string{ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cals {
		if c := &cals[i]; c.Kind == store.CalendarApp {
			c.LastSync = time.Time{}
			if err := f.db.SaveCalendarSync(context.Background(), c); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.fake.busy[ann.Email] = video.FreeBusy{Busy: []video.Interval{{Start: at("16:00"), End: at("17:00")}}}
	b, _, err = f.svc.Busy(context.Background(), "acc_1", []string{ann.ID}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if got := spans(b[ann.ID]); got != "[03-02T16:00/03-02T17:00]" || len(f.fake.freeBusy) != 2 {
		t.Errorf("ann, not synced, with a copy: %s (FreeBusy calls %d), want the provider's answer alone", got, len(f.fake.freeBusy))
	}
	// The provider down: the failure policy, for each of them.
	f.fake.err = errors.New("fake: down")
	dan := f.user("dan@acme.test", "Europe/Paris", store.RoleMember)
	f.svc.ReconcileApps(context.Background(), "acc_1")
	b, problems, err = f.svc.Busy(context.Background(), "acc_1", []string{dan.ID}, from, to)
	if err != nil || spans(b[dan.ID]) != "[03-02T00:00/03-03T00:00]" || len(problems) != 1 || problems[0].App != "fake" {
		t.Fatalf("down: %v %s %+v", err, spans(b[dan.ID]), problems)
	}
	_ = availability.Interval{}
}

// The provider's working hours (and their zone) are used for a user who has
// not set their own; a user who has keeps theirs.
func TestAppWorkingHours(t *testing.T) {
	f := newAppFixture(t, storetest.Open(t, "sqlite"))
	f.now = mustTime("2026-03-02T06:00:00Z") // a Monday
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	bob := f.user("bob@acme.test", "Europe/Paris", store.RoleMember)
	bob.WorkingHours = []byte(`{"mon": [["14:00","15:00"]]}`)
	if err := f.db.UpdateUser(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	f.fake.hours = &video.WorkingHours{TimeZone: "America/New_York", Days: []time.Weekday{time.Monday}, Start: "08:00", End: "10:00"}
	f.install(store.InstallInstalled, "acme.test")
	f.syncAll()
	first := func(u *store.User) string {
		t.Helper()
		res, err := f.svc.Availability(context.Background(), principal(u), AvailabilityRequest{Attendees: []string{u.Email},
			Duration: 30 * time.Minute, From: f.now, To: f.now.Add(24 * time.Hour), Location: time.UTC, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Slots) == 0 {
			return "none"
		}
		return res.Slots[0].Start.Format("15:04")
	}
	// 08:00 in New York on 2 March is 13:00Z.
	if got := first(ann); got != "13:00" {
		t.Errorf("ann, with the provider's hours: first slot %s", got)
	}
	// Bob's own 14:00 Paris is 13:00Z too; give him 15:00 to tell apart.
	bob.WorkingHours = []byte(`{"mon": [["15:00","16:00"]]}`)
	f.db.UpdateUser(context.Background(), bob)
	if got := first(bob); got != "14:00" {
		t.Errorf("bob, with his own hours: first slot %s", got)
	}

	// Ann changes her hours at the provider: no cursor expires and no
	// notification tells it, yet an incremental sync past
	// appHoursMaxAge reads them again. Now Tuesdays too, from 09:00 New
	// York (14:00Z); with the old ones (Mondays only) nothing is left
	// in the day after Monday 18:00Z.
	f.fake.mu.Lock()
	f.fake.hours = &video.WorkingHours{TimeZone: "America/New_York", Days: []time.Weekday{time.Monday, time.Tuesday}, Start: "09:00", End: "11:00"}
	f.fake.mu.Unlock()
	f.now = f.now.Add(appHoursMaxAge / 2)
	f.syncAll()
	if got := first(ann); got != "13:00" { // the old hours still: Monday 08:00 New York
		t.Errorf("ann, hours read again before their age: first slot %s", got)
	}
	f.now = f.now.Add(appHoursMaxAge / 2)
	f.syncAll()
	if got := first(ann); got != "14:00" {
		t.Errorf("ann, after her hours changed at the provider: first slot %s", got)
	}
}

// The synced copy of an organizer's app calendar holds the meeting Convene
// wrote there: a search for another time for that meeting ignores it by
// UID (the meeting's, or the one the provider keeps), so that the meeting
// does not collide with itself.
func TestAppCopyIgnoredByUID(t *testing.T) {
	f := newAppFixture(t, storetest.Open(t, "sqlite"))
	f.now = mustTime("2026-03-02T06:00:00Z") // a Monday
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	f.fake.put(ann.Email, "e1", event("provider-uid-1", "20260302T090000Z", "20260302T170000Z"))
	f.install(store.InstallInstalled, "acme.test")
	f.syncAll()
	search := func(ignore ...string) int {
		t.Helper()
		res, err := f.svc.Availability(context.Background(), principal(ann), AvailabilityRequest{Attendees: []string{ann.Email},
			Duration: 30 * time.Minute, From: f.now, To: mustTime("2026-03-02T18:00:00Z"), Location: time.UTC, Limit: 5, IgnoreUIDs: ignore})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Slots)
	}
	if n := search(); n != 0 {
		t.Fatalf("the day is busy, yet %d slots", n)
	}
	if n := search("mtg_1@convene", "provider-uid-1"); n == 0 {
		t.Fatal("the meeting's own event in the synced copy still blocks it")
	}
}

// FuzzProviderHours: a provider's working hours are data from outside;
// whatever they hold, they give valid hours or none, never a panic.
func FuzzProviderHours(f *testing.F) {
	f.Add("Europe/Paris", "09:00", "17:00", []byte{1, 2, 3, 4, 5})
	f.Add("W. Europe Standard Time", "9", "25:00", []byte{0, 6, 9})
	f.Add("", "", "", []byte{})
	f.Fuzz(func(t *testing.T, zone, start, end string, days []byte) {
		wh := &video.WorkingHours{TimeZone: zone, Start: start, End: end}
		for _, d := range days {
			wh.Days = append(wh.Days, time.Weekday(int8(d)))
		}
		ah, ok := providerHours(wh)
		if ok && ah.loc == nil {
			t.Fatal("hours without a zone")
		}
	})
}

// BenchmarkAppSync5000: a full sync of an app calendar of 5,000 events
// (the copy replaced in one transaction), then an incremental one of 10
// changes, on SQLite.
func BenchmarkAppSync5000(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		f := newAppFixture(b, storetest.Open(b, "sqlite"))
		ann := f.user("ann@acme.test", "UTC", store.RoleMember)
		for i := range 5000 {
			day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(i%400) * 24 * time.Hour).Add(time.Duration(i/400) * 30 * time.Minute)
			f.fake.put(ann.Email, fmt.Sprint("e", i), event(fmt.Sprint("u", i), day.Format("20060102T150405Z"), day.Add(30*time.Minute).Format("20060102T150405Z")))
		}
		f.install(store.InstallInstalled, "acme.test")
		b.StartTimer()
		start := time.Now()
		f.syncAll()
		full := time.Since(start)
		for i := range 10 {
			f.fake.put(ann.Email, fmt.Sprint("e", i), event(fmt.Sprint("u", i), "20260303T090000Z", "20260303T100000Z"))
		}
		f.now = f.now.Add(time.Hour)
		start = time.Now()
		f.syncAll()
		b.ReportMetric(float64(full.Milliseconds()), "full-ms")
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "incremental-ms")
	}
}

// In per-user mode (personal accounts), app calendars exist only for the
// users of the install's domains who connected their own account (active
// or needing re-authorization); a user's refused grant makes them busy
// with a problem naming the app and telling them to reconnect, and leaves
// the install alone.
func TestAppCalendarsPersonalMode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAppFixture(t, db)
		ctx := context.Background()
		ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
		bob := f.user("bob@acme.test", "Europe/Paris", store.RoleMember)
		in := &store.Install{AccountID: "acc_1", App: "fake", State: store.InstallInstalled, Mode: video.ModePersonal, Domains: []string{"acme.test"},
			Installed: f.now, Created: f.now, Updated: f.now}
		if err := db.SaveInstall(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ReconcileApps(ctx, "acc_1"); err != nil {
			t.Fatal(err)
		}
		if got := f.appCalendars(); len(got) != 0 {
			t.Fatalf("nobody connected: %v", got)
		}
		g := &store.Grant{AccountID: "acc_1", App: "fake", UserID: ann.ID, Subject: "s-ann", Email: "ann.perso@gmail.com", State: store.GrantActive, Created: f.now, Updated: f.now}
		if err := db.SaveGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ReconcileApps(ctx, "acc_1"); err != nil {
			t.Fatal(err)
		}
		if got := f.appCalendars(); !slices.Equal(got, []string{AppCalendarID("fake", ann.ID)}) {
			t.Fatalf("ann connected: %v (bob %s)", got, bob.ID)
		}
		f.syncAll()
		const from, to = "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"
		// Google refuses to renew ann's grant: her token source says so.
		f.fake.err = fmt.Errorf("apps: ann must connect again: %w", video.ErrNotConnected)
		f.now = f.now.Add(time.Hour)
		f.syncAll()
		got, problems := f.busy(ann, from, to)
		if got != "[03-02T00:00/03-03T00:00]" || len(problems) != 1 || !strings.HasPrefix(problems[0].Problem, "Fake 365") ||
			!strings.Contains(problems[0].Problem, "connect their own account") {
			t.Fatalf("a refused grant: %s %+v", got, problems)
		}
		if in, _ := db.Install(ctx, "acc_1", "fake"); in.State != store.InstallInstalled {
			t.Fatalf("a user's grant marked the install %s", in.State)
		}
		// Needing re-authorization keeps the calendar; disconnecting
		// removes it.
		g, _ = db.Grant(ctx, "acc_1", "fake", ann.ID)
		db.SetGrantState(ctx, "acc_1", "fake", ann.ID, g.TokenVersion, store.GrantNeedsReauthorization, "revoked", f.now)
		f.svc.ReconcileApps(ctx, "acc_1")
		if got := f.appCalendars(); len(got) != 1 {
			t.Fatalf("needs re-authorization: %v", got)
		}
		if err := db.DeleteGrant(ctx, "acc_1", "fake", ann.ID); err != nil {
			t.Fatal(err)
		}
		f.svc.ReconcileApps(ctx, "acc_1")
		if got := f.appCalendars(); len(got) != 0 {
			t.Fatalf("disconnected: %v", got)
		}
	})
}
