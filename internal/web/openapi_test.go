package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// loadOpenAPI fetches /api/v1/openapi.json from the running server, checks
// it is a valid OpenAPI document, and returns a router over it.
func loadOpenAPI(t *testing.T, h *harness) (*openapi3.T, routers.Router) {
	t.Helper()
	status, raw, _ := h.doRaw("GET", "/api/v1/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI: %v", err)
	}
	doc.Servers = nil // match paths on any host
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// checkAnswers makes h check every request and answer against the
// OpenAPI document it serves.
func (h *harness) checkAnswers(t *testing.T) {
	t.Helper()
	_, router := loadOpenAPI(t, h)
	h.validate = validateAgainst(t, router)
}

// validateAgainst returns a harness hook that checks every request and
// response against the OpenAPI document.
func validateAgainst(t *testing.T, router routers.Router) func(*http.Request, []byte, *http.Response, []byte) {
	return func(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
		t.Helper()
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		// Requests that the API must refuse are sent on purpose; only
		// check those the API accepted.
		if resp.StatusCode < 400 {
			req.Body = io.NopCloser(bytes.NewReader(reqBody))
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s %s: accepted request does not match the document: %v", req.Method, req.URL.Path, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
			Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody))}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s → %d: response does not match the document: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		}
	}
}

func TestOpenAPIMatchesServedRoutes(t *testing.T) {
	h := newHarness(t, "sqlite")
	doc, _ := loadOpenAPI(t, h)
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	var documented []string
	for path, item := range doc.Paths.Map() {
		concrete := pathParam.ReplaceAllString(path, "x")
		for _, m := range methods {
			op := item.GetOperation(m)
			status, raw, _ := h.doRaw(m, concrete, "", nil)
			if op != nil {
				documented = append(documented, m+" "+path)
				// Served: the mux must not answer "no route" or 405.
				if status == 405 || (status == 404 && bytes.Contains(raw, []byte("no route"))) {
					t.Errorf("%s %s is documented but not served (%d)", m, path, status)
				}
			} else if status != 405 && !documentedAs(doc, m, concrete) {
				// Not documented: the mux must refuse the method, unless
				// another documented path takes the request (DELETE
				// /api/v1/users/me is DELETE /api/v1/users/{email}).
				t.Errorf("%s %s is served (%d) but not documented", m, path, status)
			}
		}
	}
	// Every route of the table is documented, and nothing else.
	var table []string
	for _, rt := range h.api.routeTable() {
		table = append(table, rt.method+" "+rt.path)
	}
	table = append(table, "GET /metrics")
	sort.Strings(table)
	sort.Strings(documented)
	if strings.Join(table, "\n") != strings.Join(documented, "\n") {
		t.Errorf("documented routes:\n%s\nserved routes:\n%s", strings.Join(documented, "\n"), strings.Join(table, "\n"))
	}
	// Paths outside the document are not served.
	for _, p := range []string{"/api/v1/users/me/x", "/api/v2/users/me", "/api/v1/domain"} {
		if status, raw, _ := h.doRaw("GET", p, "", nil); status != 404 || !bytes.Contains(raw, []byte("no route")) {
			t.Errorf("GET %s: %d, want the no-route 404", p, status)
		}
	}
}

// documentedAs reports whether a documented operation of another path
// template takes method on path (kin-openapi's router stops at the first
// template that matches the path, whatever the method).
func documentedAs(doc *openapi3.T, method, path string) bool {
	for tmpl, item := range doc.Paths.Map() {
		quoted := regexp.QuoteMeta(pathParam.ReplaceAllString(tmpl, "PARAM"))
		re := regexp.MustCompile("^" + strings.ReplaceAll(quoted, "PARAM", "[^/]+") + "$")
		if item.GetOperation(method) != nil && re.MatchString(path) {
			return true
		}
	}
	return false
}

func TestResponsesMatchOpenAPI(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.checkAnswers(t)
	a := h.setupTenant("Acme", "acme.test", true)
	b := h.setupTenant("Beta", "beta.test", false)
	for _, tok := range []string{a.owner, a.member, b.owner} {
		h.do("GET", "/api/v1/users/me", tok, nil)
		h.do("GET", "/api/v1/account", tok, nil)
		h.do("GET", "/api/v1/domains", tok, nil)
		h.do("GET", "/api/v1/tokens", tok, nil)
		h.do("GET", "/api/v1/users", tok, nil)
		h.do("PATCH", "/api/v1/users/me", tok, map[string]any{"buffers": map[string]any{"before": 5, "after": 5}})
		h.do("POST", "/api/v1/tokens", tok, map[string]any{"name": "x"})
	}
	h.do("GET", "/healthz", "", nil)
	h.do("POST", "/api/v1/domains", a.owner, map[string]any{"domain": "bad domain"})
	h.do("DELETE", "/api/v1/domains/acme.test", a.owner, nil)

	// Apps, meetings, the outbox, availability and the account's look.
	h.installZoom(a)
	h.do("GET", "/api/v1/apps", a.member, nil)
	m := h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Spec", "start_time": "2030-08-06T10:00", "timezone": "Europe/Paris",
		"duration": 30, "attendees": []map[string]string{{"email": "owner@acme.test"}}}, 201)
	id := m["id"].(string)
	// The first invitations go out before the change (a change made
	// earlier replaces them, and the count below would differ).
	h.mailsOf(a.accountID, id, 2)
	h.do("GET", "/api/v1/meetings/"+id, a.member, nil)
	h.do("GET", "/api/v1/meetings/"+id, a.owner, nil)
	h.do("GET", "/api/v1/meetings?from=2030-08-01T00:00:00Z&to=2030-08-31T00:00:00Z", a.member, nil)
	// The invitations go out before the change: a change made first
	// replaces them, and the four mails counted below would be two.
	h.mailsOf(a.accountID, id, 2)
	h.do("PATCH", "/api/v1/meetings/"+id, a.member, map[string]any{"start_time": "2030-08-06T11:00"})
	s := h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Series", "type": "recurring", "start_time": "2030-08-05T07:00",
		"timezone": "UTC", "duration": 15, "recurrence": map[string]string{"rrule": "FREQ=DAILY;COUNT=3"}}, 201)
	h.do("DELETE", "/api/v1/meetings/"+s["id"].(string)+"?scope=this&occurrence="+s["recurrence"].(map[string]any)["occurrences"].([]any)[1].(map[string]any)["occurrence_id"].(string), a.member, nil)
	h.do("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "x", "start_time": "2030-02-31T10:00"})
	h.mailsOf(a.accountID, id, 4)
	h.do("GET", "/api/v1/outbox?meeting="+id, a.owner, nil)
	h.do("GET", "/api/v1/availability?attendees=member@acme.test&duration=30&from=2030-08-05T00:00:00Z&to=2030-08-08T00:00:00Z", a.member, nil)
	h.do("POST", "/api/v1/account/invitation/preview", a.owner, map[string]any{"kind": "cancel", "language": "fr"})
	h.do("PATCH", "/api/v1/account", a.owner, map[string]any{"branding": map[string]string{"name": "Acme", "accent_color": "#112233"}})
	h.do("DELETE", "/api/v1/meetings/"+id, a.member, nil)
	// Received mail.
	h.receive(a, "Spec")
	h.do("GET", "/api/v1/inbox", a.owner, nil)
	h.do("PATCH", "/api/v1/account", a.owner, map[string]any{"assistant_address": "meet@acme.test"})
}
