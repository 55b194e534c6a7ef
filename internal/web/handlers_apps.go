package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/failure"
)

// appRoutes: the marketplace, its OAuth callback and the providers'
// webhooks (webhooks.go).
func (s *Server) appRoutes() []route {
	return append([]route{
		{method: "GET", path: "/api/v1/apps", auth: authToken, summary: "The catalog of video apps and their state in the account",
			resp: map[int]string{200: "AppList"}, handle: s.listApps},
		{method: "POST", path: "/api/v1/apps/{app}/pre-approve", auth: authToken, admin: true, summary: "Pre-approve an app for the account",
			resp: map[int]string{200: "App"}, handle: s.preApproveApp},
		{method: "POST", path: "/api/v1/apps/{app}/install", auth: authToken, admin: true, summary: "Install an app for managed domains; returns the provider's consent URL",
			request: "AppInstallRequest", resp: map[int]string{200: "AppInstall"}, handle: s.installApp},
		{method: "PUT", path: "/api/v1/apps/{app}", auth: authToken, admin: true, summary: "Change the managed domains that may use an installed app",
			request: "AppDomains", resp: map[int]string{200: "App"}, handle: s.setAppDomains},
		{method: "DELETE", path: "/api/v1/apps/{app}", auth: authToken, admin: true, summary: "Uninstall an app: revoke and delete its tokens",
			resp: map[int]string{204: ""}, handle: s.uninstallApp},
		{method: "GET", path: "/api/v1/apps/{app}/connections", auth: authToken, admin: true,
			summary: "The account's users' own connections to an app installed in personal-account mode (who connected which provider account, its state), by user address; never a token",
			query: []param{{name: "limit", typ: "integer", doc: "at most this many (1 to 200, default 50)"},
				{name: "after", typ: "string", doc: "connections of users after this address (the next page: the last user of the previous one)"}},
			resp: map[int]string{200: "AppUserConnectionList"}, handle: s.listAppConnections},
		{method: "DELETE", path: "/api/v1/apps/{app}/connections/{user}", auth: authToken, admin: true,
			summary: "Revoke a user's own connection to an app installed in personal-account mode (the user by address): revoked at the provider, then forgotten (forgotten even when the provider cannot be reached, which the answer says); audited, and the user is told",
			resp:    map[int]string{200: "AppDisconnect"}, handle: s.revokeAppConnection},
		{method: "GET", path: "/api/v1/users/me/apps", auth: authToken, summary: "The caller's own connections to apps installed in personal-account mode (e.g. their Google account)",
			resp: map[int]string{200: "AppConnectionList"}, handle: s.listConnections},
		{method: "POST", path: "/api/v1/users/me/apps/{app}/connect", auth: authToken, summary: "Start connecting the caller's own account at the app's provider; returns the provider's consent URL",
			resp: map[int]string{200: "AppConnect"}, handle: s.connectApp},
		{method: "DELETE", path: "/api/v1/users/me/apps/{app}/connection", auth: authToken, summary: "Disconnect the caller's own account: revoked at the provider, then forgotten (forgotten even when the provider cannot be reached, which the answer says)",
			resp: map[int]string{200: "AppDisconnect"}, handle: s.disconnectApp},
		{method: "GET", path: "/oauth/{app}/callback", summary: "Where the provider returns the admin's browser after consent, or a user's after connecting their own account (HTML; JSON with Accept: application/json)",
			query: []param{{name: "code", typ: "string", doc: "authorization code"}, {name: "state", typ: "string", doc: "the state of the install attempt", required: true},
				{name: "error", typ: "string", doc: "access_denied when the admin declined"}},
			resp: map[int]string{200: "AppCallback"}, handle: s.oauthCallback},
	}, s.webhookRoutes()...)
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Apps.List(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"apps": list})
	return nil
}

func (s *Server) preApproveApp(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Apps.PreApprove(r.Context(), principal(r), r.PathValue("app"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type domainsBody struct {
	Domains []string `json:"domains"`
}

// installBody is an install's request: the domains, and the key of an app
// authorized by a service account.
type installBody struct {
	Domains           []string        `json:"domains"`
	ServiceAccountKey json.RawMessage `json:"service_account_key"`
	// Mode is "account" (the default) or "personal" (each user connects
	// their own account).
	Mode string `json:"mode"`
}

func (s *Server) installApp(w http.ResponseWriter, r *http.Request) error {
	var in installBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var key []byte
	if k := bytes.TrimSpace(in.ServiceAccountKey); len(k) > 0 && !bytes.Equal(k, []byte("null")) {
		if k[0] != '{' {
			return failure.Field("service_account_key", "give the service account's JSON key as an object")
		}
		key = k
	}
	var res *apps.InstallResult
	var err error
	switch in.Mode {
	case "", "account":
		res, err = s.Apps.InstallKey(r.Context(), principal(r), r.PathValue("app"), in.Domains, key)
	case "personal":
		if key != nil {
			return failure.Field("service_account_key", "personal-account mode takes no key: each user connects their own account")
		}
		res, err = s.Apps.InstallPersonal(r.Context(), principal(r), r.PathValue("app"), in.Domains)
	default:
		return failure.Field("mode", "%q is not account or personal", in.Mode)
	}
	if err != nil {
		return err
	}
	out := map[string]any{"app": res.App}
	if res.AuthorizeURL != "" {
		out["authorize_url"] = res.AuthorizeURL
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) setAppDomains(w http.ResponseWriter, r *http.Request) error {
	var in domainsBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Apps.SetDomains(r.Context(), principal(r), r.PathValue("app"), in.Domains)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) uninstallApp(w http.ResponseWriter, r *http.Request) error {
	if err := s.Apps.Uninstall(r.Context(), principal(r), r.PathValue("app")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AppCallbackPage renders, for a browser, the end of an install at the
// provider: res on success, err (a failure of the core) otherwise. The web
// pages (internal/web/pages) provide it; Server.AppCallbackPage.
type AppCallbackPage func(w http.ResponseWriter, r *http.Request, res *apps.CallbackResult, err error)

// oauthCallback is where the provider sends the admin's browser back. It
// answers the pages' page for the admin (JSON when the client asks for
// it; plain text when Convene serves no pages).
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Apps.Callback(r.Context(), r.PathValue("app"), r.URL.Query())
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		if err != nil {
			return err
		}
		if res.Connection != nil {
			writeJSON(w, http.StatusOK, map[string]any{"connection": res.Connection})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]any{"app": res.App, "domains": res.Domains})
		return nil
	}
	if s.AppCallbackPage != nil {
		s.AppCallbackPage(w, r, res, err)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		fe, ok := failure.As(err)
		if !ok {
			return err // logged and answered as a problem
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(kindStatus[fe.Kind])
		fmt.Fprintf(w, "The install did not complete: %s\n", fe.Detail)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if c := res.Connection; c != nil {
		fmt.Fprintf(w, "Your %s account %s is connected.\n", c.Name, c.Email)
		return nil
	}
	fmt.Fprintf(w, "%s is installed for %s.\n", res.App.Name, strings.Join(res.Domains, ", "))
	return nil
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Apps.Connections(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": list})
	return nil
}

func (s *Server) connectApp(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Apps.Connect(r.Context(), principal(r), r.PathValue("app"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"authorize_url": u})
	return nil
}

func (s *Server) disconnectApp(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Apps.Disconnect(r.Context(), principal(r), r.PathValue("app"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) listAppConnections(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fs failure.Fields
	limit := queryLimit(&fs, q, apps.MaxConnectionsPage)
	if err := fs.Err(); err != nil {
		return err
	}
	list, err := s.Apps.AppConnections(r.Context(), principal(r), r.PathValue("app"), q.Get("after"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": list})
	return nil
}

func (s *Server) revokeAppConnection(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Apps.RevokeConnection(r.Context(), principal(r), r.PathValue("app"), r.PathValue("user"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
