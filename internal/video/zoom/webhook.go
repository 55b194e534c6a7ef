package zoom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// Webhook verification (zoom-api.md §5.3, §5.4): Zoom signs each event with
// the app's secret token over "v0:{x-zm-request-timestamp}:{raw body}".

// MaxWebhookSkew is how far an event's timestamp may be from now: older or
// newer events are refused as replays or forgeries.
const MaxWebhookSkew = 5 * time.Minute

// Webhook errors.
var (
	ErrBadSignature = errors.New("zoom webhook: bad or missing x-zm-signature")
	ErrStale        = errors.New("zoom webhook: x-zm-request-timestamp outside ±5 minutes")
)

// VerifyWebhook checks an event's signature and timestamp headers against
// the raw body, with now from the caller's clock.
func VerifyWebhook(secret, signature, timestamp string, body []byte, now time.Time) error {
	if secret == "" {
		return errors.New("zoom webhook: no secret configured")
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrStale, timestamp)
	}
	// §5.4: seconds; a value in milliseconds is accepted as such.
	at := time.Unix(ts, 0)
	if ts > 1e12 {
		at = time.UnixMilli(ts)
	}
	if d := now.Sub(at); d > MaxWebhookSkew || d < -MaxWebhookSkew {
		return ErrStale
	}
	want := WebhookSignature(secret, timestamp, body)
	if !hmac.Equal([]byte(signature), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}

// WebhookSignature is the x-zm-signature Zoom sends for body at timestamp.
func WebhookSignature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// URLValidation answers an endpoint.url_validation challenge (§5.3).
func URLValidation(secret, plainToken string) map[string]string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(plainToken))
	return map[string]string{"plainToken": plainToken, "encryptedToken": hex.EncodeToString(mac.Sum(nil))}
}

// Event is the envelope of a webhook (§5.1).
type Event struct {
	Event   string       `json:"event"`
	EventTS int64        `json:"event_ts"` // milliseconds
	Payload EventPayload `json:"payload"`
}

// EventPayload holds the fields of the payloads Convene uses (§5.2, §4.6).
type EventPayload struct {
	AccountID  string `json:"account_id"`
	UserID     string `json:"user_id,omitempty"`
	Operator   string `json:"operator,omitempty"`
	Operation  string `json:"operation,omitempty"` // "all" or "single" (meeting.deleted)
	Scope      string `json:"scope,omitempty"`     // "all" or "single" (meeting.updated)
	PlainToken string `json:"plainToken,omitempty"`
	// Object is the meeting as the event describes it; for meeting.updated
	// only the changed fields.
	Object    json.RawMessage `json:"object,omitempty"`
	OldObject json.RawMessage `json:"old_object,omitempty"`
	// DeauthorizationTime is set on app_deauthorized.
	DeauthorizationTime string `json:"deauthorization_time,omitempty"`
}

// EventMeeting is the part of an event's meeting object Convene reads.
type EventMeeting struct {
	ID          json.Number `json:"id"` // a number, a string in some typings
	UUID        string      `json:"uuid"`
	HostID      string      `json:"host_id"`
	Topic       string      `json:"topic"`
	StartTime   string      `json:"start_time"`
	Duration    *int        `json:"duration"`
	Timezone    string      `json:"timezone"`
	Occurrences []struct {
		OccurrenceID string `json:"occurrence_id"`
		StartTime    string `json:"start_time"`
	} `json:"occurrences"`
}

// Time returns the event's time.
func (e *Event) Time() time.Time { return time.UnixMilli(e.EventTS).UTC() }

// ParseEvent decodes a verified webhook body.
func ParseEvent(body []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("zoom webhook: %w", err)
	}
	if e.Event == "" {
		return nil, errors.New("zoom webhook: no event name")
	}
	return &e, nil
}

// Meeting decodes the event's meeting object.
func (e *Event) Meeting() (*EventMeeting, error) {
	var m EventMeeting
	if len(e.Payload.Object) == 0 {
		return nil, errors.New("zoom webhook: no object")
	}
	dec := json.NewDecoder(strings.NewReader(string(e.Payload.Object)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("zoom webhook: object: %w", err)
	}
	return &m, nil
}

// Receive verifies a delivery to Convene's Zoom webhook with the app's
// secret token (the signature over the raw body and the timestamp, §5.4)
// and decodes it into neutral events: meeting.updated and meeting.deleted
// (with the occurrences it names) about a meeting, app_deauthorized for
// the Zoom account. An endpoint.url_validation challenge is answered
// (§5.3); other events are ignored. Its errors are *video.WebhookError.
func Receive(secret string, h http.Header, body []byte, now time.Time) (*video.Delivery, error) {
	if err := VerifyWebhook(secret, h.Get("x-zm-signature"), h.Get("x-zm-request-timestamp"), body, now); err != nil {
		detail := "x-zm-signature does not match the body"
		if errors.Is(err, ErrStale) {
			detail = "x-zm-request-timestamp is missing or more than 5 minutes away"
		}
		return nil, &video.WebhookError{Unauthenticated: true, Detail: detail, Err: err}
	}
	ev, err := ParseEvent(body)
	if err != nil {
		return nil, &video.WebhookError{Detail: err.Error(), Err: err}
	}
	switch ev.Event {
	case "endpoint.url_validation":
		if ev.Payload.PlainToken == "" {
			return nil, &video.WebhookError{Detail: "endpoint.url_validation without plainToken"}
		}
		return &video.Delivery{Reply: URLValidation(secret, ev.Payload.PlainToken)}, nil
	case "app_deauthorized":
		at := ev.Time()
		if t, err := time.Parse(time.RFC3339, ev.Payload.DeauthorizationTime); err == nil {
			at = t
		}
		return &video.Delivery{Events: []video.Event{{Kind: video.EventDeauthorized, App: ID, Account: ev.Payload.AccountID, At: at, Name: ev.Event}}}, nil
	case "meeting.updated", "meeting.deleted":
		obj, err := ev.Meeting()
		if err != nil {
			return nil, &video.WebhookError{Detail: err.Error(), Err: err}
		}
		if obj.ID.String() == "" {
			return nil, &video.WebhookError{Detail: ev.Event + " without the meeting's id"}
		}
		e := video.Event{Kind: video.EventUpdated, App: ID, Account: ev.Payload.AccountID, MeetingID: obj.ID.String(), At: ev.Time(), Name: ev.Event}
		if ev.Event == "meeting.deleted" {
			e.Kind = video.EventDeleted
			for _, o := range obj.Occurrences {
				e.Occurrences = append(e.Occurrences, o.OccurrenceID)
			}
		}
		return &video.Delivery{Events: []video.Event{e}}, nil
	}
	return &video.Delivery{Ignored: ev.Event}, nil
}
