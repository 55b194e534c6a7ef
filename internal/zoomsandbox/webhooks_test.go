package zoomsandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestWebhooks(t *testing.T) {
	hooks := newHookRecorder(t)
	sb := newSandbox(t, func(o *Options) { o.WebhookURL = hooks.url })
	tok := sb.s2sToken()
	v := sb.create(tok, "host@example.com", map[string]any{"topic": "A <b> & c", "start_time": "2030-02-01T10:00:00Z",
		"settings": map[string]any{"join_before_host": true, "jbh_time": 10}})
	ev := hooks.next(t)
	obj := ev.Payload["object"].(map[string]any)
	if ev.Event != "meeting.created" || obj["id"].(float64) != float64(v.ID) || obj["uuid"] != v.UUID || obj["topic"] != "A <b> & c" ||
		obj["join_url"] != v.JoinURL || ev.Payload["operator"] != "owner@example.com" || ev.Payload["account_id"] != DefaultAccountID {
		t.Fatalf("created: %s", ev.raw)
	}
	settings := obj["settings"].(map[string]any)
	if settings["join_before_host"] != true || settings["jbh_time"].(float64) != 10 {
		t.Errorf("created settings: %v", settings)
	}
	// §5.6: compact JSON, no HTML escaping, as JSON.stringify writes it.
	var compact bytes.Buffer
	if err := json.Compact(&compact, ev.raw); err != nil || !bytes.Equal(compact.Bytes(), ev.raw) {
		t.Errorf("body is not compact: %s", ev.raw)
	}
	if bytes.Contains(ev.raw, []byte(`\u003c`)) || !bytes.Contains(ev.raw, []byte(`A <b> & c`)) {
		t.Errorf("HTML-escaped body: %s", ev.raw)
	}
	for h, want := range map[string]string{"Content-Type": "application/json; charset=utf-8", "User-Agent": "Zoom Marketplace/1.0a", "Clientid": DefaultClientID} {
		if got := ev.header.Get(h); got != want {
			t.Errorf("header %s = %q", h, got)
		}
	}
	if ev.header.Get("x-zm-trackingid") == "" || ev.header.Get("x-zm-request-timestamp") != strconv.FormatInt(startTime.Unix(), 10) {
		t.Errorf("headers: %v", ev.header)
	}
	if ev.EventTS != startTime.UnixMilli() {
		t.Errorf("event_ts %d", ev.EventTS)
	}

	id := strconv.FormatInt(v.ID, 10)
	sb.do(http.MethodPatch, "/v2/meetings/"+id, tok, map[string]any{"topic": "B", "settings": map[string]any{"jbh_time": 5}})
	ev = hooks.next(t)
	obj, old := ev.Payload["object"].(map[string]any), ev.Payload["old_object"].(map[string]any)
	if ev.Event != "meeting.updated" || obj["topic"] != "B" || old["topic"] != "A <b> & c" || ev.Payload["scope"] != "all" ||
		obj["settings"].(map[string]any)["jbh_time"].(float64) != 5 || old["settings"].(map[string]any)["jbh_time"].(float64) != 10 {
		t.Fatalf("updated: %s", ev.raw)
	}
	if _, ok := obj["start_time"]; ok {
		t.Errorf("unchanged start_time in the update object: %s", ev.raw)
	}

	sb.do(http.MethodDelete, "/v2/meetings/"+id, tok, nil)
	ev = hooks.next(t)
	if ev.Event != "meeting.deleted" || ev.Payload["operation"] != "all" || ev.Payload["object"].(map[string]any)["id"].(float64) != float64(v.ID) {
		t.Fatalf("deleted: %s", ev.raw)
	}

	// A deauthorization from the test control.
	if r := sb.do(http.MethodPost, "/_sandbox/webhooks/deauthorize", "", map[string]string{"access_token": tok}); r.Status != 200 || !strings.Contains(string(r.Body), `"revoked":1`) {
		t.Fatalf("deauthorize: %d %s", r.Status, r.Body)
	}
	if ev := hooks.next(t); ev.Event != "app_deauthorized" {
		t.Fatalf("deauthorized: %s", ev.raw)
	}
	if r := sb.do(http.MethodGet, "/v2/users/me", tok, nil); r.Status != 401 {
		t.Fatalf("token after deauthorization: %d", r.Status)
	}
}

func TestWebhookRetries(t *testing.T) {
	hooks := newHookRecorder(t)
	<-hooks.fail
	hooks.fail <- 2 // two 500s, then success
	sb := newSandbox(t, func(o *Options) {
		o.WebhookURL = hooks.url
		o.WebhookRetryDelays = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	})
	sb.create(sb.s2sToken(), "me", map[string]any{"topic": "retry"})
	if ev := hooks.next(t); ev.Event != "meeting.created" {
		t.Fatalf("event %s", ev.Event)
	}
	var d struct{ Deliveries []delivery }
	for range 100 { // the sender records the answer just after the receiver got it
		sb.do(http.MethodGet, "/_sandbox/webhooks", "", nil).json(t, &d)
		if len(d.Deliveries) == 1 && d.Deliveries[0].Delivered {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(d.Deliveries) != 1 || d.Deliveries[0].Attempts != 3 || !d.Deliveries[0].Delivered {
		t.Fatalf("deliveries: %+v", d.Deliveries)
	}
}

func TestURLValidation(t *testing.T) {
	// A receiver that answers the challenge as Zoom documents (§5.3), with
	// its own HMAC code.
	hooks := newHookRecorder(t)
	sb := newSandbox(t, func(o *Options) { o.WebhookURL = hooks.url })
	res := sb.do(http.MethodPost, "/_sandbox/webhooks/url-validation", "", nil)
	var out struct{ Valid bool }
	res.json(t, &out)
	// The recorder accepts the event but does not answer the challenge:
	// the sandbox must say so.
	if res.Status != 200 || out.Valid {
		t.Fatalf("url validation against a non-answering receiver: %s", res.Body)
	}
	if ev := hooks.next(t); ev.Event != "endpoint.url_validation" || ev.Payload["plainToken"] == "" {
		t.Fatalf("challenge: %s", ev.raw)
	}
}

func TestURLValidationAnswered(t *testing.T) {
	// A receiver that answers the challenge as zoom-api.md §5.3 says, with
	// its own HMAC code.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Payload struct {
				PlainToken string `json:"plainToken"`
			} `json:"payload"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mac := hmac.New(sha256.New, []byte(DefaultWebhookSecret))
		mac.Write([]byte(ev.Payload.PlainToken))
		_ = json.NewEncoder(w).Encode(map[string]string{"plainToken": ev.Payload.PlainToken, "encryptedToken": hex.EncodeToString(mac.Sum(nil))})
	}))
	defer ts.Close()
	sb := newSandbox(t, func(o *Options) { o.WebhookURL = ts.URL })
	var out struct{ Valid bool }
	sb.do(http.MethodPost, "/_sandbox/webhooks/url-validation", "", nil).json(t, &out)
	if !out.Valid {
		t.Fatal("a correct challenge answer was not accepted")
	}
}

// TestWebhookLogBounded: the deliveries listed are the most recent ones, a
// bounded number of them: a long-running sandbox's memory does not grow
// with every meeting it ever made.
func TestWebhookLogBounded(t *testing.T) {
	old := maxDeliveryLog
	maxDeliveryLog = 3
	defer func() { maxDeliveryLog = old }()
	hooks := newHookRecorder(t)
	sb := newSandbox(t, func(o *Options) { o.WebhookURL = hooks.url })
	tok := sb.s2sToken()
	var ids []float64
	for i := range 5 {
		v := sb.create(tok, "host@example.com", map[string]any{"topic": fmt.Sprint("M", i), "start_time": "2030-02-01T10:00:00Z"})
		hooks.next(t)
		ids = append(ids, float64(v.ID))
	}
	var out struct {
		Deliveries []delivery `json:"deliveries"`
	}
	sb.do(http.MethodGet, "/_sandbox/webhooks", "", nil).json(t, &out)
	if len(out.Deliveries) != 3 {
		t.Fatalf("%d deliveries listed, want the last 3", len(out.Deliveries))
	}
	for i, d := range out.Deliveries {
		var ev struct {
			Payload struct {
				Object struct {
					ID float64 `json:"id"`
				} `json:"object"`
			} `json:"payload"`
		}
		if json.Unmarshal([]byte(d.Body), &ev) != nil || ev.Payload.Object.ID != ids[2+i] {
			t.Errorf("delivery %d: %.80s, want meeting %v", i, d.Body, ids[2+i])
		}
	}
}
