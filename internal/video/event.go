package video

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Webhook is a provider's receiver of event notifications, served at POST
// /webhooks/{app id}. It verifies a delivery the provider's way (Zoom: an
// HMAC signature over the raw body and a timestamp) and decodes it into
// neutral Events, which Convene applies without knowing the provider:
// booking the meeting events, the marketplace the deauthorizations.
type Webhook struct {
	// Summary describes the route in the API's OpenAPI document.
	Summary string
	// ReplySchema names the JSON Schema (ReplyJSONSchema) of the body the
	// receiver answers some deliveries with (Delivery.Reply: Zoom's URL
	// validation), for the OpenAPI document; both empty: it answers none.
	ReplySchema     string
	ReplyJSONSchema json.RawMessage
	// ReplyText says the receiver answers some deliveries in plain text
	// (Delivery.ReplyText) instead; a receiver answers in one form.
	ReplyText bool
	// Receive verifies and decodes one delivery, at now. Its errors are
	// *WebhookError.
	Receive func(req WebhookRequest, now time.Time) (*Delivery, error)
}

// WebhookRequest is one delivery to a provider's webhook as it arrived:
// what a provider signs or sends its challenges in (Zoom: headers and the
// raw body; Microsoft Graph: a validationToken in the query; Google: the
// channel's headers and no body).
type WebhookRequest struct {
	Header http.Header
	Query  url.Values
	// Body is the raw body, bounded by the caller.
	Body []byte
}

// Delivery is what one verified webhook request carries.
type Delivery struct {
	// Reply, when set, is answered as JSON with 200 and nothing is
	// applied (a challenge, like Zoom's endpoint.url_validation).
	Reply any
	// ReplyText, when set, is answered as text/plain with 200 and nothing
	// is applied (a challenge answered in plain text, like Microsoft
	// Graph's validationToken).
	ReplyText string
	// Events are applied in order; a failure answers an error, so that
	// the provider delivers again.
	Events []Event
	// Ignored names, for the log, an event Convene does not use
	// (Zoom's meeting.created).
	Ignored string
}

// EventKind is what happened at the provider.
type EventKind string

// Kinds of events.
const (
	// EventUpdated: a meeting was changed at the provider (moved,
	// renamed). Convene re-reads it and applies what changed.
	EventUpdated EventKind = "updated"
	// EventDeleted: a meeting, or some of its occurrences, was deleted at
	// the provider. Convene cancels only what the provider confirms is
	// gone.
	EventDeleted EventKind = "deleted"
	// EventDeauthorized: the app was removed at the provider for an
	// account. Convene deletes the installs' tokens and tells the admins.
	EventDeauthorized EventKind = "deauthorized"
	// EventCalendarChanged: a watched calendar changed (a Graph change
	// notification, a Google push). It names the channel and carries the
	// token the provider echoes; the calendar core accepts it only when
	// both match a channel it opened (compared in constant time), then
	// syncs that calendar. The notification itself is never trusted for
	// what changed.
	EventCalendarChanged EventKind = "calendar_changed"
)

// Event is a provider's notification in neutral form. It only says that
// something happened: what Convene does is decided by what the provider
// answers when asked (a replayed or forged deletion cancels nothing).
type Event struct {
	Kind EventKind
	// App is the ID of the app whose webhook received it.
	App string
	// Account is the provider account the event comes from (Zoom's
	// account_id): it must be the one the install is bound to
	// (Identity.AccountID).
	Account string
	// MeetingID is the provider's id of the meeting (updated, deleted).
	MeetingID string
	// Occurrences are, for a deletion, the ids of the occurrences deleted;
	// none: the whole meeting.
	Occurrences []string
	// Channel and ChannelToken name the watch a calendar_changed event
	// comes through (Channel.ID, Channel.Token).
	Channel, ChannelToken string
	// At is when it happened, by the provider's clock.
	At time.Time
	// Name is the provider's own name of the event ("meeting.deleted"),
	// for the log.
	Name string
}

// WebhookError is a delivery a receiver refuses.
type WebhookError struct {
	// Unauthenticated: the delivery is not proven to come from the
	// provider (bad or missing signature, a stale timestamp): 401.
	// Otherwise it is malformed: 400.
	Unauthenticated bool
	// Detail says what is wrong, to the sender.
	Detail string
	// Err is the cause, for the log.
	Err error
}

// Error returns the detail and the cause.
func (e *WebhookError) Error() string {
	if e.Err != nil && e.Err.Error() != e.Detail {
		return e.Detail + ": " + e.Err.Error()
	}
	return e.Detail
}

// Unwrap returns the cause.
func (e *WebhookError) Unwrap() error { return e.Err }
