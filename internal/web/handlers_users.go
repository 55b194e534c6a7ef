package web

import (
	"net/http"
	"time"

	"github.com/convene/convene/internal/account"
)

// userAdminRoutes: what admins do when someone leaves (account/access.go
// has the rules): change a user's role, disable or remove them, list and
// revoke their API tokens.
func (s *Server) userAdminRoutes() []route {
	return []route{
		{method: "PATCH", path: "/api/v1/users/{email}", auth: authToken, admin: true,
			summary: "Change a user's role, or disable (and re-enable) them: a disabled user's tokens and CalDAV sign-in stop working at once and they cannot organize new meetings; the account's last owner cannot be demoted or disabled",
			request: "UserAccessPatch", resp: map[int]string{200: "User"}, handle: s.patchUserAccess},
		{method: "DELETE", path: "/api/v1/users/{email}", auth: authToken, admin: true,
			summary: "Remove a user: the meetings they organize that have not started are cancelled (CANCEL to invitees, video meeting deleted), past ones are kept with the organizer shown as removed; their tokens and calendars are deleted",
			resp:    map[int]string{200: "UserRemoved"}, handle: s.removeUser},
		{method: "GET", path: "/api/v1/users/{email}/tokens", auth: authToken, admin: true, summary: "List a user's API tokens (without secrets)",
			resp: map[int]string{200: "TokenList"}, handle: s.listUserTokens},
		{method: "DELETE", path: "/api/v1/users/{email}/tokens", auth: authToken, admin: true, summary: "Revoke every API token of a user",
			resp: map[int]string{200: "TokensRevoked"}, handle: s.revokeUserTokens},
		{method: "DELETE", path: "/api/v1/users/{email}/tokens/{id}", auth: authToken, admin: true, summary: "Revoke one API token of a user",
			resp: map[int]string{204: ""}, handle: s.revokeUserToken},
	}
}

func (s *Server) patchUserAccess(w http.ResponseWriter, r *http.Request) error {
	var patch account.AccessPatch
	if err := decodeJSON(w, r, &patch); err != nil {
		return err
	}
	p := principal(r)
	u, err := s.Accounts.UpdateAccess(r.Context(), p, r.PathValue("email"), patch)
	if err != nil {
		return err
	}
	s.Log.Info("user access changed", "request_id", requestID(r.Context()), "account", p.AccountID, "by", p.UserID,
		"user", u.ID, "role", u.Role, "disabled", !u.Disabled.IsZero())
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

func (s *Server) removeUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	res, err := s.Accounts.RemoveUser(r.Context(), p, r.PathValue("email"))
	if err != nil {
		return err
	}
	s.Log.Info("user removed", "request_id", requestID(r.Context()), "account", p.AccountID, "by", p.UserID,
		"user", res.User.ID, "meetings_cancelled", res.MeetingsCancelled, "tokens_revoked", res.TokensRevoked)
	writeJSON(w, http.StatusOK, map[string]any{"email": res.User.Email, "removed_at": res.User.Removed.Format(time.RFC3339),
		"meetings_cancelled": res.MeetingsCancelled, "tokens_revoked": res.TokensRevoked})
	return nil
}

func (s *Server) listUserTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Accounts.UserTokens(r.Context(), principal(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": views(ts, viewToken)})
	return nil
}

func (s *Server) revokeUserTokens(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	n, err := s.Accounts.RevokeUserTokens(r.Context(), p, r.PathValue("email"))
	if err != nil {
		return err
	}
	s.Log.Info("user tokens revoked", "request_id", requestID(r.Context()), "account", p.AccountID, "by", p.UserID, "revoked", n)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	return nil
}

func (s *Server) revokeUserToken(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.Accounts.RevokeUserToken(r.Context(), p, r.PathValue("email"), r.PathValue("id")); err != nil {
		return err
	}
	s.Log.Info("user token revoked", "request_id", requestID(r.Context()), "account", p.AccountID, "by", p.UserID, "token", r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
