package calendar

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
)

// syncEvents is a log handler that turns the outcome of each sync into an
// event, "synced SOURCE" or "failing SOURCE": tests wait for them instead
// of polling.
type syncEvents chan string

func (e syncEvents) Enabled(context.Context, slog.Level) bool { return true }
func (e syncEvents) WithAttrs([]slog.Attr) slog.Handler       { return e }
func (e syncEvents) WithGroup(string) slog.Handler            { return e }
func (e syncEvents) Handle(_ context.Context, r slog.Record) error {
	var src string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "source" {
			src = a.Value.String()
		}
		return true
	})
	switch {
	case r.Message == "calendar source synced":
		e <- "synced " + src
	case strings.HasPrefix(r.Message, "calendar source failing"):
		e <- "failing " + src
	}
	return nil
}

// next returns the next event, failing the test after a generous deadline.
func (e syncEvents) next(t *testing.T, waitingFor string) string {
	t.Helper()
	select {
	case ev := <-e:
		return ev
	case <-time.After(15 * time.Second):
		t.Fatalf("no sync event while waiting for %s", waitingFor)
		return ""
	}
}

// withEvents replaces the fixture's service with one that reports its
// syncs as events.
func (f *fixture) withEvents(opts Options) syncEvents {
	events := make(syncEvents, 1000)
	opts.Now, opts.AllowPrivate, opts.Log = func() time.Time { return f.now }, true, slog.New(events)
	f.svc = New(f.db, f.box, opts)
	return events
}

// addFeed stores an ICS source of u due at next, without syncing it.
func (f *fixture) addFeed(u *store.User, id, url string, next time.Time) {
	f.t.Helper()
	secret, err := f.box.Seal("", sealPlace(id))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.CreateCalendar(context.Background(), &store.Calendar{ID: id, AccountID: u.AccountID, UserID: u.ID, Kind: store.CalendarICS,
		Name: id, URL: url, Secret: secret, NextSync: next, Created: f.now, Updated: f.now}); err != nil {
		f.t.Fatal(err)
	}
}

// Issue 8: the worker synced sources one at a time for up to 60 s each,
// so one account's six slow feeds held every other account's sync for
// seven minutes. Now one account takes at most SyncPerAccount workers, and
// the accounts take turns: another account's feed is synced while the
// slow account's feeds still hang.
func TestSyncWorkerKeepsOneAccountFromStarvingOthers(t *testing.T) {
	f := newFixture(t, "sqlite")
	events := f.withEvents(Options{SyncWorkers: 4, SyncPerAccount: 2})
	slow := f.user("slow@acme.test", "UTC", store.RoleMember)
	fast := f.user("fast@beta.test", "UTC", store.RoleMember)
	release := make(chan struct{})
	arrived := make(chan string, 100)
	var inFlight, most atomic.Int32
	feedBody := ics(vevent("e", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"))
	mux := http.NewServeMux()
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		arrived <- r.URL.Path
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write([]byte(feedBody))
	})
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(feedBody)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// Forty slow feeds, all more overdue than the other account's one:
	// more than the worker lists at once (workers × per account × 4).
	const nSlow = 40
	for i := range nSlow {
		f.addFeed(slow, fmt.Sprintf("src_slow%02d", i), fmt.Sprintf("%s/slow/%02d", srv.URL, i), f.now.Add(-time.Hour))
	}
	f.addFeed(fast, "src_fast", srv.URL+"/fast", f.now)
	began := time.Now()
	stop := f.svc.StartWorker(context.Background(), time.Hour)
	defer stop()
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(15 * time.Second):
			t.Fatal("the slow feeds were not fetched")
		}
	}
	// The bound: the other account's feed is synced before any of the
	// slow account's syncs ends.
	if ev := events.next(t, "the other account's feed"); ev != "synced src_fast" {
		t.Fatalf("first sync event %q, want the other account's feed", ev)
	}
	t.Logf("the other account's feed was synced %s after the worker started, %d feeds of the slow account hanging", time.Since(began), nSlow)
	if c, err := f.db.Calendar(context.Background(), fast.AccountID, "src_fast"); err != nil || c.LastSync.IsZero() || c.Problem != "" {
		t.Fatalf("the fast feed: %+v %v", c, err)
	}
	if n := inFlight.Load(); n != 2 || len(arrived) != 0 {
		t.Errorf("%d slow fetches in flight and %d more started, want the account's 2 only", n, len(arrived))
	}
	close(release)
	for range nSlow {
		if ev := events.next(t, "the slow feeds"); !strings.HasPrefix(ev, "synced src_slow") {
			t.Errorf("event %q", ev)
		}
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d of one account's syncs ran at once, want at most 2", m)
	}
}

// The limits, step by step: an account at its SyncPerAccount gets no
// more workers, however many are free, until one of its syncs ends.
func TestSyncPoolLimits(t *testing.T) {
	f := newFixture(t, "sqlite")
	events := f.withEvents(Options{SyncWorkers: 3, SyncPerAccount: 2})
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	bob := f.user("bob@beta.test", "UTC", store.RoleMember)
	release := make(chan struct{})
	arrived := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/hold/") {
			arrived <- r.URL.Path
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte(ics(vevent("e", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"))))
	}))
	defer srv.Close()
	for i := range 5 {
		f.addFeed(ann, fmt.Sprintf("src_ann%d", i), fmt.Sprintf("%s/hold/%d", srv.URL, i), f.now.Add(-time.Hour))
	}
	f.addFeed(bob, "src_bob", srv.URL+"/bob", f.now)
	ctx, cancel := context.WithCancel(context.Background())
	p := f.svc.newSyncPool()
	defer func() {
		cancel()
		p.wg.Wait()
	}()
	if n := p.dispatch(ctx); n != 3 {
		t.Fatalf("the first dispatch started %d syncs, want Ann's 2 and Bob's", n)
	}
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(15 * time.Second):
			t.Fatal("Ann's feeds were not fetched")
		}
	}
	if ev := events.next(t, "Bob's feed"); ev != "synced src_bob" {
		t.Fatalf("event %q", ev)
	}
	<-p.freed
	// Two workers are free, Ann's three other feeds are due: she is at
	// her limit.
	if n := p.dispatch(ctx); n != 0 {
		t.Errorf("with Ann at her limit, a dispatch started %d syncs", n)
	}
	if len(arrived) != 0 {
		t.Errorf("%d more of Ann's feeds were fetched, want her 2 only", len(arrived))
	}
	release <- struct{}{} // one of Ann's two ends
	if ev := events.next(t, "one of Ann's feeds"); !strings.HasPrefix(ev, "synced src_ann") {
		t.Fatalf("event %q", ev)
	}
	<-p.freed
	if n := p.dispatch(ctx); n != 1 {
		t.Errorf("after one of Ann's syncs ended, a dispatch started %d, want 1", n)
	}
}

// A feed that never answers is cut at SyncTimeout and frees its worker:
// with one worker, the next source is synced after it.
func TestSyncWorkerTimesOutHangingSources(t *testing.T) {
	f := newFixture(t, "sqlite")
	events := f.withEvents(Options{SyncWorkers: 1, Limits: Limits{SyncTimeout: 200 * time.Millisecond}})
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	bob := f.user("bob@beta.test", "UTC", store.RoleMember)
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(ics(vevent("e", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"))))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f.addFeed(ann, "src_hang", srv.URL+"/hang", f.now.Add(-time.Hour))
	f.addFeed(bob, "src_ok", srv.URL+"/ok", f.now)
	stop := f.svc.StartWorker(context.Background(), time.Hour)
	defer stop()
	if ev := events.next(t, "the hanging feed"); ev != "failing src_hang" {
		t.Fatalf("first event %q", ev)
	}
	if ev := events.next(t, "the next feed"); ev != "synced src_ok" {
		t.Fatalf("second event %q", ev)
	}
	c, _ := f.db.Calendar(context.Background(), ann.AccountID, "src_hang")
	if !strings.Contains(c.Problem, "did not finish within 200ms") {
		t.Errorf("the hanging feed's problem: %q", c.Problem)
	}
}

// The accounts take turns: with one worker, an account with many due
// feeds and two with one each, the first three syncs are one of each
// account, although the first account's feeds are the most overdue.
func TestSyncWorkerTakesTurns(t *testing.T) {
	f := newFixture(t, "sqlite")
	events := f.withEvents(Options{SyncWorkers: 1})
	ctx := context.Background()
	if err := f.db.CreateAccount(ctx, &store.Account{ID: "acc_3", Name: "Gamma", Language: "en", Created: f.now}); err != nil {
		t.Fatal(err)
	}
	carl := &store.User{ID: "usr_carl", AccountID: "acc_3", Email: "carl@gamma.test", Name: "Carl", Role: store.RoleMember, TimeZone: "UTC",
		WorkingHours: account.DefaultWorkingHours, DefaultDuration: 30, Created: f.now}
	if err := f.db.CreateUser(ctx, carl); err != nil {
		t.Fatal(err)
	}
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	bob := f.user("bob@beta.test", "UTC", store.RoleMember)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(ics(vevent("e", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"))))
	}))
	defer srv.Close()
	for i := range 5 {
		f.addFeed(ann, fmt.Sprintf("src_ann%d", i), srv.URL, f.now.Add(-time.Hour+time.Duration(i)*time.Minute))
	}
	f.addFeed(bob, "src_bob", srv.URL, f.now.Add(-time.Minute))
	f.addFeed(carl, "src_carl", srv.URL, f.now)
	if n := f.svc.SyncDue(ctx); n != 7 {
		t.Fatalf("synced %d sources, want 7", n)
	}
	var order []string
	for range 7 {
		order = append(order, strings.TrimPrefix(events.next(t, "the syncs"), "synced "))
	}
	if got := strings.Join(order, " "); got != "src_ann0 src_bob src_carl src_ann1 src_ann2 src_ann3 src_ann4" {
		t.Errorf("sync order %s", got)
	}
}

// A sync cut short by its caller (shutdown, a client that left) is not
// the source's failure: nothing is recorded, and its user does not turn
// busy for it.
func TestInterruptedSyncIsNotAFailure(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	f.addFeed(ann, "src_a", srv.URL, f.now)
	c, err := f.db.Calendar(context.Background(), ann.AccountID, "src_a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	if err := f.svc.Sync(ctx, c); err != nil {
		t.Fatal(err)
	}
	c, _ = f.db.Calendar(context.Background(), ann.AccountID, "src_a")
	if c.Problem != "" || !c.LastAttempt.IsZero() {
		t.Errorf("an interrupted sync was recorded: problem %q, attempt %s", c.Problem, c.LastAttempt)
	}
}
