package googlesandbox

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
)

// apiErr unwraps a googleapi.Error with its status and first reason.
func apiErr(t *testing.T, err error) (int, string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("not a Google API error: %v", err)
	}
	reason := ""
	if len(ge.Errors) > 0 {
		reason = ge.Errors[0].Reason
	}
	return ge.Code, reason
}

// listAll pages through events.list with the Go client and returns the
// items and the sync token.
func listAll(t *testing.T, call func(pageToken string) (*gcal.Events, error)) ([]*gcal.Event, string, int) {
	t.Helper()
	var items []*gcal.Event
	pages := 0
	token := ""
	for {
		page, err := call(token)
		if err != nil {
			t.Fatalf("list page %d: %v", pages, err)
		}
		pages++
		items = append(items, page.Items...)
		if page.NextPageToken == "" {
			if page.NextSyncToken == "" {
				t.Fatal("last page without nextSyncToken")
			}
			return items, page.NextSyncToken, pages
		}
		if page.NextSyncToken != "" {
			t.Fatal("a page with both nextPageToken and nextSyncToken")
		}
		token = page.NextPageToken
	}
}

// TestGoClientSync: Google's Go client lists in small pages, syncs
// incrementally (changes and deletions only), and meets 410
// fullSyncRequired after the tokens are invalidated.
func TestGoClientSync(t *testing.T) {
	sb := newSandbox(t, func(o *Options) { o.PageSize = 7 })
	key := sb.key("example.com")
	svc := sb.service(key, "alice@example.com")
	for i := range 30 {
		sb.addEvent("alice@example.com", map[string]any{"summary": "e" + string(rune('a'+i%26)),
			"start": map[string]any{"dateTime": at(i%5, 9+i%8, 0)}, "end": map[string]any{"dateTime": at(i%5, 10+i%8, 0)}})
	}
	full := func(tok string) (*gcal.Events, error) {
		return svc.Events.List("primary").PageToken(tok).Do()
	}
	items, syncTok, pages := listAll(t, full)
	if len(items) != 30 || pages != 5 {
		t.Fatalf("full sync: %d items in %d pages, want 30 in 5", len(items), pages)
	}
	ids := map[string]bool{}
	for _, ev := range items {
		ids[ev.Id] = true
	}
	if len(ids) != 30 {
		t.Fatalf("duplicates across pages: %d distinct", len(ids))
	}

	// A change while paging: the pages stay consistent, the change comes
	// with the next sync.
	page1, err := svc.Events.List("primary").Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Events.Patch("primary", page1.Items[0].Id, &gcal.Event{Summary: "renamed"}).Do(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Events.Delete("primary", items[29].Id).Do(); err != nil {
		t.Fatal(err)
	}
	changes, syncTok2, _ := listAll(t, func(tok string) (*gcal.Events, error) {
		return svc.Events.List("primary").SyncToken(syncTok).PageToken(tok).Do()
	})
	if len(changes) != 2 {
		t.Fatalf("incremental sync: %d items, want 2", len(changes))
	}
	got := map[string]string{}
	for _, c := range changes {
		got[c.Id] = c.Status + "/" + c.Summary
	}
	if got[page1.Items[0].Id] != "confirmed/renamed" || got[items[29].Id] != "cancelled/" {
		t.Errorf("changes: %v", got)
	}
	// Nothing changed since: empty.
	none, _, _ := listAll(t, func(tok string) (*gcal.Events, error) {
		return svc.Events.List("primary").SyncToken(syncTok2).PageToken(tok).Do()
	})
	if len(none) != 0 {
		t.Errorf("sync without changes: %d items", len(none))
	}
	// Sync tokens and window parameters do not mix.
	_, err = svc.Events.List("primary").SyncToken(syncTok2).TimeMin(at(0, 0, 0)).Do()
	if code, _ := apiErr(t, err); code != http.StatusBadRequest {
		t.Errorf("syncToken with timeMin: %d", code)
	}

	sb.control("POST", "/sync-tokens/invalidate", map[string]any{"calendar_id": "alice@example.com"}, http.StatusOK)
	_, err = svc.Events.List("primary").SyncToken(syncTok2).Do()
	if code, reason := apiErr(t, err); code != http.StatusGone || reason != "fullSyncRequired" {
		t.Errorf("invalidated token: %d %s", code, reason)
	}
	items, _, _ = listAll(t, full)
	if len(items) != 29 {
		t.Errorf("full resync: %d items, want 29 (deleted ones hidden)", len(items))
	}
}

// TestGoClientInsertConference: insert with a client-given id and a Meet
// createRequest; the same id again is 409; conferenceDataVersion=0 ignores
// conferenceData.
func TestGoClientInsertConference(t *testing.T) {
	sb := newSandbox(t, nil)
	key := sb.key("example.com", ScopeEvents)
	svc := sb.service(key, "alice@example.com", ScopeEvents)
	ev := &gcal.Event{
		Id: "convene0booking0001", Summary: "Booked", Start: &gcal.EventDateTime{DateTime: at(1, 14, 0), TimeZone: "Europe/Paris"},
		End:       &gcal.EventDateTime{DateTime: at(1, 15, 0), TimeZone: "Europe/Paris"},
		Attendees: []*gcal.EventAttendee{{Email: "alice@example.com"}, {Email: "guest@other.test"}},
		ConferenceData: &gcal.ConferenceData{CreateRequest: &gcal.CreateConferenceRequest{RequestId: "req-1",
			ConferenceSolutionKey: &gcal.ConferenceSolutionKey{Type: "hangoutsMeet"}}},
	}
	got, err := svc.Events.Insert("primary", ev).ConferenceDataVersion(1).SendUpdates("all").Do()
	if err != nil {
		t.Fatal(err)
	}
	cd := got.ConferenceData
	if got.Id != ev.Id || cd == nil || cd.CreateRequest.Status.StatusCode != "success" || cd.ConferenceSolution.Key.Type != "hangoutsMeet" ||
		cd.ConferenceId == "" || got.HangoutLink == "" || !strings.HasSuffix(got.HangoutLink, cd.ConferenceId) {
		t.Fatalf("conference: %+v", got)
	}
	kinds := map[string]string{}
	for _, ep := range cd.EntryPoints {
		kinds[ep.EntryPointType] = ep.Uri
		if ep.EntryPointType == "phone" && (ep.Pin == "" || !strings.HasPrefix(ep.Uri, "tel:+")) {
			t.Errorf("phone entry point %+v", ep)
		}
	}
	if kinds["video"] != got.HangoutLink || kinds["phone"] == "" {
		t.Errorf("entry points %v", kinds)
	}
	if got.Organizer == nil || !got.Organizer.Self || got.Organizer.Email != "alice@example.com" {
		t.Errorf("organizer %+v", got.Organizer)
	}
	if r, err := http.Get(got.HangoutLink); err != nil || r.StatusCode != 200 {
		t.Errorf("Meet link: %v %v", r, err)
	}

	_, err = svc.Events.Insert("primary", ev).ConferenceDataVersion(1).Do()
	if code, reason := apiErr(t, err); code != http.StatusConflict || reason != "duplicate" {
		t.Errorf("same id: %d %s", code, reason)
	}
	ev2 := *ev
	ev2.Id = ""
	plain, err := svc.Events.Insert("primary", &ev2).Do()
	if err != nil {
		t.Fatal(err)
	}
	if plain.ConferenceData != nil || plain.HangoutLink != "" {
		t.Errorf("conferenceDataVersion 0 created a conference: %+v", plain.ConferenceData)
	}
	// Patching with the same requestId keeps the conference.
	again, err := svc.Events.Patch("primary", got.Id, &gcal.Event{Summary: "Booked (moved)", ConferenceData: ev.ConferenceData}).ConferenceDataVersion(1).Do()
	if err != nil {
		t.Fatal(err)
	}
	if again.ConferenceData.ConferenceId != cd.ConferenceId {
		t.Errorf("same requestId made another conference: %s vs %s", again.ConferenceData.ConferenceId, cd.ConferenceId)
	}
	// Only the guest is mailed, once.
	ms := sb.mails()
	if len(ms) != 1 || ms[0].To != "guest@other.test" || ms[0].Kind != "invitation" {
		t.Errorf("mails %+v", ms)
	}
	// Bad ids are refused.
	bad := ev2
	bad.Id = "Has_Upper"
	_, err = svc.Events.Insert("primary", &bad).Do()
	if code, _ := apiErr(t, err); code != http.StatusBadRequest {
		t.Errorf("bad id: %d", code)
	}
}

// TestSendUpdates: Google mails per sendUpdates: all, externalOnly, none;
// new attendees are invited, removed ones get a cancellation; nobody gets
// two invitations.
func TestSendUpdates(t *testing.T) {
	sb := newSandbox(t, nil)
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	ev, err := svc.Events.Insert("primary", &gcal.Event{Summary: "m", Start: &gcal.EventDateTime{DateTime: at(2, 9, 0)},
		End:       &gcal.EventDateTime{DateTime: at(2, 10, 0)},
		Attendees: []*gcal.EventAttendee{{Email: "bob@example.com"}, {Email: "carol@other.test"}}}).SendUpdates("externalOnly").Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Events.Patch("primary", ev.Id, &gcal.Event{Summary: "m2"}).SendUpdates("none").Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Events.Patch("primary", ev.Id, &gcal.Event{Attendees: []*gcal.EventAttendee{{Email: "carol@other.test"}, {Email: "dan@other.test"}}}).SendUpdates("all").Do(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Events.Delete("primary", ev.Id).SendUpdates("all").Do(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range sb.mails() {
		got = append(got, m.To+":"+m.Kind)
	}
	want := []string{"carol@other.test:invitation", "carol@other.test:update", "dan@other.test:invitation", "bob@example.com:cancellation",
		"carol@other.test:cancellation", "dan@other.test:cancellation"}
	if !slices.Equal(got, want) {
		t.Errorf("mails\n got %v\nwant %v", got, want)
	}
	// Deleting again: 410 deleted.
	err = svc.Events.Delete("primary", ev.Id).Do()
	if code, reason := apiErr(t, err); code != http.StatusGone || reason != "deleted" {
		t.Errorf("second delete: %d %s", code, reason)
	}
	// A deleted event is still answered by get, cancelled.
	gone, err := svc.Events.Get("primary", ev.Id).Do()
	if err != nil || gone.Status != "cancelled" {
		t.Errorf("get deleted: %v %v", gone, err)
	}
}

// seedAlice adds the calendar to alice (Europe/Paris): a weekly
// series with a moved and a cancelled occurrence, a declined event, a
// transparent one, an all-day event and a working location.
func seedAlice(sb *sandbox) (seriesID string) {
	sb.control("POST", "/users", map[string]any{"email": "alice@example.com", "time_zone": "Europe/Paris"}, http.StatusCreated)
	series := sb.addEvent("alice@example.com", map[string]any{"summary": "weekly",
		"start":      map[string]any{"dateTime": "2030-01-07T09:00:00", "timeZone": "Europe/Paris"},
		"end":        map[string]any{"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Paris"},
		"recurrence": []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"}})
	id := series["id"].(string)
	// Second Monday moved to 14:00, third cancelled.
	sb.control("PATCH", "/calendars/alice@example.com/events/"+id+"_20300114T080000Z", map[string]any{
		"start": map[string]any{"dateTime": "2030-01-14T14:00:00+01:00"}, "end": map[string]any{"dateTime": "2030-01-14T15:00:00+01:00"}}, http.StatusOK)
	sb.control("DELETE", "/calendars/alice@example.com/events/"+id+"_20300121T080000Z", nil, http.StatusNoContent)
	sb.addEvent("alice@example.com", map[string]any{"summary": "declined",
		"start": map[string]any{"dateTime": at(1, 9, 0)}, "end": map[string]any{"dateTime": at(1, 10, 0)},
		"organizer": map[string]any{"email": "boss@example.com"},
		"attendees": []any{map[string]any{"email": "alice@example.com", "responseStatus": "declined"}}})
	sb.addEvent("alice@example.com", map[string]any{"summary": "free", "transparency": "transparent",
		"start": map[string]any{"dateTime": at(1, 11, 0)}, "end": map[string]any{"dateTime": at(1, 12, 0)}})
	sb.addEvent("alice@example.com", map[string]any{"summary": "holiday",
		"start": map[string]any{"date": "2030-01-09"}, "end": map[string]any{"date": "2030-01-10"}})
	sb.addEvent("alice@example.com", map[string]any{"summary": "office", "eventType": "workingLocation",
		"start": map[string]any{"date": "2030-01-10"}, "end": map[string]any{"date": "2030-01-11"},
		"visibility": "public", "workingLocationProperties": map[string]any{"type": "officeLocation", "officeLocation": map[string]any{"label": "HQ"}}})
	return id
}

// TestRecurrenceAndExceptions: singleEvents expands the series with its
// exceptions; without it the series and its cancelled instance are
// listed; instances answers the occurrences; instance ids are Google's.
func TestRecurrenceAndExceptions(t *testing.T) {
	sb := newSandbox(t, nil)
	id := seedAlice(sb)
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	single, err := svc.Events.List("primary").SingleEvents(true).OrderBy("startTime").
		TimeMin("2030-01-06T00:00:00Z").TimeMax("2030-02-10T00:00:00Z").Do()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range single.Items {
		s := ev.Start.DateTime
		if s == "" {
			s = ev.Start.Date
		}
		got = append(got, ev.Summary+"@"+s)
	}
	want := []string{"weekly@2030-01-07T09:00:00+01:00", "declined@2030-01-08T09:00:00Z", "free@2030-01-08T11:00:00Z",
		"holiday@2030-01-09", "office@2030-01-10", "weekly@2030-01-14T14:00:00+01:00", "weekly@2030-01-28T09:00:00+01:00"}
	if !slices.Equal(got, want) {
		t.Errorf("singleEvents\n got %v\nwant %v", got, want)
	}
	for _, ev := range single.Items {
		if ev.Summary == "weekly" && (ev.RecurringEventId != id || ev.OriginalStartTime == nil || !strings.HasPrefix(ev.Id, id+"_")) {
			t.Errorf("instance %+v", ev)
		}
	}
	series, err := svc.Events.List("primary").Do()
	if err != nil {
		t.Fatal(err)
	}
	var cancelled, masters int
	for _, ev := range series.Items {
		if ev.Status == "cancelled" && ev.RecurringEventId == id {
			cancelled++
		}
		if len(ev.Recurrence) > 0 {
			masters++
		}
	}
	if cancelled != 1 || masters != 1 || len(series.Items) != 7 {
		t.Errorf("without singleEvents: %d items, %d series, %d cancelled instances", len(series.Items), masters, cancelled)
	}
	inst, err := svc.Events.Instances("primary", id).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Items) != 3 {
		t.Errorf("instances: %d, want 3", len(inst.Items))
	}
	withDeleted, err := svc.Events.Instances("primary", id).ShowDeleted(true).Do()
	if err != nil || len(withDeleted.Items) != 4 {
		t.Errorf("instances with deleted: %v %v", len(withDeleted.Items), err)
	}
	// An instance is reachable by its id; a non-occurrence is not.
	if ev, err := svc.Events.Get("primary", id+"_20300128T080000Z").Do(); err != nil || ev.RecurringEventId != id {
		t.Errorf("get instance: %v %v", ev, err)
	}
	_, err = svc.Events.Get("primary", id+"_20300129T080000Z").Do()
	if code, _ := apiErr(t, err); code != http.StatusNotFound {
		t.Errorf("not an occurrence: %d", code)
	}
	// eventTypes filters.
	wl, err := svc.Events.List("primary").EventTypes("workingLocation").Do()
	if err != nil || len(wl.Items) != 1 || wl.Items[0].WorkingLocationProperties == nil {
		t.Errorf("eventTypes: %v %v", wl, err)
	}
}

// TestFreeBusy: many calendars in one call; transparent, declined and
// working-location events are free; the series is expanded with its
// exceptions; the all-day event is busy in the owner's time zone;
// another domain's calendar is notFound; the per-call limit holds.
func TestFreeBusy(t *testing.T) {
	sb := newSandbox(t, nil)
	seedAlice(sb)
	sb.addEvent("bob@example.com", map[string]any{"summary": "b", "start": map[string]any{"dateTime": at(1, 9, 30)}, "end": map[string]any{"dateTime": at(1, 10, 30)}})
	sb.addEvent("bob@example.com", map[string]any{"summary": "b2", "start": map[string]any{"dateTime": at(1, 10, 0)}, "end": map[string]any{"dateTime": at(1, 11, 0)}})
	svc := sb.service(sb.key("example.com", ScopeFreeBusy), "bob@example.com", ScopeFreeBusy)
	res, err := svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2030-01-07T00:00:00Z", TimeMax: "2030-01-31T00:00:00Z",
		Items: []*gcal.FreeBusyRequestItem{{Id: "alice@example.com"}, {Id: "bob@example.com"}, {Id: "eve@other.test"}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	span := func(id string) []string {
		var out []string
		for _, b := range res.Calendars[id].Busy {
			out = append(out, b.Start+"/"+b.End)
		}
		return out
	}
	wantAlice := []string{"2030-01-07T08:00:00Z/2030-01-07T09:00:00Z", "2030-01-08T23:00:00Z/2030-01-09T23:00:00Z",
		"2030-01-14T13:00:00Z/2030-01-14T14:00:00Z", "2030-01-28T08:00:00Z/2030-01-28T09:00:00Z"}
	if got := span("alice@example.com"); !slices.Equal(got, wantAlice) {
		t.Errorf("alice busy\n got %v\nwant %v", got, wantAlice)
	}
	if got := span("bob@example.com"); !slices.Equal(got, []string{"2030-01-08T09:30:00Z/2030-01-08T11:00:00Z"}) {
		t.Errorf("bob busy (merged): %v", got)
	}
	if e := res.Calendars["eve@other.test"].Errors; len(e) != 1 || e[0].Reason != "notFound" {
		t.Errorf("other domain: %+v", res.Calendars["eve@other.test"])
	}
	var many []*gcal.FreeBusyRequestItem
	for i := range 51 {
		many = append(many, &gcal.FreeBusyRequestItem{Id: strings.Repeat("u", i+1) + "@example.com"})
	}
	_, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2030-01-07T00:00:00Z", TimeMax: "2030-01-08T00:00:00Z", Items: many}).Do()
	if code, reason := apiErr(t, err); code != http.StatusBadRequest || reason != "tooManyCalendarsRequested" {
		t.Errorf("51 calendars: %d %s", code, reason)
	}
	_, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2030-01-07T00:00:00Z", TimeMax: "2030-06-08T00:00:00Z", Items: many[:1]}).Do()
	if code, _ := apiErr(t, err); code != http.StatusBadRequest {
		t.Errorf("five months: %d", code)
	}
	// The freebusy scope does not read events.
	_, err = svc.Events.List("primary").Do()
	if code, reason := apiErr(t, err); code != http.StatusForbidden || reason != "insufficientPermissions" {
		t.Errorf("events with the freebusy scope: %d %s", code, reason)
	}
	// Another user's calendar is not visible through events.
	svc2 := sb.service(sb.key("example.com"), "bob@example.com")
	_, err = svc2.Events.List("alice@example.com").Do()
	if code, _ := apiErr(t, err); code != http.StatusNotFound {
		t.Errorf("alice's events as bob: %d", code)
	}
}

// TestFreeBusyBounded: a daily series started 30 years earlier is
// expanded within the window; a 15-minute series as old exceeds the
// expansion budget, and the calendar answers an error instead of free
// time; both fast.
func TestFreeBusyBounded(t *testing.T) {
	sb := newSandbox(t, nil)
	for _, u := range []struct{ who, rule string }{{"alice", "RRULE:FREQ=DAILY"}, {"bob", "RRULE:FREQ=MINUTELY;INTERVAL=15"}} {
		sb.addEvent(u.who+"@example.com", map[string]any{"summary": "old",
			"start":      map[string]any{"dateTime": "2000-01-03T09:00:00", "timeZone": "America/New_York"},
			"end":        map[string]any{"dateTime": "2000-01-03T09:15:00", "timeZone": "America/New_York"},
			"recurrence": []string{u.rule}})
	}
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	start := time.Now()
	res, err := svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2030-01-07T00:00:00Z", TimeMax: "2030-01-08T00:00:00Z",
		Items: []*gcal.FreeBusyRequestItem{{Id: "alice@example.com"}, {Id: "bob@example.com"}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	a := res.Calendars["alice@example.com"]
	if len(a.Busy) != 1 || a.Busy[0].Start != "2030-01-07T14:00:00Z" || len(a.Errors) != 0 {
		t.Errorf("daily series: %+v", a)
	}
	if b := res.Calendars["bob@example.com"]; len(b.Errors) != 1 || b.Errors[0].Reason != "internalError" {
		t.Errorf("over budget: %+v", b)
	}
}

// TestConferencePending: with the control, a Meet create answers
// "pending" without a link; the conference appears after the reads asked
// for, as a change (the sync reports it).
func TestConferencePending(t *testing.T) {
	sb := newSandbox(t, nil)
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	sb.control("POST", "/conferences/pending", map[string]any{"times": 1, "reads": 2}, http.StatusOK)
	ev, err := svc.Events.Insert("primary", &gcal.Event{Summary: "p", Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)},
		ConferenceData: &gcal.ConferenceData{CreateRequest: &gcal.CreateConferenceRequest{RequestId: "r", ConferenceSolutionKey: &gcal.ConferenceSolutionKey{Type: "hangoutsMeet"}}}}).ConferenceDataVersion(1).Do()
	if err != nil {
		t.Fatal(err)
	}
	if ev.ConferenceData.CreateRequest.Status.StatusCode != "pending" || ev.HangoutLink != "" || len(ev.ConferenceData.EntryPoints) != 0 {
		t.Fatalf("insert: %+v", ev.ConferenceData)
	}
	list, _ := svc.Events.List("primary").Do()
	got, _ := svc.Events.Get("primary", ev.Id).Do()
	if got.ConferenceData.CreateRequest.Status.StatusCode != "pending" {
		t.Errorf("first read: %s", got.ConferenceData.CreateRequest.Status.StatusCode)
	}
	got, _ = svc.Events.Get("primary", ev.Id).Do()
	if got.ConferenceData.CreateRequest.Status.StatusCode != "success" || got.HangoutLink == "" {
		t.Errorf("second read: %+v", got.ConferenceData)
	}
	changes, err := svc.Events.List("primary").SyncToken(list.NextSyncToken).Do()
	if err != nil || len(changes.Items) != 1 || changes.Items[0].HangoutLink == "" {
		t.Errorf("sync after the conference: %v %v", changes, err)
	}
	// The next create is immediate again.
	ev2, _ := svc.Events.Insert("primary", &gcal.Event{Summary: "q", Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)},
		ConferenceData: &gcal.ConferenceData{CreateRequest: &gcal.CreateConferenceRequest{RequestId: "r2"}}}).ConferenceDataVersion(1).Do()
	if ev2.HangoutLink == "" {
		t.Error("second create pending")
	}
}
