package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

func seedCalendar(t *testing.T, db store.Store, account, user, id, kind string) *store.Calendar {
	t.Helper()
	c := &store.Calendar{ID: id, AccountID: account, UserID: user, Kind: kind, Name: "cal " + id, Created: t0, Updated: t0}
	if err := db.CreateCalendar(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func object(account, cal, name string, seq int64, start time.Time, d time.Duration, busy int) *store.CalendarObject {
	return &store.CalendarObject{AccountID: account, CalendarID: cal, Name: name, UID: "uid-" + name, Origin: store.OriginImport,
		ETag: "e-" + name, Data: []byte("BEGIN:VCALENDAR\r\nX-NAME:" + name + "\r\nEND:VCALENDAR\r\n"),
		Start: start, End: start.Add(d), Busy: busy, Seq: seq, Modified: t0}
}

func names(objs []store.CalendarObject) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Name)
	}
	return out
}

func TestCalendarObjectsRangeAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedAccount(t, db, "acc_b")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedUser(t, db, "acc_b", "usr_b", "b@b.test")
		seedCalendar(t, db, "acc_a", "usr_a", "cal_a", store.CalendarBuiltin)
		seedCalendar(t, db, "acc_b", "usr_b", "cal_b", store.CalendarBuiltin)
		// A second built-in calendar for one user is refused.
		if err := db.CreateCalendar(ctx, &store.Calendar{ID: "cal_a2", AccountID: "acc_a", UserID: "usr_a", Kind: store.CalendarBuiltin,
			Created: t0, Updated: t0}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second built-in calendar: %v, want ErrConflict", err)
		}
		seq, err := db.BumpCalendarSeq(ctx, "acc_a", "cal_a")
		if err != nil || seq != 1 {
			t.Fatalf("bump: %d %v", seq, err)
		}
		h := time.Hour
		for _, o := range []*store.CalendarObject{
			object("acc_a", "cal_a", "past", seq, t0.Add(-48*h), h, store.BusyExact),
			object("acc_a", "cal_a", "inside", seq, t0.Add(2*h), h, store.BusyExact),
			object("acc_a", "cal_a", "free", seq, t0.Add(3*h), h, store.BusyFree),
			object("acc_a", "cal_a", "across", seq, t0.Add(-h), 2*h, store.BusyExpand),
			object("acc_a", "cal_a", "later", seq, t0.Add(30*h), h, store.BusyExact),
			object("acc_a", "cal_a", "touching", seq, t0.Add(-h), h, store.BusyExact), // ends at from
		} {
			if err := db.PutCalendarObject(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		bseq, _ := db.BumpCalendarSeq(ctx, "acc_b", "cal_b")
		if err := db.PutCalendarObject(ctx, object("acc_b", "cal_b", "inside", bseq, t0.Add(2*h), h, store.BusyExact)); err != nil {
			t.Fatal(err)
		}
		got, err := db.CalendarObjectsInRange(ctx, "acc_a", []string{"cal_a"}, t0, t0.Add(24*h))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(names(got)) != "[across inside free]" {
			t.Errorf("in range: %v", names(got))
		}
		busy, err := db.BusyObjectsInRange(ctx, "acc_a", []string{"cal_a"}, t0, t0.Add(24*h), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(busy) != 2 || busy[0].Busy != store.BusyExact || !busy[0].Start.Equal(t0.Add(2*h)) || len(busy[0].Data) != 0 ||
			busy[1].Busy != store.BusyExpand || busy[1].UID != "uid-across" || len(busy[1].Data) == 0 {
			t.Errorf("busy objects: %+v", busy)
		}
		if busy, _ := db.BusyObjectsInRange(ctx, "acc_a", []string{"cal_a"}, t0, t0.Add(24*h), []string{"uid-across"}); len(busy) != 1 {
			t.Errorf("busy objects ignoring a UID: %+v", busy)
		}
		// Long objects that start long before the window are found too;
		// objects that end before it or start after it are not.
		long := object("acc_a", "cal_a", "long", seq, t0.Add(-30*24*h), 60*24*h, store.BusyExpand)
		if err := db.PutCalendarObject(ctx, long); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			from, to time.Time
			want     string
		}{
			{t0, t0.Add(24 * h), "[long across inside free]"},
			{t0.Add(-47*h - 30*time.Minute), t0.Add(-46 * h), "[long past]"},
			{t0.Add(31 * h), t0.Add(40 * 24 * h), "[long]"},
			{t0.Add(40 * 24 * h), t0.Add(41 * 24 * h), "[]"},
		} {
			got, err := db.CalendarObjectsInRange(ctx, "acc_a", []string{"cal_a"}, c.from, c.to)
			if err != nil || fmt.Sprint(names(got)) != c.want {
				t.Errorf("in [%s, %s): %v %v, want %s", c.from, c.to, names(got), err, c.want)
			}
		}
		if err := db.DeleteCalendarObject(ctx, "acc_a", "cal_a", "long", seq); err != nil {
			t.Fatal(err)
		}
		// Another account's calendar ID gives nothing.
		if got, _ := db.CalendarObjectsInRange(ctx, "acc_a", []string{"cal_b"}, t0, t0.Add(24*h)); len(got) != 0 {
			t.Errorf("account A reads B's objects: %v", names(got))
		}
		if _, err := db.CalendarObject(ctx, "acc_a", "cal_b", "inside"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account A loads B's object: %v", err)
		}
		if _, err := db.Calendar(ctx, "acc_a", "cal_b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account A loads B's calendar: %v", err)
		}
		if err := db.DeleteCalendarObject(ctx, "acc_a", "cal_b", "inside", 9); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account A deletes B's object: %v", err)
		}
		if _, err := db.BumpCalendarSeq(ctx, "acc_a", "cal_b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account A bumps B's calendar: %v", err)
		}
		o, err := db.CalendarObjectByUID(ctx, "acc_a", "cal_a", "uid-inside")
		if err != nil || o.Name != "inside" || string(o.Data) == "" || !o.Start.Equal(t0.Add(2*h)) {
			t.Fatalf("by UID: %+v %v", o, err)
		}
		byName, err := db.CalendarObjectsByName(ctx, "acc_a", "cal_a", []string{"inside", "nope", "later"})
		if err != nil || len(byName) != 2 {
			t.Fatalf("by name: %v %v", names(byName), err)
		}
		counts, err := db.CalendarObjectCounts(ctx, "acc_a", []string{"cal_a", "cal_b"})
		if err != nil || fmt.Sprint(counts) != "map[cal_a:6]" {
			t.Errorf("counts: %v %v", counts, err)
		}
		// A UID is unique within a calendar.
		dup := object("acc_a", "cal_a", "other-name", seq, t0, h, store.BusyExact)
		dup.UID = "uid-inside"
		if err := db.PutCalendarObject(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate UID: %v", err)
		}
		// …except in the copy of a source, whose calendars may share one.
		dup.Origin = store.OriginRemote
		if err := db.PutCalendarObject(ctx, dup); err != nil {
			t.Errorf("duplicate UID of a remote object: %v", err)
		}
	})
}

func TestCalendarChangeLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedCalendar(t, db, "acc_a", "usr_a", "cal_a", store.CalendarBuiltin)
		put := func(name string) int64 {
			var seq int64
			err := db.InTx(ctx, func(tx *store.DB) error {
				var err error
				if seq, err = tx.BumpCalendarSeq(ctx, "acc_a", "cal_a"); err != nil {
					return err
				}
				return tx.PutCalendarObject(ctx, object("acc_a", "cal_a", name, seq, t0, time.Hour, store.BusyExact))
			})
			if err != nil {
				t.Fatal(err)
			}
			return seq
		}
		del := func(name string) int64 {
			seq, err := db.BumpCalendarSeq(ctx, "acc_a", "cal_a")
			if err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteCalendarObject(ctx, "acc_a", "cal_a", name, seq); err != nil {
				t.Fatal(err)
			}
			return seq
		}
		put("x")
		s2 := put("y")
		put("x")
		del("y")
		changes, err := db.CalendarChanges(ctx, "acc_a", "cal_a", 0)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(changes) != "[{x 3 false} {y 4 true}]" {
			t.Errorf("changes since 0: %v", changes)
		}
		if changes, _ := db.CalendarChanges(ctx, "acc_a", "cal_a", 3); fmt.Sprint(changes) != "[{y 4 true}]" {
			t.Errorf("changes since 3: %v", changes)
		}
		if err := db.DeleteCalendarObject(ctx, "acc_a", "cal_a", "y", 9); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if err := db.PruneCalendarChanges(ctx, "acc_a", "cal_a", 4); err != nil {
			t.Fatal(err)
		}
		c, _ := db.Calendar(ctx, "acc_a", "cal_a")
		if c.SyncFloor != 4 || c.SyncSeq != 4 {
			t.Errorf("after prune: floor %d seq %d", c.SyncFloor, c.SyncSeq)
		}
		if changes, _ := db.CalendarChanges(ctx, "acc_a", "cal_a", 0); fmt.Sprint(changes) != "[{x 3 false}]" {
			t.Errorf("after prune: %v", changes)
		}
		// A failed transaction leaves the counter and the log as they were.
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *store.DB) error {
			seq, err := tx.BumpCalendarSeq(ctx, "acc_a", "cal_a")
			if err != nil {
				return err
			}
			if err := tx.PutCalendarObject(ctx, object("acc_a", "cal_a", "z", seq, t0, time.Hour, store.BusyExact)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if c, _ := db.Calendar(ctx, "acc_a", "cal_a"); c.SyncSeq != 4 {
			t.Errorf("rolled back bump: seq %d", c.SyncSeq)
		}
		_ = s2
	})
}

// TestCalendarSeqSerializesWriters: concurrent writers of one calendar get
// distinct sequence numbers and every change is logged.
func TestCalendarSeqSerializesWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedCalendar(t, db, "acc_a", "usr_a", "cal_a", store.CalendarBuiltin)
		var wg sync.WaitGroup
		seqs := make([]int64, 8)
		for i := range seqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *store.DB) error {
					seq, err := tx.BumpCalendarSeq(ctx, "acc_a", "cal_a")
					if err != nil {
						return err
					}
					seqs[i] = seq
					return tx.PutCalendarObject(ctx, object("acc_a", "cal_a", fmt.Sprint("o", i), seq, t0, time.Hour, store.BusyExact))
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		seen := map[int64]bool{}
		for _, s := range seqs {
			if seen[s] || s < 1 || s > 8 {
				t.Errorf("sequence numbers %v are not 1..8 once each", seqs)
				break
			}
			seen[s] = true
		}
		changes, _ := db.CalendarChanges(ctx, "acc_a", "cal_a", 0)
		if len(changes) != 8 {
			t.Errorf("%d changes logged, want 8", len(changes))
		}
	})
}

func TestCalendarSourcesDueAndClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedUser(t, db, "acc_a", "usr_c", "c@a.test")
		seedCalendar(t, db, "acc_a", "usr_a", "cal_builtin", store.CalendarBuiltin)
		src := seedCalendar(t, db, "acc_a", "usr_a", "cal_src", store.CalendarICS)
		seedCalendar(t, db, "acc_a", "usr_c", "cal_src2", store.CalendarCalDAV)
		due, err := db.DueCalendars(ctx, t0, 10, 10)
		if err != nil || fmt.Sprint(len(due)) != "2" {
			t.Fatalf("due: %d %v", len(due), err)
		}
		ok, err := db.ClaimCalendarSync(ctx, "acc_a", "cal_src", t0, t0.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if ok, _ := db.ClaimCalendarSync(ctx, "acc_a", "cal_src", t0, t0.Add(time.Minute)); ok {
			t.Error("claimed twice")
		}
		src.Problem, src.ProblemSince, src.RemoteState = "feed answers 500", t0, []byte(`{"etag":"x"}`)
		src.LastAttempt, src.NextSync, src.Updated = t0, t0.Add(time.Hour), t0
		if err := db.SaveCalendarSync(ctx, src); err != nil {
			t.Fatal(err)
		}
		cals, err := db.UserCalendars(ctx, "acc_a", []string{"usr_a"})
		if err != nil || len(cals) != 2 {
			t.Fatalf("user calendars: %v %v", cals, err)
		}
		got := cals[1]
		if got.ID != "cal_src" || got.Problem != "feed answers 500" || !got.ProblemSince.Equal(t0) || string(got.RemoteState) != `{"etag":"x"}` {
			t.Errorf("saved sync: %+v", got)
		}
		if err := db.DeleteCalendar(ctx, "acc_b", "cal_src"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete from another account: %v", err)
		}
		if err := db.DeleteCalendar(ctx, "acc_a", "cal_src"); err != nil {
			t.Error(err)
		}
	})
}

// CalendarUsage counts a calendar's objects and the bytes of their data,
// through replacements and deletions, in the caller's account only.
func TestCalendarUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedAccount(t, db, "acc_b")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedUser(t, db, "acc_b", "usr_b", "b@b.test")
		seedCalendar(t, db, "acc_a", "usr_a", "cal_a", store.CalendarBuiltin)
		seedCalendar(t, db, "acc_b", "usr_b", "cal_b", store.CalendarBuiltin)
		put := func(o *store.CalendarObject) {
			t.Helper()
			if err := db.PutCalendarObject(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		usage := func(account, cal string) store.CalendarUsage {
			t.Helper()
			u, err := db.CalendarUsage(ctx, account, cal)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		if u := usage("acc_a", "cal_a"); u != (store.CalendarUsage{}) {
			t.Errorf("empty calendar: %+v", u)
		}
		a, b := object("acc_a", "cal_a", "a", 1, t0, time.Hour, store.BusyExact), object("acc_a", "cal_a", "b", 1, t0, time.Hour, store.BusyExact)
		b.Data = []byte("BEGIN:VCALENDAR\r\nX-NAME:é\r\nEND:VCALENDAR\r\n") // bytes, not characters
		put(a)
		put(b)
		put(object("acc_b", "cal_b", "z", 1, t0, time.Hour, store.BusyExact))
		if u := usage("acc_a", "cal_a"); u.Objects != 2 || u.Bytes != int64(len(a.Data)+len(b.Data)) {
			t.Errorf("two objects: %+v, want 2 and %d bytes", u, len(a.Data)+len(b.Data))
		}
		a.Data = append(a.Data, strings.Repeat("x", 100)...)
		put(a)
		if u := usage("acc_a", "cal_a"); u.Objects != 2 || u.Bytes != int64(len(a.Data)+len(b.Data)) {
			t.Errorf("after a replacement: %+v", u)
		}
		if err := db.DeleteCalendarObject(ctx, "acc_a", "cal_a", "a", 2); err != nil {
			t.Fatal(err)
		}
		if u := usage("acc_a", "cal_a"); u.Objects != 1 || u.Bytes != int64(len(b.Data)) {
			t.Errorf("after a deletion: %+v", u)
		}
		if u := usage("acc_b", "cal_a"); u != (store.CalendarUsage{}) {
			t.Errorf("another account's view of the calendar: %+v", u)
		}
	})
}

// DueCalendars lists at most perAccount sources of each account, the most
// overdue of each, so that one account's many due sources leave room for
// the others'.
func TestDueCalendarsPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedAccount(t, db, "acc_b")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedUser(t, db, "acc_b", "usr_b", "b@b.test")
		for i := range 10 {
			c := seedCalendar(t, db, "acc_a", "usr_a", fmt.Sprintf("a%02d", i), store.CalendarICS)
			c.NextSync, c.Updated = t0.Add(-time.Duration(20-i)*time.Minute), t0 // a00 the most overdue
			if err := db.SaveCalendarSync(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		b := seedCalendar(t, db, "acc_b", "usr_b", "b00", store.CalendarICS)
		b.NextSync, b.Updated = t0.Add(-time.Minute), t0 // the least overdue of all
		if err := db.SaveCalendarSync(ctx, b); err != nil {
			t.Fatal(err)
		}
		ids := func(cs []store.Calendar) string {
			var out []string
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return strings.Join(out, " ")
		}
		due, err := db.DueCalendars(ctx, t0, 2, 5)
		if err != nil || ids(due) != "a00 a01 b00" {
			t.Errorf("two per account: %s %v, want a00 a01 b00", ids(due), err)
		}
		due, err = db.DueCalendars(ctx, t0, 100, 3)
		if err != nil || ids(due) != "a00 a01 a02" {
			t.Errorf("the limit: %s %v", ids(due), err)
		}
		if due, _ := db.DueCalendars(ctx, t0.Add(-15*time.Minute), 100, 100); ids(due) != "a00 a01 a02 a03 a04 a05" {
			t.Errorf("due 15 minutes ago: %s", ids(due))
		}
	})
}

// TestBumpAndPutCalendarObject: on both engines, the object is stored at
// the calendar's next sequence with its change logged, as BumpCalendarSeq
// then PutCalendarObject would; an object of the same name is replaced;
// another account's calendar, or none, is ErrNotFound and nothing is
// written; a second object of one UID is ErrConflict.
func TestBumpAndPutCalendarObject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedAccount(t, db, "acc_b")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		seedCalendar(t, db, "acc_a", "usr_a", "cal_a", store.CalendarBuiltin)
		h := time.Hour
		o := object("acc_a", "cal_a", "one", 0, t0, h, store.BusyExact)
		seq, err := db.BumpAndPutCalendarObject(ctx, o)
		if err != nil || seq != 1 || o.Seq != 1 {
			t.Fatalf("first: %d (o.Seq %d) %v", seq, o.Seq, err)
		}
		two := object("acc_a", "cal_a", "two", 0, t0.Add(h), h, store.BusyExpand)
		if seq, err = db.BumpAndPutCalendarObject(ctx, two); err != nil || seq != 2 {
			t.Fatalf("second: %d %v", seq, err)
		}
		got, err := db.CalendarObject(ctx, "acc_a", "cal_a", "two")
		if err != nil || got.Seq != 2 || got.UID != "uid-two" || got.Busy != store.BusyExpand || !got.Start.Equal(t0.Add(h)) ||
			string(got.Data) != string(two.Data) || got.Origin != store.OriginImport || !got.Modified.Equal(t0) {
			t.Fatalf("stored: %+v %v", got, err)
		}
		if c, _ := db.Calendar(ctx, "acc_a", "cal_a"); c.SyncSeq != 2 {
			t.Errorf("calendar's sequence %d, want 2", c.SyncSeq)
		}
		changes, err := db.CalendarChanges(ctx, "acc_a", "cal_a", 1)
		if err != nil || len(changes) != 1 || changes[0].Name != "two" || changes[0].Seq != 2 || changes[0].Deleted {
			t.Errorf("changes since 1: %+v %v", changes, err)
		}
		// The same name again: replaced, at the next sequence.
		again := object("acc_a", "cal_a", "two", 0, t0.Add(5*h), h, store.BusyExact)
		if seq, err = db.BumpAndPutCalendarObject(ctx, again); err != nil || seq != 3 {
			t.Fatalf("replace: %d %v", seq, err)
		}
		if got, _ := db.CalendarObject(ctx, "acc_a", "cal_a", "two"); got.Seq != 3 || !got.Start.Equal(t0.Add(5*h)) {
			t.Errorf("replaced: %+v", got)
		}
		// Another account's calendar, and no calendar: nothing written.
		for _, o := range []*store.CalendarObject{object("acc_b", "cal_a", "x", 0, t0, h, store.BusyExact),
			object("acc_a", "cal_none", "x", 0, t0, h, store.BusyExact)} {
			if _, err := db.BumpAndPutCalendarObject(ctx, o); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s/%s: %v, want ErrNotFound", o.AccountID, o.CalendarID, err)
			}
		}
		if _, err := db.CalendarObject(ctx, "acc_a", "cal_a", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an object was written: %v", err)
		}
		if c, _ := db.Calendar(ctx, "acc_a", "cal_a"); c.SyncSeq != 3 {
			t.Errorf("calendar's sequence %d, want 3", c.SyncSeq)
		}
		dup := object("acc_a", "cal_a", "dup", 0, t0, h, store.BusyExact)
		dup.UID = "uid-one"
		if _, err := db.BumpAndPutCalendarObject(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second object of a UID: %v, want ErrConflict", err)
		}
	})
}

// TestSyncKeepsPushDuringSync: a sync asked for while a sync runs (a
// provider's push about a change it may have missed) survives that sync's
// outcome, so the change is read soon; without one, the outcome's next
// sync is stored, and the claim is replaced.
func TestSyncKeepsPushDuringSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedUser(t, db, "acc_a", "usr_a", "a@a.test")
		c := seedCalendar(t, db, "acc_a", "usr_a", "ap_1", store.CalendarICS)
		run := func(push bool, start time.Time) time.Time {
			t.Helper()
			if ok, err := db.ClaimCalendarSync(ctx, "acc_a", "ap_1", start.Add(time.Hour), start.Add(10*time.Minute)); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if push {
				if _, err := db.ScheduleCalendarSync(ctx, "acc_a", "ap_1", start.Add(time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			end := start.Add(2 * time.Second)
			c.LastAttempt, c.LastSync, c.NextSync, c.Updated = end, end, end.Add(15*time.Minute), end
			if err := db.SaveCalendarSync(ctx, c); err != nil {
				t.Fatal(err)
			}
			got, err := db.Calendar(ctx, "acc_a", "ap_1")
			if err != nil {
				t.Fatal(err)
			}
			return got.NextSync
		}
		if got := run(false, t0); !got.Equal(t0.Add(2*time.Second + 15*time.Minute)) {
			t.Errorf("no push: next sync %v", got)
		}
		later := t0.Add(time.Hour)
		if got := run(true, later); !got.Equal(later.Add(time.Second)) {
			t.Errorf("a push during the sync: next sync %v, want %v", got, later.Add(time.Second))
		}
	})
}
