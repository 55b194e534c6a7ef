package msgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/video"
)

// FuzzEventICS: any Graph event a delta answer may carry converts into an
// iCalendar object that decodes again, or is refused with an error; never
// a panic.
func FuzzEventICS(f *testing.F) {
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(deltaEvents), &items); err != nil {
		f.Fatal(err)
	}
	for _, it := range items {
		f.Add([]byte(it))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		ics, err := eventICS(&ev, "ann@example.com", time.Unix(0, 0))
		if err != nil {
			return
		}
		if _, err := ical.NewDecoder(bytes.NewReader(ics)).Decode(); err != nil {
			t.Fatalf("%s gave an object that does not decode: %v\n%s", data, err, ics)
		}
	})
}

// FuzzReceive: any delivery is answered, refused with a *WebhookError, or
// decoded into calendar_changed events that each name a subscription and
// carry a token; never a panic.
func FuzzReceive(f *testing.F) {
	f.Add([]byte(`{"value":[{"subscriptionId":"s1","clientState":"t","changeType":"created","tenantId":"x"}]}`), "")
	f.Add([]byte(`{"value":[{"subscriptionId":"s2","clientState":"t","lifecycleEvent":"missed"}]}`), "")
	f.Add([]byte(``), "Validation token")
	f.Add([]byte(`{"value":[{}]}`), "")
	f.Fuzz(func(t *testing.T, body []byte, token string) {
		q := url.Values{}
		if token != "" {
			q.Set("validationToken", token)
		}
		d, err := Receive(video.WebhookRequest{Body: body, Query: q}, time.Unix(0, 0))
		if err != nil {
			if _, ok := errors.AsType[*video.WebhookError](err); !ok {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		for _, e := range d.Events {
			if e.Kind != video.EventCalendarChanged || e.Channel == "" || e.ChannelToken == "" {
				t.Fatalf("%+v", e)
			}
		}
	})
}
