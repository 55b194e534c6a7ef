package web

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/video"
)

// maxWebhookBody bounds a webhook's body; Zoom's events are a few KB.
const maxWebhookBody = 256 << 10

// MeetingEvents applies providers' events about meetings (video.Event:
// updated, deleted) to Convene's meetings; booking implements it.
type MeetingEvents interface {
	VideoEvent(ctx context.Context, ev video.Event) error
}

// webhookRoutes are POST /webhooks/{app} for each app of the catalog that
// receives notifications.
func (s *Server) webhookRoutes() []route {
	var out []route
	if s.Apps == nil {
		return nil
	}
	for _, a := range s.Apps.Registry.Apps() {
		if a.Webhook == nil {
			continue
		}
		resp := map[int]string{204: ""}
		switch {
		case a.Webhook.ReplySchema != "":
			resp[200] = a.Webhook.ReplySchema
		case a.Webhook.ReplyText:
			resp[200] = textReply
		}
		out = append(out, route{method: "POST", path: "/webhooks/" + a.ID, summary: a.Webhook.Summary,
			reqType: "application/json", resp: resp, handle: s.webhook(a)})
	}
	return out
}

// webhook is POST /webhooks/{app}: the app's receiver verifies the
// delivery over the raw body (Zoom: its signature and timestamp) and
// decodes it into neutral events, or a reply to a challenge; the events are
// applied before the answer, so that a failure makes the provider deliver
// again: a deauthorization by the marketplace, the meeting events by
// MeetingEvents, a calendar's change notification by the calendar core.
func (s *Server) webhook(app video.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			return failure.New(failure.TooLarge, "the webhook body is over %d bytes", maxWebhookBody)
		}
		d, err := app.Webhook.Receive(video.WebhookRequest{Header: r.Header, Query: r.URL.Query(), Body: body}, s.Now())
		if err != nil {
			we, ok := errors.AsType[*video.WebhookError](err)
			if !ok {
				return err
			}
			if we.Unauthenticated {
				s.Log.Warn("webhook refused", "app", app.ID, "request_id", requestID(r.Context()), "err", err)
				return failure.New(failure.Unauthenticated, "%s", we.Detail)
			}
			return failure.New(failure.Malformed, "%s", we.Detail)
		}
		switch {
		case d.Reply != nil:
			writeJSON(w, http.StatusOK, d.Reply)
			return nil
		case d.ReplyText != "":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			io.WriteString(w, d.ReplyText)
			return nil
		}
		if d.Ignored != "" {
			s.Log.Debug("webhook ignored", "app", app.ID, "event", d.Ignored)
		}
		for _, ev := range d.Events {
			ev.App = app.ID // a receiver speaks for its own app only
			switch ev.Kind {
			case video.EventDeauthorized:
				n, err := s.Apps.Deauthorized(r.Context(), app.ID, ev.Account, ev.At)
				if err != nil {
					return err
				}
				s.Log.Info("app deauthorized", "app", app.ID, "provider_account", ev.Account, "installs", n)
			case video.EventCalendarChanged:
				// The calendar core checks the channel and its token.
				if s.Calendars != nil {
					if err := s.Calendars.CalendarChanged(r.Context(), ev); err != nil {
						return err
					}
				}
			case video.EventUpdated, video.EventDeleted:
				if s.MeetingEvents != nil {
					if err := s.MeetingEvents.VideoEvent(r.Context(), ev); err != nil {
						return err
					}
				}
			default:
				s.Log.Debug("webhook event ignored", "app", app.ID, "event", ev.Name, "kind", ev.Kind)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
