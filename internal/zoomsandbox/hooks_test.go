package zoomsandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// receivedEvent is a webhook the test receiver accepted.
type receivedEvent struct {
	Event   string         `json:"event"`
	EventTS int64          `json:"event_ts"`
	Payload map[string]any `json:"payload"`
	raw     []byte
	header  http.Header
}

// hookRecorder is a webhook receiver that verifies Zoom's signature with
// its own code (zoom-api.md §5.4), independent of the sandbox's signer.
type hookRecorder struct {
	url    string
	secret string
	events chan receivedEvent
	// fail, when positive, makes the receiver answer 500 that many times.
	fail chan int
}

func newHookRecorder(t *testing.T) *hookRecorder {
	h := &hookRecorder{secret: DefaultWebhookSecret, events: make(chan receivedEvent, 100), fail: make(chan int, 1)}
	h.fail <- 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get("x-zm-request-timestamp")
		mac := hmac.New(sha256.New, []byte(h.secret))
		mac.Write([]byte("v0:" + ts + ":" + string(body)))
		want := "v0=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("x-zm-signature"))) {
			t.Errorf("webhook: bad signature %q for %s", r.Header.Get("x-zm-signature"), body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || sec > 1e12 {
			t.Errorf("webhook: timestamp %q is not Unix seconds", ts)
		}
		n := <-h.fail
		if n > 0 {
			h.fail <- n - 1
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		h.fail <- 0
		var ev receivedEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook: %v", err)
		}
		ev.raw, ev.header = body, r.Header.Clone()
		h.events <- ev
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(ts.Close)
	h.url = ts.URL + "/webhooks/zoom"
	return h
}

func (h *hookRecorder) next(t *testing.T) receivedEvent {
	t.Helper()
	select {
	case ev := <-h.events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook within 5 s")
		return receivedEvent{}
	}
}
