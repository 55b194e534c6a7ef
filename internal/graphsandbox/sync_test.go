package graphsandbox

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const win = "startDateTime=2026-12-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z"

// drain follows nextLinks to the deltaLink, returning the items.
func (sb *sandbox) drain(first string, headers ...string) (items []map[string]any, pages int, deltaLink string) {
	sb.t.Helper()
	link := first
	for {
		m := sb.must(200, "GET", link, nil, headers...)
		pages++
		items = append(items, values(m)...)
		if n, ok := m["@odata.nextLink"].(string); ok {
			link = n
			continue
		}
		return items, pages, m["@odata.deltaLink"].(string)
	}
}

func TestDeltaPagingChangesAndReset(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	ids := map[string]bool{}
	for i := range 23 {
		e := sb.must(201, "POST", ann+"/events", eventBody(fmt.Sprint("e", i), fmt.Sprintf("2026-12-%02dT09:00:00", 1+i), fmt.Sprintf("2026-12-%02dT10:00:00", 1+i)))
		ids[e["id"].(string)] = true
	}
	items, pages, dl := sb.drain(ann + "/calendarView/delta?" + win)
	if len(items) != 23 || pages != 3 {
		t.Fatalf("%d items in %d pages, want 23 in 3 (page size %d)", len(items), pages, DefaultPageSize)
	}
	// Nothing changed: empty answer with a deltaLink.
	again, _, dl2 := sb.drain(dl)
	if len(again) != 0 {
		t.Fatalf("no change gave %d items", len(again))
	}
	// A change, a deletion, a new event.
	var first string
	for id := range ids {
		first = id
		break
	}
	sb.must(200, "PATCH", ann+"/events/"+first, map[string]any{"subject": "changed"})
	var second string
	for id := range ids {
		if id != first {
			second = id
			break
		}
	}
	sb.must(204, "DELETE", ann+"/events/"+second, nil)
	sb.must(201, "POST", ann+"/events", eventBody("new", "2026-12-28T09:00:00", "2026-12-28T10:00:00"))
	ch, _, dl3 := sb.drain(dl2, "Prefer", "odata.maxpagesize=1")
	var changed, removed, added int
	for _, it := range ch {
		switch {
		case it["@removed"] != nil && it["id"] == second:
			removed++
		case it["id"] == first && it["subject"] == "changed":
			changed++
		case it["subject"] == "new":
			added++
		default:
			t.Errorf("unexpected delta item %v", it)
		}
	}
	if changed != 1 || removed != 1 || added != 1 {
		t.Fatalf("changed %d removed %d added %d: %v", changed, removed, added, ch)
	}
	// Reset: the token answers 410 syncStateNotFound.
	sb.must(200, "POST", "/_sandbox/delta/reset", nil)
	st, m, _ := sb.do("GET", dl3, nil)
	if st != http.StatusGone || errCode(m) != "syncStateNotFound" {
		t.Fatalf("after reset: %d %v", st, m)
	}
	if st, _, _ := sb.do("GET", ann+"/calendarView/delta?$deltatoken=made-up", nil); st != http.StatusGone {
		t.Fatalf("unknown token: %d", st)
	}
}

func TestImmutableIDsSurviveMoves(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	imm := []string{"Prefer", `IdType="ImmutableId"`}
	e := sb.must(201, "POST", ann+"/events", eventBody("x", "2026-12-07T09:00:00", "2026-12-07T10:00:00"), imm...)
	iid := e["id"].(string)
	regular := sb.must(200, "GET", ann+"/events/"+iid, nil)["id"].(string)
	if regular == iid {
		t.Fatal("regular and immutable ids are the same")
	}
	// Moved between folders in Outlook: the regular id changes.
	moved := sb.must(200, "PATCH", "/_sandbox/users/ann@example.com/events/"+iid, map[string]any{"newFolder": true})
	if moved["regularId"] == regular {
		t.Fatal("the regular id did not change")
	}
	if st, _, _ := sb.do("GET", ann+"/events/"+regular, nil); st != 404 {
		t.Errorf("old regular id: %d, want 404", st)
	}
	got := sb.must(200, "GET", ann+"/events/"+iid, nil, imm...)
	if got["id"] != iid {
		t.Errorf("immutable id changed: %v", got["id"])
	}
}

func TestGetSchedule(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	sb.must(201, "POST", "/_sandbox/users", map[string]any{"mail": "bob@example.com", "timeZone": "Pacific Standard Time"})
	mk := func(user, subject, start, end, showAs string) {
		b := eventBody(subject, start, end)
		b["showAs"] = showAs
		sb.must(201, "POST", "/v1.0/users/"+user+"/events", b)
	}
	mk("ann@example.com", "busy", "2026-12-07T09:00:00", "2026-12-07T10:00:00", "busy")
	mk("ann@example.com", "maybe", "2026-12-07T09:30:00", "2026-12-07T11:00:00", "tentative")
	mk("ann@example.com", "free", "2026-12-07T11:00:00", "2026-12-07T12:00:00", "free")
	mk("bob@example.com", "away", "2026-12-07T08:00:00", "2026-12-07T09:00:00", "oof")
	mk("bob@example.com", "home", "2026-12-07T09:00:00", "2026-12-07T12:00:00", "workingElsewhere")
	r := sb.must(200, "POST", ann+"/calendar/getSchedule", map[string]any{
		"schedules":                []string{"ann@example.com", "bob@example.com", "nobody@elsewhere.test"},
		"startTime":                map[string]string{"dateTime": "2026-12-07T08:00:00", "timeZone": "UTC"},
		"endTime":                  map[string]string{"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"},
		"availabilityViewInterval": 60,
	})
	v := values(r)
	if len(v) != 3 {
		t.Fatalf("%v", r)
	}
	if v[0]["availabilityView"] != "0210" || len(v[0]["scheduleItems"].([]any)) != 2 {
		t.Errorf("ann: %v %v", v[0]["availabilityView"], v[0]["scheduleItems"])
	}
	// Working elsewhere is 0 in the view ("for backward compatibility"),
	// but listed.
	if v[1]["availabilityView"] != "3000" || len(v[1]["scheduleItems"].([]any)) != 2 || v[1]["workingHours"].(map[string]any)["timeZone"].(map[string]any)["name"] != "Pacific Standard Time" {
		t.Errorf("bob: %v", v[1])
	}
	if v[2]["error"].(map[string]any)["responseCode"] != "ErrorMailRecipientNotFound" {
		t.Errorf("unknown: %v", v[2])
	}
	// Bounds.
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@example.com", i)
	}
	for _, body := range []map[string]any{
		{"schedules": many, "startTime": map[string]string{"dateTime": "2026-12-07T08:00:00", "timeZone": "UTC"}, "endTime": map[string]string{"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"}},
		{"schedules": []string{"ann@example.com"}, "startTime": map[string]string{"dateTime": "2026-12-07T08:00:00", "timeZone": "UTC"}, "endTime": map[string]string{"dateTime": "2027-03-07T12:00:00", "timeZone": "UTC"}},
		{"schedules": []string{"ann@example.com"}, "startTime": map[string]string{"dateTime": "2026-12-07T08:00:00", "timeZone": "UTC"}, "endTime": map[string]string{"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"}, "availabilityViewInterval": 1},
	} {
		if st, m, _ := sb.do("POST", ann+"/calendar/getSchedule", body); st != 400 {
			t.Errorf("out of bounds accepted: %d %v", st, m)
		}
	}
}

func TestOnlineMeetings(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	body := map[string]any{"subject": "Sync", "startDateTime": "2026-12-07T09:00:00Z", "endDateTime": "2026-12-07T10:00:00Z", "externalId": "booking-1"}
	m := sb.must(201, "POST", ann+"/onlineMeetings/createOrGet", body)
	if !strings.HasPrefix(m["joinWebUrl"].(string), sb.ts.URL+"/l/meetup-join/") || m["videoTeleconferenceId"] == "" ||
		m["audioConferencing"].(map[string]any)["conferenceId"] == "" {
		t.Fatalf("created: %v", m)
	}
	again := sb.must(200, "POST", ann+"/onlineMeetings/createOrGet", body)
	if again["id"] != m["id"] {
		t.Fatal("createOrGet made a second meeting")
	}
	id := m["id"].(string)
	p := sb.must(200, "PATCH", ann+"/onlineMeetings/"+id, map[string]any{"subject": "Sync 2"})
	if p["subject"] != "Sync 2" {
		t.Fatal(p)
	}
	sb.must(200, "GET", ann+"/onlineMeetings/"+id, nil)
	sb.must(204, "DELETE", ann+"/onlineMeetings/"+id, nil)
	if st, _, _ := sb.do("GET", ann+"/onlineMeetings/"+id, nil); st != 404 {
		t.Fatalf("after delete: %d", st)
	}
	plain := sb.must(201, "POST", ann+"/onlineMeetings", map[string]any{"subject": "adhoc"})
	if plain["externalId"] != nil {
		t.Fatal(plain)
	}
	if st, _, _ := sb.do("POST", ann+"/onlineMeetings/createOrGet", map[string]any{"subject": "x"}); st != 400 {
		t.Fatal("createOrGet without externalId accepted")
	}
}

// receiver is a notification endpoint: it answers validation tokens
// (unless told not to) and records notifications.
type receiver struct {
	mu       sync.Mutex
	bodies   []string
	refuse   bool
	got      chan struct{}
	srv      *httptest.Server
	badEcho  bool
	validate int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			rc.mu.Lock()
			rc.validate++
			refuse, bad := rc.refuse, rc.badEcho
			rc.mu.Unlock()
			if refuse {
				w.WriteHeader(500)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			if bad {
				tok = "wrong"
			}
			_, _ = io.WriteString(w, tok)
			return
		}
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(b))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		rc.got <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) wait(t *testing.T, n int) []string {
	t.Helper()
	for {
		rc.mu.Lock()
		if len(rc.bodies) >= n {
			out := append([]string(nil), rc.bodies...)
			rc.mu.Unlock()
			return out
		}
		rc.mu.Unlock()
		select {
		case <-rc.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("waited for %d notifications", n)
		}
	}
}

func TestSubscriptions(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	rc := newReceiver(t)
	exp := sb.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	body := map[string]any{"changeType": "created,updated,deleted", "notificationUrl": rc.srv.URL + "/notify",
		"lifecycleNotificationUrl": rc.srv.URL + "/life", "resource": "/users/ann@example.com/events",
		"expirationDateTime": exp, "clientState": "s3cret"}
	sub := sb.must(201, "POST", "/v1.0/subscriptions", body)
	rc.mu.Lock()
	nv := rc.validate
	rc.mu.Unlock()
	if nv != 2 {
		t.Fatalf("%d validations, want 2 (notification and lifecycle URLs)", nv)
	}
	e := sb.must(201, "POST", "/_sandbox/users/ann@example.com/events", eventBody("Outlook", "2026-12-07T09:00:00", "2026-12-07T10:00:00"))
	sb.must(200, "PATCH", "/_sandbox/users/ann@example.com/events/"+e["id"].(string), map[string]any{"subject": "moved",
		"start": map[string]string{"dateTime": "2026-12-07T11:00:00", "timeZone": "UTC"}, "end": map[string]string{"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"}})
	sb.must(204, "DELETE", "/_sandbox/users/ann@example.com/events/"+e["id"].(string), nil)
	got := rc.wait(t, 3)
	for i, want := range []string{`"changeType":"created"`, `"changeType":"updated"`, `"changeType":"deleted"`} {
		if !strings.Contains(got[i], want) || !strings.Contains(got[i], `"clientState":"s3cret"`) || !strings.Contains(got[i], sub["id"].(string)) {
			t.Errorf("notification %d: %s", i, got[i])
		}
	}
	// Renewal within the limit; beyond it refused.
	sb.must(200, "PATCH", "/v1.0/subscriptions/"+sub["id"].(string), map[string]any{"expirationDateTime": sb.clock.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)})
	if st, m, _ := sb.do("PATCH", "/v1.0/subscriptions/"+sub["id"].(string), map[string]any{"expirationDateTime": sb.clock.Now().Add(8 * 24 * time.Hour).Format(time.RFC3339)}); st != 400 || errCode(m) != "ExtensionError" {
		t.Errorf("renewal past 10080 minutes: %d %v", st, m)
	}
	// Lifecycle.
	sb.must(202, "POST", "/_sandbox/subscriptions/"+sub["id"].(string)+"/lifecycle", map[string]any{"lifecycleEvent": "reauthorizationRequired"})
	got = rc.wait(t, 4)
	if !strings.Contains(got[3], `"lifecycleEvent":"reauthorizationRequired"`) {
		t.Errorf("lifecycle: %s", got[3])
	}
	sb.must(204, "DELETE", "/v1.0/subscriptions/"+sub["id"].(string), nil)
	if st, _, _ := sb.do("GET", "/v1.0/subscriptions/"+sub["id"].(string), nil); st != 404 {
		t.Errorf("after delete: %d", st)
	}
	// A receiver that does not echo the token gets no subscription.
	rc.mu.Lock()
	rc.badEcho = true
	rc.mu.Unlock()
	if st, m, _ := sb.do("POST", "/v1.0/subscriptions", body); st != 400 || errCode(m) != "ValidationError" {
		t.Errorf("bad echo: %d %v", st, m)
	}
	rc.mu.Lock()
	rc.badEcho, rc.refuse = false, true
	rc.mu.Unlock()
	if st, m, _ := sb.do("POST", "/v1.0/subscriptions", body); st != 400 || errCode(m) != "ValidationError" {
		t.Errorf("refused validation: %d %v", st, m)
	}
	// Expiry bounds.
	rc.mu.Lock()
	rc.refuse = false
	rc.mu.Unlock()
	body["expirationDateTime"] = sb.clock.Now().Add(10081 * time.Minute).Format(time.RFC3339)
	if st, m, _ := sb.do("POST", "/v1.0/subscriptions", body); st != 400 || errCode(m) != "ExtensionError" {
		t.Errorf("too long: %d %v", st, m)
	}
}

func TestBatch(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	r := sb.must(200, "POST", "/v1.0/$batch", map[string]any{"requests": []map[string]any{
		{"id": "1", "method": "POST", "url": "/users/ann@example.com/events", "headers": map[string]string{"Content-Type": "application/json"},
			"body": eventBody("b", "2026-12-07T09:00:00", "2026-12-07T10:00:00")},
		{"id": "2", "method": "GET", "url": "/users/ann@example.com/events", "dependsOn": []string{"1"}},
		{"id": "3", "method": "GET", "url": "/users/nobody@elsewhere.test"},
		{"id": "4", "method": "GET", "url": "/users/ann@example.com", "dependsOn": []string{"3"}},
	}})
	resp := r["responses"].([]any)
	status := map[string]float64{}
	for _, x := range resp {
		m := x.(map[string]any)
		status[m["id"].(string)] = m["status"].(float64)
	}
	if status["1"] != 201 || status["2"] != 200 || status["3"] != 404 || status["4"] != 424 {
		t.Fatalf("statuses %v", status)
	}
	reqs := make([]map[string]any, 21)
	for i := range reqs {
		reqs[i] = map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/users"}
	}
	if st, _, _ := sb.do("POST", "/v1.0/$batch", map[string]any{"requests": reqs}); st != 400 {
		t.Errorf("21 requests: %d", st)
	}
	if st, _, _ := sb.do("POST", "/v1.0/$batch", map[string]any{"requests": []map[string]any{{"id": "1", "method": "GET", "url": "/users", "dependsOn": []string{"2"}}}}); st != 400 {
		t.Errorf("dependsOn a later request: %d", st)
	}
	st, m, _ := sb.do("POST", "/v1.0/$batch", map[string]any{"requests": []map[string]any{{"id": "7", "method": "POST", "url": "/users/ann@example.com/events",
		"body": eventBody("b", "2026-12-07T09:00:00", "2026-12-07T10:00:00")}}})
	if st != 400 || !strings.Contains(m["error"].(map[string]any)["message"].(string), "Write request id : 7 does not contain Content-Type header") {
		t.Errorf("a body without Content-Type: %d %v", st, m)
	}
}

func TestFaults(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	sb.must(201, "POST", "/_sandbox/faults", map[string]any{"status": 429, "times": 2, "retryAfter": 3, "path": "/v1.0/users/ann@example.com/events", "method": "POST"})
	sb.must(201, "POST", "/_sandbox/faults", map[string]any{"status": 503, "path": "/v1.0/users/ann@example.com/calendar/getSchedule"})
	for i := range 2 {
		st, m, h := sb.do("POST", ann+"/events", eventBody("x", "2026-12-07T09:00:00", "2026-12-07T10:00:00"))
		if st != 429 || h.Get("Retry-After") != "3" || errCode(m) != "TooManyRequests" {
			t.Fatalf("try %d: %d %v %v", i, st, m, h)
		}
	}
	sb.must(201, "POST", ann+"/events", eventBody("x", "2026-12-07T09:00:00", "2026-12-07T10:00:00"))
	if n := len(values(sb.must(200, "GET", ann+"/events", nil))); n != 1 {
		t.Fatalf("%d events after two 429s and a success, want 1", n)
	}
	st, m, h := sb.do("POST", ann+"/calendar/getSchedule", map[string]any{"schedules": []string{"ann@example.com"},
		"startTime": map[string]string{"dateTime": "2026-12-07T08:00:00", "timeZone": "UTC"}, "endTime": map[string]string{"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"}})
	if st != 503 || h.Get("Retry-After") != "1" || errCode(m) != "ServiceUnavailable" {
		t.Fatalf("503: %d %v", st, m)
	}
	if f := sb.must(200, "GET", "/_sandbox/faults", nil)["faults"].([]any); len(f) != 0 {
		t.Fatalf("faults left: %v", f)
	}
	// Inside a $batch, a matching request is throttled alone.
	sb.must(201, "POST", "/_sandbox/faults", map[string]any{"status": 429, "retryAfter": 2, "path": "/v1.0/users/bob@example.com/mailboxSettings"})
	r := sb.must(200, "POST", "/v1.0/$batch", map[string]any{"requests": []map[string]any{
		{"id": "a", "method": "GET", "url": "/users/ann@example.com/mailboxSettings"},
		{"id": "b", "method": "GET", "url": "/users/bob@example.com/mailboxSettings"},
	}})
	for _, x := range r["responses"].([]any) {
		m := x.(map[string]any)
		want := map[string]float64{"a": 200, "b": 429}[m["id"].(string)]
		if m["status"].(float64) != want {
			t.Errorf("batch %v: %v, want %v", m["id"], m["status"], want)
		}
		if m["id"] == "b" && (m["headers"].(map[string]any)["Retry-After"] != "2" || errCode(m["body"].(map[string]any)) != "TooManyRequests") {
			t.Errorf("throttled in batch: %v", m)
		}
	}
}

func TestControlsOffByDefault(t *testing.T) {
	sb := newSandbox(t, func(o *Options) { o.Controls = false })
	for _, p := range []string{"/_sandbox/tenants", "/_sandbox/faults", "/_sandbox/notifications"} {
		if st, _, _ := sb.doRaw("GET", p, nil); st != 404 {
			t.Errorf("%s: %d, want 404", p, st)
		}
	}
	if st, _, _ := sb.doRaw("POST", "/_sandbox/delta/reset", nil); st != 404 {
		t.Errorf("reset: %d", st)
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/graph.json"
	sb := newSandbox(t, func(o *Options) { o.DataFile = file })
	sb.login()
	e := sb.must(201, "POST", ann+"/events", eventBody("kept", "2026-12-07T09:00:00", "2026-12-07T10:00:00"))
	if err := sb.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data file: %v %v, want mode 600 (it holds tokens)", fi, err)
	}
	srv2, err := New(Options{BaseURL: sb.ts.URL, DataFile: file, Now: sb.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	sb.srv = srv2
	ts := httptest.NewServer(srv2)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+ann+"/events/"+e["id"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+sb.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	decodeJSON(t, resp, &m)
	if resp.StatusCode != 200 || m["subject"] != "kept" {
		t.Fatalf("after restart: %d %v", resp.StatusCode, m)
	}
}

// TestRevokeRemovesSubscriptions: a revoked consent removes the tenant's
// subscriptions with a subscriptionRemoved lifecycle notification, and
// changes notify no more.
func TestRevokeRemovesSubscriptions(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	rc := newReceiver(t)
	sb.must(201, "POST", "/v1.0/subscriptions", map[string]any{"changeType": "created", "notificationUrl": rc.srv.URL,
		"lifecycleNotificationUrl": rc.srv.URL, "resource": "users/ann@example.com/events",
		"expirationDateTime": sb.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	sb.must(200, "POST", "/_sandbox/tenants/"+DefaultTenantID+"/revoke", nil)
	got := rc.wait(t, 1)
	if !strings.Contains(got[0], `"lifecycleEvent":"subscriptionRemoved"`) {
		t.Fatalf("lifecycle: %s", got[0])
	}
	sb.must(201, "POST", "/_sandbox/users/ann@example.com/events", eventBody("x", "2026-12-07T09:00:00", "2026-12-07T10:00:00"))
	for _, d := range sb.must(200, "GET", "/_sandbox/notifications", nil)["notifications"].([]any) {
		if d.(map[string]any)["kind"] == "created" {
			t.Fatalf("a change was notified after the revocation: %v", d)
		}
	}
}
