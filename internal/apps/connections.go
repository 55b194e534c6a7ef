package apps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// The admin's side of per-user mode: the account's connections of an app
// installed in personal-account mode (who connected which account at the
// provider, and whether it still works), and the revocation of one of
// them, for someone leaving or a compromised provider account. A
// revocation takes the path of a user's own disconnection (revoked at the
// provider, then forgotten), is audited with the admin as actor and the
// user as target, and the user is told by a notice.

// UserConnection is one user's connection of an app in per-user mode, as
// an admin of the account sees it: never a token.
type UserConnection struct {
	// User is the Convene user's address.
	User string `json:"user"`
	// Email is the provider account's address (it may differ from the
	// user's).
	Email string `json:"email"`
	// State is active or needs_reauthorization (store.Grant*).
	State string `json:"state"`
	// Problem says why it needs re-authorization.
	Problem     string    `json:"problem,omitempty"`
	Scopes      []string  `json:"scopes"`
	ConnectedAt time.Time `json:"connected_at"`
	// UpdatedAt is the grant's last change of connection or state (a
	// token renewal does not count).
	UpdatedAt time.Time `json:"updated_at"`
	// RefreshedAt is when the provider last renewed the tokens; nil when
	// it has not since the user connected.
	RefreshedAt *time.Time `json:"refreshed_at"`
}

// Bounds of a page of connections.
const (
	DefaultConnectionsPage = 50
	MaxConnectionsPage     = 200
)

// personalInstallFor returns the account's install of appID, which must
// be in personal-account mode: a Conflict failure otherwise.
func (s *Service) personalInstallFor(ctx context.Context, accountID, appID string) (video.App, error) {
	a, err := s.app(appID)
	if err != nil {
		return video.App{}, err
	}
	if a.UserAuth == nil {
		return video.App{}, failure.New(failure.Conflict, "%s has no personal-account mode: its users do not connect accounts of their own", a.Name)
	}
	in, err := s.Store.Install(ctx, accountID, a.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return video.App{}, fmt.Errorf("apps: %s: %w", a.ID, err)
	}
	if err != nil || in.State == store.InstallPreApproved || in.Mode != video.ModePersonal {
		return video.App{}, failure.New(failure.Conflict, "%s is not installed in personal-account mode for this account, so no user has connected an account of their own", a.Name)
	}
	return a, nil
}

// AppConnections lists, for an admin, the connections of the account's
// users to appID (installed in personal-account mode), by user address:
// at most limit (1 to MaxConnectionsPage; 0 means DefaultConnectionsPage),
// those of users after the address after when it is not "" (the next page:
// the last user of the previous one).
func (s *Service) AppConnections(ctx context.Context, p account.Principal, appID, after string, limit int) ([]UserConnection, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = DefaultConnectionsPage
	case limit < 0 || limit > MaxConnectionsPage:
		return nil, failure.Field("limit", "use 1 to %d", MaxConnectionsPage)
	}
	a, err := s.personalInstallFor(ctx, p.AccountID, appID)
	if err != nil {
		return nil, err
	}
	grants, err := s.Store.GrantsOfAppPage(ctx, p.AccountID, a.ID, strings.ToLower(strings.TrimSpace(after)), limit)
	if err != nil {
		return nil, fmt.Errorf("apps: connections of %s: %w", a.ID, err)
	}
	out := make([]UserConnection, 0, len(grants))
	for _, g := range grants {
		out = append(out, UserConnection{User: g.UserEmail, Email: g.Email, State: g.State, Problem: g.Problem,
			Scopes: append([]string{}, strings.Fields(g.Scopes)...), ConnectedAt: g.Created, UpdatedAt: g.Updated, RefreshedAt: timeOrNil(g.Refreshed)})
	}
	return out, nil
}

// RevokeConnection revokes, for an admin, the connection of the user of
// the account with address email to appID (installed in personal-account
// mode): revoked at the provider, then forgotten, as the user's own
// disconnection does (forgotten even when the provider cannot be reached,
// which the result says). It is audited (AuditAppConnectionRevoked, the
// admin as actor, the user as target) and the user is told
// (Service.NotifyUser), in their language.
func (s *Service) RevokeConnection(ctx context.Context, p account.Principal, appID, email string) (*DisconnectResult, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	a, err := s.personalInstallFor(ctx, p.AccountID, appID)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByEmail(ctx, p.AccountID, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no user %s in this account", email)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: revoke connection: %w", err)
	}
	g, err := s.Store.Grant(ctx, p.AccountID, a.ID, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "%s has no %s account connected", u.Email, a.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: revoke connection: %w", err)
	}
	res := s.disconnect(ctx, p, a, g, account.AuditAppConnectionRevoked, u.Email, account.Detail{"app": a.ID, "email": g.Email})
	s.Log.Info("an admin revoked a user's connection", "account", p.AccountID, "app", a.ID, "user", u.ID, "revoked", res.Revoked)
	if s.NotifyUser != nil {
		lang := s.languageOf(ctx, u)
		s.NotifyUser(context.WithoutCancel(ctx), p.AccountID, u.ID, a.ID, revokedNotice(lang, a.Name, g.Email, p.Email, s.Now().UTC()))
	}
	return res, nil
}

// languageOf is the language a user's notices are written in: theirs,
// else their account's.
func (s *Service) languageOf(ctx context.Context, u *store.User) string {
	if u.Language != "" {
		return u.Language
	}
	if acct, err := s.Store.Account(ctx, u.AccountID); err == nil {
		return acct.Language
	}
	return ""
}

// reauthNotice is the text telling a user that the provider no longer
// renews the access they gave, in their language (English or French).
func reauthNotice(lang, app string, cause error) string {
	if lang == "fr" {
		return fmt.Sprintf("%s a refusé de renouveler l'accès que vous avez donné à Convene (%v) : Convene ne voit plus votre agenda %s et vous "+
			"compte comme occupé. Reconnectez votre compte %s sur votre page Agendas.", app, cause, app, app)
	}
	return fmt.Sprintf("%s refused to renew the access you gave Convene (%v): Convene no longer sees your %s calendar and counts you as busy. "+
		"Connect your %s account again on your Calendars page.", app, cause, app, app)
}

// revokedNotice is the text telling a user that an admin revoked their
// connection, in their language (English or French). It names the time,
// so that a second revocation (after a reconnection) is a new notice.
func revokedNotice(lang, app, providerEmail, admin string, at time.Time) string {
	when := at.Format("2006-01-02 15:04 UTC")
	if lang == "fr" {
		return fmt.Sprintf("Un administrateur de votre compte (%s) a déconnecté votre compte %s %s de Convene le %s : l'accès de Convene a été révoqué et oublié. "+
			"Pour réserver à nouveau avec %s, reconnectez un compte sur votre page Agendas.", admin, app, providerEmail, when, app)
	}
	return fmt.Sprintf("An admin of your account (%s) disconnected your %s account %s from Convene on %s: Convene's access was revoked and forgotten. "+
		"To book with %s again, connect an account on your Calendars page.", admin, app, providerEmail, when, app)
}

// timeOrNil is t, or nil for the zero time (JSON null).
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
