package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/video/zoom"
)

// maxWebhookBody bounds a webhook's body; Zoom's events are a few KB.
const maxWebhookBody = 256 << 10

// ZoomMeetingEvents applies Zoom's meeting events to Convene's meetings.
type ZoomMeetingEvents interface {
	ZoomEvent(ctx context.Context, ev *zoom.Event) error
}

// zoomWebhook is POST /webhooks/zoom: it verifies the signature over the
// raw body and the timestamp, answers URL validation, and applies
// app_deauthorized, meeting.updated and meeting.deleted.
func (s *Server) zoomWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		return failure.New(failure.TooLarge, "the webhook body is over %d bytes", maxWebhookBody)
	}
	err = zoom.VerifyWebhook(s.ZoomWebhookSecret, r.Header.Get("x-zm-signature"), r.Header.Get("x-zm-request-timestamp"), body, s.Now())
	if err != nil {
		s.Log.Warn("zoom webhook refused", "request_id", requestID(r.Context()), "err", err)
		if errors.Is(err, zoom.ErrStale) {
			return failure.New(failure.Unauthenticated, "x-zm-request-timestamp is missing or more than 5 minutes away")
		}
		return failure.New(failure.Unauthenticated, "x-zm-signature does not match the body")
	}
	ev, err := zoom.ParseEvent(body)
	if err != nil {
		return failure.New(failure.Malformed, "%v", err)
	}
	switch ev.Event {
	case "endpoint.url_validation":
		if ev.Payload.PlainToken == "" {
			return failure.New(failure.Malformed, "endpoint.url_validation without plainToken")
		}
		writeJSON(w, http.StatusOK, zoom.URLValidation(s.ZoomWebhookSecret, ev.Payload.PlainToken))
		return nil
	case "app_deauthorized":
		at := ev.Time()
		if t, err := time.Parse(time.RFC3339, ev.Payload.DeauthorizationTime); err == nil {
			at = t
		}
		n, err := s.Apps.Deauthorized(r.Context(), "zoom", ev.Payload.AccountID, at)
		if err != nil {
			return err
		}
		s.Log.Info("zoom app deauthorized", "zoom_account", ev.Payload.AccountID, "installs", n)
	case "meeting.updated", "meeting.deleted":
		if s.ZoomMeetings != nil {
			if err := s.ZoomMeetings.ZoomEvent(r.Context(), ev); err != nil {
				return err
			}
		}
	default:
		s.Log.Debug("zoom webhook ignored", "event", ev.Event)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
