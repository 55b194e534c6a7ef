package msgraph

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/convene/convene/internal/video"
)

// maxValidationToken bounds the validationToken echoed back (Graph's are
// a few hundred characters).
const maxValidationToken = 1024

// notification is one item of a change or lifecycle notification.
type notification struct {
	SubscriptionID         string `json:"subscriptionId"`
	ClientState            string `json:"clientState"`
	ChangeType             string `json:"changeType"`
	LifecycleEvent         string `json:"lifecycleEvent"`
	Resource               string `json:"resource"`
	TenantID               string `json:"tenantId"`
	SubscriptionExpiration string `json:"subscriptionExpirationDateTime"`
}

// Receive decodes one delivery to /webhooks/teams:
//
//   - a subscription's validation (Graph POSTs with ?validationToken=…
//     when a subscription is made or renewed, and waits 10 seconds for
//     the token back as text/plain): answered with the token (ReplyText);
//   - change notifications ({"value":[…]}, each with subscriptionId,
//     clientState, changeType, resource) and lifecycle notifications
//     (lifecycleEvent: missed, reauthorizationRequired,
//     subscriptionRemoved): one video.EventCalendarChanged per
//     subscription named, carrying the clientState as the channel's token.
//
// Graph signs nothing here: the clientState (the random token Convene
// gave Watch) is the proof, and the calendar core compares it, in
// constant time, with the channel's before it syncs. A notification
// without one is refused as unauthenticated. The notification never says
// what changed for Convene: the core re-reads the calendar.
func Receive(req video.WebhookRequest, now time.Time) (*video.Delivery, error) {
	if req.Query.Has("validationToken") {
		tok := req.Query.Get("validationToken")
		if tok == "" || len(tok) > maxValidationToken {
			return nil, &video.WebhookError{Detail: fmt.Sprintf("a validationToken of 1 to %d characters", maxValidationToken)}
		}
		return &video.Delivery{ReplyText: tok}, nil
	}
	var body struct {
		Value []notification `json:"value"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return nil, &video.WebhookError{Detail: "a notification is JSON with a value array", Err: err}
	}
	if len(body.Value) == 0 {
		return nil, &video.WebhookError{Detail: "a notification without a value"}
	}
	d := &video.Delivery{}
	seen := map[string]bool{}
	for _, n := range body.Value {
		if n.SubscriptionID == "" {
			return nil, &video.WebhookError{Detail: "a notification without its subscriptionId"}
		}
		if n.ClientState == "" {
			return nil, &video.WebhookError{Unauthenticated: true, Detail: "a notification without its clientState"}
		}
		key := n.SubscriptionID + "\x00" + n.ClientState
		if seen[key] {
			continue // several changes of one calendar: one sync
		}
		seen[key] = true
		name := n.ChangeType
		if n.LifecycleEvent != "" {
			name = "lifecycle:" + n.LifecycleEvent
		}
		d.Events = append(d.Events, video.Event{
			Kind: video.EventCalendarChanged, App: ID, Account: n.TenantID,
			Channel: n.SubscriptionID, ChannelToken: n.ClientState, At: now, Name: name,
		})
	}
	return d, nil
}
