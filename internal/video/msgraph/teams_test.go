package msgraph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

const onlineMeetingAnswer = `{"id":"MSpkYzE3","subject":"Plan","startDateTime":"2026-12-07T09:00:00Z","endDateTime":"2026-12-07T09:45:00Z",
 "creationDateTime":"2026-12-01T10:00:00Z","joinWebUrl":"https://teams.microsoft.com/l/meetup-join/19%3ameeting_1/0","externalId":"x",
 "videoTeleconferenceId":"1234567890","audioConferencing":{"conferenceId":"987654321","tollNumber":"+1 555 0100","tollFreeNumber":"+1 800 555 0100",
 "dialinUrl":"https://dialin.teams.microsoft.com/local"},
 "participants":{"organizer":{"upn":"ann@example.com","identity":{"user":{"id":"u-ann"}}}}}`

// TestTeamsCreateOnce: createOrGet with an externalId that a retry with
// the same reference repeats (Graph then returns the first meeting) and
// another reference does not; the join and dial-in details come back in
// video's form; a series or Zoom settings are not sent.
func TestTeamsCreateOnce(t *testing.T) {
	c, seen := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		if r.Method == "DELETE" {
			return 404, `{"error":{"code":"NotFound","message":"gone"}}`
		}
		return 200, onlineMeetingAnswer
	})
	teams := Teams{c}
	ctx := context.Background()
	spec := video.Spec{Topic: "Plan", StartTime: time.Date(2026, 12, 7, 10, 0, 0, 0, time.FixedZone("CET", 3600)), Duration: 45}
	var posted time.Time
	m, err := teams.CreateOnce(ctx, "ann@example.com", spec, video.CreateRef{Key: "job-1", Posting: func(_ context.Context, at time.Time) error { posted = at; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	first := (*seen)[0]
	if first.method != "POST" || first.path != "/users/ann@example.com/onlineMeetings/createOrGet" || first.body["startDateTime"] != "2026-12-07T09:00:00Z" ||
		first.body["endDateTime"] != "2026-12-07T09:45:00Z" || first.body["externalId"] == "" || posted.IsZero() {
		t.Errorf("%+v", first)
	}
	if m.ID != "ann@example.com/MSpkYzE3" || m.JoinURL != "https://teams.microsoft.com/l/meetup-join/19%3ameeting_1/0" || m.PSTNPassword != "987654321" ||
		m.H323Password != "1234567890" || m.HostID != "u-ann" || m.Duration != 45 || m.Recurrence != nil ||
		!strings.Contains(m.Invitation, "https://dialin.teams.microsoft.com/local") || !strings.Contains(m.Invitation, "+1 555 0100,,987654321#") {
		t.Errorf("meeting %+v", m)
	}
	if _, err := teams.CreateOnce(ctx, "ann@example.com", spec, video.CreateRef{Key: "job-1"}); err != nil {
		t.Fatal(err)
	}
	if (*seen)[1].body["externalId"] != first.body["externalId"] {
		t.Error("a retry changed the externalId")
	}
	if _, err := teams.CreateOnce(ctx, "ann@example.com", spec, video.CreateRef{Key: "job-2"}); err != nil || (*seen)[2].body["externalId"] == first.body["externalId"] {
		t.Errorf("two side effects share an externalId: %v", err)
	}
	spec.Recurrence = &video.Recurrence{Type: video.Daily}
	if _, err := teams.CreateOnce(ctx, "ann@example.com", spec, video.CreateRef{Key: "job-3"}); err == nil {
		t.Error("a series was sent to Teams")
	}
	if _, err := teams.Get(ctx, m.ID, ""); err != nil || (*seen)[3].path != "/users/ann@example.com/onlineMeetings/MSpkYzE3" {
		t.Errorf("get: %v %+v", err, (*seen)[3])
	}
	if err := teams.Delete(ctx, m.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("delete of a gone meeting: %v", err)
	}
	if _, err := teams.Get(ctx, "no-organizer", ""); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("an id without its organizer: %v", err)
	}
	if _, err := teams.List(ctx, "ann@example.com"); !errors.Is(err, video.ErrNotSupported) {
		t.Errorf("list: %v", err)
	}
}
