package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// webhookDelivery is one event the sandbox sent, as GET /_sandbox/webhooks
// lists it.
type webhookDelivery struct {
	Event     string `json:"event"`
	Attempts  int    `json:"attempts"`
	Delivered bool   `json:"delivered"`
	Body      string `json:"body"`
}

// waitWebhooks waits until the sandbox has sent n events named event whose
// body contains about, and is done with each: delivered, or dropped after
// its last retry (the harness retries once). Waiting for this, not for a
// while, is how a test knows Convene has seen, or lost, Zoom's
// notifications.
func (h *harness) waitWebhooks(event, about string, n int) []webhookDelivery {
	h.t.Helper()
	var got []webhookDelivery
	waitFor(h.t, func() bool {
		var out struct{ Deliveries []webhookDelivery }
		h.sandboxCall("GET", "/_sandbox/webhooks", nil, &out)
		got = got[:0]
		for _, d := range out.Deliveries {
			if d.Event != event || !strings.Contains(d.Body, about) {
				continue
			}
			if !d.Delivered && d.Attempts < 2 {
				return false
			}
			got = append(got, d)
		}
		return len(got) == n
	})
	return got
}

// waitJobsIdle waits until no job is waiting, scheduled or running: every
// side effect queued so far has run.
func (h *harness) waitJobsIdle() {
	h.t.Helper()
	waitFor(h.t, func() bool {
		var n int
		err := h.db.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM river_job
			WHERE state IN ('available', 'pending', 'running', 'retryable', 'scheduled')`).Scan(&n)
		return err == nil && n == 0
	})
}

// try sends a JSON request and returns its status, or the error that kept
// it from being answered. Unlike do it never fails the test, so that
// goroutines may use it (t.Fatal must run on the test's goroutine).
func (h *harness) try(method, path, token string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		return resp.StatusCode, fmt.Errorf("%s %s: error %d with Content-Type %q, want application/problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, nil
}
