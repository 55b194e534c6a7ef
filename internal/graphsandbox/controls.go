package graphsandbox

import (
	"html/template"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The test controls (doc.go). They have no authentication and are
// mounted only with Options.Controls.

func readAllBounded(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
}

// handleControlTenants lists tenants with their domains, consent and users.
func (s *Server) handleControlTenants(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type tv struct {
		*tenant
		Users []*user `json:"users"`
	}
	var out []tv
	for _, t := range s.st.Tenants {
		v := tv{tenant: t, Users: []*user{}}
		for _, u := range s.st.Users {
			if u.TenantID == t.ID {
				v.Users = append(v.Users, u)
			}
		}
		sort.Slice(v.Users, func(i, j int) bool { return v.Users[i].Mail < v.Users[j].Mail })
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

// handleControlRevoke: the tenant's admin removes the app. Token requests
// fail with AADSTS700016, its tokens are refused from now on, and its
// subscriptions are removed, with a subscriptionRemoved lifecycle
// notification to those that have a lifecycleNotificationUrl.
func (s *Server) handleControlRevoke(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(r.PathValue("tenant"))
	if t == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such tenant"})
		return
	}
	t.Consent = false
	for k, tok := range s.st.Tokens {
		if tok.TenantID == t.ID {
			delete(s.st.Tokens, k)
		}
	}
	for id, sub := range s.st.Subs {
		if sub.TenantID != t.ID {
			continue
		}
		delete(s.st.Subs, id)
		if sub.LifecycleURL != "" {
			s.hooks.send(sub.LifecycleURL, sub.ID, "subscriptionRemoved", map[string]any{"value": []any{s.lifecycle(sub, "subscriptionRemoved")}})
		}
	}
	s.changed()
	writeJSON(w, http.StatusOK, t)
}

// handleControlUser seeds a user: {"tenant"?, "mail", "displayName"?,
// "timeZone"?, "workingHours"?}.
func (s *Server) handleControlUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant       string        `json:"tenant"`
		Mail         string        `json:"mail"`
		DisplayName  string        `json:"displayName"`
		TimeZone     string        `json:"timeZone"`
		WorkingHours *workingHours `json:"workingHours"`
	}
	if err := decodeControl(w, r, &in); err != nil {
		controlError(w, err.Error())
		return
	}
	if in.TimeZone != "" {
		if _, ok := loadZone(in.TimeZone); !ok {
			controlError(w, "unknown timeZone "+in.TimeZone)
			return
		}
	}
	if in.WorkingHours != nil {
		if _, ok := loadZone(in.WorkingHours.TimeZone.Name); !ok {
			controlError(w, "workingHours.timeZone.name: unknown zone")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *tenant
	if in.Tenant != "" {
		t = s.tenantByName(in.Tenant)
	} else if _, d, ok := strings.Cut(strings.ToLower(in.Mail), "@"); ok {
		t = s.tenantByName(d)
	}
	if t == nil {
		controlError(w, "no tenant for this user (name a tenant, or use an address of a tenant's domain)")
		return
	}
	u, gerr := s.findUser(t, strings.ToLower(in.Mail))
	if gerr != nil {
		controlError(w, "mail must be an address of one of the tenant's domains: "+strings.Join(t.Domains, ", "))
		return
	}
	if in.DisplayName != "" {
		u.DisplayName = in.DisplayName
		u.GivenName, u.Surname, _ = strings.Cut(in.DisplayName, " ")
	}
	if in.TimeZone != "" {
		u.TimeZone = in.TimeZone
		u.WorkingHours.TimeZone.Name = in.TimeZone
	}
	if in.WorkingHours != nil {
		u.WorkingHours = *in.WorkingHours
	}
	s.changed()
	writeJSON(w, http.StatusCreated, u)
}

// controlUser finds the user of a control path by id or address in any
// tenant (an address of a tenant's domain makes its mailbox). Called with
// s.mu held.
func (s *Server) controlUser(w http.ResponseWriter, r *http.Request) (*user, *call) {
	key := strings.ToLower(r.PathValue("user"))
	for _, u := range s.st.Users {
		if u.ID == key || u.Mail == key {
			c := &call{tenant: s.st.Tenants[u.TenantID], tz: time.UTC, tzName: "UTC", immutable: true, maxPage: MaxPageSize}
			return u, c
		}
	}
	// An address of a tenant's domain is a mailbox there, as in Graph.
	if _, domain, ok := strings.Cut(key, "@"); ok {
		if t := s.tenantByName(domain); t != nil {
			if u, gerr := s.findUser(t, key); gerr == nil {
				return u, &call{tenant: t, tz: time.UTC, tzName: "UTC", immutable: true, maxPage: MaxPageSize}
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
	return nil, nil
}

// handleControlEventCreate makes an event "in Outlook": any Graph event
// body, plus responseStatus (e.g. tentativelyAccepted). Subscriptions are
// notified. The answer shows immutable ids.
func (s *Server) handleControlEventCreate(w http.ResponseWriter, r *http.Request) {
	b, err := readAllBounded(w, r)
	if err != nil {
		controlError(w, err.Error())
		return
	}
	in, gerr := parseEventInput(b, true)
	if gerr != nil {
		s.writeGraphError(w, r, gerr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, c := s.controlUser(w, r)
	if u == nil {
		return
	}
	e, gerr := s.newEvent(u, in)
	if gerr != nil {
		s.writeGraphError(w, r, gerr)
		return
	}
	s.changed()
	s.notify(u, e, "created")
	writeJSON(w, http.StatusCreated, s.render(instance{ev: e, f: &e.fields}, c))
}

// handleControlEventPatch changes an event (or occurrence) "in Outlook";
// {"newFolder":true} also gives it a new regular id, as moving it to
// another folder and back does (its immutable id stays).
func (s *Server) handleControlEventPatch(w http.ResponseWriter, r *http.Request) {
	b, err := readAllBounded(w, r)
	if err != nil {
		controlError(w, err.Error())
		return
	}
	newFolder := false
	if strings.Contains(string(b), `"newFolder"`) {
		var m map[string]any
		if jsonStrict(b, &m) == nil {
			newFolder, _ = m["newFolder"].(bool)
			delete(m, "newFolder")
			b, _ = jsonMarshal(m)
		}
	}
	in, gerr := parseEventInput(b, true)
	if gerr != nil && !(newFolder && string(b) == "{}") {
		s.writeGraphError(w, r, gerr)
		return
	}
	if in == nil {
		in = &eventInput{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, c := s.controlUser(w, r)
	if u == nil {
		return
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		s.writeGraphError(w, r, gerr)
		return
	}
	out, gerr := s.patchEvent(e, date, in)
	if gerr != nil {
		s.writeGraphError(w, r, gerr)
		return
	}
	if newFolder && date == "" {
		delete(s.st.byRegular, e.RegularID)
		e.RegularID = s.rnd.outlookID(false)
		s.st.byRegular[e.RegularID] = e.ID
	}
	s.changed()
	s.notify(u, e, "updated")
	v := s.render(out, c)
	v["regularId"] = e.RegularID
	writeJSON(w, http.StatusOK, v)
}

// handleControlEventDelete deletes an event (or occurrence) "in Outlook".
func (s *Server) handleControlEventDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _ := s.controlUser(w, r)
	if u == nil {
		return
	}
	e, date, gerr := s.findEvent(u, r.PathValue("id"))
	if gerr != nil {
		s.writeGraphError(w, r, gerr)
		return
	}
	s.deleteEvent(u, e, date)
	w.WriteHeader(http.StatusNoContent)
}

// handleControlDeltaReset makes every delta and skip token stale: the next
// use answers 410 syncStateNotFound.
func (s *Server) handleControlDeltaReset(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Epoch++
	s.st.Deltas = map[string]*deltaState{}
	s.pages, s.pageOrder = map[string]*page{}, nil
	s.changed()
	writeJSON(w, http.StatusOK, map[string]int64{"epoch": s.st.Epoch})
}

// handleControlNotifications lists the notifications sent and their
// delivery (the last 1,000).
func (s *Server) handleControlNotifications(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"notifications": s.hooks.snapshot()})
}

// handleControlLifecycle sends a lifecycle notification of a
// subscription to its lifecycleNotificationUrl; subscriptionRemoved also
// removes it.
func (s *Server) handleControlLifecycle(w http.ResponseWriter, r *http.Request) {
	var in struct {
		LifecycleEvent string `json:"lifecycleEvent"`
	}
	if err := decodeControl(w, r, &in); err != nil {
		controlError(w, err.Error())
		return
	}
	if !oneOf(in.LifecycleEvent, "reauthorizationRequired", "subscriptionRemoved", "missed") {
		controlError(w, "lifecycleEvent must be reauthorizationRequired, subscriptionRemoved or missed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.st.Subs[r.PathValue("id")]
	if sub == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such subscription"})
		return
	}
	if sub.LifecycleURL == "" {
		controlError(w, "the subscription has no lifecycleNotificationUrl")
		return
	}
	n := map[string]any{"subscriptionId": sub.ID, "lifecycleEvent": in.LifecycleEvent, "resource": sub.Resource,
		"subscriptionExpirationDateTime": sub.Expiration.UTC().Format("2006-01-02T15:04:05.0000000Z07:00"),
		"tenantId":                       sub.TenantID}
	if sub.ClientState != "" {
		n["clientState"] = sub.ClientState
	}
	if in.LifecycleEvent == "subscriptionRemoved" {
		delete(s.st.Subs, sub.ID)
		s.changed()
	}
	s.hooks.send(sub.LifecycleURL, sub.ID, in.LifecycleEvent, map[string]any{"value": []any{n}})
	writeJSON(w, http.StatusAccepted, n)
}

// lifecycle is a lifecycle notification of sub.
func (s *Server) lifecycle(sub *subscription, event string) map[string]any {
	n := map[string]any{"subscriptionId": sub.ID, "lifecycleEvent": event, "resource": sub.Resource,
		"subscriptionExpirationDateTime": sub.Expiration.UTC().Format("2006-01-02T15:04:05.0000000Z07:00"),
		"tenantId":                       sub.TenantID}
	if sub.ClientState != "" {
		n["clientState"] = sub.ClientState
	}
	return n
}

var joinPage = template.Must(template.New("join").Parse(`<!doctype html><meta charset="utf-8"><title>Microsoft Teams sandbox meeting</title>
<h1>Microsoft Teams meeting (sandbox)</h1><p>This is the sandbox's stand-in for a Teams meeting. Nobody is here.</p><p><code>{{.}}</code></p>`))

// handleJoinPage is what a Teams join link opens.
func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = joinPage.Execute(w, r.URL.Path)
}
