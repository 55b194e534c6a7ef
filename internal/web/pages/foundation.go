package pages

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// home is the dashboard of a signed-in user; others go to the setup page
// while Convene has no account, else to the sign-in page.
func (s *Server) home(req *Request) error {
	if req.Session != nil {
		return s.dashboard(req, http.StatusOK, nil)
	}
	need, err := s.opts.Accounts.SetupNeeded(req.R.Context())
	if err != nil {
		return err
	}
	if need {
		req.Redirect("/setup", "")
	} else {
		req.Redirect("/signin", "")
	}
	return nil
}

// dashboardData is what the dashboard shows.
type dashboardData struct {
	Account     *store.Account
	User        *store.User
	HasPassword bool
	// NewToken is an API token just created, shown this once.
	NewToken string
	// TokenForm is the API token form with its errors.
	TokenForm *Form
}

// dashboard renders the home page of a signed-in user: a start from which
// the other pages are reached.
func (s *Server) dashboard(req *Request, status int, data *dashboardData) error {
	ctx := req.R.Context()
	p := req.Session.Principal
	acct, err := s.opts.Accounts.Account(ctx, p)
	if err != nil {
		return err
	}
	has, err := s.opts.Accounts.HasPassword(ctx, p)
	if err != nil {
		return err
	}
	if data == nil {
		data = &dashboardData{}
	}
	data.Account, data.User, data.HasPassword = acct, req.Session.User, has
	if data.TokenForm == nil {
		data.TokenForm = &Form{Errors: map[string]string{}}
	}
	return req.Render(status, "dashboard", data.TokenForm, data)
}

// createToken issues an API token for the signed-in user and shows its
// secret once, on the dashboard (never in a redirect or a cookie).
func (s *Server) createToken(req *Request) error {
	f := formOf(req.R)
	name := strings.TrimSpace(f.Value("name"))
	if name == "" {
		name = "web"
	}
	_, secret, err := s.opts.Accounts.CreateToken(req.R.Context(), req.Session.Principal, name)
	if err != nil {
		status, ok := req.takeFailure(f, err, "name")
		if !ok {
			return err
		}
		return s.dashboard(req, status, &dashboardData{TokenForm: f})
	}
	return s.dashboard(req, http.StatusCreated, &dashboardData{NewToken: secret})
}

// setupData is what the setup page shows.
type setupData struct {
	Zones    []zoneGroup
	TimeZone string
}

func (s *Server) setupDone(req *Request) (bool, error) {
	need, err := s.opts.Accounts.SetupNeeded(req.R.Context())
	if err != nil {
		return false, err
	}
	if !need {
		if req.Session != nil {
			req.Redirect("/", "setup_done")
		} else {
			req.Redirect("/signin", "setup_done")
		}
	}
	return !need, nil
}

func (s *Server) setupForm(req *Request) error {
	if done, err := s.setupDone(req); done || err != nil {
		return err
	}
	return req.Render(http.StatusOK, "setup", nil, setupData{Zones: timeZones(), TimeZone: "UTC"})
}

// setupSubmit creates the first account and its owner with a password,
// signs the owner in and shows the dashboard. The core allows it once.
func (s *Server) setupSubmit(req *Request) error {
	if done, err := s.setupDone(req); done || err != nil {
		return err
	}
	f := formOf(req.R)
	tz := f.Value("timezone")
	data := setupData{Zones: timeZones(), TimeZone: tz}
	if f.Value("password") != f.Value("password_confirm") {
		f.Errors["password_confirm"] = req.L.T("err.password_mismatch")
		return req.Render(http.StatusUnprocessableEntity, "setup", f, data)
	}
	ctx := req.R.Context()
	res, err := s.opts.Accounts.Setup(ctx, account.SetupInput{
		Account: f.Value("account"), AdminEmail: f.Value("admin_email"), AdminName: f.Value("admin_name"),
		TimeZone: tz, Language: req.L.Lang, Password: f.Value("password"),
	}, false)
	if err != nil {
		if failure.KindOf(err) == failure.Forbidden {
			req.Redirect("/signin", "setup_done") // someone else was first
			return nil
		}
		status, ok := req.takeFailure(f, err, "account", "admin_email", "admin_name", "timezone", "password")
		if !ok {
			return err
		}
		return req.Render(status, "setup", f, data)
	}
	ws, secret, err := s.opts.Accounts.StartSetupSession(ctx, res)
	if err != nil {
		return err
	}
	req.startSession(ws, secret)
	req.Redirect("/", "welcome")
	return nil
}

// signinData is what the sign-in page shows.
type signinData struct {
	OIDC bool
}

func (s *Server) signinForm(req *Request) error {
	next := safeNext(req.R.URL.Query().Get("next"))
	if req.Session != nil {
		req.Redirect(next, "")
		return nil
	}
	return req.Render(http.StatusOK, "signin", nil, signinData{OIDC: s.oidc != nil})
}

// signinSubmit checks the e-mail address and password. Failures count
// against the client's address (authlimit, shared with the API's tokens):
// past the limit the address waits, before anything is checked.
func (s *Server) signinSubmit(req *Request) error {
	f := formOf(req.R)
	data := signinData{OIDC: s.oidc != nil}
	lim := s.opts.AuthLimit
	client := lim.Client(req.R)
	if wait := lim.Wait(client); wait > 0 {
		s.opts.Log.Debug("pages: sign-in refused: too many failures", "client", client.String())
		req.W.Header().Set("Retry-After", authlimit.RetryAfter(wait))
		f.Error = req.L.T("err.throttled", authlimit.RetryAfter(wait))
		return req.Render(http.StatusTooManyRequests, "signin", f, data)
	}
	ws, secret, err := s.opts.Accounts.SignIn(req.R.Context(), f.Value("email"), f.Value("password"), req.previousSession())
	if err != nil {
		switch {
		case failure.KindOf(err) == failure.Unauthenticated:
			lim.Fail(client)
			s.opts.Log.Warn("authentication failed", "client", client.String(), "route", "POST /signin", "reason", "wrong e-mail address or password")
			f.Error = req.L.T("err.signin")
			return req.Render(http.StatusUnauthorized, "signin", f, data)
		case errors.Is(err, account.ErrUserDisabled):
			f.Error = req.L.T("err.disabled")
			return req.Render(http.StatusForbidden, "signin", f, data)
		}
		return err
	}
	req.startSession(ws, secret)
	req.Redirect(safeNext(f.Value("next")), "")
	return nil
}

func (s *Server) signout(req *Request) error {
	if err := s.opts.Accounts.SignOut(req.R.Context(), req.previousSession()); err != nil {
		return err
	}
	req.endSession()
	req.Redirect("/signin", "signed_out")
	return nil
}

// signoutEverywhere ends every session of the user, on every browser.
func (s *Server) signoutEverywhere(req *Request) error {
	if _, err := s.opts.Accounts.SignOutEverywhere(req.R.Context(), req.Session.Principal); err != nil {
		return err
	}
	req.endSession()
	req.Redirect("/signin", "signed_out_everywhere")
	return nil
}

func (s *Server) resetRequestForm(req *Request) error {
	return req.Render(http.StatusOK, "reset_request", nil, nil)
}

// resetRequestSubmit mails a reset link when the address is a user's, and
// says the same either way. Requests count against the client's address
// like failed sign-ins, which slows down probing for addresses.
func (s *Server) resetRequestSubmit(req *Request) error {
	f := formOf(req.R)
	lim := s.opts.AuthLimit
	client := lim.Client(req.R)
	if wait := lim.Wait(client); wait > 0 {
		req.W.Header().Set("Retry-After", authlimit.RetryAfter(wait))
		f.Error = req.L.T("err.throttled", authlimit.RetryAfter(wait))
		return req.Render(http.StatusTooManyRequests, "reset_request", f, nil)
	}
	lim.Fail(client)
	if err := s.opts.Accounts.RequestPasswordReset(req.R.Context(), f.Value("email")); err != nil {
		status, ok := req.takeFailure(f, err, "email")
		if !ok {
			return err
		}
		return req.Render(status, "reset_request", f, nil)
	}
	req.Redirect("/signin", "reset_sent")
	return nil
}

// resetData is what the new-password page shows.
type resetData struct {
	Email string
	// Invalid: the link does not work (any more).
	Invalid bool
}

// resetForm asks for a new password, if the link still works. The token
// is in the path: the page sends no Referer anywhere.
func (s *Server) resetForm(req *Request) error {
	req.W.Header().Set("Referrer-Policy", "no-referrer")
	u, err := s.opts.Accounts.CheckResetToken(req.R.Context(), req.R.PathValue("token"))
	if err != nil {
		if errors.Is(err, account.ErrBadResetToken) || errors.Is(err, account.ErrUserDisabled) {
			return req.Render(http.StatusBadRequest, "reset", nil, resetData{Invalid: true})
		}
		return err
	}
	return req.Render(http.StatusOK, "reset", nil, resetData{Email: u.Email})
}

// resetSubmit sets the new password, ends the user's other sessions and
// signs this browser in.
func (s *Server) resetSubmit(req *Request) error {
	req.W.Header().Set("Referrer-Policy", "no-referrer")
	f := formOf(req.R)
	tok := req.R.PathValue("token")
	ctx := req.R.Context()
	u, err := s.opts.Accounts.CheckResetToken(ctx, tok)
	if err != nil {
		if errors.Is(err, account.ErrBadResetToken) || errors.Is(err, account.ErrUserDisabled) {
			return req.Render(http.StatusBadRequest, "reset", nil, resetData{Invalid: true})
		}
		return err
	}
	data := resetData{Email: u.Email}
	if f.Value("password") != f.Value("password_confirm") {
		f.Errors["password_confirm"] = req.L.T("err.password_mismatch")
		return req.Render(http.StatusUnprocessableEntity, "reset", f, data)
	}
	ws, secret, err := s.opts.Accounts.ResetPassword(ctx, tok, f.Value("password"), req.previousSession())
	if err != nil {
		if errors.Is(err, account.ErrBadResetToken) {
			return req.Render(http.StatusBadRequest, "reset", nil, resetData{Invalid: true})
		}
		status, ok := req.takeFailure(f, err, "password")
		if !ok {
			return err
		}
		return req.Render(status, "reset", f, data)
	}
	req.startSession(ws, secret)
	req.Redirect("/", "reset_done")
	return nil
}

// setLanguage keeps the visitor's choice of language on this browser.
func (s *Server) setLanguage(req *Request) error {
	f := formOf(req.R)
	lang := f.Value("lang")
	if !validLang(lang) {
		return failure.Field("lang", "%q is not a language of the pages (en, fr)", lang)
	}
	s.setCookie(req.W, langCookie, lang, 365*24*time.Hour)
	req.Redirect(safeNext(f.Value("next")), "")
	return nil
}
