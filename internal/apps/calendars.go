package apps

import (
	"context"
	"errors"
	"fmt"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Calendars connects the calendars of an account's install of app (an app
// whose catalog entry has Calendar): the calendar core syncs its users'
// calendars through it, and booking writes meetings' events. An app that
// is not installed is store.ErrNotFound; one that needs re-authorization
// is an error wrapping video.ErrUnauthorized, with the install's problem.
// Whether a user's domain is among the install's is the caller's check.
func (s *Service) Calendars(ctx context.Context, accountID, appID string) (video.Calendars, error) {
	a, ok := s.Registry.Lookup(appID)
	if !ok || a.Calendar == nil {
		return nil, fmt.Errorf("apps: %s has no calendars: %w", appID, store.ErrNotFound)
	}
	in, err := s.Store.Install(ctx, accountID, a.ID)
	if err == nil && in.State == store.InstallPreApproved {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("apps: calendars of %s: %w", a.ID, err)
	}
	if in.State == store.InstallNeedsReauthorization {
		return nil, fmt.Errorf("apps: %s needs re-authorization by an admin (%s): %w", a.Name, in.Problem, video.ErrUnauthorized)
	}
	key := accountID + "/" + a.ID + "/calendars"
	if c, ok := s.clients.Load(key); ok {
		return c.(video.Calendars), nil
	}
	conn, err := s.connection(accountID, a, in)
	if err != nil {
		return nil, err
	}
	c, _ := s.clients.LoadOrStore(key, a.Calendar(conn))
	return c.(video.Calendars), nil
}

// CalendarsUnauthorized records that app's provider refused the install's
// credentials while its calendars were read (video.ErrUnauthorized): the
// install needs re-authorization, and the admins are told, as when Zoom
// refuses to renew its tokens.
func (s *Service) CalendarsUnauthorized(ctx context.Context, accountID, appID string, cause error) error {
	in, err := s.Store.Install(ctx, accountID, appID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("apps: %w", err)
	}
	if in.State != store.InstallInstalled {
		return nil // told already
	}
	if in.Mode == video.ModePersonal || errors.Is(cause, video.ErrNotConnected) {
		// Per-user mode: the user's grant, not the install, was refused;
		// its token source marked it and told the user.
		return nil
	}
	problem := fmt.Sprintf("%s refused Convene's credentials while reading calendars (%v); an admin must install it again", s.appName(appID), cause)
	if err := s.markProblem(ctx, accountID, appID, problem); err != nil {
		return err
	}
	s.clients.Delete(accountID + "/" + appID + "/calendars")
	s.notify(ctx, accountID, appID, problem)
	return nil
}

// changed tells OnInstallChange that an install's state or domains
// changed.
func (s *Service) changed(ctx context.Context, accountID, appID string) {
	s.clients.Delete(accountID + "/" + appID + "/calendars")
	if s.OnInstallChange != nil {
		s.OnInstallChange(context.WithoutCancel(ctx), accountID, appID)
	}
}
