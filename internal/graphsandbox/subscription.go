package graphsandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// subscription is a change-notification subscription on a user's events.
type subscription struct {
	ID              string    `json:"id"`
	TenantID        string    `json:"tenantId"`
	UserID          string    `json:"userId"`
	Resource        string    `json:"resource"`
	ChangeType      string    `json:"changeType"`
	NotificationURL string    `json:"notificationUrl"`
	LifecycleURL    string    `json:"lifecycleNotificationUrl,omitempty"`
	ClientState     string    `json:"clientState,omitempty"`
	Expiration      time.Time `json:"expirationDateTime"`
	Immutable       bool      `json:"immutable"`
}

// subscriptionInput is a POST or PATCH /subscriptions body.
type subscriptionInput struct {
	ChangeType               *string `json:"changeType"`
	NotificationURL          *string `json:"notificationUrl"`
	LifecycleNotificationURL *string `json:"lifecycleNotificationUrl"`
	Resource                 *string `json:"resource"`
	ExpirationDateTime       *string `json:"expirationDateTime"`
	ClientState              *string `json:"clientState"`
	LatestSupportedTLS       *string `json:"latestSupportedTlsVersion"`
	ODataType                string  `json:"@odata.type"`
}

// eventResource matches the resources of a user's events the sandbox can
// watch: users/{id}/events, users/{id}/calendar/events, and their
// /me-less forms with a leading slash.
var eventResource = regexp.MustCompile(`^/?(?i:users)/([^/]{1,320})/(?i:(?:calendar/)?events)$`)

func parseSubscriptionInput(b []byte) (*subscriptionInput, *graphError) {
	var in subscriptionInput
	if err := jsonStrict(b, &in); err != nil {
		return nil, errGraph(http.StatusBadRequest, "BadRequest", "Invalid subscription body: "+err.Error())
	}
	if in.ClientState != nil && len(*in.ClientState) > 128 {
		return nil, errGraph(http.StatusBadRequest, "InvalidRequest", "clientState can be at most 128 characters.")
	}
	if in.ChangeType != nil {
		for _, t := range strings.Split(*in.ChangeType, ",") {
			if !oneOf(strings.TrimSpace(t), "created", "updated", "deleted") {
				return nil, errGraph(http.StatusBadRequest, "InvalidRequest", "Invalid changeType '"+trunc(t, 40)+"'.")
			}
		}
	}
	for _, p := range []*string{in.NotificationURL, in.LifecycleNotificationURL} {
		if p == nil {
			continue
		}
		u, err := url.Parse(*p)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(*p) > 2048 {
			return nil, errGraph(http.StatusBadRequest, "InvalidRequest", "Subscription notification URL must be an absolute https URL.")
		}
	}
	return &in, nil
}

func (s *Server) expiry(v string) (time.Time, *graphError) {
	t, ok := parseDateTimeOffset(v)
	now := s.now()
	switch {
	case !ok:
		return t, errGraph(http.StatusBadRequest, "InvalidRequest", "Invalid expirationDateTime.")
	case !t.After(now):
		return t, errGraph(http.StatusBadRequest, "ExtensionError", "Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration must be in the future.]")
	case t.Sub(now) > maxSubscriptionLife:
		return t, errGraph(http.StatusBadRequest, "ExtensionError", "Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be 10080 minutes in the future.]")
	}
	return t, nil
}

// subView is a subscription as Graph shows it.
func (s *Server) subView(sub *subscription) map[string]any {
	var life, cs any
	if sub.LifecycleURL != "" {
		life = sub.LifecycleURL
	}
	if sub.ClientState != "" {
		cs = sub.ClientState
	}
	return map[string]any{
		"@odata.context": s.opts.BaseURL + "/v1.0/$metadata#subscriptions/$entity",
		"id":             sub.ID, "resource": sub.Resource, "applicationId": s.opts.ClientID,
		"changeType": sub.ChangeType, "clientState": cs, "notificationUrl": sub.NotificationURL,
		"notificationQueryOptions": nil, "lifecycleNotificationUrl": life,
		"expirationDateTime": sub.Expiration.UTC().Format(graphStamp), "creatorId": s.opts.ClientID,
		"includeResourceData": nil, "latestSupportedTlsVersion": "v1_2", "encryptionCertificate": nil,
		"encryptionCertificateId": nil, "notificationUrlAppId": nil,
	}
}

// handleSubCreate is POST /subscriptions: the notification URL (and the
// lifecycle one) must echo a validationToken within 10 s first.
func (s *Server) handleSubCreate(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseSubscriptionInput(b)
	if gerr != nil {
		return nil, gerr
	}
	if in.ChangeType == nil || in.NotificationURL == nil || in.Resource == nil || in.ExpirationDateTime == nil {
		return nil, errGraph(http.StatusBadRequest, "InvalidRequest", "changeType, notificationUrl, resource and expirationDateTime are required.")
	}
	exp, gerr := s.expiry(*in.ExpirationDateTime)
	if gerr != nil {
		return nil, gerr
	}
	m := eventResource.FindStringSubmatch(*in.Resource)
	if m == nil {
		return nil, errGraph(http.StatusBadRequest, "ExtensionError", "Operation: Create; Exception: [Status Code: BadRequest; Reason: The sandbox watches only users/{id}/events.]")
	}
	s.mu.Lock()
	u, gerr := s.findUser(c.tenant, m[1])
	n := len(s.st.Subs)
	s.mu.Unlock()
	if gerr != nil {
		return nil, gerr
	}
	if n >= maxSubs {
		return nil, errGraph(http.StatusForbidden, "ExtensionError", "Operation: Create; Exception: [Status Code: Forbidden; Reason: Too many subscriptions.]")
	}
	for _, target := range []*string{in.NotificationURL, in.LifecycleNotificationURL} {
		if target == nil {
			continue
		}
		if err := s.validate(r.Context(), *target); err != nil {
			s.log.Warn("graphsandbox: subscription validation failed", "err", err)
			return nil, errGraph(http.StatusBadRequest, "ValidationError", "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.")
		}
	}
	sub := &subscription{ID: s.rnd.guid(), TenantID: c.tenant.ID, UserID: u.ID, Resource: *in.Resource,
		ChangeType: *in.ChangeType, NotificationURL: *in.NotificationURL, Expiration: exp, Immutable: c.immutable}
	if in.LifecycleNotificationURL != nil {
		sub.LifecycleURL = *in.LifecycleNotificationURL
	}
	if in.ClientState != nil {
		sub.ClientState = *in.ClientState
	}
	s.mu.Lock()
	s.st.Subs[sub.ID] = sub
	s.changed()
	v := s.subView(sub)
	s.mu.Unlock()
	return &response{status: http.StatusCreated, body: v}, nil
}

// validate POSTs ?validationToken=… to target and expects 200, text/plain
// and the token echoed, within 10 s.
func (s *Server) validate(ctx context.Context, target string) error {
	tok := "Validation: Testing client application reachability for subscription Request-Id: " + s.rnd.guid()
	u, _ := url.Parse(target)
	q := u.Query()
	q.Set("validationToken", tok)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("validation answered %d", resp.StatusCode)
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"):
		return fmt.Errorf("validation answered Content-Type %q, not text/plain", resp.Header.Get("Content-Type"))
	case string(body) != tok:
		return fmt.Errorf("validation answer is not the token")
	}
	return nil
}

func (s *Server) findSub(r *http.Request, c *call) (*subscription, *graphError) {
	sub := s.st.Subs[r.PathValue("id")]
	if sub == nil || sub.TenantID != c.tenant.ID || !sub.Expiration.After(s.now()) {
		return nil, errGraph(http.StatusNotFound, "ResourceNotFound", "The object was not found.")
	}
	return sub, nil
}

// handleSubList is GET /subscriptions.
func (s *Server) handleSubList(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, sub := range s.st.Subs {
		if sub.TenantID == c.tenant.ID && sub.Expiration.After(s.now()) {
			v := s.subView(sub)
			delete(v, "@odata.context")
			out = append(out, v)
		}
	}
	return map[string]any{"@odata.context": s.opts.BaseURL + "/v1.0/$metadata#subscriptions", "value": out}, nil
}

// handleSubGet is GET /subscriptions/{id}.
func (s *Server) handleSubGet(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, gerr := s.findSub(r, c)
	if gerr != nil {
		return nil, gerr
	}
	return s.subView(sub), nil
}

// handleSubPatch is PATCH /subscriptions/{id}: a new expirationDateTime
// (renewal), bounded as on create.
func (s *Server) handleSubPatch(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseSubscriptionInput(b)
	if gerr != nil {
		return nil, gerr
	}
	if in.ChangeType != nil || in.Resource != nil || in.LifecycleNotificationURL != nil || in.ClientState != nil {
		return nil, errGraph(http.StatusBadRequest, "InvalidRequest", "Only expirationDateTime and notificationUrl can be updated.")
	}
	var exp time.Time
	if in.ExpirationDateTime != nil {
		if exp, gerr = s.expiry(*in.ExpirationDateTime); gerr != nil {
			return nil, gerr
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, gerr := s.findSub(r, c)
	if gerr != nil {
		return nil, gerr
	}
	if !exp.IsZero() {
		sub.Expiration = exp
	}
	if in.NotificationURL != nil {
		sub.NotificationURL = *in.NotificationURL
	}
	s.changed()
	return s.subView(sub), nil
}

// handleSubDelete is DELETE /subscriptions/{id}: 204.
func (s *Server) handleSubDelete(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, gerr := s.findSub(r, c)
	if gerr != nil {
		return nil, gerr
	}
	delete(s.st.Subs, sub.ID)
	s.changed()
	return &response{status: http.StatusNoContent}, nil
}

// notify queues a change notification of e for every live subscription
// on u's events that asked for changeType. Called with s.mu held.
func (s *Server) notify(u *user, e *event, changeType string) {
	for _, sub := range s.st.Subs {
		if sub.UserID != u.ID || !sub.Expiration.After(s.now()) || !strings.Contains(sub.ChangeType, changeType) {
			continue
		}
		id := idOf(e, sub.Immutable)
		res := "Users/" + u.ID + "/Events/" + id
		n := map[string]any{
			"subscriptionId": sub.ID, "subscriptionExpirationDateTime": sub.Expiration.UTC().Format("2006-01-02T15:04:05.0000000Z07:00"),
			"changeType": changeType, "resource": res, "tenantId": sub.TenantID,
			"resourceData": map[string]any{"@odata.type": "#Microsoft.Graph.Event", "@odata.id": res,
				"@odata.etag": `W/"` + changeKey(e.Seq) + `"`, "id": id},
		}
		if sub.ClientState != "" {
			n["clientState"] = sub.ClientState
		}
		s.hooks.send(sub.NotificationURL, sub.ID, changeType, map[string]any{"value": []any{n}})
	}
}

// delivery is one notification sent and what became of it.
type delivery struct {
	SubscriptionID string    `json:"subscriptionId"`
	Kind           string    `json:"kind"` // created, updated, deleted or a lifecycle event
	URL            string    `json:"url"`
	Body           string    `json:"body"`
	Status         int       `json:"status"`
	Error          string    `json:"error,omitempty"`
	Attempts       int       `json:"attempts"`
	Done           bool      `json:"done"`
	At             time.Time `json:"at"`
}

// notifier delivers notifications in order from one goroutine; each gets
// three attempts a second apart. Graph retries for hours; tests need less.
type notifier struct {
	s      *Server
	queue  chan *delivery
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	log  []*delivery
	once sync.Once
}

func newNotifier(s *Server) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	n := &notifier{s: s, queue: make(chan *delivery, 1000), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go n.run()
	return n
}

func (n *notifier) send(target, subID, kind string, body any) {
	b, _ := json.Marshal(body)
	d := &delivery{SubscriptionID: subID, Kind: kind, URL: target, Body: string(b), At: n.s.now().UTC()}
	n.mu.Lock()
	n.log = append(n.log, d)
	if len(n.log) > 1000 {
		n.log = n.log[len(n.log)-1000:]
	}
	n.mu.Unlock()
	select {
	case n.queue <- d:
	default:
		n.mu.Lock()
		d.Done, d.Error = true, "queue full: dropped"
		n.mu.Unlock()
	}
}

func (n *notifier) run() {
	defer close(n.done)
	for {
		select {
		case <-n.ctx.Done():
			return
		case d := <-n.queue:
			n.deliver(d)
		}
	}
}

func (n *notifier) deliver(d *delivery) {
	for attempt := 1; attempt <= 3; attempt++ {
		status, err := n.post(d)
		n.mu.Lock()
		d.Attempts, d.Status = attempt, status
		d.Error = ""
		if err != nil {
			d.Error = err.Error()
		}
		ok := err == nil && status >= 200 && status < 300
		if ok || attempt == 3 {
			d.Done = true
		}
		n.mu.Unlock()
		n.s.log.Info("graphsandbox notification", "subscription", d.SubscriptionID, "kind", d.Kind, "status", status, "attempt", attempt)
		if ok {
			return
		}
		select {
		case <-n.ctx.Done():
			n.mu.Lock()
			d.Done = true
			n.mu.Unlock()
			return
		case <-time.After(time.Second):
		}
	}
}

func (n *notifier) post(d *delivery) (int, error) {
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader([]byte(d.Body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := n.s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// snapshot copies the delivery log.
func (n *notifier) snapshot() []delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]delivery, len(n.log))
	for i, d := range n.log {
		out[i] = *d
	}
	return out
}

func (n *notifier) close() {
	n.once.Do(func() {
		n.cancel()
		<-n.done
	})
}
