package zoomsandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"
)

// event is a webhook notification (zoom-api.md §5.1):
// {"event", "event_ts", "payload"}.
type event struct {
	Event   string `json:"event"`
	EventTS int64  `json:"event_ts"`
	Payload any    `json:"payload"`
}

// delivery is the record of one event sent to Options.WebhookURL, listed
// by GET /_sandbox/webhooks.
type delivery struct {
	Event      string `json:"event"`
	EventTS    int64  `json:"event_ts"`
	Attempts   int    `json:"attempts"`
	LastStatus int    `json:"last_status,omitempty"`
	Delivered  bool   `json:"delivered"`
	Error      string `json:"error,omitempty"`
	Body       string `json:"body"`
}

// webhookSender posts events to Options.WebhookURL one after the other, in
// order, off the request path, retrying failed attempts.
type webhookSender struct {
	s      *Server
	queue  chan *delivery
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	log []*delivery // the last maxDeliveryLog, oldest first
}

// maxDeliveryLog bounds the deliveries GET /_sandbox/webhooks lists: the
// most recent ones; the memory of a long-running sandbox stays bounded.
var maxDeliveryLog = 1000

func newWebhookSender(s *Server) *webhookSender {
	ctx, cancel := context.WithCancel(context.Background())
	h := &webhookSender{s: s, queue: make(chan *delivery, 1024), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go h.run()
	return h
}

// send queues an event; nil events and a missing WebhookURL are no-ops.
func (h *webhookSender) send(ev *event) {
	if ev == nil || h.s.opts.WebhookURL == "" {
		return
	}
	body, err := marshalCompact(ev)
	if err != nil {
		h.s.log.Error("zoomsandbox: encode webhook", "event", ev.Event, "err", err)
		return
	}
	d := &delivery{Event: ev.Event, EventTS: ev.EventTS, Body: string(body)}
	h.mu.Lock()
	if len(h.log) >= maxDeliveryLog {
		n := len(h.log) - maxDeliveryLog + 1
		clear(h.log[:n])
		h.log = append(h.log[:0], h.log[n:]...)
	}
	h.log = append(h.log, d)
	h.mu.Unlock()
	select {
	case h.queue <- d:
	case <-h.ctx.Done():
	default:
		h.record(d, func() { d.Error = "queue full: dropped" })
		h.s.log.Error("zoomsandbox: webhook queue full, event dropped", "event", ev.Event)
	}
}

func (h *webhookSender) record(d *delivery, f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

func (h *webhookSender) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]delivery, len(h.log))
	for i, d := range h.log {
		out[i] = *d
	}
	return out
}

func (h *webhookSender) run() {
	defer close(h.done)
	for {
		select {
		case <-h.ctx.Done():
			return
		case d := <-h.queue:
			h.deliver(d)
		}
	}
}

// deliver posts one event, retrying after each of WebhookRetryDelays
// (zoom-api.md §5.5: Zoom retries 3 times, the answer must be 200 or 204
// within 3 seconds).
func (h *webhookSender) deliver(d *delivery) {
	delays := h.s.opts.WebhookRetryDelays
	for attempt := 0; ; attempt++ {
		status, err := h.post(h.ctx, []byte(d.Body))
		h.record(d, func() {
			d.Attempts++
			d.LastStatus = status
			d.Delivered = err == nil && (status == http.StatusOK || status == http.StatusNoContent)
			d.Error = ""
			if err != nil {
				d.Error = err.Error()
			} else if !d.Delivered {
				d.Error = "answered " + strconv.Itoa(status)
			}
		})
		if d.Delivered {
			h.s.log.Info("zoomsandbox webhook delivered", "event", d.Event, "attempts", d.Attempts)
			return
		}
		if attempt >= len(delays) {
			h.s.log.Warn("zoomsandbox webhook dropped after retries", "event", d.Event, "attempts", d.Attempts)
			return
		}
		t := time.NewTimer(delays[attempt])
		select {
		case <-t.C:
		case <-h.ctx.Done():
			t.Stop()
			return
		}
	}
}

// post signs and sends one attempt (zoom-api.md §5.1, §5.4).
func (h *webhookSender) post(ctx context.Context, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.s.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("zoomsandbox: webhook request: %w", err)
	}
	ts := strconv.FormatInt(h.s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Zoom Marketplace/1.0a")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", sign(h.s.opts.WebhookSecret, ts, body))
	req.Header.Set("x-zm-trackingid", h.s.trackingID())
	req.Header.Set("clientid", h.s.opts.ClientID)
	resp, err := h.s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("zoomsandbox: webhook post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// close stops delivery: the attempt in flight is cancelled, queued events
// stay undelivered (listed by /_sandbox/webhooks).
func (h *webhookSender) close() {
	h.cancel()
	<-h.done
}

// sign is Zoom's signature (zoom-api.md §5.4): "v0=" + hex
// HMAC-SHA256(secret, "v0:{timestamp}:{body}").
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookObject is a meeting as the meeting.* events carry it (zoom-api.md
// §5.2). s.mu is held.
func (s *Server) webhookObject(m *meeting, host *user) map[string]any {
	st := m.Settings.withDefaults()
	settings := map[string]any{
		"use_pmi": *st.UsePMI, "alternative_hosts": *st.AlternativeHosts,
		"join_before_host": *st.JoinBeforeHost, "jbh_time": *st.JBHTime,
	}
	if st.MeetingInvitees != nil {
		settings["meeting_invitees"] = *st.MeetingInvitees
	}
	o := map[string]any{
		"uuid": m.UUID, "id": m.ID, "host_id": m.HostID, "topic": m.Topic, "type": m.Type,
		"duration": m.Duration, "join_url": s.joinURL(m), "settings": settings,
	}
	if m.Type != typeInstant && m.Type != typeRecurringNoFixed {
		o["start_time"] = m.StartTime.UTC().Format(zoomTime)
	}
	if m.Timezone != "" {
		o["timezone"] = m.Timezone
	}
	if m.Password != "" {
		o["password"] = m.Password
	}
	if m.Agenda != "" {
		o["agenda"] = m.Agenda
	}
	if *st.UsePMI && host != nil {
		o["pmi"] = strconv.FormatInt(host.PMI, 10)
	}
	if m.Recurrence != nil {
		o["recurrence"] = m.Recurrence
	}
	if occ := occurrenceTimes(m); len(occ) > 0 {
		o["occurrences"] = occ
	}
	if len(m.TrackingFields) > 0 {
		o["tracking_fields"] = m.TrackingFields
	}
	// Normalize through JSON so that diffs compare like with like.
	b, _ := json.Marshal(o)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// meetingEvent builds meeting.created or meeting.deleted; occ, for a
// deletion, is the one occurrence deleted. s.mu is held.
func (s *Server) meetingEvent(name string, c *call, m *meeting, host *user, occ *occurrence) *event {
	obj := s.webhookObject(m, host)
	payload := map[string]any{"account_id": m.AccountID, "operator": c.user.Email, "operator_id": c.user.ID, "object": obj}
	if name == "meeting.deleted" {
		// §5.2: the deletion object carries no join_url or settings.
		for _, k := range []string{"join_url", "settings", "password", "recurrence", "tracking_fields", "agenda", "pmi"} {
			delete(obj, k)
		}
		payload["operation"] = "all"
		if occ != nil {
			payload["operation"] = "single"
			obj["occurrences"] = []map[string]any{{"occurrence_id": occ.ID, "start_time": occ.Start.Format(zoomTime)}}
		}
	} else if m.Type == typeRecurringFixed || m.Type == typeRecurringNoFixed {
		payload["operation"] = "all"
	}
	return &event{Event: name, EventTS: s.now().UnixMilli(), Payload: payload}
}

// updatedEvent builds meeting.updated: object and old_object carry the id,
// the uuid and the fields that changed, settings field by field (§5.2).
// s.mu is held.
func (s *Server) updatedEvent(c *call, m *meeting, host *user, before map[string]any, occID string) *event {
	after := s.webhookObject(m, host)
	obj := map[string]any{"id": m.ID, "uuid": m.UUID}
	old := map[string]any{"id": m.ID, "uuid": m.UUID}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range keys {
		if k == "id" || k == "uuid" || k == "occurrences" {
			continue
		}
		b, a := before[k], after[k]
		if k == "settings" {
			bs, _ := b.(map[string]any)
			as, _ := a.(map[string]any)
			ns, os := map[string]any{}, map[string]any{}
			for sk, av := range as {
				if !reflect.DeepEqual(bs[sk], av) {
					ns[sk], os[sk] = av, bs[sk]
				}
			}
			if len(ns) > 0 {
				obj["settings"], old["settings"] = ns, os
			}
			continue
		}
		if !reflect.DeepEqual(a, b) {
			if a != nil {
				obj[k] = a
			}
			if b != nil {
				old[k] = b
			}
		}
	}
	scope := "all"
	if occID != "" {
		scope = "single"
		if o, ok := m.findOccurrence(occID); ok {
			obj["occurrences"] = []map[string]any{{"occurrence_id": o.ID, "start_time": o.Start.Format(zoomTime), "duration": o.Duration}}
		}
		if bo, ok := before["occurrences"].([]any); ok {
			for _, x := range bo {
				if om, ok := x.(map[string]any); ok && om["occurrence_id"] == occID {
					old["occurrences"] = []any{om}
				}
			}
		}
	}
	now := s.now()
	return &event{Event: "meeting.updated", EventTS: now.UnixMilli(), Payload: map[string]any{
		"account_id": m.AccountID, "operator": c.user.Email, "operator_id": c.user.ID, "scope": scope,
		"object": obj, "old_object": old, "time_stamp": now.UnixMilli(),
	}}
}

// deauthorizedEvent is app_deauthorized for a revoked grant (zoom-api.md
// §4.6). s.mu is held.
func (s *Server) deauthorizedEvent(t *token) *event {
	now := s.now().UTC()
	when := now.Format("2006-01-02T15:04:05.000Z")
	mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
	mac.Write([]byte(t.AccountID + ":" + t.UserID + ":" + when))
	return &event{Event: "app_deauthorized", EventTS: now.UnixMilli(), Payload: map[string]any{
		"account_id": t.AccountID, "user_id": t.UserID, "signature": hex.EncodeToString(mac.Sum(nil)),
		"deauthorization_time": when, "client_id": t.ClientID, "user_data_retention": "false",
	}}
}

// validateURL sends endpoint.url_validation synchronously and checks the
// answer (zoom-api.md §5.3): HTTP 200 with {"plainToken", "encryptedToken"
// = hex HMAC-SHA256(secret, plainToken)}.
func (s *Server) validateURL(ctx context.Context) (map[string]any, error) {
	if s.opts.WebhookURL == "" {
		return nil, fmt.Errorf("zoomsandbox: no webhook URL configured")
	}
	plain := s.rnd.text(22, idChars)
	body, err := marshalCompact(&event{Event: "endpoint.url_validation", EventTS: s.now().UnixMilli(),
		Payload: map[string]string{"plainToken": plain}})
	if err != nil {
		return nil, fmt.Errorf("zoomsandbox: encode url_validation: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(s.opts.WebhookSecret))
	mac.Write([]byte(plain))
	want := hex.EncodeToString(mac.Sum(nil))

	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("zoomsandbox: url_validation request: %w", err)
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Zoom Marketplace/1.0a")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", sign(s.opts.WebhookSecret, ts, body))
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("zoomsandbox: url_validation post: %w", err)
	}
	defer resp.Body.Close()
	var got struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = json.Unmarshal(rb, &got)
	valid := resp.StatusCode == http.StatusOK && got.PlainToken == plain && got.EncryptedToken == want
	return map[string]any{"status": resp.StatusCode, "valid": valid, "plainToken": plain}, nil
}
