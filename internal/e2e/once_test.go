package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
)

// sandboxHolds is what GET /_sandbox/faults says about held requests.
type sandboxHolds struct {
	Faults   []json.RawMessage `json:"faults"`
	Held     int               `json:"held"`
	Released int               `json:"released"`
}

func holdsOf(t *testing.T, zoom string) sandboxHolds {
	t.Helper()
	var h sandboxHolds
	zoomControl(t, "GET", zoom, "/_sandbox/faults", nil, &h)
	return h
}

// zoomCreates counts the meeting.created events the sandbox sent for a
// topic: every meeting it ever created, deleted ones included.
func zoomCreates(t *testing.T, zoom, topic string) int {
	t.Helper()
	var out struct {
		Deliveries []struct {
			Event string `json:"event"`
			Body  string `json:"body"`
		} `json:"deliveries"`
	}
	zoomControl(t, "GET", zoom, "/_sandbox/webhooks", nil, &out)
	n := 0
	for _, d := range out.Deliveries {
		var ev struct {
			Payload struct {
				Object struct {
					Topic string `json:"topic"`
				} `json:"object"`
			} `json:"payload"`
		}
		if d.Event == "meeting.created" && json.Unmarshal([]byte(d.Body), &ev) == nil && ev.Payload.Object.Topic == topic {
			n++
		}
	}
	return n
}

// TestCrashWhileZoomCreates kills the real process (SIGKILL) while Zoom
// holds its create request (received, not yet performed) and restarts it at
// once: the restarted node must not post a second create while the first
// one can still complete. Zoom then performs the first create; the end
// state is exactly one Zoom meeting, ever, for the booking, the one
// Convene stored and the invitations name, and one invitation per
// recipient.
func TestCrashWhileZoomCreates(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			_, env := serveEnv(t, engine, dns)
			addr := freeAddr(t)
			sandbox := testbin.Start(t, nil, append([]string{"zoom-sandbox", "--addr", "127.0.0.1:0", "--domains", "acme.test",
				"--webhook-url", "http://" + addr + "/webhooks/zoom", "--data", filepath.Join(t.TempDir(), "zoom.json"),
				"--redirect-uri", "http://" + addr + "/oauth/zoom/callback"}, zoomApp.flags...)...)
			zoom := sandbox.URL
			// A job attempt of 10 s gives Zoom requests a 5 s time-out and
			// a 1 s settle time: Zoom's 3 s hold ends within them.
			env = append(env, "CONVENE_HTTP_ADDR="+addr, "CONVENE_ZOOM_API_URL="+zoom+"/v2", "CONVENE_ZOOM_OAUTH_URL="+zoom,
				"CONVENE_JOB_TIMEOUT=10s")
			env = append(env, zoomApp.env...)
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			tn := setupTenant(t, c, dns, "acme.test")
			installZoom(t, c, tn)
			attendees := []map[string]string{{"email": "owner@acme.test"}, {"email": "a@partner.example"}, {"email": "b@partner.example"}}

			// Zoom receives the create and holds it 3 s before performing it.
			zoomControl(t, "POST", zoom, "/_sandbox/faults", map[string]any{"delay_ms": 3000, "times": 1, "method": "POST", "path": "/v2/users"}, nil)
			const topic = "Held by Zoom"
			done := make(chan int, 1)
			go func() {
				// The answer never comes: the process dies first.
				st, _, err := c.try("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": topic, "start_time": "2031-05-08T10:00",
					"timezone": "UTC", "duration": 30, "attendees": attendees})
				if err != nil {
					st = 0
				}
				done <- st
			}()
			eventually(t, 10*time.Second, "Zoom holding the create", func() bool { return holdsOf(t, zoom).Held == 1 })
			if err := p.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			p.Wait(ctx)
			cancel()
			killed := time.Now()
			p = testbin.Start(t, env, "serve")
			c = client{t: t, base: p.URL}
			if st := <-done; st != 0 {
				t.Errorf("the request killed mid-call was answered %d", st)
			}
			if h := holdsOf(t, zoom); h.Held != 1 || h.Released != 0 {
				t.Fatalf("the restart outran Zoom's hold: %+v", h)
			}

			st, list := c.call("GET", "/api/v1/meetings?from=2031-05-08T00:00:00Z&to=2031-05-09T00:00:00Z", tn.member, nil)
			if st != 200 || len(list["meetings"].([]any)) != 1 {
				t.Fatalf("meetings after the restart: %d %v", st, list)
			}
			id := list["meetings"].([]any)[0].(map[string]any)["id"].(string)
			var m map[string]any
			eventually(t, 60*time.Second, "booked after the restart", func() bool {
				var st int
				st, m = c.call("GET", "/api/v1/meetings/"+id, tn.member, nil)
				return st == 200 && m["status"] == "booked"
			})
			eventually(t, 10*time.Second, "Zoom performed the held create", func() bool {
				h := holdsOf(t, zoom)
				return h.Held == 0 && h.Released == 1
			})
			t.Logf("booked %v after the kill", time.Since(killed).Round(time.Millisecond))

			video := m["video"].(map[string]any)
			var ours []map[string]any
			for _, zm := range zoomMeetings(t, zoom) {
				if zm["topic"] == topic {
					ours = append(ours, zm)
				}
			}
			if n := zoomCreates(t, zoom, topic); n != 1 || len(ours) != 1 {
				t.Fatalf("Zoom created %d meetings for the booking and holds %d, want 1 and 1", n, len(ours))
			}
			if zid := jsonID(ours[0]["id"]); zid != video["id"] {
				t.Errorf("Convene stored Zoom meeting %v, Zoom has %s", video["id"], zid)
			}

			var ms []map[string]any
			eventually(t, 30*time.Second, "invitations", func() bool { ms = outbox(t, c, tn.owner, id); return len(ms) >= 4 })
			perRecipient := map[string]int{}
			for _, ml := range ms {
				perRecipient[ml["to"].([]any)[0].(string)]++
				_, ics := icsOf(t, rawMail(t, c, tn.owner, ml["id"].(string)))
				if unfolded := strings.ReplaceAll(ics, "\r\n ", ""); !strings.Contains(unfolded, video["join_url"].(string)) {
					t.Errorf("the invitation to %v does not name the stored Zoom meeting %v:\n%s", ml["to"], video["join_url"], ics)
				}
			}
			if len(ms) != 4 || len(perRecipient) != 4 {
				t.Errorf("invitations: %v", perRecipient)
			}
		})
	}
}

// jsonID is a Zoom meeting id as JSON decodes it (a number) in the string
// form Convene shows.
func jsonID(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatInt(int64(f), 10)
	}
	s, _ := v.(string)
	return s
}
