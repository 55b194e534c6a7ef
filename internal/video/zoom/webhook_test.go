package zoom

import (
	"errors"
	"strconv"
	"testing"
	"time"
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
