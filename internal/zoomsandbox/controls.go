package zoomsandbox

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Test controls under /_sandbox (DESIGN §4). They are not Zoom's: tests use
// them to see what Zoom holds and to make it misbehave.

// handleControlMeetings is GET /_sandbox/meetings: every meeting of every
// user, as GET /v2/meetings/{id} would answer it.
func (s *Server) handleControlMeetings(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ms := make([]*meeting, 0, len(s.st.Meetings))
	for _, m := range s.st.Meetings {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *meeting) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	views := make([]meetingView, 0, len(ms))
	for _, m := range ms {
		views = append(views, s.view(m, s.st.Users[m.HostID], nil, false))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"meetings": views})
}

// handleControlStart is POST /_sandbox/meetings/{meetingId}/start: the host
// starts the meeting (status "started"; a DELETE then answers 3002) and
// meeting.started is sent.
func (s *Server) handleControlStart(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("meetingId"), 10, 64)
	s.mu.Lock()
	m := s.st.Meetings[id]
	if m == nil {
		s.mu.Unlock()
		writeAPIError(w, errMeetingNotFound(r.PathValue("meetingId")))
		return
	}
	m.Status = "started"
	s.meetingChanged(m.ID)
	// §5.2: meeting.started carries the id as a string.
	ev := &event{Event: "meeting.started", EventTS: s.now().UnixMilli(), Payload: map[string]any{
		"account_id": m.AccountID,
		"object": map[string]any{"id": strconv.FormatInt(m.ID, 10), "uuid": m.UUID, "host_id": m.HostID,
			"topic": m.Topic, "type": m.Type, "start_time": s.now().UTC().Format(zoomTime),
			"timezone": m.Timezone, "duration": m.Duration},
	}}
	s.mu.Unlock()
	s.hooks.send(ev)
	w.WriteHeader(http.StatusNoContent)
}

// handleControlAccounts is GET /_sandbox/accounts: the accounts, their
// domains and users.
func (s *Server) handleControlAccounts(w http.ResponseWriter, r *http.Request) {
	type userOut struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Owner bool   `json:"owner"`
	}
	type accountOut struct {
		ID      string    `json:"id"`
		Domains []string  `json:"domains"`
		Users   []userOut `json:"users"`
	}
	s.mu.Lock()
	var out []accountOut
	for _, a := range s.st.Accounts {
		ao := accountOut{ID: a.ID, Domains: append([]string{}, a.Domains...), Users: []userOut{}}
		for _, u := range s.st.Users {
			if u.AccountID == a.ID {
				ao.Users = append(ao.Users, userOut{u.ID, u.Email, u.Owner})
			}
		}
		slices.SortFunc(ao.Users, func(a, b userOut) int { return strings.Compare(a.Email, b.Email) })
		out = append(out, ao)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b accountOut) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

// tokenOut is one token as GET /_sandbox/tokens lists it.
type tokenOut struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	GrantType    string   `json:"grant_type"`
	Scope        string   `json:"scope"`
	Scopes       []string `json:"scopes"`
	IssuedAt     string   `json:"issued_at"`
	ExpiresAt    string   `json:"expires_at"`
	Expired      bool     `json:"expired"`
	Revoked      bool     `json:"revoked"`
	RefreshUsed  bool     `json:"refresh_used"`
	AccountID    string   `json:"account_id"`
	UserID       string   `json:"user_id"`
	UserEmail    string   `json:"user_email"`
	ClientID     string   `json:"client_id"`
}

// handleControlTokens is GET /_sandbox/tokens: every token issued, oldest
// first.
func (s *Server) handleControlTokens(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.now()
	out := make([]tokenOut, 0, len(s.st.Tokens))
	for _, t := range s.st.Tokens {
		email := ""
		if u := s.st.Users[t.UserID]; u != nil {
			email = u.Email
		}
		out = append(out, tokenOut{
			AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, GrantType: t.Grant,
			Scope: strings.Join(t.Scopes, " "), Scopes: t.Scopes,
			IssuedAt: t.IssuedAt.UTC().Format(time.RFC3339), ExpiresAt: t.ExpiresAt.UTC().Format(time.RFC3339),
			Expired: !now.Before(t.ExpiresAt), Revoked: t.Revoked, RefreshUsed: t.RefreshUsed,
			AccountID: t.AccountID, UserID: t.UserID, UserEmail: email, ClientID: t.ClientID,
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// tokenSelector picks tokens in a control's body: one access token, or
// every token of an account, or (empty) every token.
type tokenSelector struct {
	AccessToken string `json:"access_token"`
	AccountID   string `json:"account_id"`
}

func (sel tokenSelector) match(t *token) bool {
	return (sel.AccessToken == "" || sel.AccessToken == t.AccessToken || sel.AccessToken == t.RefreshToken) &&
		(sel.AccountID == "" || sel.AccountID == t.AccountID)
}

func readSelector(r *http.Request) (tokenSelector, bool) {
	var sel tokenSelector
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if len(strings.TrimSpace(string(b))) == 0 {
		return sel, true
	}
	return sel, json.Unmarshal(b, &sel) == nil
}

// handleControlExpire is POST /_sandbox/tokens/expire {"access_token"?,
// "account_id"?}: the selected access tokens expire now (the API then
// answers 401/124 "Access token is expired.").
func (s *Server) handleControlExpire(w http.ResponseWriter, r *http.Request) {
	sel, ok := readSelector(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"access_token\"?, \"account_id\"?}"})
		return
	}
	s.mu.Lock()
	now := s.now()
	n := 0
	for _, t := range s.st.Tokens {
		if sel.match(t) && now.Before(t.ExpiresAt) {
			t.ExpiresAt = now
			n++
		}
	}
	s.changed()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"expired": n})
}

// handleControlDeauthorize is POST /_sandbox/webhooks/deauthorize
// {"access_token"?, "account_id"?}: the admin removes the app in Zoom; the
// selected grants are revoked and app_deauthorized is sent for each.
func (s *Server) handleControlDeauthorize(w http.ResponseWriter, r *http.Request) {
	sel, ok := readSelector(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"access_token\"?, \"account_id\"?}"})
		return
	}
	s.mu.Lock()
	var events []*event
	seen := map[string]bool{}
	for _, t := range s.st.Tokens {
		if !sel.match(t) || t.Revoked || seen[t.GrantID] {
			continue
		}
		seen[t.GrantID] = true
		events = append(events, s.revokeGrantLocked(t))
	}
	s.mu.Unlock()
	for _, ev := range events {
		s.hooks.send(ev)
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": len(events)})
}

// handleControlWebhooks is GET /_sandbox/webhooks: the events sent and
// their delivery.
func (s *Server) handleControlWebhooks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": s.hooks.deliveries()})
}

// handleControlURLValidation is POST /_sandbox/webhooks/url-validation:
// Zoom's endpoint.url_validation challenge sent now to Options.WebhookURL;
// the answer says whether the receiver answered it correctly.
func (s *Server) handleControlURLValidation(w http.ResponseWriter, r *http.Request) {
	res, err := s.validateURL(r.Context())
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, res)
}
