package google

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"
)

// fakeGoogle is Google's token endpoint and the part of Calendar v3 the
// client calls, for this package's unit tests (the Google Calendar
// sandbox, internal/googlesandbox, is the fuller one). Every request is
// checked against Google's discovery document (testdata/calendar-api.json:
// its method, path and query parameters), and JWT assertions are verified
// with the service account's public key as Google does (RFC 7523).
type fakeGoogle struct {
	t      *testing.T
	srv    *httptest.Server
	pub    *rsa.PublicKey
	client string // client_email

	mu       sync.Mutex
	users    map[string]bool              // users of the Workspace
	granted  []string                     // scopes delegated
	events   map[string][]*calendar.Event // per user, in order
	tokens   int                          // tokens issued
	calls    []string                     // "METHOD path" of API calls
	faults   []fault                      // answered before anything else, in order
	syncGen  map[string]int               // user → changes counter
	expired  map[string]bool              // sync tokens answered 410
	channels map[string]*calendar.Channel
	pending  int                   // conference creates answered "pending" this many reads
	queries  map[string]url.Values // the last query of each method
}

type fault struct {
	status int
	reason string
}

// seenMethods are the discovery methods the fakes were asked for.
var seenMethods sync.Map

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func rsaKey(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// keyJSON is a service account key file as Google's console gives it.
func keyJSON(t *testing.T, k *rsa.PrivateKey, tokenURL string) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "convene-test", "private_key_id": "k1",
		"private_key": string(pemKey), "client_email": "convene@convene-test.iam.gserviceaccount.com",
		"client_id": "117000000000000000001", "token_uri": tokenURL,
	})
	return b
}

var discovery struct {
	once    sync.Once
	methods []discoveredMethod
}

type discoveredMethod struct {
	httpMethod string
	path       *regexp.Regexp
	params     map[string]bool
	id         string
}

// discoveryMethods reads testdata/calendar-api.json.
func discoveryMethods(t *testing.T) []discoveredMethod {
	discovery.once.Do(func() {
		b, err := os.ReadFile("testdata/calendar-api.json")
		if err != nil {
			panic(err)
		}
		var doc struct {
			Parameters map[string]any `json:"parameters"`
			Resources  map[string]json.RawMessage
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			panic(err)
		}
		var walk func(map[string]json.RawMessage)
		walk = func(res map[string]json.RawMessage) {
			for _, raw := range res {
				var r struct {
					Methods map[string]struct {
						ID         string         `json:"id"`
						HTTPMethod string         `json:"httpMethod"`
						Path       string         `json:"path"`
						Parameters map[string]any `json:"parameters"`
					} `json:"methods"`
					Resources map[string]json.RawMessage `json:"resources"`
				}
				if err := json.Unmarshal(raw, &r); err != nil {
					panic(err)
				}
				for _, m := range r.Methods {
					re := "^/calendar/v3/" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(m.Path), `[^/]+`) + "$"
					ps := map[string]bool{}
					for p := range m.Parameters {
						ps[p] = true
					}
					for p := range doc.Parameters {
						ps[p] = true
					}
					discovery.methods = append(discovery.methods, discoveredMethod{m.HTTPMethod, regexp.MustCompile(re), ps, m.ID})
				}
				walk(r.Resources)
			}
		}
		walk(doc.Resources)
	})
	return discovery.methods
}

// method returns the discovery document's method of a request, checking
// its query parameters.
func discoveryCheck(t *testing.T, r *http.Request) (string, error) {
	for _, m := range discoveryMethods(t) {
		if m.httpMethod != r.Method || !m.path.MatchString(r.URL.Path) {
			continue
		}
		for p := range r.URL.Query() {
			if !m.params[p] {
				return "", fmt.Errorf("%s: unknown parameter %q", m.id, p)
			}
		}
		return m.id, nil
	}
	return "", fmt.Errorf("no method of the discovery document is %s %s", r.Method, r.URL.Path)
}

func newFakeGoogle(t *testing.T, users ...string) *fakeGoogle {
	f := &fakeGoogle{t: t, pub: &rsaKey(t).PublicKey, client: "convene@convene-test.iam.gserviceaccount.com",
		users: map[string]bool{}, granted: slices.Clone(Scopes), events: map[string][]*calendar.Event{},
		syncGen: map[string]int{}, expired: map[string]bool{}, channels: map[string]*calendar.Channel{}}
	for _, u := range users {
		f.users[u] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("/calendar/v3/", f.api)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGoogle) config() Config {
	return Config{CalendarURL: f.srv.URL + "/calendar/v3/", TokenURL: f.srv.URL + "/token", WebhookURL: "https://convene.example/webhooks/google_meet",
		Retry: RetryPolicy{Sleep: noSleep}}
}

func (f *fakeGoogle) newClient(t *testing.T) *Client {
	cfg := f.config()
	return &Client{CalendarURL: cfg.CalendarURL, TokenURL: cfg.TokenURL, WebhookURL: cfg.WebhookURL, Key: keyJSON(t, rsaKey(t), cfg.TokenURL),
		Scopes: Scopes, HTTP: f.srv.Client(), Retry: cfg.Retry, Now: func() time.Time { return time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) }}
}

func (f *fakeGoogle) fail(status int, reason string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.faults = append(f.faults, fault{status, reason})
	}
}

func (f *fakeGoogle) apiCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func oauthErr(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// token verifies a JWT bearer assertion (RFC 7523 §2.1, §3) as Google's
// token endpoint: RS256 with the account's key, iss the account, aud the
// endpoint, sub a user of the Workspace, scope the delegated ones.
func (f *fakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		oauthErr(w, "unsupported_grant_type", "")
		return
	}
	parts := strings.Split(r.FormValue("assertion"), ".")
	if len(parts) != 3 {
		oauthErr(w, "invalid_grant", "Invalid JWT")
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(f.pub, crypto.SHA256, sum[:], sig) != nil {
		oauthErr(w, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iss, Aud, Sub, Scope string
		Exp, Iat             int64
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Iss != f.client || c.Aud != f.srv.URL+"/token" {
		oauthErr(w, "invalid_grant", "Invalid JWT: bad iss or aud")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.users[c.Sub] {
		oauthErr(w, "invalid_grant", "Invalid email or User ID")
		return
	}
	for _, s := range strings.Fields(c.Scope) {
		if !slices.Contains(f.granted, s) {
			oauthErr(w, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
	}
	f.tokens++
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "ya29." + c.Sub, "token_type": "Bearer", "expires_in": 3600})
}

func gerr(w http.ResponseWriter, status int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg,
		"errors": []map[string]string{{"domain": "global", "reason": reason, "message": msg}}}})
}

func (f *fakeGoogle) api(w http.ResponseWriter, r *http.Request) {
	id, err := discoveryCheck(f.t, r)
	if err != nil {
		f.t.Errorf("request outside the discovery document: %v", err)
		gerr(w, 400, "badRequest", err.Error())
		return
	}
	user := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ya29.")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.users[user] {
		gerr(w, 401, "authError", "Invalid Credentials")
		return
	}
	f.calls = append(f.calls, id)
	seenMethods.Store(id, true)
	if f.queries == nil {
		f.queries = map[string]url.Values{}
	}
	f.queries[id] = r.URL.Query()
	if len(f.faults) > 0 {
		ft := f.faults[0]
		f.faults = f.faults[1:]
		gerr(w, ft.status, ft.reason, "fault "+ft.reason)
		return
	}
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/calendar/v3/"), "/")
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	switch id {
	case "calendar.freebusy.query":
		var req calendar.FreeBusyRequest
		json.Unmarshal(body, &req)
		if len(req.Items) > FreeBusyMax {
			gerr(w, 400, "tooManyCalendarsRequested", "too many calendars")
			return
		}
		resp := calendar.FreeBusyResponse{Calendars: map[string]calendar.FreeBusyCalendar{}}
		for _, it := range req.Items {
			if !f.users[it.Id] {
				resp.Calendars[it.Id] = calendar.FreeBusyCalendar{Errors: []*calendar.Error{{Domain: "global", Reason: "notFound"}}}
				continue
			}
			var busy []*calendar.TimePeriod
			for _, e := range f.events[it.Id] {
				if e.Status == "cancelled" || e.Transparency == "transparent" || e.Start == nil || e.Start.DateTime == "" {
					continue
				}
				busy = append(busy, &calendar.TimePeriod{Start: e.Start.DateTime, End: e.End.DateTime})
			}
			resp.Calendars[it.Id] = calendar.FreeBusyCalendar{Busy: busy}
		}
		reply(resp)
	case "calendar.events.list":
		if tok := q.Get("syncToken"); tok != "" && f.expired[tok] {
			gerr(w, 410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
			return
		}
		evs := f.events[user]
		if q.Get("fields") == "timeZone" {
			reply(calendar.Events{TimeZone: "Europe/Paris"})
			return
		}
		if uid := q.Get("iCalUID"); uid != "" {
			var out []*calendar.Event
			for _, e := range evs {
				if e.ICalUID == uid {
					out = append(out, e)
				}
			}
			reply(calendar.Events{Items: out})
			return
		}
		since := 0
		if tok := q.Get("syncToken"); tok != "" {
			since, _ = strconv.Atoi(strings.TrimPrefix(tok, "s"))
		}
		var out []*calendar.Event
		for _, e := range evs {
			gen, _ := strconv.Atoi(e.Etag)
			if since == 0 && e.Status == "cancelled" && e.RecurringEventId == "" && q.Get("showDeleted") != "true" {
				continue
			}
			if gen > since {
				out = append(out, e)
			}
		}
		start, _ := strconv.Atoi(q.Get("pageToken"))
		size, _ := strconv.Atoi(q.Get("maxResults"))
		if size <= 0 || size > 2500 {
			size = 250
		}
		page := calendar.Events{}
		if end := start + size; end < len(out) {
			page.Items = out[start:end]
			page.NextPageToken = strconv.Itoa(end)
		} else {
			page.Items = out[start:]
			page.NextSyncToken = "s" + strconv.Itoa(f.syncGen[user])
		}
		reply(page)
	case "calendar.events.insert":
		var e calendar.Event
		json.Unmarshal(body, &e)
		for _, x := range f.events[user] {
			if x.Id == e.Id {
				gerr(w, 409, "duplicate", "The requested identifier already exists.")
				return
			}
		}
		if e.Id == "" {
			e.Id = fmt.Sprintf("gen%d", len(f.events[user]))
		}
		if e.ICalUID == "" {
			e.ICalUID = e.Id + "@google.com"
		}
		e.Organizer = &calendar.EventOrganizer{Email: user, Self: true}
		e.Status = "confirmed"
		if e.ConferenceData != nil && e.ConferenceData.CreateRequest != nil {
			if q.Get("conferenceDataVersion") != "1" {
				e.ConferenceData = nil
			} else {
				status := "success"
				if f.pending > 0 {
					status = "pending"
				}
				e.ConferenceData.CreateRequest.Status = &calendar.ConferenceRequestStatus{StatusCode: status}
				if status == "success" {
					f.meet(&e)
				}
			}
		}
		f.put(user, &e)
		e.Etag = ""
		reply(e)
	case "calendar.events.get", "calendar.events.patch", "calendar.events.delete":
		evID := segs[len(segs)-1]
		e := f.find(user, evID)
		if e == nil {
			gerr(w, 404, "notFound", "Not Found")
			return
		}
		switch id {
		case "calendar.events.get":
			if f.pending > 0 && e.ConferenceData != nil {
				f.pending--
				if f.pending == 0 {
					e.ConferenceData.CreateRequest.Status.StatusCode = "success"
					f.meet(e)
				}
			}
		case "calendar.events.patch":
			if e.Status == "cancelled" {
				gerr(w, 410, "deleted", "Resource has been deleted")
				return
			}
			var p calendar.Event
			json.Unmarshal(body, &p)
			if p.Summary != "" {
				e.Summary = p.Summary
			}
			if p.Start != nil {
				e.Start, e.End = p.Start, p.End
			}
			if p.Recurrence != nil {
				e.Recurrence = p.Recurrence
			}
			if p.Attendees != nil {
				e.Attendees = p.Attendees
			}
			f.put(user, e)
		case "calendar.events.delete":
			if e.Status == "cancelled" {
				gerr(w, 410, "deleted", "Resource has been deleted")
				return
			}
			e.Status = "cancelled"
			f.put(user, e)
			w.WriteHeader(204)
			return
		}
		out := *e
		out.Etag = ""
		reply(out)
	case "calendar.events.watch":
		var ch calendar.Channel
		json.Unmarshal(body, &ch)
		ch.ResourceId = "res-" + user
		ch.Expiration = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC).UnixMilli()
		f.channels[ch.Id] = &ch
		reply(ch)
	case "calendar.channels.stop":
		var ch calendar.Channel
		json.Unmarshal(body, &ch)
		if f.channels[ch.Id] == nil {
			gerr(w, 404, "notFound", "Channel not found")
			return
		}
		delete(f.channels, ch.Id)
		w.WriteHeader(204)
	default:
		gerr(w, 400, "badRequest", "not in the fake: "+id)
	}
}

// meet attaches a Meet conference to e.
func (f *fakeGoogle) meet(e *calendar.Event) {
	e.HangoutLink = "https://meet.google.com/abc-defg-hij"
	e.ConferenceData.ConferenceId = "abc-defg-hij"
	e.ConferenceData.ConferenceSolution = &calendar.ConferenceSolution{Key: &calendar.ConferenceSolutionKey{Type: "hangoutsMeet"}, Name: "Google Meet"}
	e.ConferenceData.EntryPoints = []*calendar.EntryPoint{
		{EntryPointType: "video", Uri: "https://meet.google.com/abc-defg-hij", Label: "meet.google.com/abc-defg-hij"},
		{EntryPointType: "phone", Uri: "tel:+33-1-23-45-67-89", Label: "+33 1 23 45 67 89", Pin: "123456789", RegionCode: "FR"},
		{EntryPointType: "more", Uri: "https://tel.meet/abc-defg-hij?pin=123456789"},
	}
}

// put stores e (new or changed) as the latest change of user's calendar;
// the Etag field holds the change counter.
func (f *fakeGoogle) put(user string, e *calendar.Event) {
	f.syncGen[user]++
	e.Etag = strconv.Itoa(f.syncGen[user])
	e.Updated = "2026-03-01T10:00:00Z"
	evs := f.events[user]
	for i, x := range evs {
		if x.Id == e.Id {
			evs = append(evs[:i:i], evs[i+1:]...)
			break
		}
	}
	f.events[user] = append(evs, e)
}

func (f *fakeGoogle) find(user, id string) *calendar.Event {
	for _, e := range f.events[user] {
		if e.Id == id {
			return e
		}
	}
	return nil
}

// add stores events in user's calendar (a test's setup).
func (f *fakeGoogle) add(user string, evs ...*calendar.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range evs {
		if e.ICalUID == "" {
			e.ICalUID = e.Id + "@google.com"
		}
		if e.Status == "" {
			e.Status = "confirmed"
		}
		f.put(user, e)
	}
}

// query returns the last query of the method id.
func (f *fakeGoogle) query(id string) url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[id]
}

func noSleep(ctx context.Context, d time.Duration) error { return ctx.Err() }
