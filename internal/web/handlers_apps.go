package web

import (
	_ "embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/convene/convene/internal/failure"
)

// appRoutes: the marketplace, its OAuth callback and Zoom's webhooks.
func (s *Server) appRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/apps", auth: authToken, summary: "The catalog of video apps and their state in the account",
			resp: map[int]string{200: "AppList"}, handle: s.listApps},
		{method: "POST", path: "/api/v1/apps/{app}/pre-approve", auth: authToken, admin: true, summary: "Pre-approve an app for the account",
			resp: map[int]string{200: "App"}, handle: s.preApproveApp},
		{method: "POST", path: "/api/v1/apps/{app}/install", auth: authToken, admin: true, summary: "Install an app for managed domains; returns the provider's consent URL",
			request: "AppDomains", resp: map[int]string{200: "AppInstall"}, handle: s.installApp},
		{method: "PUT", path: "/api/v1/apps/{app}", auth: authToken, admin: true, summary: "Change the managed domains that may use an installed app",
			request: "AppDomains", resp: map[int]string{200: "App"}, handle: s.setAppDomains},
		{method: "DELETE", path: "/api/v1/apps/{app}", auth: authToken, admin: true, summary: "Uninstall an app: revoke and delete its tokens",
			resp: map[int]string{204: ""}, handle: s.uninstallApp},
		{method: "GET", path: "/oauth/{app}/callback", summary: "Where the provider returns the admin's browser after consent (HTML; JSON with Accept: application/json)",
			query: []param{{name: "code", typ: "string", doc: "authorization code"}, {name: "state", typ: "string", doc: "the state of the install attempt", required: true},
				{name: "error", typ: "string", doc: "access_denied when the admin declined"}},
			resp: map[int]string{200: "AppCallback"}, handle: s.oauthCallback},
		{method: "POST", path: "/webhooks/zoom", summary: "Zoom event notifications, signed with the app's secret token (x-zm-signature)",
			reqType: "application/json", resp: map[int]string{200: "ZoomURLValidation", 204: ""}, handle: s.zoomWebhook},
	}
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

func (s *Server) installApp(w http.ResponseWriter, r *http.Request) error {
	var in domainsBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.Apps.Install(r.Context(), principal(r), r.PathValue("app"), in.Domains)
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

//go:embed callback.html
var callbackHTML string

var callbackPage = template.Must(template.New("callback").Parse(callbackHTML))

// oauthCallback is where the provider sends the admin's browser back. It
// answers a page for the admin (JSON when the client asks for it).
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Apps.Callback(r.Context(), r.PathValue("app"), r.URL.Query())
	wantsJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	if err != nil {
		if wantsJSON {
			return err
		}
		fe, ok := failure.As(err)
		if !ok {
			s.Log.Error("oauth callback failed", "request_id", requestID(r.Context()), "err", err)
			fe = failure.New(failure.Internal, "Convene failed to complete the install; the error is logged with request ID %s", requestID(r.Context()))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(kindStatus[fe.Kind])
		return callbackPage.Execute(w, map[string]any{"OK": false, "Detail": fe.Detail})
	}
	if wantsJSON {
		writeJSON(w, http.StatusOK, map[string]any{"app": res.App, "domains": res.Domains})
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return callbackPage.Execute(w, map[string]any{"OK": true, "App": res.App, "Domains": res.Domains})
}
