package googlesandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Test controls of the personal accounts' OAuth flow.

// handleControlAddAccount is POST /_sandbox/accounts {"email", "name"}: a
// personal Google account (idempotent).
func (s *Server) handleControlAddAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	u, err := s.AddAccount(in.Email, in.Name)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"email": u.Email, "name": u.Name, "sub": u.Sub})
}

// handleControlOAuthClient is POST /_sandbox/oauth-clients {"client_id",
// "client_secret", "redirect_uris"}: creates or replaces a web client.
func (s *Server) handleControlOAuthClient(w http.ResponseWriter, r *http.Request) {
	var in OAuthClient
	if !decodeControl(w, r, &in) {
		return
	}
	if err := s.RegisterOAuthClient(in); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"client_id": in.ID, "redirect_uris": in.RedirectURIs})
}

// grantOut is a grant as the controls list it (no tokens).
type grantOut struct {
	Email     string    `json:"email"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	Revoked   bool      `json:"revoked"`
	CreatedAt time.Time `json:"created_at"`
}

// handleControlGrants is GET /_sandbox/grants[?email=…&client_id=…].
func (s *Server) handleControlGrants(w http.ResponseWriter, r *http.Request) {
	email, client := strings.ToLower(r.URL.Query().Get("email")), r.URL.Query().Get("client_id")
	s.mu.Lock()
	out := []grantOut{}
	for _, g := range s.st.Grants {
		if (email == "" || g.Email == email) && (client == "" || g.ClientID == client) {
			out = append(out, grantOut{Email: g.Email, ClientID: g.ClientID, Scopes: slices.Clone(g.Scopes), Revoked: g.Revoked, CreatedAt: g.CreatedAt})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b grantOut) int { return strings.Compare(a.Email+" "+a.ClientID, b.Email+" "+b.ClientID) })
	writeJSON(w, http.StatusOK, map[string]any{"grants": out})
}

// handleControlRevokeGrant is DELETE /_sandbox/grants?email=…&client_id=…:
// the user removes the app's access (myaccount.google.com/permissions).
func (s *Server) handleControlRevokeGrant(w http.ResponseWriter, r *http.Request) {
	email, client := r.URL.Query().Get("email"), r.URL.Query().Get("client_id")
	if email == "" || client == "" {
		controlError(w, http.StatusBadRequest, "email and client_id are required")
		return
	}
	s.mu.Lock()
	ok := s.revokeGrantLocked(grantKey(email, client))
	s.mu.Unlock()
	if !ok {
		controlError(w, http.StatusNotFound, "no such grant")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
