package googlesandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// push is one notification received.
type push struct{ channel, token, resource, state, number string }

// receiver is an HTTP endpoint collecting push notifications.
func receiver(t *testing.T) (*httptest.Server, chan push) {
	got := make(chan push, 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- push{r.Header.Get("X-Goog-Channel-ID"), r.Header.Get("X-Goog-Channel-Token"), r.Header.Get("X-Goog-Resource-ID"),
			r.Header.Get("X-Goog-Resource-State"), r.Header.Get("X-Goog-Message-Number")}
	}))
	t.Cleanup(ts.Close)
	return ts, got
}

func next(t *testing.T, got chan push) push {
	t.Helper()
	select {
	case p := <-got:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no push notification")
		return push{}
	}
}

// TestWatchPush: events.watch answers a channel and sends "sync"; a
// change made by the client or "in Google" sends "exists" with the next
// message number; channels.stop ends them.
func TestWatchPush(t *testing.T) {
	// convene.example does not resolve: its pushes fail at once.
	fail := roundTrip(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == "convene.example:8080" {
			return nil, errors.New("no such host")
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	sb := newSandbox(t, func(o *Options) {
		o.HTTPClient, o.PushBaseURL = &http.Client{Transport: fail}, "http://convene.example:8080"
		o.PushRetryDelays = []time.Duration{time.Millisecond}
	})
	rx, got := receiver(t)
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	ch, err := svc.Events.Watch("primary", &gcal.Channel{Id: "chan-1", Type: "web_hook", Address: rx.URL + "/hook", Token: "secret-token"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := strconv.ParseInt(strconv.FormatInt(ch.Expiration, 10), 10, 64)
	if ch.Id != "chan-1" || ch.ResourceId == "" || ch.ResourceUri == "" || time.UnixMilli(exp).Before(time.Now().Add(6*24*time.Hour)) {
		t.Fatalf("channel %+v", ch)
	}
	if p := next(t, got); p != (push{"chan-1", "secret-token", ch.ResourceId, "sync", "1"}) {
		t.Errorf("first push %+v", p)
	}
	ev, err := svc.Events.Insert("primary", &gcal.Event{Summary: "x", Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if p := next(t, got); p.state != "exists" || p.number != "2" {
		t.Errorf("after insert %+v", p)
	}
	sb.control("PATCH", "/calendars/alice@example.com/events/"+ev.Id, map[string]any{"summary": "changed in Google"}, http.StatusOK)
	if p := next(t, got); p.state != "exists" || p.number != "3" {
		t.Errorf("after a change in Google %+v", p)
	}
	// Same channel id again: refused.
	_, err = svc.Events.Watch("primary", &gcal.Channel{Id: "chan-1", Type: "web_hook", Address: rx.URL}).Do()
	if code, reason := apiErr(t, err); code != http.StatusBadRequest || reason != "channelIdNotUnique" {
		t.Errorf("same id: %d %s", code, reason)
	}
	// Google wants https; the sandbox also takes loopback http only.
	_, err = svc.Events.Watch("primary", &gcal.Channel{Id: "chan-2", Type: "web_hook", Address: "http://example.com/hook"}).Do()
	if code, reason := apiErr(t, err); code != http.StatusBadRequest || reason != "push.webhookUrlNotHttps" {
		t.Errorf("http address: %d %s", code, reason)
	}
	// Options.PushBaseURL (Convene's own receiver) may be plain http.
	if _, err := svc.Events.Watch("primary", &gcal.Channel{Id: "chan-own", Type: "web_hook", Address: "http://convene.example:8080/webhooks/google"}).Do(); err != nil {
		t.Errorf("own receiver: %v", err)
	}
	// Wrong resource id: 404; right one: stopped.
	if err := svc.Channels.Stop(&gcal.Channel{Id: "chan-1", ResourceId: "nope"}).Do(); err == nil {
		t.Error("stop with the wrong resource id")
	}
	if err := svc.Channels.Stop(&gcal.Channel{Id: "chan-1", ResourceId: ch.ResourceId}).Do(); err != nil {
		t.Fatal(err)
	}
	sb.control("DELETE", "/calendars/alice@example.com/events/"+ev.Id, nil, http.StatusNoContent)
	// A second channel opened after the stop receives its sync: the
	// stopped channel got nothing in between.
	if _, err := svc.Events.Watch("primary", &gcal.Channel{Id: "chan-3", Type: "web_hook", Address: rx.URL}).Do(); err != nil {
		t.Fatal(err)
	}
	if p := next(t, got); p.channel != "chan-3" || p.state != "sync" {
		t.Errorf("after stop: %+v", p)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPushRetry: a receiver answering 503 gets the notification again;
// one answering 404 does not; the deliveries are listed.
func TestPushRetry(t *testing.T) {
	var mu sync.Mutex
	answers := map[string][]int{"/flaky": {503, 200}, "/gone": {404, 200}}
	calls := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		a := answers[r.URL.Path]
		w.WriteHeader(a[min(calls[r.URL.Path], len(a)-1)])
		calls[r.URL.Path]++
	}))
	defer ts.Close()
	sb := newSandbox(t, func(o *Options) { o.PushRetryDelays = []time.Duration{time.Millisecond, time.Millisecond} })
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	for _, p := range []string{"/flaky", "/gone"} {
		if _, err := svc.Events.Watch("primary", &gcal.Channel{Id: "c" + p[1:], Type: "web_hook", Address: ts.URL + p}).Do(); err != nil {
			t.Fatal(err)
		}
	}
	var out struct {
		Pushes  []pushRecord
		Pending int
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		sb.control("GET", "/pushes", nil, http.StatusOK).json(t, &out)
		if len(out.Pushes) == 2 && out.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushes %+v", out)
		}
		runtime.Gosched()
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["/flaky"] != 2 || calls["/gone"] != 1 {
		t.Errorf("attempts %v", calls)
	}
	if !out.Pushes[0].Delivered || out.Pushes[1].Delivered || out.Pushes[1].Status != 404 {
		t.Errorf("records %+v", out.Pushes)
	}
}
