package calendar

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestBusyAcrossDST: weekly and daily events written in four zones keep
// their wall-clock time across the DST changes (Lord Howe's is half an
// hour), and Kolkata's half-hour offset is kept without DST.
func TestBusyAcrossDST(t *testing.T) {
	f := newFixture(t, "sqlite")
	cases := []struct {
		zone, rule, start string
		from, to          string
		want              string
	}{
		{"Europe/Paris", "FREQ=WEEKLY;COUNT=2", "20260323T090000", "2026-03-20T00:00:00Z", "2026-04-05T00:00:00Z",
			"[03-23T08:00/03-23T09:00 03-30T07:00/03-30T08:00]"},
		{"Europe/Paris", "FREQ=WEEKLY", "20261019T090000", "2026-10-18T00:00:00Z", "2026-10-27T00:00:00Z",
			"[10-19T07:00/10-19T08:00 10-26T08:00/10-26T09:00]"},
		{"America/New_York", "FREQ=DAILY", "20260307T090000", "2026-03-07T00:00:00Z", "2026-03-09T00:00:00Z",
			"[03-07T14:00/03-07T15:00 03-08T13:00/03-08T14:00]"},
		{"America/New_York", "FREQ=DAILY;UNTIL=20261102T000000Z", "20261031T090000", "2026-10-31T00:00:00Z", "2026-11-10T00:00:00Z",
			"[10-31T13:00/10-31T14:00 11-01T14:00/11-01T15:00]"},
		{"Asia/Kolkata", "FREQ=DAILY;COUNT=2", "20260328T093000", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
			"[03-28T04:00/03-28T05:00 03-29T04:00/03-29T05:00]"},
		{"Australia/Lord_Howe", "FREQ=DAILY;COUNT=2", "20260404T090000", "2026-04-01T00:00:00Z", "2026-04-10T00:00:00Z",
			"[04-03T22:00/04-03T23:00 04-04T22:30/04-04T23:30]"},
		{"Australia/Lord_Howe", "FREQ=DAILY", "20261003T090000", "2026-10-02T00:00:00Z", "2026-10-04T00:00:00Z",
			"[10-02T22:30/10-02T23:30 10-03T22:00/10-03T23:00]"},
		// 02:30 does not exist in Paris on 2026-03-29: RFC 5545 §3.3.5
		// reads it with the offset before the gap (03:30 CEST).
		{"Europe/Paris", "FREQ=DAILY;COUNT=3", "20260328T023000", "2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z",
			"[03-28T01:30/03-28T02:30 03-29T01:30/03-29T02:30 03-30T00:30/03-30T01:30]"},
	}
	for i, c := range cases {
		t.Run(c.zone+"/"+c.start, func(t *testing.T) {
			u := f.user(strings.ToLower(strings.ReplaceAll(c.zone, "/", "-"))+"-"+string(rune('a'+i))+"@acme.test", c.zone, store.RoleMember)
			body := ics(vevent("series", "DTSTART;TZID="+c.zone+":"+c.start, "DURATION:PT1H", "RRULE:"+c.rule))
			if _, err := f.svc.Import(context.Background(), principal(u), u.Email, strings.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			busy, problems, err := f.svc.Busy(context.Background(), u.AccountID, []string{u.ID}, mustTime(c.from), mustTime(c.to))
			if err != nil || len(problems) > 0 {
				t.Fatal(err, problems)
			}
			if got := spans(busy[u.ID]); got != c.want {
				t.Errorf("busy %s, want %s", got, c.want)
			}
		})
	}
}

// TestBusyExceptionsAndFreeEvents: EXDATE, moved and cancelled instances,
// transparent, cancelled and declined events, floating and all-day events
// read in the user's own zone.
func TestBusyExceptionsAndFreeEvents(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	body := ics(
		// Daily 10:00-11:00 Paris, 2026-03-02..06; the 3rd excluded, the 4th
		// moved to 15:00, the 5th cancelled.
		vevent("daily", "DTSTART;TZID=Europe/Paris:20260302T100000", "DTEND;TZID=Europe/Paris:20260302T110000",
			"RRULE:FREQ=DAILY;COUNT=5", "EXDATE;TZID=Europe/Paris:20260303T100000"),
		vevent("daily", "RECURRENCE-ID;TZID=Europe/Paris:20260304T100000", "DTSTART;TZID=Europe/Paris:20260304T150000",
			"DTEND;TZID=Europe/Paris:20260304T160000"),
		vevent("daily", "RECURRENCE-ID;TZID=Europe/Paris:20260305T100000", "DTSTART;TZID=Europe/Paris:20260305T100000",
			"DTEND;TZID=Europe/Paris:20260305T110000", "STATUS:CANCELLED"),
		vevent("transparent", "DTSTART:20260302T130000Z", "DTEND:20260302T140000Z", "TRANSP:TRANSPARENT"),
		vevent("cancelled", "DTSTART:20260302T140000Z", "DTEND:20260302T150000Z", "STATUS:CANCELLED"),
		vevent("declined", "DTSTART:20260302T150000Z", "DTEND:20260302T160000Z",
			"ORGANIZER:mailto:bob@acme.test", "ATTENDEE;PARTSTAT=DECLINED:mailto:ANN@acme.test"),
		vevent("others-declined", "DTSTART:20260302T160000Z", "DTEND:20260302T170000Z",
			"ATTENDEE;PARTSTAT=DECLINED:mailto:carl@acme.test", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@acme.test"),
		vevent("tentative", "DTSTART:20260303T070000Z", "DTEND:20260303T073000Z", "STATUS:TENTATIVE"),
		// Floating 12:00-12:30 and an all-day event: Paris time for Ann.
		vevent("floating", "DTSTART:20260303T120000", "DTEND:20260303T123000"),
		vevent("allday", "DTSTART;VALUE=DATE:20260306", "DTEND;VALUE=DATE:20260307"),
	)
	res, err := f.svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 8 || len(res.Skipped) != 0 {
		t.Fatalf("import: %+v", res)
	}
	busy, _, err := f.svc.Busy(context.Background(), "acc_1", []string{ann.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-08T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	want := "[03-02T09:00/03-02T10:00 03-02T16:00/03-02T17:00 03-03T07:00/03-03T07:30 03-03T11:00/03-03T11:30 " +
		"03-04T14:00/03-04T15:00 03-05T23:00/03-06T23:00]"
	if got := spans(busy[ann.ID]); got != want {
		t.Errorf("busy\n got %s\nwant %s", got, want)
	}
	// A user in New York reads the same floating event at New York noon.
	bob := f.user("bob@acme.test", "America/New_York", store.RoleMember)
	if _, err := f.svc.Import(context.Background(), principal(bob), bob.Email, strings.NewReader(ics(vevent("floating", "DTSTART:20260303T120000", "DTEND:20260303T123000")))); err != nil {
		t.Fatal(err)
	}
	busy, _, _ = f.svc.Busy(context.Background(), "acc_1", []string{bob.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-08T00:00:00Z"))
	if got := spans(busy[bob.ID]); got != "[03-03T17:00/03-03T17:30]" {
		t.Errorf("floating in New York: %s", got)
	}
	// Ignoring a UID (a meeting being rescheduled) frees its time.
	busy, _, _ = f.svc.BusyFor(context.Background(), BusyQuery{AccountID: "acc_1", UserIDs: []string{ann.ID},
		From: mustTime("2026-03-02T00:00:00Z"), To: mustTime("2026-03-03T00:00:00Z"), IgnoreUIDs: []string{"daily", "others-declined"}})
	if got := spans(busy[ann.ID]); got != "[]" {
		t.Errorf("ignoring UIDs: %s", got)
	}
}

func TestImportReplacesOnlyImportedEvents(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	admin := f.user("admin@acme.test", "UTC", store.RoleAdmin)
	bob := f.user("bob@acme.test", "UTC", store.RoleMember)
	ctx := context.Background()
	first := ics(vevent("a", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z"),
		vevent("b", "DTSTART:20260302T110000Z", "DTEND:20260302T120000Z"),
		"BEGIN:VTODO\nUID:todo\nDTSTAMP:20260101T000000Z\nEND:VTODO")
	res, err := f.svc.Import(ctx, principal(ann), ann.Email, strings.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Events != 2 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "VTODO") {
		t.Fatalf("first import: %+v", res)
	}
	cal, _ := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID))
	seq := cal.SyncSeq
	// The same data again: nothing changes, not even the ctag.
	res, err = f.svc.Import(ctx, principal(ann), ann.Email, strings.NewReader(first))
	if err != nil || res.Unchanged != 2 || res.Added+res.Changed+res.Removed != 0 {
		t.Fatalf("same import: %+v %v", res, err)
	}
	if cal, _ := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID)); cal.SyncSeq != seq {
		t.Errorf("an import that changes nothing raised the sequence %d → %d", seq, cal.SyncSeq)
	}
	// A booked meeting's event stays when imports replace the rest.
	if _, err := f.svc.WriteEvent(ctx, "acc_1", ann.ID, []byte(ics(vevent("meeting-1", "DTSTART:20260302T130000Z", "DTEND:20260302T140000Z")))); err != nil {
		t.Fatal(err)
	}
	second := ics(vevent("b", "DTSTART:20260302T110000Z", "DTEND:20260302T113000Z"),
		vevent("meeting-1", "DTSTART:20260302T000000Z", "DTEND:20260302T235900Z"))
	// An admin imports for Ann.
	res, err = f.svc.Import(ctx, principal(admin), ann.Email, strings.NewReader(second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 1 || res.Removed != 1 || res.Events != 1 || len(res.Skipped) != 1 || res.Skipped[0].UID != "meeting-1" {
		t.Fatalf("second import: %+v", res)
	}
	busy, _, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-03T00:00:00Z"))
	if got := spans(busy[ann.ID]); got != "[03-02T11:00/03-02T11:30 03-02T13:00/03-02T14:00]" {
		t.Errorf("busy after the second import: %s", got)
	}
	// Bob may not import into Ann's calendar; nobody reaches another
	// account's users.
	_, err = f.svc.Import(ctx, principal(bob), ann.Email, strings.NewReader(first))
	if failure.KindOf(err) != failure.Forbidden {
		t.Errorf("member importing for another: %v", err)
	}
	f.user("zed@beta.test", "UTC", store.RoleMember)
	_, err = f.svc.Import(ctx, principal(admin), "zed@beta.test", strings.NewReader(first))
	if failure.KindOf(err) != failure.NotFound || strings.Contains(err.Error(), "zed") {
		t.Errorf("admin importing for another account's user: %v", err)
	}
	for _, bad := range []string{"", "not a calendar", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", strings.Repeat("BEGIN:X\r\n", 50)} {
		if _, err := f.svc.Import(ctx, principal(ann), ann.Email, strings.NewReader(bad)); failure.KindOf(err) != failure.Malformed {
			t.Errorf("import %.20q: %v, want Malformed", bad, err)
		}
	}
}

func TestWriteAndDeleteBookedEvents(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
	ctx := context.Background()
	series := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//booking//EN\r\nMETHOD:REQUEST\r\n" +
		"BEGIN:VEVENT\r\nUID:mtg-7@convene\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Paris:20260302T100000\r\n" +
		"DTEND;TZID=Europe/Paris:20260302T103000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSEQUENCE:0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	w, err := f.svc.WriteEvent(ctx, "acc_1", ann.ID, []byte(series))
	if err != nil || !w.Changed || w.UID != "mtg-7@convene" {
		t.Fatalf("write: %+v %v", w, err)
	}
	again, err := f.svc.WriteEvent(ctx, "acc_1", ann.ID, []byte(series))
	if err != nil || again.Changed || again.ETag != w.ETag {
		t.Fatalf("write again: %+v %v", again, err)
	}
	o, err := f.db.CalendarObjectByUID(ctx, "acc_1", BuiltinID(ann.ID), "mtg-7@convene")
	if err != nil || strings.Contains(string(o.Data), "METHOD") || o.Origin != store.OriginBooking {
		t.Fatalf("stored: %v %s", err, o.Data)
	}
	from, to := mustTime("2026-03-01T00:00:00Z"), mustTime("2026-03-31T00:00:00Z")
	if err := f.svc.DeleteOccurrence(ctx, "acc_1", ann.ID, "mtg-7@convene", mustTime("2026-03-09T09:00:00Z")); err != nil {
		t.Fatal(err)
	}
	busy, _, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	if got := spans(busy[ann.ID]); got != "[03-02T09:00/03-02T09:30 03-16T09:00/03-16T09:30]" {
		t.Errorf("after deleting one occurrence: %s", got)
	}
	if err := f.svc.DeleteEvent(ctx, "acc_1", ann.ID, "mtg-7@convene"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteEvent(ctx, "acc_1", ann.ID, "mtg-7@convene"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	busy, _, _ = f.svc.Busy(ctx, "acc_1", []string{ann.ID}, from, to)
	if got := spans(busy[ann.ID]); got != "[]" {
		t.Errorf("after delete: %s", got)
	}
	// Data that is no event is refused.
	if _, err := f.svc.WriteEvent(ctx, "acc_1", ann.ID, []byte(ics("BEGIN:VTODO\nUID:x\nDTSTAMP:20260101T000000Z\nEND:VTODO"))); !errors.Is(err, ErrInvalidObject) {
		t.Errorf("a VTODO: %v", err)
	}
}

func TestClientObjectPreconditions(t *testing.T) {
	f := newFixture(t, "sqlite")
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	ctx := context.Background()
	data := []byte(ics(vevent("c1", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")))
	cal, err := decodeOne(data)
	if err != nil {
		t.Fatal(err)
	}
	o, created, err := f.svc.PutClientObject(ctx, ann, "c1.ics", data, cal, Conditions{IfNoneMatch: "*"})
	if err != nil || !created || o.ETag != etagOf(data) {
		t.Fatalf("create: %v %v %v", o, created, err)
	}
	if _, _, err := f.svc.PutClientObject(ctx, ann, "c1.ics", data, cal, Conditions{IfNoneMatch: "*"}); !errors.Is(err, ErrPrecondition) {
		t.Errorf("If-None-Match * on an existing resource: %v", err)
	}
	if _, _, err := f.svc.PutClientObject(ctx, ann, "c1.ics", data, cal, Conditions{IfMatch: `"stale"`}); !errors.Is(err, ErrPrecondition) {
		t.Errorf("stale If-Match: %v", err)
	}
	if _, _, err := f.svc.PutClientObject(ctx, ann, "other.ics", data, cal, Conditions{}); !errors.Is(err, ErrUIDConflict) {
		t.Errorf("same UID under another name: %v", err)
	}
	data2 := []byte(ics(vevent("c1", "DTSTART:20260302T090000Z", "DTEND:20260302T110000Z")))
	cal2, _ := decodeOne(data2)
	o2, created, err := f.svc.PutClientObject(ctx, ann, "c1.ics", data2, cal2, Conditions{IfMatch: `"` + o.ETag + `"`})
	if err != nil || created || o2.ETag == o.ETag {
		t.Fatalf("update with If-Match: %v %v %v", o2, created, err)
	}
	if err := f.svc.DeleteClientObject(ctx, ann, "c1.ics", `"`+o.ETag+`"`); !errors.Is(err, ErrPrecondition) {
		t.Errorf("delete with a stale If-Match: %v", err)
	}
	if err := f.svc.DeleteClientObject(ctx, ann, "c1.ics", `"`+o2.ETag+`"`); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := f.svc.DeleteClientObject(ctx, ann, "c1.ics", ""); !errors.Is(err, ErrNoObject) {
		t.Errorf("delete again: %v", err)
	}
	changes, _ := f.db.CalendarChanges(ctx, "acc_1", BuiltinID(ann.ID), 0)
	if len(changes) != 1 || !changes[0].Deleted || changes[0].Seq != 3 {
		t.Errorf("change log: %+v", changes)
	}
}

// TestBusyOnBothEngines runs an import and a busy query on SQLite and
// PostgreSQL.
func TestBusyOnBothEngines(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			ann := f.user("ann@acme.test", "Asia/Kolkata", store.RoleMember)
			body := ics(vevent("w", "DTSTART;TZID=Asia/Kolkata:20260302T093000", "DURATION:PT45M", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"),
				vevent("one", "DTSTART:20260303T100000Z", "DTEND:20260303T110000Z"))
			if _, err := f.svc.Import(context.Background(), principal(ann), ann.Email, strings.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			busy, _, err := f.svc.Busy(context.Background(), "acc_1", []string{ann.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-05T00:00:00Z"))
			if err != nil {
				t.Fatal(err)
			}
			if got := spans(busy[ann.ID]); got != "[03-02T04:00/03-02T04:45 03-03T10:00/03-03T11:00 03-04T04:00/03-04T04:45]" {
				t.Errorf("busy: %s", got)
			}
		})
	}
	_ = time.Second
}

// TestWriteEventInATransaction: an event written inside the caller's
// transaction commits with it or not at all, and writing the same data
// again inside one changes nothing, not even the calendar's sequence.
func TestWriteEventInATransaction(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			ann := f.user("ann@acme.test", "UTC", store.RoleMember)
			ctx := context.Background()
			data := []byte(ics(vevent("mtg-9@convene", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")))
			boom := errors.New("boom")
			err := f.db.Tx(ctx, func(tx store.Store) error {
				if _, err := f.svc.WriteEventIn(ctx, tx, mustPrepare(t, ann, data)); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if _, err := f.db.CalendarObjectByUID(ctx, "acc_1", BuiltinID(ann.ID), "mtg-9@convene"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("rolled back, the event is there: %v", err)
			}
			var w *Written
			err = f.db.Tx(ctx, func(tx store.Store) error {
				var err error
				w, err = f.svc.WriteEventIn(ctx, tx, mustPrepare(t, ann, data))
				return err
			})
			if err != nil || !w.Changed {
				t.Fatalf("write: %+v %v", w, err)
			}
			busy, _, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-03T00:00:00Z"))
			if got := spans(busy[ann.ID]); got != "[03-02T09:00/03-02T10:00]" {
				t.Errorf("busy after the write: %s", got)
			}
			cal, _ := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID))
			err = f.db.Tx(ctx, func(tx store.Store) error {
				var err error
				w, err = f.svc.WriteEventIn(ctx, tx, mustPrepare(t, ann, data))
				return err
			})
			if err != nil || w.Changed {
				t.Fatalf("write again: %+v %v", w, err)
			}
			if again, _ := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID)); again.SyncSeq != cal.SyncSeq {
				t.Errorf("writing the same event again raised the sequence %d → %d", cal.SyncSeq, again.SyncSeq)
			}
		})
	}
}

func mustPrepare(t *testing.T, u *store.User, ics []byte) *Event {
	t.Helper()
	ev, err := PrepareEvent(u, ics)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestWriteNewEventIn: the first event of a UID is written without looking
// for an earlier one, into a built-in calendar made on first use, with the
// calendar's sequence raised and its change logged as WriteEventIn does;
// a second object with the same UID is refused, never stored beside the
// first.
func TestWriteNewEventIn(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			ann := f.user("ann@acme.test", "UTC", store.RoleMember)
			ctx := context.Background()
			write := func(uid string) (*Written, error) {
				data := []byte(ics(vevent(uid, "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")))
				var w *Written
				err := f.db.Tx(ctx, func(tx store.Store) error {
					var err error
					w, err = f.svc.WriteNewEventIn(ctx, tx, mustPrepare(t, ann, data))
					return err
				})
				return w, err
			}
			if _, err := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the fixture has a built-in calendar already: %v", err)
			}
			w, err := write("mtg-1@convene")
			if err != nil || !w.Changed || w.Name != ObjectName("mtg-1@convene") {
				t.Fatalf("first write, no calendar yet: %+v %v", w, err)
			}
			cal, err := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID))
			if err != nil {
				t.Fatal(err)
			}
			if w, err = write("mtg-2@convene"); err != nil || !w.Changed {
				t.Fatalf("second event: %+v %v", w, err)
			}
			after, _ := f.db.Calendar(ctx, "acc_1", BuiltinID(ann.ID))
			if after.SyncSeq != cal.SyncSeq+1 {
				t.Errorf("sequence %d → %d, want one more", cal.SyncSeq, after.SyncSeq)
			}
			changes, err := f.db.CalendarChanges(ctx, "acc_1", BuiltinID(ann.ID), cal.SyncSeq)
			if err != nil || len(changes) != 1 || changes[0].Name != ObjectName("mtg-2@convene") || changes[0].Deleted {
				t.Errorf("changes since %d: %+v %v", cal.SyncSeq, changes, err)
			}
			busy, _, _ := f.svc.Busy(ctx, "acc_1", []string{ann.ID}, mustTime("2026-03-02T00:00:00Z"), mustTime("2026-03-03T00:00:00Z"))
			if got := spans(busy[ann.ID]); got != "[03-02T09:00/03-02T10:00]" {
				t.Errorf("busy: %s", got)
			}
			// The same UID under another name (a CalDAV client's PUT): the
			// write that assumed it new is refused.
			o, err := f.db.CalendarObjectByUID(ctx, "acc_1", BuiltinID(ann.ID), "mtg-2@convene")
			if err != nil {
				t.Fatal(err)
			}
			o.Name = "renamed.ics"
			if err := f.db.DeleteCalendarObject(ctx, "acc_1", BuiltinID(ann.ID), ObjectName("mtg-2@convene"), after.SyncSeq+1); err != nil {
				t.Fatal(err)
			}
			if err := f.db.PutCalendarObject(ctx, o); err != nil {
				t.Fatal(err)
			}
			if _, err := write("mtg-2@convene"); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("a second object of one UID: %v, want ErrConflict", err)
			}
		})
	}
}
