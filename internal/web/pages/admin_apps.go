package pages

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// The marketplace: a card per app of the catalog with its state in the
// account, the default video provider, and each app's page (scopes, what
// Convene reads, writes and keeps at the provider, pre-approve, add,
// domains, uninstall). Adding an app that needs the provider's consent is
// a link: the page leaves for the provider's consent page, which comes
// back to the OAuth callback (AppCallback) where the admin chooses the
// managed domains that may use it.

// appCard is an app of the marketplace.
type appCard struct {
	apps.AppView
	// Entry is the catalog's entry: authorization, scopes, data use.
	Entry video.App
	// Default: the account's default video provider.
	Default bool
}

// providerChoice is a button of the default provider's form.
type providerChoice struct {
	Value, Label string
	Current      bool
}

// appsData is what the marketplace shows.
type appsData struct {
	adminPage
	Apps      []appCard
	Providers []providerChoice
	// DefaultNotInstalled names the default provider when it is an app
	// that is not installed (meetings would fail).
	DefaultNotInstalled string
	// Invitations are the choices of who mails the invitations of
	// meetings whose organizer has an app calendar.
	Invitations []providerChoice
}

func (s *Server) appsService() (*apps.Service, error) {
	if s.opts.Admin.Apps == nil {
		return nil, unavailable("video apps")
	}
	return s.opts.Admin.Apps, nil
}

// cards returns the catalog with the account's state of each app.
func (s *Server) cards(req *Request) ([]appCard, *store.Account, error) {
	svc, err := s.appsService()
	if err != nil {
		return nil, nil, err
	}
	list, err := svc.List(req.ctx(), req.principal())
	if err != nil {
		return nil, nil, err
	}
	acct, err := s.opts.Accounts.Account(req.ctx(), req.principal())
	if err != nil {
		return nil, nil, err
	}
	out := make([]appCard, len(list))
	for i, v := range list {
		entry, _ := svc.Registry.Lookup(v.ID)
		out[i] = appCard{AppView: v, Entry: entry, Default: acct.DefaultVideoProvider == v.ID}
	}
	return out, acct, nil
}

func (s *Server) adminApps(req *Request) error {
	cards, acct, err := s.cards(req)
	if err != nil {
		return err
	}
	d := appsData{adminPage: req.adminNav(), Apps: cards}
	for _, c := range cards {
		d.Providers = append(d.Providers, providerChoice{Value: c.ID, Label: c.Name, Current: c.Default})
		if c.Default && c.State != store.InstallInstalled {
			d.DefaultNotInstalled = c.Name
		}
	}
	d.Providers = append(d.Providers, providerChoice{Value: "none", Label: req.L.T("apps.no_video"),
		Current: acct.DefaultVideoProvider == "none" || acct.DefaultVideoProvider == ""})
	for _, mode := range []string{store.InvitationsConvene, store.InvitationsProvider} {
		d.Invitations = append(d.Invitations, providerChoice{Value: mode, Label: req.L.T("apps.invitations." + mode),
			Current: acct.Invitations == mode || (acct.Invitations == "" && mode == store.InvitationsConvene)})
	}
	return req.Render(http.StatusOK, "admin_apps", nil, d)
}

// adminInvitations sets who mails the invitations of meetings whose
// organizer has an app calendar, in one click.
func (s *Server) adminInvitations(req *Request) error {
	v := req.form().Value("invitations")
	if _, err := s.opts.Accounts.UpdateAccount(req.ctx(), req.principal(), account.AccountPatch{Invitations: &v}); err != nil {
		return err
	}
	return req.seeOther("/admin/apps", "invitations_saved")
}

// adminDefaultProvider sets the account's default video provider in one
// click.
func (s *Server) adminDefaultProvider(req *Request) error {
	v := req.form().Value("provider")
	if _, err := s.opts.Accounts.UpdateAccount(req.ctx(), req.principal(), account.AccountPatch{DefaultVideoProvider: &v}); err != nil {
		return err
	}
	return req.seeOther("/admin/apps", "default_saved")
}

// domainChoice is a checkbox of the domains form.
type domainChoice struct {
	Name    string
	Checked bool
}

// appData is what an app's page shows.
type appData struct {
	adminPage
	App   apps.AppView
	Entry video.App
	// Domains are the verified managed domains, checked when they may use
	// the app.
	Domains []domainChoice
	// AddURL starts the install (a link with the CSRF token).
	AddURL string
	// Installed: installed or needing re-authorization.
	Installed bool
	// Connected counts the users who connected their own account
	// (personal-account mode).
	Connected int
	// Connections are a page of those connections, by user address, each
	// with its Revoke form (personal-account mode).
	Connections []apps.UserConnection
	// NextConnections is the link to the next page of connections, if
	// there may be one.
	NextConnections string
}

// appPage loads an app's page; form is the page's form (errors of Add),
// domains the domains form sent again, if any.
func (s *Server) appPage(req *Request, id string, domainsForm *Form) (*appData, error) {
	cards, _, err := s.cards(req)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(cards, func(c appCard) bool { return c.ID == id })
	if i < 0 {
		return nil, failure.New(failure.NotFound, "no app %q in the catalog", id)
	}
	c := cards[i]
	verified, err := s.opts.Accounts.VerifiedDomains(req.ctx(), req.principal().AccountID)
	if err != nil {
		return nil, err
	}
	d := &appData{adminPage: req.adminNav(), App: c.AppView, Entry: c.Entry, AddURL: "/admin/apps/" + c.ID + "/add?csrf=" + req.linkToken(),
		Installed: c.State == store.InstallInstalled || c.State == store.InstallNeedsReauthorization}
	if c.ConnectedUsers != nil {
		d.Connected = *c.ConnectedUsers
	}
	if c.Mode == "personal" && d.Installed {
		after := req.R.URL.Query().Get("after")
		if d.Connections, err = s.opts.Admin.Apps.AppConnections(req.ctx(), req.principal(), c.ID, after, apps.DefaultConnectionsPage); err != nil {
			return nil, err
		}
		if n := len(d.Connections); n == apps.DefaultConnectionsPage {
			d.NextConnections = "/admin/apps/" + c.ID + "?" + url.Values{"after": {d.Connections[n-1].User}}.Encode() + "#connections-title"
		}
	}
	chosen := c.Domains
	if domainsForm != nil {
		chosen = domainsForm.Values["domain"]
	}
	for _, v := range verified {
		d.Domains = append(d.Domains, domainChoice{Name: v, Checked: slices.Contains(chosen, v)})
	}
	return d, nil
}

func (s *Server) adminApp(req *Request) error {
	d, err := s.appPage(req, req.R.PathValue("app"), nil)
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "admin_app", nil, d)
}

func (s *Server) adminPreApprove(req *Request) error {
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	if _, err := svc.PreApprove(req.ctx(), req.principal(), id); err != nil {
		return err
	}
	return req.seeOther("/admin/apps/"+id, "pre_approved")
}

// adminAdd starts installing an app: to the provider's consent page, or,
// for an app that needs none, installed at once. It is a link (GET) with
// the CSRF token in its query.
func (s *Server) adminAdd(req *Request) error {
	if err := req.checkLinkToken(); err != nil {
		return err
	}
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	res, err := svc.Add(req.ctx(), req.principal(), id)
	if err != nil {
		f := &Form{Errors: map[string]string{}}
		if _, ok := req.takeFailure(f, err); !ok {
			return err
		}
		d, perr := s.appPage(req, id, nil)
		if perr != nil {
			return perr
		}
		return req.Render(statusOfErr(err), "admin_app", f, d)
	}
	if res.AuthorizeURL != "" {
		// Off-site: the provider's consent page, which comes back to
		// /oauth/{app}/callback.
		http.Redirect(req.W, req.R, res.AuthorizeURL, http.StatusSeeOther)
		return nil
	}
	return req.seeOther("/admin/apps/"+id, "installed")
}

// adminAddKey installs an app authorized by a service account with the
// key the admin pasted (video.AuthServiceAccount: Google Workspace). The
// key is never shown back.
func (s *Server) adminAddKey(req *Request) error {
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	f := req.form()
	key := bytes.TrimSpace([]byte(f.Value("service_account_key")))
	f.Values.Del("service_account_key")
	if _, err := svc.AddKey(req.ctx(), req.principal(), id, key); err != nil {
		status, ok := req.takeFailure(f, err, "service_account_key")
		if !ok {
			return err
		}
		d, perr := s.appPage(req, id, f)
		if perr != nil {
			return perr
		}
		return req.Render(status, "admin_app", f, d)
	}
	return req.seeOther("/admin/apps/"+id, "installed")
}

// adminAddPersonal installs an app in personal-account mode (per-user
// mode: each user connects their own account, e.g. a gmail.com one).
func (s *Server) adminAddPersonal(req *Request) error {
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	if _, err := svc.AddPersonal(req.ctx(), req.principal(), id); err != nil {
		f := req.form()
		status, ok := req.takeFailure(f, err, "mode")
		if !ok {
			return err
		}
		d, perr := s.appPage(req, id, f)
		if perr != nil {
			return perr
		}
		return req.Render(status, "admin_app", f, d)
	}
	return req.seeOther("/admin/apps/"+id, "installed")
}

// adminAppDomains changes the managed domains that may use an app.
func (s *Server) adminAppDomains(req *Request) error {
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	f := req.form()
	if _, err := svc.SetDomains(req.ctx(), req.principal(), id, f.Values["domain"]); err != nil {
		status, ok := req.takeFailure(f, err, "domains")
		if !ok {
			return err
		}
		d, perr := s.appPage(req, id, f)
		if perr != nil {
			return perr
		}
		return req.Render(status, "admin_app", f, d)
	}
	return req.seeOther("/admin/apps/"+id, "domains_saved")
}

// confirmData is what a confirmation page shows before something that
// cannot be undone.
type confirmData struct {
	adminPage
	Title, Intro string
	// Points say what will happen.
	Points []string
	Action string // where the form posts
	Submit string
	Back   string
}

func (s *Server) adminUninstallForm(req *Request) error {
	id := req.R.PathValue("app")
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	entry, ok := svc.Registry.Lookup(id)
	if !ok {
		return failure.New(failure.NotFound, "no app %q in the catalog", id)
	}
	points := []string{req.L.T("uninstall.point_domains")}
	if entry.Auth.Revocable() {
		points = append([]string{req.L.T("uninstall.point_revoke", entry.Name)}, points...)
	}
	points = append(points, req.L.T("uninstall.point_meetings", entry.Name))
	return req.Render(http.StatusOK, "admin_confirm", nil, confirmData{adminPage: req.adminNav(),
		Title: req.L.T("uninstall.title", entry.Name), Intro: req.L.T("uninstall.intro"), Points: points,
		Action: "/admin/apps/" + id + "/uninstall", Submit: req.L.T("uninstall.submit", entry.Name), Back: "/admin/apps/" + id})
}

func (s *Server) adminUninstall(req *Request) error {
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	if err := svc.Uninstall(req.ctx(), req.principal(), id); err != nil {
		return err
	}
	return req.seeOther("/admin/apps/"+id, "uninstalled")
}

// callbackData is what the page at the end of an install shows.
type callbackData struct {
	adminPage
	OK     bool
	Detail string
	App    *apps.AppView
	// Domains is the domains form, for an admin of the account signed in
	// here; nil otherwise.
	Domains []domainChoice
	// SignIn is where to sign in to choose the domains.
	SignIn string
}

// AppCallback renders, for the admin's browser, the end of an install at
// the provider (web.Server.AppCallbackPage): what was installed and the
// form to choose the managed domains that may use it, or why the install
// did not complete.
func (s *Server) AppCallback(w http.ResponseWriter, r *http.Request, res *apps.CallbackResult, cbErr error) {
	s.withHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := s.newRequest(w, r)
		if err := s.appCallback(req, res, cbErr); err != nil {
			req.fail(err)
		}
	}), true).ServeHTTP(w, r)
}

func (s *Server) appCallback(req *Request, res *apps.CallbackResult, cbErr error) error {
	d := callbackData{}
	if req.Session != nil && req.Session.Principal.IsAdmin() {
		d.adminPage = req.adminNav()
	}
	if cbErr != nil {
		fe, ok := failure.As(cbErr)
		if !ok || fe.Kind == failure.Internal {
			return cbErr
		}
		d.Detail = req.failureText(fe)
		return req.Render(statusOf(fe.Kind), "admin_callback", nil, d)
	}
	if res.Connection != nil {
		// A user connected their own account (per-user mode): back to
		// their calendars page, which shows the connection.
		req.Redirect("/calendars", "app_connected")
		return nil
	}
	d.OK, d.App = true, res.App
	p := req.Session
	if p == nil || !p.Principal.IsAdmin() || p.Principal.AccountID != res.AccountID {
		d.SignIn = "/signin?next=/admin/apps/" + res.App.ID
		for _, dom := range res.Domains {
			d.Domains = append(d.Domains, domainChoice{Name: dom, Checked: true})
		}
		return req.Render(http.StatusOK, "admin_callback", nil, d)
	}
	verified, err := s.opts.Accounts.VerifiedDomains(req.ctx(), res.AccountID)
	if err != nil {
		return err
	}
	for _, v := range verified {
		d.Domains = append(d.Domains, domainChoice{Name: v, Checked: slices.Contains(res.Domains, v)})
	}
	return req.Render(http.StatusOK, "admin_callback", nil, d)
}

// adminRevokeConnection revokes a user's own connection of an app in
// personal-account mode (apps.Service.RevokeConnection): at the provider,
// then forgotten; the flash says whether the provider confirmed it.
func (s *Server) adminRevokeConnection(req *Request) error {
	svc, err := s.appsService()
	if err != nil {
		return err
	}
	id := req.R.PathValue("app")
	res, err := svc.RevokeConnection(req.ctx(), req.principal(), id, req.R.PathValue("user"))
	if err != nil {
		return err
	}
	if !res.Revoked {
		return req.seeOther("/admin/apps/"+id, "connection_forgotten")
	}
	return req.seeOther("/admin/apps/"+id, "connection_revoked")
}
