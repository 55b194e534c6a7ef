package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// TestNewProviderFromItsEntry: a provider the rest of Convene has never
// heard of is offered everywhere once its catalog entry is registered, and
// nothing else changes: the apps' list and the admin's install, the
// OpenAPI document's enums and its webhook route, the choice of a default
// provider, a booking with its rules and its link, and its webhook's
// deletion, applied once the provider confirms it. Every answer is checked
// against the served OpenAPI document.
func TestNewProviderFromItsEntry(t *testing.T) {
	fake := &fakeProvider{meetings: map[string]*video.Meeting{}}
	h := newHarness(t, "sqlite", fake.app())
	doc, router := loadOpenAPI(t, h)
	h.validate = validateAgainst(t, router)

	// The document's enums and routes come from the catalog.
	enum := func(schema, prop string) []string {
		var out []string
		for _, v := range doc.Components.Schemas[schema].Value.Properties[prop].Value.Enum {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	if got := enum("App", "id"); !slices.Equal(got, []string{"zoom", "jitsi", "acme_video"}) {
		t.Errorf("App.id enum %v", got)
	}
	if got := enum("MeetingRequest", "video_provider"); !slices.Contains(got, "acme_video") || !slices.Contains(got, "none") || !slices.Contains(got, "zoom") {
		t.Errorf("MeetingRequest.video_provider enum %v", got)
	}
	if doc.Paths.Find("/webhooks/acme_video") == nil || doc.Paths.Find("/webhooks/jitsi") != nil {
		t.Error("webhook routes are not the catalog's")
	}

	tn := h.setupTenant("Acme", "acme.test", true)
	apps := h.expect("GET", "/api/v1/apps", tn.owner, nil, 200)["apps"].([]any)
	if len(apps) != 3 || apps[2].(map[string]any)["name"] != "Acme Video" {
		t.Fatalf("apps: %v", apps)
	}
	h.expect("POST", "/api/v1/apps/acme_video/pre-approve", tn.owner, nil, 200)
	inst := h.expect("POST", "/api/v1/apps/acme_video/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	if _, ok := inst["authorize_url"]; ok || inst["app"].(map[string]any)["state"] != store.InstallInstalled {
		t.Fatalf("install: %v", inst)
	}
	// The account's default: one of the catalog's, or none.
	h.expect("PATCH", "/api/v1/account", tn.owner, map[string]any{"default_video_provider": "acme_video"}, 200)
	status, out := h.do("PATCH", "/api/v1/account", tn.owner, map[string]any{"default_video_provider": "teams"})
	if status != 422 || !strings.Contains(fmt.Sprint(out), "zoom, jitsi, acme_video or none") {
		t.Errorf("an unknown default: %d %v", status, out)
	}
	meeting := map[string]any{"subject": "Acme call", "start_time": "2030-06-03T10:00", "timezone": "UTC", "duration": 30,
		"attendees": []map[string]string{{"email": "guest@partner.example"}}}
	// A meeting's provider: one of the catalog's, or none.
	withTeams := map[string]any{"video_provider": "teams"}
	for k, v := range meeting {
		withTeams[k] = v
	}
	status, out = h.do("POST", "/api/v1/meetings", tn.member, withTeams)
	if status != 422 || !strings.Contains(fmt.Sprint(out), `"teams" is not zoom, jitsi, acme_video or none`) {
		t.Errorf("an unknown provider: %d %v", status, out)
	}
	// Its rules: no passcode.
	withPassword := map[string]any{"password": "secret"}
	for k, v := range meeting {
		withPassword[k] = v
	}
	status, out = h.do("POST", "/api/v1/meetings", tn.member, withPassword)
	if status != 422 || !strings.Contains(fmt.Sprint(out), "Acme links carry no passcode") {
		t.Errorf("a passcode the provider refuses: %d %v", status, out)
	}
	// Booked with the account's default: the provider's link.
	m := h.expect("POST", "/api/v1/meetings", tn.member, meeting, 201)
	id, vid := m["id"].(string), m["video"].(map[string]any)
	if vid["provider"] != "acme_video" || !strings.HasPrefix(vid["join_url"].(string), "https://video.acme.example/") {
		t.Fatalf("video: %v", vid)
	}
	h.mailsOf(tn.accountID, id, 2)

	// Its webhook: a deletion the provider does not confirm cancels
	// nothing, nor does one from another provider account than the
	// install's (Acme has none: its installs are bound to ""); one it
	// confirms cancels the meeting.
	deleted := func(account string) {
		t.Helper()
		body := fmt.Sprintf(`{"deleted":%q,"account":%q}`, vid["id"], account)
		if status, _, _ := h.doRawWith("POST", "/webhooks/acme_video", "", body, map[string]string{"X-Acme-Token": "let-me-in"}); status != 204 {
			t.Fatalf("webhook: %d", status)
		}
	}
	if status, _, _ := h.doRawWith("POST", "/webhooks/acme_video", "", `{}`, nil); status != 401 {
		t.Errorf("an unsigned delivery: %d, want 401", status)
	}
	// A challenge in the query, without a body, answered in plain text.
	if status, raw, hd := h.doRawWith("POST", "/webhooks/acme_video?validationToken=Validation%3A+abc", "", nil, nil); status != 200 ||
		string(raw) != "Validation: abc" || hd.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("a challenge: %d %q %q", status, raw, hd.Get("Content-Type"))
	}
	deleted("")
	if got, _ := h.db.Meeting(context.Background(), tn.accountID, id); got.Status != store.MeetingBooked {
		t.Fatalf("a deletion the provider does not confirm: %s", got.Status)
	}
	fake.drop(vid["id"].(string))
	deleted("another-acme-account")
	if got, _ := h.db.Meeting(context.Background(), tn.accountID, id); got.Status != store.MeetingBooked {
		t.Fatalf("a deletion from another provider account: %s", got.Status)
	}
	deleted("")
	got, _ := h.db.Meeting(context.Background(), tn.accountID, id)
	if got.Status != store.MeetingCancelled || got.Problem != "deleted in Acme Video" {
		t.Fatalf("after a confirmed deletion: %s %q", got.Status, got.Problem)
	}
}

// fakeProvider is a made-up video provider: its links are made here, its
// meetings kept in memory.
type fakeProvider struct {
	mu       sync.Mutex
	n        int
	meetings map[string]*video.Meeting
}

// app is its catalog entry, built as a provider's package would build it.
func (f *fakeProvider) app() video.App {
	return video.App{
		ID: "acme_video", Name: "Acme Video",
		Auth:    video.Auth{Kind: video.AuthNone},
		Connect: func(video.Connection) video.Provider { return f },
		Rules:   video.Rules{Password: func(string) string { return "Acme links carry no passcode" }},
		Webhook: &video.Webhook{Summary: "Acme's notices", ReplyText: true,
			Receive: func(req video.WebhookRequest, now time.Time) (*video.Delivery, error) {
				if v := req.Query.Get("validationToken"); v != "" {
					return &video.Delivery{ReplyText: v}, nil // as Microsoft Graph checks an endpoint
				}
				if req.Header.Get("X-Acme-Token") != "let-me-in" {
					return nil, &video.WebhookError{Unauthenticated: true, Detail: "X-Acme-Token is wrong"}
				}
				var in struct{ Deleted, Account string }
				if err := json.Unmarshal(req.Body, &in); err != nil || in.Deleted == "" {
					return nil, &video.WebhookError{Detail: "not an Acme notice"}
				}
				return &video.Delivery{Events: []video.Event{{Kind: video.EventDeleted, Account: in.Account, MeetingID: in.Deleted, At: now}}}, nil
			}},
		DataUse: video.DataUse{Kept: []video.Kept{{Item: "join_url", Protection: video.KeptPlain}}},
	}
}

// drop deletes a meeting, as its host would at the provider.
func (f *fakeProvider) drop(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.meetings, id)
}

func (f *fakeProvider) Name() string { return "acme_video" }

func (f *fakeProvider) Create(ctx context.Context, host string, spec video.Spec) (*video.Meeting, error) {
	return f.CreateOnce(ctx, host, spec, video.CreateRef{})
}

func (f *fakeProvider) CreateOnce(_ context.Context, host string, spec video.Spec, _ video.CreateRef) (*video.Meeting, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("acme-%d", f.n)
	m := &video.Meeting{Provider: "acme_video", ID: id, HostEmail: host, Topic: spec.Topic, Type: video.Scheduled,
		StartTime: spec.StartTime.UTC(), Duration: spec.Duration, Timezone: spec.Timezone, JoinURL: "https://video.acme.example/" + id}
	f.meetings[id] = m
	c := *m
	return &c, nil
}

func (f *fakeProvider) Get(_ context.Context, id, _ string) (*video.Meeting, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.meetings[id]
	if !ok {
		return nil, video.ErrNotFound
	}
	c := *m
	return &c, nil
}

func (f *fakeProvider) Update(ctx context.Context, id, occurrenceID string, spec video.Spec) (*video.Meeting, error) {
	return f.Get(ctx, id, occurrenceID)
}

func (f *fakeProvider) Delete(_ context.Context, id, _ string) error {
	f.drop(id)
	return nil
}

func (f *fakeProvider) List(context.Context, string) ([]video.Meeting, error) {
	return nil, video.ErrNotSupported
}

func (f *fakeProvider) Invitation(context.Context, string) (*video.Invitation, error) {
	return nil, video.ErrNotSupported
}
