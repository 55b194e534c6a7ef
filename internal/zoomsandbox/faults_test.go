package zoomsandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	body := map[string]any{"topic": "f"}
	addFault := func(f map[string]any) {
		t.Helper()
		if r := sb.do(http.MethodPost, "/_sandbox/faults", "", f); r.Status != 201 {
			t.Fatalf("fault %v: %d %s", f, r.Status, r.Body)
		}
	}
	count := func() int {
		var all struct{ Meetings []meetingView }
		sb.do(http.MethodGet, "/_sandbox/meetings", "", nil).json(t, &all)
		return len(all.Meetings)
	}

	t.Run("503 twice", func(t *testing.T) {
		addFault(map[string]any{"status": 503, "times": 2})
		for i := range 2 {
			r := sb.do(http.MethodPost, "/v2/users/me/meetings", tok, body)
			if e := r.zoomError(t); r.Status != 503 || e.Code != 503 {
				t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
			}
		}
		before := count()
		sb.create(tok, "me", body)
		if count() != before+1 {
			t.Fatal("third attempt did not create")
		}
	})
	t.Run("429 per-second with Retry-After", func(t *testing.T) {
		addFault(map[string]any{"status": 429, "retry_after": "1"})
		r := sb.do(http.MethodGet, "/v2/users/me", tok, nil)
		if e := r.zoomError(t); r.Status != 429 || e.Message != msgPerSecondLimit || r.Header.Get("Retry-After") != "1" || r.Header.Get("X-RateLimit-Type") != "QPS" {
			t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
		}
	})
	t.Run("429 daily limit without Retry-After", func(t *testing.T) {
		addFault(map[string]any{"status": 429, "daily_limit": true})
		r := sb.do(http.MethodPost, "/v2/users/me/meetings", tok, body)
		if e := r.zoomError(t); r.Status != 429 || !strings.Contains(e.Message, "daily rate limit (100) of Meeting Create/Update") || r.Header.Get("Retry-After") != "" {
			t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
		}
	})
	t.Run("429 daily limit with Retry-After", func(t *testing.T) {
		addFault(map[string]any{"status": 429, "daily_limit": true, "retry_after": "auto"})
		r := sb.do(http.MethodPost, "/v2/users/me/meetings", tok, body)
		if r.Status != 429 || r.Header.Get("Retry-After") != "2030-01-08T00:00:00Z" {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
	})
	t.Run("scoped to a method and path", func(t *testing.T) {
		addFault(map[string]any{"status": 500, "method": "DELETE", "path": "/v2/meetings/"})
		v := sb.create(tok, "me", body) // not affected
		if r := sb.do(http.MethodGet, "/v2/meetings/"+itoa(v.ID), tok, nil); r.Status != 200 {
			t.Fatalf("get: %d", r.Status)
		}
		if r := sb.do(http.MethodDelete, "/v2/meetings/"+itoa(v.ID), tok, nil); r.Status != 500 {
			t.Fatalf("delete: %d", r.Status)
		}
		if r := sb.do(http.MethodDelete, "/v2/meetings/"+itoa(v.ID), tok, nil); r.Status != 204 {
			t.Fatalf("delete again: %d", r.Status)
		}
	})
	t.Run("token endpoint", func(t *testing.T) {
		addFault(map[string]any{"status": 502, "path": "/oauth/token"})
		r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, map[string][]string{"grant_type": {"account_credentials"}, "account_id": {DefaultAccountID}})
		if r.Status != 502 {
			t.Fatalf("token: %d", r.Status)
		}
	})
	t.Run("delay", func(t *testing.T) {
		addFault(map[string]any{"delay_ms": 300})
		start := time.Now()
		sb.do(http.MethodGet, "/v2/users/me", tok, nil)
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Fatalf("answered after %v", d)
		}
		start = time.Now()
		sb.do(http.MethodGet, "/v2/users/me", tok, nil)
		if d := time.Since(start); d > 250*time.Millisecond {
			t.Fatalf("second request delayed too: %v", d)
		}
	})
	t.Run("a held create goes on after its client left", func(t *testing.T) {
		addFault(map[string]any{"delay_ms": 400, "method": "POST"})
		before := count()
		holds := func() (held, released int) {
			var f struct{ Held, Released int }
			sb.do(http.MethodGet, "/_sandbox/faults", "", nil).json(t, &f)
			return f.Held, f.Released
		}
		_, released := holds()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, sb.ts.URL+"/v2/users/me/meetings", strings.NewReader(`{"topic":"held"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		answered := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			answered <- err
		}()
		waitUntil(t, func() bool { h, _ := holds(); return h == 1 })
		cancel() // the client gives up (or dies)
		if err := <-answered; err == nil {
			t.Fatal("answered although the client left")
		}
		waitUntil(t, func() bool { h, r := holds(); return h == 0 && r == released+1 })
		if count() != before+1 {
			t.Fatal("the held create was not performed")
		}
	})
	t.Run("commit then drop", func(t *testing.T) {
		addFault(map[string]any{"commit_then_drop": true})
		before := count()
		req, _ := http.NewRequest(http.MethodPost, sb.ts.URL+"/v2/users/me/meetings", strings.NewReader(`{"topic":"dropped"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got an answer: %d", resp.StatusCode)
		}
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
			t.Logf("client error: %v", err)
		}
		if count() != before+1 {
			t.Fatal("the meeting was not created before the drop")
		}
	})
	t.Run("list and clear", func(t *testing.T) {
		addFault(map[string]any{"status": 503, "times": 5})
		var l struct{ Faults []fault }
		sb.do(http.MethodGet, "/_sandbox/faults", "", nil).json(t, &l)
		if len(l.Faults) != 1 || l.Faults[0].Times != 5 {
			t.Fatalf("faults: %+v", l.Faults)
		}
		if r := sb.do(http.MethodDelete, "/_sandbox/faults", "", nil); r.Status != 204 {
			t.Fatalf("clear: %d", r.Status)
		}
		if r := sb.do(http.MethodGet, "/v2/users/me", tok, nil); r.Status != 200 {
			t.Fatalf("after clear: %d", r.Status)
		}
	})
	t.Run("bad fault", func(t *testing.T) {
		for _, b := range []string{`{}`, `{"status":200}`, `{"stauts":503}`, `nope`} {
			if r := sb.do(http.MethodPost, "/_sandbox/faults", "", b); r.Status != 400 {
				t.Errorf("%s: %d", b, r.Status)
			}
		}
	})
}

func itoa(n int64) string { return formatInt(n) }

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
