// Package apps is the marketplace of video apps: the catalog (a
// video.Registry, one entry per provider), pre-approval and installation
// for a whole account by its admin, the authorization each app's entry
// asks for (OAuth 2.0 authorization code with PKCE and a single-use
// state), the token vault (tokens sealed at rest, refreshed under a lease
// with compare-and-swap so that rotated refresh tokens are never lost),
// and the provider an organizer gets.
//
// It is part of the core: it may import store, seal and video, never a
// front end, and never a provider's package: each provider comes as its
// video.App in the Registry.
package apps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// AppView is an app as the API shows it to a member of an account.
type AppView struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Scopes      []string  `json:"scopes"`
	State       string    `json:"state"` // available, pre_approved, installed, needs_reauthorization
	Domains     []string  `json:"domains"`
	Problem     string    `json:"problem,omitempty"`
	InstalledAt time.Time `json:"installed_at,omitzero"`
	// Modes are the ways the app can be installed: "account" (the
	// admin authorizes for the account) and, for an app with per-user
	// mode, "personal" (each user connects their own account).
	Modes []string `json:"modes"`
	// Mode is the install's mode, once installed.
	Mode string `json:"mode,omitempty"`
	// ConnectedUsers counts the users who connected their own account
	// (per-user mode).
	ConnectedUsers *int `json:"connected_users,omitempty"`
}

// modeName is how the API names an install's mode.
func modeName(m string) string {
	if m == video.ModePersonal {
		return "personal"
	}
	return "account"
}

// List returns the catalog with the account's state of each app.
func (s *Service) List(ctx context.Context, p account.Principal) ([]AppView, error) {
	installs, err := s.Store.Installs(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("apps: list: %w", err)
	}
	catalog := s.Registry.Apps()
	out := make([]AppView, 0, len(catalog))
	for _, a := range catalog {
		v := AppView{ID: a.ID, Name: a.Name, Scopes: a.Auth.Scopes(), State: "available", Domains: []string{}, Modes: []string{"account"}}
		if a.UserAuth != nil {
			v.Modes = append(v.Modes, "personal")
		}
		for _, in := range installs {
			if in.App != a.ID {
				continue
			}
			v.State, v.Domains, v.Problem, v.InstalledAt = in.State, in.Domains, in.Problem, in.Installed
			if in.State != store.InstallPreApproved {
				v.Mode = modeName(in.Mode)
			}
			if in.Mode == video.ModePersonal && in.State != store.InstallPreApproved {
				v.Scopes = a.UserAuth.Scopes
				n, err := s.connectedUsers(ctx, p.AccountID, a.ID)
				if err != nil {
					return nil, fmt.Errorf("apps: list: %w", err)
				}
				v.ConnectedUsers = &n
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// app returns the catalog's entry of id, or a NotFound failure naming the
// apps there are.
func (s *Service) app(id string) (video.App, error) {
	a, ok := s.Registry.Lookup(id)
	if !ok {
		return video.App{}, failure.New(failure.NotFound, "no app %q; the catalog has %s", id, strings.Join(s.Registry.IDs(), ", "))
	}
	return a, nil
}

// appName names the app id for people.
func (s *Service) appName(id string) string { return s.Registry.Name(id) }
