package web

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// fakeCalendarApp is an app with calendars (as Microsoft 365 and Google
// Workspace are): its video.Calendars, Convene's own interface, records
// the events booking writes.
type fakeCalendarApp struct {
	// videoIsEvent: the app's video meetings are events of the host's
	// calendar (as Google Meet's are).
	videoIsEvent bool
	video        *fakeProvider

	mu       sync.Mutex
	events   map[string]video.CalendarEvent // id → as last written
	byRef    map[string]string              // CreateRef.Key → id
	puts     []video.CalendarEvent
	dels     []string
	delAt    []time.Time // the occurrence of each deletion (zero: all)
	channels []video.Channel
	// wrote receives a signal after every write.
	wrote chan struct{}
}

func newFakeCalendarApp() *fakeCalendarApp {
	return &fakeCalendarApp{events: map[string]video.CalendarEvent{}, byRef: map[string]string{}, wrote: make(chan struct{}, 100),
		video: &fakeProvider{meetings: map[string]*video.Meeting{}}}
}

func (f *fakeCalendarApp) app() video.App {
	return video.App{ID: "acme_cal", Name: "Acme Calendar", Auth: video.Auth{Kind: video.AuthNone},
		Connect:  func(video.Connection) video.Provider { return f.video },
		Calendar: func(video.Connection) video.Calendars { return f }, VideoIsEvent: f.videoIsEvent,
		DataUse: video.DataUse{Kept: []video.Kept{{Item: "join_url", Protection: video.KeptPlain}}},
		// Its notifications name a channel and echo its token, as
		// Graph's clientState and Google's X-Goog-Channel-Token do.
		Webhook: &video.Webhook{Summary: "Acme Calendar's change notifications",
			Receive: func(req video.WebhookRequest, now time.Time) (*video.Delivery, error) {
				var in struct{ Channel, Token string }
				if err := json.Unmarshal(req.Body, &in); err != nil {
					return nil, &video.WebhookError{Detail: "not an Acme notification"}
				}
				return &video.Delivery{Events: []video.Event{{Kind: video.EventCalendarChanged, Channel: in.Channel, ChannelToken: in.Token, At: now}}}, nil
			}}}
}

func (f *fakeCalendarApp) FreeBusy(context.Context, []string, time.Time, time.Time) (map[string]video.FreeBusy, error) {
	return map[string]video.FreeBusy{}, nil
}
func (f *fakeCalendarApp) Changes(context.Context, string, string, time.Time, time.Time) (*video.ChangeSet, error) {
	return &video.ChangeSet{Full: true, Cursor: "c"}, nil
}
func (f *fakeCalendarApp) Watch(_ context.Context, user, address, token string) (*video.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels = append(f.channels, video.Channel{ID: "chan-" + user, User: user, Token: token, Resource: address, Expires: time.Now().Add(72 * time.Hour)})
	return &f.channels[len(f.channels)-1], nil
}
func (f *fakeCalendarApp) Renew(context.Context, video.Channel) (*video.Channel, error) {
	return nil, video.ErrNotSupported
}
func (f *fakeCalendarApp) Unwatch(context.Context, video.Channel) error { return nil }
func (f *fakeCalendarApp) WorkingHours(context.Context, string) (*video.WorkingHours, error) {
	return nil, nil
}

// PutEvent is exactly once by ev.Ref, as the interface requires.
func (f *fakeCalendarApp) PutEvent(ctx context.Context, organizer string, ev video.CalendarEvent) (*video.EventRef, error) {
	f.mu.Lock()
	defer func() {
		f.mu.Unlock()
		f.wrote <- struct{}{}
	}()
	f.puts = append(f.puts, ev) // as asked
	if ev.ID == "" {
		ev.ID = f.byRef[ev.Ref.Key]
	}
	if ev.ID == "" {
		ev.ID = "ev" + string(rune('a'+len(f.byRef)))
		f.byRef[ev.Ref.Key] = ev.ID
	}
	f.events[ev.ID] = ev
	return &video.EventRef{ID: ev.ID, ICalUID: "provider-" + ev.ID}, nil
}

func (f *fakeCalendarApp) DeleteEvent(ctx context.Context, organizer, id string, occurrence time.Time, notify bool) error {
	f.mu.Lock()
	defer func() {
		f.mu.Unlock()
		f.wrote <- struct{}{}
	}()
	if occurrence.IsZero() {
		delete(f.events, id)
	}
	f.dels = append(f.dels, id)
	f.delAt = append(f.delAt, occurrence)
	return nil
}

// waitWrites waits until the app has taken n writes in all.
func (f *fakeCalendarApp) waitWrites(t *testing.T, n int) {
	t.Helper()
	for {
		f.mu.Lock()
		got := len(f.puts) + len(f.dels)
		f.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-f.wrote:
		case <-time.After(15 * time.Second):
			t.Fatalf("the app calendar took %d writes, want %d", got, n)
		}
	}
}

// A meeting whose organizer has an app calendar is written there, updated
// when it moves and deleted when it is cancelled; each attendee gets
// exactly one invitation in each invitation mode: Convene's mail (the
// event written with Notify false) or the provider's (Notify true, no
// mail from Convene).
func TestMeetingInOrganizersAppCalendar(t *testing.T) {
	fake := newFakeCalendarApp()
	h := newHarness(t, "sqlite", fake.app())
	tn := h.setupTenant("Acme", "acme.test", true)
	h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": "ann@acme.test", "name": "Ann", "timezone": "Europe/Paris"}, 201)
	for _, app := range []string{"jitsi", "acme_cal"} {
		h.expect("POST", "/api/v1/apps/"+app+"/pre-approve", tn.owner, nil, 200)
	}
	h.expect("POST", "/api/v1/apps/jitsi/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	h.expect("POST", "/api/v1/apps/acme_cal/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	cals, err := h.db.AppCalendars(context.Background(), tn.accountID)
	if err != nil || len(cals) != 3 { // owner, member, ann
		t.Fatalf("app calendars after the install: %d %v", len(cals), err)
	}
	attendees := []string{"ann@acme.test", "guest@partner.example"}
	book := func(start string) (string, string) {
		m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Plan", "start_time": start, "timezone": "UTC",
			"duration": 30, "video_provider": "jitsi",
			"attendees": []map[string]string{{"email": attendees[0]}, {"email": attendees[1]}}}, 201)
		return m["id"].(string), m["video"].(map[string]any)["join_url"].(string)
	}
	// invitations counts, per attendee, Convene's invitations (REQUEST
	// mails in the outbox) and the provider's (events written with Notify).
	invitations := func(meetingID string, mails int) map[string]int {
		t.Helper()
		n := map[string]int{}
		for _, m := range h.mailsOf(tn.accountID, meetingID, mails) {
			if m.Kind == "request" {
				n[m.Recipients[0]]++
			}
		}
		fake.mu.Lock()
		defer fake.mu.Unlock()
		for _, ev := range fake.puts {
			if ev.Notify && ev.Ref.Key == "app-event/"+meetingID {
				for _, a := range ev.Attendees {
					n[a.Email]++
				}
				break // the first write invites; later ones update
			}
		}
		return n
	}

	// Convene's invitations.
	id, join := book("2030-06-03T10:00")
	fake.waitWrites(t, 1)
	fake.mu.Lock()
	ev := fake.puts[0]
	fake.mu.Unlock()
	m, _ := h.db.Meeting(context.Background(), tn.accountID, id)
	if ev.UID != m.UID || ev.Notify || ev.JoinURL != join || ev.Conference || ev.Subject != "Plan" ||
		!ev.Start.Equal(time.Date(2030, 6, 3, 10, 0, 0, 0, time.UTC)) || len(ev.Attendees) != 2 || ev.ID != "" {
		t.Fatalf("event: %+v", ev)
	}
	for _, a := range attendees {
		if n := invitations(id, 3)[a]; n != 1 {
			t.Errorf("convene mode: %s got %d invitations", a, n)
		}
	}
	// Moved: the same event is updated.
	h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"start_time": "2030-06-03T14:00"}, 200)
	fake.waitWrites(t, 2)
	fake.mu.Lock()
	moved := fake.puts[1]
	fake.mu.Unlock()
	if moved.ID != "eva" || !moved.Start.Equal(time.Date(2030, 6, 3, 14, 0, 0, 0, time.UTC)) || len(fake.byRef) != 1 {
		t.Fatalf("moved: %+v", moved)
	}
	// Its UIDs, for a search of another time: the meeting's and the
	// provider's.
	if uids, err := h.booking.MeetingUIDs(context.Background(), m); err != nil || !slices.Equal(uids, []string{m.UID, "provider-eva"}) {
		t.Errorf("uids: %v %v", uids, err)
	}
	// Cancelled: deleted.
	h.expect("DELETE", "/api/v1/meetings/"+id, tn.member, nil, 200)
	fake.waitWrites(t, 3)
	if fake.dels[0] != "eva" {
		t.Fatalf("deleted: %v", fake.dels)
	}

	// The provider's invitations: Convene mails the organizer only.
	h.expect("PATCH", "/api/v1/account", tn.owner, map[string]any{"invitations": "provider"}, 200)
	id2, _ := book("2030-06-04T10:00")
	fake.waitWrites(t, 4)
	for _, a := range attendees {
		if n := invitations(id2, 1)[a]; n != 1 {
			t.Errorf("provider mode: %s got %d invitations", a, n)
		}
	}
	if ms := h.mailsOf(tn.accountID, id2, 1); ms[0].Recipients[0] != tn.memberEmail {
		t.Errorf("provider mode mailed %v", ms[0].Recipients)
	}
	if got, _ := h.db.Account(context.Background(), tn.accountID); got.Invitations != store.InvitationsProvider {
		t.Errorf("mode %q", got.Invitations)
	}
}

// When the meeting's video app is the organizer's calendar app, the event
// carries the app's video meeting's link (no second conference); when the
// app's video meeting is itself an event (VideoIsEvent), that event is
// updated and no second one is made.
func TestAppEventWithTheSameAppsVideo(t *testing.T) {
	for _, isEvent := range []bool{false, true} {
		t.Run(map[bool]string{false: "conference", true: "video is the event"}[isEvent], func(t *testing.T) {
			fake := newFakeCalendarApp()
			fake.videoIsEvent = isEvent
			h := newHarness(t, "sqlite", fake.app())
			tn := h.setupTenant("Acme", "acme.test", true)
			h.expect("POST", "/api/v1/apps/acme_cal/pre-approve", tn.owner, nil, 200)
			h.expect("POST", "/api/v1/apps/acme_cal/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
			m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Plan", "start_time": "2030-06-03T10:00",
				"timezone": "UTC", "duration": 30, "video_provider": "acme_cal",
				"attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
			vid := m["video"].(map[string]any)["id"].(string)
			fake.waitWrites(t, 1)
			fake.mu.Lock()
			ev := fake.puts[0]
			fake.mu.Unlock()
			if isEvent {
				if ev.ID != vid || ev.Conference || ev.JoinURL != "" {
					t.Fatalf("the video meeting's event: %+v", ev)
				}
			} else if join := m["video"].(map[string]any)["join_url"].(string); ev.ID != "" || ev.Conference || join == "" || ev.JoinURL != join {
				// The app's video meeting, made by the video job: its
				// link, not a second conference with another one.
				t.Fatalf("an event with the video meeting's link %q: %+v", join, ev)
			}
			// Cancelled: a separate event is deleted; the video meeting's
			// own event goes with the video meeting.
			h.expect("DELETE", "/api/v1/meetings/"+m["id"].(string), tn.member, nil, 200)
			if !isEvent {
				fake.waitWrites(t, 2)
				if len(fake.dels) != 1 {
					t.Fatalf("deleted: %v", fake.dels)
				}
			}
		})
	}
}

// A change notification reaches the calendar core through the app's
// webhook: the channel's calendar is synced soon only when the channel is
// one Convene opened and the token is its own.
func TestCalendarNotificationThroughTheWebhook(t *testing.T) {
	fake := newFakeCalendarApp()
	h := newHarness(t, "sqlite", fake.app())
	tn := h.setupTenant("Acme", "acme.test", true)
	h.expect("POST", "/api/v1/apps/acme_cal/pre-approve", tn.owner, nil, 200)
	h.expect("POST", "/api/v1/apps/acme_cal/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	if n := h.api.Calendars.SyncDue(context.Background()); n != 2 {
		t.Fatalf("synced %d app calendars, want 2", n)
	}
	var ch video.Channel
	for _, c := range fake.channels {
		if c.User == tn.memberEmail {
			ch = c
		}
	}
	if ch.Token == "" || ch.Resource != h.srv.URL+"/webhooks/acme_cal" {
		t.Fatalf("channels: %+v", fake.channels)
	}
	calID := "ap_acme_cal_" + tn.memberID
	next := func() time.Time {
		c, err := h.db.Calendar(context.Background(), tn.accountID, calID)
		if err != nil {
			t.Fatal(err)
		}
		return c.NextSync
	}
	before := next()
	for _, body := range []string{
		`{"channel":"` + ch.ID + `","token":"forged"}`,
		`{"channel":"chan-nobody","token":"` + ch.Token + `"}`,
	} {
		if status, _, _ := h.doRawWith("POST", "/webhooks/acme_cal", "", body, nil); status != 204 {
			t.Fatalf("%s: %d", body, status)
		}
		if !next().Equal(before) {
			t.Fatalf("%s scheduled a sync", body)
		}
	}
	if status, _, _ := h.doRawWith("POST", "/webhooks/acme_cal", "", `{"channel":"`+ch.ID+`","token":"`+ch.Token+`"}`, nil); status != 204 {
		t.Fatalf("a true notification: %d", status)
	}
	if got := next(); !got.Before(before) || got.After(time.Now()) {
		t.Fatalf("a true notification: next sync %s (was %s)", got, before)
	}
}

// A series is written with its rule; cancelling one occurrence deletes
// that occurrence only; moving one writes the series with it moved.
func TestAppEventOfASeries(t *testing.T) {
	fake := newFakeCalendarApp()
	h := newHarness(t, "sqlite", fake.app())
	tn := h.setupTenant("Acme", "acme.test", true)
	for _, app := range []string{"jitsi", "acme_cal"} {
		h.expect("POST", "/api/v1/apps/"+app+"/pre-approve", tn.owner, nil, 200)
		h.expect("POST", "/api/v1/apps/"+app+"/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	}
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Weekly", "type": "recurring", "start_time": "2030-06-03T10:00",
		"timezone": "UTC", "duration": 30, "video_provider": "jitsi", "recurrence": map[string]any{"rrule": "FREQ=WEEKLY;COUNT=4"},
		"attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
	id := m["id"].(string)
	fake.waitWrites(t, 1)
	fake.mu.Lock()
	ev := fake.puts[0]
	fake.mu.Unlock()
	if ev.RRule != "FREQ=WEEKLY;COUNT=4" || len(ev.ExDates) != 0 {
		t.Fatalf("series: %+v", ev)
	}
	// Jitsi keeps no series: the occurrence is named by its start.
	h.expect("DELETE", "/api/v1/meetings/"+id+"?scope=this&occurrence=2030-06-10T10:00:00Z", tn.member, nil, 200)
	fake.waitWrites(t, 2)
	fake.mu.Lock()
	if len(fake.dels) != 1 || !fake.delAt[0].Equal(time.Date(2030, 6, 10, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("deleted %v at %v", fake.dels, fake.delAt)
	}
	puts := len(fake.puts)
	fake.mu.Unlock()
	// Moving one occurrence writes the series with that occurrence moved
	// (and the cancelled one still excluded).
	h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"scope": "this", "occurrence": "2030-06-17T10:00:00Z", "start_time": "2030-06-17T14:00"}, 200)
	fake.waitWrites(t, 3)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.puts) != puts+1 {
		t.Fatalf("%d writes of the series after the move, want 1", len(fake.puts)-puts)
	}
	ev = fake.puts[puts]
	want := video.MovedOccurrence{Original: time.Date(2030, 6, 17, 10, 0, 0, 0, time.UTC), Start: time.Date(2030, 6, 17, 14, 0, 0, 0, time.UTC), End: time.Date(2030, 6, 17, 14, 30, 0, 0, time.UTC)}
	if len(ev.Moved) != 1 || !ev.Moved[0].Original.Equal(want.Original) || !ev.Moved[0].Start.Equal(want.Start) || !ev.Moved[0].End.Equal(want.End) ||
		len(ev.ExDates) != 1 || !ev.ExDates[0].Equal(time.Date(2030, 6, 10, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("the series after the move: moved %+v, excluded %v", ev.Moved, ev.ExDates)
	}
}
