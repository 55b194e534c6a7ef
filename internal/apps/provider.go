package apps

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Provider returns the video provider named app for a meeting organized by
// organizer (an e-mail address) in an account. It never substitutes
// another provider: when the app is not installed, needs
// re-authorization, or is not enabled for the organizer's domain, the
// failure says so.
func (s *Service) Provider(ctx context.Context, accountID, organizer, appID string) (video.Provider, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	in, err := s.Store.Install(ctx, accountID, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.State == store.InstallPreApproved) {
		return nil, failure.New(failure.Conflict, "%s is not installed for this account; an admin installs it under Apps", a.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: provider %s: %w", a.ID, err)
	}
	if in.State == store.InstallNeedsReauthorization {
		return nil, failure.New(failure.Conflict, "%s needs re-authorization by an admin: %s", a.Name, in.Problem).With("app_state", in.State)
	}
	domain := account.EmailDomain(organizer)
	if !slices.Contains(in.Domains, domain) {
		return nil, failure.New(failure.Forbidden, "%s is not enabled for %s; an admin can add the domain to the %s app", a.Name, domain, a.Name)
	}
	if in.Mode == video.ModePersonal {
		// The organizer's own account makes the meeting.
		if err := s.requireGrant(ctx, accountID, a, organizer); err != nil {
			return nil, err
		}
	}
	key := accountID + "/" + a.ID
	if c, ok := s.clients.Load(key); ok {
		return c.(video.Provider), nil
	}
	conn, err := s.connection(accountID, a, in)
	if err != nil {
		return nil, err
	}
	p := a.Connect(conn)
	if a.Auth.Kind == video.AuthServiceAccount && in.Mode != video.ModePersonal {
		p = watchAuth{Provider: p, s: s, accountID: accountID, appID: a.ID}
	}
	c, _ := s.clients.LoadOrStore(key, p)
	return c.(video.Provider), nil
}

// connection is what an app's client gets for an install: the token
// source of OAuth apps, the opened key of service-account apps.
func (s *Service) connection(accountID string, a video.App, in *store.Install) (video.Connection, error) {
	conn := video.Connection{HTTP: s.HTTP, Now: s.Now, Log: s.Log, Tenant: in.ProviderAccountID}
	if in.Mode == video.ModePersonal && a.UserAuth != nil {
		conn.UserTokens = s.userTokens(accountID, a)
		return conn, nil
	}
	switch a.Auth.Kind {
	case video.AuthNone:
	case video.AuthServiceAccount:
		k, err := s.credentials(in)
		if err != nil {
			return conn, err
		}
		conn.Credentials = k
	default:
		conn.Tokens = &tokenSource{s: s, accountID: accountID, app: a.ID, entry: a}
	}
	return conn, nil
}
