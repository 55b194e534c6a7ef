package zoom

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

func TestVerifyWebhook(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"event":"meeting.deleted","event_ts":1,"payload":{"account_id":"a"}}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := WebhookSignature("s3cret", ts, body)
	cases := []struct {
		name, sig, ts string
		body          []byte
		want          error
	}{
		{"good", good, ts, body, nil},
		{"milliseconds", WebhookSignature("s3cret", strconv.FormatInt(now.UnixMilli(), 10), body), strconv.FormatInt(now.UnixMilli(), 10), body, nil},
		{"other body", good, ts, []byte(`{"event":"meeting.deleted","event_ts":2}`), ErrBadSignature},
		{"other secret", WebhookSignature("other", ts, body), ts, body, ErrBadSignature},
		{"missing", "", ts, body, ErrBadSignature},
		{"old", WebhookSignature("s3cret", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), body), strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), body, ErrStale},
		{"future", WebhookSignature("s3cret", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), body), strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), body, ErrStale},
		{"garbage ts", good, "yesterday", body, ErrStale},
	}
	for _, c := range cases {
		err := VerifyWebhook("s3cret", c.sig, c.ts, c.body, now)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestURLValidationVector(t *testing.T) {
	// zoom-api.md §5.3, computed with Rivet and Node crypto.
	got := URLValidation("whsec123", "qgg8vlvZRS6UYooatFL8Aw")
	if got["encryptedToken"] != "5fe3339a59faf1a209d766c9112b8d0bfbe1cf9915493295b8b1fbc1c9b049c8" || got["plainToken"] != "qgg8vlvZRS6UYooatFL8Aw" {
		t.Fatalf("%v", got)
	}
}

// signed is a delivery of body signed with secret at now, as Zoom sends it.
func signed(secret string, body []byte, now time.Time) http.Header {
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("x-zm-request-timestamp", ts)
	h.Set("x-zm-signature", WebhookSignature(secret, ts, body))
	return h
}

// TestReceiveNeutralEvents: a verified delivery becomes the neutral events
// Convene applies without knowing Zoom; a challenge becomes its answer;
// a forged, stale or malformed one a WebhookError that says which.
func TestReceiveNeutralEvents(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := time.UnixMilli(1764417600000).UTC()
	tests := []struct {
		name string
		body string
		want video.Delivery
	}{
		{"deleted", `{"event":"meeting.deleted","event_ts":1764417600000,"payload":{"account_id":"acc","operation":"single","object":{"id":85746065432,"uuid":"u","host_id":"h","topic":"t"}}}`,
			video.Delivery{Events: []video.Event{{Kind: video.EventDeleted, App: "zoom", Account: "acc", MeetingID: "85746065432", At: at, Name: "meeting.deleted"}}}},
		{"occurrences deleted", `{"event":"meeting.deleted","event_ts":1764417600000,"payload":{"account_id":"acc","object":{"id":"85746065432","occurrences":[{"occurrence_id":"1648194360000","start_time":"2022-03-25T07:46:00Z"},{"occurrence_id":"1648799160000"}]}}}`,
			video.Delivery{Events: []video.Event{{Kind: video.EventDeleted, App: "zoom", Account: "acc", MeetingID: "85746065432", Occurrences: []string{"1648194360000", "1648799160000"}, At: at, Name: "meeting.deleted"}}}},
		{"updated", `{"event":"meeting.updated","event_ts":1764417600000,"payload":{"account_id":"acc","scope":"single","object":{"id":85746065432,"start_time":"2030-01-01T10:00:00Z","occurrences":[{"occurrence_id":"1"}]}}}`,
			video.Delivery{Events: []video.Event{{Kind: video.EventUpdated, App: "zoom", Account: "acc", MeetingID: "85746065432", At: at, Name: "meeting.updated"}}}},
		{"deauthorized", `{"event":"app_deauthorized","event_ts":1764417600000,"payload":{"account_id":"acc","user_id":"u","deauthorization_time":"2026-11-29T11:59:00Z"}}`,
			video.Delivery{Events: []video.Event{{Kind: video.EventDeauthorized, App: "zoom", Account: "acc", At: time.Date(2026, 11, 29, 11, 59, 0, 0, time.UTC), Name: "app_deauthorized"}}}},
		{"deauthorized without its time", `{"event":"app_deauthorized","event_ts":1764417600000,"payload":{"account_id":"acc"}}`,
			video.Delivery{Events: []video.Event{{Kind: video.EventDeauthorized, App: "zoom", Account: "acc", At: at, Name: "app_deauthorized"}}}},
		{"url validation", `{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}`,
			video.Delivery{Reply: map[string]string{"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": "5fe3339a59faf1a209d766c9112b8d0bfbe1cf9915493295b8b1fbc1c9b049c8"}}},
		{"ignored", `{"event":"meeting.created","event_ts":1764417600000,"payload":{"account_id":"acc","object":{"id":1}}}`,
			video.Delivery{Ignored: "meeting.created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := "s3cret"
			if tt.want.Reply != nil {
				secret = "whsec123" // zoom-api.md §5.3's vector
			}
			d, err := Receive(secret, signed(secret, []byte(tt.body), now), []byte(tt.body), now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*d, tt.want) {
				t.Errorf("got %+v\nwant %+v", *d, tt.want)
			}
		})
	}

	refused := []struct {
		name   string
		header http.Header
		body   string
		unauth bool
		detail string
	}{
		{"forged", signed("other", []byte(`{"event":"app_deauthorized"}`), now), `{"event":"app_deauthorized"}`, true, "x-zm-signature does not match the body"},
		{"unsigned", http.Header{}, `{"event":"app_deauthorized"}`, true, "x-zm-request-timestamp is missing or more than 5 minutes away"},
		{"stale", signed("s3cret", []byte(`{"event":"app_deauthorized"}`), now.Add(-10*time.Minute)), `{"event":"app_deauthorized"}`, true, "more than 5 minutes"},
		{"not JSON", nil, `event=app_deauthorized`, false, "zoom webhook"},
		{"no event", nil, `{"payload":{}}`, false, "no event name"},
		{"a challenge without its token", nil, `{"event":"endpoint.url_validation","payload":{}}`, false, "without plainToken"},
		{"a deletion without its meeting", nil, `{"event":"meeting.deleted","payload":{"account_id":"acc"}}`, false, "no object"},
		{"a deletion without the meeting's id", nil, `{"event":"meeting.deleted","payload":{"object":{"topic":"x"}}}`, false, "without the meeting's id"},
		{"a meeting id that is not one", nil, `{"event":"meeting.updated","payload":{"object":{"id":"eighty"}}}`, false, "object"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = signed("s3cret", []byte(tt.body), now)
			}
			d, err := Receive("s3cret", h, []byte(tt.body), now)
			we, ok := errors.AsType[*video.WebhookError](err)
			if d != nil || !ok || we.Unauthenticated != tt.unauth || !strings.Contains(we.Detail, tt.detail) {
				t.Errorf("got %+v, %v; want a WebhookError (unauthenticated %v) about %q", d, err, tt.unauth, tt.detail)
			}
		})
	}
}
