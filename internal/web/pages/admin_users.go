package pages

import (
	"net/http"
	"net/url"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
)

// Users: the list (role, disabled), adding a user in a verified managed
// domain, and one user's page (change the role, disable or enable, revoke
// their API tokens, remove them after a confirmation that says what
// happens to their meetings). The rules (who may change an owner, the
// last owner, nobody disables or removes themselves) are the core's
// (account/access.go); the pages show its refusals.

// usersData is what the users page shows.
type usersData struct {
	adminPage
	Users []store.User
}

func (s *Server) adminUsers(req *Request) error {
	us, err := s.opts.Accounts.Users(req.ctx(), req.principal())
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "admin_users", nil, usersData{adminPage: req.adminNav(), Users: us})
}

// newUserData is what the new user form shows.
type newUserData struct {
	adminPage
	Zones    []zoneGroup
	TimeZone string
	Role     string
	Verified []string
}

func (s *Server) newUserPage(req *Request, status int, f *Form) error {
	verified, err := s.opts.Accounts.VerifiedDomains(req.ctx(), req.principal().AccountID)
	if err != nil {
		return err
	}
	d := newUserData{adminPage: req.adminNav(), Zones: timeZones(), TimeZone: req.Session.User.TimeZone, Role: "member", Verified: verified}
	if f != nil {
		d.TimeZone, d.Role = f.Value("timezone"), f.Value("role")
	}
	return req.Render(status, "admin_user_new", f, d)
}

func (s *Server) adminNewUserForm(req *Request) error { return s.newUserPage(req, http.StatusOK, nil) }

func (s *Server) adminNewUser(req *Request) error {
	f := req.form()
	u, secret, err := s.opts.Accounts.CreateUser(req.ctx(), req.principal(), account.NewUser{Email: f.Value("email"), Name: f.Value("user_name"),
		TimeZone: f.Value("timezone"), Role: store.Role(f.Value("role"))})
	if err != nil {
		status, ok := req.takeFields(f, err, map[string]string{"email": "email", "name": "user_name", "timezone": "timezone", "role": "role"})
		if !ok {
			return err
		}
		return s.newUserPage(req, status, f)
	}
	return s.userPage(req, http.StatusCreated, u.Email, secret, nil)
}

// userData is what a user's page shows.
type userData struct {
	adminPage
	User   *store.User
	Tokens int
	// Self: the page is the admin's own user (they cannot disable or
	// remove themselves; the core refuses it).
	Self bool
	// NewToken is the first API token of a user just created, shown once.
	NewToken string
	// Path is the user's page.
	Path string
	// Roles are the roles of the select.
	Roles []store.Role
}

func userPath(email string) string { return "/admin/users/" + url.PathEscape(email) }

func (s *Server) userPage(req *Request, status int, email, newToken string, f *Form) error {
	p := req.principal()
	ts, err := s.opts.Accounts.UserTokens(req.ctx(), p, email)
	if err != nil {
		return err
	}
	u, err := s.opts.Accounts.UserByEmail(req.ctx(), p, email)
	if err != nil {
		return err
	}
	return req.Render(status, "admin_user", f, userData{adminPage: req.adminNav(), User: u, Tokens: len(ts), Self: u.ID == p.UserID,
		NewToken: newToken, Path: userPath(u.Email), Roles: roles})
}

func (s *Server) adminUser(req *Request) error {
	return s.userPage(req, http.StatusOK, req.R.PathValue("email"), "", nil)
}

// access applies an access change to the user of the path and shows their
// page again, with the core's refusal when there is one.
func (s *Server) access(req *Request, patch account.AccessPatch, flash string) error {
	email := req.R.PathValue("email")
	u, err := s.opts.Accounts.UpdateAccess(req.ctx(), req.principal(), email, patch)
	if err != nil {
		f := &Form{Errors: map[string]string{}}
		status, ok := req.takeFailure(f, err, "role")
		if !ok || status == http.StatusNotFound {
			return err
		}
		return s.userPage(req, status, email, "", f)
	}
	return req.seeOther(userPath(u.Email), flash)
}

func (s *Server) adminUserRole(req *Request) error {
	role := store.Role(req.form().Value("role"))
	return s.access(req, account.AccessPatch{Role: &role}, "role_saved")
}

func (s *Server) adminUserDisable(req *Request) error {
	yes := true
	return s.access(req, account.AccessPatch{Disabled: &yes}, "user_disabled")
}

func (s *Server) adminUserEnable(req *Request) error {
	no := false
	return s.access(req, account.AccessPatch{Disabled: &no}, "user_enabled")
}

func (s *Server) adminRevokeTokens(req *Request) error {
	email := req.R.PathValue("email")
	if _, err := s.opts.Accounts.RevokeUserTokens(req.ctx(), req.principal(), email); err != nil {
		f := &Form{Errors: map[string]string{}}
		status, ok := req.takeFailure(f, err)
		if !ok || status == http.StatusNotFound {
			return err
		}
		return s.userPage(req, status, email, "", f)
	}
	return req.seeOther(userPath(email), "tokens_revoked")
}

func (s *Server) adminRemoveUserForm(req *Request) error {
	u, err := s.opts.Accounts.UserByEmail(req.ctx(), req.principal(), req.R.PathValue("email"))
	if err != nil {
		return err
	}
	// What removing does: the core's policy (account/access.go,
	// booking/departures.go), in the visitor's words.
	points := []string{req.L.T("user_remove.point_future"), req.L.T("user_remove.point_series"), req.L.T("user_remove.point_past"),
		req.L.T("user_remove.point_access"), req.L.T("user_remove.point_invited"), req.L.T("user_remove.point_address")}
	return req.Render(http.StatusOK, "admin_confirm", nil, confirmData{adminPage: req.adminNav(),
		Title: req.L.T("user_remove.title", u.Name), Intro: req.L.T("user_remove.intro", u.Email), Points: points,
		Action: userPath(u.Email) + "/remove", Submit: req.L.T("user_remove.submit", u.Name), Back: userPath(u.Email)})
}

func (s *Server) adminRemoveUser(req *Request) error {
	email := req.R.PathValue("email")
	if _, err := s.opts.Accounts.RemoveUser(req.ctx(), req.principal(), email); err != nil {
		f := &Form{Errors: map[string]string{}}
		status, ok := req.takeFailure(f, err)
		if !ok || status == http.StatusNotFound {
			return err
		}
		return s.userPage(req, status, email, "", f)
	}
	return req.seeOther("/admin/users", "user_removed")
}
